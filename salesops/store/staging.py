"""Staging: a twin of a store table that collects rows before they are published.

* :func:`create_stage` — a temporary twin, created in the caller's connection.
* :class:`Spool` — rows kept on disk, outside any transaction, until one transaction reads them
  back as a stage: what a chunked import checks a chunk at a time (see the class).
* :func:`release_freed_memory` — between batches, the heap pages their frames freed go back to
  the system.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import tempfile
from functools import cache
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from salesops.store.engine import bulk_insert, result_frame


@cache
def _malloc_trim():
    """glibc's ``malloc_trim``, or None (another C library: musl, macOS)."""
    name = ctypes.util.find_library("c")
    try:
        return getattr(ctypes.CDLL(name), "malloc_trim", None) if name else None
    except OSError:
        return None


def release_freed_memory() -> None:
    """Collect cycles, then hand the C heap's free pages back to the system (glibc ``malloc_trim``).

    A batch's frames (hundreds of MB of strings and arrays) are freed when the next batch starts, but
    glibc keeps the freed pages in the process; the build's peak (Python's kept pages plus DuckDB's
    publish) then sits ~half a GB above what is live (issue #21: medium build 1.6 GB at a 1 GB DuckDB
    limit). A no-op where the C library has no ``malloc_trim``.
    """
    gc.collect()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def stage_table(
    table: sa.Table, extra: tuple[sa.Column, ...] = (), loose: bool = False, name: str = "_import_"
) -> sa.Table:
    """The definition of a temporary twin of ``table`` (plus ``extra`` columns), not created.

    ``loose``: integers are BIGINT whatever the target says (a chunked import stages every row,
    bad ones too, before it knows whether the file is accepted).
    """

    def kind(col: sa.Column):
        return sa.BigInteger() if loose and isinstance(col.type, sa.Integer) else col.type

    return sa.Table(
        f"{name}{table.name}",
        sa.MetaData(),
        *[sa.Column(col.name, kind(col)) for col in table.columns],
        *[sa.Column(col.name, col.type) for col in extra],
        prefixes=["TEMPORARY"],
    )


def create_stage(
    conn: Connection, table: sa.Table, extra: tuple[sa.Column, ...] = (), loose: bool = False, name: str = "_import_"
) -> sa.Table:
    """A temporary staging table (:func:`stage_table`), created in ``conn``."""
    stage = stage_table(table, extra, loose, name)
    stage.create(conn)
    return stage


class Spool:
    """Rows of a stage (``definition``, from :func:`stage_table`) kept in Parquet files until one
    transaction reads them.

    DuckDB keeps every row appended inside an open transaction in memory, whatever its
    ``memory_limit`` (about 30 MB per 100,000 deals: 6 GB for a 10M-row file staged in the import's
    transaction). So each batch :meth:`add` gets is typed as the stage types it (in a private
    in-memory DuckDB, committed and dropped per batch) and written to a file of its own in a private
    temporary directory. :meth:`open`, in the writing transaction, makes the stage from the files:
    on DuckDB a temporary view reading them where they lie, elsewhere a temporary table they are
    loaded into a file at a time. The store sees nothing before that transaction. :meth:`close`
    (or leaving the ``with`` block, however it is left) removes the directory.
    """

    def __init__(self, definition: sa.Table, order: str = "") -> None:
        self.definition = definition
        #: Columns (SQL, our own names) each file's rows are sorted by: a reader filtering on the first
        #: then skips the files' row groups outside its range (their min/max) instead of reading them all.
        self.order = order
        self.files: list[Path] = []
        self._dir = tempfile.TemporaryDirectory(prefix="salesops-stage-")
        self._scratch = sa.create_engine("duckdb:///:memory:")
        self._conn = self._scratch.connect()
        self._conn.execute(sa.text("SET threads = 1"))

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Forget every batch: the private DuckDB closed, the directory and its files removed."""
        self._conn.close()
        self._scratch.dispose()
        self._dir.cleanup()
        self.files = []

    def add(self, frame: pd.DataFrame) -> None:
        """Write ``frame``'s rows (the stage's columns; others ignored) to a new file, typed as the stage."""
        path = Path(self._dir.name) / f"{len(self.files):06d}.parquet"
        self.definition.create(self._conn)
        try:
            bulk_insert(self._conn, self.definition, frame)
            raw = self._conn.connection.driver_connection
            assert raw is not None  # noqa: S101 - a live connection always has its driver connection
            rows = f'"{self.definition.name}"'
            if self.order:
                rows = f"(SELECT * FROM {rows} ORDER BY {self.order})"  # noqa: S608 - schema names
            raw.execute(f"COPY {rows} TO '{_quoted(path)}' (FORMAT parquet)")
        except BaseException:
            self._conn.rollback()  # the table goes with it; the error raised is the first one
            raise
        self.definition.drop(self._conn)
        self._conn.commit()
        self.files.append(path)

    def keep(self, n: int) -> None:
        """Forget the batches added after the first ``n`` (a retried transaction adds its own again)."""
        for path in self.files[n:]:
            path.unlink(missing_ok=True)
        del self.files[n:]

    def open(self, conn: Connection) -> sa.Table:
        """The stage in ``conn``'s transaction, holding every batch: drop it with :meth:`drop`."""
        name = self.definition.name
        if conn.dialect.name == "duckdb" and self.files:
            files = ", ".join(f"'{_quoted(p)}'" for p in self.files)
            cols = ", ".join(f'"{c.name}"' for c in self.definition.columns)
            view = f'CREATE TEMPORARY VIEW "{name}" AS SELECT {cols} FROM read_parquet([{files}])'  # noqa: S608
            conn.execute(sa.text(view))  # a view takes no parameters: our own names and temporary paths only
            return self.definition
        self.definition.create(conn)
        for path in self.files:
            read = self._conn.execute(sa.text("SELECT * FROM read_parquet(:path)"), {"path": str(path)})
            bulk_insert(conn, self.definition, result_frame(read))
        self._conn.commit()
        return self.definition

    def drop(self, conn: Connection) -> None:
        """Drop the stage :meth:`open` made (a view or a table) in ``conn``."""
        view = conn.dialect.name == "duckdb" and self.files
        conn.execute(sa.text(f'DROP {"VIEW" if view else "TABLE"} "{self.definition.name}"'))


def _quoted(path: Path) -> str:
    """``path`` as the inside of an SQL string literal (our own temporary path, quotes doubled)."""
    return str(path).replace("'", "''")

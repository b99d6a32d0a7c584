"""Every difference between the two stores (DuckDB and PostgreSQL) in one module.

The rest of salesops writes its SQL once, for both. Where the two databases read the same text the
text is simply written inline (``date_trunc``, ``generate_series`` in FROM, ``INTERVAL '1 month'``,
``FILTER (WHERE …)``, ``GREATEST``, date − date = days, ``ON CONFLICT``); where they do not, the
piece comes from here:

* :data:`DOUBLE` / :func:`as_double` — a float cast (``DOUBLE PRECISION``: both read it; DuckDB's
  bare ``DOUBLE`` is not PostgreSQL).
* :func:`round_half_up` — ROUND of a double differs (DuckDB: half away from zero; PostgreSQL: half to
  even), so cents are rounded with FLOOR(x + 0.5), identical on both.
* :func:`ratio` — ``/`` of two integers is a float on DuckDB but integer division on PostgreSQL.
* :func:`try_cast` — DuckDB's TRY_CAST; PostgreSQL has none (a pattern check, then CAST).
* :func:`unnest_series` — a series of dates as rows inside a SELECT list.
* :func:`bulk_load` — the fast path of each database: DuckDB scans the frame (Arrow), PostgreSQL
  takes ``COPY … FROM STDIN``.
* :func:`fast_frame` — DuckDB hands a result over as a DataFrame without Python objects.
* :func:`configure` — per-connection set-up (PostgreSQL: NUMERIC read as int/float like DuckDB's
  HUGEINT/DOUBLE, not Decimal).
* :func:`is_retryable` — the errors of two writers meeting, worth one more try.

Functions that differ take ``bind``: an Engine, a Connection or a dialect name (``"duckdb"``,
``"postgresql"``). Not supported: DuckDB-only syntax such as ``QUALIFY``, ``GROUP BY ALL``,
``list_*``, ``strftime``, ``::`` casts, ``date_diff``, ``epoch`` — write the portable form (a
subquery with a window function, explicit GROUP BY, ``CAST``, date − date). README.md, "Writing SQL
for both stores", says how to add a piece here.
"""

from __future__ import annotations

import atexit
import contextlib
import csv
import io
import os
import threading
import time
import warnings
import weakref
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from salesops.store.turns import wanted_path

DUCKDB = "duckdb"
POSTGRESQL = "postgresql"

#: A float type both stores read.
DOUBLE = "DOUBLE PRECISION"


def name_of(bind: Engine | Connection | str) -> str:
    """The dialect name of an engine, a connection or a name."""
    if isinstance(bind, str):
        return bind
    return bind.dialect.name


def as_double(expr: str) -> str:
    """``expr`` as a double-precision float."""
    return f"CAST({expr} AS {DOUBLE})"


def round_half_up(expr: str) -> str:
    """``expr`` (a non-negative float) rounded to a whole number, half up, as BIGINT — the same on
    both stores (their ROUND of a double breaks ties differently)."""
    return f"CAST(FLOOR({expr} + 0.5) AS BIGINT)"


def ratio(num: str, den: str) -> str:
    """``num ÷ den`` as a float, NULL when ``den`` is 0 (integer ÷ integer truncates on PostgreSQL)."""
    return f"{as_double(num)} / NULLIF({den}, 0)"


#: What a text must look like before PostgreSQL casts it (it has no TRY_CAST).
_PATTERNS = {
    "DATE": r"^\d{4}-\d{2}-\d{2}$",
    "BIGINT": r"^-?\d{1,18}$",
    "INTEGER": r"^-?\d{1,9}$",
    DOUBLE: r"^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$",
}


def code_point_order(bind: Engine | Connection | str, expr: str) -> str:
    """``expr`` (text) in an ORDER BY sorted by code point, as Python sorts ``str`` (NumPy's sort
    of the same strings): DuckDB compares the UTF-8 bytes, which is that order; PostgreSQL sorts
    by the database's collation unless told ``COLLATE "C"`` (its bytes, again that order)."""
    return f'{expr} COLLATE "C"' if name_of(bind) == POSTGRESQL else expr


def try_cast(bind: Engine | Connection | str, expr: str, type_: str) -> str:
    """``expr`` cast to ``type_`` (a key of ``_PATTERNS``), NULL when it does not read as one.

    PostgreSQL has no TRY_CAST: the text must match the type's pattern first, and a date must
    also exist (month 1–12, day within its month, leap years included, year not 0000), so a
    2024-02-30 gives NULL on both stores instead of an error on one.
    """
    if name_of(bind) == DUCKDB:
        return f"TRY_CAST({expr} AS {type_})"
    if type_ == "DATE":
        text = f"CAST({expr} AS TEXT)"
        last_day = (
            f"EXTRACT(DAY FROM make_date(CAST(substr({text}, 1, 4) AS INTEGER), "
            f"CAST(substr({text}, 6, 2) AS INTEGER), 1) + INTERVAL '1 month - 1 day')"
        )
        return (
            f"CASE WHEN {text} ~ '{_DATE_SHAPE}' THEN CASE WHEN CAST(substr({text}, 9, 2) AS INTEGER) <= {last_day} "
            f"THEN CAST({text} AS DATE) END END"
        )
    pattern = _PATTERNS[type_]
    return f"CASE WHEN {expr} ~ '{pattern}' THEN CAST({expr} AS {type_}) END"


#: A date's shape on PostgreSQL before the day is checked against its month: year 0001–9999,
#: month 01–12, day 01–31.
_DATE_SHAPE = r"^(?!0000)\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$"


def unnest_series(bind: Engine | Connection | str, first: str, last: str, step: str) -> str:
    """The dates ``first``, ``first + step`` … ``last`` as rows, inside a SELECT list (DuckDB's
    generate_series returns a list there; PostgreSQL's returns rows)."""
    series = f"generate_series({first}, {last}, {step})"
    if name_of(bind) == DUCKDB:
        return f"CAST(UNNEST({series}) AS DATE)"
    return f"CAST({series} AS DATE)"


# ---- connections -----------------------------------------------------------------------------------


def engine_options(url: sa.URL) -> dict[str, Any]:
    """Options of ``create_engine`` per dialect. PostgreSQL: a pool for 20+ sessions at once, and a
    ping before reuse so a connection the server dropped (restart, failover) is replaced, not used."""
    if url.get_backend_name() == POSTGRESQL:
        return {"pool_size": 10, "max_overflow": 30, "pool_pre_ping": True}
    return {}


def configure(engine: Engine) -> None:
    """Per-dialect set-up of ``engine`` and of every new connection of it."""
    if engine.dialect.name == POSTGRESQL:
        sa.event.listen(engine, "connect", _pg_on_connect)
    elif engine.dialect.name == DUCKDB and _is_duckdb_file(engine):
        wanted = wanted_path(engine)

        def connect_waiting(dialect_: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
            return _duckdb_connect_waiting(dialect_, cargs, cparams, wanted)

        sa.event.listen(engine, "do_connect", connect_waiting)
        _IdleRelease(engine, IDLE_RELEASE_SECONDS)


def _is_duckdb_file(engine: Engine) -> bool:
    db = engine.url.database or ""
    return db not in ("", ":memory:") and not db.startswith((":memory:", "md:"))


def shared_across_connections(engine: Engine) -> bool:
    """True when every connection of ``engine`` reads the same database, so work may be split over
    two threads (each with its own pooled connection): a DuckDB file (one database instance per
    process) or PostgreSQL. An in-memory DuckDB gives each thread a database of its own."""
    return engine.dialect.name == POSTGRESQL or (engine.dialect.name == DUCKDB and _is_duckdb_file(engine))


def let_go(engine: Engine) -> None:
    """Close a DuckDB file's pooled connections now, and with them the memory DuckDB kept from its
    queries (up to its memory limit), before a long computation in Python; the next query opens the
    file again. In-memory DuckDB (closing would lose the data) and PostgreSQL: nothing to do."""
    if engine.dialect.name == DUCKDB and _is_duckdb_file(engine):
        engine.pool.dispose()


#: A DuckDB file is closed this long after its last connection was handed back (between two
#: requests of the app), so a CLI import or snapshot can take its turn.
IDLE_RELEASE_SECONDS = 1.0


def _duckdb_connect_waiting(dialect_: Any, cargs: Any, cparams: Any, wanted: Path) -> Any:
    """Open the DuckDB file, waiting up to SALESOPS_LOCK_WAIT seconds while another program holds
    it (DuckDB lets one process have a file at a time); the lock error is raised after that. While it
    waits it touches ``wanted`` with its process id, so a program that yields lets the file go."""
    from salesops import config

    deadline = time.monotonic() + config.lock_wait()
    while True:
        try:
            return dialect_.connect(*cargs, **cparams)
        except Exception as exc:
            if "Could not set lock" not in str(exc) or time.monotonic() >= deadline:
                raise
            with contextlib.suppress(OSError):  # a read-only folder: wait without asking
                wanted.write_text(str(os.getpid()))
            time.sleep(0.2)


class _IdleRelease:
    """Closes the engine's pooled DuckDB connections (and so the file) once none has been checked
    out for ``seconds``; the next request opens it again.

    One watcher thread per idle spell, not a timer per hand-back: a page makes dozens of queries,
    and starting a thread at each connection's return cost ~1-3 ms of it on a busy machine."""

    def __init__(self, engine: Engine, seconds: float) -> None:
        self.engine, self.seconds = engine, seconds
        self.out = 0
        self.idle_since = time.monotonic()
        self.watching = False
        self.closed = False
        self.lock = threading.Lock()
        self.wake = threading.Event()
        sa.event.listen(engine, "checkout", self.checkout)
        sa.event.listen(engine, "checkin", self.checkin)
        _IDLE_RELEASES.add(self)

    def checkout(self, *_args: Any) -> None:
        with self.lock:
            self.out += 1

    def checkin(self, *_args: Any) -> None:
        with self.lock:
            self.out = max(0, self.out - 1)
            if self.out == 0:
                self.idle_since = time.monotonic()
                if not self.watching and not self.closed:
                    self.watching = True
                    threading.Thread(target=self._watch, name="salesops-idle-release", daemon=True).start()

    def _watch(self) -> None:
        """Sleep until ``seconds`` after the last hand-back; release then if nothing is checked out."""
        while True:
            with self.lock:
                if self.closed:
                    self.watching = False
                    return
                left = self.seconds if self.out else self.idle_since + self.seconds - time.monotonic()
                if left <= 0:
                    self.watching = False
                    self.engine.pool.dispose()
                    return
            self.wake.wait(left)

    def close(self) -> None:
        """At exit: no watcher left sleeping, the file closed before the interpreter goes."""
        with self.lock:
            self.closed = True
        self.wake.set()
        self.engine.pool.dispose()


_IDLE_RELEASES: weakref.WeakSet[_IdleRelease] = weakref.WeakSet()


@atexit.register
def _close_idle_files() -> None:
    for item in list(_IDLE_RELEASES):
        item.close()


def _pg_on_connect(dbapi_conn: Any, _record: Any) -> None:
    """NUMERIC (what SUM of BIGINT and AVG of INTEGER give on PostgreSQL) read as int when whole,
    float otherwise: what DuckDB hands back for the same SQL (HUGEINT, DOUBLE), not Decimal."""
    from psycopg.adapt import Loader

    class _NumericLoader(Loader):
        def load(self, data: Any) -> int | float:
            text = bytes(data).decode()
            if text.lstrip("-").isdigit():
                return int(text)
            return float(text)

    dbapi_conn.adapters.register_loader("numeric", _NumericLoader)


#: Fragments of the errors raised when two writers meet; the write is tried again. DuckDB reports
#: all of its transaction errors as "TransactionContext Error", a commit that failed for want of memory
#: or disk among them, so only its conflict messages are listed: "Conflict on update!", "Conflict on
#: tuple deletion!", "Catalog write-write conflict on …", and the duplicate key a commit meets when two
#: writers inserted the same key at once (the retry re-reads what the other one wrote).
_RETRYABLE = (
    "Conflict on",
    "write-write conflict",
    "Failed to commit: PRIMARY KEY or UNIQUE constraint violation",
    "could not serialize access",
    "deadlock detected",
)


def is_retryable(exc: BaseException) -> bool:
    """True when ``exc`` is two concurrent writers meeting (the write is safe to run again); not for
    any other failed commit (out of memory, a full disk), which a retry would only repeat, at the cost
    of running the whole write again."""
    return any(s in str(exc) for s in _RETRYABLE)


# ---- bulk load and fast reads ------------------------------------------------------------------------


def bulk_load(conn: Connection, table: sa.Table, frame: pd.DataFrame) -> int:
    """Insert ``frame``'s rows into ``table`` in the caller's transaction, by each database's fast
    path; return the row count. Columns of ``frame`` not in ``table`` are ignored."""
    if len(frame) == 0:
        return 0
    cols = [c.name for c in table.columns if c.name in frame.columns]
    dialect = conn.dialect.name
    if dialect == DUCKDB:
        _duckdb_scan(conn, table, frame[cols])
    elif dialect == POSTGRESQL:
        _pg_copy(conn, table, frame[cols])
    else:
        conn.execute(sa.insert(table), frame[cols].to_dict("records"))
    return len(frame)


def _duckdb_scan(conn: Connection, table: sa.Table, frame: pd.DataFrame) -> None:
    raw = conn.connection.driver_connection
    assert raw is not None  # noqa: S101 - a live connection always has its driver connection
    view = f"_bulk_{table.name}"
    raw.register(view, frame)
    try:
        col_list = ", ".join(f'"{c}"' for c in frame.columns)  # names come from the Table, not input
        raw.execute(f'INSERT INTO "{table.name}" ({col_list}) SELECT {col_list} FROM {view}')  # noqa: S608 - schema names
    except Exception:
        # The failed INSERT aborted the transaction, so unregistering fails too ("Current transaction
        # is aborted", which store.write would even retry): the INSERT's own error is the one to raise.
        with contextlib.suppress(Exception):
            raw.unregister(view)
        raise
    raw.unregister(view)


#: The NULL marker in the CSV handed to COPY (an empty unquoted field stays an empty string).
_PG_NULL = r"\N"


def _pg_copy(conn: Connection, table: sa.Table, frame: pd.DataFrame) -> None:
    """COPY the frame as CSV: integers kept whole (a nullable int column arrives as float in pandas)."""
    out = frame.copy()
    for col in out.columns:
        sql_type = table.c[col].type
        if isinstance(sql_type, sa.Integer) and out[col].dtype.kind == "f":
            out[col] = out[col].round().astype("Int64")
        elif isinstance(sql_type, sa.Boolean) and out[col].dtype == object:
            out[col] = out[col].map(lambda v: None if v is None or v != v else bool(v))
    buf = io.StringIO()
    out.to_csv(buf, index=False, header=False, na_rep=_PG_NULL, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    col_list = ", ".join(f'"{c}"' for c in out.columns)  # names come from the Table, not input
    raw = conn.connection.driver_connection
    assert raw is not None  # noqa: S101 - a live connection always has its driver connection
    copy_sql = f"COPY \"{table.name}\" ({col_list}) FROM STDIN (FORMAT csv, NULL '{_PG_NULL}')"  # noqa: S608
    with raw.cursor() as cur, cur.copy(copy_sql) as copy:
        data = buf.getvalue()
        step = 1 << 20
        for i in range(0, len(data), step):
            copy.write(data[i : i + step])


def fast_frame(result: Any) -> pd.DataFrame | None:
    """The whole result as a DataFrame where the driver can hand it over without Python objects
    (DuckDB); None elsewhere."""
    cursor = getattr(result, "cursor", None)
    if cursor is not None and hasattr(cursor, "fetch_df"):
        return cursor.fetch_df()
    return None


def arrow_frame(result: Any) -> pd.DataFrame | None:
    """:func:`fast_frame`'s frame read through Arrow where the driver hands its result over as Arrow
    (DuckDB; None elsewhere): the same values and dtypes (dates as datetime64[us], as DuckDB's
    ``fetch_df`` gives them), without the NumPy copy of every string. Only for results without
    DECIMAL columns (Arrow gives those as Python Decimals, ``fetch_df`` as floats)."""
    cursor = getattr(result, "cursor", None)
    if cursor is None or not hasattr(cursor, "to_arrow_reader"):
        return None
    with warnings.catch_warnings():  # DuckDB notes the copy of its result into Arrow: still faster
        warnings.filterwarnings("ignore", "Arrow output on a DB-API result", UserWarning)
        table = cursor.to_arrow_reader().read_all()
    cols = [c.cast(pa.timestamp("us")) if pa.types.is_date(c.type) else c for c in table.columns]
    frame = pa.table(cols, names=table.column_names).to_pandas()
    if not len(frame):  # fetch_df gives an empty string column as object
        for name, col in zip(table.column_names, cols, strict=True):
            if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
                frame[name] = frame[name].astype(object)
    return frame


def lock_schema(conn: Connection) -> None:
    """Make concurrent schema changes take turns until the end of the transaction (PostgreSQL's
    advisory lock; DuckDB has one writer process anyway)."""
    if conn.dialect.name == POSTGRESQL:
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCHEMA_LOCK})


#: The advisory lock id schema changes take on PostgreSQL ("salesops" in hex digits, truncated).
_SCHEMA_LOCK = 0x5A1E5095


def has_temp_table(conn: Connection, name: str) -> bool:
    """Whether this connection's transaction has the temporary table ``name`` (an import's note of
    what it touched: :mod:`salesops.store.deal_notes`, the activity notes of the rollups and health tables)."""
    if conn.dialect.name == "postgresql":
        return sa.inspect(conn).has_table(name)
    found = conn.execute(
        sa.text("SELECT COUNT(*) FROM duckdb_tables() WHERE temporary AND table_name = :t"), {"t": name}
    )
    return bool(found.scalar_one())


def counted(conn: Connection, table: str) -> int:
    """The rows of a derived ``table`` (our name) just rewritten, with fresh PostgreSQL statistics of it
    in the same transaction (temporary and rewritten tables get none until autovacuum)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text(f"ANALYZE {table}"))
    return int(conn.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar_one())  # noqa: S608 - our names

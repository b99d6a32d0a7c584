"""The store: one SQLAlchemy engine from one URL, the schema, writes and the data version.

``open_store(url)`` is the one door in: it builds the engine, checks it can be opened, creates the
tables on first use and refuses a database written by a newer schema. Every failure is a
:class:`~salesops.errors.StoreError` whose message says what is wrong and what to do.

Writes go through :func:`write`, which runs a function in one transaction and records a new data
version in the same transaction. Versions are an insert-only log (``changes``), so concurrent
writers never fight over one counter row; caches key on :func:`data_version`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TypeVar

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from salesops import config
from salesops.errors import (
    BadDatabaseURL,
    DatabaseLocked,
    DatabaseUnavailable,
    SchemaTooNew,
    StoreError,
)
from salesops.store.schema import SCHEMA_VERSION, change_version_seq, changes, meta, metadata

T = TypeVar("T")


_RETRYABLE = ("Conflict on", "TransactionContext Error", "write-write conflict")


def _duckdb_path(url: sa.URL) -> Path | None:
    if url.get_backend_name() != "duckdb":
        return None
    db = url.database or ""
    if db in ("", ":memory:") or db.startswith(":memory:") or db.startswith("md:"):
        return None
    return Path(db)


def _explain(exc: BaseException, url_text: str) -> StoreError:
    """Turn a driver error into a StoreError that says what to do."""
    text = str(getattr(exc, "orig", None) or exc)
    if "Could not set lock" in text or "Conflicting lock" in text:
        pid = re.search(r"PID (\d+)", text)
        who = f" (process {pid.group(1)})" if pid else ""
        return DatabaseLocked(
            f"The database {url_text} is locked by another program{who}.",
            "A DuckDB file can be open in one program at a time: stop the other one "
            "(for example a running `make run`) or point --db / SALESOPS_DB_URL at another file.",
        )
    if "is not a valid DuckDB database" in text or "not a valid" in text.lower():
        return DatabaseUnavailable(
            f"The file behind {url_text} is not a DuckDB database.",
            "Point SALESOPS_DB_URL at a DuckDB file, or move this file away so a new one is built.",
        )
    return DatabaseUnavailable(
        f"Cannot open the database {url_text}: {text.splitlines()[0] if text else type(exc).__name__}.",
        "Check SALESOPS_DB_URL (host, port, file path, permissions) and that the server is running.",
    )


def _engine_options(url: sa.URL) -> dict:
    """DuckDB: memory_limit and threads from the settings (config.duckdb_memory_limit) on every
    connection, so a large build or import spills to disk instead of growing past the app's budget."""
    if url.get_backend_name() != "duckdb":
        return {}
    settings = {"memory_limit": config.duckdb_memory_limit(), "threads": config.duckdb_threads()}
    return {"connect_args": {"config": settings}}


def make_engine(url: str | None = None) -> Engine:
    """Build the engine for ``url`` (default: ``SALESOPS_DB_URL``) without touching the database."""
    url_text = url or config.db_url()
    try:
        parsed = sa.make_url(url_text)
    except ArgumentError as exc:
        raise BadDatabaseURL(
            f"SALESOPS_DB_URL {url_text!r} is not a database URL.",
            "Use a SQLAlchemy URL such as duckdb:///data/salesops.duckdb or postgresql://user@host/db.",
        ) from exc
    path = _duckdb_path(parsed)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return sa.create_engine(parsed, **_engine_options(parsed))
    except (NoSuchModuleError, ModuleNotFoundError, ImportError) as exc:
        raise BadDatabaseURL(
            f"No database driver for {parsed.drivername!r} (from {url_text!r}).",
            "Use duckdb:///path/to/file.duckdb, or install the driver for that database.",
        ) from exc
    except ArgumentError as exc:
        raise BadDatabaseURL(f"Cannot use the database URL {url_text!r}: {exc}.") from exc


def open_store(url: str | None = None) -> Engine:
    """Return a ready engine: reachable, tables created, schema not newer than this code."""
    url_text = url or config.db_url()
    engine = make_engine(url_text)
    try:
        with engine.begin() as conn:
            metadata.create_all(conn, checkfirst=True)
            row = conn.execute(sa.select(meta.c.value).where(meta.c.key == "schema_version")).scalar_one_or_none()
            if row is None:
                conn.execute(sa.insert(meta).values(key="schema_version", value=str(SCHEMA_VERSION)))
            elif int(row) < SCHEMA_VERSION:
                _upgrade(conn, int(row))
            elif int(row) > SCHEMA_VERSION:
                raise SchemaTooNew(
                    f"The database {url_text} was written by a newer salesops "
                    f"(schema {row}; this version understands up to {SCHEMA_VERSION}).",
                    "Upgrade salesops (git pull && make run), or point SALESOPS_DB_URL at another file.",
                )
    except StoreError:
        engine.dispose()
        raise
    except (DBAPIError, OSError, Exception) as exc:  # noqa: BLE001 - every driver error is explained
        engine.dispose()
        raise _explain(exc, url_text) from exc
    return engine


def _upgrade(conn: Connection, version: int) -> None:
    """Bring a database written by an older schema up to :data:`SCHEMA_VERSION` (new tables are
    already created by ``create_all``; this adds the columns older tables lack)."""
    if version < 2:
        conn.execute(sa.text("ALTER TABLE deals ADD COLUMN IF NOT EXISTS account_id VARCHAR"))
    conn.execute(sa.update(meta).where(meta.c.key == "schema_version").values(value=str(SCHEMA_VERSION)))


def write(engine: Engine, fn: Callable[[Connection], T], what: str, retries: int = 30) -> T:
    """Run ``fn(conn)`` in one transaction, record a new data version, and return its result.

    Either everything ``fn`` wrote lands together with the new version, or nothing does. A
    write-write conflict (two sessions writing at the same instant) is retried.
    """
    for attempt in range(retries + 1):
        try:
            with engine.begin() as conn:
                result = fn(conn)
                conn.execute(
                    sa.insert(changes).values(
                        version=change_version_seq.next_value(),
                        changed_at=datetime.now(),
                        what=what,
                    )
                )
            return result
        except DBAPIError as exc:
            if attempt < retries and any(s in str(exc) for s in _RETRYABLE):
                time.sleep(0.005 * (attempt + 1))
                continue
            raise
    raise AssertionError("unreachable: the last attempt returns or raises")


def data_version(engine: Engine) -> int:
    """A number that grows with every write; 0 for an empty store."""
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(changes.c.version), 0))).scalar_one())


def last_updated(engine: Engine) -> datetime | None:
    """When the data last changed (a demo build, an import, a survey answer …)."""
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.max(changes.c.changed_at))).scalar_one()


def read_frame(engine: Engine, stmt, params: dict | None = None):
    """Run a SELECT (Core statement or ``text()`` with binds) and return a DataFrame."""
    with engine.connect() as conn:
        result = conn.execute(stmt, params or {})
        # Plain tuples: pandas builds a frame from Row objects an order of magnitude slower.
        return pd.DataFrame([tuple(r) for r in result.fetchall()], columns=list(result.keys()))


def table_counts(engine: Engine) -> dict[str, int]:
    """Row count of every table, for `salesops info` and tests."""
    out = {}
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            out[table.name] = int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())
    return out


def bulk_insert(conn: Connection, table: sa.Table, frame) -> int:
    """Insert a DataFrame into ``table`` inside the caller's transaction; return the row count.

    On DuckDB the frame is handed to the engine as a whole (Arrow scan, no per-row Python);
    elsewhere it falls back to one executemany.
    """
    if len(frame) == 0:
        return 0
    cols = [c.name for c in table.columns if c.name in frame.columns]
    if conn.dialect.name == "duckdb":
        raw = conn.connection.driver_connection
        assert raw is not None  # a live connection inside the caller's transaction
        view = f"_bulk_{table.name}"
        raw.register(view, frame[cols])
        try:
            col_list = ", ".join(f'"{c}"' for c in cols)  # names come from the Table, not input
            raw.execute(f'INSERT INTO "{table.name}" ({col_list}) SELECT {col_list} FROM {view}')  # noqa: S608 - schema names
        finally:
            raw.unregister(view)
    else:
        conn.execute(sa.insert(table), frame[cols].to_dict("records"))
    return len(frame)


def result_frame(result) -> pd.DataFrame:
    """A query result as a DataFrame. DuckDB hands its result over whole (no Python object per
    value); other drivers are read column by column (pandas reads a list of Row objects an order of
    magnitude slower). An empty result gives an empty frame with the columns."""
    cursor = getattr(result, "cursor", None)
    if cursor is not None and hasattr(cursor, "fetch_df"):
        return cursor.fetch_df()
    keys = list(result.keys())
    rows = result.fetchall()
    if not rows:
        return pd.DataFrame({k: [] for k in keys})
    return pd.DataFrame(dict(zip(keys, map(list, zip(*rows)))))


def fetch_frame(engine: Engine, stmt, params: dict | None = None) -> pd.DataFrame:
    """Run a SELECT and return :func:`result_frame` of it (the fast read for aggregates)."""
    with engine.connect() as conn:
        return result_frame(conn.execute(stmt, params or {}))

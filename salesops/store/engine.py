"""The store: one SQLAlchemy engine from one URL, the schema, writes and the data version.

``open_store(url)`` is the one door in: it builds the engine, checks it can be opened, creates the
schema on first use (the Alembic revisions of :mod:`salesops.store.migrate`) and refuses a database
that needs migrating or was written by a newer salesops. Every failure is a
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
    StoreDamaged,
    StoreError,
    StoreNeedsMigration,
    StoreOutOfMemory,
)
from salesops.store import dialect, migrate
from salesops.store.schema import change_version_seq, changes, metadata

T = TypeVar("T")


def _duckdb_path(url: sa.URL) -> Path | None:
    if url.get_backend_name() != "duckdb":
        return None
    db = url.database or ""
    if db in ("", ":memory:") or db.startswith(":memory:") or db.startswith("md:"):
        return None
    return Path(db)


#: What DuckDB (and PostgreSQL) say when a database file's bytes are damaged.
_DAMAGED = (
    "corrupt database file",
    "does not match stored checksum",
    "database disk image is malformed",
    "invalid page header",
    "could not read block",
)


def _is_duckdb(url_text: str) -> bool:
    return url_text.startswith("duckdb")


def _explain(exc: BaseException, url_text: str) -> StoreError:
    """Turn a driver error into a StoreError that says what to do (never the SQL or a traceback)."""
    text = str(getattr(exc, "orig", None) or exc)
    if "Could not set lock" in text or "Conflicting lock" in text:
        pid = re.search(r"PID (\d+)", text)
        who = f" (process {pid.group(1)})" if pid else ""
        return DatabaseLocked(
            f"The database {url_text} is locked by another program{who}, still after waiting "
            f"{config.lock_wait():g} s (SALESOPS_LOCK_WAIT) for its turn.",
            "A DuckDB file can be used by one program at a time: salesops waits for its turn (the app "
            "hands the file over between requests), but the other program kept it. Let it finish or stop it "
            "(for example a `make run` busy with a long page, or another import), point --db / "
            "SALESOPS_DB_URL at another file, or use PostgreSQL for a team (docs/DEPLOY.md).",
        )
    if "password authentication failed" in text or "role" in text and "does not exist" in text:
        return DatabaseUnavailable(
            f"The database server behind {url_text} refused the user name or password.",
            "Check the user and password in SALESOPS_DB_URL (postgresql+psycopg://USER:PASSWORD@HOST:PORT/DB).",
        )
    if "database" in text and "does not exist" in text:
        return DatabaseUnavailable(
            f"The database named in {url_text} does not exist on that server.",
            "Create it (createdb NAME, or CREATE DATABASE) and run `python -m salesops migrate`, or fix the name.",
        )
    if "Connection refused" in text or "could not translate host" in text or "timeout expired" in text:
        return DatabaseUnavailable(
            f"Cannot reach the database server of {url_text}.",
            "Check the host and port in SALESOPS_DB_URL and that PostgreSQL is running and accepts connections.",
        )
    if "is not a valid DuckDB database" in text or "not a valid" in text.lower():
        return DatabaseUnavailable(
            f"The file behind {url_text} is not a DuckDB database, or its header is damaged.",
            "Point SALESOPS_DB_URL at a DuckDB file, or restore this file from a backup, or move it away "
            "so a new one is built.",
        )
    if any(marker in text.lower() for marker in _DAMAGED):
        first = text.splitlines()[0][:160] if text else ""
        return StoreDamaged(
            f"The store file is damaged: restore a backup or rebuild it ({url_text}: {first}).",
            "Stop the app, restore the file from a backup — or move it away and rebuild the store: "
            "`python -m salesops demo` for the demo, or import your CRM exports again (docs/IMPORT.md).",
        )
    if "out of memory" in text.lower():
        return _out_of_memory(url_text)
    first = text.splitlines()[0] if text else type(exc).__name__
    if _is_duckdb(url_text):
        return DatabaseUnavailable(
            f"Cannot use the database file {url_text}: {first[:160]}.",
            "Check the file's path and permissions (and free disk space), or point SALESOPS_DB_URL at another file.",
        )
    return DatabaseUnavailable(
        f"Cannot open the database {url_text}: {first[:160]}.",
        "Check SALESOPS_DB_URL (host, port, database name, user) and that the server is running.",
    )


def _out_of_memory(url_text: str) -> StoreOutOfMemory:
    """DuckDB stops a statement that needs more than its ``memory_limit`` and cannot spill (a key
    index while rows are inserted, one huge list); PostgreSQL stops at the server's RAM."""
    undone = "A failed import or build is rolled back whole, so nothing is half-written. "
    if _is_duckdb(url_text):
        return StoreOutOfMemory(
            f"The database {url_text} ran out of memory: the work needed more than its limit of "
            f"{config.duckdb_memory_limit()} (SALESOPS_DUCKDB_MEMORY).",
            undone + "Raise the limit (for example SALESOPS_DUCKDB_MEMORY=4GB, if the machine has the room), "
            "close other memory-hungry programs, or import a very large file in parts (docs/IMPORT.md).",
        )
    return StoreOutOfMemory(
        f"The database server behind {url_text} ran out of memory.",
        undone + "Ask its administrator for more memory (or a lower work_mem), or import a very large file in parts.",
    )


def _engine_options(url: sa.URL) -> dict:
    """DuckDB: memory_limit and threads from the settings (config.duckdb_memory_limit) on every
    connection, so a large build or import spills to disk instead of growing past the app's budget."""
    if url.get_backend_name() != "duckdb":
        return {}
    settings = {"memory_limit": config.duckdb_memory_limit(), "threads": config.duckdb_threads()}
    return {"connect_args": {"config": settings}}


def explain_error(exc: BaseException, engine: Engine | None = None, url: str | None = None) -> StoreError | None:
    """A database error raised while reading or writing, as a StoreError to show; None for other errors.

    Pages and the CLI call this around their work so a damaged or unreachable store is named as
    such in one sentence, never shown as SQL or a traceback. The store named is ``engine``'s, else
    ``url`` (a command's ``--db``), else SALESOPS_DB_URL's; its password hidden.
    """
    if isinstance(exc, StoreError):
        return exc
    if not isinstance(exc, DBAPIError) and type(exc).__module__.split(".")[0] not in ("duckdb", "_duckdb"):
        return None
    if engine is not None:
        return _explain(exc, engine.url.render_as_string(hide_password=True))
    return _explain(exc, _shown_url(url or config.db_url()))


def _shown_url(url_text: str) -> str:
    """``url_text`` as it may be shown: its password hidden (the text itself when it is no URL)."""
    try:
        return sa.make_url(url_text).render_as_string(hide_password=True)
    except ArgumentError:
        return url_text


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
        engine = sa.create_engine(parsed, **_engine_options(parsed), **dialect.engine_options(parsed))
    except (NoSuchModuleError, ModuleNotFoundError, ImportError) as exc:
        raise BadDatabaseURL(
            f"No database driver for {parsed.drivername!r} (from {url_text!r}).",
            "Use duckdb:///path/to/file.duckdb, or install the driver for that database.",
        ) from exc
    except ArgumentError as exc:
        raise BadDatabaseURL(f"Cannot use the database URL {url_text!r}: {exc}.") from exc
    dialect.configure(engine)
    return engine


def open_store(url: str | None = None) -> Engine:
    """Return a ready engine: reachable, schema at this code's newest revision.

    An empty database gets the schema (every migration, in one transaction); a database at an
    older revision is refused with :class:`StoreNeedsMigration` naming ``python -m salesops
    migrate``; one written by a newer salesops with :class:`SchemaTooNew`.
    """
    url_text = url or config.db_url()
    engine = make_engine(url_text)
    try:
        with engine.begin() as conn:
            _check_schema(conn, engine.url.render_as_string(hide_password=True))
    except StoreError:
        engine.dispose()
        raise
    except (DBAPIError, OSError, Exception) as exc:  # noqa: BLE001 - every driver error is explained
        engine.dispose()
        raise _explain(exc, engine.url.render_as_string(hide_password=True)) from exc
    return engine


def migrate_store(url: str | None = None) -> tuple[str | None, str]:
    """Upgrade the store at ``url`` in place to this code's newest revision, in one transaction;
    return (revision before, revision after). A store written by a newer salesops is refused."""
    url_text = url or config.db_url()
    engine = make_engine(url_text)
    shown = engine.url.render_as_string(hide_password=True)
    try:
        with engine.begin() as conn:
            state = migrate.status(conn)
            if state.state == "ahead":
                _check_schema(conn, shown)
            return migrate.upgrade(conn)
    except StoreError:
        raise
    except (DBAPIError, OSError, Exception) as exc:  # noqa: BLE001 - every driver error is explained
        raise _explain(exc, shown) from exc
    finally:
        engine.dispose()


def _check_schema(conn: Connection, shown: str) -> None:
    state = migrate.status(conn)
    if state.state == "empty":
        migrate.upgrade(conn)
    elif state.state == "ahead":
        raise SchemaTooNew(
            f"The database {shown} was written by a newer salesops (schema {state.revision}; "
            f"this version knows up to {state.head}).",
            "Upgrade salesops (git pull && make run), or point SALESOPS_DB_URL at another database.",
        )
    elif state.state == "behind":
        raise StoreNeedsMigration(
            f"The database {shown} has an older schema (revision {state.revision}; this salesops needs {state.head}).",
            f"Back it up (docs/DEPLOY.md), then run: python -m salesops migrate --db {shown}",
        )


def write(engine: Engine, fn: Callable[[Connection], T], what: str, retries: int = 30, day_only: bool = False) -> T:
    """Run ``fn(conn)`` in one transaction, record a new data version, and return its result.

    Either everything ``fn`` wrote lands together with the new version, or nothing does. A
    write-write conflict (two sessions writing at the same instant) is retried. ``day_only`` records
    the write's time as the day alone (midnight): a survey answer leaves no time of day behind.
    """
    for attempt in range(retries + 1):
        try:
            with engine.begin() as conn:
                result = fn(conn)
                now = datetime.now()
                conn.execute(
                    sa.insert(changes).values(
                        version=change_version_seq.next_value(),
                        changed_at=datetime(now.year, now.month, now.day) if day_only else now,
                        what=what,
                    )
                )
            return result
        except DBAPIError as exc:
            if attempt < retries and dialect.is_retryable(exc):
                time.sleep(0.005 * (attempt + 1))
                continue
            if exc.connection_invalidated:
                raise DatabaseUnavailable(
                    f"The connection to the database was lost while writing ({what}); nothing was written.",
                    "Check that the database server is up, then run it again: a write lands whole or not at all.",
                ) from exc
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

    Each database's fast path (:func:`salesops.store.dialect.bulk_load`): DuckDB scans the frame,
    PostgreSQL takes COPY.
    """
    return dialect.bulk_load(conn, table, frame)


def result_frame(result) -> pd.DataFrame:
    """A query result as a DataFrame. DuckDB hands its result over whole (no Python object per
    value); other drivers are read column by column (pandas reads a list of Row objects an order of
    magnitude slower). An empty result gives an empty frame with the columns."""
    fast = dialect.fast_frame(result)
    if fast is not None:
        return fast
    keys = list(result.keys())
    rows = result.fetchall()
    if not rows:
        return pd.DataFrame({k: [] for k in keys})
    return pd.DataFrame(dict(zip(keys, map(list, zip(*rows)))))


def arrow_result_frame(result) -> pd.DataFrame:
    """:func:`result_frame` read through Arrow on DuckDB (:func:`salesops.store.dialect.arrow_frame`:
    the same frame, faster for many string values); results without DECIMAL columns only."""
    fast = dialect.arrow_frame(result)
    return fast if fast is not None else result_frame(result)


def fetch_frame(engine: Engine, stmt, params: dict | None = None) -> pd.DataFrame:
    """Run a SELECT and return :func:`result_frame` of it (the fast read for aggregates)."""
    with engine.connect() as conn:
        return result_frame(conn.execute(stmt, params or {}))


def fetch_arrow_frame(engine: Engine, stmt, params: dict | None = None) -> pd.DataFrame:
    """Run a SELECT and return :func:`arrow_result_frame` of it (results without DECIMAL columns:
    the same frame as :func:`fetch_frame`, faster for thousands of string values)."""
    with engine.connect() as conn:
        return arrow_result_frame(conn.execute(stmt, params or {}))

"""Schema migrations: Alembic revisions in ``salesops/store/migrations/versions``, run in place.

* :func:`status` — where a database stands: ``empty``, ``current``, ``behind`` (needs
  ``python -m salesops migrate``) or ``ahead`` (written by a newer salesops).
* :func:`upgrade` — bring a database to the newest revision, in one transaction.

A store written before migrations existed (schema_version 1 or 2 in ``meta``, no ``alembic_version``
table) is at the baseline revision: :func:`upgrade` records that and goes on from there.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.ddl.impl import DefaultImpl
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from salesops.store import dialect

#: The first revision: the schema as it was when migrations were introduced (schema_version 1).
BASELINE = "0001"
#: The highest ``meta.schema_version`` of stores written before migrations (1; 2 once accounts came):
#: such a store is at BASELINE, and the revisions add what it lacks (tables and columns that came
#: just before migrations are created only where missing).
LEGACY_SCHEMA_VERSION = 2

_HERE = Path(__file__).resolve().parent / "migrations"


class AlembicDuckDBImpl(DefaultImpl):
    """Lets Alembic run on DuckDB (duckdb-engine's dialect is unknown to Alembic otherwise)."""

    __dialect__ = "duckdb"
    transactional_ddl = True


def _config(conn: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_HERE))
    if conn is not None:
        cfg.attributes["connection"] = conn
    return cfg


@functools.cache
def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(_config())


def head() -> str:
    """The newest revision this code knows."""
    rev = _script().get_current_head()
    assert rev is not None  # noqa: S101 - the baseline always exists
    return rev


@functools.cache
def known(revision: str) -> bool:
    """True when ``revision`` is one of this code's revisions."""
    try:
        return _script().get_revision(revision) is not None
    except Exception:  # noqa: BLE001 - alembic raises several kinds for an unknown id
        return False


@dataclass(frozen=True)
class Status:
    """Where a database stands. ``state``: empty / current / behind / ahead."""

    state: str
    revision: str | None
    head: str


def _legacy_revision(conn: Connection) -> str | None:
    """The revision of a store without ``alembic_version``: BASELINE for a schema_version-1 store,
    the raw schema_version text for a newer one, None for an empty database."""
    names = set(sa.inspect(conn).get_table_names())
    if "meta" not in names:
        return None if "deals" not in names else BASELINE
    row = conn.execute(sa.text("SELECT value FROM meta WHERE key = 'schema_version'")).scalar_one_or_none()
    if row is None or int(row) <= LEGACY_SCHEMA_VERSION:
        return BASELINE
    return f"schema_version {row}"


def current(conn: Connection) -> str | None:
    """The database's revision (None: an empty database)."""
    rev = MigrationContext.configure(conn).get_current_revision()
    return rev if rev is not None else _legacy_revision(conn)


def status(conn: Connection) -> Status:
    """Where the database on ``conn`` stands against this code's revisions."""
    rev, top = current(conn), head()
    if rev is None:
        return Status("empty", None, top)
    if rev == top:
        return Status("current", rev, top)
    if not known(rev):
        return Status("ahead", rev, top)
    return Status("behind", rev, top)


def upgrade(conn: Connection) -> tuple[str | None, str]:
    """Upgrade the database on ``conn`` to :func:`head` in the caller's transaction; return
    (revision before, revision after). Two upgraders at once on PostgreSQL take turns.

    An empty database gets ``schema.py``'s tables directly and is stamped at head (Alembic's
    advice for new databases, and 2× faster than replaying every revision);
    ``tests/unit/test_migrations.py`` checks that replaying the revisions gives the same schema.
    """
    dialect.lock_schema(conn)
    before = current(conn)
    if before is None:
        create_fresh(conn)
        return None, head()
    if MigrationContext.configure(conn).get_current_revision() is None:
        command.stamp(_config(conn), before)  # a store from before migrations: at its baseline
    command.upgrade(_config(conn), "head")
    return before, head()


def create_fresh(conn: Connection) -> None:
    """Create every table of ``schema.py`` in an empty database and stamp it at :func:`head`."""
    from salesops.store.schema import SCHEMA_VERSION, meta, metadata

    metadata.create_all(conn)
    conn.execute(sa.insert(meta).values(key="schema_version", value=str(SCHEMA_VERSION)))
    MigrationContext.configure(conn).stamp(_script(), "head")

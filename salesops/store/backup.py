"""Backups: a DuckDB store exported whole (``EXPORT DATABASE``); PostgreSQL is backed up by pg_dump.

``export_store(engine, folder)`` writes the schema and every table (Parquet) to a new folder; a
new DuckDB file takes it back with ``IMPORT DATABASE 'folder'`` (docs/DEPLOY.md, "Backups").
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from salesops.errors import SalesopsError


class BackupError(SalesopsError):
    """The backup cannot be written."""


def export_store(engine: Engine, folder: Path) -> Path:
    """Export the DuckDB store behind ``engine`` into ``folder`` (which must not exist yet)."""
    if engine.dialect.name != "duckdb":
        raise BackupError(
            f"`salesops backup` exports DuckDB files; this store is {engine.dialect.name}.",
            "Back up PostgreSQL with pg_dump --format=custom (docs/DEPLOY.md, 'Backups').",
        )
    folder = folder.resolve()
    if folder.exists():
        raise BackupError(f"{folder} already exists.", "Give a new folder name (for example with the date in it).")
    folder.parent.mkdir(parents=True, exist_ok=True)
    with engine.connect() as conn:
        # The path is a bound literal: EXPORT takes no parameters, so quotes are doubled here.
        quoted = str(folder).replace("'", "''")
        conn.execute(sa.text(f"EXPORT DATABASE '{quoted}' (FORMAT parquet)"))
    return folder

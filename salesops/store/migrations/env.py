"""Alembic's entry: runs the revisions on the connection salesops hands over (never a URL of its own).

salesops.store.migrate calls Alembic with ``config.attributes["connection"]`` set; the revisions
run inside that connection's transaction, so an upgrade lands whole or not at all.
"""

from __future__ import annotations

from alembic import context

from salesops.store.schema import metadata


def run() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:  # pragma: no cover - only when someone runs the alembic CLI by hand
        raise SystemExit("Run migrations with `python -m salesops migrate [--db URL]`, not the alembic command.")
    context.configure(connection=connection, target_metadata=metadata, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


# Alembic runs this file with its context set up; a plain import (a test walking every module of
# salesops) finds no context and does nothing.
if hasattr(context, "config"):
    run()

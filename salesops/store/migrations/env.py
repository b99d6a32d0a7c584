"""Alembic's entry: runs the revisions on the connection salesops hands over (never a URL of its own).

salesops.store.migrate calls Alembic with ``config.attributes["connection"]`` set; the revisions
run inside that connection's transaction, so an upgrade lands whole or not at all.
"""

from __future__ import annotations

from alembic import context

from salesops.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reached when someone runs the alembic CLI by hand
    raise SystemExit("Run migrations with `python -m salesops migrate [--db URL]`, not the alembic command.")

context.configure(connection=connection, target_metadata=metadata, compare_type=True)
with context.begin_transaction():
    context.run_migrations()

"""Date indexes on the big tables for PostgreSQL; schema_version 3 in meta.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01

PostgreSQL reads a date range of deals, leads, activities or deal changes through these indexes
instead of a full scan; DuckDB skips row groups by their min/max already (the demo is written in
date order), so it gets none (an ART index there only slows imports). ``meta.schema_version`` goes
to 3 so a salesops from before migrations (which knew 1 and 2) refuses this store (SchemaTooNew)
instead of misreading it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

#: (index name, table, column) — the same list as schema.py's PostgreSQL-only indexes.
INDEXES = (
    ("ix_deals_close_date", "deals", "close_date"),
    ("ix_deals_created_date", "deals", "created_date"),
    ("ix_leads_created_at", "leads", "created_at"),
    ("ix_activities_occurred_at", "activities", "occurred_at"),
    ("ix_deal_changes_changed_at", "deal_changes", "changed_at"),
)


def _set_schema_version(value: str) -> None:
    meta = sa.table("meta", sa.column("key", sa.String), sa.column("value", sa.String))
    op.execute(meta.update().where(meta.c.key == "schema_version").values(value=value))


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, table, column in INDEXES:
            op.create_index(name, table, [column])
    _set_schema_version("3")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, table, _column in INDEXES:
            op.drop_index(name, table_name=table)
    _set_schema_version("1")

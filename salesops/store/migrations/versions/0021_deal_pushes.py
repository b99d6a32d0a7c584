"""Data-health pushes and live deals: deal_pushes (every deal whose close date was pushed later, with
how many times) and the deal's outcome and close date on deal_duplicates, so the pushed check and the
data-trust score read them instead of counting the change log and joining every deal on each call.

Revision ID: 0021
Revises: 0016
Create Date: 2026-12-02

Both are derived (salesops.store.health_tables.PUSHES and DUPLICATES), rewritten by every write of
deals or their change log (salesops.store.derived.refresh_derived): this revision adds them where
missing and fills them from the store's rows, so a migrated store shows the same flags and scores.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from salesops.store.health_tables import refresh_duplicates, refresh_pushes

revision = "0021"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    existing = set(sa.inspect(bind).get_table_names())
    columns = set(
        bind.execute(
            sa.text("SELECT column_name FROM information_schema.columns WHERE table_name = 'deal_duplicates'")
        ).scalars()
    )  # (duckdb_engine's inspector cannot list columns)
    if "outcome" not in columns:
        op.add_column("deal_duplicates", sa.Column("outcome", sa.String(), nullable=True))
    if "close_date" not in columns:
        op.add_column("deal_duplicates", sa.Column("close_date", sa.Date(), nullable=True))
    if "deal_pushes" not in existing:
        op.create_table(
            "deal_pushes",
            sa.Column("deal_id", sa.String(), nullable=False),
            sa.Column("team_id", sa.String(), nullable=True),
            sa.Column("rep_id", sa.String(), nullable=True),
            sa.Column("label", sa.String(), nullable=True),
            sa.Column("amount_cents", sa.BigInteger(), nullable=True),
            sa.Column("outcome", sa.String(), nullable=True),
            sa.Column("close_date", sa.Date(), nullable=True),
            sa.Column("pushes", sa.BigInteger(), nullable=False),
            sa.PrimaryKeyConstraint("deal_id"),
        )
    refresh_duplicates(bind)
    refresh_pushes(bind)


def downgrade() -> None:
    op.drop_table("deal_pushes")
    op.drop_column("deal_duplicates", "close_date")
    op.drop_column("deal_duplicates", "outcome")

"""Lead rollups: lead_months (the leads with a rep per month, rep and team) and lead_source_days
(every lead per created day and source, with those won), which lead fairness reads instead of
counting every lead on each call.

Revision ID: 0022
Revises: 0019
Create Date: 2026-12-02

Both are derived (salesops.store.lead_tables.LEAD_MONTHS and LEAD_SOURCE_DAYS), rewritten by every
write of leads (salesops.store.derived.refresh_derived): this revision creates them where missing and
fills them from the store's leads, so a migrated store shows the same fairness figures as before.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from salesops.store.lead_tables import refresh_lead_tables

revision = "0022"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    existing = set(sa.inspect(bind).get_table_names())
    if "lead_months" not in existing:
        op.create_table(
            "lead_months",
            sa.Column("month", sa.Date(), nullable=False),
            sa.Column("rep_id", sa.String(), nullable=False),
            sa.Column("team_id", sa.String(), nullable=True),
            sa.Column("leads", sa.BigInteger(), nullable=False),
        )
        if bind.dialect.name == "postgresql":
            op.create_index("ix_lead_months_month", "lead_months", ["month"])
    if "lead_source_days" not in existing:
        op.create_table(
            "lead_source_days",
            sa.Column("day", sa.Date(), nullable=False),
            sa.Column("source", sa.String(), nullable=False),
            sa.Column("leads", sa.BigInteger(), nullable=False),
            sa.Column("won", sa.BigInteger(), nullable=False),
        )
    refresh_lead_tables(bind)


def downgrade() -> None:
    op.drop_table("lead_source_days")
    op.drop_table("lead_months")

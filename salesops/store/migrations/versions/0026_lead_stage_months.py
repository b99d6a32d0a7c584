"""Team performance speed: the derived table lead_stage_months (every lead per calendar month, team and
furthest stage), from which the funnel counts the leads of its range and of its history: their months
from it, the few days at their edges from the leads.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-02

Derived (salesops.store.lead_tables.LEAD_STAGE_MONTHS), rewritten by every write of leads
(salesops.store.derived.refresh_derived): this revision creates the table where missing and fills it
from the store's leads, so a migrated store shows the same funnel as before.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from salesops.store.lead_tables import refresh_lead_stage_months

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if "lead_stage_months" not in set(sa.inspect(bind).get_table_names()):
        op.create_table(
            "lead_stage_months",
            sa.Column("month", sa.Date(), nullable=False),
            sa.Column("team_id", sa.String(), nullable=True),
            sa.Column("furthest_stage", sa.String(), nullable=False),
            sa.Column("leads", sa.BigInteger(), nullable=False),
        )
        if bind.dialect.name == "postgresql":
            op.create_index("ix_lead_stage_months_month", "lead_stage_months", ["month"])
    refresh_lead_stage_months(bind)


def downgrade() -> None:
    op.drop_table("lead_stage_months")

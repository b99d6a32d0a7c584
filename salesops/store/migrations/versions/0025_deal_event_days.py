"""Team performance speed: the derived table deal_event_days (every deal on its created day and, won
or lost, on its close day, with the deal's rep, team, amount, name, account, stage and outcome), which
the weekly review reads for its week's created, won and lost deals instead of testing every deal's
created and close dates.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-02

Derived (salesops.store.period_tables.EVENT_DAYS), rewritten by every write of deals
(salesops.store.derived.refresh_derived): this revision creates the table where missing and fills it
from the store's deals, so a migrated store shows the same review as before.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from salesops.store.period_tables import refresh_event_days

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if "deal_event_days" not in set(sa.inspect(bind).get_table_names()):
        op.create_table(
            "deal_event_days",
            sa.Column("day", sa.Date(), nullable=False),
            sa.Column("kind", sa.String(), nullable=False),
            sa.Column("deal_id", sa.String(), nullable=False),
            sa.Column("rep_id", sa.String(), nullable=False),
            sa.Column("team_id", sa.String(), nullable=True),
            sa.Column("amount_cents", sa.BigInteger(), nullable=True),
            sa.Column("name", sa.String(), nullable=True),
            sa.Column("account", sa.String(), nullable=True),
            sa.Column("stage", sa.String(), nullable=True),
            sa.Column("outcome", sa.String(), nullable=True),
        )
        if bind.dialect.name == "postgresql":
            op.create_index("ix_deal_event_days_day", "deal_event_days", ["day"])
    refresh_event_days(bind)


def downgrade() -> None:
    op.drop_table("deal_event_days")

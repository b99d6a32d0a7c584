"""deal_kinds carries a copy of each deal's rep, team, close date, amount and account, written won
deals first in close-date order, with a close-date index on PostgreSQL.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01

The won-deal readers (salesops.store.sql.WON_KINDS_READ, the kind sums of the leaderboard and of
compensation) then read one window of the table with no join to ``deals``: DuckDB skips the row
groups outside the window by their min/max, PostgreSQL uses the index. The table is derived
(salesops.store.derived), so it is dropped, created with the new columns and filled from the
store's deals and accounts; no data is lost.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from salesops.store.derived import refresh_deal_kinds

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    op.drop_table("deal_kinds")
    op.create_table(
        "deal_kinds",
        sa.Column("deal_id", sa.String(), nullable=False),
        sa.Column("customer_id", sa.String(), nullable=True),
        sa.Column("kind", sa.String(), nullable=True),
        sa.Column("rep_id", sa.String(), nullable=True),
        sa.Column("team_id", sa.String(), nullable=True),
        sa.Column("close_date", sa.Date(), nullable=True),
        sa.Column("amount_cents", sa.BigInteger(), nullable=True),
        sa.Column("account", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("deal_id"),
    )
    if bind.dialect.name == "postgresql":
        op.create_index("ix_deal_kinds_close_date", "deal_kinds", ["close_date"])
    refresh_deal_kinds(bind)


def downgrade() -> None:
    op.create_table(
        "deal_kinds_0009",
        sa.Column("deal_id", sa.String(), nullable=False),
        sa.Column("customer_id", sa.String(), nullable=True),
        sa.Column("kind", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("deal_id"),
    )
    op.execute(
        "INSERT INTO deal_kinds_0008 (deal_id, customer_id, kind) SELECT deal_id, customer_id, kind FROM deal_kinds"
    )
    op.drop_table("deal_kinds")
    op.rename_table("deal_kinds_0009", "deal_kinds")

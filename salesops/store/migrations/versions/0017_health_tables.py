"""Data-health tables: open_deal_touches (every open deal with its last touch: the latest of its
created date, stage changes and activities) and deal_duplicates (deals sharing account, amount and
close month), which the stale and duplicate checks, the Data health view and the pipeline's flagged
share read instead of every stage change, activity and deal on each call.

Revision ID: 0017
Revises: 0018
Create Date: 2026-12-02

Both tables are derived (salesops.store.health_tables.touches_sql and DUPLICATES), rewritten by
every write of deals, stage history or activities (salesops.store.derived.refresh_derived): this
revision creates them where missing and fills them from the store's rows, so a migrated store shows
the same flags as before.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from salesops.store.health_tables import refresh_duplicates, refresh_touches

revision = "0017"
down_revision = "0018"
branch_labels = None
depends_on = None


def _deal_columns() -> list[sa.Column]:
    return [
        sa.Column("deal_id", sa.String(), nullable=False),
        sa.Column("team_id", sa.String(), nullable=True),
        sa.Column("rep_id", sa.String(), nullable=True),
        sa.Column("label", sa.String(), nullable=True),
        sa.Column("amount_cents", sa.BigInteger(), nullable=True),
    ]


def upgrade() -> None:
    bind = op.get_bind()
    existing = set(sa.inspect(bind).get_table_names())
    if "open_deal_touches" not in existing:
        op.create_table(
            "open_deal_touches",
            *_deal_columns(),
            sa.Column("close_date", sa.Date(), nullable=True),
            sa.Column("last_touch", sa.Date(), nullable=False),
            # Added by revision 0028; created here too, since the fill below is today's definition.
            sa.Column("created_date", sa.Date(), nullable=True),
            sa.Column("probability_bp", sa.Integer(), nullable=True),
            sa.PrimaryKeyConstraint("deal_id"),
        )
    if "deal_duplicates" not in existing:
        op.create_table(
            "deal_duplicates",
            *_deal_columns(),
            sa.Column("others", sa.BigInteger(), nullable=False),
            # Added by revision 0021; created here too, since the fill below is today's definition.
            sa.Column("outcome", sa.String(), nullable=True),
            sa.Column("close_date", sa.Date(), nullable=True),
            sa.PrimaryKeyConstraint("deal_id"),
        )
    refresh_touches(bind)
    refresh_duplicates(bind)


def downgrade() -> None:
    op.drop_table("deal_duplicates")
    op.drop_table("open_deal_touches")

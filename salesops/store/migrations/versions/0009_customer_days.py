"""Derived customer purchase days: the customer_days table (each customer's won revenue per purchase
day, with the previous and next purchase day), filled from the stored deal kinds and deals.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01

The table is the stored result of salesops.store.derived.CUSTOMER_DAYS over deal_kinds, rewritten by
every write that changes deals or accounts (salesops.store.derived.refresh_derived); this revision
creates it and fills it for the store's existing deals, so a migrated store shows the same customer
figures as before. Where the table exists already it is only refilled.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from salesops.store.derived import refresh_customer_days

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if "customer_days" not in set(sa.inspect(bind).get_table_names()):
        op.create_table(
            "customer_days",
            sa.Column("customer_id", sa.String(), nullable=True),
            sa.Column("day", sa.Date(), nullable=False),
            sa.Column("first_day", sa.Date(), nullable=True),
            sa.Column("prev_day", sa.Date(), nullable=True),
            sa.Column("next_day", sa.Date(), nullable=True),
            sa.Column("is_back", sa.Integer(), nullable=True),
            sa.Column("lost_day", sa.Date(), nullable=True),
            sa.Column("active_until", sa.Date(), nullable=True),
            sa.Column("won_cents", sa.BigInteger(), nullable=False),
            sa.Column("existing_cents", sa.BigInteger(), nullable=False),
            sa.Column("deals", sa.Integer(), nullable=False),
            sa.Column("customer", sa.String(), nullable=True),
        )
    refresh_customer_days(bind)


def downgrade() -> None:
    op.drop_table("customer_days")

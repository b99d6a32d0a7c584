"""Derived customer tables: customer_days (each customer's won revenue per purchase day, with the
previous and next purchase day) and open_renewals (open renewal deals with their customer and last
stage change), filled from the stored deal kinds, deals and stage history.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01

The tables are the stored results of salesops.store.derived.CUSTOMER_DAYS and OPEN_RENEWALS,
rewritten by every write that changes deals or accounts (salesops.store.derived.refresh_derived);
this revision creates them and fills them for the store's existing deals, so a migrated store shows
the same customer figures as before. Where a table exists already it is only refilled.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from salesops.store.derived import DAY_COLUMNS, RENEWAL_COLUMNS, refresh_customer_days, refresh_open_renewals

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
    found = bind.execute(  # information_schema: the inspector's get_columns fails on DuckDB
        sa.text("SELECT column_name FROM information_schema.columns WHERE table_name = 'customer_days'")
    )
    if {c.strip() for c in DAY_COLUMNS.split(",")} <= {r[0] for r in found}:
        refresh_customer_days(bind)  # else a later revision adds the columns this code writes, and fills it
    if "open_renewals" not in set(sa.inspect(bind).get_table_names()):
        op.create_table(
            "open_renewals",
            sa.Column("deal_id", sa.String(), nullable=False),
            sa.Column("customer_id", sa.String(), nullable=False),
            sa.Column("rep_id", sa.String(), nullable=True),
            sa.Column("team_id", sa.String(), nullable=True),
            sa.Column("amount_cents", sa.BigInteger(), nullable=True),
            sa.Column("close_date", sa.Date(), nullable=True),
            sa.Column("created_date", sa.Date(), nullable=True),
            sa.Column("last_change", sa.Date(), nullable=True),
            sa.PrimaryKeyConstraint("deal_id"),
        )
    found = bind.execute(
        sa.text("SELECT column_name FROM information_schema.columns WHERE table_name = 'open_renewals'")
    )
    if {c.strip() for c in RENEWAL_COLUMNS.split(",")} <= {r[0] for r in found}:
        refresh_open_renewals(
            bind
        )  # else revision 0023 adds customer_key (read from 0018's customer_keys), and fills it


def downgrade() -> None:
    op.drop_table("open_renewals")
    op.drop_table("customer_days")

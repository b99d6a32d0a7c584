"""Customers page speed: the derived table customer_deal_ids (each customer's deal ids, in customer
order: the drill-down's deals of a few customers without scanning every deal), and
open_renewals.customer_key (the customer's number: the at-risk list's stale renewals summed per
number without reading customer_keys).

Revision ID: 0023
Revises: 0021
Create Date: 2026-12-02

Both are derived (salesops.store.customer_tables.CUSTOMER_DEAL_IDS, salesops.store.derived.OPEN_RENEWALS):
this revision adds the table and the column where missing and fills them from the store's rows.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from salesops.store.customer_tables import refresh_customer_deal_ids
from salesops.store.derived import refresh_open_renewals

revision = "0023"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    found = bind.execute(  # information_schema: the inspector's get_columns fails on DuckDB
        sa.text("SELECT column_name FROM information_schema.columns WHERE table_name = 'open_renewals'")
    )
    if "customer_key" not in {r[0] for r in found}:
        op.add_column("open_renewals", sa.Column("customer_key", sa.Integer(), nullable=True))
    if "customer_deal_ids" not in set(sa.inspect(bind).get_table_names()):
        op.create_table(
            "customer_deal_ids",
            sa.Column("customer_id", sa.String(), nullable=False),
            sa.Column("deal_id", sa.String(), nullable=False),
            sa.PrimaryKeyConstraint("customer_id", "deal_id"),
        )
    refresh_customer_deal_ids(bind)
    refresh_open_renewals(bind)


def downgrade() -> None:
    op.drop_table("customer_deal_ids")
    op.drop_column("open_renewals", "customer_key")

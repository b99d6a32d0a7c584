"""Customer numbers: customer_days gains customer_key (1, 2, ... in customer_id order), and the derived
table customer_keys holds one row per customer (number, id, name, first purchase day); the Customers
page's per-customer sums (accounts at risk, the drill-down) group on the integer and read the ids and
names of the rows they show from customer_keys; and customer_flows holds the per-period flows'
counts per grain (month, quarter, year) and period, which the flows read for the periods already over.

Revision ID: 0018
Revises: 0014
Create Date: 2026-12-02

Both are derived (salesops.store.derived.CUSTOMER_DAYS, salesops.store.customer_tables.CUSTOMER_KEYS):
this revision adds the column and the tables where missing, then rewrites customer_days and every table
derived from it (customer_keys, customer_years, cohort_quarters, customer_flows, account_roots) from the
store's rows.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from salesops.store.customer_tables import (
    refresh_cohort_quarters,
    refresh_customer_flows,
    refresh_customer_keys,
    refresh_customer_years,
)
from salesops.store.derived import refresh_account_roots, refresh_customer_days

revision = "0018"
down_revision = "0014"
branch_labels = None
depends_on = None


#: customer_flows' count columns, after grain and period_start.
_FLOW_COUNTS = ("won_cents", "existing_cents", "firsts", "backs", "lost", "starts", "untils")


def upgrade() -> None:
    bind = op.get_bind()
    found = bind.execute(  # information_schema: the inspector's get_columns fails on DuckDB
        sa.text("SELECT column_name FROM information_schema.columns WHERE table_name = 'customer_days'")
    )
    if "customer_key" not in {r[0] for r in found}:
        op.add_column("customer_days", sa.Column("customer_key", sa.Integer(), nullable=True))
    if "customer_keys" not in set(sa.inspect(bind).get_table_names()):
        op.create_table(
            "customer_keys",
            sa.Column("customer_key", sa.Integer(), nullable=False, autoincrement=False),
            sa.Column("customer_id", sa.String(), nullable=False),
            sa.Column("customer", sa.String(), nullable=True),
            sa.Column("first_day", sa.Date(), nullable=False),
            sa.PrimaryKeyConstraint("customer_key"),
        )
    if "customer_flows" not in set(sa.inspect(bind).get_table_names()):
        op.create_table(
            "customer_flows",
            sa.Column("grain", sa.String(), nullable=False),
            sa.Column("period_start", sa.Date(), nullable=False),
            *(sa.Column(c, sa.BigInteger(), nullable=False) for c in _FLOW_COUNTS),
            sa.PrimaryKeyConstraint("grain", "period_start"),
        )
    refresh_customer_days(bind)
    refresh_customer_keys(bind)
    refresh_customer_years(bind)
    refresh_cohort_quarters(bind)
    refresh_customer_flows(bind)
    refresh_account_roots(bind)


def downgrade() -> None:
    op.drop_table("customer_flows")
    op.drop_table("customer_keys")
    op.drop_column("customer_days", "customer_key")

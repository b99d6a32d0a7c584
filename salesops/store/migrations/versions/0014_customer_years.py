"""Derived per-year and per-quarter customer tables: customer_years (each customer's won revenue per
calendar year, with their cohort year's revenue) and cohort_quarters (the quarterly cohort grid's
counts), from which the Customers page reads revenue retention and the cohort grid of past years and
quarters instead of grouping every purchase day on each call.

Revision ID: 0014
Revises: 0015
Create Date: 2026-12-02

Both tables are derived (salesops.store.derived.CUSTOMER_YEARS and COHORT_QUARTERS, over
customer_days): this revision creates them where missing and fills them from the store's rows.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from salesops.store.customer_tables import refresh_cohort_quarters, refresh_customer_years

revision = "0014"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    tables = set(sa.inspect(bind).get_table_names())
    if "customer_years" not in tables:
        op.create_table(
            "customer_years",
            sa.Column("customer_id", sa.String(), nullable=False),
            sa.Column("year", sa.Integer(), nullable=False),
            sa.Column("cohort", sa.Integer(), nullable=False),
            sa.Column("won_cents", sa.BigInteger(), nullable=False),
            sa.Column("base_cents", sa.BigInteger(), nullable=False),
            sa.PrimaryKeyConstraint("customer_id", "year"),
        )
    if "cohort_quarters" not in tables:
        op.create_table(
            "cohort_quarters",
            sa.Column("cohort", sa.Date(), nullable=False),
            sa.Column("quarter", sa.Date(), nullable=False),
            sa.Column("firsts", sa.BigInteger(), nullable=False),
            sa.Column("starts", sa.BigInteger(), nullable=False),
            sa.Column("untils", sa.BigInteger(), nullable=False),
            sa.PrimaryKeyConstraint("cohort", "quarter"),
        )
    refresh_customer_years(bind)
    refresh_cohort_quarters(bind)


def downgrade() -> None:
    op.drop_table("cohort_quarters")
    op.drop_table("customer_years")

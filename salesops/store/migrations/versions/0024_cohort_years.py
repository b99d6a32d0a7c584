"""Customers page speed: the derived tables cohort_years (revenue retention's sums per cohort and
calendar year, from customer_years), which retention reads when no purchase day is stored after the
day it is measured at, instead of summing every customer's years; and customer_risk_spans (the
accounts at risk's per-customer sums for every span of days over which they stay the same), which the
at-risk list reads for its day instead of grouping every purchase day of 24 months.

Revision ID: 0024
Revises: 0022
Create Date: 2026-12-02

Derived (salesops.store.customer_tables.COHORT_YEARS, CUSTOMER_RISK_SPANS): this revision creates the
tables where missing and fills them from the store's customer_years and customer_days.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from salesops.store.customer_tables import refresh_cohort_years, refresh_customer_risk_spans

revision = "0024"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if "cohort_years" not in set(sa.inspect(bind).get_table_names()):
        op.create_table(
            "cohort_years",
            sa.Column("cohort", sa.Integer(), nullable=False),
            sa.Column("year", sa.Integer(), nullable=False),
            *(
                sa.Column(c, sa.BigInteger(), nullable=False)
                for c in ("customers", "base_cents", "revenue_cents", "kept_cents")
            ),
            sa.PrimaryKeyConstraint("cohort", "year"),
        )
    if "customer_risk_spans" not in set(sa.inspect(bind).get_table_names()):
        op.create_table(
            "customer_risk_spans",
            sa.Column("customer_key", sa.Integer(), nullable=False),
            sa.Column("valid_from", sa.Date(), nullable=False),
            sa.Column("valid_to", sa.Date(), nullable=True),
            sa.Column("last_12m_cents", sa.BigInteger(), nullable=False),
            sa.Column("prior_12m_cents", sa.BigInteger(), nullable=False),
            sa.Column("last_purchase", sa.Date(), nullable=False),
            sa.Column("cycle_days", sa.Double(), nullable=True),
            sa.PrimaryKeyConstraint("customer_key", "valid_from"),
        )
    refresh_cohort_years(bind)
    refresh_customer_risk_spans(bind)


def downgrade() -> None:
    op.drop_table("customer_risk_spans")
    op.drop_table("cohort_years")

"""customer_days gains cycle_days: each customer's usual cycle so far (the median gap between their
purchase days up to that day), which the accounts at risk read instead of a median per call.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01

The table is derived (salesops.store.derived.CUSTOMER_DAYS): the column is added where missing and
the table refilled from the stored deal kinds, so no data is lost.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from salesops.store.derived import DAY_COLUMNS, refresh_customer_days

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    found = bind.execute(  # information_schema: the inspector's get_columns fails on DuckDB
        sa.text("SELECT column_name FROM information_schema.columns WHERE table_name = 'customer_days'")
    )
    columns = {r[0] for r in found}
    if "cycle_days" not in columns:
        op.add_column("customer_days", sa.Column("cycle_days", sa.Double(), nullable=True))
    if {c.strip() for c in DAY_COLUMNS.split(",")} <= columns | {"cycle_days"}:
        refresh_customer_days(bind)  # else a later revision (0018) adds the columns this code writes, and fills it


def downgrade() -> None:
    op.drop_column("customer_days", "cycle_days")

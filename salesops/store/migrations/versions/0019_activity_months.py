"""Activities per month: rep_activity_months (rep_activity_days summed per calendar month, rep and
team), so the activity figures of a window read its whole months from it and only its edge days
from rep_activity_days.

Revision ID: 0019
Revises: 0023
Create Date: 2026-12-02

Derived (salesops.store.period_tables.activity_months_sql), kept by every write of activities
(salesops.store.derived.refresh_derived): this revision adds it where missing and fills it from the
store's rows, so a migrated store shows the same figures as before.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from salesops.store.period_tables import refresh_activity_months

revision = "0019"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if "rep_activity_months" not in set(sa.inspect(bind).get_table_names()):
        op.create_table(
            "rep_activity_months",
            sa.Column("month", sa.Date(), nullable=False),
            sa.Column("rep_id", sa.String(), nullable=False),
            sa.Column("team_id", sa.String(), nullable=True),
            sa.Column("activities", sa.BigInteger(), nullable=False),
        )
        if bind.dialect.name == "postgresql":
            op.create_index("ix_rep_activity_months_month", "rep_activity_months", ["month"])
    refresh_activity_months(bind)


def downgrade() -> None:
    op.drop_table("rep_activity_months")

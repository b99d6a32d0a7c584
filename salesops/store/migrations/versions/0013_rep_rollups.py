"""Rollup tables: rep_days (deals won, lost and created per rep, team and day) and
rep_activity_days (activities per rep, team and day), which the KPI tiles, attainment and the
leaderboards read instead of every deal and activity of their window.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02

The tables are derived (salesops.store.rollups.REP_DAYS and ACTIVITY_DAYS, over the deals and the
activities), rewritten by every write of deals or activities (salesops.store.derived.refresh_derived):
this revision creates them where missing (with PostgreSQL's index on the day) and fills them from the
store's rows, so a migrated store shows the same figures as before.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from salesops.store.rollups import refresh_activity_days, refresh_rep_days, stored_sums

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

# The revision's own copy of rollups.DAY_SUMS as they were at 0013.
_SUMS = ("won_count", "won_cents", "won_amounts", "won_cycle_days", "lost_count", "created_count", "created_cents")


def _day_columns() -> list[sa.Column]:
    return [
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("rep_id", sa.String(), nullable=False),
        sa.Column("team_id", sa.String(), nullable=True),
    ]


def upgrade() -> None:
    bind = op.get_bind()
    existing = set(sa.inspect(bind).get_table_names())
    postgres = bind.dialect.name == "postgresql"
    if "rep_days" not in existing:
        op.create_table("rep_days", *_day_columns(), *(sa.Column(c, sa.BigInteger(), nullable=False) for c in _SUMS))
        if postgres:
            op.create_index("ix_rep_days_day", "rep_days", ["day"])
    if "rep_activity_days" not in existing:
        op.create_table("rep_activity_days", *_day_columns(), sa.Column("activities", sa.BigInteger(), nullable=False))
        if postgres:
            op.create_index("ix_rep_activity_days_day", "rep_activity_days", ["day"])
    refresh_rep_days(bind, stored_sums(bind, "rep_days"))  # the sums its table has (0028 adds two)
    refresh_activity_days(bind)


def downgrade() -> None:
    op.drop_table("rep_activity_days")
    op.drop_table("rep_days")

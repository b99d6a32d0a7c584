"""Stored period ends and per-month rollups: quotas.period_end (each quota row's last day),
rep_months (rep_days summed per month, rep and team) and deal_change_days (the logged deal changes
with their kind and the changed deal's columns), so the Performance and Leaderboards figures read
them instead of recomputing them on every call.

Revision ID: 0016
Revises: 0017
Create Date: 2026-12-02

All three are derived (salesops.store.period_tables: QUOTA_PERIOD_END, REP_MONTHS, change_days_sql),
kept by every write of quotas, deals or deal changes (salesops.store.derived.refresh_derived): this
revision adds them where missing and fills them from the store's rows, so a migrated store shows the
same figures as before.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from salesops.store.period_tables import refresh_change_days, refresh_quota_ends, refresh_rep_months
from salesops.store.rollups import stored_sums

revision = "0016"
down_revision = "0017"
branch_labels = None
depends_on = None

# The revision's own copy of rollups.DAY_SUMS as they were at 0016.
_SUMS = ("won_count", "won_cents", "won_amounts", "won_cycle_days", "lost_count", "created_count", "created_cents")


def upgrade() -> None:
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    existing = set(inspector.get_table_names())
    postgres = bind.dialect.name == "postgresql"
    quota_columns = bind.execute(
        sa.text("SELECT column_name FROM information_schema.columns WHERE table_name = 'quotas'")
    ).scalars()
    if "period_end" not in set(quota_columns):  # (duckdb_engine's inspector cannot list columns)
        op.add_column("quotas", sa.Column("period_end", sa.Date(), nullable=True))
    if "rep_months" not in existing:
        op.create_table(
            "rep_months",
            sa.Column("month", sa.Date(), nullable=False),
            sa.Column("rep_id", sa.String(), nullable=False),
            sa.Column("team_id", sa.String(), nullable=True),
            *(sa.Column(c, sa.BigInteger(), nullable=False) for c in _SUMS),
        )
        if postgres:
            op.create_index("ix_rep_months_month", "rep_months", ["month"])
    if "deal_change_days" not in existing:
        op.create_table(
            "deal_change_days",
            sa.Column("changed_at", sa.Date(), nullable=False),
            sa.Column("deal_id", sa.String(), nullable=False),
            sa.Column("rep_id", sa.String(), nullable=False),
            sa.Column("team_id", sa.String(), nullable=True),
            sa.Column("amount_cents", sa.BigInteger(), nullable=True),
            *(sa.Column(c, sa.String(), nullable=True) for c in ("name", "account", "stage", "outcome")),
            sa.Column("kind", sa.String(), nullable=False),
            sa.Column("old_value", sa.String(), nullable=True),
            sa.Column("new_value", sa.String(), nullable=True),
            sa.Column("days_moved", sa.BigInteger(), nullable=True),
            sa.Column("amount_change_cents", sa.BigInteger(), nullable=True),
        )
        if postgres:
            op.create_index("ix_deal_change_days_changed_at", "deal_change_days", ["changed_at"])
    refresh_quota_ends(bind)
    refresh_rep_months(bind, stored_sums(bind, "rep_days", "rep_months"))  # the sums both have (0028 adds two)
    refresh_change_days(bind)


def downgrade() -> None:
    op.drop_table("deal_change_days")
    op.drop_table("rep_months")
    op.drop_column("quotas", "period_end")

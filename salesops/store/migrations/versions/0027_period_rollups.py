"""Leaderboards speed: the derived tables rep_periods and rep_activity_periods (rep_months and
rep_activity_months summed per quarter and per year, rep and team) and rep_period_quotas (the quota
rows prorated onto each quarter and year, per rep), which the leaderboard ranking and trend read for
their whole quarters and years and their quota instead of months and every quota row.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-02

Derived (salesops.store.grain_tables), rewritten by every write of deals, activities or quotas
(salesops.store.derived.refresh_derived): this revision creates the tables where missing and fills
them from the store's month tables and quotas, so a migrated store shows the same figures as before.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from salesops.store.grain_tables import refresh_activity_periods, refresh_period_quotas, refresh_rep_periods
from salesops.store.rollups import stored_sums

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

_KEY = ("grain", "period_start", "rep_id")
# The revision's own copy of rollups.DAY_SUMS as they were at 0027.
_SUMS = ("won_count", "won_cents", "won_amounts", "won_cycle_days", "lost_count", "created_count", "created_cents")


def _key() -> list[sa.Column]:
    return [
        sa.Column("grain", sa.String(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("rep_id", sa.String(), nullable=False),
    ]


def upgrade() -> None:
    bind = op.get_bind()
    existing = set(sa.inspect(bind).get_table_names())
    tables = {
        "rep_periods": [
            *_key(),
            sa.Column("team_id", sa.String(), nullable=True),
            *(sa.Column(c, sa.BigInteger(), nullable=False) for c in _SUMS),
        ],
        "rep_activity_periods": [
            *_key(),
            sa.Column("team_id", sa.String(), nullable=True),
            sa.Column("activities", sa.BigInteger(), nullable=False),
        ],
        "rep_period_quotas": [*_key(), sa.Column("quota_cents", sa.Double(), nullable=False)],
    }
    for name, columns in tables.items():
        if name not in existing:
            op.create_table(name, *columns)
            if bind.dialect.name == "postgresql":
                op.create_index(f"ix_{name}_period", name, ["grain", "period_start"])
    refresh_rep_periods(bind, stored_sums(bind, "rep_months", "rep_periods"))  # the sums both have (0028 adds two)
    refresh_activity_periods(bind)
    refresh_period_quotas(bind)


def downgrade() -> None:
    for name in ("rep_period_quotas", "rep_activity_periods", "rep_periods"):
        op.drop_table(name)

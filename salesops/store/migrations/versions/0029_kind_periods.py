"""Leaderboards speed: the derived table rep_kind_periods (the won deals of deal_kinds per kind, rep,
team and day, month, quarter and year: how many, how many of new business and of expansion, and
their amounts), which the leaderboard ranking and trend read for their new-logo and expansion
revenue instead of every won deal of the window in deal_kinds.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-03

Derived (salesops.store.kind_tables.REP_KIND_PERIODS), rewritten right after deal_kinds by every
write that rewrites it (salesops.store.derived.refresh_derived): this revision creates the table
where missing and fills it from the store's deal_kinds, so a migrated store shows the same figures
as before.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from salesops.store.kind_tables import refresh_kind_periods

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

# The revision's own copy of kind_tables.KIND_PERIOD_SUMS.
_SUMS = ("won_count", "new_logo_count", "new_logo_cents", "expansion_count", "expansion_cents")


def upgrade() -> None:
    bind = op.get_bind()
    if "rep_kind_periods" not in set(sa.inspect(bind).get_table_names()):
        op.create_table(
            "rep_kind_periods",
            sa.Column("grain", sa.String(), nullable=False),
            sa.Column("period_start", sa.Date(), nullable=False),
            sa.Column("rep_id", sa.String(), nullable=False),
            sa.Column("team_id", sa.String(), nullable=True),
            *(sa.Column(c, sa.BigInteger(), nullable=False) for c in _SUMS),
        )
        if bind.dialect.name == "postgresql":
            op.create_index("ix_rep_kind_periods_period", "rep_kind_periods", ["grain", "period_start"])
    refresh_kind_periods(bind)


def downgrade() -> None:
    op.drop_table("rep_kind_periods")

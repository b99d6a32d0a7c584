"""Team performance speed at scale: two more sums in the deal rollups rep_days, rep_months and
rep_periods — created_won_cents (of the deals created that day, the amount of those won since: the
funnel's won value) and closed_pipe_cents (the closed pipeline's change that day: summed over every
day up to a date, the amount of the deals open then that have closed since) — and the open deals'
created date and probability in open_deal_touches (the table of the open deals), so the KPI tiles',
the headline's and the funnel's pipeline figures read a few stored rows per rep and the open deals
alone instead of every deal closed since a past window's end or created in the range, and every
deal's outcome.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-03

Derived (salesops.store.rollups.rep_days_sql, period_tables.rep_months_sql, grain_tables.rep_periods_sql),
rewritten by every write of deals (salesops.store.derived.refresh_derived): this revision adds the
columns where missing (the tables emptied first: DuckDB adds a NOT NULL column to an empty table in a
transaction that wrote it, not to one with rows) and fills the three tables from the store's deals,
so a migrated store shows the same figures as before; open_deal_touches likewise (its two columns
added, the table refilled from the deals, the stage history and the activities).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from salesops.store.grain_tables import refresh_rep_periods
from salesops.store.health_tables import refresh_touches
from salesops.store.period_tables import refresh_rep_months
from salesops.store.rollups import refresh_rep_days, stored_sums

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

#: The sums this revision adds (the revision's own copy of them).
_ADDED = ("created_won_cents", "closed_pipe_cents")
_TABLES = ("rep_days", "rep_months", "rep_periods")
#: The columns this revision adds to open_deal_touches (revision 0017 creates them too: its fill is
#: today's definition).
_TOUCH_ADDED = {"created_date": "DATE", "probability_bp": "INTEGER"}


def upgrade() -> None:
    bind = op.get_bind()
    for table in _TABLES:
        missing = [c for c in _ADDED if c not in stored_sums(bind, table)]
        if not missing:
            continue
        op.execute(sa.text(f"DELETE FROM {table}"))  # noqa: S608 - our names; refilled below
        for col in missing:
            op.execute(sa.text(f"ALTER TABLE {table} ADD COLUMN {col} BIGINT"))
            op.execute(sa.text(f"ALTER TABLE {table} ALTER COLUMN {col} SET NOT NULL"))
    refresh_rep_days(bind)
    refresh_rep_months(bind)
    refresh_rep_periods(bind)
    touch_columns = set(
        bind.execute(
            sa.text(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND table_name = 'open_deal_touches'"
            )
        ).scalars()
    )
    touch_missing = {c: t for c, t in _TOUCH_ADDED.items() if c not in touch_columns}
    if touch_missing:
        op.execute(sa.text("DELETE FROM open_deal_touches"))  # refilled below
        for col, typ in touch_missing.items():
            op.execute(sa.text(f"ALTER TABLE open_deal_touches ADD COLUMN {col} {typ}"))
    refresh_touches(bind)


def downgrade() -> None:
    for table in _TABLES:
        for col in _ADDED:
            op.drop_column(table, col)
    for col in _TOUCH_ADDED:
        op.drop_column("open_deal_touches", col)

"""Stored table of revision 0029: ``rep_kind_periods``, the won deals of ``deal_kinds`` summed per
kind, rep, team and day, month, quarter and year.

:data:`REP_KIND_PERIODS` is its one definition: the won deals (``deal_kinds`` rows with a kind: every
won deal with a close date, :data:`salesops.store.sql.WON_KINDS`) per ``grain`` ('day', 'month',
'quarter', 'year'), ``period_start`` (the close day, or the first day of the period holding it),
rep and team (the deal's own, copied in ``deal_kinds``): how many (``won_count``), how many of kind
new business and expansion (``new_logo_count``, ``expansion_count``) and their amounts
(``new_logo_cents``, ``expansion_cents``; an unknown amount adds 0). The leaderboards' new-logo and
expansion revenue read a window of it as the deal rollups are read
(:func:`salesops.store.period_tables.ranges_weighted_rows` and the others with ``source="kinds"``:
whole years and quarters, whole months and the days at the edges, each with a sign) instead of every
won deal in the window.

Any deal or account can change any other deal's kind (an earlier win makes a later one existing
business; a parent link moves a deal to another customer), so the table is rewritten whole right
after ``deal_kinds`` in the transaction of every write that rewrites it
(:func:`salesops.store.derived.refresh_derived`), in grain and day order so DuckDB reads only a
window's row groups (PostgreSQL has an index on grain and period start).
tests/unit/test_rollups.py checks it equals the won deals summed apart (in pandas) after the demo
build, imports, updates, deletes and the migration that fills it.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Date, Index, String, Table
from sqlalchemy.engine import Connection

from salesops.store import schema
from salesops.store.rollups import rewrite

#: The levels stored, finest first (a week straddles months: a weekly grain reads the days).
KIND_GRAINS = ("day", "month", "quarter", "year")
#: The sums per grain, period, rep and team.
KIND_PERIOD_SUMS = ("won_count", "new_logo_count", "new_logo_cents", "expansion_count", "expansion_cents")
#: Each kind sum's stored kind (``deal_kinds.kind``), the one split of new business and expansion.
KIND_OF = {"new_logo": "new_business", "expansion": "expansion"}

rep_kind_periods = Table(
    "rep_kind_periods",
    schema.metadata,
    Column("grain", String, nullable=False),  # day, month, quarter or year
    Column("period_start", Date, nullable=False),  # the day, or the period's first day
    Column("rep_id", String, nullable=False),
    Column("team_id", String),
    *(Column(c, BigInteger, nullable=False) for c in KIND_PERIOD_SUMS),
)
Index("ix_rep_kind_periods_period", rep_kind_periods.c.grain, rep_kind_periods.c.period_start).ddl_if(
    dialect="postgresql"
)


def _start(grain: str) -> str:
    return "close_date" if grain == "day" else f"CAST(date_trunc('{grain}', close_date) AS DATE)"


def _sums() -> str:
    out = ["COUNT(*) AS won_count"]
    for name, kind in KIND_OF.items():
        out.append(f"COUNT(*) FILTER (WHERE kind = '{kind}') AS {name}_count")
        out.append(f"COALESCE(SUM(amount_cents) FILTER (WHERE kind = '{kind}'), 0) AS {name}_cents")
    return ", ".join(out)


#: The one definition of ``rep_kind_periods``: the won deals of ``deal_kinds`` (a kind is set on
#: every won deal with a close date) summed per grain, period, rep and team.
REP_KIND_PERIODS = " UNION ALL ".join(
    f"""
SELECT '{g}' AS grain, {_start(g)} AS period_start, rep_id, team_id, {_sums()}
FROM deal_kinds
WHERE kind IS NOT NULL AND close_date IS NOT NULL
GROUP BY {_start(g)}, rep_id, team_id"""  # noqa: S608 - our constants
    for g in KIND_GRAINS
)
#: The columns of ``rep_kind_periods`` in the order :data:`REP_KIND_PERIODS` gives them.
KIND_PERIOD_COLUMNS = ", ".join(("grain", "period_start", "rep_id", "team_id", *KIND_PERIOD_SUMS))


def refresh_kind_periods(conn: Connection) -> int:
    """Rewrite ``rep_kind_periods`` from ``deal_kinds`` (refresh it first), in the caller's
    transaction, in grain and day order; return its rows."""
    return rewrite(
        conn, "rep_kind_periods", KIND_PERIOD_COLUMNS, REP_KIND_PERIODS, "grain, period_start, rep_id, team_id"
    )

"""Rollups of the leads (revision 0022), the stored result of one statement each over ``leads``,
rewritten whole in the transaction of every write of leads (the demo build, leads imports:
:func:`salesops.store.derived.refresh_derived`), so lead fairness reads pre-counted rows:

* ``lead_months`` (:data:`LEAD_MONTHS`): the leads with a rep per calendar month (of ``created_at``),
  rep and team (the lead's own team): the fairness trend's counts per month, team and rep for the
  whole months of its window (the days of a partial last month still come from ``leads``);
* ``lead_source_days`` (:data:`LEAD_SOURCE_DAYS`): every lead per created day and source, with those
  that reached ``won``: each source's historical conversion rate (the quality weighting of lead
  fairness) from a few thousand rows instead of every lead before the period.

tests/unit/test_rollups.py checks both equal their definition worked out in pandas after the demo
build, leads imports (new and updated leads), deletes and the migration.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import BigInteger, Column, Date, Index, String, Table
from sqlalchemy.engine import Connection

from salesops.store import schema
from salesops.store.period_tables import months_and_edge_days
from salesops.store.rollups import rewrite

lead_months = Table(
    "lead_months",
    schema.metadata,
    Column("month", Date, nullable=False),  # the month's first day
    Column("rep_id", String, nullable=False),
    Column("team_id", String),
    Column("leads", BigInteger, nullable=False),
)
lead_source_days = Table(
    "lead_source_days",
    schema.metadata,
    Column("day", Date, nullable=False),
    Column("source", String, nullable=False),
    Column("leads", BigInteger, nullable=False),
    Column("won", BigInteger, nullable=False),  # of them, those whose furthest stage is won
)
Index("ix_lead_months_month", lead_months.c.month).ddl_if(dialect="postgresql")

#: The one definition of ``lead_months``: leads with a rep, counted per month, rep and team.
LEAD_MONTHS = """
SELECT CAST(date_trunc('month', created_at) AS DATE) AS month, rep_id, team_id, COUNT(*) AS leads
FROM leads WHERE rep_id IS NOT NULL
GROUP BY CAST(date_trunc('month', created_at) AS DATE), rep_id, team_id
"""
#: The one definition of ``lead_source_days``: every lead counted per created day and source.
LEAD_SOURCE_DAYS = """
SELECT created_at AS day, source, COUNT(*) AS leads,
       COUNT(CASE WHEN furthest_stage = 'won' THEN 1 END) AS won
FROM leads GROUP BY created_at, source
"""


def refresh_lead_tables(conn: Connection) -> dict[str, int]:
    """Rewrite both tables from the leads, in the caller's transaction; return their rows."""
    return {
        "lead_months": rewrite(
            conn, "lead_months", "month, rep_id, team_id, leads", LEAD_MONTHS, "month, rep_id, team_id"
        ),
        "lead_source_days": rewrite(
            conn, "lead_source_days", "day, source, leads, won", LEAD_SOURCE_DAYS, "day, source"
        ),
    }


def month_and_edge_binds(first: date, end: date, prefix: str) -> dict[str, date]:
    """Binds ``{prefix}_m0``/``_m1`` (the whole months of [first, end], ``first`` a month's first day)
    and ``{prefix}_e0``/``_e1`` (the days after them up to ``end``); an empty range is bound as a
    day after its end, so the SQL is the same for every window."""
    if first.day != 1:
        raise ValueError(f"{first} is not a month's first day")
    months, edges = months_and_edge_days(first, end)
    empty = (end + timedelta(days=1), end)
    m0, m1 = months or empty
    e0, e1 = edges[-1] if edges else empty
    return {f"{prefix}_m0": m0, f"{prefix}_m1": m1, f"{prefix}_e0": e0, f"{prefix}_e1": e1}

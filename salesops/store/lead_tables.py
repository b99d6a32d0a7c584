"""Rollups of the leads (revision 0022), the stored result of one statement each over ``leads``,
rewritten whole in the transaction of every write of leads (the demo build, leads imports:
:func:`salesops.store.derived.refresh_derived`), so lead fairness reads pre-counted rows:

* ``lead_months`` (:data:`LEAD_MONTHS`): the leads with a rep per calendar month (of ``created_at``),
  rep and team (the lead's own team): the fairness trend's counts per month, team and rep for the
  whole months of its window (the days of a partial last month still come from ``leads``);
* ``lead_source_days`` (:data:`LEAD_SOURCE_DAYS`): every lead per created day and source, with those
  that reached ``won``: each source's historical conversion rate (the quality weighting of lead
  fairness) from a few thousand rows instead of every lead before the period;
* ``lead_stage_months`` (:data:`LEAD_STAGE_MONTHS`, revision 0026): every lead per calendar month,
  team (the lead's own) and furthest stage: the funnel's stage counts of a window read its months
  from it, less or plus the few days at its edges from ``leads`` (:func:`lead_stage_rows`).

tests/unit/test_rollups.py checks both equal their definition worked out in pandas after the demo
build, leads imports (new and updated leads), deletes and the migration.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import BigInteger, Column, Date, Index, String, Table
from sqlalchemy.engine import Connection

from salesops.store import schema
from salesops.store.period_tables import months_and_edge_days, months_and_signed_days
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
#: Every lead per month, team and furthest stage (revision 0026): :data:`LEAD_STAGE_MONTHS`.
lead_stage_months = Table(
    "lead_stage_months",
    schema.metadata,
    Column("month", Date, nullable=False),  # the month's first day
    Column("team_id", String),
    Column("furthest_stage", String, nullable=False),
    Column("leads", BigInteger, nullable=False),
)
Index("ix_lead_months_month", lead_months.c.month).ddl_if(dialect="postgresql")
Index("ix_lead_stage_months_month", lead_stage_months.c.month).ddl_if(dialect="postgresql")

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
#: The one definition of ``lead_stage_months``: every lead counted per month, team and furthest stage.
LEAD_STAGE_MONTHS = """
SELECT CAST(date_trunc('month', created_at) AS DATE) AS month, team_id, furthest_stage, COUNT(*) AS leads
FROM leads
GROUP BY CAST(date_trunc('month', created_at) AS DATE), team_id, furthest_stage
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


def refresh_lead_stage_months(conn: Connection) -> int:
    """Rewrite ``lead_stage_months`` from the leads (revision 0026), in the caller's transaction, in
    month order; return its rows."""
    return rewrite(
        conn, "lead_stage_months", "month, team_id, furthest_stage, leads", LEAD_STAGE_MONTHS, "month, team_id"
    )


def lead_stage_rows(start: date, end: date, prefix: str, tag: str) -> tuple[str, dict]:
    """The leads created in [start, end] counted per team and furthest stage, as signed rows: an SQL
    relation (sgn, team_id, furthest_stage, tag, n) and its binds. Its months come from
    ``lead_stage_months``, less or plus the days at its edges counted from ``leads``
    (:func:`salesops.store.period_tables.months_and_signed_days`), so ``SUM(sgn * n)`` per team and
    stage is the count of the window's leads, and a team and stage has leads in it where that sum is
    above 0. ``tag`` is an SQL expression of ours carried on every row (which window it is)."""
    months, days = months_and_signed_days(start, end)
    parts, binds = [], {}
    if months is not None:
        parts.append(
            f"SELECT 1 AS sgn, team_id, furthest_stage, {tag} AS tag, leads AS n FROM lead_stage_months "  # noqa: S608
            f"WHERE month BETWEEN :{prefix}_m0 AND :{prefix}_m1"
        )
        binds[f"{prefix}_m0"], binds[f"{prefix}_m1"] = months
    for i, (sign, lo, hi) in enumerate(days):
        parts.append(
            f"SELECT {sign} AS sgn, team_id, furthest_stage, {tag} AS tag, COUNT(*) AS n FROM leads "  # noqa: S608
            f"WHERE created_at BETWEEN :{prefix}_{i}a AND :{prefix}_{i}b GROUP BY team_id, furthest_stage"
        )
        binds[f"{prefix}_{i}a"], binds[f"{prefix}_{i}b"] = lo, hi
    return "(" + " UNION ALL ".join(parts) + ")", binds


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

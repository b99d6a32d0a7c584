"""Stored tables of revisions 0016, 0019 and 0025, each the stored result of one definition over the raw tables,
rewritten in the transaction of every write that can change it (:func:`salesops.store.derived.refresh_derived`):

* ``rep_months`` (:data:`REP_MONTHS`): ``rep_days`` summed per calendar month, rep and team (the
  same sums, :data:`salesops.store.rollups.DAY_SUMS`): a window of whole months reads one row per
  rep and month instead of one per day; the days at a window's edges still come from ``rep_days``
  (:func:`months_and_edge_days`);
* ``deal_change_days`` (:data:`CHANGE_DAYS`): each logged close-date or amount change that moved
  something (pushed, pulled in, amount up / down), with its kind and size and the changed deal's rep,
  team, current amount, name, account, stage and outcome copied: the review week reads its days
  without joining every deal;
* ``deal_event_days`` (:data:`EVENT_DAYS`, revision 0025): every deal on its created day (kind
  ``created``) and, won or lost, on its close day (kind ``won`` / ``lost``), with the deal's rep,
  team, current amount, name, account, stage and outcome copied, in day order: the review week reads
  its created, won and lost deals from a few adjacent rows instead of testing every deal's dates;
* ``rep_activity_months`` (:func:`activity_months_sql`, revision 0019): ``rep_activity_days``
  summed per calendar month, rep and team, read like ``rep_months`` (:func:`rep_day_rows` with
  ``source="activities"``); an activities import rewrites only the months it touched;
* ``quotas.period_end``: each quota row's last day, :data:`salesops.store.sql.QUOTA_PERIOD_END` of
  its period type and start (:func:`refresh_quota_ends`), so a window's quota rows are found and
  prorated without the interval arithmetic on every read.

docs/METRICS.md ("Rollups") says which figures read which table; tests/unit/test_rollups.py checks
each equals its definition over the raw tables after the demo build, imports, updates and deletes.
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy import BigInteger, Column, Date, Index, String, Table
from sqlalchemy.engine import Connection

from salesops.store import schema
from salesops.store.dialect import try_cast
from salesops.store.rollups import DAY_SUMS, rewrite
from salesops.store.sql import QUOTA_PERIOD_END

rep_months = Table(
    "rep_months",
    schema.metadata,
    Column("month", Date, nullable=False),  # the month's first day
    Column("rep_id", String, nullable=False),
    Column("team_id", String),
    *(Column(c, BigInteger, nullable=False) for c in DAY_SUMS),
)

#: The columns of ``deal_change_days`` after the deal's copied ones.
CHANGE_COLUMNS = ("kind", "old_value", "new_value", "days_moved", "amount_change_cents")
#: The deal columns ``deal_change_days`` and ``deal_event_days`` carry (the deal's current values).
DEAL_COPIES = ("rep_id", "team_id", "amount_cents", "name", "account", "stage", "outcome")


def _deal_copies() -> list[Column]:
    """The :data:`DEAL_COPIES` columns of a day table (each table needs its own Column objects)."""
    kinds = {"rep_id": String, "team_id": String, "amount_cents": BigInteger}
    return [Column(c, kinds.get(c, String), nullable=c != "rep_id") for c in DEAL_COPIES]


deal_change_days = Table(
    "deal_change_days",
    schema.metadata,
    Column("changed_at", Date, nullable=False),
    Column("deal_id", String, nullable=False),
    *_deal_copies(),
    Column("kind", String, nullable=False),
    Column("old_value", String),
    Column("new_value", String),
    Column("days_moved", BigInteger),
    Column("amount_change_cents", BigInteger),
)
#: Every deal created, won or lost, on its day (revision 0025): :data:`EVENT_DAYS`.
deal_event_days = Table(
    "deal_event_days",
    schema.metadata,
    Column("day", Date, nullable=False),
    Column("kind", String, nullable=False),  # created, won or lost
    Column("deal_id", String, nullable=False),
    *_deal_copies(),
)
#: ``rep_activity_days`` per calendar month (revision 0019): :func:`activity_months_sql`.
rep_activity_months = Table(
    "rep_activity_months",
    schema.metadata,
    Column("month", Date, nullable=False),  # the month's first day
    Column("rep_id", String, nullable=False),
    Column("team_id", String),
    Column("activities", BigInteger, nullable=False),
)
for _table, _col in (
    (rep_months, "month"),
    (deal_change_days, "changed_at"),
    (rep_activity_months, "month"),
    (deal_event_days, "day"),
):
    Index(f"ix_{_table.name}_{_col}", _table.c[_col]).ddl_if(dialect="postgresql")

_SUMS = ", ".join(DAY_SUMS)
#: The one definition of ``rep_months``: ``rep_days`` summed per month, rep and team.
REP_MONTHS = f"""
SELECT CAST(date_trunc('month', day) AS DATE) AS month, rep_id, team_id,
       {", ".join(f"SUM({c}) AS {c}" for c in DAY_SUMS)}
FROM rep_days
GROUP BY CAST(date_trunc('month', day) AS DATE), rep_id, team_id
"""  # noqa: S608 - our constants


_COPIES = ", ".join(DEAL_COPIES)
#: The one definition of ``deal_event_days``: each deal on its created day (kind ``created``; a
#: deal without a created date has no such day) and each won or lost deal on its close day (kind
#: its outcome; without a close date, none), with the deal's current columns.
EVENT_DAYS = f"""
SELECT created_date AS day, 'created' AS kind, deal_id, {_COPIES}
FROM deals WHERE created_date IS NOT NULL
UNION ALL
SELECT close_date AS day, outcome AS kind, deal_id, {_COPIES}
FROM deals WHERE outcome IN ('won', 'lost') AND close_date IS NOT NULL
"""  # noqa: S608 - our constants


def activity_months_sql(where: str = "TRUE") -> str:
    """The one definition of ``rep_activity_months``: ``rep_activity_days`` summed per month, rep and
    team (of the day rows matching ``where``, our own SQL: all, or the months an import touched)."""
    return f"""
SELECT CAST(date_trunc('month', day) AS DATE) AS month, rep_id, team_id, SUM(activities) AS activities
FROM rep_activity_days
WHERE {where}
GROUP BY CAST(date_trunc('month', day) AS DATE), rep_id, team_id
"""  # noqa: S608 - our constants


def change_kind_sql(bind) -> str:
    """Kind of a logged change ``c`` (NULL for a change that moved nothing: same value, or unreadable)."""
    new_d, old_d = try_cast(bind, "c.new_value", "DATE"), try_cast(bind, "c.old_value", "DATE")
    new_n, old_n = try_cast(bind, "c.new_value", "BIGINT"), try_cast(bind, "c.old_value", "BIGINT")
    return f"""CASE
        WHEN c.field = 'close_date' AND {new_d} > {old_d} THEN 'pushed'
        WHEN c.field = 'close_date' AND {new_d} < {old_d} THEN 'pulled in'
        WHEN c.field = 'amount_cents' AND {new_n} > {old_n} THEN 'amount up'
        WHEN c.field = 'amount_cents' AND {new_n} < {old_n} THEN 'amount down'
    END"""


def change_days_sql(bind) -> str:
    """The one definition of ``deal_change_days``: every logged change of a stored deal with its
    kind (:func:`change_kind_sql`; changes that moved nothing are left out), the days a close date
    moved (new − old) and the cents an amount moved, and the deal's current columns."""
    cast = lambda col, typ: try_cast(bind, f"c.{col}", typ)  # noqa: E731 - a local shorthand
    return f"""
SELECT * FROM (
    SELECT c.changed_at, c.deal_id, {", ".join(f"d.{col}" for col in DEAL_COPIES)},
           {change_kind_sql(bind)} AS kind, c.old_value, c.new_value,
           CASE WHEN c.field = 'close_date' THEN {cast("new_value", "DATE")} - {cast("old_value", "DATE")} END
               AS days_moved,
           CASE WHEN c.field = 'amount_cents' THEN {cast("new_value", "BIGINT")} - {cast("old_value", "BIGINT")} END
               AS amount_change_cents
    FROM deal_changes c JOIN deals d ON d.deal_id = c.deal_id
) x WHERE kind IS NOT NULL
"""  # noqa: S608 - our fragments


def _rewrite(conn: Connection, table: Table, select: str, order: str) -> int:
    return rewrite(conn, table.name, ", ".join(c.name for c in table.columns), select, order)


def refresh_rep_months(conn: Connection) -> int:
    """Rewrite ``rep_months`` from ``rep_days`` (refresh it first), in month order; return its rows."""
    return _rewrite(conn, rep_months, REP_MONTHS, "month, rep_id, team_id")


def refresh_activity_months(conn: Connection, months: list[date] | None = None) -> int:
    """Rewrite ``rep_activity_months`` from ``rep_activity_days`` (refresh it first): whole, or only
    the ``months`` (first days) an import touched (:func:`salesops.store.rollups.touched_months`) —
    a month's rows are the same statement over that month's days; return its rows."""
    if months is None:
        return _rewrite(conn, rep_activity_months, activity_months_sql(), "month, rep_id, team_id")
    if months:
        # the touched months as bound dates; a day is in them when its month's first day is
        marks = ", ".join(f"CAST(:m{i} AS DATE)" for i in range(len(months)))
        binds = {f"m{i}": m for i, m in enumerate(months)}
        conn.execute(sa.text(f"DELETE FROM rep_activity_months WHERE month IN ({marks})"), binds)  # noqa: S608
        select = activity_months_sql(f"CAST(date_trunc('month', day) AS DATE) IN ({marks})")
        conn.execute(
            sa.text(f"INSERT INTO rep_activity_months (month, rep_id, team_id, activities) {select}"),  # noqa: S608
            binds,
        )
    return int(conn.execute(sa.text("SELECT COUNT(*) FROM rep_activity_months")).scalar_one())


def refresh_change_days(conn: Connection) -> int:
    """Rewrite ``deal_change_days`` from the deals and their logged changes, in day order; return its rows."""
    return _rewrite(conn, deal_change_days, change_days_sql(conn), "changed_at, deal_id, kind")


def refresh_event_days(conn: Connection) -> int:
    """Rewrite ``deal_event_days`` from the deals, in day order; return its rows."""
    return _rewrite(conn, deal_event_days, EVENT_DAYS, "day, kind, deal_id")


def refresh_quota_ends(conn: Connection) -> int:
    """Set every quota row's ``period_end`` to :data:`QUOTA_PERIOD_END` where it differs (new or
    re-typed rows); return the rows set."""
    res = conn.execute(
        sa.text(
            f"UPDATE quotas SET period_end = {QUOTA_PERIOD_END} "  # noqa: S608 - our constant
            f"WHERE period_end IS NULL OR period_end <> {QUOTA_PERIOD_END}"
        )
    )
    return int(res.rowcount or 0)


def months_and_edge_days(start: date, end: date) -> tuple[tuple[date, date] | None, list[tuple[date, date]]]:
    """Split the days [start, end] into the whole calendar months inside it — (first month's first
    day, last month's first day), or None — and the day ranges left at its edges (0 to 2 ranges):
    the whole months are read from ``rep_months``, the edges from ``rep_days``."""
    first = start if start.day == 1 else (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    after = (end + timedelta(days=1)).replace(day=1) if (end + timedelta(days=1)).day == 1 else end.replace(day=1)
    if first >= after:
        return None, [(start, end)]
    last_month = (after - timedelta(days=1)).replace(day=1)
    edges = [(start, first - timedelta(days=1))] if start < first else []
    if after <= end:
        edges.append((after, end))
    return (first, last_month), edges


def _month_end(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def months_and_signed_days(start: date, end: date) -> tuple[tuple[date, date] | None, list[tuple[int, date, date]]]:
    """Like :func:`months_and_edge_days`, but a partial month at an edge is read whole from the
    month table, less the days outside [start, end] (sign -1), where those are fewer than the days
    inside (sign +1): a range to yesterday reads its last month whole less the days still to come
    (usually none). Returns the whole months (first month's first day, last one's) or None, and
    (sign, first day, last day) day ranges: per rep and team, month rows plus the signed days' sums
    are the sums of the days [start, end]."""
    first, last = start.replace(day=1), end.replace(day=1)
    months: list[date] = []
    days: list[tuple[int, date, date]] = []
    if first == last:  # one month, possibly cut at both ends
        inside = (end - start).days + 1
        if _month_end(end).day - inside < inside:
            months = [first]
            if start > first:
                days.append((-1, first, start - timedelta(days=1)))
            if end < _month_end(end):
                days.append((-1, end + timedelta(days=1), _month_end(end)))
        else:
            days.append((1, start, end))
        return ((months[0], months[0]) if months else None), days
    lo, hi = first, last  # months read whole, if any
    if start > first:  # the first month is cut: its days inside, or the month less those before
        if start.day - 1 < (_month_end(start) - start).days + 1:
            days.append((-1, first, start - timedelta(days=1)))
        else:
            days.append((1, start, _month_end(start)))
            lo = _month_end(start) + timedelta(days=1)
    if end < _month_end(end):  # the last month is cut
        if (_month_end(end) - end).days < end.day:
            days.append((-1, end + timedelta(days=1), _month_end(end)))
        else:
            days.append((1, last, end))
            hi = (last - timedelta(days=1)).replace(day=1)
    return ((lo, hi) if lo <= hi else None), days


def _minus(hull: tuple[date, date], ranges: list[tuple[date, date]]) -> list[tuple[date, date]]:
    """The day ranges of ``hull`` that fall in none of ``ranges`` (in day order)."""
    gaps, at = [], hull[0]
    for lo, hi in sorted(ranges):
        if lo > at:
            gaps.append((at, min(lo - timedelta(days=1), hull[1])))
        at = max(at, hi + timedelta(days=1))
    if at <= hull[1]:
        gaps.append((at, hull[1]))
    return gaps


def ranges_day_rows(
    ranges: list[tuple[date, date]], prefix: str = "rr", source: str = "deals", signed: bool = False
) -> tuple[str, dict]:
    """``rep_days`` rows of the days from the first range's start to the last one's end, each
    tagged ``rng``: the number of the range it falls in (a day in two ranges comes once per range),
    -1 for the days in none (their rows carry no sum into any range, but they are rows of the
    span). Each part reads its whole months from ``rep_months`` and its edge days from ``rep_days``
    (:func:`rep_day_rows`): per range and per rep, team the same integer sums as ``rep_days`` rows
    of the span split by date, over a fraction of the rows. ``signed``: :func:`rep_day_rows`'
    signed rows (a ``sgn`` column after ``rng``)."""
    hull = (min(lo for lo, _ in ranges), max(hi for _, hi in ranges))
    tagged = [*enumerate(ranges), *((-1, gap) for gap in _minus(hull, ranges))]
    parts, binds = [], {}
    for j, (tag, (lo, hi)) in enumerate(tagged):
        rows, more = rep_day_rows(lo, hi, "month", prefix=f"{prefix}{j}", source=source, signed=signed)
        parts.append(f"SELECT {tag} AS rng, x.* FROM {rows} x")  # noqa: S608 - our fragments
        binds.update(more)
    return "(" + " UNION ALL ".join(parts) + ")", binds


#: Per rollup, a sum that is 1 or more on every day row (a row counts a deal won, lost or created,
#: or an activity): a rep and team has rows in a window when its signed sum there is above 0.
COUNTS = {"deals": "won_count + lost_count + created_count", "activities": "activities"}
#: The day and month tables of each rollup, and their sums.
ROLLUPS = {
    "deals": ("rep_days", "rep_months", DAY_SUMS),
    "activities": ("rep_activity_days", "rep_activity_months", ("activities",)),
}


def window_rows(start: date, end: date, prefix: str = "wr", source: str = "deals") -> tuple[str, dict]:
    """The day table's rows of the days [start, end] for sums over the whole window, read signed
    (:func:`rep_day_rows` with ``signed``: whole months less the few days outside the window), each sum
    already multiplied by its sign: an SQL relation with the day table's columns (day, rep_id,
    team_id and the sums) and its binds. ``SUM(column)`` over it, per rep and team or in total, is
    the integer sum of the window's day rows. A rep and team had rows in the window when its summed
    count (:data:`COUNTS`) is above 0: test that with HAVING, not a filter on single rows (a row
    taken away carries negative sums)."""
    rows, binds = rep_day_rows(start, end, "month", prefix=prefix, source=source, signed=True)
    sums = ", ".join(f"sgn * {c} AS {c}" for c in ROLLUPS[source][2])
    return f"(SELECT day, rep_id, team_id, {sums} FROM {rows} s)", binds  # noqa: S608 - our fragments


def rep_day_rows(
    start: date, end: date, grain: str, prefix: str = "rd", source: str = "deals", signed: bool = False
) -> tuple[str, dict]:
    """``rep_days`` rows (``rep_activity_days`` for ``source="activities"``) of the days [start, end]
    for sums per ``grain`` period (or over the whole window): an SQL relation with the day table's
    columns (day, rep_id, team_id and the sums) and its binds.

    For a grain of a month or longer, the whole months inside the window are read from
    ``rep_months`` / ``rep_activity_months`` (one row per rep and month, its ``day`` the month's
    first day, so it falls in the same period) and only the days at the window's edges from the day
    table: the sums per period are the same integers. Weeks straddle months, so a weekly grain
    reads the day table alone.

    ``signed``: a leading ``sgn`` column (1, or -1 for a row to take away), and a month cut at an
    edge is read whole less its days outside the window when those are fewer
    (:func:`months_and_signed_days`): sums are then ``SUM(sgn * column)``, and a rep and team
    has a row of the window when ``SUM(sgn * count) > 0`` (each day row counts one deal or
    activity or more: :data:`COUNTS`).
    """
    day_table, month_table, sums = ROLLUPS[source]
    cols = ", ".join(sums)
    if grain == "week":
        months, days = None, [(1, start, end)]
    elif signed:
        months, days = months_and_signed_days(start, end)
    else:
        whole, edges = months_and_edge_days(start, end)
        months, days = whole, [(1, lo, hi) for lo, hi in edges]
    sgn = (lambda n: f"{n} AS sgn, ") if signed else (lambda n: "")
    parts, binds = [], {}
    if months is not None:
        parts.append(
            f"SELECT {sgn(1)}month AS day, rep_id, team_id, {cols} FROM {month_table} "  # noqa: S608 - our names
            f"WHERE month BETWEEN :{prefix}_m0 AND :{prefix}_m1"
        )
        binds[f"{prefix}_m0"], binds[f"{prefix}_m1"] = months
    for i, (sign, lo, hi) in enumerate(days):
        parts.append(
            f"SELECT {sgn(sign)}day, rep_id, team_id, {cols} FROM {day_table} "  # noqa: S608 - our names
            f"WHERE day BETWEEN :{prefix}_{i}a AND :{prefix}_{i}b"
        )
        binds[f"{prefix}_{i}a"], binds[f"{prefix}_{i}b"] = lo, hi
    return "(" + " UNION ALL ".join(parts) + ")", binds

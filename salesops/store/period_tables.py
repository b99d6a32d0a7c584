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
from salesops.store.cover import LEVELS, Piece, next_unit, signed_cover, units_of
from salesops.store.dialect import try_cast
from salesops.store.kind_tables import KIND_PERIOD_SUMS
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


def rep_months_sql(sums: tuple[str, ...] = DAY_SUMS, where: str = "TRUE") -> str:
    """The one definition of ``rep_months``: ``rep_days`` summed per month, rep and team (its
    ``sums``: all but in a revision before 0028, :func:`salesops.store.rollups.stored_sums`), of the
    day rows matching ``where`` (our own SQL: all, or a deals import's months and reps)."""
    return f"""
SELECT CAST(date_trunc('month', day) AS DATE) AS month, rep_id, team_id,
       {", ".join(f"SUM({c}) AS {c}" for c in sums)}
FROM rep_days
WHERE {where}
GROUP BY CAST(date_trunc('month', day) AS DATE), rep_id, team_id
"""  # noqa: S608 - our constants


#: The rows of ``rep_months``.
REP_MONTHS = rep_months_sql()


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


def refresh_rep_months(conn: Connection, sums: tuple[str, ...] = DAY_SUMS) -> int:
    """Rewrite ``rep_months`` (its ``sums``: all but in a revision before 0028) from ``rep_days``
    (refresh it first), in month order; return its rows."""
    cols = ", ".join(("month", "rep_id", "team_id", *sums))
    return rewrite(conn, rep_months.name, cols, rep_months_sql(sums), "month, rep_id, team_id")


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


def months_and_signed_days(start: date, end: date) -> tuple[tuple[date, date] | None, list[tuple[int, date, date]]]:
    """The days [start, end] as :func:`~salesops.store.cover.signed_cover` down from months: the whole
    months (first month's first day, last one's) or None, and the signed (sign, first day, last day)
    day ranges — a month cut at an edge read whole less its days outside where those are fewer."""
    months, days = None, []
    for sign, level, lo, hi in signed_cover(start, end, "month"):
        if level == "month":  # one run of whole months at most, added
            months = (lo, hi)
        else:
            days.append((sign, lo, hi))
    return months, days


#: Per rollup, a sum that is 1 or more on every day row (a row counts a deal won, lost or created,
#: or an activity): a rep and team has rows in a window when its signed sum there is above 0.
COUNTS = {
    "deals": "won_count + lost_count + created_count",
    "activities": "activities",
    "kinds": "won_count",
}
#: The day, month and period tables of each rollup, and their sums. The won deals per kind
#: (``source="kinds"``, revision 0029) are one table of every level (:mod:`salesops.store.kind_tables`).
ROLLUPS = {
    "deals": ("rep_days", "rep_months", "rep_periods", DAY_SUMS),
    "activities": ("rep_activity_days", "rep_activity_months", "rep_activity_periods", ("activities",)),
    "kinds": ("rep_kind_periods", "rep_kind_periods", "rep_kind_periods", KIND_PERIOD_SUMS),
}
#: The rollups stored as one table with a ``grain`` per level (day and month too).
_ONE_TABLE = frozenset({"kinds"})


def _piece_rows(piece: Piece, source: str, key: str, head: str = "", cols: str | None = None) -> tuple[str, dict]:
    """The rows of one piece's table (``source``'s rollup at its level) as ``head`` (leading
    columns, our SQL), day (the period's or the day's first day), rep_id, team_id and the sums (or
    ``cols``, our SQL over them); its binds named after ``key``."""
    _, level, lo, hi = piece
    day_table, month_table, period_table, sums = ROLLUPS[source]
    cols = ", ".join(sums) if cols is None else cols
    binds: dict[str, date | str] = {f"{key}a": lo, f"{key}b": hi}
    # our table names and fragments; values bound
    if source in _ONE_TABLE and level in ("day", "month"):
        binds[f"{key}g"] = level
        sql = (
            f"SELECT {head}period_start AS day, rep_id, team_id, {cols} FROM {period_table} "  # noqa: S608
            f"WHERE grain = :{key}g AND period_start BETWEEN :{key}a AND :{key}b"
        )
    elif level == "day":
        sql = f"SELECT {head}day, rep_id, team_id, {cols} FROM {day_table} WHERE day BETWEEN :{key}a AND :{key}b"  # noqa: S608
    elif level == "month":
        sql = (
            f"SELECT {head}month AS day, rep_id, team_id, {cols} FROM {month_table} "  # noqa: S608
            f"WHERE month BETWEEN :{key}a AND :{key}b"
        )
    else:
        binds[f"{key}g"] = level
        sql = (
            f"SELECT {head}period_start AS day, rep_id, team_id, {cols} FROM {period_table} "  # noqa: S608
            f"WHERE grain = :{key}g AND period_start BETWEEN :{key}a AND :{key}b"
        )
    return sql, binds


def period_rows(level: str, first: date, last: date, prefix: str = "pr", source: str = "deals") -> tuple[str, dict]:
    """The stored rows of the whole ``level`` periods (month, quarter or year) starting ``first`` to
    ``last``: one per rep, team and period (day: its first day, rep_id, team_id, the sums of
    ``source``'s rollup), and their binds."""
    if level not in LEVELS[:-1]:
        raise ValueError(f"no stored rows per {level}")
    sql, binds = _piece_rows((1, level, first, last), source, f"{prefix}_", "")
    return f"({sql})", binds


def ranges_weighted_rows(
    ranges: list[tuple[date, date]], prefix: str = "rr", source: str = "deals"
) -> tuple[str, dict]:
    """The rollup rows that sum, per rep and team, to each of ``ranges`` and to their hull (first
    start to last end), each piece of table read once: an SQL relation with the weight columns
    ``w0`` … (one per range) and ``wh`` (the hull), then day, rep_id, team_id and the sums (of
    ``source``'s rollup, :data:`ROLLUPS`), and its binds. Range i's sums are ``SUM(w<i> * column)``;
    a rep and team has rows in the hull where ``SUM(wh * count) > 0`` (:data:`COUNTS`: each day row
    counts one deal or activity or more). The ranges and the hull are each :func:`signed_cover`."""
    hull = (min(lo for lo, _ in ranges), max(hi for _, hi in ranges))
    # each piece's periods (days) apart, with their weight per range and the hull
    weights: dict[tuple[str, date], list[int]] = {}
    for k, (lo, hi) in enumerate([*ranges, hull]):
        for sign, level, a, b in signed_cover(lo, hi):
            for unit in units_of(level, a, b):
                weights.setdefault((level, unit), [0] * (len(ranges) + 1))[k] += sign
    # then runs of adjacent periods (days) of one level with the same weights, read as one piece
    runs: list[tuple[str, date, date, list[int]]] = []
    for (level, unit), ws in sorted(weights.items(), key=lambda x: (LEVELS.index(x[0][0]), x[0][1])):
        if not any(ws):
            continue
        if runs and runs[-1][0] == level and runs[-1][3] == ws and next_unit(level, runs[-1][2]) == unit:
            runs[-1] = (level, runs[-1][1], unit, ws)
        else:
            runs.append((level, unit, unit, ws))
    names = [*(f"w{i}" for i in range(len(ranges))), "wh"]
    parts, binds = [], {}
    for j, (level, a, b, ws) in enumerate(runs):
        head = "".join(f"{w} AS {n}, " for w, n in zip(ws, names))  # our integers
        sql, more = _piece_rows((1, level, a, b), source, f"{prefix}{j}", head)
        parts.append(sql)
        binds.update(more)
    return "(" + " UNION ALL ".join(parts) + ")", binds


def window_rows(start: date, end: date, prefix: str = "wr", source: str = "deals") -> tuple[str, dict]:
    """The day table's rows of the days [start, end] for sums over the whole window, read signed
    (:func:`rep_day_rows` with ``signed``: whole months less the few days outside the window), each sum
    already multiplied by its sign: an SQL relation with the day table's columns (day, rep_id,
    team_id and the sums) and its binds. ``SUM(column)`` over it, per rep and team or in total, is
    the integer sum of the window's day rows. A rep and team had rows in the window when its summed
    count (:data:`COUNTS`) is above 0: test that with HAVING, not a filter on single rows (a row
    taken away carries negative sums)."""
    rows, binds = rep_day_rows(start, end, "month", prefix=prefix, source=source, signed=True)
    sums = ", ".join(f"sgn * {c} AS {c}" for c in ROLLUPS[source][-1])
    return f"(SELECT day, rep_id, team_id, {sums} FROM {rows} s)", binds  # noqa: S608 - our fragments


def prefix_rows(
    end: date, prefix: str = "pf", source: str = "deals", sums: tuple[str, ...] | None = None
) -> tuple[str, dict]:
    """The day table's rows of every day up to ``end``, however far back, for sums over all of them
    (:data:`salesops.store.rollups.CLOSED_PIPE`'s pipeline at ``end``): the years before ``end``'s
    from the period table (one row per rep, team and year, no lower bound), and ``end``'s year up to
    it as :func:`~salesops.store.cover.signed_cover` pieces, each sum already multiplied by its sign.
    An SQL relation of day, rep_id, team_id and ``sums`` (of ``source``'s rollup; all of them when None:
    a caller reading one names it, so the statement carries no other) and its binds; ``SUM(column)``
    over it is the integer sum of the day rows up to ``end``."""
    year = date(end.year, 1, 1)
    _day, _month, period_table, all_sums = ROLLUPS[source]
    cols = all_sums if sums is None else sums
    binds: dict[str, date | str] = {f"{prefix}_y": year}
    parts = [
        f"SELECT period_start AS day, rep_id, team_id, {', '.join(cols)} FROM {period_table} "  # noqa: S608 - ours
        f"WHERE grain = 'year' AND period_start < :{prefix}_y"
    ]
    for i, piece in enumerate(signed_cover(year, end, "year")):
        signed = ", ".join(f"{piece[0]} * {c} AS {c}" for c in cols)  # our integers and names
        sql, more = _piece_rows(piece, source, f"{prefix}_{i}", cols=signed)
        parts.append(sql)
        binds.update(more)
    return "(" + " UNION ALL ".join(parts) + ")", binds


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

    ``signed``: a leading ``sgn`` column (1, or -1 for a row to take away), the window read as
    :func:`signed_cover` down from ``grain`` (whole years and quarters from the period tables too,
    a cut period whole less its days outside where that reads fewer rows): sums are then
    ``SUM(sgn * column)``, and a rep and team has a row of the window when ``SUM(sgn * count) > 0``
    (each day row counts one deal or activity or more: :data:`COUNTS`).
    """
    if signed:
        pieces = list(signed_cover(start, end, grain))
    elif grain == "week":
        pieces = [(1, "day", start, end)]
    else:
        whole, edges = months_and_edge_days(start, end)
        pieces = [(1, "day", lo, hi) for lo, hi in edges]
        if whole is not None:
            pieces.insert(0, (1, "month", *whole))
    parts, binds = [], {}
    for i, piece in enumerate(pieces):
        sql, more = _piece_rows(piece, source, f"{prefix}_{i}", f"{piece[0]} AS sgn, " if signed else "")
        parts.append(sql)
        binds.update(more)
    return "(" + " UNION ALL ".join(parts) + ")", binds

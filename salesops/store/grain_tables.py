"""Stored tables of revision 0027: the rollups per quarter and per year, and the quota per rep and period.

Each is the stored result of one definition over the raw tables, rewritten in the transaction of
every write that can change it (:func:`salesops.store.derived.refresh_derived`):

* ``rep_periods`` (:data:`REP_PERIODS`): ``rep_months`` summed per calendar quarter and per year
  (``grain`` 'quarter' / 'year', ``period_start`` the period's first day), rep and team, with the
  same sums (:data:`salesops.store.rollups.DAY_SUMS`): a quarter reads one row per rep instead of
  three months, a year one instead of twelve;
* ``rep_activity_periods`` (:func:`activity_periods_sql`): ``rep_activity_months`` summed the same
  way; an activities import rewrites only the periods of the months it touched;
* ``rep_period_quotas`` (:func:`period_quotas_sql`): per grain (quarter, year), period and rep, the
  quota rows overlapping the period prorated onto it by day
  (:func:`salesops.store.sql.prorated_quota`, the one definition) and summed, unrounded: the quota
  of a window that is one whole period, and of each trend period, without reading every quota row.

:func:`salesops.store.cover.signed_cover` reads a window as whole years and quarters from
these, whole months from the month tables and days from the day tables, each with a sign.
tests/unit/test_rollups.py checks each table equals its definition over the raw tables after the
demo build, imports, updates and deletes, and the migration that fills them.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy import BigInteger, Column, Date, Double, Index, String, Table
from sqlalchemy.engine import Connection

from salesops.scope import period_end, period_start
from salesops.store import schema
from salesops.store.dialect import round_half_up, unnest_series
from salesops.store.rollups import DAY_SUMS, rewrite
from salesops.store.sql import PERIOD_STEP, period_end_sql, period_start_sql, prorated_quota, quota_in_window

#: The grains stored per period (a month is ``rep_months``; a week straddles months).
PERIOD_GRAINS = ("quarter", "year")

rep_periods = Table(
    "rep_periods",
    schema.metadata,
    Column("grain", String, nullable=False),  # quarter or year
    Column("period_start", Date, nullable=False),
    Column("rep_id", String, nullable=False),
    Column("team_id", String),
    *(Column(c, BigInteger, nullable=False) for c in DAY_SUMS),
)
rep_activity_periods = Table(
    "rep_activity_periods",
    schema.metadata,
    Column("grain", String, nullable=False),
    Column("period_start", Date, nullable=False),
    Column("rep_id", String, nullable=False),
    Column("team_id", String),
    Column("activities", BigInteger, nullable=False),
)
rep_period_quotas = Table(
    "rep_period_quotas",
    schema.metadata,
    Column("grain", String, nullable=False),
    Column("period_start", Date, nullable=False),
    Column("rep_id", String, nullable=False),
    Column("quota_cents", Double, nullable=False),  # unrounded: rounded per rep where a window reads it
)
for _table in (rep_periods, rep_activity_periods, rep_period_quotas):
    Index(f"ix_{_table.name}_period", _table.c.grain, _table.c.period_start).ddl_if(dialect="postgresql")

_ORDER = "grain, period_start, rep_id, team_id"


def _per_grain(select: str, grains: tuple[str, ...] = PERIOD_GRAINS) -> str:
    """``select`` (with ``{grain}``, ``{start}`` where the grain and its period start go) once per
    stored grain of ``grains``, as one UNION ALL."""
    return " UNION ALL ".join(select.format(grain=f"'{g}'", start=period_start_sql("month", g)) for g in grains)


def rep_periods_sql(
    sums: tuple[str, ...] = DAY_SUMS, grains: tuple[str, ...] = PERIOD_GRAINS, where: str = "TRUE"
) -> str:
    """The one definition of ``rep_periods``: ``rep_months`` summed per quarter and year (``grains``),
    rep and team (its ``sums``: all but in a revision before 0028,
    :func:`salesops.store.rollups.stored_sums`), of the month rows matching ``where`` (our own SQL:
    all, or a deals import's periods and reps)."""
    return _per_grain(
        f"""
SELECT {{grain}} AS grain, {{start}} AS period_start, rep_id, team_id,
       {", ".join(f"SUM({c}) AS {c}" for c in sums)}
FROM rep_months
WHERE {where}
GROUP BY {{start}}, rep_id, team_id""",  # noqa: S608 - our constants
        grains,
    )


#: The rows of ``rep_periods``.
REP_PERIODS = rep_periods_sql()


def activity_periods_sql(grain: str, where: str = "TRUE") -> str:
    """The one definition of ``rep_activity_periods`` for one ``grain``: ``rep_activity_months``
    summed per quarter or year, rep and team (of the month rows matching ``where``, our own SQL: all,
    or the periods an import touched)."""
    start = period_start_sql("month", grain)
    return f"""
SELECT '{grain}' AS grain, {start} AS period_start, rep_id, team_id, SUM(activities) AS activities
FROM rep_activity_months
WHERE {where}
GROUP BY {start}, rep_id, team_id"""  # noqa: S608 - our constants


def period_quotas_sql(bind) -> str:
    """The one definition of ``rep_period_quotas``: every quota row with the start of each grain
    period it overlaps, prorated onto that period by day, summed per grain, period and rep."""
    parts = []
    for g in PERIOD_GRAINS:
        series = unnest_series(
            bind, period_start_sql("period_start", g), period_start_sql("period_end", g), PERIOD_STEP[g]
        )
        prorated = prorated_quota("qx.ps", period_end_sql("qx.ps", g), alias="qx")
        parts.append(
            f"""
SELECT '{g}' AS grain, qx.ps AS period_start, qx.rep_id, SUM({prorated}) AS quota_cents
FROM (SELECT rep_id, period_start, period_end, amount_cents, {series} AS ps FROM quotas) qx
GROUP BY qx.ps, qx.rep_id"""  # noqa: S608 - our fragments
        )
    return " UNION ALL ".join(parts)


def refresh_rep_periods(conn: Connection, sums: tuple[str, ...] = DAY_SUMS) -> int:
    """Rewrite ``rep_periods`` (its ``sums``: all but in a revision before 0028) from ``rep_months``
    (refresh it first), in period order; return its rows."""
    cols = ", ".join(("grain", "period_start", "rep_id", "team_id", *sums))
    return rewrite(conn, "rep_periods", cols, rep_periods_sql(sums), _ORDER)


def refresh_activity_periods(conn: Connection, months: list[date] | None = None) -> int:
    """Rewrite ``rep_activity_periods`` from ``rep_activity_months`` (refresh it first): whole, or only
    the quarters and years holding the ``months`` (first days) an import touched — a period's rows are
    the same statement over that period's months; return its rows."""
    cols = ", ".join(c.name for c in rep_activity_periods.columns)
    if months is None:
        every = " UNION ALL ".join(activity_periods_sql(g) for g in PERIOD_GRAINS)
        return rewrite(conn, "rep_activity_periods", cols, every, _ORDER)
    for g in PERIOD_GRAINS:
        starts = sorted({period_start(m, g) for m in months})
        if not starts:
            continue
        binds = {f"p{i}": s for i, s in enumerate(starts)}
        marks = ", ".join(f"CAST(:p{i} AS DATE)" for i in range(len(starts)))
        conn.execute(
            sa.text(f"DELETE FROM rep_activity_periods WHERE grain = :g AND period_start IN ({marks})"),  # noqa: S608
            {"g": g, **binds},
        )
        select = activity_periods_sql(g, f"{period_start_sql('month', g)} IN ({marks})")
        conn.execute(sa.text(f"INSERT INTO rep_activity_periods ({cols}) {select}"), binds)  # noqa: S608 - ours
    return int(conn.execute(sa.text("SELECT COUNT(*) FROM rep_activity_periods")).scalar_one())


def refresh_period_quotas(conn: Connection) -> int:
    """Rewrite ``rep_period_quotas`` from the quotas (their ``period_end`` set first); return its rows."""
    cols = ", ".join(c.name for c in rep_period_quotas.columns)
    return rewrite(conn, "rep_period_quotas", cols, period_quotas_sql(conn), "grain, period_start, rep_id")


def one_period(start: date, end: date, grain: str) -> bool:
    """Whether [start, end] is exactly one ``grain`` period stored in ``rep_period_quotas``."""
    return grain in PERIOD_GRAINS and period_start(start, grain) == start and period_end(start, grain) == end


def quota_in_period(grain: str, start: str) -> str:
    """Quota per rep over the one whole ``grain`` period (a stored grain, our constant) starting at the
    bound date ``:start``: rep_id, quota_cents — :func:`salesops.store.sql.quota_in_window` of that
    window (the same prorated rows summed, rounded half up to the cent per rep), read from
    ``rep_period_quotas``."""
    if grain not in PERIOD_GRAINS:
        raise ValueError(f"no stored quota per {grain}")
    return f"""
    SELECT rep_id, {round_half_up("quota_cents")} AS quota_cents
    FROM rep_period_quotas
    WHERE grain = '{grain}' AND period_start = CAST(:{start} AS DATE)
"""  # noqa: S608 - our constants; the date is bound


def quota_per_rep(lo_date: date, hi_date: date, lo: str = "q_start", hi: str = "q_end") -> str:
    """Prorated quota per rep over the quota window [:lo, :hi] (its dates ``lo_date``, ``hi_date``):
    rep_id, quota_cents — :func:`salesops.store.sql.quota_in_window`, read from the stored
    ``rep_period_quotas`` (:func:`quota_in_period`: the same prorated rows summed and rounded per
    rep) when the window is exactly one stored quarter or year. The one rule every page's quota
    reads (Team performance, Leaderboards, Tools vs performance)."""
    for grain in PERIOD_GRAINS:
        if one_period(lo_date, hi_date, grain):
            return quota_in_period(grain, lo)
    return quota_in_window(lo, hi)

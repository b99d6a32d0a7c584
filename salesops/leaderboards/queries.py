"""The leaderboards' SQL: the current/previous sums per rep and team, and the per-period trend sums.

Quota is :func:`salesops.store.sql.quota_in_window` (the whole grain periods the range touches)
and, per trend period, :func:`salesops.store.sql.prorated_quota` of :func:`~salesops.store.sql.quota_rows`:
the same definition as every other page. Only fragments written here or in
:mod:`salesops.store.sql` are spliced into the SQL; every value is a bound parameter.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta

import sqlalchemy as sa

from salesops.errors import InvalidFilter
from salesops.leaderboards.metrics import SUMS, TREND_PERIODS, check_metric
from salesops.scope import Scope, period_label, period_start, shift
from salesops.store.dialect import DOUBLE, unnest_series
from salesops.store.engine import result_frame as _frame
from salesops.store.period_tables import COUNTS, rep_day_rows
from salesops.store.sql import (
    PERIOD_STEP,
    WON_KINDS,
    period_start_sql,
    prorated_quota,
    quota_in_window,
    quota_rows,
)

# ---- SQL ------------------------------------------------------------------------------------


def _select(parts: Mapping[str, str], suffixes: tuple[str, ...], cols: Iterable[str] = SUMS) -> str:
    """The sum columns in a fixed order: our expression where given, 0 elsewhere (for UNION ALL)."""
    out = []
    for col in cols:
        for sfx in suffixes:
            name = f"{col}{sfx}"
            out.append(f"CAST({parts.get(name, '0')} AS {DOUBLE}) AS {name}")
    return ", ".join(out)


def _in(col: str, sfx: str) -> str:
    return f"{col} BETWEEN :s{sfx} AND :e{sfx}"


#: Which sums each metric needs: the trend query only scans the tables the board's metric uses.
_PARTS = {
    "attainment": ("closed", "quota"),
    "won_revenue": ("closed",),
    "win_rate": ("closed",),
    "deals_won": ("closed",),
    "avg_deal_size": ("closed",),
    "activities": ("acts",),
    "pipeline_created": ("created",),
    "new_logo_revenue": ("kinds",),
    "expansion_revenue": ("kinds",),
}
ALL_PARTS = ("closed", "created", "acts", "quota", "kinds")
#: The sums each part of the trend query fills.
_PART_SUMS = {
    "closed": ("won_cents", "won_count", "lost_count"),
    "created": ("pipeline_cents", "created_count"),
    "acts": ("activities",),
    "quota": ("quota_cents",),
    "kinds": ("new_logo_cents", "expansion_cents"),
}
#: The won revenue of one stored deal kind (``deal_kinds``: the one definition of new business,
#: renewal, expansion, shared with the Customers page): sum column -> kind.
KIND_SUMS = {"new_logo_cents": "new_business", "expansion_cents": "expansion"}
#: Won deals with their stored kind, for the kind sums: the stored kinds alone (WON_KINDS, which
#: carries the deal's rep_id and team_id for the callers' unqualified filters), one window of it.
_KINDS_FROM = f"({WON_KINDS}) k"


#: The board's deal sums -> the rollup column each sums.
_DEAL_SUMS = {
    "won_cents": "won_cents",
    "won_count": "won_count",
    "lost_count": "lost_count",
    "pipeline_cents": "created_cents",
    "created_count": "created_count",
}
_DEAL_ROLLED = tuple(_DEAL_SUMS.values())


def stats_sql(where: str, rep_where: str, days: str, act_days: str) -> str:
    """The board's sums per (rep, team at the time) for the current (``_c``) and previous (``_p``)
    range; ``days`` / ``act_days`` are :func:`salesops.store.period_tables.ranges_day_rows` of the
    deals / activities over the two ranges (0 the current, 1 the previous), signed: a (rep, team)
    has a range's rows where its signed count there is above 0."""
    both = ("_c", "_p")
    deal = {}
    acts = {}
    kinds = {}
    for n, s in enumerate(both):
        # the rollups' rows: won/lost by close date, created by created date, activities
        for col, rolled in _DEAL_SUMS.items():
            deal[f"{col}{s}"] = f"COALESCE(SUM(CASE WHEN rng = {n} THEN {rolled} END), 0)"
        acts[f"activities{s}"] = f"COALESCE(SUM(CASE WHEN rng = {n} THEN activities END), 0)"
        for col, kind in KIND_SUMS.items():
            kinds[f"{col}{s}"] = (
                f"COALESCE(SUM(CASE WHEN k.kind = '{kind}' AND {_in('k.close_date', s)} THEN k.amount_cents END), 0)"
            )
    quota = {"quota_cents_c": "COALESCE(qc.quota_cents, 0)", "quota_cents_p": "COALESCE(qp.quota_cents, 0)"}
    # The hull of both ranges [:h_start, :h_end]: the deal and activity sums from the rows of
    # ``days`` / ``act_days`` tagged per range (whole months from rep_months / rep_activity_months),
    # the won kinds in one scan split by CASE sums. A (rep, team) with rows only between the ranges
    # has a row of zeros, from any of them.
    # Only fragments written in this module are spliced in; every value is a bound parameter.
    return f"""
        WITH ev AS (
            SELECT rep_id, team_id, {_select(deal, both)}
            FROM (
                SELECT rng, rep_id, team_id, {", ".join(f"SUM(sgn * {c}) AS {c}" for c in _DEAL_ROLLED)}
                FROM {days} d
                WHERE 1 = 1 {where}
                GROUP BY rng, rep_id, team_id
                HAVING SUM(sgn * ({COUNTS["deals"]})) > 0
            ) d
            GROUP BY rep_id, team_id
            UNION ALL
            SELECT rep_id, team_id, {_select(acts, both)}
            FROM (
                SELECT rng, rep_id, team_id, SUM(sgn * activities) AS activities
                FROM {act_days} a
                WHERE 1 = 1 {where}
                GROUP BY rng, rep_id, team_id
                HAVING SUM(sgn * activities) > 0
            ) a
            GROUP BY rep_id, team_id
            UNION ALL
            SELECT k.rep_id, k.team_id, {_select(kinds, both)}
            FROM {_KINDS_FROM}
            WHERE k.kind IN ({", ".join(f"'{k}'" for k in KIND_SUMS.values())})
              AND k.close_date BETWEEN :h_start AND :h_end {where}
            GROUP BY k.rep_id, k.team_id
            UNION ALL
            SELECT r.rep_id, r.team_id, {_select(quota, both)}
            FROM reps r
            LEFT JOIN ({quota_in_window("q_start", "q_end")}) qc ON qc.rep_id = r.rep_id
            LEFT JOIN ({quota_in_window("pq_start", "pq_end")}) qp ON qp.rep_id = r.rep_id
            WHERE (qc.quota_cents > 0 OR qp.quota_cents > 0) {rep_where}
        ),
        agg AS (
            SELECT rep_id, team_id, {", ".join(f"SUM({c}{s}) AS {c}{s}" for c in SUMS for s in both)}
            FROM ev GROUP BY rep_id, team_id
        )
        SELECT agg.*, COALESCE(r.name, agg.rep_id) AS name, COALESCE(r.role, '') AS role,
               r.hire_date, COALESCE(r.ramp_months, 0) AS ramp_months,
               COALESCE(r.team_id, agg.team_id) AS home_team,
               COALESCE(t.name, agg.team_id) AS team_name,
               COALESCE(ht.name, r.team_id, agg.team_id) AS home_team_name
        FROM agg
        LEFT JOIN reps r ON r.rep_id = agg.rep_id
        LEFT JOIN teams t ON t.team_id = agg.team_id
        LEFT JOIN teams ht ON ht.team_id = r.team_id
        ORDER BY agg.rep_id, agg.team_id
    """  # noqa: S608 - identifiers and fragments are this module's constants; values are binds


def _trend_cols(parts: Iterable[str]) -> tuple[str, ...]:
    """The sums the trend query fills for ``parts``, in :data:`SUMS` order."""
    filled = {c for p in parts for c in _PART_SUMS[p]}
    return tuple(c for c in SUMS if c in filled)


def _trend_sql(
    bind,
    where: str,
    rep_where: str,
    n_periods: int,
    parts: tuple[str, ...],
    grain: str,
    days: str = "rep_days",
    act_days: str = "rep_activity_days",
) -> str:
    """The trend statement; ``days`` / ``act_days`` are the relations of rep_days /
    rep_activity_days rows over [:t_start, :t_end] (:func:`salesops.store.period_tables.rep_day_rows`:
    whole months from rep_months / rep_activity_months)."""
    one = ("",)
    cols = _trend_cols(parts)
    closed = {c: f"SUM({c})" for c in ("won_cents", "won_count", "lost_count")}
    created = {"pipeline_cents": "SUM(created_cents)", "created_count": "SUM(created_count)"}
    acts = {"activities": "SUM(activities)"}
    kinds = {
        col: f"COALESCE(SUM(CAST(k.amount_cents AS DOUBLE PRECISION)) FILTER (WHERE k.kind = '{kind}'), 0)"
        for col, kind in KIND_SUMS.items()
    }
    quota = {"quota_cents": "SUM(q.quota_cents)"}
    periods = ", ".join(f"({i}, CAST(:ps{i} AS DATE), CAST(:pe{i} AS DATE))" for i in range(n_periods))
    selects = {
        # the rollups' rows that hold such deals / activities (day rows, or month rows for whole months)
        "closed": f"""
            SELECT rep_id, team_id, {period_start_sql("day", grain)} AS period_start, {_select(closed, one, cols)}
            FROM {days} x
            WHERE won_count + lost_count > 0 {where}
            GROUP BY 1, 2, 3""",  # noqa: S608 - our fragments; values bound
        "created": f"""
            SELECT rep_id, team_id, {period_start_sql("day", grain)} AS period_start, {_select(created, one, cols)}
            FROM {days} x
            WHERE created_count > 0 {where}
            GROUP BY 1, 2, 3""",  # noqa: S608 - our fragments; values bound
        "acts": f"""
            SELECT rep_id, team_id, {period_start_sql("day", grain)} AS period_start, {_select(acts, one, cols)}
            FROM {act_days} x
            WHERE 1 = 1 {where}
            GROUP BY 1, 2, 3""",  # noqa: S608 - our fragments; values bound
        # every won deal (kind set), so a period with won deals of neither kind shows 0, not nothing
        "kinds": f"""
            SELECT k.rep_id, k.team_id, {period_start_sql("k.close_date", grain)} AS period_start, {_select(kinds, one, cols)}
            FROM {_KINDS_FROM}
            WHERE k.close_date BETWEEN :t_start AND :t_end {where}
            GROUP BY 1, 2, 3""",  # noqa: S608 - our fragments; values bound
        "quota": f"""
            SELECT r.rep_id, r.team_id, q.period_start, {_select(quota, one, cols)}
            FROM q JOIN reps r ON r.rep_id = q.rep_id
            WHERE 1 = 1 {rep_where}
            GROUP BY 1, 2, 3""",  # noqa: S608 - our fragments; values bound
    }
    ev = " UNION ALL ".join(selects[p] for p in ALL_PARTS if p in parts)
    # Per-period quota: store.sql's proration (the share of a quota row's days that falls in the
    # period), for every period at once.
    return f"""
        WITH periods AS (SELECT * FROM (VALUES {periods}) p(idx, period_start, period_end)),
        q AS (
            SELECT qx.rep_id, p.period_start, {prorated_quota("p.period_start", "p.period_end", alias="qx")} AS quota_cents
            FROM (
                -- each quota row with the start of every grain period it overlaps: an equi-join
                -- to the periods instead of a range join
                SELECT qr.*, {unnest_series(bind, "date_trunc(:grain, qr.period_start)", "date_trunc(:grain, qr.period_end)", PERIOD_STEP[grain])} AS ps
                FROM ({quota_rows("t_start", "t_qend")}) qr
            ) qx
            JOIN periods p ON p.period_start = qx.ps
        ),
        ev AS ({ev})
        SELECT ev.rep_id, ev.team_id, p.idx, {", ".join(f"SUM(ev.{c}) AS {c}" for c in cols)}
        FROM ev JOIN periods p ON p.period_start = ev.period_start
        GROUP BY ev.rep_id, ev.team_id, p.idx
        ORDER BY ev.rep_id, ev.team_id, p.idx
    """  # noqa: S608 - identifiers and fragments are this module's constants; values are binds


def trend_periods(scope: Scope, periods: int = TREND_PERIODS) -> list[tuple[date, date]]:
    """The last ``periods`` whole grain periods up to the one holding ``scope.end`` (start, end)."""
    last = period_start(scope.end, scope.grain)
    starts = [shift(last, scope.grain, -i) for i in range(periods - 1, -1, -1)]
    return [(s, shift(s, scope.grain, 1) - timedelta(days=1)) for s in starts]


def trend_frame(
    conn, scope: Scope, periods: int, parts: tuple[str, ...], where: str, params: dict, rep_where: str, rep_params: dict
):
    windows = trend_periods(scope, periods)
    binds = {"grain": scope.grain, "t_start": windows[0][0], "t_end": scope.end, "t_qend": windows[-1][1]}
    for i, (s, e) in enumerate(windows):
        binds[f"ps{i}"], binds[f"pe{i}"] = s, e
    days, day_binds = rep_day_rows(windows[0][0], scope.end, scope.grain)
    act_days, act_binds = rep_day_rows(windows[0][0], scope.end, scope.grain, prefix="ra", source="activities")
    sql = _trend_sql(conn, where, rep_where, len(windows), parts, scope.grain, days, act_days)
    res = conn.execute(sa.text(sql), {**binds, **day_binds, **act_binds, **params, **rep_params})
    trend = _frame(res)
    for col in trend.columns[3:]:
        trend[col] = trend[col].astype(float)
    return trend, tuple(period_label(s, scope.grain) for s, _ in windows)


def parts_of(metrics: Iterable[str]) -> tuple[str, ...]:
    needed: set[str] = set()
    for m in metrics:
        if m not in _PARTS:
            check_metric(m)
            raise InvalidFilter(f"{m!r} has no trend of its own.", "Pass the composite's components instead.")
        needed.update(_PARTS[m])
    return tuple(p for p in ALL_PARTS if p in needed)

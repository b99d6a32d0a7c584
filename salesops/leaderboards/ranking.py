"""Leaderboards: rank reps and teams fairly, show who moved, flag who is beyond noise.

Definitions: docs/LEADERBOARDS.md. Two SQL statements do all the aggregation
(:func:`load_board_data`), which also sums their small results into one row per rep and per team
(and the trends into arrays) once per scope; :func:`rank_board` then ranks with whole-column numpy
and pandas operations, so changing the metric, the weights or the cohort never touches the
database again and costs a few milliseconds.

* Events count by date inside ``[scope.start, scope.end]``; deals by close date (won/lost),
  pipeline by created date, activities by date. ``deals.team_id`` is the team at the time.
* Quota is :data:`salesops.store.sql.QUOTA_IN_WINDOW`: the prorated quota of the whole grain periods
  the range touches, for reps whose current team is in scope (as on the home page).
* Ranks are competition ranks (1, 2, 2, 4); movement compares with the same range one grain period
  earlier (:meth:`Scope.previous`), among the same reps.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from salesops.errors import InvalidFilter
from salesops.scope import Scope, period_label, period_start, shift
from salesops.store.engine import result_frame as _frame
from salesops.store.sql import QUOTA_IN_WINDOW, quota_params, scope_filter


@dataclass(frozen=True)
class Metric:
    """A rankable metric: its key, label, the column it reads and how to show it."""

    key: str
    label: str
    column: str
    kind: str  # pct / money / count / score


#: The allow-list: the only metric names a caller (page, CLI) can rank by.
METRICS: dict[str, Metric] = {
    m.key: m
    for m in (
        Metric("attainment", "Attainment %", "attainment", "pct"),
        Metric("won_revenue", "Won revenue", "won_cents", "money"),
        Metric("win_rate", "Win rate", "win_rate", "pct"),
        Metric("deals_won", "Deals won", "won_count", "count"),
        Metric("avg_deal_size", "Average deal size", "avg_deal_cents", "money"),
        Metric("activities", "Activities", "activities", "count"),
        Metric("pipeline_created", "Pipeline created", "pipeline_cents", "money"),
        Metric("composite", "Composite score", "score", "score"),
    )
}
#: The metrics a composite score can weigh (all but the score itself).
COMPONENTS = tuple(k for k in METRICS if k != "composite")
DEFAULT_METRIC = "attainment"
#: Default composite weights: attainment first, then how the rep gets there.
DEFAULT_WEIGHTS = (("attainment", 3.0), ("win_rate", 1.0), ("pipeline_created", 1.0), ("activities", 1.0))

COHORTS = {
    "all": "All reps",
    "ramping": "Ramping",
    "first_year": "First year",
    "veteran": "Veterans",
}
ROLES = ("all", "AE", "SDR")
#: A rep is flagged only with at least this many closed (won + lost) deals in the range.
MIN_CLOSED_DEALS = 15
#: Metrics shown side by side, in order.
COMPARE_METRICS = (
    "attainment",
    "won_revenue",
    "win_rate",
    "deals_won",
    "avg_deal_size",
    "activities",
    "pipeline_created",
)
CONFIDENCES = {0.9: 1.6448536269514722, 0.95: 1.959963984540054}
TREND_PERIODS = 8
#: Trend length per grain when none is asked for: the demo keeps three years of history.
TREND_PERIODS_BY_GRAIN = {"week": 8, "month": 8, "quarter": 8, "year": 3}

#: Additive columns of the aggregates, for the current (_c) and previous (_p) range.
_SUMS = ("won_cents", "won_count", "lost_count", "pipeline_cents", "created_count", "activities", "quota_cents")


@dataclass(frozen=True)
class BoardData:
    """What the database answered for one scope; everything else is computed from it.

    ``stats``: one row per (rep_id, team_id at the time) with ``<sum>_c``/``<sum>_p`` for the
    current and previous range (sums in :data:`_SUMS`), and the rep's name, role, hire_date,
    ramp_months, home_team (current team) and team_name/home_team_name.
    ``trend``: one row per (rep_id, team_id) with ``<sum>_<i>`` for each of the last ``periods``
    grain periods up to the scope's end (i = 0 oldest; the last one cut at the scope's end; NaN
    where that rep and team have nothing in the period) and ``n_<i>`` (1 where they have a row);
    only the sums the metrics in ``trend_of`` need are there.
    ``rep_rows`` / ``team_rows``: one row per rep (current team, cohort, flag baseline) and per team
    at the time (``reps``), with the summed ``<sum>_c``/``<sum>_p``; ``rep_trend`` / ``team_trend``:
    the trend sums in their row order as arrays (rows, periods, sums), NaN where nothing happened.
    :func:`load_board_data` fills these once per scope; :func:`rank_board` only reads them.
    """

    scope: Scope
    stats: pd.DataFrame
    trend: pd.DataFrame
    periods: tuple[str, ...]
    trend_of: tuple[str, ...] = (DEFAULT_METRIC,)
    rep_rows: pd.DataFrame | None = None
    team_rows: pd.DataFrame | None = None
    rep_trend: np.ndarray | None = None
    team_trend: np.ndarray | None = None


def check_metric(metric: str) -> Metric:
    """The :class:`Metric` for ``metric``, or :class:`InvalidFilter` naming the allowed ones."""
    if metric not in METRICS:
        raise InvalidFilter(
            f"Unknown leaderboard metric {metric!r}.",
            f"Use one of: {', '.join(METRICS)}.",
        )
    return METRICS[metric]


def check_weights(weights: Mapping[str, float] | Iterable[tuple[str, float]] | None) -> dict[str, float]:
    """Composite weights as a dict; unknown metrics, negative or all-zero weights are refused."""
    pairs = dict(weights.items() if isinstance(weights, Mapping) else (weights or DEFAULT_WEIGHTS))
    for name, w in pairs.items():
        if name not in COMPONENTS:
            raise InvalidFilter(
                f"The composite score cannot weigh {name!r}.", f"Weigh any of: {', '.join(COMPONENTS)}."
            )
        if not isinstance(w, (int, float)) or math.isnan(w) or w < 0:
            raise InvalidFilter(f"The weight of {name} is {w!r}.", "Weights are numbers of 0 or more.")
    if sum(pairs.values()) <= 0:
        raise InvalidFilter("Every composite weight is zero.", "Give at least one metric a weight above 0.")
    return {k: float(v) for k, v in pairs.items() if v > 0}


def parse_weights(text: str) -> tuple[tuple[str, float], ...]:
    """``"attainment=3,win_rate=1"`` -> ``(("attainment", 3.0), ("win_rate", 1.0))`` (for the CLI)."""
    out = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, value = part.partition("=")
        try:
            weight = float(value)
        except ValueError:
            weight = None
        if not sep or weight is None:
            raise InvalidFilter(
                f"Cannot read the weight {part!r}.", "Write weights as metric=number, e.g. attainment=3,win_rate=1."
            )
        out.append((name.strip(), weight))
    check_weights(out)
    return tuple(out)


# ---- SQL ------------------------------------------------------------------------------------


def _select(parts: Mapping[str, str], suffixes: tuple[str, ...], cols: Iterable[str] = _SUMS) -> str:
    """The sum columns in a fixed order: our expression where given, 0 elsewhere (for UNION ALL)."""
    out = []
    for col in cols:
        for sfx in suffixes:
            name = f"{col}{sfx}"
            out.append(f"CAST({parts.get(name, '0')} AS DOUBLE) AS {name}")
    return ", ".join(out)


def _quota_sql(prefix: str) -> str:
    """QUOTA_IN_WINDOW with its binds renamed, so two windows fit in one statement."""
    return QUOTA_IN_WINDOW.replace(":q_start", f":{prefix}_start").replace(":q_end", f":{prefix}_end")


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
}
_ALL_PARTS = ("closed", "created", "acts", "quota")
#: The sums each part of the trend query fills.
_PART_SUMS = {
    "closed": ("won_cents", "won_count", "lost_count"),
    "created": ("pipeline_cents", "created_count"),
    "acts": ("activities",),
    "quota": ("quota_cents",),
}


def trend_metrics(metric: str, weights=None) -> tuple[str, ...]:
    """The metric keys a board ranked by ``metric`` needs trends of (the components for "composite")."""
    check_metric(metric)
    if metric == "composite":
        return tuple(sorted(check_weights(weights)))
    return (metric,)


def _stats_sql(where: str, rep_where: str) -> str:
    both = ("_c", "_p")
    deal = {}
    acts = {}
    for s in both:
        won = f"outcome = 'won' AND {_in('close_date', s)}"
        deal[f"won_cents{s}"] = f"COALESCE(SUM(CASE WHEN {won} THEN amount_cents END), 0)"
        deal[f"won_count{s}"] = f"SUM(CASE WHEN {won} THEN 1 ELSE 0 END)"
        deal[f"lost_count{s}"] = f"SUM(CASE WHEN outcome = 'lost' AND {_in('close_date', s)} THEN 1 ELSE 0 END)"
        deal[f"pipeline_cents{s}"] = f"COALESCE(SUM(CASE WHEN {_in('created_date', s)} THEN amount_cents END), 0)"
        deal[f"created_count{s}"] = f"SUM(CASE WHEN {_in('created_date', s)} THEN 1 ELSE 0 END)"
        acts[f"activities{s}"] = f"SUM(CASE WHEN {_in('occurred_at', s)} THEN 1 ELSE 0 END)"
    quota = {"quota_cents_c": "COALESCE(qc.quota_cents, 0)", "quota_cents_p": "COALESCE(qp.quota_cents, 0)"}
    # One scan per table over the hull of both ranges [:h_start, :h_end]; CASE sums split it.
    # Only fragments written in this module are spliced in; every value is a bound parameter.
    return f"""
        WITH ev AS (
            SELECT rep_id, team_id, {_select(deal, both)}
            FROM deals
            WHERE ((outcome IN ('won', 'lost') AND close_date BETWEEN :h_start AND :h_end)
                   OR created_date BETWEEN :h_start AND :h_end) {where}
            GROUP BY rep_id, team_id
            UNION ALL
            SELECT rep_id, team_id, {_select(acts, both)}
            FROM activities
            WHERE occurred_at BETWEEN :h_start AND :h_end {where}
            GROUP BY rep_id, team_id
            UNION ALL
            SELECT r.rep_id, r.team_id, {_select(quota, both)}
            FROM reps r
            LEFT JOIN ({_quota_sql("q")}) qc ON qc.rep_id = r.rep_id
            LEFT JOIN ({_quota_sql("pq")}) qp ON qp.rep_id = r.rep_id
            WHERE (qc.quota_cents > 0 OR qp.quota_cents > 0) {rep_where}
        ),
        agg AS (
            SELECT rep_id, team_id, {", ".join(f"SUM({c}{s}) AS {c}{s}" for c in _SUMS for s in both)}
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
    """The sums the trend query fills for ``parts``, in :data:`_SUMS` order."""
    filled = {c for p in parts for c in _PART_SUMS[p]}
    return tuple(c for c in _SUMS if c in filled)


#: One grain period as an SQL interval (keys are the grains Scope allows).
_STEP = {
    "week": "INTERVAL 7 DAY",
    "month": "INTERVAL 1 MONTH",
    "quarter": "INTERVAL 3 MONTH",
    "year": "INTERVAL 1 YEAR",
}


def _trend_sql(where: str, rep_where: str, n_periods: int, parts: tuple[str, ...], grain: str) -> str:
    one = ("",)
    cols = _trend_cols(parts)
    bucket = "CAST(date_trunc(:grain, {col}) AS DATE)"
    closed = {
        "won_cents": "COALESCE(SUM(CAST(amount_cents AS DOUBLE)) FILTER (WHERE outcome = 'won'), 0)",
        "won_count": "COUNT(*) FILTER (WHERE outcome = 'won')",
        "lost_count": "COUNT(*) FILTER (WHERE outcome = 'lost')",
    }
    created = {"pipeline_cents": "COALESCE(SUM(CAST(amount_cents AS DOUBLE)), 0)", "created_count": "COUNT(*)"}
    acts = {"activities": "COUNT(*)"}
    quota = {"quota_cents": "SUM(q.quota_cents)"}
    periods = ", ".join(f"({i}, CAST(:ps{i} AS DATE), CAST(:pe{i} AS DATE))" for i in range(n_periods))
    selects = {
        "closed": f"""
            SELECT rep_id, team_id, {bucket.format(col="close_date")} AS period_start, {_select(closed, one, cols)}
            FROM deals
            WHERE outcome IN ('won', 'lost') AND close_date BETWEEN :t_start AND :t_end {where}
            GROUP BY 1, 2, 3""",  # noqa: S608 - our fragments; values bound
        "created": f"""
            SELECT rep_id, team_id, {bucket.format(col="created_date")} AS period_start, {_select(created, one, cols)}
            FROM deals
            WHERE created_date BETWEEN :t_start AND :t_end {where}
            GROUP BY 1, 2, 3""",  # noqa: S608 - our fragments; values bound
        "acts": f"""
            SELECT rep_id, team_id, {bucket.format(col="occurred_at")} AS period_start, {_select(acts, one, cols)}
            FROM activities
            WHERE occurred_at BETWEEN :t_start AND :t_end {where}
            GROUP BY 1, 2, 3""",  # noqa: S608 - our fragments; values bound
        "quota": f"""
            SELECT r.rep_id, r.team_id, q.period_start, {_select(quota, one, cols)}
            FROM q JOIN reps r ON r.rep_id = q.rep_id
            WHERE 1 = 1 {rep_where}
            GROUP BY 1, 2, 3""",  # noqa: S608 - our fragments; values bound
    }
    ev = " UNION ALL ".join(selects[p] for p in _ALL_PARTS if p in parts)
    # Per-period quota: the same proration as QUOTA_IN_WINDOW (share of a quota row's days that
    # falls in the period), for every period at once.
    return f"""
        WITH periods AS (SELECT * FROM (VALUES {periods}) p(idx, period_start, period_end)),
        qrows AS (
            SELECT rep_id, period_start AS qs, amount_cents,
                   CAST(CASE period_type
                       WHEN 'week' THEN period_start + INTERVAL '6 days'
                       WHEN 'month' THEN period_start + INTERVAL '1 month' - INTERVAL '1 day'
                       WHEN 'quarter' THEN period_start + INTERVAL '3 months' - INTERVAL '1 day'
                       ELSE period_start + INTERVAL '1 year' - INTERVAL '1 day' END AS DATE) AS qe
            FROM quotas
            WHERE period_start <= :t_qend
        ),
        q AS (
            SELECT qx.rep_id, p.period_start,
                   CAST(qx.amount_cents AS DOUBLE)
                   * GREATEST(0, LEAST(qx.qe, p.period_end) - GREATEST(qx.qs, p.period_start) + 1)
                   / (qx.qe - qx.qs + 1) AS quota_cents
            FROM (
                -- each quota row with the start of every grain period it overlaps: an equi-join
                -- to the periods instead of a range join
                SELECT qrows.*, CAST(UNNEST(generate_series(
                           date_trunc(:grain, qrows.qs), date_trunc(:grain, qrows.qe), {_STEP[grain]})) AS DATE) AS ps
                FROM qrows WHERE qrows.qe >= :t_start
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


def _trend_frame(
    conn, scope: Scope, periods: int, parts: tuple[str, ...], where: str, params: dict, rep_where: str, rep_params: dict
):
    windows = trend_periods(scope, periods)
    binds = {"grain": scope.grain, "t_start": windows[0][0], "t_end": scope.end, "t_qend": windows[-1][1]}
    for i, (s, e) in enumerate(windows):
        binds[f"ps{i}"], binds[f"pe{i}"] = s, e
    sql = _trend_sql(where, rep_where, len(windows), parts, scope.grain)
    res = conn.execute(sa.text(sql), {**binds, **params, **rep_params})
    trend = _frame(res)
    for col in trend.columns[3:]:
        trend[col] = trend[col].astype(float)
    return trend, tuple(period_label(s, scope.grain) for s, _ in windows)


def _parts_of(metrics: Iterable[str]) -> tuple[str, ...]:
    needed = set()
    for m in metrics:
        if m not in _PARTS:
            check_metric(m)
            raise InvalidFilter(f"{m!r} has no trend of its own.", "Pass the composite's components instead.")
        needed.update(_PARTS[m])
    return tuple(p for p in _ALL_PARTS if p in needed)


def load_board_data(
    engine: Engine, scope: Scope, trend_of: tuple[str, ...] = (DEFAULT_METRIC,), periods: int | None = None
) -> BoardData:
    """Run the board's two grouped queries for ``scope``: current + previous range per rep, and the
    last ``periods`` grain periods of the sums that the metrics in ``trend_of`` need
    (see :func:`trend_metrics`); ``periods`` defaults to :data:`TREND_PERIODS_BY_GRAIN`.
    The per-rep and per-team rows every ranking starts from are summed here, once per scope."""
    periods = periods or TREND_PERIODS_BY_GRAIN[scope.grain]
    if periods < 1:
        raise InvalidFilter(f"A trend of {periods} periods is empty.", "Ask for 1 period or more.")
    parts = _parts_of(trend_of)
    where, params = scope_filter(scope)
    rep_where, rep_params = scope_filter(scope, alias="r")
    prev = scope.previous()
    qp = quota_params(prev)
    binds = {
        "s_c": scope.start,
        "e_c": scope.end,
        "s_p": prev.start,
        "e_p": prev.end,
        "h_start": min(scope.start, prev.start),
        "h_end": max(scope.end, prev.end),
        **quota_params(scope),
        "pq_start": qp["q_start"],
        "pq_end": qp["q_end"],
        **params,
        **rep_params,
    }
    with engine.connect() as conn:
        res = conn.execute(sa.text(_stats_sql(where, rep_where)), binds)
        stats = _frame(res)
        for col in _SUMS:
            for sfx in ("_c", "_p"):
                stats[f"{col}{sfx}"] = stats[f"{col}{sfx}"].astype(float)
        trend, labels = _trend_frame(conn, scope, periods, parts, where, params, rep_where, rep_params)
    rep_rows, team_rows = _board_rows(stats, scope)
    return BoardData(
        scope=scope,
        stats=stats,
        trend=trend,
        periods=labels,
        trend_of=tuple(sorted(set(trend_of))),
        rep_rows=rep_rows,
        team_rows=team_rows,
        rep_trend=_trend_cube(trend, "rep_id", rep_rows["rep_id"], len(labels)),
        team_trend=_trend_cube(trend, "team_id", team_rows["team_id"], len(labels)),
    )


def load_rep_trend(engine: Engine, scope: Scope, rep_ids: tuple[str, ...], periods: int | None = None) -> pd.DataFrame:
    """Every metric of the reps ``rep_ids`` over the last ``periods`` grain periods, for side by side.

    Long frame: rep_id, period, metric (a key of :data:`COMPARE_METRICS`), value (NaN = undefined;
    counts and money 0 in a period without events).
    """
    ids = tuple(dict.fromkeys(rep_ids))
    periods = periods or TREND_PERIODS_BY_GRAIN[scope.grain]
    if not ids:
        return pd.DataFrame(columns=["rep_id", "period", "metric", "value"])
    where, params = scope_filter(scope)
    rep_where, rep_params = scope_filter(scope, alias="r")
    marks = ", ".join(f":rid{i}" for i in range(len(ids)))
    params = {**params, **{f"rid{i}": r for i, r in enumerate(ids)}}
    # Bind names generated here; the ids themselves are bound values.
    where += f" AND rep_id IN ({marks})"
    rep_where += f" AND r.rep_id IN ({marks})"
    with engine.connect() as conn:
        trend, labels = _trend_frame(
            conn, scope, periods, _ALL_PARTS, where, params, rep_where, {**rep_params, **params}
        )
    cube = _trend_cube(trend, "rep_id", pd.Series(ids, dtype=object), len(labels))  # (rep, period, sum)
    d = _derive_arrays({c: cube[:, :, j] for j, c in enumerate(_SUMS)})
    counts = {"won_revenue", "deals_won", "activities", "pipeline_created"}
    blocks = []
    for m in COMPARE_METRICS:
        v = d[METRICS[m].column]
        if m in counts:  # a period without events is 0, not undefined
            v = np.where(np.isnan(v), 0.0, v)
        blocks.append(v.ravel())
    n_metrics, n_cells = len(COMPARE_METRICS), len(ids) * len(labels)
    return pd.DataFrame(
        {
            "rep_id": np.tile(np.repeat(np.array(ids, dtype=object), len(labels)), n_metrics),
            "period": np.tile(np.array(labels, dtype=object), len(ids) * n_metrics),
            "metric": np.repeat(np.array(COMPARE_METRICS, dtype=object), n_cells),
            "value": np.concatenate(blocks) if blocks else np.array([], dtype=float),
        }
    )


# ---- pure calculations on the aggregates ------------------------------------------------------


def derive(frame: pd.DataFrame, sfx: str = "") -> pd.DataFrame:
    """Ratios from the sums with suffix ``sfx``: attainment, win_rate, avg_deal_cents (NaN when undefined).

    Output columns (no suffix): won_cents, won_count, lost_count, closed_count, pipeline_cents,
    created_count, activities, quota_cents, attainment, win_rate, avg_deal_cents, present.
    """
    d = _derive_arrays({c: frame[f"{c}{sfx}"].to_numpy(dtype=float) for c in _SUMS})
    return pd.DataFrame(d, index=frame.index)


def _derive_arrays(sums: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """:func:`derive` on arrays (any shape): the sums, closed_count, the ratios and present."""
    out = {c: np.asarray(sums[c], dtype=float) for c in _SUMS}
    won, won_n, lost_n, quota = out["won_cents"], out["won_count"], out["lost_count"], out["quota_cents"]
    out["closed_count"] = closed = won_n + lost_n
    with np.errstate(divide="ignore", invalid="ignore"):
        out["attainment"] = np.where(quota > 0, won / quota, np.nan)
        out["win_rate"] = np.where(closed > 0, won_n / closed, np.nan)
        out["avg_deal_cents"] = np.where(won_n > 0, won / won_n, np.nan)
    # On the board for this range: any event or any quota in it.
    out["present"] = (closed + out["created_count"] + out["activities"] + quota) > 0
    return out


def competition_rank(values: pd.Series) -> pd.Series:
    """Rank, highest first, equal values sharing the best rank (1, 2, 2, 4); NaN stays unranked."""
    rounded = values.astype(float).round(9)  # float noise must not split a tie
    return rounded.rank(method="min", ascending=False).astype("Int64")


def percentile_rank(values: pd.Series) -> pd.Series:
    """Percentile rank within the series, 0..1, highest value = 1, ties share the average; NaN -> 0."""
    return values.astype(float).round(9).rank(method="average", pct=True).fillna(0.0)


def composite_score(frame: pd.DataFrame, weights: Mapping[str, float]) -> pd.Series:
    """Weighted mean of the components' percentile ranks within ``frame``, scaled 0..100.

    A rep without a value for a component (no quota, no closed deal) gets 0 for it.
    """
    w = check_weights(weights)
    total = sum(w.values())
    score = pd.Series(0.0, index=frame.index)
    for name, weight in w.items():
        score += weight * percentile_rank(frame[METRICS[name].column])
    return 100.0 * score / total


def _composite_columns(cols: Mapping[str, np.ndarray], w: Mapping[str, float], present: np.ndarray) -> np.ndarray:
    """:func:`composite_score` of every column (period) of 2-D component arrays at once, each
    period among its ``present`` rows only; NaN where a row is not present."""
    total = sum(w.values())
    score = np.zeros(present.shape)
    for name, weight in w.items():
        v = np.where(present, np.round(cols[METRICS[name].column], 9), np.nan)
        pr = pd.DataFrame(v).rank(method="average", pct=True).to_numpy()  # column by column
        score = score + weight * np.nan_to_num(pr, nan=0.0)
    return np.where(present, 100.0 * score / total, np.nan)


def movement_label(rank, prev_rank) -> str:
    """'▲3' (up three places), '▼1', '–' (same place), 'new' (not ranked before), '' (unranked now)."""
    if rank is None or pd.isna(rank):
        return ""
    if prev_rank is None or pd.isna(prev_rank):
        return "new"
    diff = int(prev_rank) - int(rank)
    return f"▲{diff}" if diff > 0 else f"▼{-diff}" if diff < 0 else "–"


def _movements(rank: pd.Series, prev_rank: pd.Series) -> np.ndarray:
    """:func:`movement_label` for whole columns (object array of str)."""
    has_r, has_p = rank.notna().to_numpy(), prev_rank.notna().to_numpy()
    diff = prev_rank.fillna(0).to_numpy(dtype=np.int64) - rank.fillna(0).to_numpy(dtype=np.int64)
    out = np.full(len(rank), "", dtype=object)
    out[has_r & ~has_p] = "new"
    both = has_r & has_p
    out[both & (diff == 0)] = "–"
    for mask, arrow in ((both & (diff > 0), "▲"), (both & (diff < 0), "▼")):
        out[mask] = [f"{arrow}{abs(d)}" for d in diff[mask].tolist()]
    return out


def wilson_interval(successes, trials, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a proportion (arrays in, arrays out; NaN where trials is 0)."""
    if confidence not in CONFIDENCES:
        raise InvalidFilter(
            f"Confidence {confidence!r} is not offered.", f"Use one of: {', '.join(map(str, CONFIDENCES))}."
        )
    z = CONFIDENCES[confidence]
    k = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        denom = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    lo = np.where(n > 0, centre - half, np.nan)
    hi = np.where(n > 0, centre + half, np.nan)
    return lo, hi


def cohort_of(hire_date: pd.Series, ramp_months: pd.Series, as_of: date) -> pd.Series:
    """Tenure cohort at ``as_of``: ramping (calendar month since hire < ramp_months, as quotas ramp),
    first_year (hired less than a year before), veteran (otherwise, or hire date unknown)."""
    hire = pd.to_datetime(hire_date)
    months = (as_of.year - hire.dt.year) * 12 + (as_of.month - hire.dt.month)
    ramping = months < ramp_months.astype(float)
    first_year = hire > pd.Timestamp(as_of) - pd.DateOffset(years=1)
    out = np.where(ramping.fillna(False), "ramping", np.where(first_year.fillna(False), "first_year", "veteran"))
    return pd.Series(out, index=hire_date.index)


_BOTH_SUMS = [f"{c}{s}" for c in _SUMS for s in ("_c", "_p")]
_REP_ATTRS = ["name", "role", "hire_date", "ramp_months", "home_team", "home_team_name"]


def _per_rep(stats: pd.DataFrame, sums: np.ndarray) -> pd.DataFrame:
    """Sum the (rep, team-at-the-time) rows into one row per rep (attributes: first non-null)."""
    if stats["rep_id"].isna().any() or not stats["rep_id"].is_monotonic_increasing:
        by_rep = stats.groupby("rep_id", sort=True)
        return by_rep[_BOTH_SUMS].sum().join(by_rep[_REP_ATTRS].first()).reset_index()
    # The statement orders by rep: a rep's rows are one block. Per column at most one of a rep's
    # rows holds a fraction (quota sits on the current team's row), so this sum is exact.
    codes = pd.factorize(stats["rep_id"])[0]
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    out = stats[["rep_id", *_REP_ATTRS]].take(starts).reset_index(drop=True)
    for col in ("home_team", "home_team_name"):  # differ within a rep only for reps without a team
        if stats[col].isna().any():
            out[col] = stats.groupby("rep_id", sort=True)[col].first().to_numpy()
    summed = pd.DataFrame(np.add.reduceat(sums, starts, axis=0), columns=_BOTH_SUMS)
    return pd.concat([out[["rep_id"]], summed, out[_REP_ATTRS]], axis=1)


def _board_rows(stats: pd.DataFrame, scope: Scope) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rows every ranking starts from: one per rep (current team, cohort, the team win rate
    its flag compares with, its team's median attainment) and one per team at the time (reps)."""
    sums = stats[_BOTH_SUMS].to_numpy(dtype=float)
    at = {name: j for j, name in enumerate(_BOTH_SUMS)}
    if len(stats):
        reps = _per_rep(stats, sums)
    else:
        reps = pd.DataFrame(columns=["rep_id", *_BOTH_SUMS, *_REP_ATTRS])
    reps = reps.rename(columns={"home_team": "team_id", "home_team_name": "team_name"})
    reps["cohort"] = cohort_of(reps["hire_date"], reps["ramp_months"], scope.end)
    cur = derive(reps, "_c")
    # Teams at the time, in id order; pandas sums each team's rows in row (rep) order, as before.
    tcodes = pd.factorize(stats["team_id"], sort=True)[0]
    has = tcodes >= 0
    team_sums = pd.DataFrame(sums[has]).groupby(tcodes[has], sort=True).sum().to_numpy()
    first = np.flatnonzero(has)[np.unique(tcodes[has], return_index=True)[1]]
    teams = pd.concat(
        [
            stats[["team_id"]].take(first).reset_index(drop=True),
            pd.DataFrame(team_sums.reshape(len(first), len(_BOTH_SUMS)), columns=_BOTH_SUMS),
            stats[["team_name"]].take(first).reset_index(drop=True),
        ],
        axis=1,
    )
    active = has & (sums[:, [at[f"{c}_c"] for c in _SUMS]].sum(axis=1) > 0)  # (rep, team) rows are unique
    teams["reps"] = np.bincount(tcodes[active], minlength=len(first)).astype(int)
    # Flag baseline: the other reps' deals in the rep's current team (team at the time of each
    # deal); the rest of the board when that team has none. It does not depend on the confidence.
    home = pd.Index(teams["team_id"]).get_indexer(reps["team_id"])
    team_won = np.append(team_sums[:, at["won_count_c"]], 0.0)[home]  # home -1 (no rows): 0
    team_closed = team_won + np.append(team_sums[:, at["lost_count_c"]], 0.0)[home]
    own = (stats["team_id"] == stats["home_team"]).to_numpy(dtype=bool)
    rcodes = pd.Index(reps["rep_id"]).get_indexer(stats["rep_id"])
    own_won = np.bincount(rcodes[own], weights=sums[own, at["won_count_c"]], minlength=len(reps))
    own_lost = np.bincount(rcodes[own], weights=sums[own, at["lost_count_c"]], minlength=len(reps))
    won_rest = team_won - own_won
    closed_rest = team_closed - (own_won + own_lost)
    all_won = float(sums[:, at["won_count_c"]].sum())
    all_closed = all_won + float(sums[:, at["lost_count_c"]].sum())
    use_board = closed_rest <= 0
    won_rest = np.where(use_board, all_won - cur["won_count"].to_numpy(), won_rest)
    closed_rest = np.where(use_board, all_closed - cur["closed_count"].to_numpy(), closed_rest)
    with np.errstate(divide="ignore", invalid="ignore"):
        reps["team_win_rate"] = np.where(closed_rest > 0, won_rest / closed_rest, np.nan)
    # Distance from the team median of attainment (reps of the same current team on the board).
    reps["team_median_attainment"] = cur["attainment"].groupby(reps["team_id"]).transform("median")
    return reps, teams


def _trend_cube(trend: pd.DataFrame, key: str, keys: pd.Series, n_periods: int) -> np.ndarray:
    """The trend sums per ``key`` (rep_id or team_id) in the order of ``keys``: an array
    (keys, periods, :data:`_SUMS`), NaN where the key has nothing in a period, 0 for sums not asked."""
    n = len(keys)
    cube = np.full((n, n_periods, len(_SUMS)), np.nan)
    if not len(trend) or not n:
        return cube
    cols = [c for c in _SUMS if c in trend.columns]
    codes, uniques = pd.factorize(trend[key])
    pos = np.append(pd.Index(keys).get_indexer(uniques), -1)[codes]  # code -1 (no team) -> -1
    ok = pos >= 0
    flat = pos[ok] * n_periods + trend["idx"].to_numpy(dtype=np.int64)[ok]
    values = trend[cols].to_numpy(dtype=float)[ok]
    filled = np.zeros((n * n_periods, len(_SUMS)))  # sums not asked for stay 0
    present = np.zeros(n * n_periods, dtype=bool)
    if key == "team_id":  # many reps per team: pandas sums them in row (rep) order, as before
        summed = pd.DataFrame(values).groupby(flat, sort=False).sum()
        cells = summed.index.to_numpy()
        present[cells] = True
        for j, c in enumerate(cols):
            filled[cells, _SUMS.index(c)] = summed[j].to_numpy()
    else:  # a rep's few rows hold integers and one fraction per cell: any order is exact
        present = np.bincount(flat, minlength=n * n_periods) > 0
        for j, c in enumerate(cols):
            filled[:, _SUMS.index(c)] = np.bincount(flat, weights=values[:, j], minlength=n * n_periods)
    filled[~present] = np.nan
    return filled.reshape(n, n_periods, len(_SUMS))


def _trend_values(cube: np.ndarray, metric: str, weights: Mapping[str, float]) -> np.ndarray:
    """The metric per row and period from a trend cube (NaN = no value)."""
    present = ~np.isnan(cube[:, :, 0])
    d = _derive_arrays({c: cube[:, :, j] for j, c in enumerate(_SUMS)})
    if metric == "composite":
        return _composite_columns(d, weights, present)
    return np.where(present, d[METRICS[metric].column], np.nan)


def _trend_lists(values: np.ndarray) -> np.ndarray:
    """Rows of a 2-D float array as lists of floats (None for NaN), in an object array."""
    cells = values.astype(object)
    cells[np.isnan(values)] = None
    out = np.empty(len(values), dtype=object)
    for i, row in enumerate(cells.tolist()):
        out[i] = row
    return out


_OUT_METRICS = [
    "attainment",
    "won_cents",
    "quota_cents",
    "win_rate",
    "won_count",
    "lost_count",
    "closed_count",
    "avg_deal_cents",
    "activities",
    "pipeline_cents",
]
#: Cents and counts are whole numbers: shown as Int64 (NA where undefined).
_WHOLE = (
    "won_cents",
    "quota_cents",
    "avg_deal_cents",
    "pipeline_cents",
    "won_count",
    "lost_count",
    "closed_count",
    "activities",
)


def _reasons(rows: np.ndarray, rate, base, lo, hi, closed, att, medv, confidence: float) -> np.ndarray:
    pct = f"{confidence:.0%}"
    reasons = np.full(len(rate), "", dtype=object)
    for i in rows:  # a handful of rows: the loop is over flagged reps only
        text = (
            f"win rate {rate[i]:.0%} vs team {base[i]:.0%} "
            f"({(rate[i] - base[i]) * 100:+.0f} pts; {pct} CI {lo[i]:.0%}–{hi[i]:.0%}, "
            f"{int(closed[i])} closed deals)"
        )
        if not (np.isnan(att[i]) or np.isnan(medv[i])):
            text += f"; attainment {att[i]:.0%} vs team median {medv[i]:.0%} ({(att[i] - medv[i]) * 100:+.0f} pts)"
        reasons[i] = text
    return reasons


def rank_board(
    data: BoardData,
    metric: str = DEFAULT_METRIC,
    *,
    by: str = "rep",
    weights: Mapping[str, float] | Iterable[tuple[str, float]] | None = None,
    cohort: str = "all",
    role: str = "all",
    confidence: float = 0.95,
    min_closed: int = MIN_CLOSED_DEALS,
) -> pd.DataFrame:
    """The ranked board of reps (``by="rep"``) or teams (``by="team"``), best first.

    Columns: rank (Int64, competition ranking, <NA> without a value), movement ('▲3', '▼1', '–',
    'new'), prev_rank, value (the ranking metric; the 0..100 score for "composite"), trend (list of
    the metric over ``data.periods``), the metrics of :data:`_OUT_METRICS` (money in cents, rates
    0..1), and for reps: rep_id, name, role, team_id, team_name, cohort, flag ('top'/'under'/''),
    reason, team_win_rate, win_rate_lo, win_rate_hi; for teams: team_id, team_name, reps.
    ``cohort`` and ``role`` narrow the rep board (ranks are within what is shown); flags always
    compare with the whole team.

    Works on the per-rep / per-team rows :func:`load_board_data` prepared, with whole-column
    numpy and pandas operations only (it runs on every rerun of the page).
    """
    check_metric(metric)
    w = check_weights(weights)
    if by not in ("rep", "team"):
        raise InvalidFilter(f"Cannot rank by {by!r}.", "Use by='rep' or by='team'.")
    if cohort not in COHORTS:
        raise InvalidFilter(f"Unknown cohort {cohort!r}.", f"Use one of: {', '.join(COHORTS)}.")
    if role not in ROLES:
        raise InvalidFilter(f"Unknown role {role!r}.", f"Use one of: {', '.join(ROLES)}.")
    if by == "rep":
        wilson_interval([], [], confidence)  # refuse an unknown confidence up front
    missing = set(trend_metrics(metric, w)) - set(data.trend_of)
    if missing:
        raise ValueError(
            f"load_board_data was not asked for the trend of {sorted(missing)}; pass trend_of=trend_metrics(...)"
        )
    rep_rows, team_rows, rep_trend, team_trend = _prepared(data)
    base, cube, key = (rep_rows, rep_trend, "rep_id") if by == "rep" else (team_rows, team_trend, "team_id")
    cur_all = _derive_arrays({c: base[f"{c}_c"].to_numpy(dtype=float) for c in _SUMS})
    keep = cur_all["present"].copy()
    if by == "rep":
        if cohort != "all":
            keep &= (base["cohort"] == cohort).to_numpy(dtype=bool)
        if role != "all":
            keep &= (base["role"] == role).to_numpy(dtype=bool)
    sel = np.flatnonzero(keep)
    cur = {k: v[sel] for k, v in cur_all.items()}
    prev = _derive_arrays({c: base[f"{c}_p"].to_numpy(dtype=float)[sel] for c in _SUMS})
    if metric == "composite":
        value = composite_score(pd.DataFrame(cur), w).to_numpy()
        # the previous score is ranked among reps who were there before
        prev_frame = pd.DataFrame(prev)
        prev_values = composite_score(prev_frame[prev["present"]], w).reindex(prev_frame.index).to_numpy()
    else:
        column = METRICS[metric].column
        value = cur[column]
        prev_values = np.where(prev["present"], prev[column], np.nan)
    rank = competition_rank(pd.Series(value))
    prev_rank = competition_rank(pd.Series(prev_values))
    keys = base[key].iloc[sel].reset_index(drop=True)
    order = (
        pd.DataFrame({"rank": rank, "value": value, key: keys})
        .sort_values(["rank", "value", key], ascending=[True, False, True], na_position="last")
        .index.to_numpy()
    )
    rows = sel[order]
    cols: dict[str, object] = {
        "rank": rank.take(order).reset_index(drop=True),
        # (an empty board's movement column stays float, as it always was)
        "movement": _movements(rank, prev_rank)[order] if len(sel) else np.array([], dtype=float),
        "prev_rank": prev_rank.take(order).reset_index(drop=True),
    }
    strings = ["rep_id", "name", "role", "team_id", "team_name", "cohort"] if by == "rep" else ["team_id", "team_name"]
    for col in strings:
        cols[col] = base[col].take(rows).reset_index(drop=True)
    if by == "team":
        cols["reps"] = base["reps"].to_numpy()[rows]
    cols["value"] = value[order]
    for col in _OUT_METRICS:
        v = cur[col][order]
        cols[col] = pd.Series(v).round().astype("Int64") if col in _WHOLE else v
    cols["trend"] = _trend_lists(_trend_values(cube[rows], metric, w))
    if by == "rep":
        won_n, closed = cur["won_count"][order], cur["closed_count"][order]
        base_rate = base["team_win_rate"].to_numpy(dtype=float)[rows]
        lo, hi = wilson_interval(won_n, closed, confidence)
        enough = closed >= min_closed
        top = enough & (lo > base_rate)
        under = enough & (hi < base_rate)
        cols["flag"] = np.where(top, "top", np.where(under, "under", ""))
        medv = base["team_median_attainment"].to_numpy(dtype=float)[rows]
        reasons = _reasons(
            np.flatnonzero(top | under),
            cur["win_rate"][order],
            base_rate,
            lo,
            hi,
            closed,
            cur["attainment"][order],
            medv,
            confidence,
        )
        cols["reason"] = pd.Series(reasons, dtype="str" if len(base) else object)  # dtypes as before
        cols["team_win_rate"], cols["win_rate_lo"], cols["win_rate_hi"] = base_rate, lo, hi
    return pd.DataFrame(cols)


def _prepared(data: BoardData) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray, np.ndarray]:
    """The per-rep / per-team rows and trend cubes of ``data`` (computed here if it lacks them)."""
    if data.rep_rows is not None and data.team_rows is not None:
        return data.rep_rows, data.team_rows, data.rep_trend, data.team_trend
    reps, teams = _board_rows(data.stats, data.scope)
    n = len(data.periods)
    return (
        reps,
        teams,
        _trend_cube(data.trend, "rep_id", reps["rep_id"], n),
        _trend_cube(data.trend, "team_id", teams["team_id"], n),
    )


def board(
    engine: Engine,
    scope: Scope,
    metric: str = DEFAULT_METRIC,
    by: str = "rep",
    weights: tuple[tuple[str, float], ...] | None = None,
    cohort: str = "all",
    role: str = "all",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """:func:`rank_board` of :func:`load_board_data` in one call (CLI, scripts)."""
    check_metric(metric)
    return rank_board(
        load_board_data(engine, scope, trend_metrics(metric, weights)),
        metric,
        by=by,
        weights=weights,
        cohort=cohort,
        role=role,
        confidence=confidence,
    )


def performers(ranked: pd.DataFrame) -> pd.DataFrame:
    """The flagged rows of a rep board: top performers first, then under performers, by rank."""
    out = ranked[ranked["flag"] != ""].copy()
    out["_order"] = out["flag"].map({"top": 0, "under": 1})
    return out.sort_values(["_order", "rank"]).drop(columns="_order").reset_index(drop=True)


def compare_reps(ranked: pd.DataFrame, rep_ids: Iterable[str]) -> pd.DataFrame:
    """Side by side for 2–4 reps of a ranked rep board.

    One row per metric key of :data:`COMPARE_METRICS` plus "rank", one column per rep (its name);
    money in cents, rates 0..1.
    """
    ids = list(dict.fromkeys(rep_ids))
    if not 2 <= len(ids) <= 4:
        raise InvalidFilter(f"Side by side compares 2 to 4 reps; {len(ids)} picked.", "Pick 2, 3 or 4 reps.")
    rows = ranked.set_index("rep_id")
    missing = [r for r in ids if r not in rows.index]
    if missing:
        raise InvalidFilter(f"Not on this board: {', '.join(missing)}.", "Pick reps from the board's scope.")
    rows = rows.loc[ids]
    data = {r: [rows.loc[r, METRICS[m].column] for m in COMPARE_METRICS] + [rows.loc[r, "rank"]] for r in ids}
    table = pd.DataFrame(data, index=[*COMPARE_METRICS, "rank"])
    table.columns = [f"{rows.loc[r, 'name']} ({r})" for r in ids]
    return table

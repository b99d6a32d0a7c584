"""Leaderboards: rank reps and teams fairly, show who moved, flag who is beyond noise.

Definitions: docs/LEADERBOARDS.md. Two SQL statements do all the aggregation
(:func:`load_board_data`); everything after that works on the small aggregated frames
(one row per rep and team-at-the-time), so changing the metric, the weights or the cohort
never touches the database again.

* Events count by date inside ``[scope.start, scope.end]``; deals by close date (won/lost),
  pipeline by created date, activities by date. ``deals.team_id`` is the team at the time.
* Quota is :data:`salesops.queries.QUOTA_IN_WINDOW`: the prorated quota of the whole grain periods
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
from salesops.queries import QUOTA_IN_WINDOW, quota_params, scope_filter
from salesops.scope import Scope, period_label, period_start, shift


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
    ``trend``: one row per (rep_id, team_id, period_start) with the same sums for each of the last
    ``periods`` grain periods up to the scope's end (the last one cut at the scope's end); only the
    sums the metrics in ``trend_of`` need are filled (the others are 0).
    """

    scope: Scope
    stats: pd.DataFrame
    trend: pd.DataFrame
    periods: tuple[str, ...]
    trend_of: tuple[str, ...] = (DEFAULT_METRIC,)


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


def _select(parts: Mapping[str, str], suffixes: tuple[str, ...]) -> str:
    """The sum columns in a fixed order: our expression where given, 0 elsewhere (for UNION ALL)."""
    cols = []
    for col in _SUMS:
        for sfx in suffixes:
            name = f"{col}{sfx}"
            cols.append(f"CAST({parts.get(name, '0')} AS DOUBLE) AS {name}")
    return ", ".join(cols)


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


def _trend_sql(where: str, rep_where: str, n_periods: int, parts: tuple[str, ...]) -> str:
    one = ("",)
    bucket = "CAST(date_trunc(:grain, {col}) AS DATE)"
    closed = {
        "won_cents": "COALESCE(SUM(CASE WHEN outcome = 'won' THEN amount_cents END), 0)",
        "won_count": "SUM(CASE WHEN outcome = 'won' THEN 1 ELSE 0 END)",
        "lost_count": "SUM(CASE WHEN outcome = 'lost' THEN 1 ELSE 0 END)",
    }
    created = {"pipeline_cents": "COALESCE(SUM(amount_cents), 0)", "created_count": "COUNT(*)"}
    acts = {"activities": "COUNT(*)"}
    quota = {"quota_cents": "SUM(q.quota_cents)"}
    periods = " UNION ALL ".join(
        f"SELECT CAST(:ps{i} AS DATE) AS period_start, CAST(:pe{i} AS DATE) AS period_end" for i in range(n_periods)
    )
    selects = {
        "closed": f"""
            SELECT rep_id, team_id, {bucket.format(col="close_date")} AS period_start, {_select(closed, one)}
            FROM deals
            WHERE outcome IN ('won', 'lost') AND close_date BETWEEN :t_start AND :t_end {where}
            GROUP BY 1, 2, 3""",  # noqa: S608 - our fragments; values bound
        "created": f"""
            SELECT rep_id, team_id, {bucket.format(col="created_date")} AS period_start, {_select(created, one)}
            FROM deals
            WHERE created_date BETWEEN :t_start AND :t_end {where}
            GROUP BY 1, 2, 3""",  # noqa: S608 - our fragments; values bound
        "acts": f"""
            SELECT rep_id, team_id, {bucket.format(col="occurred_at")} AS period_start, {_select(acts, one)}
            FROM activities
            WHERE occurred_at BETWEEN :t_start AND :t_end {where}
            GROUP BY 1, 2, 3""",  # noqa: S608 - our fragments; values bound
        "quota": f"""
            SELECT r.rep_id, r.team_id, q.period_start, {_select(quota, one)}
            FROM q JOIN reps r ON r.rep_id = q.rep_id
            WHERE 1 = 1 {rep_where}
            GROUP BY 1, 2, 3""",  # noqa: S608 - our fragments; values bound
    }
    ev = " UNION ALL ".join(selects[p] for p in _ALL_PARTS if p in parts)
    # Per-period quota: the same proration as QUOTA_IN_WINDOW (share of a quota row's days that
    # falls in the period), for every period at once.
    return f"""
        WITH periods AS ({periods}),
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
            SELECT qrows.rep_id, p.period_start,
                   CAST(qrows.amount_cents AS DOUBLE)
                   * GREATEST(0, LEAST(qrows.qe, p.period_end) - GREATEST(qrows.qs, p.period_start) + 1)
                   / (qrows.qe - qrows.qs + 1) AS quota_cents
            FROM qrows JOIN periods p ON qrows.qs <= p.period_end AND qrows.qe >= p.period_start
        ),
        ev AS ({ev})
        SELECT rep_id, team_id, period_start, {", ".join(f"SUM({c}) AS {c}" for c in _SUMS)}
        FROM ev GROUP BY rep_id, team_id, period_start
        ORDER BY rep_id, team_id, period_start
    """  # noqa: S608 - identifiers and fragments are this module's constants; values are binds


def trend_periods(scope: Scope, periods: int = TREND_PERIODS) -> list[tuple[date, date]]:
    """The last ``periods`` whole grain periods up to the one holding ``scope.end`` (start, end)."""
    last = period_start(scope.end, scope.grain)
    starts = [shift(last, scope.grain, -i) for i in range(periods - 1, -1, -1)]
    return [(s, shift(s, scope.grain, 1) - timedelta(days=1)) for s in starts]


def _frame(result) -> pd.DataFrame:
    """A result as a DataFrame. DuckDB hands its result over as a whole (no per-row Python);
    other drivers are read column by column (pandas is slow at reading a list of Row objects)."""
    cursor = getattr(result, "cursor", None)
    if cursor is not None and hasattr(cursor, "fetch_df"):
        return cursor.fetch_df()
    keys = list(result.keys())
    rows = result.fetchall()
    if not rows:
        return pd.DataFrame({k: [] for k in keys})
    return pd.DataFrame(dict(zip(keys, map(list, zip(*rows)))))


def _trend_frame(
    conn, scope: Scope, periods: int, parts: tuple[str, ...], where: str, params: dict, rep_where: str, rep_params: dict
):
    windows = trend_periods(scope, periods)
    binds = {"grain": scope.grain, "t_start": windows[0][0], "t_end": scope.end, "t_qend": windows[-1][1]}
    for i, (s, e) in enumerate(windows):
        binds[f"ps{i}"], binds[f"pe{i}"] = s, e
    res = conn.execute(sa.text(_trend_sql(where, rep_where, len(windows), parts)), {**binds, **params, **rep_params})
    trend = _frame(res)
    for col in _SUMS:
        trend[col] = trend[col].astype(float)
    trend["period_start"] = pd.to_datetime(trend["period_start"]).dt.date
    labels = {s: period_label(s, scope.grain) for s, _ in windows}
    trend["period"] = trend["period_start"].map(labels)
    return trend, tuple(labels.values())


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
    (see :func:`trend_metrics`); ``periods`` defaults to :data:`TREND_PERIODS_BY_GRAIN`."""
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
    return BoardData(scope=scope, stats=stats, trend=trend, periods=labels, trend_of=tuple(sorted(set(trend_of))))


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
    summed = trend.groupby(["rep_id", "period"], sort=False)[list(_SUMS)].sum().reset_index()
    d = derive(summed)
    d["rep_id"], d["period"] = summed["rep_id"].to_numpy(), summed["period"].to_numpy()
    grid = pd.MultiIndex.from_product([list(ids), list(labels)], names=["rep_id", "period"]).to_frame(index=False)
    d = grid.merge(d, on=["rep_id", "period"], how="left")
    by_col = {METRICS[m].column: m for m in COMPARE_METRICS}
    long = d.melt(id_vars=["rep_id", "period"], value_vars=list(by_col), var_name="column", value_name="value")
    long["metric"] = long.pop("column").map(by_col)
    counts = long["metric"].isin(["won_revenue", "deals_won", "activities", "pipeline_created"])
    long.loc[counts, "value"] = long.loc[counts, "value"].fillna(0.0)
    return long[["rep_id", "period", "metric", "value"]]


# ---- pure calculations on the aggregates ------------------------------------------------------


def derive(frame: pd.DataFrame, sfx: str = "") -> pd.DataFrame:
    """Ratios from the sums with suffix ``sfx``: attainment, win_rate, avg_deal_cents (NaN when undefined).

    Output columns (no suffix): won_cents, won_count, lost_count, closed_count, pipeline_cents,
    created_count, activities, quota_cents, attainment, win_rate, avg_deal_cents, present.
    """
    out = pd.DataFrame(index=frame.index)
    for col in _SUMS:
        out[col] = frame[f"{col}{sfx}"].astype(float)
    out["closed_count"] = out["won_count"] + out["lost_count"]
    out["attainment"] = (out["won_cents"] / out["quota_cents"]).where(out["quota_cents"] > 0)
    out["win_rate"] = (out["won_count"] / out["closed_count"]).where(out["closed_count"] > 0)
    out["avg_deal_cents"] = (out["won_cents"] / out["won_count"]).where(out["won_count"] > 0)
    # On the board for this range: any event or any quota in it.
    out["present"] = (out["closed_count"] + out["created_count"] + out["activities"] + out["quota_cents"]) > 0
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


def _values(frame: pd.DataFrame, metric: str, weights: Mapping[str, float]) -> pd.Series:
    if metric == "composite":
        return composite_score(frame, weights)
    return frame[METRICS[metric].column].astype(float)


def movement_label(rank, prev_rank) -> str:
    """'▲3' (up three places), '▼1', '–' (same place), 'new' (not ranked before), '' (unranked now)."""
    if rank is None or pd.isna(rank):
        return ""
    if prev_rank is None or pd.isna(prev_rank):
        return "new"
    diff = int(prev_rank) - int(rank)
    return f"▲{diff}" if diff > 0 else f"▼{-diff}" if diff < 0 else "–"


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


def _per_rep(stats: pd.DataFrame) -> pd.DataFrame:
    """Sum the (rep, team-at-the-time) rows into one row per rep."""
    attrs = ["name", "role", "hire_date", "ramp_months", "home_team", "home_team_name"]
    sums = [f"{c}{s}" for c in _SUMS for s in ("_c", "_p")]
    by_rep = stats.groupby("rep_id", sort=True)
    return by_rep[sums].sum().join(by_rep[attrs].first()).reset_index()


def _flags(reps: pd.DataFrame, stats: pd.DataFrame, confidence: float, min_closed: int) -> pd.DataFrame:
    """Top/under performer flags: the rep's win-rate CI excludes the rest of the team's win rate,
    with at least ``min_closed`` closed deals. Baseline: the other reps' deals in the rep's current
    team (team at the time of each deal); the rest of the board when that team has none."""
    team_won = stats.groupby("team_id")["won_count_c"].sum()
    team_closed = stats.groupby("team_id")["won_count_c"].sum() + stats.groupby("team_id")["lost_count_c"].sum()
    own = stats[stats["team_id"] == stats["home_team"]].groupby("rep_id")[["won_count_c", "lost_count_c"]].sum()
    own = own.reindex(reps["rep_id"]).fillna(0.0)
    won_rest = reps["home_team"].map(team_won).fillna(0.0).to_numpy() - own["won_count_c"].to_numpy()
    closed_rest = (
        reps["home_team"].map(team_closed).fillna(0.0).to_numpy()
        - own[["won_count_c", "lost_count_c"]].sum(axis=1).to_numpy()
    )
    all_won, all_closed = float(stats["won_count_c"].sum()), float(stats[["won_count_c", "lost_count_c"]].sum().sum())
    use_board = closed_rest <= 0
    won_rest = np.where(use_board, all_won - reps["won_count"], won_rest)
    closed_rest = np.where(use_board, all_closed - reps["closed_count"], closed_rest)
    with np.errstate(divide="ignore", invalid="ignore"):
        base = np.where(closed_rest > 0, won_rest / closed_rest, np.nan)
    lo, hi = wilson_interval(reps["won_count"], reps["closed_count"], confidence)
    enough = reps["closed_count"].to_numpy() >= min_closed
    top = enough & (lo > base)
    under = enough & (hi < base)
    out = pd.DataFrame(index=reps.index)
    out["team_win_rate"] = base
    out["win_rate_lo"], out["win_rate_hi"] = lo, hi
    out["flag"] = np.where(top, "top", np.where(under, "under", ""))
    # Distance from the team median of attainment (reps of the same current team on the board).
    med = reps.groupby("home_team")["attainment"].transform("median")
    out["team_median_attainment"] = med
    pct = f"{confidence:.0%}"
    reasons = np.full(len(reps), "", dtype=object)
    rate, att, closed, medv = (
        reps["win_rate"].to_numpy(float),
        reps["attainment"].to_numpy(float),
        reps["closed_count"].to_numpy(float),
        med.to_numpy(float),
    )
    for i in np.flatnonzero(top | under):  # a handful of rows: the loop is over flagged reps only
        text = (
            f"win rate {rate[i]:.0%} vs team {base[i]:.0%} "
            f"({(rate[i] - base[i]) * 100:+.0f} pts; {pct} CI {lo[i]:.0%}–{hi[i]:.0%}, "
            f"{int(closed[i])} closed deals)"
        )
        if not (np.isnan(att[i]) or np.isnan(medv[i])):
            text += f"; attainment {att[i]:.0%} vs team median {medv[i]:.0%} ({(att[i] - medv[i]) * 100:+.0f} pts)"
        reasons[i] = text
    out["reason"] = reasons
    return out


def _trend_lists(trend: pd.DataFrame, key: str, metric: str, weights, periods: tuple[str, ...], keep) -> pd.Series:
    """Per ``key`` (rep_id or team_id), the metric's values over ``periods`` in order (None = no value)."""
    if trend.empty:
        return pd.Series([[None] * len(periods)] * len(keep), index=keep, dtype=object)
    summed = trend.groupby([key, "period"], sort=False)[list(_SUMS)].sum().reset_index()
    summed = summed[summed[key].isin(keep)]
    d = derive(summed)
    d[key], d["period"] = summed[key].to_numpy(), summed["period"].to_numpy()
    if metric == "composite":
        d["value"] = d.groupby("period", group_keys=False)[list(d.columns)].apply(lambda g: composite_score(g, weights))
    else:
        d["value"] = d[METRICS[metric].column]
    wide = d.pivot(index=key, columns="period", values="value").reindex(index=keep, columns=list(periods))
    return pd.Series(
        [[None if pd.isna(v) else float(v) for v in row] for row in wide.to_numpy()], index=wide.index, dtype=object
    )


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
    """
    check_metric(metric)
    w = check_weights(weights)
    if by not in ("rep", "team"):
        raise InvalidFilter(f"Cannot rank by {by!r}.", "Use by='rep' or by='team'.")
    if cohort not in COHORTS:
        raise InvalidFilter(f"Unknown cohort {cohort!r}.", f"Use one of: {', '.join(COHORTS)}.")
    if role not in ROLES:
        raise InvalidFilter(f"Unknown role {role!r}.", f"Use one of: {', '.join(ROLES)}.")
    stats = data.stats
    if by == "rep":
        base = (
            _per_rep(stats)
            if len(stats)
            else pd.DataFrame(
                columns=[
                    "rep_id",
                    "name",
                    "role",
                    "hire_date",
                    "ramp_months",
                    "home_team",
                    "home_team_name",
                    *[f"{c}{s}" for c in _SUMS for s in ("_c", "_p")],
                ]
            )
        )
        base = base.rename(columns={"home_team": "team_id", "home_team_name": "team_name"})
        key = "rep_id"
    else:
        sums = [f"{c}{s}" for c in _SUMS for s in ("_c", "_p")]
        g = stats.groupby("team_id", sort=True)
        base = g[sums].sum().join(g["team_name"].first()).reset_index()
        key = "team_id"
    cur, prev = derive(base, "_c"), derive(base, "_p")
    board = pd.concat([base.drop(columns=[c for c in base.columns if c.endswith(("_c", "_p"))]), cur], axis=1)
    keep = cur["present"].to_numpy(dtype=bool, copy=True)
    if by == "rep":
        board["cohort"] = cohort_of(board["hire_date"], board["ramp_months"], data.scope.end)
        flags = _flags(board.assign(home_team=board["team_id"]), stats, confidence, min_closed)
        board = pd.concat([board, flags], axis=1)
        if cohort != "all":
            keep &= (board["cohort"] == cohort).to_numpy()
        if role != "all":
            keep &= (board["role"] == role).to_numpy()
    else:
        reps_per_team = stats[stats[[f"{c}_c" for c in _SUMS]].sum(axis=1) > 0].groupby("team_id")["rep_id"].nunique()
        board["reps"] = board["team_id"].map(reps_per_team).fillna(0).astype(int)
    board, prev = board[keep].reset_index(drop=True), prev[keep].reset_index(drop=True)
    board["value"] = _values(board, metric, w)
    prev_values = _values(prev, metric, w).where(prev["present"])
    if metric == "composite":  # the previous score is ranked among reps who were there before
        prev_values = composite_score(prev[prev["present"]], w).reindex(prev.index)
    board["rank"] = competition_rank(board["value"])
    board["prev_rank"] = competition_rank(prev_values)
    board["movement"] = [movement_label(r, p) for r, p in zip(board["rank"], board["prev_rank"])]
    missing = set(trend_metrics(metric, w)) - set(data.trend_of)
    if missing:
        raise ValueError(
            f"load_board_data was not asked for the trend of {sorted(missing)}; pass trend_of=trend_metrics(...)"
        )
    board["trend"] = _trend_lists(data.trend, key, metric, w, data.periods, board[key]).to_numpy()
    board = board.sort_values(["rank", "value", key], ascending=[True, False, True], na_position="last")
    for col in (
        "won_cents",
        "quota_cents",
        "avg_deal_cents",
        "pipeline_cents",
        "won_count",
        "lost_count",
        "closed_count",
        "activities",
    ):
        board[col] = board[col].round().astype("Int64")  # cents and counts are whole numbers
    if by == "rep":
        cols = ["rank", "movement", "prev_rank", "rep_id", "name", "role", "team_id", "team_name", "cohort", "value"]
        cols += _OUT_METRICS + ["trend", "flag", "reason", "team_win_rate", "win_rate_lo", "win_rate_hi"]
    else:
        cols = ["rank", "movement", "prev_rank", "team_id", "team_name", "reps", "value", *_OUT_METRICS, "trend"]
    return board[cols].reset_index(drop=True)


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

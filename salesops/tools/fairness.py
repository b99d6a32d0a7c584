"""Lead fairness: are leads split evenly and fairly between the reps of a team?

Definitions and choices: docs/TOOLS.md ("Lead fairness").

* **Eligible reps** of a team in a period: the team's active reps hired by the period's end whose
  role receives leads (a role that got at least one lead in the scope and period), plus any rep
  who got a lead for that team in the period (moved or since-deactivated reps keep their leads).
* **Fair share** of a rep: the team's leads × the rep's weight ÷ the team's total weight.
  ``equal``: every eligible rep weighs 1. ``capacity``: FTE × the period's days the rep was
  employed (from hire_date), days still in ramp (hire_date + ramp_months) counting
  :data:`RAMP_WEIGHT`, ÷ the period's days.
* **Quality-adjusted** leads weigh each lead by its source's historical conversion rate (share of
  the source's leads created before the period that reached ``won``), relative to all sources, so
  a rep given only the poor sources shows up even when the counts look even. (The rates are read
  from ``lead_source_days``, the leads counted per day and source: :mod:`salesops.store.lead_tables`.)
* **Gini** per team of leads per eligible rep: 0 = perfectly even, (n-1)/n = one rep got them all.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from salesops.errors import InvalidFilter
from salesops.scope import Scope
from salesops.store.engine import fetch_arrow_frame
from salesops.store.engine import fetch_frame as _fetch
from salesops.store.lead_tables import month_and_edge_binds
from salesops.store.sql import scope_filter

#: Weight of a rep whose ramp lasts into the period (the rest of their capacity is learning).
RAMP_WEIGHT = 0.5
#: A rep is flagged when their leads are outside these multiples of their fair share …
FLAG_LOW, FLAG_HIGH = 0.75, 1.33
#: … and the gap is more than this many standard deviations of fair random routing (Poisson).
FLAG_SIGMAS = 2.0
WEIGHTINGS = ("capacity", "equal")
#: Months of history the monthly trend shows (up to the scope's end).
TREND_MONTHS = 12
#: Teams the page's trend charts: the most uneven of the period (:func:`most_uneven`).
TREND_TEAMS = 5


def gini(values: Sequence[float]) -> float | None:
    """Gini coefficient of non-negative values: 0 when all are equal, (n-1)/n when one has everything.

    One group of :func:`gini_of_groups` (the one definition). None for no values; 0.0 when they
    are all zero (nothing to split unevenly).
    """
    x = np.asarray(values, dtype=float)
    if len(x) == 0:
        return None
    if (x < 0).any():
        raise InvalidFilter("The Gini coefficient needs non-negative values.", "Pass counts of leads.")
    return float(gini_of_groups(np.zeros(len(x), dtype="int64"), x, np.array([len(x)]), 1)[0])


def _check_weighting(weighting: str) -> str:
    if weighting not in WEIGHTINGS:
        raise InvalidFilter(f"Unknown weighting {weighting!r}.", f"Use one of: {', '.join(WEIGHTINGS)}.")
    return weighting


def _add_months(day: date, months: int) -> date:
    return (pd.Timestamp(day) + pd.DateOffset(months=months)).date()


_REP_SQL = """
    WITH conv AS (
        SELECT source, CAST(SUM(won) AS DECIMAL(38, 1)) / SUM(leads) AS rate, SUM(leads) AS n
        FROM lead_source_days WHERE day < :start GROUP BY source
    ),
    overall AS (SELECT SUM(rate * n) / NULLIF(SUM(n), 0) AS rate FROM conv),
    lc AS (
        SELECT l.rep_id, l.team_id, COUNT(*) AS leads,
               SUM(COALESCE(c.rate / NULLIF(o.rate, 0), 1.0)) AS quality_leads
        FROM leads l LEFT JOIN conv c USING (source) CROSS JOIN overall o
        WHERE l.created_at BETWEEN :start AND :end AND l.rep_id IS NOT NULL {lead_where}
        GROUP BY l.rep_id, l.team_id
    ),
    roles AS (SELECT DISTINCT r.role FROM lc JOIN reps r USING (rep_id)),
    pool AS (
        SELECT r.rep_id, r.team_id FROM reps r
        WHERE r.active AND r.role IN (SELECT role FROM roles)
          AND (r.hire_date IS NULL OR r.hire_date <= :end) {rep_where}
        UNION
        SELECT rep_id, team_id FROM lc
    )
    SELECT p.team_id, COALESCE(t.name, p.team_id) AS team, p.rep_id, r.name AS rep, r.role,
           CAST(r.fte AS DOUBLE PRECISION) AS fte,
           CAST(GREATEST(0, CAST(:end AS DATE) - a.first_day + 1) AS BIGINT) AS days_available,
           CAST(GREATEST(0, LEAST(CAST(:end AS DATE), CAST(a.ramp_end AS DATE) - 1) - a.first_day + 1) AS BIGINT)
               AS ramp_days,
           CAST(COALESCE(lc.leads, 0) AS BIGINT) AS leads,
           CAST(COALESCE(lc.quality_leads, 0.0) AS DOUBLE PRECISION) AS quality_leads
    FROM pool p JOIN reps r ON r.rep_id = p.rep_id
    CROSS JOIN LATERAL (
        SELECT GREATEST(CAST(:start AS DATE), COALESCE(r.hire_date, CAST(:start AS DATE))) AS first_day,
               COALESCE(r.hire_date + COALESCE(r.ramp_months, 0) * INTERVAL '1 month', CAST(:start AS DATE)) AS ramp_end
    ) a
    LEFT JOIN lc ON lc.rep_id = p.rep_id AND lc.team_id = p.team_id
    LEFT JOIN teams t ON t.team_id = p.team_id
    ORDER BY p.team_id, r.name, p.rep_id
"""

REP_COLUMNS = [
    "team_id",
    "team",
    "rep_id",
    "rep",
    "role",
    "fte",
    "ramping",
    "days_available",
    "ramp_days",
    "weight",
    "leads",
    "fair_share",
    "ratio",
    "quality_leads",
    "quality_fair_share",
    "quality_ratio",
    "flagged",
    "flag",
]
TEAM_COLUMNS = ["team_id", "team", "reps", "leads", "gini", "capacity_gini", "quality_gini", "top_share", "flagged"]


def _weight_values(fte: np.ndarray, available: np.ndarray, ramp: np.ndarray, days: int, weighting: str) -> np.ndarray:
    if weighting == "equal":
        return np.ones(len(fte))
    return fte * (available - (1.0 - RAMP_WEIGHT) * ramp) / days


def _group_sum(codes: np.ndarray, values: np.ndarray, groups: int) -> np.ndarray:
    """Per group sums of ``values`` (rows whose code is -1 belong to no group)."""
    keep = codes >= 0
    return np.bincount(codes[keep], weights=values[keep].astype(float), minlength=groups)


def _rep_frame(engine: Engine, scope: Scope, weighting: str) -> pd.DataFrame:
    """:func:`rep_fairness`'s frame: one SQL scan set (leads twice: source history, the period), read
    through Arrow (no DECIMAL column; its thousands of names), then vectorised per-team arithmetic in
    numpy on the few thousand eligible reps."""
    _check_weighting(weighting)
    lead_where, lp = scope_filter(scope, alias="l")
    rep_where, rp = scope_filter(scope, alias="r")
    sql = sa.text(_REP_SQL.format(lead_where=lead_where, rep_where=rep_where))  # noqa: S608 - our own fragments
    frame = fetch_arrow_frame(engine, sql, {"start": scope.start, "end": scope.end, **lp, **rp})
    if frame.empty or frame["leads"].sum() == 0:
        return pd.DataFrame(columns=REP_COLUMNS)
    # Team codes (-1: no team; such rows belong to no team, as in a pandas groupby).
    codes, uniques = pd.factorize(frame["team_id"])
    k = len(uniques)
    leads = frame["leads"].to_numpy("int64")
    quality = frame["quality_leads"].to_numpy(float)
    ramp_days = frame["ramp_days"].to_numpy("int64")
    weight = _weight_values(
        frame["fte"].to_numpy(float), frame["days_available"].to_numpy("int64"), ramp_days, scope.days, weighting
    )
    in_team = codes >= 0
    safe = np.where(in_team, codes, 0)

    def per_row(sums: np.ndarray) -> np.ndarray:
        return np.where(in_team, sums[safe], np.nan)

    total_w = per_row(_group_sum(codes, weight, k))
    with np.errstate(divide="ignore", invalid="ignore"):
        share = weight / np.where(total_w > 0, total_w, np.nan)
        fair = per_row(_group_sum(codes, leads, k)) * share
        quality_fair = per_row(_group_sum(codes, quality, k)) * share
        ratio = leads / np.where(fair > 0, fair, np.nan)
        quality_ratio = quality / np.where(quality_fair > 0, quality_fair, np.nan)
        far = np.abs(leads - fair) > FLAG_SIGMAS * np.sqrt(np.where(np.isnan(fair), np.nan, np.maximum(fair, 1.0)))
    high = far & ((ratio > FLAG_HIGH) | (fair == 0) & (leads > 0))
    low = far & (ratio < FLAG_LOW)
    out = {
        "team_id": frame["team_id"],
        "team": frame["team"],
        "rep_id": frame["rep_id"],
        "rep": frame["rep"],
        "role": frame["role"],
        "fte": frame["fte"].astype(float),
        "ramping": ramp_days > 0,
        "days_available": frame["days_available"].astype("int64"),
        "ramp_days": frame["ramp_days"].astype("int64"),
        "weight": weight,
        "leads": frame["leads"].astype("int64"),
        "fair_share": fair,
        "ratio": ratio,
        "quality_leads": frame["quality_leads"].astype(float),
        "quality_fair_share": quality_fair,
        "quality_ratio": quality_ratio,
        "flagged": high | low,
        "flag": pd.array(np.where(high, "too many", np.where(low, "too few", "")), dtype=frame["rep_id"].dtype),
    }
    return pd.DataFrame(out)


def rep_fairness(engine: Engine, scope: Scope, weighting: str = "capacity") -> pd.DataFrame:
    """Leads per eligible rep in the scope against their fair share.

    Columns: team_id, team, rep_id, rep, role, fte, ramping, days_available, ramp_days, weight, leads,
    fair_share, ratio (leads ÷ fair share), quality_leads, quality_fair_share, quality_ratio,
    flagged (bool), flag ("too many" / "too few" / ""). One row per (team, rep).
    """
    return _rep_frame(engine, scope, weighting)


def team_fairness(engine: Engine, scope: Scope, weighting: str = "capacity") -> pd.DataFrame:
    """Per team: reps, leads, gini (of leads per rep), capacity_gini (of leads ÷ fair share),
    quality_gini (of quality-adjusted leads per rep), top_share (share of the busiest rep),
    flagged (reps flagged). Sorted by gini, most uneven first.
    """
    return team_summary(_rep_frame(engine, scope, weighting))


def team_summary(reps: pd.DataFrame) -> pd.DataFrame:
    """:func:`team_fairness` from a :func:`rep_fairness` frame (vectorised; reps of no team are left out)."""
    if reps.empty:
        return pd.DataFrame(columns=TEAM_COLUMNS)
    reps = reps[reps["team_id"].notna() & reps["team"].notna()]
    codes, uniques = pd.factorize(reps["team_id"], sort=True)
    k = len(uniques)
    leads = reps["leads"].to_numpy("int64")
    n = np.bincount(codes, minlength=k)
    total = np.bincount(codes, weights=leads, minlength=k)
    top = np.zeros(k, dtype="int64")
    np.maximum.at(top, codes, leads)
    first = np.zeros(k, dtype="int64")
    first[codes[::-1]] = np.arange(len(codes))[::-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        out = pd.DataFrame(
            {
                "team_id": uniques,
                "team": reps["team"].to_numpy()[first] if len(codes) else [],
                "reps": n.astype("int64"),
                "leads": total.astype("int64"),
                "gini": gini_of_groups(codes, leads, n, k),
                "capacity_gini": gini_of_groups(codes, np.nan_to_num(reps["ratio"].to_numpy(float), nan=0.0), n, k),
                "quality_gini": gini_of_groups(codes, reps["quality_leads"].to_numpy(float), n, k),
                "top_share": top / np.where(total > 0, total, np.nan),
                "flagged": np.bincount(codes, weights=reps["flagged"].to_numpy(bool), minlength=k).astype("int64"),
            }
        )
    out["team"] = out["team"].astype(reps["team"].dtype)
    out["team_id"] = out["team_id"].astype(reps["team_id"].dtype)
    return out.sort_values(["gini", "team_id"], ascending=[False, True]).reset_index(drop=True)


def most_uneven(teams: pd.DataFrame, n: int = TREND_TEAMS) -> tuple[str, ...]:
    """The first ``n`` teams of a :func:`team_summary` frame (most uneven first): the trend's teams."""
    return tuple(str(t) for t in teams["team_id"].head(n))


def gini_of_groups(codes: np.ndarray, values: np.ndarray, n: np.ndarray, k: int) -> np.ndarray:
    """Gini of ``values`` per group code 0..k-1 (``n``: rows per group); 0.0 when a group's total is 0.

    Uses G = 2·Σ i·x_(i) / (n·Σx) − (n+1)/n over each group's values sorted ascending (i = 1..n),
    for every group at once.
    """
    order = np.lexsort((values, codes))
    sc, sv = codes[order], values[order]
    starts = np.cumsum(n) - n
    i = np.arange(len(sc)) - starts[sc] + 1
    total = np.bincount(sc, weights=sv, minlength=k)
    ix = np.bincount(sc, weights=i * sv, minlength=k)
    with np.errstate(divide="ignore", invalid="ignore"):
        g = 2.0 * ix / (n * np.where(total > 0, total, np.nan)) - (n + 1) / n
    return np.nan_to_num(g, nan=0.0)


def gini_by_group(frame: pd.DataFrame, keys: list[str], value: str) -> pd.DataFrame:
    """Gini of ``value`` within each group of ``keys`` (:func:`gini_of_groups`): keys…, n, gini."""
    grouped = frame.groupby(keys, sort=True)
    codes = grouped.ngroup().to_numpy()
    out = grouped.size().reset_index(name="n")
    out["gini"] = gini_of_groups(codes, frame[value].to_numpy(float), out["n"].to_numpy(), grouped.ngroups)
    return out[[*keys, "n", "gini"]]


#: Per (month, team): eligible reps and the Gini of their leads. The Gini needs each rep's rank
#: among the pool sorted by leads; reps without leads rank first and add nothing, so with
#: z = eligible reps who got no lead and r_j the rank among reps with leads,
#: Σ i·x_(i) = z · leads + Σ r_j · x_j. That avoids building and ranking the whole rep × month pool.
#: The counts of the window's whole months come from ``lead_months``, those of a partial last month
#: from ``leads`` (:mod:`salesops.store.lead_tables`). The ranks come from one sort of every (month,
#: team, rep) row by month, team and leads: a rep's rank in its (month, team) is its position minus
#: the group's first position plus 1, so Σ r_j · x_j = Σ pos_j · x_j − (first − 1) · leads (ties in
#: any order give the same sum) — one sort instead of a window per (month, team).
_TREND_SQL = """
    WITH months AS (
        SELECT CAST(m AS DATE) AS month
        FROM generate_series(CAST(:first AS TIMESTAMP), CAST(:end AS TIMESTAMP), INTERVAL '1 month') AS g(m)
    ),
    counts AS (
        SELECT l.month, l.team_id, l.rep_id, l.leads FROM lead_months l
        WHERE l.month BETWEEN :lm_m0 AND :lm_m1 {lead_where}
        UNION ALL
        SELECT CAST(date_trunc('month', l.created_at) AS DATE) AS month, l.team_id, l.rep_id, COUNT(*) AS leads
        FROM leads l
        WHERE l.created_at BETWEEN :lm_e0 AND :lm_e1 AND l.rep_id IS NOT NULL {lead_where}
        GROUP BY 1, 2, 3
    ),
    elig AS (
        SELECT r.rep_id, r.team_id, r.hire_date FROM reps r
        WHERE r.active AND r.role IN (SELECT DISTINCT r.role FROM counts c JOIN reps r USING (rep_id)) {rep_where}
              {only_r}
    ),
    e_n AS (
        SELECT m.month, e.team_id, COUNT(*) AS n_e
        FROM elig e JOIN months m ON e.hire_date IS NULL OR e.hire_date < m.month + INTERVAL '1 month'
        GROUP BY 1, 2
    ),
    l_n AS (
        SELECT c.month, c.team_id, COUNT(*) AS n_l, SUM(c.leads) AS leads,
               SUM(c.leads * c.pos) - (MIN(c.pos) - 1) * SUM(c.leads) AS rx,
               COUNT(e.rep_id) AS l_in_e
        FROM (
            SELECT month, team_id, rep_id, leads, ROW_NUMBER() OVER (ORDER BY month, team_id, leads) AS pos
            FROM counts WHERE team_id IS NOT NULL {only_c}
        ) c
        LEFT JOIN elig e ON e.rep_id = c.rep_id AND e.team_id = c.team_id
             AND (e.hire_date IS NULL OR e.hire_date < c.month + INTERVAL '1 month')
        GROUP BY 1, 2
    ),
    k AS (
        SELECT l.month, l.team_id, l.leads, COALESCE(en.n_e, 0) + l.n_l - l.l_in_e AS reps,
               l.rx + (COALESCE(en.n_e, 0) - l.l_in_e) * l.leads AS ix
        FROM l_n l LEFT JOIN e_n en ON en.month = l.month AND en.team_id = l.team_id
    )
    SELECT k.month, k.team_id, COALESCE(t.name, k.team_id) AS team, CAST(k.reps AS BIGINT) AS reps,
           CAST(k.leads AS BIGINT) AS leads,
           CASE WHEN k.leads > 0
                THEN 2.0 * k.ix / (k.reps * k.leads) - (k.reps + 1.0) / k.reps ELSE 0.0 END AS gini
    FROM k LEFT JOIN teams t ON t.team_id = k.team_id
    WHERE k.leads > 0
    ORDER BY k.team_id, k.month
"""


def fairness_trend(
    engine: Engine, scope: Scope, months: int = TREND_MONTHS, team_ids: Sequence[str] | None = None
) -> pd.DataFrame:
    """Gini of leads per eligible rep, per team and month, for the ``months`` months up to the scope's end.

    Columns: month (first day), team_id, team, reps, leads, gini. Eligibility per month as in
    :func:`rep_fairness` (current team membership, hired by the month's end, plus anyone who got a
    lead for the team that month). The Gini is computed in SQL with the rank formula of :func:`gini`.
    ``team_ids``: only these teams' rows (the page charts the five most uneven teams), the same rows
    as in the whole trend — which roles receive leads is still read from every team of the scope.
    """
    end = scope.end
    first = _add_months(end.replace(day=1), -(months - 1))
    lead_where, lp = scope_filter(scope, alias="l")
    rep_where, rp = scope_filter(scope, alias="r")
    only_c, only_r, op = "", "", {}
    if team_ids is not None:
        names = [f"trend_team_{i}" for i in range(len(team_ids))]
        listed = ", ".join(f":{n}" for n in names)
        only_c, only_r = (f"AND team_id IN ({listed})", f"AND r.team_id IN ({listed})") if names else ("AND 1 = 0",) * 2
        op = dict(zip(names, team_ids))
    sql = sa.text(  # noqa: S608 - our own fragments; every value is bound
        _TREND_SQL.format(lead_where=lead_where, rep_where=rep_where, only_c=only_c, only_r=only_r)
    )
    binds = {"first": first, "end": end, **month_and_edge_binds(first, end, "lm"), **lp, **rp, **op}
    out = _fetch(engine, sql, binds)
    cols = ["month", "team_id", "team", "reps", "leads", "gini"]
    if out.empty:
        return pd.DataFrame(columns=cols)
    out["month"] = pd.to_datetime(out["month"]).dt.date
    out["reps"] = out["reps"].astype("int64")
    out["leads"] = out["leads"].astype("int64")
    out["gini"] = out["gini"].astype(float)
    return out[cols].reset_index(drop=True)


def default_range(today: date) -> tuple[date, date]:
    """The CLI's default period: the current quarter to date."""
    q = Scope.current(today, "quarter")
    return q.start, q.end

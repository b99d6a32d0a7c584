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
  a rep given only the poor sources shows up even when the counts look even.
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
from salesops.queries import scope_filter
from salesops.scope import Scope

#: Weight of a rep whose ramp lasts into the period (the rest of their capacity is learning).
RAMP_WEIGHT = 0.5
#: A rep is flagged when their leads are outside these multiples of their fair share …
FLAG_LOW, FLAG_HIGH = 0.75, 1.33
#: … and the gap is more than this many standard deviations of fair random routing (Poisson).
FLAG_SIGMAS = 2.0
WEIGHTINGS = ("capacity", "equal")
#: Months of history the monthly trend shows (up to the scope's end).
TREND_MONTHS = 12


def gini(values: Sequence[float]) -> float | None:
    """Gini coefficient of non-negative values: 0 when all are equal, (n-1)/n when one has everything.

    Uses G = 2·Σ i·x_(i) / (n·Σx) − (n+1)/n over the values sorted ascending (i = 1..n). None for
    no values; 0.0 when they are all zero (nothing to split unevenly).
    """
    x = np.sort(np.asarray(values, dtype=float))
    n = len(x)
    if n == 0:
        return None
    if (x < 0).any():
        raise InvalidFilter("The Gini coefficient needs non-negative values.", "Pass counts of leads.")
    total = x.sum()
    if total == 0:
        return 0.0
    i = np.arange(1, n + 1)
    return float(2.0 * (i * x).sum() / (n * total) - (n + 1) / n)


def _check_weighting(weighting: str) -> str:
    if weighting not in WEIGHTINGS:
        raise InvalidFilter(f"Unknown weighting {weighting!r}.", f"Use one of: {', '.join(WEIGHTINGS)}.")
    return weighting


def _add_months(day: date, months: int) -> date:
    return (pd.Timestamp(day) + pd.DateOffset(months=months)).date()


_REP_SQL = """
    WITH conv AS (
        SELECT source, AVG(CASE WHEN furthest_stage = 'won' THEN 1.0 ELSE 0.0 END) AS rate, COUNT(*) AS n
        FROM leads WHERE created_at < :start GROUP BY source
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
    SELECT p.team_id, COALESCE(t.name, p.team_id) AS team, p.rep_id, r.name AS rep, r.role, r.fte,
           GREATEST(0, CAST(:end AS DATE) - a.first_day + 1) AS days_available,
           GREATEST(0, LEAST(CAST(:end AS DATE), CAST(a.ramp_end AS DATE) - 1) - a.first_day + 1) AS ramp_days,
           COALESCE(lc.leads, 0) AS leads, COALESCE(lc.quality_leads, 0.0) AS quality_leads
    FROM pool p JOIN reps r ON r.rep_id = p.rep_id
    CROSS JOIN LATERAL (
        SELECT GREATEST(CAST(:start AS DATE), COALESCE(r.hire_date, CAST(:start AS DATE))) AS first_day,
               COALESCE(r.hire_date + COALESCE(r.ramp_months, 0) * INTERVAL '1 month', CAST(:start AS DATE)) AS ramp_end
    ) a
    LEFT JOIN lc ON lc.rep_id = p.rep_id AND lc.team_id = p.team_id
    LEFT JOIN teams t ON t.team_id = p.team_id
    ORDER BY p.team_id, r.name, p.rep_id
"""


def _weights(frame: pd.DataFrame, days: int, weighting: str) -> pd.DataFrame:
    """Add ramping and weight to a per-rep frame with days_available and ramp_days (from SQL).

    capacity weight = fte × (days available − (1 − RAMP_WEIGHT) × ramp days) ÷ days in the period,
    where days available start at hire_date and ramp days are the available days before
    hire_date + ramp_months. equal weight = 1.
    """
    frame["ramping"] = frame["ramp_days"] > 0
    if weighting == "equal":
        frame["weight"] = 1.0
    else:
        usable = frame["days_available"] - (1.0 - RAMP_WEIGHT) * frame["ramp_days"]
        frame["weight"] = frame["fte"].astype(float) * usable / days
    return frame


def _read(engine: Engine, stmt, params: dict) -> pd.DataFrame:
    """Like store.read_frame, but builds the frame from plain tuples (much faster for many rows)."""
    with engine.connect() as conn:
        result = conn.execute(stmt, params)
        cols = list(result.keys())
        return pd.DataFrame.from_records([tuple(r) for r in result.fetchall()], columns=cols)


def rep_fairness(engine: Engine, scope: Scope, weighting: str = "capacity") -> pd.DataFrame:
    """Leads per eligible rep in the scope against their fair share.

    Columns: team_id, team, rep_id, rep, role, fte, ramping, days_available, ramp_days, weight, leads,
    fair_share, ratio (leads ÷ fair share), quality_leads, quality_fair_share, quality_ratio,
    flagged (bool), flag ("too many" / "too few" / ""). One row per (team, rep).
    """
    _check_weighting(weighting)
    lead_where, lp = scope_filter(scope, alias="l")
    rep_where, rp = scope_filter(scope, alias="r")
    sql = sa.text(_REP_SQL.format(lead_where=lead_where, rep_where=rep_where))  # noqa: S608 - our own fragments
    frame = _read(engine, sql, {"start": scope.start, "end": scope.end, **lp, **rp})
    cols = [
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
    if frame.empty or frame["leads"].sum() == 0:
        return pd.DataFrame(columns=cols)
    frame = _weights(frame, scope.days, weighting)
    team = frame.groupby("team_id")
    total_w = team["weight"].transform("sum")
    share = frame["weight"] / total_w.where(total_w > 0)
    frame["fair_share"] = team["leads"].transform("sum") * share
    frame["quality_fair_share"] = team["quality_leads"].transform("sum") * share
    frame["ratio"] = frame["leads"] / frame["fair_share"].where(frame["fair_share"] > 0)
    frame["quality_ratio"] = frame["quality_leads"] / frame["quality_fair_share"].where(frame["quality_fair_share"] > 0)
    gap = frame["leads"] - frame["fair_share"]
    far = gap.abs() > FLAG_SIGMAS * np.sqrt(frame["fair_share"].clip(lower=1.0))
    high = far & ((frame["ratio"] > FLAG_HIGH) | (frame["fair_share"] == 0) & (frame["leads"] > 0))
    low = far & (frame["ratio"] < FLAG_LOW)
    frame["flagged"] = high | low
    frame["flag"] = np.where(high, "too many", np.where(low, "too few", ""))
    return frame[cols].reset_index(drop=True)


def team_fairness(engine: Engine, scope: Scope, weighting: str = "capacity") -> pd.DataFrame:
    """Per team: reps, leads, gini (of leads per rep), capacity_gini (of leads ÷ fair share),
    quality_gini (of quality-adjusted leads per rep), top_share (share of the busiest rep),
    flagged (reps flagged). Sorted by gini, most uneven first.
    """
    reps = rep_fairness(engine, scope, weighting)
    cols = ["team_id", "team", "reps", "leads", "gini", "capacity_gini", "quality_gini", "top_share", "flagged"]
    if reps.empty:
        return pd.DataFrame(columns=cols)
    keys = ["team_id", "team"]
    reps = reps.assign(ratio0=reps["ratio"].astype(float).fillna(0.0), flagged_n=reps["flagged"].astype(int))
    out = (
        reps.groupby(keys, as_index=False)
        .agg(reps=("rep_id", "size"), leads=("leads", "sum"), top=("leads", "max"), flagged=("flagged_n", "sum"))
        .merge(gini_by_group(reps, keys, "leads").drop(columns="n"), on=keys)
        .merge(gini_by_group(reps, keys, "ratio0").drop(columns="n").rename(columns={"gini": "capacity_gini"}), on=keys)
        .merge(
            gini_by_group(reps, keys, "quality_leads").drop(columns="n").rename(columns={"gini": "quality_gini"}),
            on=keys,
        )
    )
    out["top_share"] = out["top"] / out["leads"].where(out["leads"] > 0)
    out["leads"] = out["leads"].astype("int64")
    return out[cols].sort_values(["gini", "team_id"], ascending=[False, True]).reset_index(drop=True)


def gini_by_group(frame: pd.DataFrame, keys: list[str], value: str) -> pd.DataFrame:
    """Gini of ``value`` within each group of ``keys`` (vectorised): keys…, n, gini."""
    f = frame[[*keys, value]].sort_values([*keys, value]).copy()
    f["i"] = f.groupby(keys).cumcount() + 1
    f["ix"] = f["i"] * f[value]
    agg = f.groupby(keys, as_index=False).agg(n=("i", "size"), total=(value, "sum"), ix=("ix", "sum"))
    g = 2.0 * agg["ix"] / (agg["n"] * agg["total"].where(agg["total"] > 0)) - (agg["n"] + 1) / agg["n"]
    agg["gini"] = g.fillna(0.0)
    return agg[[*keys, "n", "gini"]]


def fairness_trend(engine: Engine, scope: Scope, months: int = TREND_MONTHS) -> pd.DataFrame:
    """Gini of leads per eligible rep, per team and month, for the ``months`` months up to the scope's end.

    Columns: month (first day), team_id, team, reps, leads, gini. Eligibility per month as in
    :func:`rep_fairness` (current team membership, hired by the month's end, plus anyone who got a
    lead for the team that month). The Gini is computed in SQL with the rank formula of :func:`gini`.
    """
    end = scope.end
    first = _add_months(end.replace(day=1), -(months - 1))
    lead_where, lp = scope_filter(scope, alias="l")
    rep_where, rp = scope_filter(scope, alias="r")
    sql = sa.text(
        f"""
        WITH months AS (
            SELECT CAST(m AS DATE) AS month
            FROM generate_series(CAST(:first AS TIMESTAMP), CAST(:end AS TIMESTAMP), INTERVAL '1 month') AS g(m)
        ),
        counts AS (
            SELECT CAST(date_trunc('month', l.created_at) AS DATE) AS month, l.team_id, l.rep_id, COUNT(*) AS leads
            FROM leads l
            WHERE l.created_at BETWEEN :first AND :end AND l.rep_id IS NOT NULL {lead_where}
            GROUP BY 1, 2, 3
        ),
        roles AS (SELECT DISTINCT r.role FROM counts c JOIN reps r USING (rep_id)),
        pool AS (
            SELECT m.month, r.team_id, r.rep_id
            FROM reps r CROSS JOIN months m
            WHERE r.active AND r.role IN (SELECT role FROM roles)
              AND (r.hire_date IS NULL OR r.hire_date < m.month + INTERVAL '1 month') {rep_where}
            UNION
            SELECT month, team_id, rep_id FROM counts
        ),
        ranked AS (
            SELECT p.month, p.team_id, COALESCE(c.leads, 0) AS x,
                   ROW_NUMBER() OVER (PARTITION BY p.month, p.team_id ORDER BY COALESCE(c.leads, 0)) AS i
            FROM pool p LEFT JOIN counts c
              ON c.month = p.month AND c.team_id = p.team_id AND c.rep_id = p.rep_id
        )
        SELECT k.month, k.team_id, COALESCE(t.name, k.team_id) AS team, k.reps, k.leads,
               CASE WHEN k.leads > 0
                    THEN 2.0 * k.ix / (k.reps * k.leads) - (k.reps + 1.0) / k.reps ELSE 0.0 END AS gini
        FROM (
            SELECT month, team_id, COUNT(*) AS reps, SUM(x) AS leads, SUM(i * x) AS ix
            FROM ranked GROUP BY month, team_id
        ) k LEFT JOIN teams t ON t.team_id = k.team_id
        WHERE k.leads > 0
        ORDER BY k.team_id, k.month
        """  # noqa: S608 - our own fragments only; every value is bound
    )
    out = _read(engine, sql, {"first": first, "end": end, **lp, **rp})
    cols = ["month", "team_id", "team", "reps", "leads", "gini"]
    if out.empty:
        return pd.DataFrame(columns=cols)
    out["month"] = pd.to_datetime(out["month"]).dt.date
    out["leads"] = out["leads"].astype("int64")
    out["gini"] = out["gini"].astype(float)
    return out[cols].reset_index(drop=True)


def default_range(today: date) -> tuple[date, date]:
    """The CLI's default period: the current quarter to date."""
    q = Scope.current(today, "quarter")
    return q.start, q.end

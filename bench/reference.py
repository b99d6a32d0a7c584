"""Plain-pandas reference implementations of the pages' queries, for the ratio in the benchmark.

The tables are loaded into pandas once (not timed); each reference then answers the same question
as the page's library calls, the way a spreadsheet-minded analyst would in pandas.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pandas as pd
import sqlalchemy as sa

from salesops.scope import Scope


def load_frames(engine) -> dict[str, pd.DataFrame]:
    """The tables the references need, as DataFrames (dates as datetime64)."""
    out = {}
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        for table, cols in {
            "deals": "deal_id, rep_id, team_id, outcome, amount_cents, probability, created_date, close_date, stage",
            "quotas": "rep_id, period_type, period_start, amount_cents",
            "reps": "rep_id, name, team_id, role, hire_date, ramp_months, fte",
            "teams": "team_id, name, region",
            "activities": "rep_id, team_id, type, occurred_at",
            "leads": "rep_id, team_id, source, created_at, furthest_stage",
            "survey_responses": "round_id, tool_id, team_id, satisfaction, ease, recommend",
        }.items():
            out[table] = raw.execute(f"SELECT {cols} FROM {table}").df()  # noqa: S608 - fixed names
    for table, cols in {
        "deals": ["created_date", "close_date"],
        "quotas": ["period_start"],
        "activities": ["occurred_at"],
        "leads": ["created_at"],
    }.items():
        for c in cols:
            out[table][c] = pd.to_datetime(out[table][c])
    _ = sa
    return out


def _quota_window(f, start, end) -> pd.Series:
    q = f["quotas"]
    q = q[(q.period_start <= end)]
    pend = q.period_start + pd.offsets.MonthEnd(0)
    overlap = (pend.clip(upper=end) - q.period_start.clip(lower=start)).dt.days + 1
    days = (pend - q.period_start).dt.days + 1
    share = overlap.clip(lower=0) / days
    return (q.amount_cents * share).groupby(q.rep_id).sum()


def headline(f, scope: Scope) -> dict:
    d = f["deals"]
    s, e = pd.Timestamp(scope.start), pd.Timestamp(scope.end)
    closed = d[(d.outcome != "open") & (d.close_date >= s) & (d.close_date <= e)]
    won = closed[closed.outcome == "won"]
    quota = _quota_window(f, pd.Timestamp(scope.quota_start), pd.Timestamp(scope.quota_end)).sum()
    return {
        "won": won.amount_cents.sum(),
        "win_rate": len(won) / max(1, len(closed)),
        "pipeline": d[d.outcome == "open"].amount_cents.sum(),
        "quota": quota,
    }


def attainment_by_rep(f, scope: Scope) -> pd.DataFrame:
    d = f["deals"]
    s, e = pd.Timestamp(scope.start), pd.Timestamp(scope.end)
    won = d[(d.outcome == "won") & (d.close_date >= s) & (d.close_date <= e)].groupby("rep_id").amount_cents.sum()
    quota = _quota_window(f, pd.Timestamp(scope.quota_start), pd.Timestamp(scope.quota_end))
    out = f["reps"].set_index("rep_id").join(won.rename("won")).join(quota.rename("quota"))
    out["attainment"] = out.won / out.quota
    return out


def trend(f, scope: Scope) -> pd.DataFrame:
    d = f["deals"]
    won = d[d.outcome == "won"]
    return won.groupby(won.close_date.dt.to_period("Q")).amount_cents.sum()


def leaderboard(f, scope: Scope) -> pd.DataFrame:
    board = attainment_by_rep(f, scope)
    board["rank"] = board.attainment.rank(ascending=False, method="min")
    prev = attainment_by_rep(f, scope.previous())
    board["move"] = prev.attainment.rank(ascending=False, method="min") - board["rank"]
    a = f["activities"]
    s, e = pd.Timestamp(scope.start), pd.Timestamp(scope.end)
    board["activities"] = a[(a.occurred_at >= s) & (a.occurred_at <= e)].groupby("rep_id").size()
    return board


def fairness(f, scope: Scope) -> pd.DataFrame:
    lead = f["leads"]
    s, e = pd.Timestamp(scope.start), pd.Timestamp(scope.end)
    n = (
        lead[(lead.created_at >= s) & (lead.created_at <= e)]
        .groupby(["team_id", "rep_id"])
        .size()
        .rename("n")
        .reset_index()
    )

    def gini(x):
        x = x.sort_values().to_numpy()
        k = len(x)
        return (
            0.0
            if k == 0 or x.sum() == 0
            else (2 * ((pd.Series(range(1, k + 1)) * x).sum()) / (k * x.sum())) - (k + 1) / k
        )

    return n.groupby("team_id").n.apply(gini)


def survey(f, scope: Scope) -> pd.DataFrame:
    r = f["survey_responses"]
    g = r.groupby(["round_id", "tool_id"])
    return pd.DataFrame(
        {
            "csat": g.satisfaction.apply(lambda s: (s >= 4).mean()),
            "nps": g.recommend.apply(lambda s: (s >= 9).mean() - (s <= 6).mean()),
            "ease": g.ease.mean(),
            "n": g.size(),
        }
    )


def forecast_series(f, scope: Scope) -> pd.DataFrame:
    d = f["deals"]
    won = d[d.outcome == "won"]
    return won.groupby([won.team_id, won.close_date.dt.to_period("W")]).amount_cents.sum()


def comp_actuals(f, scope: Scope) -> pd.DataFrame:
    return attainment_by_rep(f, scope)


REFERENCES: dict[str, Callable] = {
    "home": lambda f, sc: (headline(f, sc), headline(f, sc.previous()), headline(f, sc.last_year()), trend(f, sc)),
    "performance": lambda f, sc: (headline(f, sc), headline(f, sc.previous()), attainment_by_rep(f, sc)),
    "leaderboards": lambda f, sc: leaderboard(f, sc),
    "forecasts": lambda f, sc: forecast_series(f, sc),
    "compensation": lambda f, sc: comp_actuals(f, sc),
    "tools": lambda f, sc: (survey(f, sc), fairness(f, sc)),
}


def page_reference(page: str, frames: dict, today: date):
    ref = REFERENCES.get(page)
    if ref is None:
        return None
    scope = Scope.current(today, "quarter")
    return lambda: ref(frames, scope)

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
            "deals": "deal_id, rep_id, team_id, outcome, amount_cents, probability_bp / 10000.0 AS probability, "
            "created_date, close_date, stage",
            "quotas": "rep_id, period_type, period_start, amount_cents",
            "reps": "rep_id, name, team_id, role, hire_date, ramp_months, fte",
            "teams": "team_id, name, region",
            "activities": "rep_id, team_id, type, occurred_at",
            "leads": "rep_id, team_id, source, created_at, furthest_stage",
            "survey_responses": "round_id, tool_id, team_id, satisfaction, ease, recommend",
            "deal_changes": "deal_id, changed_at, field, old_value, new_value",
        }.items():
            out[table] = raw.execute(f"SELECT {cols} FROM {table}").df()  # noqa: S608 - fixed names
    for table, cols in {
        "deals": ["created_date", "close_date"],
        "quotas": ["period_start"],
        "activities": ["occurred_at"],
        "leads": ["created_at"],
        "deal_changes": ["changed_at"],
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


def _gini(x: pd.Series) -> float:
    v = x.sort_values().to_numpy()
    k = len(v)
    if k == 0 or v.sum() == 0:
        return 0.0
    return float((2 * ((pd.Series(range(1, k + 1)) * v).sum()) / (k * v.sum())) - (k + 1) / k)


def kpis(f, scope: Scope) -> dict:
    """The performance tiles: closed-deal figures, pipeline, weighted pipeline, activities per rep."""
    out = headline(f, scope)
    d = f["deals"]
    s, e = pd.Timestamp(scope.start), pd.Timestamp(scope.end)
    won = d[(d.outcome == "won") & (d.close_date >= s) & (d.close_date <= e)]
    out["avg_deal"] = won.amount_cents.mean()
    out["cycle"] = (won.close_date - won.created_date).dt.days.mean()
    open_ = d[(d.created_date <= e) & ((d.outcome == "open") | (d.close_date > e))]
    out["weighted"] = (open_.amount_cents * open_.probability.fillna(0)).sum()
    a = f["activities"]
    acts = a[(a.occurred_at >= s) & (a.occurred_at <= e)]
    out["activities_per_rep"] = len(acts) / max(1, acts.rep_id.nunique())
    return out


def funnel(f, scope: Scope) -> pd.DataFrame:
    lead = f["leads"]
    s, e = pd.Timestamp(scope.start), pd.Timestamp(scope.end)
    cohort = lead[(lead.created_at >= s) & (lead.created_at <= e)]
    return cohort.groupby(["team_id", "furthest_stage"]).size().unstack(fill_value=0)


def changes(f, scope: Scope) -> pd.DataFrame:
    ch = f["deal_changes"]
    week_start = pd.Timestamp(scope.end) - pd.Timedelta(days=pd.Timestamp(scope.end).weekday())
    week = ch[(ch.changed_at >= week_start) & (ch.changed_at <= pd.Timestamp(scope.end))]
    return week.merge(f["deals"][["deal_id", "rep_id", "team_id", "stage"]], on="deal_id")


def board(f, scope: Scope) -> pd.DataFrame:
    """Per rep: won, closed counts, win rate, attainment, activities, pipeline created."""
    d = f["deals"]
    s, e = pd.Timestamp(scope.start), pd.Timestamp(scope.end)
    closed = d[(d.outcome != "open") & (d.close_date >= s) & (d.close_date <= e)]
    g = closed.groupby("rep_id")
    out = attainment_by_rep(f, scope)
    out["won_deals"] = g.outcome.apply(lambda o: (o == "won").sum())
    out["closed"] = g.size()
    out["win_rate"] = out.won_deals / out.closed
    created = d[(d.created_date >= s) & (d.created_date <= e)]
    out["pipeline_created"] = created.groupby("rep_id").amount_cents.sum()
    a = f["activities"]
    out["activities"] = a[(a.occurred_at >= s) & (a.occurred_at <= e)].groupby("rep_id").size()
    out["rank"] = out.attainment.rank(ascending=False, method="min")
    return out


def leaderboard(f, scope: Scope) -> pd.DataFrame:
    """Rep board now and for the previous period (movement), plus the 8-period attainment trend."""
    now = board(f, scope)
    prev = board(f, scope.previous())
    now["move"] = prev["rank"] - now["rank"]
    d = f["deals"]
    won = d[d.outcome == "won"]
    now_trend = won.groupby(["rep_id", won.close_date.dt.to_period("Q")]).amount_cents.sum()
    team = now.groupby("team_id")[["won", "quota"]].sum()
    return now, team, now_trend


def fairness(f, scope: Scope) -> pd.DataFrame:
    """Leads per rep vs an FTE-weighted fair share, the Gini per team, and 12 months of Gini."""
    lead = f["leads"]
    s, e = pd.Timestamp(scope.start), pd.Timestamp(scope.end)
    n = (
        lead[(lead.created_at >= s) & (lead.created_at <= e)]
        .groupby(["team_id", "rep_id"])
        .size()
        .rename("n")
        .reset_index()
    )
    reps = f["reps"]
    n = n.merge(reps[["rep_id", "fte"]], on="rep_id", how="left")
    n["fair"] = n.groupby("team_id").n.transform("sum") * n.fte / n.groupby("team_id").fte.transform("sum")
    per_team = n.groupby("team_id").n.apply(_gini)
    recent = lead[lead.created_at > e - pd.DateOffset(months=12)]
    monthly = recent.groupby([recent.created_at.dt.to_period("M"), "team_id", "rep_id"]).size()
    trend = monthly.groupby(level=[0, 1]).apply(_gini)
    return n, per_team, trend


def survey(f, scope: Scope) -> pd.DataFrame:
    """Per round and tool: CSAT, NPS, ease, answers; the per-team breakdown with the 5-answer rule."""
    r = f["survey_responses"]
    g = r.groupby(["round_id", "tool_id"])
    per_tool = pd.DataFrame(
        {
            "csat": g.satisfaction.apply(lambda s: (s >= 4).mean()),
            "nps": g.recommend.apply(lambda s: (s >= 9).mean() - (s <= 6).mean()),
            "ease": g.ease.mean(),
            "n": g.size(),
        }
    )
    last = r[r.round_id == r.round_id.max()]
    t = last.groupby(["tool_id", "team_id"])
    by_team = pd.DataFrame({"csat": t.satisfaction.apply(lambda s: (s >= 4).mean()), "n": t.size()})
    by_team.loc[by_team.n < 5, "csat"] = None
    return per_tool, by_team


def tools_vs_performance(f, scope: Scope) -> pd.DataFrame:
    d = f["deals"]
    s, e = pd.Timestamp(scope.start), pd.Timestamp(scope.end)
    closed = d[(d.outcome != "open") & (d.close_date >= s) & (d.close_date <= e)]
    perf = closed.groupby("team_id").outcome.apply(lambda o: (o == "won").mean())
    r = f["survey_responses"]
    sat = r[r.round_id == r.round_id.max()].groupby(["tool_id", "team_id"]).satisfaction.mean()
    return sat.reset_index().merge(perf.rename("win_rate").reset_index(), on="team_id")


def forecast_series(f, scope: Scope) -> pd.DataFrame:
    """The company's weekly won series (the fit itself is read from the store) and the weighted pipeline."""
    d = f["deals"]
    won = d[d.outcome == "won"]
    series = won.groupby(won.close_date.dt.to_period("W")).amount_cents.sum()
    open_ = d[d.outcome == "open"]
    pipe = (open_.amount_cents * open_.probability.fillna(0)).groupby(open_.close_date.dt.to_period("W")).sum()
    return series, pipe


def comp_actuals(f, scope: Scope) -> pd.DataFrame:
    return attainment_by_rep(f, scope)


REFERENCES: dict[str, Callable] = {
    "home": lambda f, sc: (headline(f, sc), headline(f, sc.previous()), headline(f, sc.last_year()), trend(f, sc)),
    "performance": lambda f, sc: (
        kpis(f, sc),
        kpis(f, sc.previous()),
        kpis(f, sc.last_year()),
        attainment_by_rep(f, sc),
        funnel(f, sc),
        changes(f, sc),
    ),
    "leaderboards": lambda f, sc: leaderboard(f, sc),
    "forecasts": lambda f, sc: forecast_series(f, sc),
    "compensation": lambda f, sc: comp_actuals(f, sc),
    "tools": lambda f, sc: (survey(f, sc), tools_vs_performance(f, sc), fairness(f, sc)),
}


def page_reference(page: str, frames: dict, today: date):
    ref = REFERENCES.get(page)
    if ref is None:
        return None
    scope = Scope.current(today, "quarter")
    return lambda: ref(frames, scope)

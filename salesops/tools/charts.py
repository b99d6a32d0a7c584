"""Altair charts of the Sales tools page (survey results, tools vs performance, lead fairness).

Frame in, chart out; no Streamlit. Colours follow salesops.charts (fixed team palette).
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from salesops.charts import BAD, GOOD, NEUTRAL, TARGET, TEAM_LEGEND, TEAM_PALETTE, team_scale


def csat_trend_chart(results: pd.DataFrame) -> alt.Chart:
    """CSAT per tool across rounds. ``results``: results.tool_results (round, opens_on, tool, csat, fell)."""
    frame = results[["round_id", "round", "opens_on", "tool", "csat", "nps", "answers", "fell"]].copy()
    frame["csat"] = frame["csat"].astype(float)
    order = list(dict.fromkeys(frame.sort_values("opens_on")["round_id"]))
    x = alt.X("round_id:N", sort=order, title="Survey round", axis=alt.Axis(labelAngle=0))
    y = alt.Y("csat:Q", title="CSAT (% satisfied 4–5)", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1]))
    base = alt.Chart(frame).encode(
        x=x,
        y=y,
        color=alt.Color("tool:N", title="Tool", scale=alt.Scale(range=list(TEAM_PALETTE))),
        tooltip=[
            "tool",
            "round",
            alt.Tooltip("csat:Q", format=".0%", title="CSAT"),
            alt.Tooltip("nps:Q", format="+.0f", title="NPS"),
            "answers",
            alt.Tooltip("fell:N", title="fell"),
        ],
    )
    # The fall markers are their own layer without the tool colour, so they stay red.
    falls = (
        alt.Chart(frame)
        .transform_filter("datum.fell")
        .mark_point(size=160, shape="triangle-down", color=BAD, filled=True, opacity=1)
        .encode(x=x, y=y, tooltip=["tool", "round", alt.Tooltip("csat:Q", format=".0%", title="CSAT")])
    )
    return (base.mark_line(point=True) + falls).properties(
        title="CSAT by round (▼ = fell since the previous round)", height=280
    )


def satisfaction_heatmap(breakdown: pd.DataFrame) -> alt.Chart:
    """Mean satisfaction per team × tool; hidden (suppressed) cells grey with 'hidden'."""
    frame = breakdown[["tool", "team", "answers", "mean_satisfaction", "csat", "shown"]].copy()
    frame["mean_satisfaction"] = frame["mean_satisfaction"].astype(float)
    frame["label"] = [f"{v:.1f}" if s else "hidden" for v, s in zip(frame["mean_satisfaction"], frame["shown"])]
    base = alt.Chart(frame).encode(
        x=alt.X("tool:N", title="Tool", axis=alt.Axis(labelAngle=0, labelLimit=200)), y=alt.Y("team:N", title="Team")
    )
    rect = base.mark_rect().encode(
        color=alt.condition(
            "datum.shown",
            alt.Color(
                "mean_satisfaction:Q",
                title="Mean satisfaction",
                scale=alt.Scale(domain=[1, 5], range=[BAD, "#F5F5F5", GOOD]),
            ),
            alt.value("#E0E0E0"),
        ),
        tooltip=[
            "team",
            "tool",
            "answers",
            alt.Tooltip("mean_satisfaction:Q", format=".2f"),
            alt.Tooltip("csat:Q", format=".0%"),
        ],
    )
    text = base.mark_text(fontSize=12, color=TARGET).encode(text="label:N")
    return (rect + text).properties(title="Mean satisfaction (1–5) by team", height=alt.Step(26))


def satisfaction_vs_performance_chart(frame: pd.DataFrame, tool: str) -> alt.Chart:
    """One dot per team: mean satisfaction with ``tool`` against attainment. Suppressed teams left out."""
    f = frame[(frame["tool"] == tool) & frame["shown"].astype(bool)].copy()
    for c in ("mean_satisfaction", "attainment", "win_rate"):
        f[c] = f[c].astype(float)
    all_teams = sorted(frame["team_id"].unique())
    names = frame.drop_duplicates("team_id").set_index("team_id").loc[all_teams, "team"].tolist()
    return (
        alt.Chart(f)
        .mark_circle(size=160, opacity=0.85)
        .encode(
            x=alt.X("mean_satisfaction:Q", title=f"Mean satisfaction with {tool} (1–5)", scale=alt.Scale(zero=False)),
            y=alt.Y("attainment:Q", title="Attainment (%)", axis=alt.Axis(format="%")),
            color=alt.Color("team:N", title="Team", scale=team_scale(all_teams, names), legend=TEAM_LEGEND),
            tooltip=[
                "team",
                "answers",
                alt.Tooltip("mean_satisfaction:Q", format=".2f"),
                alt.Tooltip("attainment:Q", format=".0%"),
                alt.Tooltip("win_rate:Q", format=".0%", title="win rate"),
            ],
        )
        .properties(title=f"{tool}: satisfaction and attainment by team", height=300)
    )


def gini_chart(teams: pd.DataFrame) -> alt.Chart:
    """Gini of leads per rep, one bar per team, most uneven first."""
    f = teams[["team", "gini", "quality_gini", "flagged", "leads", "reps"]].copy()
    f["gini"] = f["gini"].astype(float)
    return (
        alt.Chart(f)
        .mark_bar()
        .encode(
            y=alt.Y("team:N", sort="-x", title="Team"),
            x=alt.X("gini:Q", title="Gini of leads per rep (0 = even)", scale=alt.Scale(domain=[0, 1])),
            color=alt.condition("datum.gini >= 0.3", alt.value(BAD), alt.value(NEUTRAL)),
            tooltip=[
                "team",
                "reps",
                "leads",
                alt.Tooltip("gini:Q", format=".2f"),
                alt.Tooltip("quality_gini:Q", format=".2f"),
                "flagged",
            ],
        )
        .properties(title="How unevenly each team's leads are split", height=alt.Step(22))
    )


def leads_vs_fair_share_chart(reps: pd.DataFrame, team: str) -> alt.Chart:
    """Leads per rep of one team (bars) with each rep's fair share (tick); flagged reps in red."""
    f = reps[["rep", "leads", "fair_share", "ratio", "flag"]].copy()
    f["fair_share"] = f["fair_share"].astype(float)
    base = alt.Chart(f).encode(y=alt.Y("rep:N", sort="-x", title="Rep"))
    bars = base.mark_bar().encode(
        x=alt.X("leads:Q", title="Leads in the period"),
        color=alt.condition("datum.flag != ''", alt.value(BAD), alt.value(TEAM_PALETTE[0])),
        tooltip=[
            "rep",
            "leads",
            alt.Tooltip("fair_share:Q", format=".1f", title="fair share"),
            alt.Tooltip("ratio:Q", format=".2f"),
            "flag",
        ],
    )
    tick = base.mark_tick(color=TARGET, thickness=3, size=18).encode(x="fair_share:Q")
    return (bars + tick).properties(title=f"{team}: leads per rep (bar) and fair share (tick)", height=alt.Step(24))


def gini_trend_chart(trend: pd.DataFrame) -> alt.Chart:
    """Gini per month for the teams in ``trend`` (survey-free; from fairness.fairness_trend)."""
    f = trend[["month", "team_id", "team", "gini", "leads"]].copy()
    f["month"] = pd.to_datetime(f["month"])
    all_teams = sorted(f["team_id"].unique())
    names = f.drop_duplicates("team_id").set_index("team_id").loc[all_teams, "team"].tolist()
    return (
        alt.Chart(f)
        .mark_line(point=True)
        .encode(
            x=alt.X("yearmonth(month):T", title="Month"),
            y=alt.Y("gini:Q", title="Gini (0 = even, 1 = one rep gets all)", scale=alt.Scale(domain=[0, 1])),
            color=alt.Color("team:N", title="Team", scale=team_scale(all_teams, names), legend=TEAM_LEGEND),
            tooltip=[
                "team",
                alt.Tooltip("yearmonth(month):T", title="month"),
                "leads",
                alt.Tooltip("gini:Q", format=".2f"),
            ],
        )
        .properties(title="Lead split by month (Gini, 0 = even)", height=260)
    )

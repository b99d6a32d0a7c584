"""Altair charts for the leaderboards page: frame in, chart out, no Streamlit calls."""

from __future__ import annotations

import altair as alt
import pandas as pd

from salesops.charts import BAD, NEUTRAL, TEAM_PALETTE


def funnel_chart(funnel: pd.DataFrame, rep_name: str) -> alt.Chart:
    """Conversion to the next stage, rep against the rest of the team, one bar pair per stage.

    ``funnel``: stage, conv_rep, conv_team, stall (from :func:`salesops.leaderboards.diagnosis.diagnose`).
    """
    f = funnel.dropna(subset=["conv_rep", "conv_team"], how="all")
    long = pd.concat(
        [
            pd.DataFrame({"stage": f["stage"], "who": rep_name, "conversion": f["conv_rep"], "stall": f["stall"]}),
            pd.DataFrame({"stage": f["stage"], "who": "Rest of team", "conversion": f["conv_team"], "stall": False}),
        ],
        ignore_index=True,
    )
    order = list(f["stage"])
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            y=alt.Y("stage:N", sort=order, title="Stage", axis=alt.Axis(labelOverlap=False, labelLimit=160)),
            yOffset=alt.YOffset("who:N", sort=[rep_name, "Rest of team"]),
            x=alt.X("conversion:Q", axis=alt.Axis(format="%"), title="Moves on to the next stage (%)"),
            color=alt.Color(
                "who:N",
                scale=alt.Scale(domain=[rep_name, "Rest of team"], range=[TEAM_PALETTE[0], NEUTRAL]),
                title=None,
            ),
            opacity=alt.condition("datum.stall", alt.value(1.0), alt.value(0.75)),
            stroke=alt.condition("datum.stall", alt.value(BAD), alt.value(None)),
            tooltip=["stage", "who", alt.Tooltip("conversion:Q", format=".0%")],
        )
        .properties(height=48 * max(1, len(order)), title="Stage-to-stage conversion")
    )


def compare_chart(trend: pd.DataFrame, metric_label: str, fmt: str) -> alt.Chart:
    """One line per rep of a metric over the periods. ``trend``: name, period (in order), value."""
    order = list(dict.fromkeys(trend["period"]))
    return (
        alt.Chart(trend)
        .mark_line(point=True)
        .encode(
            x=alt.X("period:N", sort=order, title="Period"),
            y=alt.Y("value:Q", title=metric_label, axis=alt.Axis(format=fmt)),
            color=alt.Color("name:N", title=None, scale=alt.Scale(range=list(TEAM_PALETTE))),
            tooltip=["name", "period", alt.Tooltip("value:Q", format=fmt, title=metric_label)],
        )
        .properties(height=280, title=f"{metric_label} by period")
    )

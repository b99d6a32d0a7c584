"""Altair charts of the compensation simulator: frame in, chart out, no Streamlit calls."""

from __future__ import annotations

import altair as alt
import pandas as pd

from salesops.charts import BAD, GOOD, TARGET, TEAM_PALETTE, money_axis


def payout_distribution_chart(payouts: pd.DataFrame, title: str = "How many reps earn how much") -> alt.Chart:
    """Histogram of variable pay per rep (an aggregate: no names reach the chart).

    ``payouts``: a compute_payouts frame (uses variable_cents only).
    """
    frame = pd.DataFrame({"variable": payouts["variable_cents"] / 100})
    return (
        alt.Chart(frame)
        .mark_bar(color=TEAM_PALETTE[0])
        .encode(
            x=alt.X("variable:Q", bin=alt.Bin(maxbins=25), axis=money_axis("Variable pay in the period ($)")),
            y=alt.Y("count():Q", title="Reps"),
            tooltip=[alt.Tooltip("count():Q", title="reps")],
        )
        .properties(title=title, height=240)
    )


def payout_curve_chart(curve: pd.DataFrame, point: tuple[float, float] | None = None, title: str = "") -> alt.Chart:
    """Variable pay against attainment (``curve``: attainment 0..x, variable_cents), with an optional marked point."""
    frame = curve.assign(variable=curve["variable_cents"] / 100)
    line = (
        alt.Chart(frame)
        .mark_line(color=TEAM_PALETTE[0], interpolate="linear")
        .encode(
            x=alt.X("attainment:Q", axis=alt.Axis(format="%", title="Attainment (%)")),
            y=alt.Y("variable:Q", axis=money_axis("Variable pay ($)")),
            tooltip=[alt.Tooltip("attainment:Q", format=".0%"), alt.Tooltip("variable:Q", format="$,.2f")],
        )
    )
    quota = alt.Chart(pd.DataFrame({"x": [1.0]})).mark_rule(color=TARGET, strokeDash=[4, 3]).encode(x="x:Q")
    chart = line + quota
    if point is not None:
        dot = pd.DataFrame({"attainment": [point[0]], "variable": [point[1]]})
        chart = chart + alt.Chart(dot).mark_point(color=BAD, size=120, filled=True).encode(
            x="attainment:Q", y="variable:Q"
        )
    return chart.properties(title=title, height=240)


def compare_chart(diff: pd.DataFrame, title: str = "Plan B − plan A, per rep") -> alt.Chart:
    """Histogram of the per-rep difference (``diff``: a compare_payouts frame; no names reach the chart)."""
    difference = diff["difference_cents"] / 100
    more, less = "B pays more", "B pays less or the same"
    frame = pd.DataFrame({"difference": difference, "direction": [more if d > 0 else less for d in difference]})
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("difference:Q", bin=alt.Bin(maxbins=25), axis=money_axis("Difference in variable pay ($)")),
            y=alt.Y("count():Q", title="Reps"),
            color=alt.Color(
                "direction:N", title=None, scale=alt.Scale(domain=[more, less], range=[GOOD, BAD]), sort=[more, less]
            ),
        )
        .properties(title=title, height=220)
    )

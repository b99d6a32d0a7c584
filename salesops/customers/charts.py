"""The Customers page's Altair charts: frame in, chart out, no Streamlit."""

from __future__ import annotations

import altair as alt
import pandas as pd

from salesops.charts import BAD, GOOD, NEUTRAL, TEAM_PALETTE, money_axis


def revenue_split_chart(periods: pd.DataFrame) -> alt.Chart:
    """Stacked bars of new-business and existing-customer revenue per period (company rows)."""
    long = periods.melt(
        id_vars=["period"], value_vars=["new_cents", "existing_cents"], var_name="kind", value_name="cents"
    )
    long["dollars"] = long["cents"] / 100
    long["kind"] = long["kind"].map({"new_cents": "New business", "existing_cents": "Existing customers"})
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=alt.X("period:N", sort=None, title="Period", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("dollars:Q", axis=money_axis("Won revenue ($)")),
            color=alt.Color(
                "kind:N",
                scale=alt.Scale(
                    domain=["New business", "Existing customers"], range=[TEAM_PALETTE[2], TEAM_PALETTE[0]]
                ),
                legend=alt.Legend(title=None, orient="top"),
            ),
            tooltip=["period", "kind", alt.Tooltip("dollars:Q", format="$,.0f", title="won")],
        )
        .properties(height=260)
    )


def flows_chart(periods: pd.DataFrame) -> alt.Chart:
    """Bars of new and returning (up) and lost (down) customers per period, and active as a line."""
    long = periods[["period", "new", "returning", "lost"]].copy()
    long["lost"] = -long["lost"]
    long = long.melt(id_vars=["period"], var_name="flow", value_name="customers")
    domain = ["new", "returning", "lost"]
    bars = (
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=alt.X("period:N", sort=None, title="Period", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("customers:Q", title="Customers gained / lost (count)"),
            color=alt.Color(
                "flow:N",
                scale=alt.Scale(domain=domain, range=[GOOD, TEAM_PALETTE[3], BAD]),
                legend=alt.Legend(title=None, orient="top"),
            ),
            tooltip=["period", "flow", "customers"],
        )
    )
    line = (
        alt.Chart(periods)
        .mark_line(color=NEUTRAL, point=True)
        .encode(
            x=alt.X("period:N", sort=None),
            y=alt.Y("active:Q", title="Active customers (count)"),
            tooltip=["period", "active"],
        )
    )
    return alt.layer(bars, line).resolve_scale(y="independent").properties(height=260)


def cohort_chart(grid: pd.DataFrame) -> alt.Chart:
    """Heat map: first-won quarter (rows) × quarters since (columns), the share still active."""
    return (
        alt.Chart(grid)
        .mark_rect()
        .encode(
            x=alt.X("quarters_after:O", title="Quarters since the first won deal", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("cohort:N", title="First won", sort=None),
            color=alt.Color(
                "share:Q",
                scale=alt.Scale(domain=[0, 1], scheme="blues"),
                legend=alt.Legend(format=".0%", title="Share active"),
            ),
            tooltip=[
                alt.Tooltip("cohort:N", title="First won"),
                alt.Tooltip("quarter:N", title="Quarter"),
                alt.Tooltip("customers:Q", title="Customers in cohort"),
                alt.Tooltip("active:Q", title="Active"),
                alt.Tooltip("share:Q", format=".0%", title="Share active"),
            ],
        )
        .properties(height=alt.Step(14))
    )


MEASURES = {"nrr": "Net (NRR)", "grr": "Gross (GRR)"}


def retention_chart(retention: pd.DataFrame) -> alt.Chart:
    """Net and gross revenue retention per cohort and customer-year, as lines."""
    long = retention.melt(id_vars=["cohort", "year"], value_vars=["nrr", "grr"], var_name="measure", value_name="v")
    long["measure"] = long["measure"].map(MEASURES)
    long["cohort"] = long["cohort"].astype(str)
    return (
        alt.Chart(long.dropna(subset=["v"]))
        .mark_line(point=True)
        .encode(
            x=alt.X("year:O", title="Year (1 = the cohort's own year)", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("v:Q", axis=alt.Axis(format=".0%"), title="Revenue retention"),
            color=alt.Color("cohort:N", legend=alt.Legend(title="Cohort")),
            # Which line is which is in the title: a legend drew net and gross as the same dot.
            strokeDash=alt.StrokeDash(
                "measure:N", scale=alt.Scale(domain=list(MEASURES.values()), range=[[1, 0], [5, 3]]), legend=None
            ),
            tooltip=[
                alt.Tooltip("cohort:N", title="Cohort"),
                alt.Tooltip("year:O", title="Year"),
                alt.Tooltip("measure:N", title="Measure"),
                alt.Tooltip("v:Q", format=".0%", title="Retention"),
            ],
        )
        .properties(height=260, title="Revenue retention: solid = net (NRR), dashed = gross (GRR)")
    )

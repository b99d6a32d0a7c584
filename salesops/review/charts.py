"""The review's charts (Altair specs, shared by the page and the digest's PNG images)."""

from __future__ import annotations

import altair as alt
import pandas as pd

from salesops.charts import BAD, GOOD, NEUTRAL, TARGET, TEAM_PALETTE, money_axis
from salesops.review.waterfall import Waterfall, waterfall_frame

_COLOURS = {"total": TEAM_PALETTE[0], "up": GOOD, "down": BAD}


def waterfall_chart(w: Waterfall, height: int = 300) -> alt.Chart | None:
    """Last week's P50, each step up (green) or down (red), this week's P50; None without a comparison."""
    bars = waterfall_frame(w)
    if bars.empty:
        return None
    bars = bars.assign(
        lo=bars[["bar_start", "bar_end"]].min(axis=1) / 100,
        hi=bars[["bar_start", "bar_end"]].max(axis=1) / 100,
        dollars=bars["cents"] / 100,
    )
    order = bars["label"].tolist()
    base = alt.Chart(bars).encode(
        x=alt.X(
            "label:N",
            sort=order,
            title="What moved the forecast",
            axis=alt.Axis(labelAngle=-25, labelLimit=160, labelFontSize=13, labelOverlap=False),
        )
    )
    chart = base.mark_bar(size=46).encode(
        y=alt.Y("lo:Q", axis=money_axis("Forecast P50 ($)"), scale=alt.Scale(zero=False)),
        y2="hi:Q",
        color=alt.Color("kind:N", scale=alt.Scale(domain=list(_COLOURS), range=list(_COLOURS.values())), legend=None),
        tooltip=["label", alt.Tooltip("dollars:Q", format="$,.0f", title="change")],
    )
    return chart.properties(height=height, title="Forecast (P50) since last week")


def outlook_trend_chart(trend: pd.DataFrame, height: int = 260) -> alt.Chart | None:
    """The quarter's weeks: P10–P90 band, P50 line, won to date, quota rule (dollars)."""
    if trend.empty:
        return None
    t = pd.DataFrame(
        {
            "as_of": pd.to_datetime(trend["as_of"]),
            "P10": trend["p10_cents"].astype(float) / 100,
            "P50": trend["p50_cents"].astype(float) / 100,
            "P90": trend["p90_cents"].astype(float) / 100,
            "Won": trend["won_cents"].astype(float) / 100,
            "Quota": trend["quota_cents"].astype(float) / 100,
        }
    )
    x = alt.X("as_of:T", title="Week of", axis=alt.Axis(format="%d %b", labelFontSize=13))
    base = alt.Chart(t).encode(x=x)
    band = base.mark_area(opacity=0.18, color=TEAM_PALETTE[0]).encode(
        y=alt.Y("P10:Q", axis=money_axis("Quarter revenue ($)")), y2="P90:Q"
    )
    p50 = base.mark_line(color=TEAM_PALETTE[0], point=True).encode(
        y="P50:Q", tooltip=[alt.Tooltip("as_of:T", title="week"), alt.Tooltip("P50:Q", format="$,.0f")]
    )
    won = base.mark_line(color=NEUTRAL, strokeDash=[2, 2]).encode(y="Won:Q")
    quota = (
        alt.Chart(pd.DataFrame({"Quota": [float(t["Quota"].iloc[-1])]}))
        .mark_rule(color=TARGET, strokeDash=[6, 4])
        .encode(y="Quota:Q")
    )
    return (band + p50 + won + quota).properties(
        height=height,
        # Two lines: on one it was cut at half the screen's width.
        title=alt.TitleParams(
            ["This quarter week by week:", "P50 (band P10–P90), won so far (dotted), quota (dashed)"]
        ),
    )

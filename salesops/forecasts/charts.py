"""Altair charts of forecasts and their track record (frames in, charts out, no Streamlit).

Money arrives in cents and is drawn in dollars with the shared money axis.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from salesops.charts import NEUTRAL, TARGET, TEAM_PALETTE, money_axis

ACTUAL, FORECAST, BAND, PIPELINE = "Actual", "Forecast", "80% interval", "Pipeline-weighted"
_COLOURS = alt.Scale(domain=[ACTUAL, FORECAST, BAND, PIPELINE], range=[TARGET, TEAM_PALETTE[0], "#9DBAD5", NEUTRAL])


# Over 60 lines on purpose: one declarative Altair layer per mark (actuals, band, forecast line,
# pipeline), read top to bottom like the chart; helpers would only pass the encodings around.
def forecast_chart(
    history: pd.DataFrame,
    forecast: pd.DataFrame,
    pipeline: pd.DataFrame | None = None,
    title: str = "",
    show_periods: int = 104,
) -> alt.LayerChart | alt.FacetChart:
    """Actuals (last ``show_periods``), the forecast line and its 80% band, optional pipeline line.

    ``history``: ds, y; ``forecast``: ds, yhat, yhat_lower, yhat_upper; ``pipeline``: ds,
    weighted_cents (all cents).
    """
    hist = history.tail(show_periods)
    lines = [
        pd.DataFrame({"ds": pd.to_datetime(hist["ds"]), "series": ACTUAL, "dollars": hist["y"] / 100}),
        pd.DataFrame({"ds": pd.to_datetime(forecast["ds"]), "series": FORECAST, "dollars": forecast["yhat"] / 100}),
    ]
    if pipeline is not None and len(pipeline):
        lines.append(
            pd.DataFrame(
                {"ds": pd.to_datetime(pipeline["ds"]), "series": PIPELINE, "dollars": pipeline["weighted_cents"] / 100}
            )
        )
    long = pd.concat(lines, ignore_index=True)
    band = pd.DataFrame(
        {
            "ds": pd.to_datetime(forecast["ds"]),
            "series": BAND,
            "lower": forecast["yhat_lower"] / 100,
            "upper": forecast["yhat_upper"] / 100,
        }
    )
    x = alt.X("ds:T", title=None)
    colour = alt.Color("series:N", scale=_COLOURS, title=None, legend=alt.Legend(orient="top"))
    area = (
        alt.Chart(band)
        .mark_area(opacity=0.45)
        .encode(
            x=x,
            y=alt.Y("lower:Q", axis=money_axis()),
            y2="upper:Q",
            color=colour,
            tooltip=[
                alt.Tooltip("ds:T", title="period"),
                alt.Tooltip("lower:Q", format="$,.0f", title="80% interval low"),
                alt.Tooltip("upper:Q", format="$,.0f", title="80% interval high"),
            ],
        )
    )
    line = (
        alt.Chart(long)
        .mark_line(point=alt.OverlayMarkDef(size=14))
        .encode(
            x=x,
            y=alt.Y("dollars:Q", axis=money_axis()),
            color=colour,
            strokeDash=alt.condition(alt.datum.series == PIPELINE, alt.value([4, 3]), alt.value([1, 0])),
            tooltip=[
                alt.Tooltip("ds:T", title="period"),
                "series:N",
                alt.Tooltip("dollars:Q", format="$,.0f", title="won revenue"),
            ],
        )
    )
    return alt.layer(area, line).properties(title=title, height=320)


def backtest_chart(points: pd.DataFrame, history: pd.DataFrame, title: str = "") -> alt.LayerChart | alt.FacetChart:
    """What happened (black) against each backtest origin's forecast (one colour per origin).

    ``points``: cutoff, ds, y, yhat (salesops.forecasts.backtest.POINT_COLUMNS); ``history``: ds, y.
    """
    first = min(points["cutoff"]) if len(points) else None
    hist = history[history["ds"] >= first] if first is not None else history.tail(52)
    actual = pd.DataFrame({"ds": pd.to_datetime(hist["ds"]), "dollars": hist["y"] / 100})
    past = pd.DataFrame(
        {
            "ds": pd.to_datetime(points["ds"]),
            "origin": ["forecast from " + str(c) for c in points["cutoff"]],
            "dollars": points["yhat"].astype(float) / 100,
        }
    )
    x = alt.X("ds:T", title=None)
    base = (
        alt.Chart(actual)
        .mark_line(color=TARGET, strokeWidth=2)
        .encode(
            x=x,
            y=alt.Y("dollars:Q", axis=money_axis()),
            tooltip=[alt.Tooltip("ds:T", title="period"), alt.Tooltip("dollars:Q", format="$,.0f", title="actual")],
        )
    )
    fc = (
        alt.Chart(past)
        .mark_line(strokeDash=[5, 3], point=alt.OverlayMarkDef(size=12))
        .encode(
            x=x,
            y="dollars:Q",
            color=alt.Color(
                "origin:N", title=None, legend=alt.Legend(orient="top"), scale=alt.Scale(range=TEAM_PALETTE)
            ),
            tooltip=[
                alt.Tooltip("ds:T", title="period"),
                "origin:N",
                alt.Tooltip("dollars:Q", format="$,.0f", title="forecast then"),
            ],
        )
    )
    return alt.layer(base, fc).properties(title=title, height=260)

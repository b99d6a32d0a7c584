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
    x = alt.X("ds:T", title="Period start")
    colour = alt.Color("series:N", scale=_COLOURS, title=None, legend=alt.Legend(orient="top"))
    area = (
        alt.Chart(band)
        .mark_area(opacity=0.45)
        .encode(
            x=x,
            y=alt.Y("lower:Q", axis=money_axis("Won revenue ($)")),
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
            y=alt.Y("dollars:Q", axis=money_axis("Won revenue ($)")),
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
    x = alt.X("ds:T", title="Period start")
    base = (
        alt.Chart(actual)
        .mark_line(color=TARGET, strokeWidth=2)
        .encode(
            x=x,
            y=alt.Y("dollars:Q", axis=money_axis("Won revenue ($)")),
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


# ---- the outlook ---------------------------------------------------------------------------------

#: Okabe–Ito colours (safe for the common colour-vision deficiencies), one per part of the outlook.
WON, PIPE, RUNRATE, RANGE, QUOTA = (
    "Won so far",
    "Open pipeline (expected)",
    "Run-rate (expected)",
    "P10–P90 (calibrated)",
    "Quota",
)
_OUTLOOK_COLOURS = alt.Scale(domain=[WON, PIPE, RUNRATE], range=["#0072B2", "#E69F00", "#56B4E9"])


def outlook_chart(frame: pd.DataFrame, title: str = "") -> alt.LayerChart | alt.FacetChart:
    """Per series (rows of :func:`salesops.forecasts.outlook.outlook`): stacked won so far, expected
    pipeline and expected run-rate; the calibrated P10–P90 as a black range with the P50 tick; the
    quota as a vermillion tick. Money in dollars."""
    long = frame.melt(
        id_vars=["label"],
        value_vars=["won_to_date_cents", "pipeline_expected_cents", "runrate_expected_cents"],
        var_name="part",
        value_name="cents",
    )
    long["part"] = long["part"].map(
        {"won_to_date_cents": WON, "pipeline_expected_cents": PIPE, "runrate_expected_cents": RUNRATE}
    )
    long["dollars"] = long["cents"] / 100
    long["order"] = long["part"].map({WON: 0, PIPE: 1, RUNRATE: 2})
    y = alt.Y("label:N", title="Forecast for", sort=list(frame["label"]), axis=alt.Axis(labelLimit=260))
    bars = (
        alt.Chart(long)
        .mark_bar(opacity=0.9)
        .encode(
            y=y,
            x=alt.X("sum(dollars):Q", axis=money_axis("Revenue in the period ($)"), stack="zero"),
            color=alt.Color("part:N", scale=_OUTLOOK_COLOURS, title=None, legend=alt.Legend(orient="bottom")),
            order=alt.Order("order:Q"),
            tooltip=["label", "part", alt.Tooltip("dollars:Q", format="$,.0f", title="expected")],
        )
    )
    ranges = frame.assign(
        p10=frame["p10_cents"] / 100,
        p50=frame["p50_cents"] / 100,
        p90=frame["p90_cents"] / 100,
        quota=frame["quota_cents"].astype("Float64").astype(float) / 100,
    )
    tips = [
        "label",
        alt.Tooltip("p10:Q", format="$,.0f", title="P10"),
        alt.Tooltip("p50:Q", format="$,.0f", title="P50"),
        alt.Tooltip("p90:Q", format="$,.0f", title="P90"),
    ]
    rule = alt.Chart(ranges).mark_rule(color="#000000", strokeWidth=2).encode(y=y, x="p10:Q", x2="p90:Q", tooltip=tips)
    mid = alt.Chart(ranges).mark_tick(color="#000000", thickness=2, size=14).encode(y=y, x="p50:Q", tooltip=tips)
    quota = (
        alt.Chart(ranges.dropna(subset=["quota"]))
        .mark_tick(color="#D55E00", thickness=3, size=22)
        .encode(y=y, x="quota:Q", tooltip=["label", alt.Tooltip("quota:Q", format="$,.0f", title="quota")])
    )
    return (bars + rule + mid + quota).properties(title=title, height=alt.Step(34))

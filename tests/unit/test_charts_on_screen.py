"""Charts read right on both screens: labels uncut, and in presentation mode (larger type) a taller
chart, so its titles, axes and legend leave the plot its room (salesops.charts.for_screen)."""

from __future__ import annotations

import re
from pathlib import Path

import altair as alt
import pandas as pd

from salesops import charts
from salesops.customers import charts as customer_charts
from salesops.review import charts as review_charts

ROOT = Path(__file__).resolve().parents[2]
FRAME = pd.DataFrame({"x": ["a", "b"], "y": [1, 2]})


def _bars(**props) -> alt.Chart:
    return alt.Chart(FRAME).mark_bar().encode(x="x:N", y="y:Q").properties(**props)


def test_presentation_mode_draws_a_fixed_height_taller_by_the_type_s_ratio():
    spec = charts.for_screen(_bars(height=280), presenting=True).to_dict()
    assert spec["height"] == 368  # 280 × 21/16 = 367.5, rounded
    assert charts.for_screen(_bars(height=280), presenting=False).to_dict()["height"] == 280


def test_presentation_mode_scales_a_height_per_row_and_a_layer_s_height():
    assert charts.for_screen(_bars(height=alt.Step(26)), presenting=True).to_dict()["height"] == {"step": 34}
    layered = alt.layer(_bars(), _bars()).properties(height=240)
    assert charts.for_screen(layered, presenting=True).to_dict()["height"] == 315  # 240 × 1.3125


def test_a_chart_without_a_height_is_left_to_its_default():
    assert "height" not in charts.for_screen(_bars(), presenting=True).to_dict()


def test_y_axis_and_legend_labels_get_room_for_a_long_team_name():
    config = charts.for_screen(_bars(height=100), presenting=False).to_dict()["config"]
    assert config["axisY"]["labelLimit"] == charts.LABEL_LIMIT == 280
    assert config["legend"]["labelLimit"] == charts.LABEL_LIMIT


def test_a_partial_period_s_label_goes_on_two_lines_instead_of_being_cut():
    frame = pd.DataFrame({"period": ["2026-Q3", "2026-Q4 (to date)"], "won": [10.0, 4.0], "quota": [12.0, 12.0]})
    spec = charts.trend_chart(frame, "period", "won", "t", target="quota", partial=True).to_dict()
    expr = spec["layer"][0]["encoding"]["x"]["axis"]["labelExpr"]
    assert "indexof(datum.label, ' (')" in expr and expr.startswith("indexof")


def test_retention_lines_say_which_is_net_and_which_gross():
    ret = pd.DataFrame({"cohort": [2024, 2024], "year": [2, 3], "nrr": [1.1, 0.9], "grr": [0.8, 0.7]})
    spec = customer_charts.retention_chart(ret).to_dict()
    dash = spec["encoding"]["strokeDash"]
    assert dash["scale"] == {"domain": ["Net (NRR)", "Gross (GRR)"], "range": [[1, 0], [5, 3]]}
    assert spec["title"] == "Revenue retention: solid = net (NRR), dashed = gross (GRR)"


def test_the_review_trend_title_is_on_two_lines():
    trend = pd.DataFrame(
        {
            "as_of": pd.to_datetime(["2026-11-15", "2026-11-22"]),
            "p10_cents": [100, 200],
            "p50_cents": [200, 300],
            "p90_cents": [300, 400],
            "won_cents": [50, 100],
            "quota_cents": [500, 500],
        }
    )
    chart = review_charts.outlook_trend_chart(trend)
    assert chart is not None
    assert chart.to_dict()["title"]["text"][0] == "This quarter week by week:"


def test_pages_draw_charts_through_the_screen_wrapper():
    """A page calling ``altair_chart`` itself would skip presentation mode's taller charts."""
    sources = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]
    offenders = [p.name for p in sources if re.search(r"\.altair_chart\(", p.read_text())]
    assert offenders == []

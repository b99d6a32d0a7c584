"""salesops.charts.speed_up_altair: one schema table per process, and charts exactly as stock Altair builds them."""

import altair as alt
import pandas as pd
import pytest
from altair.utils import schemapi

from salesops import charts
from salesops.forecasts import charts as forecast_charts


def _every_kind_of_channel() -> dict:
    """A layered chart using each way the app gives Altair a channel: shorthand strings, aggregates,
    time units, tooltip lists mixing strings and objects, conditions with values, datum and y2."""
    f = pd.DataFrame(
        {"label": ["a", "b"], "part": ["x", "y"], "dollars": [1.0, 2.5], "month": pd.to_datetime(["2026-01-01"] * 2)}
    )
    bars = (
        alt.Chart(f)
        .mark_bar()
        .encode(
            y="label:N",
            x="sum(dollars):Q",
            color=alt.condition("datum.dollars > 2", alt.value(charts.BAD), alt.value(charts.NEUTRAL)),
            tooltip=["label", "part:N", alt.Tooltip("dollars:Q", format="$,.0f", title="expected")],
        )
    )
    rule = alt.Chart(f).mark_rule().encode(x="yearmonth(month):T", y="dollars:Q", y2=alt.datum(0), text="part:N")
    counts = alt.Chart(f).mark_bar().encode(x=alt.X("dollars:Q", bin=True), y="count():Q")
    return (bars + rule + counts).to_dict()


def _outlook() -> dict:
    frame = pd.DataFrame(
        {
            "label": ["Q4 2026", "Q1 2027"],
            "won_to_date_cents": [100_00, 0],
            "pipeline_expected_cents": [50_00, 20_00],
            "runrate_expected_cents": [10_00, 30_00],
            "p10_cents": [120_00, 30_00],
            "p50_cents": [160_00, 50_00],
            "p90_cents": [200_00, 80_00],
            "quota_cents": pd.array([150_00, None], dtype="Int64"),
        }
    )
    return forecast_charts.outlook_chart(frame, "Outlook").to_dict()


def test_speed_up_is_applied_on_import():
    assert charts.speed_up_altair() is True
    assert schemapi.SchemaBase.__dict__["from_dict"] is charts._SHARED_FROM_DICT


@pytest.mark.parametrize("build", [_every_kind_of_channel, _outlook])
def test_charts_are_exactly_what_stock_altair_builds(build, monkeypatch):
    fast = build()
    monkeypatch.setattr(schemapi.SchemaBase, "from_dict", charts._STOCK_FROM_DICT)
    stock = build()
    assert fast == stock


def test_no_schema_table_is_built_per_encoding(monkeypatch):
    built = []
    original = schemapi._FromDict.__init__

    def counting(self, classes):
        built.append(1)
        original(self, classes)

    _every_kind_of_channel()  # builds the tables it needs, once per process
    monkeypatch.setattr(schemapi._FromDict, "__init__", counting)
    for _ in range(3):
        _every_kind_of_channel()
    assert built == []
    monkeypatch.setattr(schemapi.SchemaBase, "from_dict", charts._STOCK_FROM_DICT)
    _every_kind_of_channel()
    assert len(built) > 1  # stock Altair builds one per channel: what the speed-up removes

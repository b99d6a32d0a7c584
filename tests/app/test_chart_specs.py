"""Every chart on every page is exactly what stock Altair builds (salesops.charts.speed_up_altair changes speed only)."""

from __future__ import annotations

import json

import pytest
from altair.utils import schemapi

from salesops import charts

PAGES = ["home", "performance", "leaderboards", "forecasts", "compensation", "tools", "review", "customers"]


def _specs(app, page: str) -> list[dict]:
    app.switch_page(f"pages/{page}.py").run()
    assert not app.exception, app.exception
    return [json.loads(el.proto.spec) for el in app.get("vega_lite_chart")]


@pytest.mark.parametrize("page", PAGES)
def test_charts_are_unchanged_by_the_speed_up(app, page, monkeypatch):
    fast = _specs(app, page)
    monkeypatch.setattr(schemapi.SchemaBase, "from_dict", charts._STOCK_FROM_DICT)
    stock = _specs(app, page)
    assert fast == stock
    assert fast or page in {"review", "leaderboards"}, f"{page} drew no chart"  # these two draw charts in sub-views

"""Browser: the Forecasts page in a real Streamlit server, switching team from the sidebar."""

from __future__ import annotations

import pytest

from tests.conftest import wait_for_app

pytestmark = pytest.mark.browser


def test_switching_team_shows_that_teams_forecast_chart_and_accuracy(server, page):
    """The page draws the forecast chart and the track record; picking a team redraws both for it."""
    page.goto(f"{server}/forecasts")
    wait_for_app(page, "Track record")
    charts = page.locator('[data-testid="stVegaLiteChart"]')
    charts.nth(1).wait_for(timeout=30_000)  # the forecast and the backtest chart (vega draws asynchronously)
    page.get_by_text("WAPE", exact=True).locator("visible=true").first.wait_for(timeout=30_000)
    page.locator(".st-key-team").click()
    page.get_by_role("option", name="Seattle Mid-Market").click()
    wait_for_app(page, "team Seattle Mid-Market")
    assert "team=Seattle+Mid-Market" in page.url
    charts.nth(1).wait_for(timeout=30_000)
    # The team's fit (and its backtest) runs on the server now; wait for its verdict to be drawn.
    page.get_by_text("baseline for team Seattle Mid-Market", exact=False).first.wait_for(timeout=60_000)
    wait_for_app(page)
    assert charts.first.locator("canvas, svg").count() >= 1
    body = page.locator('[data-testid="stMain"]').inner_text()
    assert "80% coverage" in body and "Chance of reaching quota" in body
    assert "baseline for team Seattle Mid-Market" in body

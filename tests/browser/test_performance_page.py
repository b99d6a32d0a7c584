"""Browser: the Team performance page in a real Streamlit server, driven by chromium."""

from __future__ import annotations

import pytest

from tests.conftest import wait_for_app

pytestmark = pytest.mark.browser


def test_changing_the_team_filter_changes_a_kpi(server, page):
    """Opening the page and picking Seattle Mid-Market in the sidebar changes the won-revenue tile."""
    page.goto(f"{server}/performance")
    wait_for_app(page, "Average deal size")
    tile = page.get_by_test_id("stMetricValue").first
    before = tile.inner_text()
    assert before.startswith("$")
    page.locator(".st-key-team").click()
    page.get_by_role("option", name="Seattle Mid-Market").click()
    wait_for_app(page, "Average deal size")
    page.wait_for_function(
        "b => document.querySelector('[data-testid=stMetricValue]').innerText !== b", arg=before, timeout=30_000
    )
    assert tile.inner_text() != before
    assert "team=Seattle+Mid-Market" in page.url

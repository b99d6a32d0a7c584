"""Browser: a real Streamlit server driven by Debian's chromium through Playwright."""

from __future__ import annotations

import pytest

from tests.conftest import wait_for_app

pytestmark = pytest.mark.browser


def test_the_app_starts_navigates_and_shows_a_kpi(server, page):
    """Home shows a KPI; the navigation switches to Team performance and back."""
    page.goto(server)
    wait_for_app(page, "Won revenue")
    assert page.get_by_test_id("stMetricValue").first.inner_text().startswith("$")
    page.get_by_role("link", name="Team performance").click()
    wait_for_app(page, "Team performance")
    assert "/performance" in page.url
    page.get_by_role("link", name="Home").click()
    wait_for_app(page, "Won revenue")


def test_a_link_with_filters_reopens_the_same_view(server, page):
    """Filters live in the URL: a copied link, even to a sub-page, reopens the same filters."""
    page.goto(f"{server}/performance?team=Seattle+Mid-Market&grain=Year")
    wait_for_app(page, "Team performance")
    assert page.locator(".st-key-team input").input_value() == "Seattle Mid-Market"
    assert page.locator(".st-key-grain input").input_value() == "Year"
    assert "team=Seattle" in page.url


def test_changing_a_filter_writes_it_into_the_url(server, page):
    """Picking a team updates the address bar, so the view can be shared as a link."""
    page.goto(server)
    wait_for_app(page, "Won revenue")
    before = page.get_by_test_id("stMetricValue").first.inner_text()
    page.locator(".st-key-team").click()
    page.get_by_role("option", name="Seattle Mid-Market").click()
    wait_for_app(page, "Won revenue")
    page.wait_for_function(
        "b => document.querySelector('[data-testid=stMetricValue]').innerText !== b", arg=before, timeout=30_000
    )
    assert "team=Seattle+Mid-Market" in page.url


def test_a_copied_link_to_a_page_opens_it_with_the_sidebar_on_a_fresh_server(fresh_server, page):
    """The very first request to a new server, a link to a sub-page, gets that page and the shared filters."""
    page.goto(f"{fresh_server}/leaderboards?grain=Month&region=EMEA")
    wait_for_app(page, "Leaderboards")
    assert page.locator(".st-key-grain input").input_value() == "Month"
    assert page.locator(".st-key-region input").input_value() == "EMEA"
    assert page.get_by_role("link", name="Team performance").count() == 1


def test_the_old_home_address_opens_home(server, page):
    """/home (Home's address in earlier versions) opens Home with the same view."""
    page.goto(f"{server}/home?grain=Year")
    wait_for_app(page, "Won revenue")
    assert page.get_by_role("heading", name="Sales cockpit").count() == 1
    assert page.locator(".st-key-grain input").input_value() == "Year"

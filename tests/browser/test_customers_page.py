"""Browser: the Customers page draws its tiles, charts and tables, and the split-by control works."""

from __future__ import annotations

import pytest

from tests.conftest import wait_for_app

pytestmark = pytest.mark.browser


def test_the_customers_page_shows_retention_and_splits_by_team(server, page, tmp_path):
    """Tiles and charts render; choosing Team puts team names in the per-period table's URL state."""
    page.set_viewport_size({"width": 1400, "height": 2600})
    page.goto(f"{server}/customers")
    wait_for_app(page, "Share from existing")
    assert page.get_by_text("Lost is known late").count() == 1
    assert page.locator("[data-testid='stVegaLiteChart']").count() >= 3
    page.screenshot(path=str(tmp_path / "customers.png"), full_page=True)
    page.locator(".st-key-cust_by").get_by_text("Team", exact=True).click()
    wait_for_app(page, "Share from existing")
    assert "cust_by=Team" in page.url
    assert page.get_by_text("Team", exact=True).count() >= 1

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


def test_the_at_risk_download_holds_every_account_at_risk(server, page):
    """The CSV made on click has one row per account counted in the heading (more than the table may show)."""
    import re

    page.goto(f"{server}/customers")
    wait_for_app(page, "Share from existing")
    heading = page.get_by_text(re.compile(r"Accounts at risk \(")).first.inner_text()
    count = int(re.search(r"\(([\d,]+)\)", heading).group(1).replace(",", ""))
    with page.expect_download() as got:
        page.locator(".st-key-cust_csv_risk button").click()
    lines = open(got.value.path(), encoding="utf-8").read().splitlines()
    assert lines[0].startswith("customer_id,") and len(lines) - 1 == count > 0


def test_the_drill_down_download_holds_every_account_it_counts(server, page):
    """The drill-down's CSV, made on click, has one row per account its caption counts, no ids."""
    import re

    page.set_viewport_size({"width": 1400, "height": 2600})
    page.goto(f"{server}/customers")
    wait_for_app(page, "Share from existing")
    caption = page.get_by_text(re.compile(r"^Active customers, .*: [\d,]+ accounts\.")).first.inner_text()
    count = int(re.search(r": ([\d,]+) accounts\.", caption).group(1).replace(",", ""))
    with page.expect_download() as got:
        page.locator(".st-key-cust_csv_accounts button").click()
    lines = open(got.value.path(), encoding="utf-8").read().splitlines()
    assert lines[0].startswith("customer,") and len(lines) - 1 == count > 0

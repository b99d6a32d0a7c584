"""Browser: upload a CSV on the Data page, see the validation report in red, fix it, import, see the log."""

from __future__ import annotations

import pytest

from tests.conftest import wait_for_app

pytestmark = pytest.mark.browser

HEAD = "Opportunity ID,Opportunity Owner,Stage,Amount,Created Date,Close Date\n"


def test_uploading_a_bad_then_a_good_export_reports_and_imports(server, page, tmp_path):
    """A bad file shows its problems and no import button; a good one imports, appears in the log, and
    its "ready to import" message and button go away (the uploader is empty again)."""
    bad = tmp_path / "bad_export.csv"
    bad.write_text(HEAD + 'B-1,Jamie Muller,Verbal Yes,"$1,000.00",01/06/2026,02/27/2026\n')
    good = tmp_path / "good_export.csv"
    good.write_text(HEAD + 'G-1,Jamie Muller,Closed Won,"$12,000.00",01/06/2026,02/27/2026\n')

    page.goto(f"{server}/data")
    wait_for_app(page, "Import into")
    page.locator(".st-key-data_preset").click()
    page.get_by_role("option", name="Salesforce").click()
    wait_for_app(page, "Import into")
    page.locator(".st-key-data_file input[type=file]").set_input_files(str(bad))
    wait_for_app(page, "nothing will be imported")
    assert "1 error in 1 row" in page.get_by_test_id("stAlertContentError").first.inner_text()
    assert page.locator(".st-key-data_confirm").count() == 0

    page.locator(".st-key-data_file input[type=file]").set_input_files(str(good))
    wait_for_app(page, "ready to import")
    page.locator(".st-key-data_confirm button").click()
    wait_for_app(page, "Imported good_export.csv")
    assert "1 added, 0 updated, 0 unchanged" in page.get_by_text("Imported good_export.csv").first.inner_text()
    assert page.get_by_text("ready to import").count() == 0
    assert page.locator(".st-key-data_confirm").count() == 0
    assert "Upload a CSV export" in page.get_by_test_id("stAlertContentInfo").first.inner_text()

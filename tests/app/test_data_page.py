"""AppTest: the Data page — the importer's controls, the import log, presentation mode, an empty store."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from salesops import health, ingest, store
from tests.conftest import ROOT
from tests.unit.test_health import org  # noqa: F401 - the fixture

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def test_the_data_page_offers_the_importer_and_an_empty_log_on_the_demo(app):
    """On the demo store the page shows the table and preset choices, the upload, and 'No imports yet'."""
    app.switch_page("pages/data.py").run()
    assert not app.exception, app.exception
    assert app.title[0].value == "Data"
    assert app.selectbox(key="data_table").value == "deals"
    assert app.selectbox(key="data_preset").options == [
        "Any CSV (match columns by name)",
        "Salesforce",
        "HubSpot",
    ]
    assert any("No imports yet" in i.value for i in app.info)
    app.selectbox(key="data_table").set_value("reps").run()
    assert not app.exception
    assert any("`team`" in c.value for c in app.caption)


def test_the_import_log_lists_imports_newest_first(monkeypatch, tmp_path):
    """After two library imports the page's log shows both files, the newest first, with their counts."""
    url = f"duckdb:///{tmp_path / 'store.duckdb'}"
    engine = store.open_store(url)
    ingest.import_file(engine, "reps", FIXTURES / "reps.csv")
    ingest.import_file(engine, "deals", FIXTURES / "hubspot_deals.csv", preset="hubspot")
    engine.dispose()
    monkeypatch.setenv("SALESOPS_DB_URL", url)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("pages/data.py").run()
    assert not at.exception, at.exception
    (frame,) = [d for d in at.dataframe if "file_name" in d.value.columns]
    log = frame.value
    assert log["file_name"].tolist() == ["hubspot_deals.csv", "reps.csv"]
    assert log["rows_added"].tolist() == [7, 3]
    assert log["preset"].tolist() == ["hubspot", "—"]


def test_presentation_mode_hides_the_importer(app):
    """In presentation mode the upload and its controls are hidden; the log stays."""
    app.switch_page("pages/data.py").run()
    app.toggle(key="present").set_value(True).run()
    assert not app.exception
    assert not [s for s in app.selectbox if s.key == "data_table"]
    assert any("presentation mode" in i.value for i in app.info)


def test_an_empty_store_shows_the_importer_and_the_empty_log(monkeypatch, tmp_path):
    """On an empty store the page runs and explains there are no imports yet."""
    monkeypatch.setenv("SALESOPS_DB_URL", f"duckdb:///{tmp_path / 'empty.duckdb'}")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("pages/data.py").run()
    assert not at.exception, at.exception
    assert any("No imports yet" in i.value for i in at.info)
    assert "no data loaded yet" in at.caption[0].value


@pytest.fixture
def health_app(org, monkeypatch):  # noqa: F811
    """The app on the hand-built data-health organisation (today 30 Jun 2026), not yet run."""
    url = org.url.render_as_string(hide_password=False)
    org.dispose()
    monkeypatch.setenv("SALESOPS_DB_URL", url)
    monkeypatch.setenv("SALESOPS_TODAY", "2026-06-30")
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)


def _checks_listed(at) -> list[str]:
    return list(at.selectbox(key="data_health_check").options)


def test_the_stale_days_setting_is_bound_to_the_url(health_app):
    """30 days (default) flags D001 (171 days untouched) as stale; 200 from the input or from a link's URL does not."""
    at = health_app.run()
    at.switch_page("pages/data.py").run()
    assert not at.exception, at.exception
    assert at.number_input(key="stale_days").value == 30
    assert health.CHECKS["stale"] in _checks_listed(at)
    at.number_input(key="stale_days").set_value(200).run()
    assert health.CHECKS["stale"] not in _checks_listed(at)

    # A shared link: ?stale_days=200 opens the section with that threshold (AppTest does not
    # show the browser writing the URL back, so the link is what is checked).
    linked = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    linked.query_params["stale_days"] = "200"
    linked.switch_page("pages/data.py").run()
    assert not linked.exception, linked.exception
    assert linked.number_input(key="stale_days").value == 200
    assert health.CHECKS["stale"] not in _checks_listed(linked)


@pytest.mark.parametrize("raw", ["abc", "0", "99999"])
def test_a_bad_stale_days_in_the_url_falls_back_to_the_default(health_app, raw):
    """?stale_days= with text, zero or beyond 3,650: the page runs on the default 30 days, no exception."""
    at = health_app.run()
    at.query_params["stale_days"] = raw
    at.switch_page("pages/data.py").run()
    assert not at.exception, at.exception
    assert at.number_input(key="stale_days").value == 30
    assert health.CHECKS["stale"] in _checks_listed(at)

"""AppTest: the app and every page run on the demo store and on an empty one, without exceptions."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT

PAGES = ["home", "performance", "leaderboards", "forecasts", "compensation", "tools", "data"]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_on_the_demo(app, page):
    """Each page of the navigation runs to the end on the demo store."""
    app.switch_page(f"pages/{page}.py").run()
    assert not app.exception, app.exception
    assert app.title, f"{page} drew no title"


def test_home_shows_the_headline_kpis_and_filters_change_them(app):
    """The home page shows won revenue, attainment, win rate and pipeline; the team filter changes them."""
    labels = [m.label for m in app.metric]
    assert labels[:4] == ["Won revenue", "Attainment", "Win rate", "Open pipeline"]
    before = [m.value for m in app.metric]
    app.selectbox(key="team").set_value("T05").run()
    assert [m.value for m in app.metric] != before
    app.selectbox(key="grain").set_value("year").run()
    assert app.selectbox(key="period").value.startswith("2026")


def test_an_empty_store_shows_a_helpful_empty_state(monkeypatch, tmp_path):
    """On a store with no data every page runs and the home page says how to load some."""
    monkeypatch.setenv("SALESOPS_DB_URL", f"duckdb:///{tmp_path / 'empty.duckdb'}")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert any("python -m salesops demo" in i.value for i in at.info)
    for page in PAGES:
        at.switch_page(f"pages/{page}.py").run()
        assert not at.exception, (page, at.exception)


def test_a_bad_database_url_shows_one_clear_message(monkeypatch):
    """A malformed SALESOPS_DB_URL is explained on the page, not a traceback."""
    monkeypatch.setenv("SALESOPS_DB_URL", "definitely not a url")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert "is not a database URL" in at.error[0].value


def test_presentation_mode_can_be_switched_on(app):
    """The presentation toggle reruns the app in presentation mode without errors."""
    app.toggle(key="present").set_value(True).run()
    assert not app.exception
    assert app.session_state["present"] is True

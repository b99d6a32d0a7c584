"""AppTest: the app and every page run on the demo store and on an empty one, without exceptions."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT

PAGES = ["home", "performance", "leaderboards", "forecasts", "compensation", "tools", "review", "data"]


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


def test_home_tiles_help_is_the_metrics_doc_definition(app):
    """Home's tiles explain themselves with the words of docs/METRICS.md (DEFINITIONS)."""
    from salesops.performance import DEFINITIONS

    helps = {m.label: m.help for m in app.metric[:4]}
    assert helps["Won revenue"].startswith(DEFINITIONS["Won revenue"])
    for label in ("Attainment", "Win rate", "Open pipeline"):
        assert helps[label] == DEFINITIONS[label], label


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


def test_a_locked_database_shows_one_clear_message(monkeypatch, tmp_path):
    """While another process holds the DuckDB file, the app says who holds it and what to do."""
    import subprocess
    import sys

    from salesops import store

    path = tmp_path / "locked.duckdb"
    store.open_store(f"duckdb:///{path}").dispose()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, time; c = duckdb.connect({str(path)!r}); print('ready', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        monkeypatch.setenv("SALESOPS_DB_URL", f"duckdb:///{path}")
        monkeypatch.setenv("SALESOPS_LOCK_WAIT", "0.5")
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
        assert not at.exception
        assert "locked by another program" in at.error[0].value
        assert "make run" in at.error[0].value
    finally:
        holder.kill()
        holder.wait()


def test_a_database_from_a_newer_salesops_shows_one_clear_message(monkeypatch, tmp_path):
    """A store written by a newer schema is refused on the page with 'upgrade', not a traceback."""
    import sqlalchemy as sa

    from salesops import store

    url = f"duckdb:///{tmp_path / 'newer.duckdb'}"
    engine = store.open_store(url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0999'"))
    engine.dispose()
    monkeypatch.setenv("SALESOPS_DB_URL", url)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert "newer salesops" in at.error[0].value


def test_a_store_that_needs_migrating_shows_the_command(monkeypatch, tmp_path):
    """A store from before the latest revision is refused on the page with one error naming `migrate`."""
    from tests.unit.test_migrations import _legacy_store

    url = f"duckdb:///{tmp_path / 'older.duckdb'}"
    _legacy_store(url)
    monkeypatch.setenv("SALESOPS_DB_URL", url)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert len(at.error) == 1
    assert "older schema" in at.error[0].value and "python -m salesops migrate" in at.error[0].value

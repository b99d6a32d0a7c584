"""AppTest: the Team performance page on the demo store — tiles, filters, drill-down, funnel, empty store."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT

TILES = [
    "Won revenue",
    "Win rate",
    "Average deal size",
    "Sales cycle",
    "Open pipeline",
    "Pipeline coverage",
    "Weighted pipeline",
    "Activities per rep",
]


def _values(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_the_page_shows_every_kpi_tile_with_its_definition_as_help(app):
    """The eight KPI tiles come first, each with the docs' definition as help."""
    from salesops.performance import DEFINITIONS

    app.switch_page("pages/performance.py").run()
    assert not app.exception, app.exception
    assert [m.label for m in app.metric][:8] == TILES
    assert all(m.help == DEFINITIONS[m.label] for m in app.metric[:8])
    assert app.metric[0].value.startswith("$")


def test_changing_the_team_and_the_grain_changes_the_figures(app):
    """Picking T05, then the month grain, changes the KPI values each time."""
    app.switch_page("pages/performance.py").run()
    company = _values(app)
    app.selectbox(key="team").set_value("T05").run()
    assert not app.exception, app.exception
    team = _values(app)
    assert team["Won revenue"] != company["Won revenue"]
    app.selectbox(key="grain").set_value("month").run()
    assert not app.exception, app.exception
    assert _values(app)["Won revenue"] != team["Won revenue"]


def test_the_drill_down_follows_the_team_filter_and_shows_a_reps_deals(app):
    """With T08 picked in the sidebar, the drill-down opens on T08 and lists a rep's deals."""
    app.switch_page("pages/performance.py").run()
    app.selectbox(key="team").set_value("T08").run()
    assert app.selectbox(key="perf_drill_team").value == "T08"
    app.selectbox(key="perf_drill_rep").set_value("R0086").run()
    assert not app.exception, app.exception
    # The rep's deals: the table with a deal id and a team (its position moves as the page gains tables).
    deals = next(d.value for d in app.dataframe if "deal_id" in d.value.columns and "team" in d.value.columns)
    assert len(deals) > 0 and set(deals["team"]) <= {"Berlin Mid-Market", "New York Mid-Market"}


def test_the_funnel_flags_the_stalled_team(app):
    """Over the last full year the demo's Paris SMB is flagged 'plenty of leads, few qualified'."""
    app.switch_page("pages/performance.py").run()
    app.selectbox(key="grain").set_value("year").run()
    app.selectbox(key="period").set_value(app.selectbox(key="period").options[1]).run()
    assert not app.exception, app.exception
    assert any("Paris SMB" in w.value and "plenty of leads, few qualified" in w.value for w in app.warning)


def test_presentation_mode_hides_the_downloads(app):
    """In presentation mode the page runs and shows no CSV download buttons."""
    app.switch_page("pages/performance.py").run()
    app.toggle(key="present").set_value(True).run()
    assert not app.exception, app.exception
    assert not [b for b in app.get("download_button")]


def test_presentation_mode_hides_the_rep_drill_down(app):
    """No rep's won and quota on the shared screen: the drill-down says it is hidden."""
    app.switch_page("pages/performance.py").run()
    app.toggle(key="present").set_value(True).run()
    assert "perf_drill_rep" not in {w.key for w in app.selectbox}
    assert any("hidden in presentation mode" in c.value for c in app.caption)


def test_an_empty_store_shows_the_empty_state(monkeypatch, tmp_path):
    """With no data the page explains how to load some instead of failing."""
    monkeypatch.setenv("SALESOPS_DB_URL", f"duckdb:///{tmp_path / 'empty.duckdb'}")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("pages/performance.py").run()
    assert not at.exception, at.exception
    assert any("python -m salesops demo" in i.value for i in at.info)


def test_a_sessions_first_run_of_the_page_gives_the_tiles_a_head_start_once(app, tile_pauses):
    """widgets.let_tiles_show: the page's first run in a browser session waits once its eight tiles are
    drawn; a later run in the same session (a team picked) does not wait."""
    from pages.ui import widgets

    app.switch_page("pages/performance.py").run()
    assert not app.exception, app.exception
    assert tile_pauses == [widgets.TILES_PAUSE_S]
    app.selectbox(key="team").set_value("T05").run()
    assert not app.exception, app.exception
    assert tile_pauses == [widgets.TILES_PAUSE_S]

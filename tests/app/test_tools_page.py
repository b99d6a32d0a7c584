"""AppTest: the Sales tools page — survey results, tools vs performance, lead fairness, survey rounds."""

from __future__ import annotations

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from salesops import format as fmt
from salesops import store
from salesops.store import schema, sql
from salesops.tools import results
from salesops.tools import rounds as round_store
from tests.conftest import ROOT, TODAY


@pytest.fixture
def tools(app):
    """The demo app switched to the Sales tools page."""
    app.switch_page("pages/tools.py").run()
    assert not app.exception, app.exception
    return app


def _frames(at) -> list[pd.DataFrame]:
    return [d.value for d in at.dataframe]


def _open(at, tab: str) -> AppTest:
    """Open ``tab`` (only the open tab runs, as a click on it does) and rerun."""
    at.session_state["tools_tab"] = tab
    at.run()
    assert not at.exception, at.exception
    return at


def test_the_page_shows_survey_results_with_the_falling_dialer_flagged(tools):
    """Latest round: one CSAT tile per tool, the dialer lowest and named in the 'fell' warning."""
    assert tools.title[0].value == "Sales tools"
    assert [t.label for t in tools.tabs] == [
        "Survey results",
        "Tools and performance",
        "Lead fairness",
        "Survey rounds",
    ]
    tiles = {m.label: m.value for m in tools.metric}
    assert {"CRM", "Dialer", "Email platform", "Video meetings"} <= set(tiles)
    assert min(tiles, key=lambda k: float(tiles[k].rstrip("%")) if tiles[k].endswith("%") else 999) == "Dialer"
    assert any("Dialer" in w.value and "fell" in w.value for w in tools.warning)
    results = next(f for f in _frames(tools) if "nps" in f.columns)
    assert len(results) == 6 and results.set_index("tool").loc["Dialer", "fell"] == "fell"


def test_themes_show_the_dialers_dislikes_as_plain_text(tools):
    """The themes table (worst tool preselected) lists dropped calls with example comments."""
    assert tools.selectbox(key="tools_theme_tool").value == "dialer"
    themes = next(f for f in _frames(tools) if "theme" in f.columns)
    assert "calls drop" in set(themes["theme"])
    assert themes["examples"].str.contains("calls drop").any()


def test_picking_an_older_round_changes_the_figures(tools):
    """Switching to the April 2026 round changes the CSAT tiles."""
    before = [m.value for m in tools.metric]
    tools.selectbox(key="tools_round").set_value("2026-H1").run()
    assert not tools.exception
    assert [m.value for m in tools.metric] != before


def test_tools_and_performance_sits_beside_a_correlation_not_cause_note(tools):
    """The second tab says 'correlation, not cause' and shows satisfaction with attainment per team."""
    _open(tools, "Tools and performance")
    assert any("Correlation, not cause" in i.value for i in tools.info)
    perf = next(f for f in _frames(tools) if "attainment" in f.columns and "mean_satisfaction" in f.columns)
    assert len(perf) == 11 and perf["attainment"].notna().all()
    tools.selectbox(key="tools_perf_tool").set_value("Dialer").run()
    assert not tools.exception


def test_lead_fairness_shows_the_lopsided_team_first(tools):
    """Seattle Mid-Market (T05) is the most uneven team, and its reps are listed as far from fair share."""
    _open(tools, "Lead fairness")
    tiles = {m.label: m.value for m in tools.metric}
    assert tiles["Most uneven team"] == "Seattle Mid-Market"
    assert float(tiles["Its Gini"]) > 0.4
    flagged = next(f for f in _frames(tools) if "flag" in f.columns and "quality_ratio" in f.columns)
    assert (flagged[flagged["team"] == "Seattle Mid-Market"]["flag"] == "too many").sum() == 2
    tools.segmented_control(key="tools_weighting").set_value("equal").run()
    assert not tools.exception
    assert {m.label: m.value for m in tools.metric}["Most uneven team"] == "Seattle Mid-Market"


def test_the_team_filter_narrows_lead_fairness_and_the_survey_tiles_to_that_team(tools):
    """With team T03 chosen in the sidebar, fairness names that team (not "the most uneven"), the tiles are
    its own, and the tools-and-performance table shows that team only, saying so."""
    tools.selectbox(key="team").set_value("T03").run()
    assert not tools.exception
    assert any(c.value.startswith("Tiles: Atlanta SMB only") for c in tools.caption)
    labels = {m.label: m.value for m in _open(tools, "Lead fairness").metric}
    assert labels["Team"] == "Atlanta SMB" and "Most uneven team" not in labels
    _open(tools, "Tools and performance")
    perf = next(f for f in _frames(tools) if "attainment" in f.columns and "mean_satisfaction" in f.columns)
    assert set(perf["team"]) == {"Atlanta SMB"}  # tools and performance follow the sidebar team too
    assert any(c.value.startswith("The sidebar's team only: 1 team.") for c in tools.caption)


def test_only_the_open_tab_runs(tools):
    """A visit draws the survey results alone: no tools-beside-performance, fairness or rounds content until
    its tab is opened; then that tab's content only."""
    assert not any("Correlation, not cause" in i.value for i in tools.info)
    assert not any(m.label == "Most uneven team" for m in tools.metric)
    assert not any(s.key == "tools_weighting" for s in tools.segmented_control)
    assert not any(t.key == "tools_new_name" for t in tools.text_input)
    _open(tools, "Lead fairness")
    assert any(m.label == "Most uneven team" for m in tools.metric)
    assert not any(m.label == "CRM" for m in tools.metric)  # the survey tiles did not run
    assert not any(s.key == "tools_round" for s in tools.selectbox)
    _open(tools, "Survey rounds")
    assert any(t.key == "tools_new_name" for t in tools.text_input)
    assert not any(m.label == "Most uneven team" for m in tools.metric)


def test_the_round_picked_on_the_results_holds_on_tools_and_performance(tools, demo_engine):
    """The round is picked on either of the first two tabs (one widget, one key): a pick on the results
    tab is the round the tools-and-performance tab opens on, after a visit to a tab without it."""
    tools.selectbox(key="tools_round").set_value("2026-H1").run()
    assert not tools.exception
    _open(tools, "Lead fairness")
    _open(tools, "Tools and performance")
    assert tools.selectbox(key="tools_round").value == "2026-H1"
    listed = round_store.load_rounds(demo_engine).set_index("round_id")
    assert any(f"mean satisfaction in {listed.loc['2026-H1', 'name']}" in c.value for c in tools.caption)


def test_the_survey_tab_opens_on_a_round_with_scores_to_show(tools):
    """The default round has enough answers to show scores, so its tiles are not all "hidden"."""
    assert tools.selectbox(key="tools_round").value
    tiles = [m.value for m in tools.metric[:6]]
    assert any(v != "hidden" for v in tiles), tiles


def test_presentation_mode_hides_the_survey_rounds_and_links(tools):
    """On a shared screen the ops tab (with everyone's private links) is not drawn."""
    tools.toggle(key="present").set_value(True).run()
    assert not tools.exception
    assert "Survey rounds" not in [t.label for t in tools.tabs]
    assert not any("token=" in c.value for c in tools.code)


def test_only_admin_and_ops_see_the_survey_rounds(app_env, monkeypatch):
    """A manager signed in through the proxy sees the results but not the Survey rounds tab."""
    from pages.ui import shell

    monkeypatch.setenv("SALESOPS_AUTH", "proxy")
    monkeypatch.setattr(shell, "_request_email", lambda: "manager@example.com")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("pages/tools.py").run()
    assert not at.exception, at.exception
    assert [t.label for t in at.tabs][:3] == ["Survey results", "Tools and performance", "Lead fairness"]
    assert "Survey rounds" not in [t.label for t in at.tabs]


@pytest.fixture
def ops_app(monkeypatch, tmp_path):
    """The app on a small store of its own (3 reps, 2 tools, no rounds), on the Sales tools page."""
    url = f"duckdb:///{tmp_path / 'ops.duckdb'}"
    engine = store.open_store(url)

    def fill(conn):
        store.bulk_insert(conn, schema.teams, pd.DataFrame([dict(team_id="T1", name="Team one", region="R")]))
        reps = [
            dict(rep_id=r, name=f"Rep {r}", team_id="T1", role="AE", ramp_months=0, active=True, fte=1.0)
            for r in ("R1", "R2", "R3")
        ]
        store.bulk_insert(conn, schema.reps, pd.DataFrame(reps))
        tools = [
            dict(tool_id="crm", name="CRM", category="CRM"),
            dict(tool_id="dialer", name="Dialer", category="Dialer"),
        ]
        store.bulk_insert(conn, schema.tools, pd.DataFrame(tools))

    store.write(engine, fill, "test")
    engine.dispose()
    monkeypatch.setenv("SALESOPS_DB_URL", url)
    monkeypatch.setenv("SALESOPS_TODAY", TODAY.isoformat())
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("pages/tools.py").run()
    assert not at.exception, at.exception
    return at


def test_ops_open_a_round_and_download_the_links_once(ops_app):
    """Opening a round offers its 3 links once, as a download; no table of links or of who answered, ever."""
    assert any("No survey answers" in i.value for i in ops_app.info)  # empty state before any round
    _open(ops_app, "Survey rounds")
    assert any(c.value == "No survey round yet." for c in ops_app.caption)
    ops_app.text_input(key="tools_new_name").set_value("Pilot round")
    ops_app.multiselect(key="tools_new_tools").set_value(["dialer"])
    ops_app.button(key="tools_open_round").click().run()
    assert not ops_app.exception, ops_app.exception
    assert any("with 3 links" in s.value for s in ops_app.success)
    assert any("shown this once" in w.value for w in ops_app.warning)
    assert [b.proto.label for b in ops_app.get("download_button")] == ["Download the links (CSV)"]
    assert not any("link" in f.columns or "used" in f.columns or "token" in f.columns for f in _frames(ops_app))
    assert not any("token=" in c.value for c in ops_app.code)
    ops_app.button(key="tools_links_forget").click().run()
    assert not ops_app.get("download_button")
    rounds = next(f for f in _frames(ops_app) if "status" in f.columns)
    assert rounds["name"].tolist() == ["Pilot round"] and rounds["status"].tolist() == ["open"]
    assert rounds["links"].tolist() == [3] and rounds["answered"].tolist() == [0]


def test_ops_a_bad_round_is_explained_on_the_page(ops_app):
    """Opening a round with no tools shows the reason instead of failing."""
    _open(ops_app, "Survey rounds")
    ops_app.multiselect(key="tools_new_tools").set_value([])
    ops_app.button(key="tools_open_round").click().run()
    assert not ops_app.exception
    assert any("asks about no tool" in e.value for e in ops_app.error)


def test_the_region_filter_narrows_the_survey_tiles_to_that_regions_teams(tools, demo_engine):
    """With EMEA chosen in the sidebar, the tiles are EMEA's teams together (results.group_results, the
    team view's suppression rules), say so, and differ from the company's."""
    company = [m.value for m in tools.metric[:6]]
    tools.selectbox(key="region").set_value("EMEA").run()
    assert not tools.exception
    assert any(c.value.startswith("Tiles: EMEA only") for c in tools.caption)
    teams = sql.load_teams(demo_engine)
    rows = results.group_results(
        demo_engine, tools.selectbox(key="tools_round").value, list(teams.loc[teams["region"] == "EMEA", "team_id"])
    )
    expected = [fmt.pct(c) if ok else "hidden" for c, ok in zip(rows["csat"], rows["shown"])]
    assert [m.value for m in tools.metric[: len(expected)]] == expected
    assert expected != company and any(v != "hidden" for v in expected)

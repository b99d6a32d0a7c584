"""AppTest: a survey link opens the form alone; submitting it stores the answers once."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from salesops import store
from salesops.store import schema
from salesops.tools import rounds
from tests.builders import invites
from tests.conftest import ROOT, TODAY


@pytest.fixture
def survey_url(monkeypatch, tmp_path):
    """A small store of its own (2 reps, 2 tools) with an open round; the app points at it."""
    url = f"duckdb:///{tmp_path / 'survey.duckdb'}"
    engine = store.open_store(url)

    def fill(conn):
        store.bulk_insert(conn, schema.teams, pd.DataFrame([dict(team_id="T1", name="Team one", region="R")]))
        reps = [
            dict(rep_id=r, name=r, team_id="T1", role="AE", ramp_months=0, active=True, fte=1.0) for r in ("R1", "R2")
        ]
        store.bulk_insert(conn, schema.reps, pd.DataFrame(reps))
        tools = [
            dict(tool_id="crm", name="CRM", category="CRM"),
            dict(tool_id="dialer", name="Dialer", category="Dialer"),
        ]
        store.bulk_insert(conn, schema.tools, pd.DataFrame(tools))

    store.write(engine, fill, "test")
    rounds.open_round(
        engine, name="Test round", opens_on=TODAY, closes_on=TODAY + timedelta(days=7), tool_ids=["crm", "dialer"]
    )
    engine.dispose()
    monkeypatch.setenv("SALESOPS_DB_URL", url)
    monkeypatch.setenv("SALESOPS_TODAY", TODAY.isoformat())
    return url


def _state(url):
    engine = store.open_store(url)
    try:
        round_list = rounds.load_rounds(engine)
        links = invites(engine, round_list["round_id"].iloc[0])
        answers = store.table_counts(engine)["survey_responses"]
    finally:
        engine.dispose()
    return links, answers


def _open(token: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["token"] = token
    return at.run()


def _fill(at: AppTest, tool: str, sat=4, ease=5, rec=9, usage="daily", likes="", dislikes="") -> None:
    at.radio(key=f"survey_sat_{tool}").set_value(sat)
    at.radio(key=f"survey_ease_{tool}").set_value(ease)
    at.radio(key=f"survey_rec_{tool}").set_value(rec)
    at.radio(key=f"survey_usage_{tool}").set_value(usage)
    at.text_area(key=f"survey_likes_{tool}").set_value(likes)
    at.text_area(key=f"survey_dislikes_{tool}").set_value(dislikes)


def test_a_link_opens_only_the_form_without_sidebar_or_figures(survey_url):
    """?token=… shows the survey title and the questions, and none of the cockpit's filters or KPIs."""
    links, _ = _state(survey_url)
    at = _open(links["token"].iloc[0])
    assert not at.exception, at.exception
    assert at.title[0].value == "Tool survey"
    assert [s.value for s in at.subheader] == ["CRM", "Dialer"]
    assert len(at.sidebar.selectbox) == 0 and len(at.metric) == 0


def test_submitting_the_form_stores_the_answers_and_the_count_rises(survey_url):
    """Filling both tools and submitting adds two answers, marks the link used and thanks the rep."""
    links, before = _state(survey_url)
    token = links["token"].iloc[0]
    at = _open(token)
    _fill(at, "crm", likes="<b>fast</b> search", dislikes="too many fields")
    _fill(at, "dialer", sat=2, ease=2, rec=3, usage="weekly", dislikes="calls drop")
    at.button(key="survey_submit").click().run()
    assert not at.exception, at.exception
    assert "Thank you" in at.success[0].value
    links_after, after = _state(survey_url)
    assert (before, after) == (0, 2)
    assert links_after.set_index("token").loc[token, "used"]
    engine = store.open_store(survey_url)
    likes = store.read_frame(engine, schema.survey_responses.select())["likes"].tolist()
    engine.dispose()
    assert "fast search" in likes  # the tag was stripped


def test_a_missing_answer_is_pointed_out_and_nothing_is_stored(survey_url):
    """Leaving the dialer's ratings empty names what is missing; ticking 'I don't use' skips the tool."""
    links, _ = _state(survey_url)
    at = _open(links["token"].iloc[1])
    _fill(at, "crm")
    at.button(key="survey_submit").click().run()
    assert "Dialer: satisfaction, ease, recommend, usage" in at.error[0].value
    assert _state(survey_url)[1] == 0
    at.checkbox(key="survey_skip_dialer").check()
    at.button(key="survey_submit").click().run()
    assert "Thank you" in at.success[0].value
    assert _state(survey_url)[1] == 1


def test_a_used_or_unknown_link_shows_a_clear_message_instead_of_the_form(survey_url):
    """A second visit to a used link, and a made-up link, each get one sentence and no questions."""
    links, _ = _state(survey_url)
    token = links["token"].iloc[0]
    at = _open(token)
    _fill(at, "crm")
    at.checkbox(key="survey_skip_dialer").check()
    at.button(key="survey_submit").click().run()
    again = _open(token)
    assert "already used" in again.warning[0].value and len(again.radio) == 0
    bad = _open("made-up")
    assert "not valid" in bad.warning[0].value and len(bad.radio) == 0


def test_the_form_page_reads_the_token_from_the_session_when_run_on_its_own(survey_url):
    """Run directly (no router), the page takes the token from session_state['survey_token']."""
    links, _ = _state(survey_url)
    at = AppTest.from_file(str(ROOT / "pages" / "survey.py"), default_timeout=60)
    at.session_state["survey_token"] = links["token"].iloc[0]
    at.run()
    assert not at.exception, at.exception
    assert [s.value for s in at.subheader] == ["CRM", "Dialer"]


@pytest.mark.parametrize("auth", ["local", "proxy"])
def test_the_form_page_without_a_token_shows_only_its_message(survey_url, monkeypatch, auth):
    """/survey with the token removed (or forged): the form's own message, no sidebar, no figures, in any sign-in mode."""
    monkeypatch.setenv("SALESOPS_AUTH", auth)
    for token in ("", "forged-token-123"):
        at = AppTest.from_file(str(ROOT / "pages" / "survey.py"), default_timeout=60)
        if token:
            at.query_params["token"] = token
        at.run()
        assert not at.exception, at.exception
        assert [t.value for t in at.title] == ["Tool survey"]
        assert "not valid" in at.warning[0].value
        assert not at.sidebar.selectbox and not at.metric and not at.dataframe and not at.radio

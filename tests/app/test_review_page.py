"""AppTest: the Weekly review page on the hand-built organisation with two weekly snapshots."""

from __future__ import annotations

from datetime import date

import pytest
from streamlit.testing.v1 import AppTest

from salesops.review import snapshots
from tests.conftest import ROOT
from tests.unit.test_review_snapshots import org  # noqa: F401 - the fixture


@pytest.fixture
def review(org, monkeypatch):  # noqa: F811
    """The app on the Weekly review page, the store holding the snapshots of 8 and 15 Nov 2026."""
    snapshots.take_snapshots(org, [date(2026, 11, 8), date(2026, 11, 15)], today=date(2026, 11, 16))
    url = org.url.render_as_string(hide_password=False)
    org.dispose()
    monkeypatch.setenv("SALESOPS_DB_URL", url)
    monkeypatch.setenv("SALESOPS_TODAY", "2026-11-16")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("pages/review.py").run()
    assert not at.exception, at.exception
    return at


def _heading(at) -> str:
    return at.header[0].value


def test_the_review_opens_on_where_we_stand_for_the_latest_week(review):
    """Step 1 of week 2026-W46 (to Sunday 15 Nov): the forecast and its change since 8 Nov."""
    assert _heading(review) == "1 · Where we stand"
    assert review.selectbox(key="week").value == "2026-W46"
    html = " ".join(h.proto.body for h in review.get("html"))
    assert "Won this quarter" in html and "$18.0k" in html and "since last week" in html


def test_next_and_back_move_through_the_steps(review):
    """Next goes to step 2, Next again to 3, Back returns to 2; the step is the widget bound to the URL."""
    review.button(key="rv_next").click().run()
    assert _heading(review) == "2 · What changed this week"
    review.button(key="rv_next").click().run()
    assert _heading(review) == "3 · Movers"
    review.button(key="rv_back").click().run()
    assert _heading(review) == "2 · What changed this week"
    assert review.session_state["step"] == 2


def test_the_first_stored_week_says_there_is_no_comparison_yet(review):
    """Week 2026-W45 has no snapshot before it: 'First week: no comparison yet.'"""
    review.selectbox(key="week").set_value("2026-W45").run()
    assert any("First week: no comparison yet." in i.value for i in review.info)


def test_rep_names_beside_amounts_only_when_the_presenter_turns_money_on(review):
    """Step 2 lists the deals won without the rep; with 'Show individual money' the rep column appears."""
    review.button(key="rv_next").click().run()
    html = " ".join(h.proto.body for h in review.get("html"))
    assert "Rep A" not in html
    review.toggle(key="rv_money").set_value(True).run()
    html = " ".join(h.proto.body for h in review.get("html"))
    assert "Rep A" in html


def test_an_empty_store_explains_how_to_get_snapshots(monkeypatch, tmp_path):
    """No snapshot: the page says which command takes one."""
    monkeypatch.setenv("SALESOPS_DB_URL", f"duckdb:///{tmp_path / 'empty.duckdb'}")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("pages/review.py").run()
    assert not at.exception
    assert any("python -m salesops snapshot" in i.value for i in at.info)


@pytest.mark.parametrize(
    ("email", "role", "rep_id"), [("a@example.com", "rep", "A"), ("screen@example.com", "viewer", None)]
)
def test_a_rep_and_the_screen_share_account_open_the_review_without_individual_money(
    org,  # noqa: F811
    monkeypatch,
    email,
    role,
    rep_id,
):
    """Signed in through the proxy, a rep and the screen-share account reach the review; its money switch is off and locked."""
    from pages.ui import shell
    from salesops import access

    snapshots.take_snapshots(org, [date(2026, 11, 8), date(2026, 11, 15)], today=date(2026, 11, 16))
    access.add_user(org, email, role, rep_id=rep_id)
    url = org.url.render_as_string(hide_password=False)
    org.dispose()
    monkeypatch.setenv("SALESOPS_DB_URL", url)
    monkeypatch.setenv("SALESOPS_TODAY", "2026-11-16")
    monkeypatch.setenv("SALESOPS_AUTH", "proxy")
    monkeypatch.setattr(shell, "_request_email", lambda: email)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("pages/review.py").run()
    assert not at.exception, at.exception
    assert _heading(at) == "1 · Where we stand"
    money = at.toggle(key="rv_money")
    assert money.value is False and money.disabled

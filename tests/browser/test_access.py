"""Browser: sign-in through a proxy header — each role sees what it may, on the pages and in downloads."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from tests.conftest import wait_for_app

pytestmark = pytest.mark.browser


@pytest.fixture
def as_user(browser):
    """A page whose every request carries ``X-Forwarded-Email: <email>`` (as oauth2-proxy would send)."""
    contexts = []

    def open_as(email: str | None):
        headers = {"X-Forwarded-Email": email} if email else {}
        context = browser.new_context(
            viewport={"width": 1600, "height": 1000}, extra_http_headers=headers, accept_downloads=True
        )
        contexts.append(context)
        return context.new_page()

    yield open_as
    for context in contexts:
        context.close()


def _download(page, label: str) -> pd.DataFrame:
    with page.expect_download() as info:
        page.get_by_role("button", name=label).click()
    return pd.read_csv(io.BytesIO(open(info.value.path(), "rb").read()))


@pytest.mark.parametrize("email", [None, "stranger@example.com", "not-an-email"])
def test_no_or_unknown_email_sees_nothing(proxy_server, as_user, email):
    """Without a header, or with an e-mail that is not a user: the not-signed-in page only, on every address."""
    page = as_user(email)
    for path in ("/", "/compensation", "/data"):
        page.goto(f"{proxy_server}{path}")
        wait_for_app(page, "Not signed in")
        body = page.inner_text("body")
        assert "admin@example.com" in body
        assert "Sales cockpit" not in body and "$" not in body and "Compensation" not in body


def test_a_rep_sees_exactly_their_own_pay(proxy_server, as_user):
    """rep@example.com: the payouts table and its CSV hold one rep (R0001), and no Data page."""
    page = as_user("rep@example.com")
    page.goto(f"{proxy_server}/compensation?team=T05")
    wait_for_app(page, "Total variable pay:")
    assert "Signed in as rep@example.com" in page.inner_text("section[data-testid=stSidebar]")
    payouts = _download(page, "Download payouts (CSV, cents)")
    assert payouts["rep_id"].tolist() == ["R0001"]
    page.goto(f"{proxy_server}/data")
    wait_for_app(page, "Not available")
    assert "Import log" not in page.inner_text("body")


def test_a_manager_sees_only_their_teams_reps(proxy_server, as_user):
    """manager@example.com (team T01): payouts and the leaderboard CSV hold T01's reps only."""
    page = as_user("manager@example.com")
    page.goto(f"{proxy_server}/compensation")
    wait_for_app(page, "Total variable pay:")
    payouts = _download(page, "Download payouts (CSV, cents)")
    assert len(payouts) > 3 and set(payouts["team_id"]) == {"T01"}
    page.goto(f"{proxy_server}/leaderboards")
    wait_for_app(page, "Download rep board (CSV)")
    board = _download(page, "Download rep board (CSV)")
    assert len(board) and set(board["team_id"]) == {"T01"}


def test_the_viewer_account_sees_no_money(proxy_server, as_user):
    """viewer@example.com: no pay on Compensation, no money columns filled on the leaderboard's CSV."""
    page = as_user("viewer@example.com")
    page.goto(f"{proxy_server}/compensation")
    wait_for_app(page, "does not see anyone's pay")
    assert "Total variable pay" not in page.inner_text("body")
    page.goto(f"{proxy_server}/leaderboards")
    wait_for_app(page, "Download rep board (CSV)")
    board = _download(page, "Download rep board (CSV)")
    assert len(board) > 50 and board["won_cents"].isna().all() and board["name"].notna().all()

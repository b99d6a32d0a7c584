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


PAGES = ("/", "/performance", "/leaderboards", "/forecasts", "/compensation", "/tools", "/customers", "/review")
T01 = "T01"  # manager@example.com's team and rep@example.com's (R0001)


@pytest.fixture(scope="module")
def roster(proxy_server, browser) -> pd.DataFrame:
    """Every rep (rep_id, name, team_id) and team name, as the admin's leaderboard CSVs list them."""
    context = browser.new_context(extra_http_headers={"X-Forwarded-Email": "admin@example.com"}, accept_downloads=True)
    page = context.new_page()
    page.goto(f"{proxy_server}/leaderboards")
    wait_for_app(page, "Download rep board (CSV)")
    reps = _download(page, "Download rep board (CSV)")[["rep_id", "name", "team_id", "team_name"]]
    context.close()
    assert len(reps) > 50 and reps["team_id"].nunique() > 5
    return reps


def _csv_downloads(page) -> list[tuple[str, pd.DataFrame]]:
    """Every visible CSV download button of the page, clicked: (file name, its rows)."""
    out = []
    buttons = page.locator('[data-testid="stDownloadButton"] button:visible')
    for i in range(buttons.count()):
        with page.expect_download() as info:
            buttons.nth(i).click()
        name = info.value.suggested_filename
        if name.endswith(".csv"):
            out.append((name, pd.read_csv(info.value.path())))
        wait_for_app(page)  # a download click reruns the page: let it finish before the next click
    return out


def _check_download(role: str, name: str, frame: pd.DataFrame, roster: pd.DataFrame) -> None:
    """The rows of one download are the role's: a rep's own, a manager's team's, no individual money for the viewer."""
    money = [c for c in frame.columns if c.endswith("_cents")]
    per_rep = [c for c in ("rep_id", "rep") if c in frame.columns]
    if role == "viewer":
        for col in per_rep:  # a row naming a rep carries no money
            named = frame[col].notna()
            assert frame.loc[named, money].isna().all().all(), (name, col)
        return
    own = roster[roster["rep_id"] == "R0001"] if role == "rep" else roster[roster["team_id"] == T01]
    if "rep_id" in frame.columns:
        assert set(frame["rep_id"].dropna()) <= set(own["rep_id"]), name
    if "rep" in frame.columns:
        assert set(frame["rep"].dropna()) <= set(own["name"]), name
    if name.startswith(("leaderboard_reps", "payouts", "reps_")):  # here "name" is the rep's
        assert set(frame["name"].dropna()) <= set(own["name"]), name
    if "team_id" in frame.columns:
        if name == "leaderboard_teams.csv":  # every team's rank; money on the own team's row only
            assert frame.loc[frame["team_id"] != T01, money].isna().all().all(), name
        else:
            assert set(frame["team_id"].dropna()) <= {T01, "company"}, name


@pytest.mark.slow  # ~2 min per role: every page and every download
@pytest.mark.parametrize("role", ["rep", "manager", "viewer"])
def test_each_role_walks_every_page_and_download(proxy_server, as_user, roster, role):
    """Signed in as rep, manager or viewer: every page draws without error and shows, on screen and in
    every CSV, only what the role may (no other team's reps or money, no individual money for the viewer)."""
    email = f"{role}@example.com"
    page = as_user(email)
    own_team = roster[roster["team_id"] == T01]
    others = roster if role == "rep" else roster[roster["team_id"] != T01]
    hidden_reps = set(others["name"]) - set(roster.loc[roster["rep_id"] == "R0001", "name"])  # R0001 is the rep
    other_teams = set(roster.loc[roster["team_id"] != T01, "team_name"])
    seen = []
    for path in PAGES:
        page.goto(f"{proxy_server}{path}")
        wait_for_app(page, f"Signed in as {email}")
        if path == "/compensation" and role != "viewer":  # the payouts are drawn last
            wait_for_app(page, "Download payouts (CSV, cents)")
        errors = page.locator('[data-testid="stException"]').all_inner_texts()
        assert not errors, (path, errors)  # the traceback is in the server's log (showErrorDetails = none)
        body = page.inner_text("body")
        assert "Not signed in" not in body and "Not available" not in body, path
        if role != "viewer":
            assert not [n for n in hidden_reps if n in body], path
            if path != "/tools":  # survey results by team are company-wide and anonymous (docs/ACCESS.md)
                assert not [t for t in other_teams if t in body], path
        for name, frame in _csv_downloads(page):
            _check_download(role, name, frame, roster)
            seen.append(name)
        if path == "/forecasts" and role != "viewer":
            assert "Your role does not see the region outlooks inside this view" in body
        if path == "/compensation":
            assert ("does not see anyone's pay" in body) == (role == "viewer")
    assert {"leaderboard_reps.csv", "changes_2026-11-23.csv"} <= set(seen)
    if role != "viewer":
        assert "payouts.csv" in seen
    assert len(own_team) > 3
    page.goto(f"{proxy_server}/data")
    wait_for_app(page, "Not available")

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
    page.goto(f"{proxy_server}/compensation?team=T05&comp_tab=Per+rep")
    wait_for_app(page, "Download payouts (CSV, cents)")
    assert "Signed in as rep@example.com" in page.inner_text("section[data-testid=stSidebar]")
    payouts = _download(page, "Download payouts (CSV, cents)")
    assert payouts["rep_id"].tolist() == ["R0001"]
    page.goto(f"{proxy_server}/data")
    wait_for_app(page, "Not available")
    assert "Import log" not in page.inner_text("body")


def test_a_manager_sees_only_their_teams_reps(proxy_server, as_user):
    """manager@example.com (team T01): payouts and the leaderboard CSV hold T01's reps only."""
    page = as_user("manager@example.com")
    page.goto(f"{proxy_server}/compensation?comp_tab=Per+rep")
    wait_for_app(page, "Download payouts (CSV, cents)")
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


def _downloads(page) -> list[tuple[str, bytes]]:
    """Every visible download button of the page, clicked: (file name, its bytes)."""
    out = []
    buttons = page.locator('[data-testid="stDownloadButton"] button:visible')
    for i in range(buttons.count()):
        with page.expect_download() as info:
            buttons.nth(i).click()
        out.append((info.value.suggested_filename, open(info.value.path(), "rb").read()))
        wait_for_app(page)  # a download click reruns the page: let it finish before the next click
    return out


# the tabs after the first that each page opens for the walk (the first is open on arrival)
TABS = {
    "/leaderboards": ("Why behind", "Side by side"),
    "/compensation": ("Per rep", "What-if", "Compare", "Plan document"),
    "/tools": ("Tools and performance", "Lead fairness"),
}


def _open_tab(page, name: str) -> None:
    """Click a tab (bound to the URL, so the click reruns the page) and wait for that run to finish."""
    page.get_by_role("tab", name=name, exact=True).click()
    page.wait_for_timeout(300)
    wait_for_app(page)


def _open_expanders(page) -> None:
    """Open every closed expander of the main area, so the downloads inside are visible too."""
    closed = page.locator('[data-testid="stMain"] [data-testid="stExpander"] details:not([open]) > summary:visible')
    for _ in range(20):
        if not closed.count():
            return
        closed.first.click()
        page.wait_for_timeout(200)


def _what_if_reps(page) -> list[str]:
    """The what-if's rep choices ("Name (Team)"), as its open dropdown lists them."""
    page.locator('[data-testid="stSelectbox"]').filter(has_text="Rep").first.click()
    options = page.get_by_role("option")
    options.first.wait_for()
    labels = options.all_inner_texts()
    page.keyboard.press("Escape")
    wait_for_app(page)
    return labels


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


def _check_document(name: str, text: str, hidden_reps: set[str]) -> None:
    """A plan document (Markdown, HTML, JSON) names no rep the role may not see (so no other rep's pay)."""
    assert text.strip(), name
    assert not [n for n in hidden_reps if n in text], name


@pytest.mark.slow  # ~3 min per role: every page, every tab with content, every download
@pytest.mark.parametrize("role", ["rep", "manager", "viewer"])
def test_each_role_walks_every_page_and_download(proxy_server, as_user, roster, role):
    """Signed in as rep, manager or viewer: every page and tab draws without error and shows, on screen and
    in every download (CSVs and plan documents), only what the role may (no other team's reps or money, no
    individual money for the viewer)."""
    email = f"{role}@example.com"
    page = as_user(email)
    own_team = roster[roster["team_id"] == T01]
    own_rep = roster[roster["rep_id"] == "R0001"]
    others = roster if role == "rep" else roster[roster["team_id"] != T01]
    hidden_reps = set(others["name"]) - set(own_rep["name"])  # R0001 is the rep
    other_teams = set(roster.loc[roster["team_id"] != T01, "team_name"])
    seen, tabs_seen = [], []
    for path in PAGES:
        page.goto(f"{proxy_server}{path}")
        wait_for_app(page, f"Signed in as {email}")
        if path == "/compensation" and role != "viewer":  # the cost line is drawn after the tiles
            wait_for_app(page, "Total variable pay:")
        if path == "/performance":  # the week's changes are drawn last (once missed under load)
            wait_for_app(page, "Download changes")
        tabs = () if (path == "/compensation" and role == "viewer") else TABS.get(path, ())
        for tab in (None, *tabs):
            where = (path, tab)
            if tab:
                _open_tab(page, tab)
                tabs_seen.append(tab)
            _open_expanders(page)
            errors = page.locator('[data-testid="stException"]').all_inner_texts()
            assert not errors, (where, errors)  # the traceback is in the server's log (showErrorDetails = none)
            body = page.inner_text("body")
            assert "Not signed in" not in body and "Not available" not in body, where
            if role != "viewer":
                assert not [n for n in hidden_reps if n in body], where
                if (path, tab) != ("/tools", None):  # survey results by team: company-wide, anonymous (ACCESS.md)
                    assert not [t for t in other_teams if t in body], where
            for name, data in _downloads(page):
                if name.endswith(".csv"):
                    _check_download(role, name, pd.read_csv(io.BytesIO(data)), roster)
                else:
                    _check_document(name, data.decode("utf-8"), hidden_reps)
                seen.append(name)
            if tab == "What-if":  # the rep picker lists the role's reps only
                allowed = own_rep if role == "rep" else own_team
                labels = _what_if_reps(page)
                assert labels and {label.rsplit(" (", 1)[0] for label in labels} <= set(allowed["name"]), labels
        if path == "/forecasts" and role != "viewer":
            assert "Your role does not see the region outlooks inside this view" in body
        if path == "/compensation":
            assert ("does not see anyone's pay" in body) == (role == "viewer")
    assert {"leaderboard_reps.csv", "changes_2026-11-23.csv", "lead-fairness.csv"} <= set(seen)
    if role != "viewer":
        assert "payouts.csv" in seen
        assert {"Per rep", "What-if", "Compare", "Plan document"} <= set(tabs_seen)
        assert {n.rsplit(".", 1)[1] for n in seen if not n.endswith(".csv")} == {"md", "html", "json"}
    assert len(own_team) > 3
    page.goto(f"{proxy_server}/data")
    wait_for_app(page, "Not available")

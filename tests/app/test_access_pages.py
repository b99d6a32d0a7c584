"""AppTest: sign-in in the shell — local mode, proxy mode per role, not signed in, staff-only pages."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from pages.ui import shell
from tests.conftest import ROOT, open_each_tab


def _run(monkeypatch, email: str | None, script: str = "app.py") -> AppTest:
    """The app in proxy mode with ``email`` as the proxy's header, run once on ``script``."""
    monkeypatch.setenv("SALESOPS_AUTH", "proxy")
    monkeypatch.setattr(shell, "_request_email", lambda: email)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    if script != "app.py":
        at.switch_page(script).run()
    assert not at.exception, at.exception
    return at


def _texts(at: AppTest) -> str:
    return "\n".join(t.value for t in at.text)


def test_local_mode_says_so_in_the_sidebar(app):
    """Local mode: the viewer is the admin and the sidebar says "local mode"."""
    assert any("local mode" in c.value for c in app.sidebar.caption)
    assert app.title[0].value == "Sales cockpit"


def test_local_mode_on_an_open_address_shows_only_the_refusal(app_env, monkeypatch):
    """Local mode on 0.0.0.0 refuses with a message and shows nothing else; SALESOPS_ALLOW_OPEN=1 allows it."""
    monkeypatch.setattr(shell, "_bind_address", lambda: "0.0.0.0")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert [t.value for t in at.title] == ["salesops cannot start"]
    assert "local mode" in _texts(at) and "SALESOPS_ALLOW_OPEN=1" in _texts(at)
    assert not at.metric and not at.sidebar.selectbox
    monkeypatch.setenv("SALESOPS_ALLOW_OPEN", "1")
    assert AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run().title[0].value == "Sales cockpit"


@pytest.mark.parametrize("email", [None, "stranger@example.com", "not an e-mail"])
def test_no_or_unknown_email_sees_only_the_not_signed_in_page(app_env, monkeypatch, email):
    """Without a header, with an unknown or a malformed e-mail: the not-signed-in page and who to ask, nothing else."""
    at = _run(monkeypatch, email)
    assert [t.value for t in at.title] == ["Not signed in"]
    assert "Who to ask: admin@example.com" in _texts(at)
    assert not at.metric and not at.sidebar.selectbox and not at.dataframe


def test_a_signed_in_rep_sees_their_name_and_no_data_page(app_env, monkeypatch):
    """A rep signed in through the proxy: the sidebar names them, there is no Data link, the Data page refuses."""
    at = _run(monkeypatch, "Rep@Example.com")
    assert "Signed in as rep@example.com · rep" in "\n".join(t.value for t in at.sidebar.text)
    links = [link.proto.label for link in at.sidebar.get("page_link")]
    assert "Compensation" in links and "Data" not in links
    at.switch_page("pages/data.py").run()
    assert [t.value for t in at.title] == ["Not available"]
    assert not at.selectbox


def test_ops_reaches_the_data_page(app_env, monkeypatch):
    """An ops user signed in through the proxy sees the Data link and the importer."""
    at = _run(monkeypatch, "ops@example.com", "pages/data.py")
    assert "Data" in [link.proto.label for link in at.sidebar.get("page_link")]
    assert at.title[0].value == "Data"
    assert at.selectbox(key="data_table").value == "deals"


PAGES = (
    "app.py",
    "pages/performance.py",
    "pages/leaderboards.py",
    "pages/forecasts.py",
    "pages/compensation.py",
    "pages/tools.py",
    "pages/customers.py",
    "pages/review.py",
    "pages/data.py",
)


@pytest.mark.parametrize("email", ["rep@example.com", "manager@example.com", "viewer@example.com"])
def test_every_page_runs_for_each_role(app_env, monkeypatch, email):
    """Each restricted role walks every page without an error; only Data refuses them (the review is restricted in its queries)."""
    at = _run(monkeypatch, email)
    for script in PAGES:
        at.switch_page(script).run()
        assert not at.exception, (script, at.exception)
        refused = script == "pages/data.py"
        assert (at.title[0].value == "Not available") == refused, script
        if script == "pages/tools.py":  # its tabs run only when open: each one, in turn
            opened = []
            for tab in open_each_tab(at, "tools_tab"):
                assert not at.exception, (script, tab, at.exception)
                opened.append(tab)
            assert opened == ["Tools and performance", "Lead fairness"]  # no Survey rounds for these roles


def test_a_rep_opens_the_leaderboards_side_by_side_and_why_behind(app_env, monkeypatch):
    """A rep (others shown as ranks) opens Side by side: a message, not an error; Why behind offers only themselves."""
    at = _run(monkeypatch, "rep@example.com", "pages/leaderboards.py")
    at.query_params["lb_tab"] = "Side by side"
    at.run()
    assert not at.exception, at.exception
    assert any("Side by side needs two reps" in i.value for i in at.info)
    at.query_params["lb_tab"] = "Why behind"
    at.run()
    assert not at.exception, at.exception
    assert len(at.selectbox(key="lb_why_rep").options) == 1


def test_a_manager_sees_their_teams_and_the_company_totals_on_home(app_env, monkeypatch):
    """Home for a manager: their teams' tiles, and one caption with the company's totals; a rep gets no such caption."""
    at = _run(monkeypatch, "manager@example.com")
    assert any(c.value.startswith("Company: won $") for c in at.caption)
    assert at.sidebar.selectbox(key="team").options == ["All teams", "Boston Enterprise"]
    rep = _run(monkeypatch, "rep@example.com")
    assert not any(c.value.startswith("Company:") for c in rep.caption)


def _run_oidc(monkeypatch, user: dict) -> AppTest:
    """The app in oidc mode with ``user`` as what Streamlit's login put in ``st.user`` (AppTest.user)."""
    monkeypatch.setenv("SALESOPS_AUTH", "oidc")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.user = user
    at.run()
    assert not at.exception, at.exception
    return at


def test_oidc_maps_the_login_email_to_its_user(app_env, monkeypatch):
    """oidc mode: a login whose st.user e-mail is the viewer account signs in as that Viewer (no pay on Compensation)."""
    at = _run_oidc(monkeypatch, {"is_logged_in": True, "email": "Viewer@Example.com", "name": "Wall screen"})
    assert at.title[0].value == "Sales cockpit"
    assert "Signed in as viewer@example.com · viewer" in "\n".join(t.value for t in at.sidebar.text)
    at.switch_page("pages/compensation.py").run()
    assert not at.exception, at.exception
    assert [i.value for i in at.info] == ["This account (role viewer, for screen-sharing) does not see anyone's pay."]


@pytest.mark.parametrize(
    ("user", "title"),
    [
        ({"is_logged_in": True, "email": "stranger@example.com"}, "Not signed in"),
        ({"is_logged_in": True}, "Not signed in"),  # a provider that sends no e-mail claim
        ({"is_logged_in": False}, "Sign in"),
    ],
)
def test_oidc_unknown_or_missing_login_sees_nothing(app_env, monkeypatch, user, title):
    """oidc mode: an unknown e-mail or a login without one sees "Not signed in"; no login sees only the sign-in button."""
    at = _run_oidc(monkeypatch, user)
    assert [t.value for t in at.title] == [title]
    assert not at.metric and not at.sidebar.selectbox and not at.dataframe
    if title == "Sign in":
        assert [b.label for b in at.button] == ["Sign in with your company account"]
    else:
        assert "Who to ask: admin@example.com" in _texts(at)

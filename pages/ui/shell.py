"""The frame around every page: page config, navigation, the shared filters (bound to the URL).

salesops uses Streamlit's own ``pages/`` multipage mode (README, "Why pages/ and not
st.navigation"): ``app.py`` is Home, each file in ``pages/`` is a page, and every page starts with
:func:`page`, which draws the same sidebar. A copied link to any page therefore opens that page with
the sidebar and its filters, even as the first request to a fresh server.
"""

from __future__ import annotations

from datetime import date
from typing import NoReturn

import streamlit as st

from pages.ui import loaders, widgets
from salesops import access, config
from salesops.access import Viewer
from salesops.errors import AccessError, BadSetting, InvalidSetting, NotSignedIn
from salesops.scope import GRAINS, Scope, period_end, period_label, period_start, shift

#: (script, label, icon) of the navigation, in order. URLs come from the file names: /performance …
NAV = (
    ("app.py", "Home", ":material/home:"),
    ("pages/performance.py", "Team performance", ":material/speed:"),
    ("pages/leaderboards.py", "Leaderboards", ":material/leaderboard:"),
    ("pages/forecasts.py", "Forecasts", ":material/timeline:"),
    ("pages/compensation.py", "Compensation", ":material/payments:"),
    ("pages/tools.py", "Sales tools", ":material/build:"),
    ("pages/customers.py", "Customers", ":material/handshake:"),
    ("pages/review.py", "Weekly review", ":material/co_present:"),
    ("pages/data.py", "Data", ":material/upload_file:"),
)
#: The query parameters of the shared view, carried along by the navigation links.
SHARED_PARAMS = ("grain", "period", "range", "region", "team", "present")

# Static CSS of our own (no user text): Streamlit sizes in rem, so a larger root scales it all.
PRESENTATION_CSS = """
<style>
html { font-size: 21px; }
[data-testid="stMetricValue"] { font-size: 3rem; }
header[data-testid="stHeader"] { display: none; }
</style>
"""


def _presenting() -> bool:
    """Presentation mode as the URL or the session says, before the toggle is drawn."""
    raw = st.query_params.get("present")
    if raw is not None:
        return str(raw).lower() == "true"
    return bool(st.session_state.get("present", False))


def configure(title: str) -> None:
    """``st.set_page_config`` for a page (the first Streamlit call of every page); the sidebar
    starts collapsed in presentation mode, so the shared screen shows the page alone."""
    st.set_page_config(
        page_title=f"{title} · salesops",
        page_icon=":material/monitoring:",
        layout="wide",
        initial_sidebar_state="collapsed" if _presenting() else "auto",
    )


def period_options(today: date, grain: str) -> dict[str, tuple[date, date]]:
    """Label -> (start, end) for the current and previous periods of ``grain`` (current to date)."""
    count = {"week": 26, "month": 24, "quarter": 12, "year": 4}[grain]
    start = period_start(today, grain)
    out = {}
    for i in range(count):
        s = shift(start, grain, -i)
        label = period_label(s, grain) + (" (to date)" if i == 0 else "")
        out[label] = (s, min(period_end(s, grain), today))
    return out


#: Pages only admin and ops reach (the viewer check in :func:`page` enforces it; the link is hidden).
STAFF_PAGES = ("pages/data.py",)


def _navigation(viewer: Viewer) -> None:
    params = {k: v for k, v in st.query_params.to_dict().items() if k in SHARED_PARAMS}
    for script, label, icon in NAV:
        if script in STAFF_PAGES and not viewer.is_staff:
            continue
        st.page_link(script, label=label, icon=icon, query_params=params)


def _filters(today: date, viewer: Viewer) -> Scope:
    teams = loaders.load_teams()
    if viewer.role in ("manager", "rep"):  # their teams only (the queries restrict rows anyway)
        teams = teams[teams["team_id"].isin(viewer.team_ids)]
    st.markdown("### :material/filter_alt: View")
    grain = st.selectbox(
        "Period grain",
        GRAINS,
        index=2,
        key="grain",
        bind="query-params",
        format_func=str.capitalize,
    )
    options = period_options(today, grain)
    labels = [*options.keys(), "Custom range"]
    period = st.selectbox("Period", labels, index=0, key="period", bind="query-params")
    if period == "Custom range":
        rng = st.date_input(
            "Date range",
            value=(period_start(today, grain), today),
            key="range",
            bind="query-params",
            persist_state="session",
            format="YYYY-MM-DD",
        )
        if isinstance(rng, tuple) and len(rng) == 2:
            start, end = rng[0], rng[1]
        elif rng:
            start = end = rng[0] if isinstance(rng, tuple) else rng
        else:
            start = end = today
    else:
        start, end = options[period]
    regions = ["All regions", *sorted(teams["region"].unique().tolist())] if len(teams) else ["All regions"]
    region = st.selectbox("Region", regions, key="region", bind="query-params")
    in_region = teams if region == "All regions" else teams[teams["region"] == region]
    names = dict(zip(in_region["team_id"], in_region["name"]))
    if st.session_state.get("team", "all") not in ("all", *names):
        # a team of another region (a changed Region, an old link): back to all teams, and out of the URL
        st.session_state["team"] = "all"
    team = st.selectbox(
        "Team",
        ["all", *names.keys()],
        key="team",
        bind="query-params",
        format_func=lambda t: "All teams" if t == "all" else names.get(t, t),
    )
    st.toggle(
        "Presentation mode",
        key="present",
        bind="query-params",
        help="Large type, fewer controls, individual pay hidden — for screen-share.",
    )
    return Scope(
        start=start,
        end=end,
        grain=grain,
        region=None if region == "All regions" else region,
        team_id=None if team == "all" else team,
        viewer=viewer,
    )


def _keep_shared_view() -> None:
    """Carry the shared filters across a page switch (each page draws its own copy of the widgets).

    Streamlit's documented idiom: re-assigning a widget's key in Session State before the widget is
    drawn keeps its value when the new page mounts the widget again.
    """
    for key in SHARED_PARAMS:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def _request_email() -> str | None:
    """The signed-in e-mail of this request: the proxy's header, or Streamlit's own login (oidc)."""
    if config.auth_mode() == "proxy":
        return st.context.headers.get(config.auth_header())
    if not st.user.is_logged_in:
        st.title("Sign in")
        st.button("Sign in with your company account", on_click=st.login, key="login")
        st.stop()
    email = st.user.get("email")
    return str(email) if email else None


def _bind_address() -> str | None:
    """The address the server listens on (``server.address``; unset means every interface)."""
    return st.get_option("server.address")


def _refuse(title: str, message: str, hint: str, ask: list[str] | None = None) -> NoReturn:
    """A page that says why the visitor sees nothing, and nothing else (no sidebar, no figures)."""
    st.title(title)
    st.text(message)
    if hint:
        st.text(hint)
    if ask:
        st.text("Who to ask: " + ", ".join(ask))
    st.stop()


def resolve_viewer() -> Viewer:
    """Who is looking, resolved once per run (SALESOPS_AUTH); stops the page when no one may look."""
    try:
        mode = config.auth_mode()
        if mode == "local":
            access.check_bind(mode, _bind_address(), config.allow_open())
            viewer = access.LOCAL
        else:
            viewer = access.find_viewer(loaders.engine(), _request_email())
    except NotSignedIn as exc:
        _refuse(
            "Not signed in", exc.message, exc.hint, access.admin_emails(loaders.engine()) or ["your sales-ops team"]
        )
    except (AccessError, InvalidSetting) as exc:
        _refuse("salesops cannot start", exc.message, exc.hint)
    st.session_state[loaders.VIEWER_KEY] = viewer
    return viewer


def current_viewer() -> Viewer:
    """The viewer :func:`page` resolved for this run."""
    return loaders.current_viewer()


def _who(viewer: Viewer) -> None:
    if config.auth_mode() == "local":
        st.caption("local mode · you are the admin (docs/ACCESS.md)")
    else:
        st.text(f"Signed in as {viewer.email} · {viewer.role}")


def page(title: str, staff_only: bool = False) -> Scope:
    """Start a page: config, viewer, data version, navigation and shared filters; returns the scope.

    ``staff_only`` pages (Data) show only a refusal to anyone but admin and ops.
    """
    configure(title)
    try:
        config.check_settings()
    except BadSetting as exc:
        st.error(f"{exc.message}\n\n{exc.hint}", icon=":material/settings:")
        st.stop()
    _keep_shared_view()
    loaders.engine()  # a broken store stops here with one clear message
    viewer = resolve_viewer()
    if staff_only and not viewer.is_staff:
        _refuse("Not available", f"The {title} page is for admin and ops users.", "Ask an admin if you need it.")
    loaders.refresh_data_version()
    with st.sidebar:
        _who(viewer)
        _navigation(viewer)
        scope = _filters(widgets.today(), viewer)
    if widgets.presentation():
        st.html(PRESENTATION_CSS)
    return scope

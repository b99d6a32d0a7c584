"""salesops: the entry point. Page config, the shared sidebar (bound to the URL), the router."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
if str(ROOT) not in sys.path:  # so pages can `import pages.common` however the app is started
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from pages import common  # noqa: E402
from salesops import queries  # noqa: E402
from salesops.scope import GRAINS, Scope, period_end, period_label, period_start, shift  # noqa: E402

st.set_page_config(page_title="salesops", page_icon=":material/monitoring:", layout="wide")

PAGES = {
    "home": st.Page("pages/home.py", title="Home", icon=":material/home:", default=True, url_path="home"),
    "performance": st.Page(
        "pages/performance.py", title="Team performance", icon=":material/speed:", url_path="performance"
    ),
    "leaderboards": st.Page(
        "pages/leaderboards.py", title="Leaderboards", icon=":material/leaderboard:", url_path="leaderboards"
    ),
    "forecasts": st.Page("pages/forecasts.py", title="Forecasts", icon=":material/timeline:", url_path="forecasts"),
    "compensation": st.Page(
        "pages/compensation.py", title="Compensation", icon=":material/payments:", url_path="compensation"
    ),
    "tools": st.Page("pages/tools.py", title="Sales tools", icon=":material/build:", url_path="tools"),
    "data": st.Page("pages/data.py", title="Data", icon=":material/upload_file:", url_path="data"),
}
SURVEY_PAGE = st.Page("pages/survey.py", title="Tool survey", icon=":material/rate_review:", url_path="survey")

# Static CSS of our own (no user text): Streamlit sizes in rem, so a larger root scales it all.
PRESENTATION_CSS = """
<style>
html { font-size: 21px; }
[data-testid="stMetricValue"] { font-size: 3rem; }
header[data-testid="stHeader"] { display: none; }
</style>
"""

# A survey link shows the form and nothing else: no sidebar, no navigation, no figures.
if "token" in st.query_params:
    st.navigation([SURVEY_PAGE], position="hidden").run()
    st.stop()

engine = common.engine()
today = common.today()
teams = common.load(queries.load_teams)


def period_options(grain: str) -> dict[str, tuple]:
    """Label -> (start, end) for the current and previous periods of ``grain`` (current to date)."""
    count = {"week": 26, "month": 24, "quarter": 12, "year": 4}[grain]
    start = period_start(today, grain)
    out = {}
    for i in range(count):
        s = shift(start, grain, -i)
        label = period_label(s, grain) + (" (to date)" if i == 0 else "")
        out[label] = (s, min(period_end(s, grain), today))
    return out


with st.sidebar:
    st.markdown("### :material/filter_alt: View")
    grain = st.selectbox("Period grain", GRAINS, index=2, key="grain", bind="query-params", format_func=str.capitalize)
    options = period_options(grain)
    labels = [*options.keys(), "Custom range"]
    period = st.selectbox("Period", labels, index=0, key="period", bind="query-params")
    if period == "Custom range":
        rng = st.date_input(
            "Date range",
            value=(period_start(today, grain), today),
            key="range",
            bind="query-params",
            format="YYYY-MM-DD",
        )
        start, end = (
            (rng[0], rng[1])
            if isinstance(rng, tuple) and len(rng) == 2
            else (rng[0], rng[0])
            if rng
            else (today, today)
        )
    else:
        start, end = options[period]
    regions = ["All regions", *sorted(teams["region"].unique().tolist())] if len(teams) else ["All regions"]
    region = st.selectbox("Region", regions, key="region", bind="query-params")
    in_region = teams if region == "All regions" else teams[teams["region"] == region]
    names = dict(zip(in_region["team_id"], in_region["name"]))
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

st.session_state["_scope"] = Scope(
    start=start,
    end=end,
    grain=grain,
    region=None if region == "All regions" else region,
    team_id=None if team == "all" else team,
)
if common.presentation():
    st.html(PRESENTATION_CSS)

st.navigation(list(PAGES.values())).run()

"""Weekly review: the team review as an agenda of full-screen steps, with what changed since last week."""

from __future__ import annotations

import streamlit as st

from pages.ui import loaders, shell, widgets
from salesops.review import charts as review_charts
from salesops.review import render
from salesops.review.agenda import STEPS, week_label

#: The page's own layout CSS (constant, no user text): a step fills the screen without scrolling.
STEP_CSS = """
<style>
[data-testid="stMainBlockContainer"] { padding-top: 1.2rem !important; padding-bottom: 0 !important; }
.st-key-rv_nav { align-items: center; }
</style>
"""

# Every role: the agenda loader receives this run's viewer, and salesops.review.agenda.restrict
# keeps a manager or a rep to their own team, a rep without movers, and the screen-share viewer
# without individual money.
scope = shell.page("Weekly review")
viewer = shell.current_viewer()
present = widgets.presentation()
st.html(render.CSS + STEP_CSS)
dates = loaders.review_dates()
if not dates:
    st.title("Weekly review")
    st.info(
        "No weekly snapshot yet. `python -m salesops snapshot` stores this week's figures (run it every Monday); "
        "`python -m salesops demo` builds the demo with a year of them. See docs/REVIEW.md.",
        icon=":material/inbox:",
    )
    st.stop()

if not present:
    st.title("Weekly review")
labels = {week_label(d): d for d in reversed(dates)}
with st.sidebar:
    st.markdown("### :material/co_present: Review")
    st.caption("The review is by week and uses the Team filter above; period and region do not apply.")
    week = st.selectbox("Week", list(labels), key="week", bind="query-params", help="Weeks with a stored snapshot.")
    top_n = st.number_input("Movers shown", 1, 25, 10, key="top", bind="query-params")
    # Not bound to the URL: a shared link never opens with individual money on.
    show_money = st.toggle(
        "Show individual money",
        key="rv_money",
        disabled=not viewer.sees_individual_money or viewer.role == "rep",
        help="Off by default: a rep's name is never shown beside an amount unless the presenter turns this on.",
    )
teams = loaders.load_teams()
team_name = dict(zip(teams["team_id"], teams["name"])).get(scope.team_id) if scope.team_id else None
agenda = loaders.review_agenda(labels[week], scope.team_id, int(top_n), bool(show_money), team_name)


def _go(delta: int) -> None:
    st.session_state["step"] = min(len(STEPS), max(1, int(st.session_state.get("step", 1)) + delta))


nav = st.columns([1, 4, 1], vertical_alignment="center")
nav[0].button("Back", key="rv_back", icon=":material/arrow_back:", shortcut="Left", on_click=_go, args=(-1,))
with nav[1]:
    step = st.pagination(len(STEPS), key="step", bind="query-params", max_visible_pages=None)
nav[2].button("Next", key="rv_next", icon=":material/arrow_forward:", shortcut="Right", on_click=_go, args=(1,))
title = dict(STEPS)[step]
st.header(f"{step} · {title}", anchor=False)
st.caption(f"{agenda.scope_label} · week {agenda.week_label} (to {agenda.as_of:%a %d %b %Y})")

if step == 1:
    st.html(render.standing_html(agenda.standing))
    if agenda.standing is not None:
        left, right = st.columns(2)
        wf = review_charts.waterfall_chart(agenda.standing.waterfall, height=280)
        with left:
            if wf is None:
                st.info(agenda.standing.waterfall.message or "No comparison.", icon=":material/info:")
            else:
                widgets.chart(wf, key="rv_waterfall")
        trend = review_charts.outlook_trend_chart(agenda.standing.trend, height=280)
        if trend is not None:
            widgets.chart_in(right, trend, key="rv_trend")
else:
    st.html(render.STEP_HTML[step](agenda))

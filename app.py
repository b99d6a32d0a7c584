"""salesops, the entry point and Home: the one-screen summary of the filtered scope and how fresh the data is.

``streamlit run app.py`` serves this file as Home and every file in ``pages/`` as a page (Streamlit's
own ``pages/`` multipage mode); each starts with ``shell.page``, which draws the shared sidebar.
"""

import streamlit as st

from pages.ui import loaders, shell, widgets
from salesops import charts
from salesops import format as fmt
from salesops.performance import DEFINITIONS

if "token" in st.query_params:  # a survey link: the form and nothing else, no sidebar, no figures
    st.switch_page("pages/survey.py", query_params={"token": st.query_params["token"]})

scope = shell.page("Home")
st.title("Sales cockpit")
updated = loaders.last_updated()
today = widgets.today()
done, total = scope.elapsed_days(today)
partial = done < total
st.caption(
    f"{fmt.md_escape(scope.label())} · {scope.grain} view"
    + (f" · **to date: {fmt.elapsed(done, total, scope.grain)}**" if partial else "")
    + " · data as of "
    + (f"{updated:%d %b %Y %H:%M}" if updated else "— (no data loaded yet)")
)

now, prev, last_year = loaders.compare_headline(scope)  # the previous period and last year: one statement

if now.won_count + now.lost_count == 0 and now.open_pipeline_cents == 0 and now.quota_cents == 0:
    widgets.empty_state("deals or quotas")
    st.stop()

cols = st.columns(4)
cols[0].metric(
    "Won revenue",
    fmt.money(now.won_cents),
    fmt.delta_pct(now.won_cents, prev.won_cents),
    help=f"{DEFINITIONS['Won revenue']} Delta: against the previous period to the same day.",
)
cols[0].caption(f"vs last year: {fmt.delta_pct(now.won_cents, last_year.won_cents) or '—'}")
cols[1].metric(
    "Attainment",
    fmt.pct(now.attainment),
    fmt.delta_pts(now.attainment, prev.attainment),
    help=DEFINITIONS["Attainment"],
)
elapsed_share = scope.elapsed_share(today)
cols[1].caption(
    f"of the {scope.grain}'s quota {fmt.money(now.quota_cents)} · {fmt.elapsed(done, total, scope.grain)}"
    + (f" · {fmt.pace(now.attainment, elapsed_share)}" if partial else "")
)
cols[2].metric(
    "Win rate",
    fmt.pct(now.win_rate),
    fmt.delta_pts(now.win_rate, prev.win_rate),
    help=DEFINITIONS["Win rate"],
)
cols[2].caption(f"{now.won_count} won · {now.lost_count} lost")
cols[3].metric(
    "Open pipeline",
    fmt.money(now.open_pipeline_cents),
    help=DEFINITIONS["Open pipeline"],
)
widgets.let_tiles_show("home")  # a first visit: the tiles on screen before the chart's code loads
if scope.viewer is not None and scope.viewer.role == "manager":  # their teams above; the company's totals here
    co = loaders.company_headline(scope)
    st.caption(
        f"Company: won {fmt.money(co.won_cents)} · attainment {fmt.pct(co.attainment)} · "
        f"win rate {fmt.pct(co.win_rate)} · open pipeline {fmt.money(co.open_pipeline_cents)}"
    )
widgets.pipeline_health_note(*loaders.pipeline_flag_share(scope, widgets.today()))

trend = loaders.headline_trend(scope, 8)
frame = trend.assign(won=trend.won_cents / 100, quota=trend.quota_cents / 100)
if partial and len(frame):
    frame.loc[frame.index[-1], "period"] = f"{frame['period'].iloc[-1]} (to date)"
widgets.chart(
    charts.trend_chart(
        frame,
        "period",
        "won",
        f"Won revenue and quota by {scope.grain}",
        target="quota",
        partial=partial,
        x_title=scope.grain.capitalize(),
    ),
    width="stretch",
)
if partial:
    st.caption(
        f"The last bar is the {scope.grain} to date ({fmt.elapsed(done, total, scope.grain)}) against the whole "
        f"{scope.grain}'s quota."
    )

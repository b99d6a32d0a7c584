"""Home: the one-screen summary of the filtered scope, and how fresh the data is."""

import streamlit as st

from pages import common
from salesops import charts, metrics, store

scope = common.scope()
st.title("Sales cockpit")
updated = store.last_updated(common.engine())
st.caption(
    f"{scope.label()} · {scope.grain} view · data as of "
    + (f"{updated:%d %b %Y %H:%M}" if updated else "— (no data loaded yet)")
)

now = common.load(metrics.headline, scope)
prev = common.load(metrics.headline, scope.previous())
last_year = common.load(metrics.headline, scope.last_year())

if now.won_count + now.lost_count == 0 and now.open_pipeline_cents == 0 and now.quota_cents == 0:
    common.empty_state("deals or quotas")
    st.stop()

cols = st.columns(4)
cols[0].metric(
    "Won revenue",
    common.money(now.won_cents),
    common.delta_pct(now.won_cents, prev.won_cents),
    help="Amount of deals won with a close date in the range. Delta: against the previous period to the same day.",
)
cols[0].caption(f"vs last year: {common.delta_pct(now.won_cents, last_year.won_cents) or '—'}")
cols[1].metric(
    "Attainment",
    common.pct(now.attainment),
    common.delta_pts(now.attainment, prev.attainment),
    help="Won revenue ÷ quota of the whole period(s) the range touches (ramped quota for new hires).",
)
cols[1].caption(f"quota {common.money(now.quota_cents)} · elapsed {common.pct(scope.elapsed_share(common.today()))}")
cols[2].metric(
    "Win rate",
    common.pct(now.win_rate),
    common.delta_pts(now.win_rate, prev.win_rate),
    help="Won ÷ (won + lost) of deals closed in the range; open deals are excluded.",
)
cols[2].caption(f"{now.won_count} won · {now.lost_count} lost")
cols[3].metric(
    "Open pipeline",
    common.money(now.open_pipeline_cents),
    help="Amount of all deals still open today, whatever their expected close date.",
)

trend = common.load(metrics.headline_trend, scope, 8)
frame = trend.assign(won=trend.won_cents / 100, quota=trend.quota_cents / 100)
st.altair_chart(
    charts.trend_chart(frame, "period", "won", f"Won revenue and quota by {scope.grain}", target="quota"),
    width="stretch",
)

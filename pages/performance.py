"""Team performance (not built yet): says plainly what it will show."""

import streamlit as st

from pages import common

common.engine()

st.title("Team performance")
st.info(
    "This page is being built. It will show attainment against quota per team and rep, KPI tiles with deltas, pacing, the funnel, what changed this week, and drill-down to deals.",
    icon=":material/construction:",
)

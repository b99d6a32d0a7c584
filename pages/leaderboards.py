"""Leaderboards (not built yet): says plainly what it will show."""

import streamlit as st

from pages import common

common.engine()

st.title("Leaderboards")
st.info(
    "This page is being built. It will show rep and team boards ranked by a metric you choose, rank movement, fair comparison by tenure cohort, and why a rep is behind.",
    icon=":material/construction:",
)

"""Forecasts (not built yet): says plainly what it will show."""

import streamlit as st

from pages import common

common.engine()

st.title("Forecasts")
st.info(
    "This page is being built. It will show Prophet forecasts of won revenue with an 80% interval, the backtested track record, and the chance of reaching quota.",
    icon=":material/construction:",
)

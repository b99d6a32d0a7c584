"""Sales tools (not built yet): says plainly what it will show."""

import streamlit as st

from pages import common

common.engine()

st.title("Sales tools")
st.info(
    "This page is being built. It will show tool satisfaction survey results (CSAT, NPS, themes) and whether leads are split evenly and fairly.",
    icon=":material/construction:",
)

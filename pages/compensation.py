"""Compensation (not built yet): says plainly what it will show."""

import streamlit as st

from pages import common

common.engine()

st.title("Compensation")
st.info(
    "This page is being built. It will show the comp plan simulator: individual/team split, tiers, accelerators, caps, payouts per rep, plan cost and the plan document.",
    icon=":material/construction:",
)

"""Data (not built yet): says plainly what it will show."""

import streamlit as st

from pages import common

common.engine()

st.title("Data")
st.info(
    "This page is being built. It will show importing CRM exports (Salesforce, HubSpot, any CSV) with a validation report before anything is written.",
    icon=":material/construction:",
)

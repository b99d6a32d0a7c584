"""Tool survey form (not built yet)."""

import streamlit as st

st.title("Tool survey")
st.info("The survey form is being built.", icon=":material/construction:")

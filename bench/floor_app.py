"""The floor for bench/browser.py: the least a Streamlit page can do on this machine.

A title, one KPI tile and one slider that changes it, with no data, no sidebar and no library.
The browser benchmark measures it exactly as it measures salesops' pages, in the same run, so the
table can say how much of a page's time is Streamlit and Chromium themselves.
"""

import streamlit as st

st.title("Floor")
value = st.slider("Value", 0, 100, 50, key="floor_value")
st.metric("Figure", f"{value * 3:,}")
st.caption(f"Shown: {value * 3:,}")

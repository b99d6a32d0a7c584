"""/home: an old or typed address for Home; it opens Home with the same view."""

import streamlit as st

st.switch_page("app.py", query_params=st.query_params.to_dict())

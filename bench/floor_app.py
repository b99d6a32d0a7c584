"""The floor for bench/browser.py: the least a Streamlit page can do on this machine.

A title, one KPI tile and one slider that changes it, with no data, no sidebar and no library.
The browser benchmark measures it exactly as it measures salesops' pages, in the same run, so the
table can say how much of a page's time is Streamlit and Chromium themselves.

With ``?with=comp`` the page draws the Compensation simulator's widgets and output with numbers made
here from the slider, no library and no store: on the left the plan editor's widgets (a text input,
two number inputs, three radios, six sliders, a caption), on the right five tabs whose first holds
four KPI tiles, a note, a caption, a 25-bin Altair histogram of one value per rep and the per-rep
table (``REPS`` rows, the page's 10 columns and formats) and its download button, all in one fragment as on the page.
A move of its slider is the floor of the comp slider: Streamlit and Chromium redrawing those elements.
"""

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

#: Rows of the comp floor's table: the small demo's 99 reps with a quota on the Compensation page's default view.
REPS = 99
MONEY = ("Individual component", "Team component", "Team bonus", "Cap adjustment", "Variable pay", "Base + variable")

st.title("Floor")
if st.query_params.get("with") != "comp":
    value = st.slider("Value", 0, 100, 50, key="floor_value")
    st.metric("Figure", f"{value * 3:,}")
    st.caption(f"Shown: {value * 3:,}")
else:

    @st.fragment
    def simulator() -> None:
        left, right = st.columns([1, 2.6], gap="large")
        with left:
            st.subheader("Plan A")
            st.text_input("Plan name", "Standard plan", key="f_name")
            c1, c2 = st.columns(2)
            c1.number_input("Base salary ($/yr)", 0, 10_000_000, 90_000, step=5_000, key="f_base")
            c2.number_input("Target variable ($/yr)", 0, 10_000_000, 90_000, step=5_000, key="f_tv")
            st.radio("Team part", ["split", "bonus"], key="f_mode", horizontal=True)
            share = st.slider("Individual share of variable (%)", 0, 100, 75, step=5, key="f_split")
            st.caption(f"Team share: {100 - share}%")
            st.radio("Mechanic", ["marginal", "whole_tier"], key="f_mechanic", horizontal=True)
            st.slider("Threshold: nothing below (% attainment)", 0, 90, 0, step=5, key="f_threshold")
            st.radio(
                "Once the threshold is cleared, pay", ["retroactive", "excess_only"], key="f_tmode", horizontal=True
            )
            st.slider("Multiplier 0–50%", 0.0, 1.0, 1.0, step=0.05, key="f_decel")
            value = st.slider("Accelerator 100–150%", 0, 100, 50, key="floor_value")
            st.slider("Accelerator above 150%", 0.0, 5.0, 2.0, step=0.1, key="f_super")
            st.slider("Cap (% of target variable, 0 = none)", 0, 500, 300, step=25, key="f_cap")
        with right:
            tabs = st.tabs(["Payouts", "What-if", "Compare", "Plan document", "Save"])
            with tabs[0]:
                rng = np.random.default_rng(7)
                pay = np.round(rng.gamma(2.0, 9_000.0, REPS) * (1 + value / 100), 2)
                cols = st.columns(4)
                cols[0].metric("Plan cost to date", f"${pay.sum() / 1e6:,.1f}M")
                cols[1].metric("Cost ÷ revenue", f"{value / 10:.1f}%")
                cols[2].metric("Effective rate", f"{value / 20:.1f}%")
                cols[3].metric("At/above quota", f"{int((pay > 20_000).sum())}/{REPS}")
                st.info(f"**Pay to date**: at the same pace the plan would cost ${pay.sum() * 1.2:,.0f}.")
                st.caption(f"Shown: {pay.sum():,.2f}")
                hist = (
                    alt.Chart(pd.DataFrame({"variable": pay}))
                    .mark_bar()
                    .encode(x=alt.X("variable:Q", bin=alt.Bin(maxbins=25)), y=alt.Y("count():Q"))
                    .properties(height=240)
                )
                st.altair_chart(hist, width="stretch")
                table = pd.DataFrame(
                    {
                        "Rep": [f"Rep {i}" for i in range(REPS)],
                        "Team": [f"Team {i % 11}" for i in range(REPS)],
                        "Attainment": pay / 30_000,
                        "Variable pay": pay,
                        "Team attainment": pay / 40_000,
                        **{c: pay * (i + 1) / 7 for i, c in enumerate(MONEY) if c != "Variable pay"},
                    }
                )
                st.dataframe(
                    table,
                    hide_index=True,
                    width="stretch",
                    column_config={
                        "Attainment": st.column_config.NumberColumn(format="percent", step=0.01),
                        "Team attainment": st.column_config.NumberColumn(format="percent", step=0.01),
                        **{c: st.column_config.NumberColumn(format="dollar", step=1) for c in MONEY},
                    },
                )
                snapshot = table.copy(deep=False)  # written when clicked, as the page's download
                st.download_button(
                    "Download payouts (CSV, cents)",
                    lambda: snapshot.to_csv(index=False),
                    file_name="payouts.csv",
                    key="f_csv",
                    on_click="ignore",
                )

    simulator()

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

With ``?with=home`` the page draws what Home draws, with static values, no library and no store: the
sidebar as pages/ui/shell.py draws it in local mode (a caption, the nine page links, the "View" heading,
the four filter selectboxes and the presentation toggle), then the title and its caption, the four KPI
tiles with help (three with a delta) and a caption under each, the same head start as
pages/ui/widgets.let_tiles_show (0.25 s, on the session's first run only), the pipeline note and an
Altair bar chart with a dashed quota line like Home's trend chart (eight periods), and its caption.
Opened as the first page of a fresh browser context, as Home is, it pays for the frontend code of all
those elements: the least Home's first tile can cost with them on screen.
"""

import time

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

#: Rows of the comp floor's table: the small demo's 99 reps with a quota on the Compensation page's default view.
REPS = 99
MONEY = ("Individual component", "Team component", "Team bonus", "Cap adjustment", "Variable pay", "Base + variable")

#: (label, icon) of Home's navigation (pages/ui/shell.py NAV), as links that lead nowhere here.
NAV = (
    ("Home", ":material/home:"),
    ("Team performance", ":material/speed:"),
    ("Leaderboards", ":material/leaderboard:"),
    ("Forecasts", ":material/timeline:"),
    ("Compensation", ":material/payments:"),
    ("Sales tools", ":material/build:"),
    ("Customers", ":material/handshake:"),
    ("Weekly review", ":material/co_present:"),
    ("Data", ":material/upload_file:"),
)
#: Home's head start for its tiles on a session's first run (pages/ui/widgets.py TILES_PAUSE_S).
TILES_PAUSE_S = 0.25


def home() -> None:
    """Home's elements with static values (see the module's docstring)."""
    st.set_page_config(page_title="Floor · salesops", page_icon=":material/monitoring:", layout="wide")
    with st.sidebar:
        st.caption("local mode · you are the admin (docs/ACCESS.md)")
        for i, (label, icon) in enumerate(NAV):
            st.page_link(f"http://127.0.0.1/floor-{i}", label=label, icon=icon)
        st.markdown("### :material/filter_alt: View")
        st.selectbox("Period grain", ["week", "month", "quarter", "year"], index=2, key="grain")
        st.selectbox("Period", [f"2026-Q{4 - i}" for i in range(12)], index=0, key="period")
        st.selectbox("Region", ["All regions", "AMER", "APAC", "EMEA"], key="region")
        st.selectbox("Team", ["All teams", *(f"Team {i}" for i in range(11))], key="team")
        st.toggle("Presentation mode", key="present", help="Large type, fewer controls, individual pay hidden.")
    st.title("Floor")
    st.caption("All teams · quarter view · **to date: 55 of 92 days** · data as of 24 Nov 2026 06:00")
    cols = st.columns(4)
    cols[0].metric("Won revenue", "$12.3M", "+4.1%", help="Closed-won amount in the period.")
    cols[0].caption("vs last year: +9.8%")
    cols[1].metric("Attainment", "61.2%", "+2.3 pts", help="Won revenue over quota.")
    cols[1].caption("of the quarter's quota $20.1M · 55 of 92 days · on pace")
    cols[2].metric("Win rate", "27.4%", "-0.8 pts", help="Won over won and lost.")
    cols[2].caption("1,204 won · 3,190 lost")
    cols[3].metric("Open pipeline", "$48.7M", help="Open deals' amount.")
    if not st.session_state.get("_tiles_shown_floor"):  # as widgets.let_tiles_show: the session's first run
        st.session_state["_tiles_shown_floor"] = True
        time.sleep(TILES_PAUSE_S)
    st.caption(":material/report: 8 % of this open pipeline (1,020 deals) is stale or past its close date.")
    periods = [f"2025-Q{q}" for q in (1, 2, 3, 4)] + [f"2026-Q{q}" for q in (1, 2, 3)] + ["2026-Q4 (to date)"]
    rng = np.random.default_rng(7)
    frame = pd.DataFrame(
        {
            "period": periods,
            "won": np.round(rng.uniform(8e6, 14e6, len(periods)), 2),
            "quota": np.full(len(periods), 12e6),
            "series": ["Won revenue"] * (len(periods) - 1) + ["Won to date"],
            "target_label": "Quota",
        }
    )
    base = alt.Chart(frame).encode(x=alt.X("period:N", sort=periods, title="Quarter", axis=alt.Axis(labelAngle=0)))
    bars = base.mark_bar().encode(
        y=alt.Y("won:Q", axis=alt.Axis(title="Won revenue ($)", format="$,.3~s")),
        color=alt.Color("series:N", title=None, scale=alt.Scale(range=["#2F6690", "#9DC3E6"])),
        tooltip=[alt.Tooltip("period:N"), alt.Tooltip("won:Q", format="$,.0f")],
    )
    line = base.mark_line(strokeDash=[4, 3], point=True).encode(
        y="quota:Q",
        strokeDash=alt.StrokeDash("target_label:N", title=None, scale=alt.Scale(domain=["Quota"], range=[[4, 3]])),
        color=alt.value("#1F2933"),
    )
    chart = alt.layer(bars, line).resolve_scale(color="independent", strokeDash="independent")
    st.altair_chart(chart.properties(title="Won revenue and quota by quarter", height=260), width="stretch")
    st.caption("The last bar is the quarter to date (55 of 92 days) against the whole quarter's quota.")


if st.query_params.get("with") == "home":
    home()
    st.stop()
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

"""Customers: new vs existing revenue, customers gained and lost, revenue retention, accounts at risk."""

import pandas as pd
import streamlit as st

from pages.ui import loaders, shell, tables, widgets
from salesops import customers
from salesops import format as fmt
from salesops.customers import charts

D = customers.DEFINITIONS

scope = shell.page("Customers")
present = widgets.presentation()
st.title("Customers")
view = loaders.customer_view(scope, widgets.today())
trend = view.trend
partial = bool(view.in_range["partial"].any())
st.caption(
    f"{scope.label()} · {trend.grain}ly figures"
    + (" (a week view is shown per month)" if scope.grain == "week" else "")
    + (f" · the current {trend.grain} is partial: counted up to {view.as_of:%d %b %Y}" if partial else "")
)
if view.periods["won_cents"].sum() == 0 and view.periods["active"].sum() == 0:
    widgets.empty_state("won deals")
    if view.prospects:
        st.metric("Prospects", f"{view.prospects:,}", help=D["Prospects"])
    st.stop()

# ---- tiles: the selected range -------------------------------------------------------------------
r = view.in_range
won, existing = int(r["won_cents"].sum()), int(r["existing_cents"].sum())
last = r.iloc[-1]
tiles = st.columns(6)
tiles[0].metric("Won revenue", fmt.money(won), help=D["New business revenue"])
tiles[1].metric("Share from existing", fmt.pct(existing / won if won else None), help=D["Existing customer revenue"])
tiles[2].metric("Active customers", f"{int(last['active']):,}", help=D["Active customers"])
tiles[3].metric("New customers", f"{int(r['new'].sum()):,}", help=D["New customers"])
# "Returning", as the table's column and the chart's legend: "Returning customers" is cut at 1366 px.
tiles[4].metric("Returning", f"{int(r['returning'].sum()):,}", help=D["Returning customers"])
tiles[5].metric("Lost customers", f"{int(r['lost'].sum()):,}", help=D["Lost customers"])
st.caption(
    "Lost is known late: a customer counts as lost only once 12 months have passed without a purchase, "
    "so customers who stopped buying recently are not lost yet — they are in Accounts at risk below."
    + (
        f" {fmt.money(view.no_account_cents)} of won revenue came from deals with no account."
        if view.no_account_cents
        else ""
    )
)

# ---- per period ---------------------------------------------------------------------------------
left, right = st.columns(2)
left.markdown("**Won revenue: new business and existing customers**", help=D["Existing customer revenue"])
widgets.chart_in(left, charts.revenue_split_chart(view.periods), width="stretch")
right.markdown("**Customers gained and lost** (line: active)", help=D["Lost customers"])
widgets.chart_in(right, charts.flows_chart(view.periods), width="stretch")


@st.fragment
def per_period() -> None:
    by = st.segmented_control(
        "Split by", customers.BY, default="company", key="cust_by", bind="query-params", format_func=str.capitalize
    )
    # The company rows are the view's (the same call): computed once per view.
    frame = view.periods if (by or "company") == "company" else loaders.customer_periods(trend, by, widgets.today())
    names = dict(zip(loaders.load_teams()["team_id"], loaders.load_teams()["name"]))
    shown = frame.assign(
        group=frame["group"].map(lambda g: names.get(g, g)) if by == "team" else frame["group"],
        partial=frame["partial"].map({True: "partial", False: ""}),
    )
    C = fmt.Col
    tables.show(
        shown,
        {
            "group": "Team" if by == "team" else ("Region" if by == "region" else "Company"),
            "period": "Period",
            "partial": C("Status", "text", "The current period counts up to today."),
            "won_cents": C("Won", "money"),
            "new_cents": C("New business", "money", D["New business revenue"]),
            "existing_cents": C("Existing customers", "money", D["Existing customer revenue"]),
            "existing_share": C("Share existing", "pct"),
            "active": C("Active", "count", D["Active customers"]),
            "new": C("New", "count", D["New customers"]),
            "returning": C("Returning", "count", D["Returning customers"]),
            "lost": C("Lost", "count", D["Lost customers"]),
        },
        key="cust_periods",
    )
    if not present:
        widgets.csv_download(frame, f"customers_{trend.grain}_{by}.csv", key="cust_csv_periods")


st.subheader("Per period")
per_period()

# ---- retention ------------------------------------------------------------------------------------
st.subheader(
    "Revenue retention by yearly cohort", help=D["Net revenue retention"] + "\n\n" + D["Gross revenue retention"]
)
ret = view.retention
if ret.empty:
    st.info("No customer has reached a second year yet: retention needs a year of history.", icon=":material/info:")
else:
    lcol, rcol = st.columns([2, 3])
    with lcol:
        C = fmt.Col
        tables.show(
            ret.assign(status=ret["complete"].map({True: "", False: "partial"}), cohort=ret["cohort"].astype(str)),
            {
                "cohort": "Cohort",
                "customers": C("Customers", "count"),
                "year": C("Year", "count"),
                "base_cents": C("Year-1 revenue", "money"),
                "revenue_cents": C("Year-N revenue", "money"),
                "nrr": C("Net retention", "pct", D["Net revenue retention"]),
                "grr": C("Gross retention", "pct", D["Gross revenue retention"]),
                "status": C("Status", "text", "Partial: some customers are still inside that year."),
            },
            key="cust_retention",
        )
    widgets.chart_in(
        rcol, charts.retention_chart(ret[ret["complete"]] if ret["complete"].any() else ret), width="stretch"
    )
    if not present:
        widgets.csv_download(ret, "revenue_retention.csv", key="cust_csv_retention")

st.subheader("Cohorts: customers active by quarter of first purchase", help=D["Cohort chart"])
if view.grid.empty:
    widgets.empty_state("customers")
else:
    widgets.chart(charts.cohort_chart(view.grid), width="stretch")

# ---- concentration and risk -----------------------------------------------------------------------
c = view.concentration
st.subheader("Concentration and accounts at risk")
ccol, rcol = st.columns([1, 2])
ccol.metric(f"Top-{customers.TOP_N} share", fmt.pct(c.top_share), help=D["Top-10 share"])
ccol.caption(f"{fmt.money(c.top_cents)} of {fmt.money(c.total_cents)} won from {c.customers:,} customers in the range")
with ccol:
    tables.show(c.top, {"customer": "Customer", "won_cents": fmt.Col("Won", "money")}, key="cust_top")
ccol.metric("Prospects", f"{view.prospects:,}", help=D["Prospects"])
ccol.caption("Accounts in the accounts file with no won deal yet, for the whole company.")
risk = view.risk
rcol.markdown(f"**Accounts at risk** ({view.risk_total:,})", help=D["Accounts at risk"])
if view.risk_total > len(risk):
    rcol.caption(
        f"Showing the top {len(risk):,} of {view.risk_total:,} accounts at risk (the most revenue at stake); "
        "the download has them all."
    )
with rcol:
    tables.show(
        risk.assign(
            cycle=risk["usual_cycle_days"].astype("Float64").round(),
            change=[f"{x:+.0%}" if pd.notna(x) else "—" for x in risk["change"]],
        ),
        {
            "customer": "Customer",
            "reasons": "Why",
            "last_12m_cents": fmt.Col("Last 12 months", "money"),
            "prior_12m_cents": fmt.Col("12 months before", "money"),
            "change": fmt.Col("Change", "text", "Last 12 months against the 12 before (— : nothing before)"),
            "last_purchase": fmt.Col("Last purchase", "date"),
            "cycle": fmt.Col("Usual cycle (days)", "count"),
            "stale_renewals": fmt.Col("Stale renewals", "count"),
        },
        key="cust_risk",
        height=300,
    )
    if not present:
        widgets.csv_download_later(
            loaders.later(loaders.all_accounts_at_risk, scope, view.as_of), "accounts_at_risk.csv", key="cust_csv_risk"
        )


# ---- drill-down ---------------------------------------------------------------------------------
#: The most accounts whose deals the drill-down fetches at once (each is a bound value of one query).
MAX_PICKED = 1_000


@st.fragment
def drill_down() -> None:
    st.subheader("Drill down: a number → its accounts → their deals")
    labels = dict(zip(view.periods["period"], zip(view.periods["period_start"], view.periods["period"])))
    cols = st.columns(2)
    period = cols[0].selectbox("Period", list(labels)[::-1], key="cust_drill_period")
    figure = cols[1].selectbox(
        "Number", list(customers.FIGURES), format_func=customers.FIGURES.get, key="cust_drill_figure"
    )
    start = labels[period][0]
    end = trend.periods()[[p for p, _ in trend.periods()].index(start)][1]
    accounts, total = loaders.accounts_behind_top(trend, start, end, view.as_of, figure)
    shown = (
        f" Showing the {len(accounts):,} that won most in the period; the download has them all."
        if total > len(accounts)
        else ""
    )
    st.caption(f"{customers.FIGURES[figure]}, {period}: {total:,} accounts.{shown} Pick rows to see their deals.")
    event = st.dataframe(
        accounts.assign(won=accounts["won_cents"] / 100)[
            ["customer", "won", "deals", "first_purchase", "last_purchase"]
        ],
        hide_index=True,
        width="stretch",
        height=260,
        on_select="rerun",
        selection_mode="multi-row",
        key="cust_drill_accounts",
        column_config={
            "customer": "Customer",
            "won": st.column_config.NumberColumn("Won in the period", format="dollar"),
            "deals": "Deals in the period",
            "first_purchase": st.column_config.DateColumn("First purchase"),
            "last_purchase": st.column_config.DateColumn("Last purchase"),
        },
    )
    if not present:
        every = loaders.later(loaders.accounts_behind, trend, start, end, view.as_of, figure)
        widgets.csv_download_later(
            lambda: every().drop(columns=["customer_id"]), "accounts.csv", key="cust_csv_accounts"
        )
    rows = list(event.selection.rows) if event is not None else []
    picked = accounts.iloc[rows] if rows else accounts.head(1)
    if picked.empty:
        return
    if len(picked) > MAX_PICKED:
        st.caption(f"Deals of the first {MAX_PICKED:,} of the {len(picked):,} accounts picked.")
        picked = picked.head(MAX_PICKED)
    listed = loaders.customer_deals_listed(tuple(picked["customer_id"]), trend)
    deals = listed.rows
    st.markdown(
        "**Deals of " + ", ".join(picked["customer"].astype(str).head(5)) + ("…" if len(picked) > 5 else "") + "**"
    )
    team_names = loaders.load_teams().set_index("team_id")["name"]
    shown = deals.assign(team=deals["team_id"].map(team_names)) if "team_id" in deals else deals
    rules = {
        "deal_id": None, "name": "Deal", "account": None, "product": None, "deal_type": fmt.Col("Type"),
        "stage": None, "outcome": None, "rep": None, "team": None, "created_date": None, "close_date": None,
        "amount_cents": fmt.Col("Amount", "money"),
    }  # fmt: skip
    tables.show(shown, {k: v for k, v in rules.items() if k in shown.columns}, key="cust_deals")
    if listed.total > len(deals):
        st.caption(
            f"Showing the newest {len(deals):,} of {listed.total:,} deals (the download too); "
            "pick fewer accounts to see the others."
        )
    if not present:
        widgets.csv_download(deals, "customer_deals.csv", key="cust_csv_deals", label="Download deals")


drill_down()

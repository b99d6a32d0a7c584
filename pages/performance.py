"""Team performance: attainment against quota, KPI tiles, pacing, the funnel, what changed, drill-down."""

from dataclasses import replace

import altair as alt
import streamlit as st

from pages.ui import loaders, shell, tables, widgets
from salesops import charts, customers
from salesops import format as fmt
from salesops import performance as metrics
from salesops.performance import changes, funnel
from salesops.performance import charts as perf_charts

D = metrics.DEFINITIONS
CD = customers.DEFINITIONS
CHANGES_SHOWN = 500
DEAL_COLUMNS = {
    "deal_id": None,
    "name": "Deal",
    "account": None,
    "team": fmt.Col("Team", help="The team that owned the deal (a rep may have moved since)."),
    "product": None,
    "in_range": None,
    "stage": None,
    "outcome": None,
    "amount_cents": None,
    "probability": None,
    "forecast_category": None,
    "created_date": None,
    "close_date": None,
    "cycle_days": fmt.Col("Cycle", "days", "Days from created to closed (— while open)."),
}

scope = shell.page("Team performance")
present = widgets.presentation()
st.title("Team performance")
done, total = scope.elapsed_days(widgets.today())
elapsed_share = scope.elapsed_share(widgets.today())
partial = done < total
st.caption(
    f"{fmt.md_escape(scope.label())} · {scope.grain} view · quota of {scope.quota_start:%d %b %Y} – {scope.quota_end:%d %b %Y}"
    + (f" · **to date: {fmt.elapsed(done, total, scope.grain)}**" if partial else "")
)

# The page's later reads start now, at once on the app's small reader pool, while the tiles' read
# runs here: each is called further down with these same arguments and comes from the cache.
loaders.prefetch(
    (loaders.attainment_by_team, (scope,)),
    (loaders.attainment_by_rep, (scope,)),
    (loaders.business_by_team, (scope,)),
    (loaders.funnel_by_team, (scope,)),
    (loaders.week_review, (scope, CHANGES_SHOWN)),
)
now, prev, last_year = loaders.compare_kpis(scope)
if now.won_count + now.lost_count == 0 and now.open_pipeline_cents == 0 and now.quota_cents == 0:
    widgets.empty_state("deals or quotas")
    st.stop()


def tile(col, label: str, value: str, now_v, prev_v, ly_v, rate: bool = False, inverse: bool = False) -> None:
    """A KPI tile: delta against the previous period; the same period last year as a caption."""
    delta = fmt.delta_pts if rate else fmt.delta_pct
    col.metric(label, value, delta(now_v, prev_v), help=D[label], delta_color="inverse" if inverse else "normal")
    col.caption(f"vs last year: {delta(now_v, ly_v) or '—'}")


def days(x) -> str:
    return "—" if x is None else f"{x:.0f} days"


def ratio(x) -> str:
    return "—" if x is None else f"{x:.1f}×"


row1 = st.columns(4)
tile(row1[0], "Won revenue", fmt.money(now.won_cents), now.won_cents, prev.won_cents, last_year.won_cents)
tile(row1[1], "Win rate", fmt.pct(now.win_rate), now.win_rate, prev.win_rate, last_year.win_rate, rate=True)
tile(
    row1[2],
    "Average deal size",
    fmt.money(now.avg_deal_cents),
    now.avg_deal_cents,
    prev.avg_deal_cents,
    last_year.avg_deal_cents,
)
tile(
    row1[3],
    "Sales cycle",
    days(now.avg_cycle_days),
    now.avg_cycle_days,
    prev.avg_cycle_days,
    last_year.avg_cycle_days,
    inverse=True,
)
row2 = st.columns(4)
tile(
    row2[0],
    "Open pipeline",
    fmt.money(now.open_pipeline_cents),
    now.open_pipeline_cents,
    prev.open_pipeline_cents,
    last_year.open_pipeline_cents,
)
tile(row2[1], "Pipeline coverage", ratio(now.coverage), now.coverage, prev.coverage, last_year.coverage)
tile(
    row2[2],
    "Weighted pipeline",
    fmt.money(now.weighted_pipeline_cents),
    now.weighted_pipeline_cents,
    prev.weighted_pipeline_cents,
    last_year.weighted_pipeline_cents,
)
tile(
    row2[3],
    "Activities per rep",
    "—" if now.activities_per_rep is None else f"{now.activities_per_rep:.0f}",
    now.activities_per_rep,
    prev.activities_per_rep,
    last_year.activities_per_rep,
)
widgets.let_tiles_show("performance")  # a first visit: the tiles on screen before the charts' code loads
widgets.pipeline_health_note(*loaders.pipeline_flag_share(scope, widgets.today()))

# ---- pacing ---------------------------------------------------------------------------------------
st.subheader("Pacing")
pace = loaders.pacing(scope, widgets.today(), now)  # its won, quota and due: the tiles' own figures
cols = st.columns(4)
cols[0].metric(
    "Attainment",
    fmt.pct(pace.attainment),
    fmt.delta_pts(now.attainment, prev.attainment),
    help=D["Attainment"],
)
cols[0].caption(
    f"{fmt.money(pace.won_cents)} of {fmt.money(pace.quota_cents)} quota"
    + (f" · {fmt.pace(pace.attainment, elapsed_share)}" if partial else "")
)
verdict = "—" if pace.on_track is None else "On track" if pace.on_track else "Behind"
cols[1].metric("Pacing", verdict, help=D["Pacing"])
cols[1].caption(f"{fmt.pct(pace.elapsed_share)} of the period elapsed · projected {fmt.money(pace.projected_cents)}")
cols[2].metric("Pipeline needed", fmt.money(pace.pipeline_needed_cents), help=D["Pipeline needed"])
cols[2].caption(
    f"remaining quota {fmt.money(pace.remaining_quota_cents)} at a "
    f"{fmt.pct(pace.historical_win_rate)} historical win rate"
)
cols[3].metric("Pipeline gap", fmt.money(pace.pipeline_gap_cents), help=D["Pipeline needed"])
cols[3].caption(f"open pipeline due {fmt.money(pace.open_due_cents)}")

# ---- attainment -------------------------------------------------------------------------------------
st.subheader("Attainment")
teams = loaders.attainment_by_team(scope)
reps = loaders.attainment_by_rep(scope)
dist = metrics.attainment_distribution(reps, elapsed_share if partial else 1.0)
# The team table takes the page's width: beside the reps' chart it scrolled sideways, cutting the
# attainment bar's figure and hiding win rate and reps at quota on a 1440-px screen.
tables.show(
    teams,
    {
        "team": None,
        "region": None,
        "won_cents": fmt.Col("Won", "money", D["Won revenue"]),
        "quota_cents": fmt.Col("Quota", "money", D["Quota"]),
        "attainment": fmt.Col("Attainment", "progress", D["Attainment"]),
        "win_rate": fmt.Col("Win rate", "pct", D["Win rate"]),
        "share_at_quota": fmt.Col("Reps at quota", "pct", D["Reps at quota"]),
    },
    key="perf_teams_table",
)
if not present:
    widgets.csv_download(teams, "attainment_by_team.csv", key="perf_csv_teams", label="Download team attainment")
left, right = st.columns([3, 2])
with left:
    business = loaders.business_by_team(scope)
    st.markdown("**New business and existing customers**", help=CD["Existing customer revenue"])
    tables.show(
        business,
        {
            "team": None,
            "new_cents": fmt.Col("New business", "money", CD["New business revenue"]),
            "existing_cents": fmt.Col("Existing customers", "money", CD["Existing customer revenue"]),
            "existing_share": fmt.Col("Share existing", "pct"),
        },
        key="perf_business",
    )
with right:
    low, high = dist.healthy_low, dist.healthy_high
    st.metric(
        "Reps on pace for quota" if partial else "Reps at quota",
        fmt.pct(dist.share_at_or_above),
        help=D["Reps at quota"]
        + (" For a period not over: attainment to date ÷ the elapsed share of the period." if partial else ""),
    )
    st.caption(
        f"{dist.at_or_above} of {dist.reps_with_quota} reps with quota"
        + (f" · judged on pace ({fmt.elapsed(done, total, scope.grain)})" if partial else "")
        + f" · healthy: {low:.0%}–{high:.0%} ({'within' if dist.verdict == 'healthy' else dist.verdict} the benchmark)"
    )
    colour = alt.condition(
        alt.FieldOneOfPredicate(field="bucket", oneOf=["100–120%", ">120%"]),
        alt.value(charts.GOOD),
        alt.value(charts.NEUTRAL),
    )
    widgets.chart(
        alt.Chart(dist.buckets)
        .mark_bar()
        .encode(
            x=alt.X(
                "bucket:N",
                sort=None,
                title="Attainment pace (to date ÷ elapsed)" if partial else "Attainment",
                axis=alt.Axis(labelAngle=0),  # upright: turned labels took most of the side column's height
            ),
            y=alt.Y("reps:Q", title="Reps"),
            color=colour,
            tooltip=["bucket", "reps", alt.Tooltip("share:Q", format=".0%")],
        )
        .properties(height=220, title="Reps by attainment"),
        width="stretch",
    )

# ---- drill-down -----------------------------------------------------------------------------------------


@st.fragment
def drill_down() -> None:
    st.subheader("Drill down: team → reps → deals")
    if present:  # a rep's won, quota and deals are individual money: not on the shared screen
        st.caption("The rep drill-down is hidden in presentation mode: it shows each rep's won revenue and quota.")
        return
    names = dict(zip(teams["team_id"], teams["team"]))
    options = list(names)
    if not options:
        widgets.empty_state("teams")
        return
    default = options.index(scope.team_id) if scope.team_id in options else 0
    team_id = st.selectbox(
        "Team",
        options,
        index=default,
        key="perf_drill_team",
        bind="query-params",
        format_func=lambda t: names.get(t, t),
    )
    team_reps = loaders.attainment_by_rep(replace(scope, team_id=team_id, region=None))
    shown = team_reps.assign(rep=team_reps["name"] + team_reps["ramping"].map({True: " (ramping)", False: ""}))
    tables.show(
        shown,
        {
            "rep": None,
            "role": None,
            "won_cents": None,
            "quota_cents": None,
            "attainment": fmt.Col("Attainment", "progress", D["Attainment"]),
            "bucket": None,
            "won_count": None,
            "lost_count": None,
            "win_rate": None,
        },
        key="perf_reps_table",
    )
    st.caption("Ramping reps are measured against their ramped quota. A rep's won revenue is all their deals.")
    if not present:
        widgets.csv_download(team_reps, f"reps_{team_id}.csv", key="perf_csv_reps", label="Download reps")
    if team_reps.empty:
        return
    rep_names = dict(zip(team_reps["rep_id"], team_reps["name"]))
    rep_id = st.selectbox(
        "Rep",
        list(rep_names),
        key="perf_drill_rep",
        bind="query-params",
        format_func=lambda r: rep_names.get(r, r),
    )
    deals = loaders.rep_deals(scope, rep_id)
    all_teams = loaders.load_teams()
    deals = deals.assign(team=deals["team_id"].map(dict(zip(all_teams["team_id"], all_teams["name"]))))
    tables.show(deals, DEAL_COLUMNS, key="perf_deals_table")
    if not present:
        widgets.csv_download(deals, f"deals_{rep_id}.csv", key="perf_csv_deals", label="Download deals")


drill_down()

# ---- funnel ------------------------------------------------------------------------------------------------
st.subheader("Funnel: lead → MQL → SQL → opportunity → won")
fun = loaders.funnel_by_team(scope)
if fun.empty:
    widgets.empty_state("leads")
else:
    for flag in funnel.funnel_flags(fun).itertuples():
        st.warning(
            f"**{fmt.md_escape(flag.team)}** · {flag.label} step: {fmt.md_escape(flag.flag)}",
            icon=":material/filter_alt:",
        )
    team_ids = [t for t in dict.fromkeys(fun["team_id"]) if t != funnel.COMPANY]
    team_names = dict(zip(fun["team_id"], fun["team"]))
    flagged = list(dict.fromkeys(funnel.funnel_flags(fun)["team_id"]))
    pick = (
        scope.team_id if scope.team_id in team_ids else (flagged[0] if flagged else team_ids[0] if team_ids else None)
    )
    if team_ids:
        chosen = st.selectbox(
            "Funnel of",
            team_ids,
            index=team_ids.index(pick),
            key="perf_funnel_team",
            format_func=lambda t: team_names.get(t, t),
        )
        both = fun[fun["team_id"].isin([chosen, funnel.COMPANY])]
        widgets.chart(perf_charts.funnel_chart(both), width="stretch")
        tables.show(
            both,
            {
                "team": None,
                "label": "Stage",
                "count": fmt.Col("Count", "count", "Leads created in the range that reached the stage."),
                "value_cents": fmt.Col(
                    "Value",
                    "money",
                    "Opportunity: deals created in the range; won: those of them won. Leads carry no amount (—).",
                ),
                "step_conversion": fmt.Col("Step conversion", "pct", "Share of the previous step's count (— on Lead)."),
                "company_step_conversion": None,
                "history_step_conversion": fmt.Col(
                    "Its own before",
                    "pct",
                    "The team's own step conversion over the four periods of the same length before the range "
                    "(— with fewer than 30 entering the step).",
                ),
                "overall_conversion": None,
                "flag": None,
            },
            key="perf_funnel_table",
        )
        if not present:
            widgets.csv_download(fun, "funnel.csv", key="perf_csv_funnel", label="Download funnel")

# ---- what changed ---------------------------------------------------------------------------------------------
week_start, week_end = changes.week_of(scope)
st.subheader(f"What changed: week of {week_start:%d %b} – {week_end:%d %b %Y}")
review = loaders.week_review(scope, CHANGES_SHOWN)  # counts and list in one pass
counts = review.counts
cols = st.columns(len(counts))
for col, rec in zip(cols, counts.itertuples()):
    col.metric(rec.kind.capitalize(), f"{rec.deals}", help=f"{fmt.money(rec.amount_cents)} of current deal value")
listed = review.changes
if listed.empty:
    st.caption("No deal was created, closed, moved or re-valued in this week.")
else:
    total = int(counts["deals"].sum())
    if total > len(listed):
        st.caption(f"The first {len(listed)} of {total} changes; pick a team to see all of its changes.")
    tables.show(
        listed,
        {
            "on": None,
            "kind": None,
            "deal_id": None,
            "name": "Deal",
            "account": None,
            "rep": None,
            "stage": None,
            "outcome": None,
            "old_value": fmt.Col("From", help="The value before the change (— for a new deal)."),
            "new_value": fmt.Col("To", help="The value after the change (— for a new deal)."),
            "days_moved": fmt.Col("Close date moved", "days", "Days the close date moved (+ later, − earlier)."),
            "amount_change_cents": fmt.Col("Amount change", "money", "— when the amount did not change."),
            "amount_cents": fmt.Col("Amount now", "money"),
        },
        key="perf_changes_table",
    )
    if not present:
        widgets.csv_download(listed, f"changes_{week_start}.csv", key="perf_csv_changes", label="Download changes")

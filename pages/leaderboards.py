"""Leaderboards: who is ahead, who moved, who needs help and why — reps and teams side by side."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from pages.ui import loaders, shell, tables, widgets
from salesops import format as fmt
from salesops import leaderboards as lb
from salesops.leaderboards import charts as leaderboard_charts

#: Large type for the screen-share board; our own constant CSS, no user text in it.
PRESENT_CSS = """
<style>
[data-testid="stMainBlockContainer"] { padding-top: 2rem !important; }
.st-key-lb_present_board table, .st-key-lb_present_teams table { font-size: 1.5rem !important; }
.st-key-lb_present_board td, .st-key-lb_present_teams td { padding: 0.12rem 0.7rem !important; line-height: 1.35 !important; }
.st-key-lb_present_board th, .st-key-lb_present_teams th {
  font-size: 1.1rem !important; padding: 0.2rem 0.7rem !important; line-height: 1.2 !important;
}
</style>
"""
FLAG_LABELS = {"top": "Top performer", "under": "Needs help"}
PRESENT_NAMES = {"rank": "Rank", "movement": "Move", "attainment": "Attainment", "pace": "Pace"}
#: Presentation mode lists the top AEs only (never the bottom of the board) …
PRESENT_TOP = 10
#: Board columns off by default (the default set, with full team names and the Pace column of a
#: partial period, fits 1366 pixels), offered under "More columns"; the ranked one is always shown.
EXTRA_COLUMNS = ("Activities", "Cohort", "Deals won", "Avg deal")
MONEY_COLS = {"won_cents": "Won", "quota_cents": "Quota", "avg_deal_cents": "Avg deal", "pipeline_cents": "Pipeline"}
#: The rep board's column that already shows a ranking metric (no second copy of it at 1366 pixels).
SHOWN_AS = {
    "attainment": "attainment",
    "won_revenue": "Won",
    "win_rate": "win_rate",
    "activities": "Activities",
    "pipeline_created": "Pipeline",
    "deals_won": "Deals won",
    "avg_deal_size": "Avg deal",
}

scope = shell.page("Leaderboards")
present = widgets.presentation()
st.title("Leaderboards")
# A period that is not over is judged as Team performance judges it: to date, with pace = attainment
# to date ÷ the elapsed share of the quota window (docs/METRICS.md "Pacing").
done, total = scope.elapsed_days(widgets.today())
partial = done < total
elapsed_share = scope.elapsed_share(widgets.today())
#: "partial quarter: 60% of the quarter elapsed" ("" for a finished period).
PARTIAL_NOTE = f"partial {scope.grain}: {fmt.elapsed(done, total, scope.grain)}" if partial else ""

# "Hide money" follows presentation mode when that is switched, and is the user's choice otherwise.
if st.session_state.get("lb_present_seen") != present:
    st.session_state["lb_present_seen"] = present
    st.session_state["lb_hide_money"] = present

controls = st.columns([2, 1.4, 1, 1.2] if not present else [2, 1.4, 1.2], vertical_alignment="bottom")
metric = controls[0].selectbox(
    "Rank by",
    list(lb.METRICS),
    format_func=lambda k: lb.METRICS[k].label,
    key="lb_metric",
    bind="query-params",
    help="Attainment against the ramped quota is the fair default: new hires carry a smaller quota.",
)
cohort = controls[1].selectbox(
    "Tenure cohort",
    list(lb.COHORTS),
    format_func=lb.COHORTS.get,
    key="lb_cohort",
    bind="query-params",
    help="Ramping: still in the ramp months; first year: hired less than a year before the range ends.",
)
role = "all"
if not present:
    role = controls[2].selectbox(
        "Role",
        lb.ROLES,
        format_func=lambda r: "All roles" if r == "all" else r,
        key="lb_role",
        bind="query-params",
    )
hide = controls[-1].toggle("Hide money", key="lb_hide_money", help="Show amounts as ••• (on in presentation mode).")


def _money(frame: pd.DataFrame, hide: bool) -> pd.DataFrame:
    out = frame.copy()
    for col, label in MONEY_COLS.items():
        if col in out:
            out[label] = [fmt.money(v, hide) for v in out[col]]
    # A sparkline cell with a gap (a period without a value, e.g. before a rep was hired) showed its raw
    # numbers as text: the periods without a value are left out of the line instead.
    if "trend" in out:
        out["trend"] = [[v for v in row if v is not None and v == v] for row in out["trend"]]  # noqa: PLR0124
    return out


def _shown(kind: str, value, hide: bool) -> str:
    if value is None or pd.isna(value):
        return "—"
    if kind == "pct":
        return fmt.pct(value)
    if kind == "money":
        return fmt.money(value, hide)
    if kind == "score":
        return f"{value:.0f}"
    return f"{value:,.0f}"


def _pace_pct(attainment) -> str:
    """Attainment to date ÷ the elapsed share, as "130%" ("—" without a quota)."""
    if attainment is None or pd.isna(attainment) or elapsed_share <= 0:
        return fmt.MISSING
    return fmt.pct(attainment / elapsed_share)


def _partial_caption(who: str) -> None:
    """Under a board of a period that is not over: what "to date" and "Pace" mean."""
    if partial:
        st.caption(
            f"Partial period ({fmt.elapsed(done, total, scope.grain)}): every figure is to date. Pace is the "
            f"{who}'s attainment to date ÷ {fmt.pct(elapsed_share)}, where the {who} ends at this run rate."
        )


def _weights() -> tuple[tuple[str, float], ...]:
    """Composite weights from the sliders (defaults: attainment 3, win rate, pipeline, activities 1)."""
    defaults = dict(lb.DEFAULT_WEIGHTS)
    with st.expander("Composite weights", expanded=not present, icon=":material/tune:"):
        st.caption(
            "Each metric becomes a percentile rank within the board (best = 100); the score is their "
            "weighted mean. A rep without a value (no quota, no closed deal) scores 0 on it."
        )
        per_row = 5  # nine sliders in one row leave each too narrow for its label
        cols = [c for i in range(0, len(lb.COMPONENTS), per_row) for c in st.columns(per_row)]
        picked = [
            (name, float(col.slider(lb.METRICS[name].label, 0, 5, int(defaults.get(name, 0)), key=f"lb_w_{name}")))
            for name, col in zip(lb.COMPONENTS, cols)
        ]
    picked = tuple((k, w) for k, w in picked if w > 0)
    if not picked:
        st.warning("Every weight is 0; using the default weights.", icon=":material/warning:")
        return lb.DEFAULT_WEIGHTS
    return picked


@st.fragment
def board_section() -> None:
    weights = _weights() if metric == "composite" else lb.DEFAULT_WEIGHTS
    data = loaders.load_board_data(scope, lb.trend_metrics(metric, weights))
    reps = lb.rank_board(data, metric, weights=weights, cohort=cohort, role=role)
    teams = lb.rank_board(data, metric, by="team", weights=weights)
    st.session_state["_lb_board"] = reps  # for the other tabs in this run
    if reps.empty:
        widgets.empty_state("reps with deals, activities or quota" + ("" if cohort == "all" else " in this cohort"))
        return
    m = lb.METRICS[metric]
    prev = scope.previous()
    st.caption(
        f"{fmt.md_escape(scope.label())} · ranked by **{m.label}** · movement against {prev.start:%d %b} – {prev.end:%d %b %Y} · "
        f"trend: last {len(data.periods)} {scope.grain}s · ties share a rank"
        + (f" · **{PARTIAL_NOTE}**, figures to date" if partial else "")
    )
    rep_view = _money(reps, hide).assign(attainment=reps["attainment"] * 100, win_rate=reps["win_rate"] * 100)
    rep_view["Rep"] = rep_view["name"]
    rep_view["Team"] = rep_view["team_name"]
    rep_view["Cohort"] = rep_view["cohort"].map(lb.COHORTS).fillna("")  # "" for rows hidden from a rep
    rep_view["Flag"] = rep_view["flag"].map({"top": "▲ top", "under": "▼ needs help", "": ""})
    rep_view[m.label] = [_shown(m.kind, v, hide) for v in reps["value"]]
    team_view = _money(teams, hide).assign(attainment=teams["attainment"] * 100, win_rate=teams["win_rate"] * 100)
    team_view[m.label] = [_shown(m.kind, v, hide) for v in teams["value"]]
    if partial:  # pace in percent, as the attainment column
        rep_view["pace"] = reps["attainment"] / elapsed_share * 100 if elapsed_share > 0 else float("nan")
        team_view["pace"] = teams["attainment"] / elapsed_share * 100 if elapsed_share > 0 else float("nan")
    if present:
        st.html(PRESENT_CSS)
        show = ["rank", "movement", "Rep", "attainment"] + (["pace"] if partial else [])
        show += [m.label] if metric != "attainment" else []
        left, right = st.columns([3, 2])
        with left.container(key="lb_present_board"):
            top = (reps["role"] == "AE") & reps["rank"].notna()
            top_view, top_reps = rep_view[top].head(PRESENT_TOP), reps[top].head(PRESENT_TOP)
            st.caption(f"Top {PRESENT_TOP} AEs (the whole board is on the page outside presentation mode).")
            table = top_view[show].rename(columns=PRESENT_NAMES)
            table["Attainment"] = [fmt.pct(v) for v in top_reps["attainment"]]
            if partial:
                table["Pace"] = [_pace_pct(v) for v in top_reps["attainment"]]
            table["Rank"] = table["Rank"].astype("string").fillna("")
            table["Rep"] = table["Rep"].map(fmt.md_escape)  # st.table reads cells as Markdown
            st.table(table, hide_index=True)
        with right.container(key="lb_present_teams"):
            tshow = ["rank", "movement", "team_name", "attainment"] + (["pace"] if partial else [])
            ttable = team_view[tshow].rename(columns={**PRESENT_NAMES, "team_name": "Team"})
            ttable["Attainment"] = [fmt.pct(v) for v in teams["attainment"]]
            if partial:
                ttable["Pace"] = [_pace_pct(v) for v in teams["attainment"]]
            ttable["Team"] = ttable["Team"].map(fmt.md_escape)
            st.table(ttable, hide_index=True)
    else:
        # Stacked, full width: side by side the rep board hid Activities, Pipeline, trend and Flag at 1920
        # and Attainment and Won at 1366.
        ranked_col = SHOWN_AS.get(metric, m.label)  # the composite score is the only one not on the board
        # A metric shown in a column of its own (the composite, new-logo revenue …) takes Pipeline's
        # place at 1366 pixels; Pipeline then joins the optional columns.
        own_col = ranked_col == m.label
        extra = st.pills(
            "More columns",
            [*EXTRA_COLUMNS, *(["Pipeline"] if own_col else [])],
            selection_mode="multi",
            key="lb_more",
            bind="query-params",
            help="The board shows what fits a 1366-pixel screen; add these when there is room.",
        )
        rep_cols = ["rank", "movement", "Rep", "Flag", "Team", *[c for c in EXTRA_COLUMNS if c in extra]]
        rep_cols += [*([ranked_col] if ranked_col in EXTRA_COLUMNS else [])]
        rep_cols += ["attainment", *(["pace"] if partial else []), *([m.label] if ranked_col == m.label else [])]
        rep_cols += ["Won", "win_rate"]
        rep_cols += [*(["Pipeline"] if not own_col or "Pipeline" in extra else []), "trend"]
        rep_cols += ["attainment_band"] if "attainment_band" in rep_view else []  # a rep's view of others
        rep_view["Deals won"] = reps["won_count"]
        rep_view["Activities"] = reps["activities"]
        config = {
            "rank": st.column_config.NumberColumn("#", width=36),
            "movement": st.column_config.TextColumn("Move", width=46, help="Against the previous period"),
            "Rep": st.column_config.TextColumn("Rep", width=112),
            "Flag": st.column_config.TextColumn("Flag", width=92, help="Why: in the list under the board."),
            "Team": st.column_config.TextColumn("Team", width=172),  # "San Francisco Enterprise" in full
            "attainment": st.column_config.ProgressColumn(
                "Attainment", format="%.0f%%", min_value=0, max_value=150, width=96
            ),
            "pace": st.column_config.NumberColumn(
                "Pace",
                format="%.0f%%",
                width=56,
                help=f"On pace for: attainment to date ÷ the elapsed share of the period ({PARTIAL_NOTE}).",
            ),
            "Won": st.column_config.TextColumn("Won", width=64),
            "win_rate": st.column_config.NumberColumn("Win rate", format="%.0f%%", width=64),
            "Activities": st.column_config.NumberColumn("Activities", width=72),
            "Pipeline": st.column_config.TextColumn("Pipeline", width=68),
            "attainment_band": st.column_config.TextColumn(
                "Band", help="Attainment band (others' figures are private)"
            ),
            "trend": st.column_config.LineChartColumn(
                "Trend",  # the whole title in its help: at this width "Attainment %, last 8 quarters" was cut
                width=84,
                help=f"{m.label}, last {len(data.periods)} {scope.grain}s."
                + (f" The last {scope.grain} is to date ({PARTIAL_NOTE})." if partial else ""),
            ),
            m.label: st.column_config.TextColumn(m.label, width=72),
        }
        with st.container(key="lb_rep_board"):
            st.subheader("Reps", anchor=False)
            _partial_caption("rep")
            shown = [c for c in dict.fromkeys(rep_cols) if c in rep_view.columns]
            st.dataframe(  # only the shown columns: at tens of thousands of reps the rest weigh megabytes
                rep_view[shown],
                column_order=shown,
                column_config=config,
                hide_index=True,
                width="stretch",
                placeholder=fmt.MISSING,
                key="lb_reps",
            )
        with st.container(key="lb_team_board"):
            st.subheader("Teams", anchor=False)
            _partial_caption("team")
            team_cols = ["rank", "movement", "team_name", "reps", "attainment", *(["pace"] if partial else [])]
            team_cols += ([m.label] if metric != "attainment" else []) + ["Won", "win_rate", "trend"]
            tshown = [c for c in dict.fromkeys(team_cols) if c in team_view.columns]
            st.dataframe(
                team_view[tshown],
                column_order=tshown,
                column_config={**config, "team_name": "Team", "reps": st.column_config.NumberColumn("Reps")},
                hide_index=True,
                width="stretch",
                height=tables.height_for(len(team_view)),
                placeholder=fmt.MISSING,
                key="lb_teams",
            )
    flagged = lb.performers(reps)
    if present:  # … and names no one who needs help
        flagged = flagged[flagged["flag"] == "top"]
    with st.container(key="lb_flags"):
        if flagged.empty and not present:
            st.caption(f"No rep is flagged. {lb.FLAG_RULE}")
        lines, more = lb.flag_lines(flagged, lb.FLAG_LINES)
        for row in lines.itertuples():
            icon = ":material/trending_up:" if row.flag == "top" else ":material/trending_down:"
            name, team, reason = (fmt.md_escape(v) for v in (row.name, row.team_name, row.reason))
            on_pace = fmt.pace(row.attainment, elapsed_share) if partial else fmt.MISSING
            to_date = (
                f" · to date: {on_pace} ({fmt.elapsed(done, total, scope.grain)})" if on_pace != fmt.MISSING else ""
            )
            st.markdown(f"{icon} **{FLAG_LABELS[row.flag]}: {name}** ({team}) — {reason}{to_date}")
        if more:
            st.caption(
                f"{more:,} more top performers."
                if present  # the shared screen lists top performers only
                else f"{more:,} more flagged reps: every flagged rep with the reason is in the table below."
            )
        if more and not present:
            every = pd.DataFrame(
                {
                    "Flag": flagged["flag"].map(FLAG_LABELS),
                    "Rep": flagged["name"],
                    "Team": flagged["team_name"],
                    "Why": flagged["reason"],
                }
            )
            if partial:
                every["To date"] = [fmt.pace(v, elapsed_share) for v in flagged["attainment"]]
            st.dataframe(every, hide_index=True, width="stretch", placeholder=fmt.MISSING, key="lb_flagged")
    if not present:
        export = reps.drop(columns=["trend", *(MONEY_COLS if hide else [])])
        c1, c2 = st.columns(2)
        with c1:
            widgets.csv_download(export, "leaderboard_reps.csv", key="lb_csv_reps", label="Download rep board (CSV)")
        with c2:
            team_export = teams.drop(columns=["trend", *(MONEY_COLS if hide else [])])
            widgets.csv_download(
                team_export, "leaderboard_teams.csv", key="lb_csv_teams", label="Download team board (CSV)"
            )


def why_section(reps: pd.DataFrame) -> None:
    """Diagnosis of one rep: stage conversion and days in stage, activity mix, lead quality."""
    reps = lb.named_reps(reps)  # a rep sees the others as ranks only: they diagnose themselves
    order = pd.concat([lb.performers(reps).query("flag == 'under'"), reps.iloc[::-1]]).drop_duplicates("rep_id")
    order = order[order["role"] == "AE"] if (order["role"] == "AE").any() else order
    names = dict(zip(order["rep_id"], order["name"] + " (" + order["team_name"] + ")"))
    rep_id = st.selectbox(
        "Rep",
        list(names),
        format_func=names.get,
        key="lb_why_rep",
        help="Flagged under-performers first, then from the bottom of the board.",
    )
    if rep_id is None:
        return
    d = loaders.diagnose(scope, rep_id)
    if d.findings:
        for f in d.findings:
            st.warning(fmt.md_escape(f), icon=":material/search:")
    else:
        st.success(
            f"Nothing stands out for {fmt.md_escape(d.name)} against the rest of the team.",
            icon=":material/check_circle:",
        )
    left, right = st.columns(2)
    with left:
        if d.funnel.empty:
            st.caption("No closed deals in this range: no funnel to compare.")
        else:
            widgets.chart(leaderboard_charts.funnel_chart(d.funnel, d.name), width="stretch")
            pct_cols = {c: d.funnel[c] * 100 for c in ("conv_rep", "conv_team")}
            st.dataframe(
                d.funnel.assign(**pct_cols),
                hide_index=True,
                placeholder=fmt.MISSING,
                column_config={
                    "stage": "Stage",
                    "reached_rep": st.column_config.NumberColumn("Deals (rep)", format="%d"),
                    "reached_team": st.column_config.NumberColumn("Deals (team)", format="%d"),
                    "conv_rep": st.column_config.NumberColumn("Moves on (rep)", format="%.0f%%"),
                    "conv_team": st.column_config.NumberColumn("Moves on (team)", format="%.0f%%"),
                    "days_rep": st.column_config.NumberColumn("Median days (rep)", format="%.0f"),
                    "days_team": st.column_config.NumberColumn("Median days (team)", format="%.0f"),
                    "stall": st.column_config.CheckboxColumn("Stall"),
                },
                key="lb_funnel",
            )
    with right:
        st.markdown("**Activity mix** (rep against the team's average per rep)")
        st.dataframe(
            d.activities.assign(share_rep=d.activities["share_rep"] * 100, share_team=d.activities["share_team"] * 100),
            hide_index=True,
            placeholder=fmt.MISSING,
            column_config={
                "type": "Type",
                "rep": st.column_config.NumberColumn("Rep", format="%d"),
                "team_avg": st.column_config.NumberColumn("Team avg", format="%.0f"),
                "share_rep": st.column_config.NumberColumn("Share (rep)", format="%.0f%%"),
                "share_team": st.column_config.NumberColumn("Share (team)", format="%.0f%%"),
            },
            key="lb_mix",
        )
        lead = d.leads.iloc[0]
        c = st.columns(3)
        c[0].metric("Leads", f"{lead['leads_rep']:,.0f}", help="Leads created in the range and routed to the rep.")
        c[1].metric(
            "Qualified (SQL+)",
            fmt.pct(lead["rate_rep"]),
            fmt.delta_pts(lead["rate_rep"], lead["rate_company"]),
            help="Share of the rep's leads that reached SQL or further; delta against the whole company.",
        )
        c[2].metric("Company median leads", f"{lead['leads_company_median'] or 0:,.0f}")
        if lead["red_flag"]:
            st.error("Plenty of leads, few qualified.", icon=":material/flag:")


def compare_section(reps: pd.DataFrame) -> None:
    reps = lb.named_reps(reps)
    if len(reps) < 2:  # a rep under SALESOPS_LEADERBOARD_VISIBILITY=ranks or none sees only their own row
        st.info(
            "Side by side needs two reps you can see by name; your role sees the others as ranks only.",
            icon=":material/lock:",
        )
        return
    names = dict(zip(reps["rep_id"], reps["name"] + " (" + reps["team_name"] + ")"))
    picked = st.multiselect(
        "Reps to compare (2–4)",
        list(names),
        default=list(names)[:2],
        format_func=names.get,
        max_selections=4,
        key="lb_compare",
    )
    if len(picked) < 2:
        st.info("Pick 2 to 4 reps to compare them side by side.", icon=":material/compare_arrows:")
        return
    table = lb.compare_reps(reps, picked)
    view = pd.DataFrame(
        {
            col: [_shown(lb.METRICS[k].kind, table.loc[k, col], hide) for k in lb.COMPARE_METRICS]
            + [f"{table.loc['rank', col]:.0f}" if not pd.isna(table.loc["rank", col]) else "—"]
            for col in table.columns
        },
        index=[lb.METRICS[k].label for k in lb.COMPARE_METRICS] + ["Rank"],
    )
    st.dataframe(view, key="lb_compare_table", placeholder=fmt.MISSING)
    which = st.selectbox(
        "Trend of", lb.COMPARE_METRICS, format_func=lambda k: lb.METRICS[k].label, key="lb_compare_metric"
    )
    if hide and lb.METRICS[which].kind == "money":
        st.caption("Money is hidden.")
        return
    trend = loaders.load_rep_trend(scope, tuple(picked))
    trend = trend[trend["metric"] == which].assign(name=lambda t: t["rep_id"].map(names))
    kind = lb.METRICS[which].kind
    if kind == "money":
        trend = trend.assign(value=trend["value"] / 100)
    axis_format = {"pct": ".0%", "money": "$,.3~s"}.get(kind, ",.0f")
    widgets.chart(leaderboard_charts.compare_chart(trend, lb.METRICS[which].label, axis_format), width="stretch")


if present:
    board_section()
else:
    # Only the open tab runs (its queries included); the tab is in the URL, so a link reopens it.
    tab_board, tab_why, tab_compare = st.tabs(
        ["Board", "Why behind", "Side by side"], key="lb_tab", bind="query-params"
    )
    with tab_board:
        board_section()
    board_now = st.session_state.get("_lb_board")
    if board_now is not None and not board_now.empty:
        if tab_why.open:
            with tab_why:
                why_section(board_now)
        if tab_compare.open:
            with tab_compare:
                compare_section(board_now)

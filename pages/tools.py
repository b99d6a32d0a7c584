"""Sales tools: survey results, tools beside performance, lead fairness, and survey rounds (ops)."""

from datetime import timedelta
from urllib.parse import urlsplit

import streamlit as st

from pages.ui import loaders, shell, tables, widgets
from salesops import format as fmt
from salesops.errors import SalesopsError
from salesops.tools import charts as tools_charts
from salesops.tools import fairness, results, rounds, survey

scope = shell.page("Sales tools")
present = widgets.presentation()
st.title("Sales tools")
st.caption(f"{fmt.md_escape(scope.label())} · survey results per round; lead split and performance for the period")

round_list = loaders.load_rounds()
answered = round_list[round_list["answered"] > 0] if len(round_list) else round_list
names = dict(zip(round_list["round_id"], round_list["name"])) if len(round_list) else {}
opened = dict(zip(round_list["round_id"], round_list["opens_on"])) if len(round_list) else {}


def round_label(r: str) -> str:
    """A round as a manager names it: its name and when it opened (the id only in the Rounds table)."""
    return f"{names.get(r, r)} (opened {opened[r]:%d %b %Y})" if r in opened else names.get(r, r)


tab_names = ["Survey results", "Tools and performance", "Lead fairness"]
ops = not present and scope.viewer is not None and scope.viewer.is_staff  # survey rounds: admin and ops
if ops:
    tab_names.append("Survey rounds")
tabs = st.tabs(tab_names, key="tools_tab", bind="query-params")


def pick_round() -> str | None:
    """The survey round the first two tabs show: the open one of them draws the picker (same key, so the
    pick carries over between them, and a link's round holds on either); None when no round has answers."""
    first = results.default_round(round_list)  # the newest with scores to show; a newer one filling up is named
    if first is None:
        return None
    newest = round_list.iloc[0]
    if newest["answered"] < survey.MIN_ANSWERS and newest["status"] == "open":
        st.info(
            f"{fmt.md_escape(newest['name'])} is in progress: {fmt.count(int(newest['answered']), 'answer')}, results at "
            f"{survey.MIN_ANSWERS}.",
            icon=":material/hourglass_top:",
        )
    return st.selectbox(
        "Survey round",
        answered["round_id"].tolist(),
        index=answered["round_id"].tolist().index(first),
        key="tools_round",
        bind="query-params",
        format_func=round_label,
        help="Rounds with at least one answer, newest first.",
    )


FAIRNESS_REP_COLUMNS = {
    "team": None,
    "rep": None,
    "role": None,
    "fte": None,
    "ramping": None,
    "days_available": fmt.Col("Days available", "count"),
    "weight": fmt.Col("Capacity weight", "score"),
    "leads": None,
    "fair_share": None,
    "ratio": None,
    "quality_leads": fmt.Col("Quality-weighted leads", "score"),
    "quality_fair_share": fmt.Col("Quality fair share", "score"),
    "quality_ratio": None,
    "flagged": fmt.Col("Flagged", "check"),
    "flag": None,
}


def company_tiles(scores) -> None:
    """One tile per tool: the round's CSAT for the whole company, delta against the previous round."""
    rows = list(scores.itertuples())
    cols = [c for i in range(0, len(rows), 6) for c in st.columns(6)]
    for col, row in zip(cols, rows):
        col.metric(
            row.tool,
            fmt.pct(row.csat) if row.shown else "hidden",
            fmt.delta_pts(row.csat, row.csat - row.csat_change) if row.shown else None,
            help="CSAT: share of answers rating satisfaction 4 or 5. Delta: against the previous round.",
        )
        col.caption(
            f"NPS {row.nps:+.0f} · ease {row.mean_ease:.1f} · {row.answers} answers ({fmt.pct(row.response_rate)})"
            if row.shown
            else f"{row.answers} answers: fewer than {survey.MIN_ANSWERS}, scores hidden"
        )


def team_tiles(round_id: str, team_id: str) -> None:
    """One tile per tool for the sidebar's team, under the same privacy rules as the By team view."""
    rows = loaders.team_breakdown(round_id)
    rows = rows[rows["team_id"] == team_id]
    if rows.empty:
        st.info("No answer from this team in this round.", icon=":material/inbox:")
        return
    st.caption(
        f"Tiles: {fmt.md_escape(rows['team'].iloc[0])} only (the sidebar's team); the table below is the whole company."
    )
    cols = [c for i in range(0, len(rows), 6) for c in st.columns(6)]
    for col, row in zip(cols, rows.itertuples()):
        col.metric(
            row.tool,
            fmt.pct(row.csat) if row.shown else "hidden",
            help="CSAT: share of the team's answers rating satisfaction 4 or 5.",
        )
        col.caption(
            f"NPS {row.nps:+.0f} · ease {row.mean_ease:.1f} · {row.answers} answers"
            if row.shown
            else f"{row.answers} answers: {row.note}"
        )


def region_tiles(round_id: str, region: str) -> None:
    """One tile per tool for the sidebar's region: its teams together, hidden where a team would show."""
    teams = loaders.load_teams()
    rows = loaders.group_results(round_id, tuple(teams.loc[teams["region"] == region, "team_id"]))
    if rows.empty or rows["answers"].sum() == 0:
        st.info("No answer from this region's teams in this round.", icon=":material/inbox:")
        return
    st.caption(
        f"Tiles: {fmt.md_escape(region)} only (the sidebar's region, its teams together); the table below is "
        "the whole company."
    )
    cols = [c for i in range(0, len(rows), 6) for c in st.columns(6)]
    for col, row in zip(cols, rows.itertuples()):
        col.metric(
            row.tool,
            fmt.pct(row.csat) if row.shown else "hidden",
            help="CSAT: share of the region's answers rating satisfaction 4 or 5.",
        )
        col.caption(
            f"NPS {row.nps:+.0f} · ease {row.mean_ease:.1f} · {row.answers} answers"
            if row.shown
            else f"{row.answers} answers: {row.note}"
        )


# ---- survey results --------------------------------------------------------------------------
def survey_results() -> None:
    round_id = pick_round()
    if round_id is None:
        widgets.empty_state("survey answers")
    else:
        history = loaders.tool_results()
        scores = results.of_round(history, round_id)
        fell = scores[scores["fell"].astype(bool)]
        if len(fell):
            st.warning(
                "Scores fell since the previous round: "
                + ", ".join(
                    f"{fmt.md_escape(t)} (satisfaction {d:+.2f}, CSAT {c * 100:+.0f} pts)"
                    for t, d, c in zip(fell["tool"], fell["satisfaction_change"], fell["csat_change"])
                ),
                icon=":material/trending_down:",
            )
        if scope.team_id:
            team_tiles(round_id, scope.team_id)
        elif scope.region:
            region_tiles(round_id, scope.region)
        else:
            company_tiles(scores)
        widgets.let_tiles_show("tools")  # a first visit: the tiles on screen before the charts' code loads
        widgets.chart(tools_charts.csat_trend_chart(history[history["shown"].astype(bool)]), width="stretch")
        table = scores.assign(fell=scores["fell"].map({True: "fell", False: ""}))
        tables.show(
            table,
            [
                "tool", "category", "answers", "links", "response_rate", "csat", "nps", "mean_satisfaction",
                "mean_ease", "fell", "note",
            ],
            key="tools_results_table",
        )  # fmt: skip
        st.caption(
            "CSAT = % of answers rating satisfaction 4–5. NPS = % rating 9–10 minus % rating 0–6 (−100 … +100). "
            "Response rate = answers ÷ links sent. Flagged 'fell' when mean satisfaction dropped by 0.2 or more, "
            "or CSAT by 10 points or more, since the tool's previous round."
        )
        if not present:
            widgets.csv_download(scores, f"survey-{round_id}.csv", key="tools_results_csv")

        st.subheader("By team")
        breakdown = loaders.team_breakdown(round_id)
        widgets.chart(tools_charts.satisfaction_heatmap(breakdown), width="stretch")
        st.caption(
            f"Privacy: a team with fewer than {survey.MIN_ANSWERS} answers shows no scores, and when that would "
            "leave one hidden team (or hidden teams with fewer than 5 answers together) the next-smallest team is "
            "hidden too, so no team can be worked out by subtracting the others from the tool's total."
        )

        st.subheader("What reps like and dislike")
        c1, c2 = st.columns([2, 1])
        tool_ids = scores["tool_id"].tolist()
        tool_names = dict(zip(scores["tool_id"], scores["tool"]))
        worst = results.least_liked(scores)
        tool_id = c1.selectbox(
            "Tool", tool_ids, index=tool_ids.index(worst), key="tools_theme_tool", format_func=tool_names.get
        )
        kind = c2.segmented_control(
            "Comments", ["dislikes", "likes"], default="dislikes", key="tools_theme_kind", required=True
        )
        th = loaders.tool_themes(round_id, tool_id, kind)
        if th.empty:
            st.caption(
                f"Fewer than {survey.MIN_COMMENTS} comments of this kind: themes and examples stay hidden "
                "so that no one's words can be traced back."
            )
        else:
            tables.show(
                th,
                {
                    "theme": "Theme",
                    "mentions": None,
                    "share": fmt.Col("Share of comments", "pct"),
                    "examples": st.column_config.TextColumn("Example comments", width="large"),
                },
                key="tools_themes_table",
            )
            st.caption("Themes are frequent words and phrases; comments are shown as typed, as plain text.")


# ---- tools and performance ------------------------------------------------------------------
def tools_and_performance() -> None:
    round_id = pick_round()
    if round_id is None:
        widgets.empty_state("survey answers")
    else:
        # the By team tab's cached breakdown beside the scope's team figures (one survey read, not two)
        perf = results.beside_performance(loaders.team_breakdown(round_id), loaders.team_performance(scope), scope)
        st.info(
            "Correlation, not cause: teams that like a tool may sell more for other reasons (segment, "
            "tenure, territory), and a small number of teams makes any pattern fragile. Use this to ask "
            "questions, not to conclude that a tool drives results.",
            icon=":material/info:",
        )
        if perf.empty and scope.viewer is not None and scope.viewer.role == "rep":
            st.info("Team figures are not shown to reps: your own are on the Performance page.", icon=":material/lock:")
        elif perf.empty:
            widgets.empty_state("survey answers for these teams")
        else:
            if scope.team_id or scope.region:  # the library already keeps only the sidebar's teams
                n_teams = perf["team_id"].nunique()
                st.caption(
                    f"The sidebar's {'team' if scope.team_id else 'region'} only: {n_teams} team"
                    f"{'' if n_teams == 1 else 's'}."
                    + (
                        " A correlation across teams needs 3 teams with scores shown: clear the sidebar filter to compare every team."
                        if n_teams < 3
                        else ""
                    ),
                )
            corr = results.satisfaction_correlation(perf)
            tools_list = corr["tool"].tolist() or perf["tool"].unique().tolist()
            tool = st.selectbox("Tool", tools_list, key="tools_perf_tool")
            widgets.chart(tools_charts.satisfaction_vs_performance_chart(perf, tool), width="stretch")
            tables.show(
                corr,
                {
                    "tool": None,
                    "teams": fmt.Col("Teams shown", "count"),
                    "r_attainment": st.column_config.NumberColumn("Correlation with attainment (r)", format="%+.2f"),
                    "r_win_rate": st.column_config.NumberColumn("Correlation with win rate (r)", format="%+.2f"),
                },
                key="tools_corr_table",
            )
            st.caption(
                "r: Pearson correlation across teams (−1 … +1) between a team's mean satisfaction in "
                f"{fmt.md_escape(names.get(round_id, round_id))} and its attainment / win rate in "
                f"{fmt.md_escape(scope.label())}. "
                "Needs 3 teams with scores shown."
            )
            tables.show(
                perf[perf["tool"] == tool],
                ["team", "answers", "mean_satisfaction", "csat", "won_cents", "quota_cents", "attainment", "win_rate"],
                key="tools_perf_table",
            )


# ---- lead fairness --------------------------------------------------------------------------
def lead_fairness() -> None:
    weighting = st.segmented_control(
        "Fair share",
        ["capacity", "equal"],
        default="capacity",
        key="tools_weighting",
        required=True,
        format_func={
            "capacity": "By capacity (FTE, ramp, days)",
            "equal": "Equal per rep",
        }.get,
        help="Capacity: FTE × days employed in the period, ramping days at half weight. Equal: every eligible rep alike.",
    )
    reps = loaders.rep_fairness(scope, weighting)
    teams = fairness.team_summary(reps)  # the team view of the same frame: one query, not two
    if teams.empty:
        widgets.empty_state("assigned leads")
    else:
        worst = teams.iloc[0]
        c = st.columns(3)
        c[0].metric(
            "Most uneven team" if len(teams) > 1 else "Team",
            worst["team"],
            help="The team with the highest Gini of leads per rep in the period."
            if len(teams) > 1
            else "The team picked in the sidebar.",
        )
        c[1].metric("Its Gini", f"{worst['gini']:.2f}", help="0 = every rep got the same; (n−1)/n = one rep got all.")
        c[2].metric(
            "Reps far from fair share",
            int(teams["flagged"].sum()),
            help=f"Leads outside {fairness.FLAG_LOW:.2f}–{fairness.FLAG_HIGH:.2f}× the fair share and more than "
            f"{fairness.FLAG_SIGMAS:.0f} standard deviations from it (beyond what random routing gives).",
        )
        left, right = st.columns(2)
        with left:
            widgets.chart(tools_charts.gini_chart(teams.head(25)), width="stretch")
        with right:
            team_ids = teams["team_id"].tolist()
            team_names = dict(zip(teams["team_id"], teams["team"]))
            pick = st.selectbox(
                "Team", team_ids, key="tools_fair_team", format_func=team_names.get, help="Most uneven first."
            )
            widgets.chart(
                tools_charts.leads_vs_fair_share_chart(reps[reps["team_id"] == pick], team_names[pick]),
                width="stretch",
            )
        flagged = reps[reps["flagged"].astype(bool)]
        st.subheader("Reps far from their fair share")
        if flagged.empty:
            st.caption("No rep is flagged: every rep is within the expected range of their fair share.")
        else:
            tables.show(
                flagged,
                ["team", "rep", "fte", "ramping", "leads", "fair_share", "ratio", "quality_ratio", "flag"],
                key="tools_flagged_table",
            )
        with st.expander("All teams and reps"):
            tables.show(
                teams,
                ["team", "reps", "leads", "gini", "capacity_gini", "quality_gini", "top_share", "flagged"],
                key="tools_teams_table",
            )
            tables.show(reps, FAIRNESS_REP_COLUMNS, key="tools_reps_table", height=400)
            if not present:
                widgets.csv_download(reps, "lead-fairness.csv", key="tools_fair_csv")
        # only the charted teams' trend is read (which roles get leads still comes from every team)
        trend = loaders.fairness_trend(scope, fairness.TREND_MONTHS, fairness.most_uneven(teams))
        widgets.chart(tools_charts.gini_trend_chart(trend), width="stretch")
        st.caption(
            "Trend: the 12 months up to the period's end, for the five most uneven teams. Quality-adjusted "
            "ratio weighs each lead by its source's historical conversion to won, so a rep handed only weak "
            "sources shows up even when the counts look even."
        )


def open_round(engine) -> None:
    """'Open round' callback: create the round from the form's widgets; the outcome goes to session_state.

    A callback so the click is handled once, before the script runs (a rerun would drop it).
    """
    state = st.session_state
    try:
        opened = rounds.open_round(
            engine,
            name=state.get("tools_new_name", ""),
            opens_on=state["tools_new_opens"],
            closes_on=state["tools_new_closes"],
            tool_ids=state.get("tools_new_tools", []),
            team_ids=state.get("tools_new_teams") or None,
            who=shell.current_viewer().email,
        )
    except SalesopsError as exc:
        state["tools_open_outcome"] = ("error", f"{exc.message} {exc.hint}")
    else:
        # The links exist only here, in this admin's session, until downloaded: the store keeps no
        # rep for a link, so the page can never list them (or who used theirs) again.
        url = urlsplit(st.context.url or "")
        base = f"{url.scheme}://{url.netloc}" if url.netloc else ""
        links = opened.link_list.assign(link=base + "/?token=" + opened.link_list["token"])
        state["tools_new_links"] = (opened.round_id, links[["rep_id", "rep", "team_id", "link"]])
        state["tools_open_outcome"] = ("ok", f"Opened round {opened.round_id} with {opened.links} links.")


# ---- survey rounds (ops) --------------------------------------------------------------------
def survey_rounds() -> None:
    st.subheader("Rounds")
    if len(round_list):
        tables.show(
            round_list,
            {
                "name": "Round",
                "opens_on": None,
                "closes_on": None,
                "status": None,
                "tools": None,
                "links": None,
                "answered": None,
                "round_id": fmt.Col("Round ID", help="The id the CLI takes (python -m salesops survey …)."),
            },
            key="tools_rounds_table",
        )
    else:
        st.caption("No survey round yet.")
    tools = loaders.load_tools()
    teams_all = loaders.load_teams()
    with st.form("tools_new_round"):
        st.markdown("**Open a new round** — one private link per active rep; answers are anonymous.")
        st.text_input("Name", value=f"Tool survey {widgets.today():%B %Y}", key="tools_new_name")
        st.multiselect(
            "Tools",
            tools["tool_id"].tolist(),
            default=tools["tool_id"].tolist(),
            format_func=dict(zip(tools["tool_id"], tools["name"])).get,
            key="tools_new_tools",
        )
        d1, d2 = st.columns(2)
        d1.date_input("Opens", value=widgets.today(), key="tools_new_opens")
        d2.date_input("Closes", value=widgets.today() + timedelta(days=21), key="tools_new_closes")
        st.multiselect(
            "Only these teams (empty: all)",
            teams_all["team_id"].tolist(),
            format_func=dict(zip(teams_all["team_id"], teams_all["name"])).get,
            key="tools_new_teams",
        )
        st.form_submit_button(
            "Open round",
            key="tools_open_round",
            icon=":material/send:",
            on_click=open_round,
            args=(loaders.engine(),),
        )
    outcome = st.session_state.pop("tools_open_outcome", None)
    if outcome:
        (st.success if outcome[0] == "ok" else st.error)(fmt.md_escape(outcome[1]))
    fresh = st.session_state.get("tools_new_links")
    if fresh:
        rid, links = fresh
        st.subheader("Links of the new round")
        st.warning(
            "Download the link list now and send each rep their own link: it is shown this once. The "
            "store keeps no name with a link, so no one — admins included — can list the links again or "
            "see who has answered; afterwards this page shows counts only.",
            icon=":material/key:",
        )
        widgets.csv_download(links, f"survey-links-{rid}.csv", key="tools_links_csv", label="Download the links (CSV)")
        if st.button("I have the links — forget them", key="tools_links_forget"):
            st.session_state.pop("tools_new_links", None)
            st.rerun()


# Only the open tab runs, its queries included (a fresh visit draws the survey results alone); the tab is
# in the URL, so a link reopens it.
for tab, draw in zip(tabs, (survey_results, tools_and_performance, lead_fairness, survey_rounds)):
    if tab.open:
        with tab:
            draw()

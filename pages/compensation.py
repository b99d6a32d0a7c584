"""Compensation: simulate a plan on the reps' actual attainment, try what-ifs, compare plans, publish the plan document."""

from decimal import Decimal
from fractions import Fraction

import streamlit as st

from pages.ui import loaders, shell, tables, widgets
from salesops import format as fmt
from salesops.comp import charts as comp_charts
from salesops.comp import document as comp_doc
from salesops.comp import engine as comp_engine
from salesops.comp import plan as comp
from salesops.comp import plan_format
from salesops.comp import queries as comp_store
from salesops.comp import summary as comp_summary

scope = shell.page("Compensation")
st.title("Compensation")
fraction = comp_store.period_fraction(scope)
st.caption(
    f"{fmt.md_escape(scope.label())} · pay for {fmt.count(len(scope.periods()), scope.grain)} = {fraction} of the yearly plan, "
    "on won revenue against quota in this view"
)

if scope.viewer is not None and not scope.viewer.sees_individual_money:
    st.info("This account (role viewer, for screen-sharing) does not see anyone's pay.", icon=":material/lock:")
    st.stop()
attainment = loaders.load_attainment(scope)
if attainment.empty:
    widgets.empty_state("reps with a quota or won deals")
    st.stop()

hide = widgets.presentation()
done, total = scope.elapsed_days(widgets.today())
partial = done < total


def projected_attainment(frame, elapsed_share: float):
    """The same pace to the period's end: bookings to date ÷ the elapsed share (quotas unchanged)."""
    cols = {
        c: (frame[c].astype("float64") / elapsed_share).round().astype("int64")
        for c in ("booked_cents", "team_booked_cents", *comp_engine.KIND_COLUMNS.values())
        if c in frame.columns
    }
    return frame.assign(**cols)


_teams = loaders.load_teams()
TEAM_NAMES = dict(zip(_teams["team_id"], _teams["name"]))


def _dec(x: float, places: int = 2) -> Decimal:
    """A slider's float as the exact decimal the user saw (0.1 stays 0.1)."""
    return Decimal(str(round(x, places)))


def plan_editor() -> comp.CompPlan | None:
    """The knobs of plan A; returns the plan, or None after showing why it is invalid."""
    name = st.text_input("Plan name", "Standard plan", key="comp_name", bind="query-params", max_chars=120)
    c1, c2 = st.columns(2)
    base = c1.number_input(
        "Base salary ($/yr)", 0, 10_000_000, 90_000, step=5_000, key="comp_base", bind="query-params"
    )
    target = c2.number_input(
        "Target variable ($/yr)", 0, 10_000_000, 90_000, step=5_000, key="comp_tv", bind="query-params"
    )
    mode = st.radio(
        "Team part",
        ["split", "bonus"],
        key="comp_team_mode",
        bind="query-params",
        horizontal=True,
        format_func={"split": "Individual/team split", "bonus": "Individual + team bonus"}.get,
    )
    knobs: dict = {}
    if mode == "split":
        share = st.slider("Individual share of variable (%)", 0, 100, 75, step=5, key="comp_split", bind="query-params")
        st.caption(f"Team share: {100 - share}% — paid on the team's won revenue ÷ the team's quota.")
        knobs["individual_share"] = Decimal(share) / 100
    else:
        trigger = st.slider(
            "Team bonus from team attainment (%)", 50, 150, 100, step=5, key="comp_bonus_min", bind="query-params"
        )
        bonus = st.slider(
            "Team bonus (% of target variable)", 0, 50, 10, step=1, key="comp_bonus_pct", bind="query-params"
        )
        knobs |= {"team_bonus_min": Decimal(trigger) / 100, "team_bonus_pct": Decimal(bonus) / 100}
    mechanic = st.radio(
        "Mechanic",
        ["marginal", "whole_tier"],
        key="comp_mechanic",
        bind="query-params",
        horizontal=True,
        format_func={"marginal": "Marginal (each band its rate)", "whole_tier": "Whole tier"}.get,
        help="Marginal pays each band at its own rate, like tax brackets. Whole tier applies the rate of the highest band reached to everything.",
    )
    threshold = st.slider(
        "Threshold: nothing below (% attainment)", 0, 90, 0, step=5, key="comp_threshold", bind="query-params"
    )
    threshold_mode = st.radio(
        "Once the threshold is cleared, pay",
        ["retroactive", "excess_only"],
        key="comp_threshold_mode",
        bind="query-params",
        horizontal=True,
        format_func={"retroactive": "from the first dollar", "excess_only": "only the excess"}.get,
        disabled=threshold == 0,
    )
    decel = st.slider(
        "Multiplier 0–50% (decelerator below 1)", 0.0, 1.0, 1.0, step=0.05, key="comp_decel", bind="query-params",
        help="The 50–100% band is set so that 100% attainment pays exactly the target (marginal plans).",
    )  # fmt: skip
    accel = st.slider("Accelerator 100–150%", 0.0, 4.0, 1.5, step=0.1, key="comp_accel", bind="query-params")
    super_accel = st.slider("Accelerator above 150%", 0.0, 5.0, 2.0, step=0.1, key="comp_super", bind="query-params")
    cap = st.slider("Cap (% of target variable, 0 = none)", 0, 500, 300, step=25, key="comp_cap", bind="query-params")
    try:
        return comp.standard_plan(
            name=name.strip() or "Untitled plan",
            base_salary_cents=int(base) * 100,
            target_variable_cents=int(target) * 100,
            team_mode=mode,
            mechanic=mechanic,
            threshold=Decimal(threshold) / 100,
            threshold_mode=threshold_mode,
            decelerator=_dec(decel),
            accelerator=_dec(accel, 1),
            super_accelerator=_dec(super_accel, 1),
            cap_pct=Decimal(cap) / 100 if cap else None,
            **knobs,
        )
    except comp.InvalidPlan as exc:
        st.error(fmt.md_escape(f"{exc.message} {exc.hint}"), icon=":material/error:")
        return None


def show_payouts(plan: comp.CompPlan) -> None:
    payouts = comp_engine.compute_payouts(plan, attainment, fraction)
    cost = comp_summary.summarize_payouts(payouts)
    cols = st.columns(4)
    cols[0].metric(
        "Plan cost to date" if partial else "Plan cost",
        fmt.money(cost.variable_cents),
        help="Variable pay of all reps in this view for the period (components + team bonus, after the cap).",
    )
    cols[1].metric(
        "Cost ÷ revenue",
        fmt.pct(cost.cost_pct_of_revenue, 1),
        help="Cost as % of revenue: (base salaries + variable pay) ÷ won revenue of these reps in the period.",
    )
    cols[2].metric(
        "Effective rate",
        fmt.pct(cost.effective_rate, 1),
        help="Effective commission rate: variable pay ÷ won revenue, what each booked dollar costs in variable pay.",
    )
    cols[3].metric(
        "At/above quota",
        f"{cost.at_or_above_quota}/{cost.reps}",
        help="Reps at or above 100% attainment, of all reps shown.",
    )
    if partial:
        share = scope.elapsed_share(widgets.today())
        ahead = comp_summary.summarize_payouts(
            comp_engine.compute_payouts(plan, projected_attainment(attainment, share), fraction)
        )
        st.info(
            f"**Pay to date** ({fmt.elapsed(done, total, scope.grain)}): bookings so far against the whole "
            f"{scope.grain}'s quota, so attainment and pay are still growing. At the same pace to the end of the "
            f"{scope.grain} the plan would cost **{fmt.money(ahead.variable_cents)}** "
            f"({ahead.at_or_above_quota} of {ahead.reps} reps at or above quota).",
            icon=":material/hourglass_top:",
        )
    st.caption(
        f"Total variable pay: {fmt.dollars(cost.variable_cents)} · base salaries {fmt.dollars(cost.base_cents)} · "
        f"won revenue {fmt.dollars(cost.revenue_cents)} · {fmt.count(cost.capped_reps, 'rep')} capped"
    )
    widgets.chart(comp_charts.payout_distribution_chart(payouts), width="stretch")
    if hide:
        st.info("Individual pay is hidden in presentation mode.", icon=":material/visibility_off:")
    else:
        st.caption("Each rep's pay under this plan: the **Per rep** tab (it follows the sliders too).")


def show_per_rep(plan: comp.CompPlan) -> None:
    """The per-rep payout table and its CSV: a tab of its own, so a slider move on Payouts redraws the
    cost tiles and the chart only (the table is the larger part of a move's redraw: BENCHMARKS.md)."""
    if hide:
        st.info("Individual pay is hidden in presentation mode.", icon=":material/visibility_off:")
        return
    payouts = comp_engine.compute_payouts(plan, attainment, fraction)
    st.dataframe(
        comp_summary.payout_table(payouts, TEAM_NAMES),
        hide_index=True,
        width="stretch",
        placeholder=fmt.MISSING,
        column_config={
            "Attainment": st.column_config.NumberColumn(format="percent", step=0.01),
            "Team attainment": st.column_config.NumberColumn(format="percent", step=0.01),
            **{
                c: st.column_config.NumberColumn(format="dollar", step=1)
                for c in (
                    "Individual component",
                    "Team component",
                    "Team bonus",
                    "Cap adjustment",
                    "Variable pay",
                    "Base + variable",
                )
            },
        },
        key="comp_table",
    )
    widgets.csv_download(payouts, "payouts.csv", key="comp_csv", label="Download payouts (CSV, cents)")


def _reset_what_if() -> None:
    """A newly picked rep starts from their actual attainment and their team's."""
    for k in ("comp_whatif_att", "comp_whatif_team"):
        st.session_state.pop(k, None)


@st.fragment
def what_if(plan: comp.CompPlan) -> None:
    if hide:
        st.info(
            "The what-if shows one rep's pay, so it is hidden in presentation mode.", icon=":material/visibility_off:"
        )
        return
    labels = {r.rep_id: f"{r.name} ({TEAM_NAMES.get(r.team_id, r.team_id)})" for r in attainment.itertuples()}
    rep_id = st.selectbox("Rep", list(labels), format_func=labels.get, key="comp_whatif_rep", on_change=_reset_what_if)
    row = attainment.set_index("rep_id").loc[rep_id]
    actual = row.booked_cents / row.quota_cents if row.quota_cents else 0.0
    team_actual = row.team_booked_cents / row.team_quota_cents if row.team_quota_cents else 0.0
    c1, c2 = st.columns(2)
    att_pct = c1.slider("Their attainment (%)", 0, 250, min(250, round(actual * 100)), key="comp_whatif_att")
    team_pct = c2.slider("Team attainment (%)", 0, 250, min(250, round(team_actual * 100)), key="comp_whatif_team")
    if not row.quota_cents:
        st.warning("This rep has no quota in the period, so attainment-based pay is 0.", icon=":material/warning:")
    payout = comp_engine.compute_payout(
        plan,
        quota_cents=int(row.quota_cents),
        booked_cents=round(int(row.quota_cents) * att_pct / 100),
        team_attainment=Fraction(team_pct, 100),
        period_fraction=fraction,
    )
    cols = st.columns(3)
    cols[0].metric("Individual", fmt.exact_dollars(payout.individual_cents))
    cols[1].metric("Team", fmt.exact_dollars(payout.team_cents))
    cols[2].metric("Team bonus", fmt.exact_dollars(payout.team_bonus_cents))
    cols = st.columns(3)
    cols[0].metric("Cap adjustment", fmt.exact_dollars(payout.cap_adjustment_cents))
    cols[1].metric("Variable pay", fmt.exact_dollars(payout.variable_cents))
    cols[2].metric("Base + variable", fmt.exact_dollars(payout.total_earnings_cents))
    st.caption(
        f"Actual: {fmt.pct(actual)} of a {fmt.money(row.quota_cents)} quota, team at {fmt.pct(team_actual)}. "
        f"Base for the period {fmt.exact_dollars(payout.base_cents)}."
    )
    if row.quota_cents:
        curve = comp_summary.payout_curve(
            plan,
            int(row.quota_cents),
            Decimal("2.5"),
            101,
            team_attainment=Fraction(team_pct, 100),
            period_fraction=fraction,
        )
        widgets.chart(
            comp_charts.payout_curve_chart(
                curve, (att_pct / 100, payout.variable_cents / 100), "Their pay along the plan"
            ),
            width="stretch",
        )


def compare(plan: comp.CompPlan, other: comp.CompPlan) -> None:
    a = comp_engine.compute_payouts(plan, attainment, fraction)
    b = comp_engine.compute_payouts(other, attainment, fraction)
    ca, cb = comp_summary.summarize_payouts(a), comp_summary.summarize_payouts(b)
    cols = st.columns(3)
    cols[0].metric("Plan cost — A (your knobs)", fmt.money(ca.variable_cents))
    cols[1].metric(
        f"Plan cost — B ({other.name})",
        fmt.money(cb.variable_cents),
        fmt.delta_pct(cb.variable_cents, ca.variable_cents),
    )
    cols[2].metric(
        "Effective rate A → B",
        fmt.pct(cb.effective_rate, 1),
        fmt.delta_pts(cb.effective_rate, ca.effective_rate),
        help=f"A: {fmt.pct(ca.effective_rate, 1)}",
    )
    diff = comp_summary.compare_payouts(a, b)
    widgets.chart(comp_charts.compare_chart(diff), width="stretch")
    if hide:
        st.info("Individual pay is hidden in presentation mode.", icon=":material/visibility_off:")
        return
    st.dataframe(
        comp_summary.compare_table(diff, TEAM_NAMES),
        hide_index=True,
        width="stretch",
        placeholder=fmt.MISSING,
        column_config={
            "Attainment": st.column_config.NumberColumn(format="percent", step=0.01),
            **{c: st.column_config.NumberColumn(format="dollar", step=1) for c in ("Plan A", "Plan B", "B − A")},
        },
        key="comp_compare_table",
    )


def pick_other_plan() -> comp.CompPlan | None:
    """Plan B: a saved version, an example plan or an uploaded JSON file."""
    options: dict[str, tuple[str, object]] = {}
    for name, text in comp_store.example_plans().items():
        options[f"Example: {name}"] = ("json", text)
    saved = loaders.list_plans()
    for r in saved.itertuples():
        options[f"Saved: {r.name} v{r.version}"] = ("saved", (r.plan_id, int(r.version)))
    options["Upload a plan file…"] = ("upload", None)
    choice = st.selectbox("Compare with (plan B)", list(options), key="comp_compare_with", bind="query-params")
    kind, ref = options[choice]
    try:
        if kind == "json":
            return plan_format.plan_from_json(ref, choice)
        if kind == "saved":
            return loaders.load_plan(*ref)
        upload = st.file_uploader("Plan JSON (docs/COMP_PLANS.md)", type=["json"], key="comp_upload")
        if upload is None:
            return None
        return plan_format.plan_from_json(upload.getvalue().decode("utf-8", errors="replace"), upload.name)
    except comp.InvalidPlan as exc:
        st.error(fmt.md_escape(f"{exc.message} {exc.hint}"), icon=":material/error:")
        return None


def plan_document(plan: comp.CompPlan) -> None:
    c1, c2, c3 = st.columns(3)
    slug = plan_format.plan_slug(plan.name)
    c1.download_button(
        "Plan document (Markdown)", comp_doc.plan_markdown(plan), f"{slug}.md", "text/markdown", key="comp_dl_md",
        icon=":material/description:",
    )  # fmt: skip
    c2.download_button(
        "Plan document (HTML)", comp_doc.plan_html(plan), f"{slug}.html", "text/html", key="comp_dl_html",
        icon=":material/code:",
    )  # fmt: skip
    c3.download_button(
        "Plan definition (JSON)", plan_format.plan_to_json(plan), f"{slug}.json", "application/json", key="comp_dl_json",
        icon=":material/data_object:",
    )  # fmt: skip
    with st.container(border=True):
        st.markdown(comp_doc.plan_markdown(plan))


def save(plan: comp.CompPlan) -> None:
    st.write("Save this plan as a new version; saved versions can be compared (plan B) and reloaded by the CLI.")
    if st.button("Save plan version", key="comp_save", icon=":material/save:"):
        viewer = shell.current_viewer()
        plan_id, version = comp_store.save_plan(loaders.engine(), plan, who=viewer.email, viewer=viewer)
        st.success(fmt.md_escape(f"Saved {plan.name} as {plan_id} version {version}."), icon=":material/check:")
    saved = loaders.list_plans()
    if len(saved):
        tables.show(
            saved,
            {
                "name": "Plan",
                "version": fmt.Col("Version", "count"),
                "created_at": fmt.Col("Saved at", "date"),
                "plan_id": fmt.Col("Plan ID", help="The id the CLI takes: python -m salesops comp --plan-id …"),
            },
            key="comp_saved",
        )


@st.fragment
def simulator() -> None:
    left, right = st.columns([1, 2.6], gap="large")
    with left:
        st.subheader("Plan A")
        plan = plan_editor()
    if plan is None:
        return
    with right:
        # Only the open tab runs: a slider move recomputes the payouts, not the hidden what-if, plan B's
        # payouts and three plan documents. The tab is in the URL, so a link reopens it.
        tabs = st.tabs(
            ["Payouts", "Per rep", "What-if", "Compare", "Plan document", "Save"], key="comp_tab", bind="query-params"
        )
        if tabs[0].open:
            with tabs[0]:
                show_payouts(plan)
        if tabs[1].open:
            with tabs[1]:
                show_per_rep(plan)
        if tabs[2].open:
            with tabs[2]:
                what_if(plan)
        if tabs[3].open:
            with tabs[3]:
                other = pick_other_plan()
                if other is not None:
                    compare(plan, other)
        if tabs[4].open:
            with tabs[4]:
                plan_document(plan)
        if tabs[5].open:
            with tabs[5]:
                if hide:
                    st.info("Saving is off in presentation mode.", icon=":material/visibility_off:")
                elif not scope.viewer or not scope.viewer.is_staff:
                    st.info("Plan versions are saved by admin and ops users.", icon=":material/lock:")
                else:
                    save(plan)


simulator()

"""Forecasts: the outlook (won + pipeline + run-rate, calibrated), Prophet forecasts of won revenue, their track record, and the chance of making quota."""

import pandas as pd
import streamlit as st

from pages.ui import loaders, shell, tables, widgets
from salesops import access
from salesops import format as fmt
from salesops.errors import InvalidFilter, NotComputedYet
from salesops.forecasts import apart, outlook_cache, targets
from salesops.forecasts import charts as forecast_charts
from salesops.forecasts import choice as choice_mod
from salesops.forecasts import model as forecast
from salesops.forecasts import outlook as outlook_mod
from salesops.forecasts import service as forecast_store

scope = shell.page("Forecasts")
engine = loaders.engine()
today = widgets.today()
present = widgets.presentation()

if scope.team_id:
    by, series = "team", scope.team_id
elif scope.region:
    by, series = "region", scope.region
else:
    by, series = "company", None

st.title("Forecasts")
if not access.may_see_series(scope.viewer, by, series):  # the library refuses it too (AccessDenied)
    st.info(
        "Your role sees the company's forecast and your own teams' only: pick one of those.", icon=":material/lock:"
    )
    st.stop()


# ---- the outlook: won so far + pipeline + run-rate, calibrated (docs/FORECASTS.md) -------------------
OUTLOOK_LEVEL = {"company": "region", "region": "team", "team": "rep"}
OUTLOOK_COLUMNS = {
    "label": "Series",
    "won_to_date": "Won so far",
    "pipeline": "Open pipeline (expected)",
    "runrate": "Run-rate (expected)",
    "expected": "Expected",
    "p10": "P10",
    "p50": "P50",
    "p90": "P90",
    "quota": "Quota",
    "chance": "Chance of quota",
}


def _outlook_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Readable headers and whole dollars for the outlook rows."""
    out = pd.DataFrame({"label": frame["label"]})
    for col, src in (
        ("won_to_date", "won_to_date_cents"),
        ("pipeline", "pipeline_expected_cents"),
        ("runrate", "runrate_expected_cents"),
        ("expected", "expected_cents"),
        ("p10", "p10_cents"),
        ("p50", "p50_cents"),
        ("p90", "p90_cents"),
        ("quota", "quota_cents"),
    ):
        out[col] = [fmt.dollars(v) if pd.notna(v) else "no quota" for v in frame[src]]
    out["chance"] = [outlook_mod.chance_label(c) for c in frame["chance_of_quota"]]
    return out.rename(columns=OUTLOOK_COLUMNS)


METHOD_HELP = {
    "outlook": "Won so far + open deals weighted by learned win rates + run-rate, simulated and calibrated.",
    "Prophet alone": "Won so far + Prophet on monthly won revenue for the quarter's remaining months.",
    "seasonal naive": "Won so far + the same rest of the quarter one year earlier (a single number, no range).",
}


def model_tiles(row: pd.Series, choice, kind: str):
    """The headline tiles of the model chosen by backtest for this series (or the one picked); the
    choice's reason under them. Returns the choice (None when not computed yet or for a month) and the
    method shown."""
    methods = [] if choice is None else [m for m in choice_mod.METHODS if m in set(choice.table["method"])]
    method = "outlook"
    if choice is not None:
        method = (
            st.segmented_control(
                "Model",
                methods,
                default=choice.chosen,
                key="outlook_model",
                format_func=lambda m: m[0].upper() + m[1:],
                bind="query-params",
                help="Chosen per series by the backtest; the others are one click away.",
            )
            or choice.chosen
        )
    figures = row
    if method != "outlook" and choice is not None:
        r = choice.table[choice.table["method"] == method].iloc[0]
        figures = pd.Series(
            {"p50_cents": r["now_p50"], "p10_cents": r["now_p10"], "p90_cents": r["now_p90"], "chance": r["now_chance"]}
        )
    k = st.columns(5)
    k[0].metric("Expected (P50)", fmt.money(figures["p50_cents"]), help=METHOD_HELP[method])
    ranged = pd.notna(figures["p10_cents"])
    k[1].metric(
        "Low (P10)",
        fmt.money(figures["p10_cents"]) if ranged else "no range",
        help="9 in 10 outcomes should be above." if ranged else "Seasonal naive is a single number.",
    )
    k[2].metric(
        "High (P90)",
        fmt.money(figures["p90_cents"]) if ranged else "no range",
        help="9 in 10 outcomes should be below." if ranged else "Seasonal naive is a single number.",
    )
    k[3].metric("Quota", fmt.money(row["quota_cents"]) if pd.notna(row["quota_cents"]) else "no quota")
    chance = row["chance_of_quota"] if method == "outlook" else figures["chance"]
    k[4].metric(
        "Chance of quota",
        outlook_mod.chance_label(chance) if pd.notna(row["quota_cents"]) and pd.notna(chance) else "not given",
        help="From the same draws; never 0% or 100% while the period is open and quota not met. "
        "Seasonal naive gives none (no distribution).",
    )
    if choice is None and kind == "quarter":
        st.caption(
            "Model: the outlook. The per-series choice by backtest (outlook, Prophet alone, seasonal naive) is not "
            "computed for this data yet: it runs ahead after the demo build, after each import and when the app "
            "starts (a few minutes, in the background), or with `python -m salesops model-choice`."
        )
    elif choice is None:
        st.caption("Model: the outlook (the model choice by backtest is made on quarters).")
    else:
        shown = "" if method == choice.chosen else f" Showing {method} (picked); the backtest chose {choice.chosen}."
        st.markdown(f"**Model chosen: {choice.chosen}** — {fmt.md_escape(choice.reason)}.{fmt.md_escape(shown)}")
    return choice, method


def track_record(choice) -> None:
    """Every method's backtest figures for this series (the choice's table)."""
    with st.expander("Track record of each model"):
        t = choice.table
        shown = pd.DataFrame(
            {
                "Model": [
                    f"{m[0].upper()}{m[1:]}" + (" (chosen)" if c else "")
                    for m, c in zip(t["method"], t["chosen"], strict=True)
                ],
                "WAPE at start": [fmt.pct(v) for v in t["wape_start"]],
                "WAPE at one third": [fmt.pct(v) for v in t["wape_third"]],
                "WAPE at two thirds": [fmt.pct(v) for v in t["wape_two_thirds"]],
                "MASE": [f"{v:.2f}" if pd.notna(v) else "—" for v in t["mase"]],
                "P10–P90 coverage": [fmt.pct(v) if pd.notna(v) else "no range" for v in t["coverage_80"]],
                "Quarters": t["quarters"].astype(int),
            }
        )
        tables.show(shown, {c: fmt.Col(c) for c in shown.columns}, key="outlook_methods")
        st.caption(
            "WAPE: Σ|actual − forecast| ÷ Σ actual over the backtest quarters, as of each point. MASE: errors ÷ the "
            "in-sample seasonal-naive error (Hyndman). Coverage of the outlook: its calibrated range, each quarter "
            "judged by the factor learned from the others."
        )


def outlook_waiting(kind: str, period: str) -> None:
    """The outlook is not stored for this data yet: it is computed in a child process (never in the
    app's: salesops.forecasts.apart); say so, and rerun the page once it is stored."""
    job = loaders.compute_apart(today, (kind,))
    if job is None:
        if loaders.outlooks_missing(today, kind):  # a store without deals: nothing to compute from
            st.info(f"No won deals, open pipeline or history for {period} yet.", icon=":material/info:")
            return
        st.rerun()  # stored meanwhile
    if job.failed:
        st.warning(
            f"{fmt.md_escape(job.message(f'The {period} outlook'))}. In a terminal, "
            f"`python -m salesops outlook --period {period}` computes it and shows any error.",
            icon=":material/warning:",
        )
        return
    st.info(job.message(f"The {period} outlook"), icon=":material/hourglass_top:")

    @st.fragment(run_every=apart.POLL_SECONDS)
    def poll() -> None:
        """Every few seconds: once this period is stored (a child computing the quarter and the month
        stores the quarter first) or the child has ended (failed), the whole page reruns."""
        if not job.running or not loaders.outlooks_missing(today, kind):
            st.rerun()

    poll()


@st.fragment
def outlook_section() -> None:
    """The quarter's (or month's) outlook for this view and the level below it, with its track record."""
    st.subheader("Outlook: what we will close")
    kind = (
        st.segmented_control(
            "Period",
            ["quarter", "month"],
            default="quarter",
            key="outlook_kind",
            format_func=str.capitalize,
            bind="query-params",
        )
        or "quarter"
    )
    period = outlook_cache.current_period(kind, today)
    lower = OUTLOOK_LEVEL[by]
    try:
        mine = loaders.outlook(period, by, today)
        rows = loaders.outlook(period, lower, today)
    except NotComputedYet:
        outlook_waiting(kind, period)
        return
    if series is not None:
        mine = mine[mine["series"] == series]
    if len(mine) == 0 or int(mine["expected_cents"].sum()) == 0:
        st.info(f"No won deals, open pipeline or history for {period} in this view yet.", icon=":material/info:")
        return
    row = mine.iloc[0]
    picked, method = model_tiles(
        row, loaders.model_choice(today, by, row["series"]) if kind == "quarter" else None, kind
    )
    widgets.let_tiles_show("forecasts")  # a first visit: the tiles on screen before the charts' code loads
    st.caption(
        ("The outlook (the chart below) of " if method != "outlook" else "")
        + f"{fmt.md_escape(row['label'])}, {period} as of {today} (the period is partial): won so far "
        f"{fmt.dollars(row['won_to_date_cents'])} + {int(row['open_deals']):,} open deals weighted by win rates learned "
        f"from history ({fmt.dollars(row['pipeline_expected_cents'])}) + deals not yet created "
        f"({fmt.dollars(row['runrate_expected_cents'])}). Suggested targets: {fmt.dollars(row['target_70_cents'])} is "
        f"reached 7 times in 10, {fmt.dollars(row['target_90_cents'])} 9 times in 10."
    )
    if by != "company":
        members = loaders.outlook_members(by, series, lower)
        rows = rows[rows["series"].isin(members)]
    if len(rows) == 0:
        st.caption(f"Your role does not see the {lower} outlooks inside this view; the total above is the whole view.")
    widgets.chart(
        forecast_charts.outlook_chart(
            pd.concat([mine, rows]), f"{period}: won so far, expected pipeline and run-rate, P10–P90"
        ),
        width="stretch",
        key="outlook_chart",
    )
    st.caption(
        f"{lower.capitalize()} outlooks are simulated bottom-up with the same draws: their expected values add up to "
        f"{fmt.md_escape(row['label'])}; percentiles (P10, P90) of a sum are not the sum of percentiles."
    )
    if picked is not None:
        track_record(picked)
    with st.expander(f"Outlook table ({lower}s)"):
        readable = _outlook_table(pd.concat([mine, rows]))
        tables.show(readable, {c: fmt.Col(c) for c in readable.columns}, key="outlook_table")
        widgets.csv_download(rows, f"outlook_{period}_{lower}.csv", key="outlook_csv")


outlook_section()
st.divider()
st.subheader("Prophet alone: won revenue per week or month")

cols = st.columns([1, 1, 1])
grain = cols[0].segmented_control(
    "Forecast by",
    ["week", "month"],
    default="week",
    key="forecast_grain",
    format_func=str.capitalize,
    bind="query-params",
)
grain = grain or "week"
default_h = forecast.default_horizon(today, grain)
horizon = cols[1].number_input(
    f"Horizon ({grain}s ahead)",
    min_value=1,
    max_value=104 if grain == "week" else 24,
    value=default_h,
    key=f"forecast_horizon_{grain}",
    bind="query-params",
    help=f"Counted from the current {grain}. Default: to the end of next quarter ({default_h} {grain}s).",
)
country = cols[2].selectbox(
    "Holidays",
    ["", *forecast.COUNTRIES],
    key="forecast_country",
    format_func=lambda c: "No holidays" if not c else forecast.COUNTRIES[c],
    bind="query-params",
    help="Model a country's public holidays (computed offline by the holidays package).",
)

try:
    result = loaders.forecast_series(by, series, grain, int(horizon), country or None, today)
except forecast.NotEnoughHistory as exc:
    if exc.periods == 0:
        widgets.empty_state("won deals to forecast")
    else:
        st.warning(f"**{fmt.md_escape(exc.message)}**\n\n{fmt.md_escape(exc.hint)}", icon=":material/hourglass_empty:")
    st.stop()

st.caption(
    f"Won revenue of {fmt.md_escape(result.label)} per {grain}, {int(horizon)} {grain}s ahead · shaded band: 80% interval "
    f"(8 in 10 outcomes should land inside) · history up to {forecast.last_complete_period(today, grain)} "
    f"({grain}s without a sale count as zero)"
)
for note in result.notes:
    st.info(fmt.md_escape(note), icon=":material/info:")

pipeline = loaders.pipeline_by_period(by, series, grain, int(horizon), today)
left, right = st.columns([2, 1])
with left:
    widgets.chart(
        forecast_charts.forecast_chart(
            result.history, result.forecast, pipeline, f"Won revenue per {grain}: actual, forecast and 80% interval"
        ),
        width="stretch",
        key="forecast_chart",
    )
with right:
    acc = result.accuracy
    st.subheader("Track record")
    m1, m2 = st.columns(2)
    m1.metric(
        "WAPE",
        fmt.pct(acc.wape),
        help="Weighted absolute percentage error over the backtest: Σ|actual − forecast| ÷ Σ actual. Lower is better.",
    )
    m2.metric(
        "MASE",
        "—" if acc.mase is None else f"{acc.mase:.2f}",
        help=(
            "Mean absolute scaled error (Hyndman): each error ÷ the in-sample error of the seasonal-naive "
            f"forecast on the training data. Against the {acc.baseline} baseline on the same periods, the "
            f"errors were {'—' if acc.rel_mae is None else f'{acc.rel_mae:.2f}×'} the baseline's (below 1 beats it)."
        ),
    )
    m3, m4 = st.columns(2)
    m3.metric(
        "MAPE",
        fmt.pct(acc.mape),
        help=f"Mean absolute percentage error over the {acc.mape_points} backtest periods whose actual is not near zero.",
    )
    m4.metric(
        "80% coverage",
        fmt.pct(acc.coverage),
        help="80% interval coverage: the share of actual outcomes that fell inside the 80% interval; well calibrated is about 80%.",
    )
    if acc.beats_naive is False:
        st.warning(result.verdict, icon=":material/warning:")
    elif acc.beats_naive:
        st.success(fmt.md_escape(result.verdict), icon=":material/check_circle:")
    else:
        st.info(fmt.md_escape(result.verdict))
    st.caption(
        f"Rolling-origin backtest: {acc.cutoffs} forecasts made from past dates, {acc.points} {grain}s compared "
        f"with what happened. Baseline: WAPE {fmt.pct(acc.naive_wape)}."
    )

if len(result.backtest):
    widgets.chart(
        forecast_charts.backtest_chart(result.backtest, result.history, "Past forecasts against what happened"),
        width="stretch",
        key="forecast_backtest_chart",
    )


def agreement_line(window: str) -> None:
    """Whether the weekly and monthly views of the period agree within their ranges, or why not."""
    try:
        found = loaders.grain_agreement(by, series, today, window, country or None)
    except (InvalidFilter, forecast.NotEnoughHistory):
        return  # the other grain does not cover this period or has too little history: nothing to compare
    icon = ":material/check_circle:" if found.agree else ":material/info:"
    st.caption(f"{icon} {fmt.md_escape(found.message)}")


@st.fragment
def target_section() -> None:
    """The chosen quarter/month against quota: probability, gap, suggested targets, pipeline."""
    st.subheader("Forecast against target")
    labels = targets.window_labels(result)
    if not labels:
        st.info("The horizon covers no whole month or quarter; lengthen it to compare with a target.")
        return
    default = targets.default_window(result, today)
    c1, c2 = st.columns([1, 2])
    window = c1.selectbox(
        "Period", labels, index=labels.index(default) if default in labels else 0, key="forecast_window"
    )
    confidence = c2.select_slider(
        "Confidence of the suggested target",
        options=[0.5, 0.6, 0.7, 0.8, 0.9],
        value=0.7,
        key="forecast_confidence",
        format_func=lambda c: f"P{round(c * 100)}",
        help="P70: a target reached in 7 of 10 outcomes of the forecast.",
    )
    out = loaders.target_outlook(by, series, grain, int(horizon), country or None, today, window, confidence)
    # Five tiles in a row fit on a laptop; presentation mode's large type needs two rows.
    k = [*st.columns(3), *st.columns(3)] if present else st.columns(5)
    k[0].metric("Quota", fmt.money(out.quota_cents), help="Quota of the reps in this series for the whole period.")
    k[1].metric(
        "Chance of reaching quota",
        fmt.pct(out.probability),
        help="Share of Prophet's predictive samples (plus what is already won) that reach the quota.",
    )
    k[2].metric(
        "Expected (P50)",
        fmt.money(out.expected_cents),
        None
        if out.gap_cents is None
        else f"{'-' if out.gap_cents > 0 else '+'}{fmt.money(abs(out.gap_cents))} vs quota",
        help=f"Won before {out.forecast_from} ({fmt.money(out.won_to_date_cents)}) + the median forecast of the rest.",
    )
    chosen = dict(out.suggested)[round(confidence, 2)]
    k[3].metric(
        f"Suggested target (P{round(confidence * 100)})",
        fmt.money(chosen),
        help="The total the forecast reaches with this probability: a realistic target.",
    )
    k[4].metric(
        "Pipeline-weighted",
        fmt.money(out.pipeline_cents),
        help="Won to date + open deals × stage probability expected to close in the period (overdue ones count now).",
    )
    if out.quota_cents is None:
        st.caption(f"No quota is set for {fmt.md_escape(out.label)} in this view.")
    elif out.gap_cents is not None:
        word = "short of" if out.gap_cents > 0 else "above"
        st.caption(
            f"{fmt.md_escape(out.label)}: the median forecast is {fmt.money(abs(out.gap_cents))} {word} quota; "
            f"the pipeline-weighted view says {fmt.money(out.pipeline_cents)}."
        )
    agreement_line(window)
    if not present:
        table = pd.DataFrame(
            {
                "confidence": [f"P{round(c * 100)}" for c, _ in out.suggested],
                "target_cents": [v for _, v in out.suggested],
            }
        )
        tables.show(
            table,
            {
                "confidence": fmt.Col("Confidence", help="The probability that the period reaches the target."),
                "target_cents": fmt.Col("Suggested target", "money"),
            },
            key="forecast_targets",
            width="content",
        )


target_section()

if not present:
    with st.expander("Forecast table"):
        table = result.forecast.assign(
            yhat=result.forecast["yhat"].round() / 100,
            yhat_lower=result.forecast["yhat_lower"].round() / 100,
            yhat_upper=result.forecast["yhat_upper"].round() / 100,
        )
        shown = {
            "ds": fmt.Col(f"{grain.capitalize()} starting", "date"),
            "yhat": fmt.Col("Forecast", "money", "The median forecast of won revenue."),
            "yhat_lower": fmt.Col("Low (P10)", "money"),
            "yhat_upper": fmt.Col("High (P90)", "money"),
        }
        tables.show(
            result.forecast, {k: v for k, v in shown.items() if k in result.forecast.columns}, key="forecast_table"
        )
        widgets.csv_download(table, f"forecast_{by}_{series or 'company'}_{grain}.csv", key="forecast_csv")
    if st.toggle(
        "Compare the track record of every team",
        key="forecast_compare",
        help="Fits every team (in parallel processes); stored, so it is quick the second time.",
    ):
        results = loaders.forecast_all("team", grain, int(horizon), country or None, today)
        board = forecast_store.accuracy_table(results)
        rules = {
            "label": fmt.Col("Team"),
            "forecast_cents": fmt.Col(f"Forecast, next {int(horizon)} {grain}s", "money"),
            "wape": fmt.Col("WAPE", "pct", "Weighted absolute percentage error in the backtest (lower is better)."),
            "mape": fmt.Col("MAPE", "pct", "Mean absolute percentage error in the backtest."),
            "mase": fmt.Col("MASE", "score", "Error ÷ the naive baseline's error (below 1 beats it)."),
            "rel_mae": fmt.Col(
                "Error ÷ baseline's", "score", "Mean absolute error ÷ the baseline's (below 1 beats it)."
            ),
            "coverage": fmt.Col("80% coverage", "pct", "Share of backtest actuals inside the 80% band."),
            "beats_naive": fmt.Col("Beats baseline", "check"),
            "note": fmt.Col("Note"),
        }
        tables.show(board, {k: v for k, v in rules.items() if k in board.columns}, key="forecast_compare_table")

"""What the benchmark times: each page's library calls, whole page runs, comp, forecasts, imports.

``page_calls`` lists, per page, exactly the library calls the page makes on a default view (the
current quarter, all teams), so the benchmark measures what a manager waits for.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from salesops import customers, health
from salesops import leaderboards as leaderboard
from salesops import performance as metrics
from salesops.comp import engine as comp_engine
from salesops.comp import plan as comp
from salesops.comp import queries as comp_store
from salesops.forecasts import agreement, choice, outlook_cache, pipeline, targets
from salesops.forecasts import model as forecast
from salesops.forecasts import service as fs
from salesops.forecasts.history import load_history
from salesops.leaderboards import diagnosis
from salesops.performance import changes, funnel
from salesops.scope import Scope
from salesops.store import parallel
from salesops.store import sql as queries
from salesops.tools import fairness, results, rounds, themes

PAGES = ("home", "performance", "leaderboards", "forecasts", "compensation", "tools", "customers")


def warm_outlooks_apart(engine, today: date) -> None:
    """Store this quarter's outlooks (salesops.forecasts.outlook_cache.warm_outlooks) in a child process."""
    code = (
        "import sys, datetime; from salesops import store; from salesops.forecasts import outlook_cache as oc; "
        "oc.warm_outlooks(store.open_store(sys.argv[1]), datetime.date.fromisoformat(sys.argv[2]), ('quarter',))"
    )
    url = engine.url.render_as_string(hide_password=False)
    subprocess.run([sys.executable, "-c", code, url, today.isoformat()], check=True)  # noqa: S603 - our own code


def page_calls(engine, today: date, forecasts: bool = True) -> dict[str, dict[str, Callable]]:
    """Each page's data calls on its default view. ``forecasts=False`` leaves out the Forecasts page and
    the forecast fits and outlooks it needs stored first (bench/pagecalls.py --skip-forecasts)."""
    sc = Scope.current(today, "quarter")
    round_list = rounds.load_rounds(engine)
    last_round = round_list["round_id"].iloc[-1] if len(round_list) else None
    with engine.connect() as conn:
        import sqlalchemy as sa

        ae_ids = [
            r[0] for r in conn.execute(sa.text("SELECT rep_id FROM reps WHERE role = 'AE' ORDER BY rep_id LIMIT 2"))
        ]
    first_ae, two_aes = ae_ids[0], ae_ids
    trend = customers.trend_scope(sc)
    last_period = trend.periods()[-1]
    listed, _ = customers.period_accounts_top(engine, trend, *last_period, today, "active")
    first_account = tuple(listed["customer_id"].head(1))
    horizon = forecast.default_horizon(today, "week")
    quarter = outlook_cache.current_period("quarter", today)
    if forecasts:
        fs.forecast_series(engine, "company", None, "week", horizon, None, today)  # the page's cached fit
        # The outlooks the page reads, stored as the demo build and an import store them; computed here
        # once per data version when missing, in a child process so the app's peak memory is not its.
        warm_outlooks_apart(engine, today)
        agreement.grain_agreement(engine, "company", None, today, quarter)  # stored when missing (and the monthly fit)
    tiles: dict = {}  # the performance page's last compare_kpis result, which it hands to pacing

    def tiles_and_pacing():  # the Team performance page's first read, then pacing on its tiles
        kpis = metrics.compare_kpis(engine, sc)
        return kpis, metrics.pacing(engine, sc, today, kpis[0])

    trend_teams = fairness.most_uneven(fairness.team_summary(fairness.rep_fairness(engine, sc, "capacity")))
    calls: dict[str, dict[str, Callable]] = {
        "home": {
            "load_teams": lambda: queries.load_teams(engine),
            "headline×3": lambda: metrics.compare_headline(engine, sc),
            "headline_trend": lambda: metrics.headline_trend(engine, sc, 8),
            "pipeline_flag_share": lambda: health.pipeline_flag_share(engine, sc, today),
        },
        # As the page runs them: the tiles' read and pacing on the page's thread while its five later
        # reads run at once on the reader pool (pages/ui/loaders.prefetch, salesops.store.parallel).
        "performance": {
            "compare_kpis + pacing here, five reads at once on the reader pool": lambda: parallel.run_all(
                engine,
                [
                    tiles_and_pacing,
                    lambda: metrics.attainment_by_team(engine, sc),
                    lambda: metrics.attainment_by_rep(engine, sc),
                    lambda: metrics.business_by_team(engine, sc),
                    lambda: funnel.funnel(engine, sc),
                    lambda: changes.week_review(engine, sc, 500),
                ],
            ),
        },
        # The same reads one after the other, each timed alone (where a slow page spends its time).
        "performance › each read alone": {
            "compare_kpis": lambda: tiles.update(now=metrics.compare_kpis(engine, sc)) or tiles["now"],
            # the page hands pacing the range's tiles (compare_kpis' first, the call before)
            "pacing": lambda: metrics.pacing(engine, sc, today, tiles["now"][0]),
            "attainment_by_team": lambda: metrics.attainment_by_team(engine, sc),
            "attainment_by_rep": lambda: metrics.attainment_by_rep(engine, sc),
            "business_by_team": lambda: metrics.business_by_team(engine, sc),
            "funnel": lambda: funnel.funnel(engine, sc),
            "week_review": lambda: changes.week_review(engine, sc, 500),
        },
        # Only the open tab runs: the board is the default view; the other tabs load on opening.
        "leaderboards": {
            "load_board_data": lambda: leaderboard.load_board_data(engine, sc, ("attainment",)),
        },
        "leaderboards › Why behind tab": {"diagnose": lambda: diagnosis.diagnose(engine, sc, first_ae)},
        "leaderboards › Side by side tab": {
            "load_rep_trend": lambda: leaderboard.load_rep_trend(engine, sc, tuple(two_aes)),
        },
        "forecasts": {
            "outlook (stored)": lambda: (
                outlook_cache.cached_outlook(engine, quarter, "company", today),
                outlook_cache.cached_outlook(engine, quarter, "region", today),
            ),
            "model choice (stored)": lambda: choice.series_choice(engine, today, "company", "company"),
            "weekly vs monthly (stored)": lambda: agreement.grain_agreement(engine, "company", None, today, quarter),
            "forecast_series (stored)": lambda: fs.forecast_series(
                engine, "company", None, "week", horizon, None, today
            ),
            "pipeline_by_period": lambda: pipeline.pipeline_by_period(engine, "company", None, "week", horizon, today),
            "target_outlook": lambda: targets.target_outlook(
                engine,
                "company",
                None,
                "week",
                horizon,
                None,
                today,
                f"{today.year}-Q{(today.month - 1) // 3 + 1}",
                0.7,
            ),
        },
        "compensation": {
            "load_attainment": lambda: comp_store.load_attainment(engine, sc),
            "list_plans": lambda: comp_store.list_plans(engine),
        },
        "tools": {
            "load_rounds": lambda: rounds.load_rounds(engine),
            "tool_results (all rounds, then the round)": lambda: results.of_round(
                results.tool_results(engine), last_round
            ),
            "tool_themes": lambda: themes.tool_themes(engine, last_round, "dialer", "dislikes"),
            # the page reads the breakdown once: its By team tab, and beside the performance
            "team_breakdown + tools_vs_performance": lambda: results.beside_performance(
                results.team_breakdown(engine, last_round), results.team_performance(engine, sc), sc
            ),
            "rep_fairness + team_summary": lambda: fairness.team_summary(fairness.rep_fairness(engine, sc, "capacity")),
            # the five most uneven teams of the period, as the page charts them
            "fairness_trend": lambda: fairness.fairness_trend(engine, sc, fairness.TREND_MONTHS, trend_teams),
        },
        "data › Data health": {
            "health_report": lambda: health.health_report(engine, today),
            "records_to_fix": lambda: health.records_to_fix(engine, today, 30, "stale"),
        },
        # What the page calls on a first visit: the view (its per-period table with the company split
        # is view.periods), and the drill-down's defaults: active customers of the latest period, then
        # the deals of the first account listed.
        "customers": {
            "customer_view": lambda: customers.customer_view(engine, sc, today),
            "drill_down_accounts": lambda: customers.period_accounts_top(engine, trend, *last_period, today, "active"),
            "drill_down_deals": lambda: customers.customer_deals_listed(engine, first_account, trend),
        },
    }
    if not forecasts:
        del calls["forecasts"]
    return calls


def apptest_runs(root: Path, reps: int) -> dict[str, tuple[float, float, float]]:
    """Server-side run time of each page through AppTest: (first, median warm, max warm) in ms."""
    from streamlit.testing.v1 import AppTest

    out = {}
    for page in PAGES:
        at = AppTest.from_file(str(root / "app.py"), default_timeout=600)
        at.run()
        t = time.perf_counter()
        at.switch_page(f"pages/{page}.py").run()
        first = (time.perf_counter() - t) * 1000
        if at.exception:
            raise RuntimeError(f"{page}: {at.exception}")
        runs = []
        for _ in range(reps):
            t = time.perf_counter()
            at.run()
            runs.append((time.perf_counter() - t) * 1000)
        out[page] = (first, statistics.median(runs), max(runs))
    return out


def comp_recompute(engine, today: date):
    """(number of reps, a function recomputing every rep's payout after a slider move)."""
    sc = Scope.current(today, "quarter")
    frame = comp_store.load_attainment(engine, sc)
    plan, fraction = comp.standard_plan(), comp_store.period_fraction(sc)
    return len(frame), lambda: comp_engine.compute_payouts(plan, frame, fraction)


def forecast_timings(engine, today: date, reps: int) -> dict:
    """One series' fit+predict, and every team series cold (fits + backtests, in processes)."""
    import sqlalchemy as sa

    from salesops.store import schema

    horizon = forecast.default_horizon(today, "week")
    history = load_history(engine, "company", "week", today).drop(columns="series")
    spec = forecast.ForecastSpec(grain="week", horizon=horizon)
    one = _timed(lambda: forecast.fit_forecast(history, spec), reps)

    def all_teams_cold():
        with engine.begin() as conn:  # a cache write, not a data change: no version bump
            conn.execute(sa.delete(schema.forecast_cache))
        return fs.forecast_all(engine, "team", "week", horizon, None, today)

    n_teams = len(queries.load_teams(engine))
    cold = _timed(all_teams_cold, 1, warmup=0)
    return {
        "one series fit+predict (weekly, company)": (one, 1000),
        f"all {n_teams} team series cold (fit + backtest, process pool)": (cold, None),
    }


def _timed(fn, reps: int, warmup: int = 1) -> tuple[float, float, float]:
    t = time.perf_counter()
    fn()
    first = (time.perf_counter() - t) * 1000
    runs = []
    for _ in range(max(reps, 1) if warmup else 0):
        t = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - t) * 1000)
    if not runs:
        return first, first, first
    return first, statistics.median(runs), max(runs)


def import_timing(engine, scratch: Path, n: int) -> float:
    """:func:`import_timing_url` into a scratch DuckDB file (removed afterwards)."""
    scratch.unlink(missing_ok=True)
    try:
        return import_timing_url(engine, f"duckdb:///{scratch}", n)
    finally:
        scratch.unlink(missing_ok=True)


def import_timing_url(engine, scratch_url: str, n: int) -> float:
    """Milliseconds to import ``n`` deal rows (CRM-shaped text cells) into a store with the org.

    The rows are the demo's deals repeated under new ids, written as an export would carry them:
    dates as text, amounts as "$1,234.50", reps by id. The scratch store gets the teams and reps
    first (not timed).
    """
    import pandas as pd

    from salesops import ingest, store
    from salesops.store import schema

    target = store.open_store(scratch_url)
    teams = store.read_frame(engine, schema.teams.select())
    reps = store.read_frame(engine, schema.reps.select())
    store.write(
        target, lambda c: (store.bulk_insert(c, schema.teams, teams), store.bulk_insert(c, schema.reps, reps)), "bench"
    )
    deals = store.read_frame(
        engine,
        schema.deals.select()
        .with_only_columns(
            schema.deals.c.rep_id,
            schema.deals.c.stage,
            schema.deals.c.amount_cents,
            schema.deals.c.created_date,
            schema.deals.c.close_date,
            schema.deals.c.probability_bp,
        )
        .limit(n),
    )
    reps_needed = -(-n // max(1, len(deals)))
    frame = pd.concat([deals] * reps_needed, ignore_index=True).iloc[:n]
    export = pd.DataFrame(
        {
            "deal_id": [f"X{i:08d}" for i in range(n)],
            "rep_id": frame.rep_id,
            "stage": frame.stage,
            "amount": (frame.amount_cents.fillna(0) / 100).map("${:,.2f}".format),
            "created_date": pd.to_datetime(frame.created_date).dt.strftime("%Y-%m-%d"),
            "close_date": pd.to_datetime(frame.close_date).dt.strftime("%Y-%m-%d"),
            "probability": (frame.probability_bp.fillna(0) / 100).round().astype(int).astype(str) + "%",
        }
    )
    t = time.perf_counter()
    ingest.import_frame(target, "deals", export, file_name=f"bench_{n}.csv")
    ms = (time.perf_counter() - t) * 1000
    target.dispose()
    return ms

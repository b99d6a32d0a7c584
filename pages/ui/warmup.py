"""Warm-up at server start: the first visit to each page should be no slower than a later one.

When the app's engine is first created (the first request after ``streamlit run``), :func:`start`
runs one daemon thread that, without blocking the page being served:

1. imports the heavy modules a page would import on its first run (Altair, Prophet …);
2. fills the loaders' cache (``st.cache_data``) with each page's default view — the current
   quarter, all teams, the default controls — page by page in the navigation's order, so a first
   visit finds its figures already computed; DuckDB's own caches warm along the way;
3. fits (or reads) the stored forecast of the Forecasts page's default view, so the forecast store
   holds it before anyone opens that page;
4. for an organisation of up to ``TEAMS_WARMED`` teams, each team's Home and Team performance
   tiles, so picking a team in the sidebar finds its figures cached;
5. last, when the store lacks this quarter's or month's outlooks at this data version, or the
   model choice (SALESOPS_MODEL_CHOICE: each forecast series' model chosen by backtest,
   :mod:`salesops.forecasts.choice`), starts the child process that computes them
   (:mod:`salesops.forecasts.apart`: minutes at scale, and more memory than the app's budget).

Each step is independent: a failure (an empty store, a page whose defaults cannot be derived) is
logged and skipped; the page then computes it on its own, as without the warm-up. Set
``SALESOPS_WARMUP=0`` to switch it off (the tests do, except the one that checks it).
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import date

from salesops import config

log = logging.getLogger("salesops.warmup")

_STARTED: set[str] = set()
_THREADS: list[threading.Thread] = []
_LOCK = threading.Lock()
#: Modules a first page run imports (a second or so on a loaded machine): imported here first.
#: Up to this many teams, the warm-up also fills each team's Home and Team performance (a few
#: queries per team: ~1 s for the small demo's 11 teams; a 330-team org skips it).
TEAMS_WARMED = 60
HEAVY_MODULES = ("altair", "salesops.forecasts.model", "salesops.comp.charts", "salesops.tools.charts")


def start(url: str) -> threading.Thread | None:
    """Start the warm-up for the store at ``url`` once per process; returns the thread (or None)."""
    if not config.warmup_enabled() or config.auth_mode() != "local":
        return None  # signed-in viewers each see their own rows: only local mode's one view is shared
    with _LOCK:
        if url in _STARTED:
            return None
        _STARTED.add(url)
    thread = threading.Thread(target=run, args=(url,), name="salesops-warmup", daemon=True)
    thread.start()
    _THREADS.append(thread)
    return thread


def wait(timeout: float | None = None) -> None:
    """Until every warm-up started in this process has finished (the launcher logs when the caches are full)."""
    for thread in list(_THREADS):
        thread.join(timeout)


def run(url: str) -> list[str]:
    """Every warm-up step in turn; returns the names of the steps that failed (logged)."""
    from pages.ui import loaders
    from salesops import store

    failed = []
    for name in HEAVY_MODULES:
        try:
            importlib.import_module(name)
        except ImportError:  # pragma: no cover - an optional chart module renamed: nothing to warm
            failed.append(name)
    today = config.today()
    try:
        version = store.data_version(loaders.engine_for(url))
    except Exception:  # noqa: BLE001 - the page shows the store's error; nothing to warm
        log.warning("warm-up skipped: the store %s cannot be opened", url, exc_info=True)
        return ["store"]
    for name, step in steps(today).items():
        try:
            step(url, version)
        except Exception:  # noqa: BLE001 - a failed step only means that page computes it itself
            log.warning("warm-up step %s failed", name, exc_info=True)
            failed.append(name)
    return failed


def steps(today: date) -> dict[str, Callable[[str, int], object]]:
    """Per page, the loader calls of its default view, as ``step(url, version)``."""
    from pages.ui import loaders as ld
    from salesops import access, health
    from salesops import leaderboards as lb
    from salesops.errors import NotComputedYet
    from salesops.forecasts import model as forecast
    from salesops.forecasts import outlook_cache, targets
    from salesops.scope import Scope
    from salesops.tools import fairness, results

    # The view local mode's viewer (the admin at the machine) gets: the same cache keys as its pages.
    sc = replace(Scope.current(today, "quarter"), viewer=access.LOCAL)
    horizon = forecast.default_horizon(today, "week")

    def home_view(u: str, v: int, scope: Scope) -> None:
        ld.compare_headline.warm(u, v, scope)
        ld.headline_trend.warm(u, v, scope, 8)
        ld.pipeline_flag_share.warm(u, v, scope, today)  # Home's and Team performance's health note

    def home(u: str, v: int) -> None:
        ld.load_teams.warm(u, v)
        ld.last_updated.warm(u, v)
        home_view(u, v, sc)

    def performance(u: str, v: int) -> None:
        ld.pacing.warm(u, v, sc, today, ld.compare_kpis.warm(u, v, sc)[0])
        teams = ld.attainment_by_team.warm(u, v, sc)
        ld.business_by_team.warm(u, v, sc)
        ld.attainment_by_rep.warm(u, v, sc)
        ld.funnel_by_team.warm(u, v, sc)
        ld.week_review.warm(u, v, sc, 500)
        if len(teams):  # the drill-down opens on the first team and its first rep
            team_reps = ld.attainment_by_rep.warm(u, v, replace(sc, team_id=teams["team_id"].iloc[0], region=None))
            if len(team_reps):
                ld.rep_deals.warm(u, v, sc, team_reps["rep_id"].iloc[0])

    def each_team(u: str, v: int) -> None:
        """Last, and only for an organisation of up to TEAMS_WARMED teams: Home and Team performance
        for each team picked in the sidebar (a team change is then a cache hit)."""
        teams = ld.load_teams.warm(u, v)
        if len(teams) > TEAMS_WARMED:
            return
        for team_id in teams["team_id"]:
            scope = replace(sc, team_id=team_id)
            home_view(u, v, scope)
            ld.pacing.warm(u, v, scope, today, ld.compare_kpis.warm(u, v, scope)[0])

    def leaderboards(u: str, v: int) -> None:
        ld.load_board_data.warm(u, v, sc, lb.trend_metrics("attainment", lb.DEFAULT_WEIGHTS))

    def forecasts(u: str, v: int) -> None:
        result = ld.forecast_series.warm(u, v, "company", None, "week", horizon, None, today)
        ld.pipeline_by_period.warm(u, v, "company", None, "week", horizon, today)
        window = targets.default_window(result, today)
        if window in targets.window_labels(result):
            ld.target_outlook.warm(u, v, "company", None, "week", horizon, None, today, window, 0.7)
            ld.grain_agreement.warm(u, v, "company", None, today, window, None)  # fits the monthly view too
        period = outlook_cache.current_period("quarter", today)  # the outlook: the company's and its regions'
        try:
            ld.outlook.warm(u, v, period, "company", today)
            ld.outlook.warm(u, v, period, "region", today)
        except NotComputedYet:  # not stored yet: computed apart (the last step), the page waits for it
            pass

    def compensation(u: str, v: int) -> None:
        ld.load_attainment.warm(u, v, sc)
        ld.list_plans.warm(u, v)

    def tools(u: str, v: int) -> None:
        round_id = results.default_round(ld.load_rounds.warm(u, v))
        history = ld.tool_results.warm(u, v)
        if round_id is not None:  # the page opens on Survey results: the round's teams and comments too
            ld.team_breakdown.warm(u, v, round_id)
            scores = results.of_round(history, round_id)
            if len(scores):
                ld.tool_themes.warm(u, v, round_id, results.least_liked(scores), "dislikes")
        # the Lead fairness tab (run when opened)
        teams = fairness.team_summary(ld.rep_fairness.warm(u, v, sc, "capacity"))
        if len(teams):  # the page charts the trend of the most uneven teams
            ld.fairness_trend.warm(u, v, sc, fairness.TREND_MONTHS, fairness.most_uneven(teams))

    def data(u: str, v: int) -> None:
        """The Data page (staff only): its Data health section at the default stale period, the first
        check's records, and the import log; the import form itself reads nothing."""
        report = ld.health_report.warm(u, v, today, health.STALE_DAYS)
        if not report.by_team.empty:
            ld.records_to_fix.warm(u, v, today, health.STALE_DAYS, report.checks[0])
        ld.import_history.warm(u, v)

    def model_choice(u: str, v: int) -> None:
        """Last: the outlooks and each forecast series' model choice by backtest (SALESOPS_MODEL_CHOICE),
        when not stored at this data version, computed in a child process (a store built without
        them: minutes of simulations and Prophet fits, never in the app's process)."""
        from salesops.forecasts import apart

        if config.warmup_enabled():
            apart.start(ld.engine_for(u), today, ("quarter", "month"), choice=config.model_choice_ahead())

    return {
        "home": home,
        "performance": performance,
        "leaderboards": leaderboards,
        "forecasts": forecasts,
        "compensation": compensation,
        "tools": tools,
        "data": data,
        "each team": each_team,
        "model choice": model_choice,
    }

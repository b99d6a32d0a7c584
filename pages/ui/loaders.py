"""The one engine of the app and typed, cached loaders around the library's read calls.

Each loader is the library function it names, minus the engine argument: ``loaders.headline(scope)``
is ``metrics.headline(engine, scope)``, cached with ``st.cache_data`` on its arguments, the store URL
and the store's data version (read once per run by :func:`pages.ui.shell.page`), so an import or a
survey answer invalidates every cached result at once. ``grep`` a loader's name to find its SQL.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from concurrent.futures import Future
from typing import Concatenate, ParamSpec, TypeVar

import streamlit as st
from sqlalchemy.engine import Engine

from salesops import access, config, customers, health, ingest, store
from salesops import leaderboards as lb
from salesops import performance as metrics
from salesops.access import NOBODY, Viewer
from salesops.comp import queries as comp_store
from salesops.errors import StoreError
from salesops.forecasts import agreement, apart, choice, outlook_cache, pipeline, targets
from salesops.forecasts import service as forecast_store
from salesops.format import md_escape
from salesops.leaderboards import diagnosis
from salesops.performance import changes, funnel
from salesops.review import agenda as review_agenda_mod
from salesops.review import snapshots as review_snapshots
from salesops.store import parallel
from salesops.store import sql as queries
from salesops.store.dialect import shared_across_connections
from salesops.tools import fairness, results, rounds, themes

P = ParamSpec("P")
R = TypeVar("R")

_VERSION_KEY = "_salesops_data_version"
#: Session-state key of the viewer the shell resolved for this run (pages.ui.shell.resolve_viewer).
VIEWER_KEY = "_salesops_viewer"
#: Session-state key of the prefetches this session has started (:func:`prefetch`).
_PREFETCHED_KEY = "_salesops_prefetched"


def current_viewer() -> Viewer:
    """The viewer of this run; a page that has not resolved one sees nothing (the empty viewer)."""
    viewer = st.session_state.get(VIEWER_KEY)
    return viewer if isinstance(viewer, Viewer) else NOBODY


@st.cache_resource(show_spinner=False)
def _engine_for(url: str) -> Engine:
    engine = store.open_store(url)
    from pages.ui import warmup  # here, not at the top: warmup imports this module

    warmup.start(url)  # the first request of the server: warm every page in the background
    return engine


def engine_for(url: str) -> Engine:
    """The app's engine for ``url`` (the warm-up thread's door; pages use :func:`engine`)."""
    return _engine_for(url)


def engine() -> Engine:
    """The one engine of the app (shared by all sessions). Stops the page with a clear message."""
    try:
        return _engine_for(config.db_url())
    except StoreError as exc:
        st.error(f"{md_escape(exc.message)}\n\n{md_escape(exc.hint)}", icon=":material/database:")
        st.stop()


def refresh_data_version() -> int:
    """Read the store's data version once for this run (the shell calls it at the top of a page)."""
    try:
        version = store.data_version(engine())
    except Exception as exc:  # noqa: BLE001 - a database error is shown; anything else re-raised
        stop_on_store_error(exc)
        raise
    st.session_state[_VERSION_KEY] = version
    return version


def _data_version() -> int:
    version = st.session_state.get(_VERSION_KEY)
    return refresh_data_version() if version is None else int(version)


def cached(fn: Callable[Concatenate[Engine, P], R]) -> Callable[P, R]:
    """``fn(engine, *args)`` as ``loader(*args)``, cached on (args, store URL, data version).

    A library function with a ``viewer`` parameter always gets this run's viewer (a page passing
    one explicitly must pass that same viewer): no page can forget it, and the cache keys on it.
    """
    takes_viewer = "viewer" in inspect.signature(fn).parameters

    def run(url: str, version: int, *args, **kwargs):
        return fn(_engine_for(url), *args, **kwargs)

    # st.cache_data keys a function on its module, qualified name and source: name each one apart.
    run.__qualname__ = f"load.{fn.__module__}.{fn.__qualname__}"
    run.__module__ = __name__
    run_cached = st.cache_data(show_spinner=False, max_entries=256)(run)

    @functools.wraps(fn)
    def call(*args: P.args, **kwargs: P.kwargs) -> R:
        if takes_viewer:
            kwargs["viewer"] = current_viewer()
        try:
            return run_cached(config.db_url(), _data_version(), *args, **kwargs)
        except Exception as exc:  # a damaged or lost store: one sentence, never SQL
            stop_on_store_error(exc)
            raise

    def fetch(url: str, version: int, viewer: Viewer, *args, **kwargs):
        """The same cache entry filled from outside a page run (no session: URL, version and viewer
        given): the warm-up's and :func:`prefetch`'s."""
        if takes_viewer:
            kwargs["viewer"] = viewer
        return run_cached(url, version, *args, **kwargs)

    def warm(url: str, version: int, *args, **kwargs):
        """The warm-up's: local mode's view, so the viewer is the local admin."""
        return fetch(url, version, access.LOCAL, *args, **kwargs)

    call.fetch = fetch  # type: ignore[attr-defined]
    call.warm = warm  # type: ignore[attr-defined]
    return call


def prefetch(*calls: tuple[Callable, tuple]) -> list[Future]:
    """Start this run's later reads at once, each ``(loader, args)`` exactly as the page calls it
    further down (the same arguments, so the same cache entry), on the process's bounded reader pool
    (:mod:`salesops.store.parallel`). The page then calls its loaders as before: a read already done
    comes from the cache, one being computed is waited for (Streamlit's per-entry lock), one still
    queued is computed by the page itself. Nothing here waits; a read that fails is left to the
    page's own call, which shows the error. A rerun of the same view in this session (a widget
    below, the same store and data version) queues nothing again: its reads are cached, and a
    reader would only copy each out of the cache for nothing. Returns the futures (for tests)."""
    if not shared_across_connections(engine()):  # an in-memory DuckDB: a database per thread
        return []
    url, version, viewer = config.db_url(), _data_version(), current_viewer()
    done = st.session_state.setdefault(_PREFETCHED_KEY, set())
    asked = repr((url, version, viewer, [(loader.__module__, loader.__qualname__, args) for loader, args in calls]))
    if asked in done:
        return []
    done.add(asked)
    return parallel.start(functools.partial(loader.fetch, url, version, viewer, *args) for loader, args in calls)  # type: ignore[attr-defined]


def later(loader: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> Callable[[], R]:
    """``loader(*args)`` to run later outside this run (a download button's data, made on its own
    thread when clicked, where there is no session): with this run's store URL and data version."""
    if "viewer" in inspect.signature(loader).parameters:
        raise ValueError("a loader taking the viewer cannot run outside the page run")
    url, version = config.db_url(), _data_version()
    return lambda: loader.warm(url, version, *args, **kwargs)  # type: ignore[attr-defined]


def stop_on_store_error(exc: BaseException) -> None:
    """When ``exc`` is a database error, show what it means (damaged, locked …) and stop the page."""
    err = store.explain_error(exc)
    if err is None:
        return
    st.error(f"**{err.message}**\n\n{err.hint}", icon=":material/database:")
    st.stop()


# ---- store ------------------------------------------------------------------------------------
last_updated = cached(store.last_updated)
load_teams = cached(queries.load_teams)
# ---- performance ------------------------------------------------------------------------------
headline = cached(metrics.headline)
compare_headline = cached(metrics.compare_headline)
company_headline = cached(metrics.company_headline)
headline_trend = cached(metrics.headline_trend)
compare_kpis = cached(metrics.compare_kpis)
pacing = cached(metrics.pacing)
attainment_by_team = cached(metrics.attainment_by_team)
attainment_by_rep = cached(metrics.attainment_by_rep)
rep_deals = cached(metrics.rep_deals)
business_by_team = cached(metrics.business_by_team)
funnel_by_team = cached(funnel.funnel)
week_review = cached(changes.week_review)
# ---- leaderboards -----------------------------------------------------------------------------
load_board_data = cached(lb.load_board_data)
load_rep_trend = cached(lb.load_rep_trend)
diagnose = cached(diagnosis.diagnose)
# ---- forecasts --------------------------------------------------------------------------------
forecast_series = cached(forecast_store.forecast_series)
forecast_all = cached(forecast_store.forecast_all)
pipeline_by_period = cached(pipeline.pipeline_by_period)
target_outlook = cached(targets.target_outlook)
#: Stored outlooks only: a missing one raises NotComputedYet (never cached) and the page has it
#: computed apart (compute_apart), since one outlook at 10M deals needs more than the app's memory.
outlook = cached(outlook_cache.stored_outlook)


def outlooks_missing(as_of, kind: str) -> bool:
    """Whether any outlook of the current ``kind`` period is not stored yet (one indexed read, not cached:
    a waiting page asks every few seconds)."""
    try:
        return bool(outlook_cache.missing_outlooks(engine(), as_of, (kind,)))
    except Exception as exc:  # noqa: BLE001 - a database error is shown; anything else re-raised
        stop_on_store_error(exc)
        raise


def compute_apart(as_of, kinds: tuple[str, ...]) -> apart.Job | None:
    """:func:`salesops.forecasts.apart.start` on the app's engine (not cached: it starts or reports
    the child computing the missing outlooks; None when they are all stored)."""
    try:
        return apart.start(engine(), as_of, kinds, choice=config.model_choice_ahead())
    except Exception as exc:  # noqa: BLE001 - a database error is shown; anything else re-raised
        stop_on_store_error(exc)
        raise


def model_choice(as_of, by: str, series: str) -> choice.ModelChoice | None:
    """:func:`salesops.forecasts.choice.series_choice`, read on every run rather than cached: it is
    computed in the background and appears at the same data version (one indexed read)."""
    try:
        return choice.series_choice(engine(), as_of, by, series)
    except Exception as exc:  # noqa: BLE001 - a database error is shown; anything else re-raised
        stop_on_store_error(exc)
        raise


outlook_members = cached(outlook_cache.members)
grain_agreement = cached(agreement.grain_agreement)
# ---- compensation -----------------------------------------------------------------------------
load_attainment = cached(comp_store.load_attainment)
list_plans = cached(comp_store.list_plans)
load_plan = cached(comp_store.load_plan)
# ---- sales tools ------------------------------------------------------------------------------
load_rounds = cached(rounds.load_rounds)
load_tools = cached(rounds.load_tools)
tool_results = cached(results.tool_results)
team_breakdown = cached(results.team_breakdown)
group_results = cached(results.group_results)
tool_themes = cached(themes.tool_themes)
team_performance = cached(results.team_performance)
rep_fairness = cached(fairness.rep_fairness)
fairness_trend = cached(fairness.fairness_trend)
# ---- customers --------------------------------------------------------------------------------
customer_view = cached(customers.customer_view)
customer_periods = cached(customers.customer_periods)
customer_deals = cached(customers.customer_deals)
customer_deals_listed = cached(customers.customer_deals_listed)
all_accounts_at_risk = cached(customers.all_accounts_at_risk)

accounts_behind = cached(customers.period_accounts)
accounts_behind_top = cached(customers.period_accounts_top)
# ---- weekly review ----------------------------------------------------------------------------
review_dates = cached(review_snapshots.snapshot_dates)
review_agenda = cached(review_agenda_mod.build_agenda)
# ---- data -------------------------------------------------------------------------------------
import_history = cached(ingest.import_history)
validate_file = cached(ingest.validate_file)
health_report = cached(health.health_report)
pipeline_flag_share = cached(health.pipeline_flag_share)
records_to_fix = cached(health.records_to_fix)

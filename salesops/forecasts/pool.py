"""Parallel fits: a process pool started on demand, and :func:`fit_many` over it.

Workers (``SALESOPS_FORECAST_WORKERS``) run :func:`salesops.forecasts.series.compute_series`; a
series too short to forecast comes back as its (message, hint).

The pool is bounded and does not linger: ``SALESOPS_FORECAST_IDLE_S`` seconds (default 30) after the
last batch of fits ends, the workers and their fork server exit, so an idle app holds no Prophet
processes (each is ~140 MB resident). The next batch starts them again (about a second).
"""

from __future__ import annotations

import atexit
import multiprocessing
import multiprocessing.forkserver
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from datetime import date
from importlib.machinery import ModuleSpec

import pandas as pd

from salesops import config
from salesops.forecasts.model import ForecastSpec, NotEnoughHistory
from salesops.forecasts.series import compute_series

_POOL: ProcessPoolExecutor | None = None
_POOL_WORKERS = 0
_POOL_LOCK = threading.Lock()
_BUSY = 0  # batches running on the pool (guarded by _POOL_LOCK)
_IDLE_TIMER: threading.Timer | None = None


@contextmanager
def _main_not_rerun():
    """Keep new worker processes from re-running the parent's main *script*.

    forkserver/spawn workers re-execute ``__main__`` when it was started from a file path. Under
    ``streamlit run`` that is app.py (a whole page run, opening the locked database); in a script
    without an ``if __name__ == "__main__"`` guard it is the script. Giving the main module a spec
    named ``__main__`` while workers start makes multiprocessing skip that step; it is restored at
    once (callers hold _POOL_LOCK, so sessions do not interleave).
    """
    main = sys.modules.get("__main__")
    if main is None or getattr(main, "__spec__", None) is not None:
        yield
        return
    main.__spec__ = ModuleSpec("__main__", None)
    try:
        yield
    finally:
        main.__spec__ = None


def _pool(workers: int) -> Executor:
    """The process pool, started on first use (starting workers costs ~1 s each); see _shut_if_idle.

    ``forkserver`` workers: forking a multi-threaded Streamlit server is unsafe; the fork server
    imports this module (and Prophet) once, and workers fork from it cheaply.
    """
    global _POOL, _POOL_WORKERS
    if _POOL is None or _POOL_WORKERS != workers:
        if _POOL is not None:
            _POOL.shutdown(wait=False, cancel_futures=True)
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["salesops.forecasts.pool"])
        _POOL = ProcessPoolExecutor(max_workers=workers, mp_context=ctx)
        _POOL_WORKERS = workers
    return _POOL


@atexit.register
def _close_pool() -> None:
    if _POOL is not None:
        _POOL.shutdown(wait=False, cancel_futures=True)


def _stop_forkserver() -> None:
    """Stop the fork server too (it holds Prophet's imports); multiprocessing starts it again on demand.

    ``ForkServer._stop`` is CPython's own (its tests use it); without it the server just stays.
    """
    server = getattr(multiprocessing.forkserver, "_forkserver", None)
    stop = getattr(server, "_stop", None)
    if callable(stop):
        stop()


def _shut_if_idle(timer: threading.Timer) -> None:
    """The idle timer fired: shut the pool down unless a batch started since it was armed."""
    global _POOL, _POOL_WORKERS
    with _POOL_LOCK:
        if timer is not _IDLE_TIMER or _BUSY or _POOL is None:
            return
        _POOL.shutdown(wait=True)
        _POOL, _POOL_WORKERS = None, 0
        _stop_forkserver()


def _arm_idle_timer() -> None:
    """(Under _POOL_LOCK) exit the workers after SALESOPS_FORECAST_IDLE_S without a batch."""
    global _IDLE_TIMER
    if _IDLE_TIMER is not None:
        _IDLE_TIMER.cancel()
    timer = threading.Timer(config.forecast_idle_seconds(), lambda: _shut_if_idle(timer))
    timer.daemon = True
    _IDLE_TIMER = timer
    timer.start()


def run_batch(fn: Callable, arg_tuples: list[tuple], workers: int) -> list:
    """``fn(*args)`` for each tuple on the pool, results in order; the pool exits when idle after."""
    global _BUSY
    with _POOL_LOCK, _main_not_rerun():
        pool = _pool(workers)
        _BUSY += 1
        try:
            futures = [pool.submit(fn, *a) for a in arg_tuples]  # workers start here, in this thread
        except BaseException:
            _BUSY -= 1
            raise
    try:
        return [f.result() for f in futures]
    finally:
        with _POOL_LOCK:
            _BUSY -= 1
            if _BUSY == 0:
                _arm_idle_timer()


def _fit_task(history: pd.DataFrame, spec: ForecastSpec, by: str, series: str | None, label: str, today: date):
    """Worker entry: a result, or the NotEnoughHistory message (exceptions with hints pickle poorly)."""
    try:
        return compute_series(history, spec, by, series, label, today)
    except NotEnoughHistory as exc:
        return exc.message, exc.hint


def fit_many(
    tasks: list[tuple[pd.DataFrame, ForecastSpec, str, str | None, str, date]], workers: int | None = None
) -> list:
    """Run :func:`compute_series` for each task, in parallel processes when there are several.

    Returns, in task order, a SeriesForecast or a (message, hint) pair for a too-short series.
    """
    workers = workers or config.forecast_workers()
    if workers <= 1 or len(tasks) <= 1:
        return [_fit_task(*t) for t in tasks]
    return run_batch(_fit_task, list(tasks), workers)

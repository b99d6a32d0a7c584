"""Parallel fits: a process pool kept for the life of the process, and :func:`fit_many` over it.

Workers (``SALESOPS_FORECAST_WORKERS``) run :func:`salesops.forecasts.series.compute_series`; a
series too short to forecast comes back as its (message, hint).
"""

from __future__ import annotations

import atexit
import multiprocessing
import sys
import threading
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
    """A process pool kept for the life of the process (starting workers costs ~1 s each).

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
    with _POOL_LOCK, _main_not_rerun():
        pool = _pool(workers)
        futures = [pool.submit(_fit_task, *t) for t in tasks]  # workers start here, in this thread
    return [f.result() for f in futures]

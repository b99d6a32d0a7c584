"""What the benchmark times: each page's library calls, whole page runs, comp, forecasts, imports.

``page_calls`` lists, per page, exactly the library calls the page makes on a default view (the
current quarter, all teams), so the benchmark measures what a manager waits for.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from salesops import metrics, queries
from salesops.scope import Scope

PAGES = ("home", "performance", "leaderboards", "forecasts", "compensation", "tools")


def page_calls(engine, today: date) -> dict[str, dict[str, Callable]]:
    sc = Scope.current(today, "quarter")
    calls: dict[str, dict[str, Callable]] = {
        "home": {
            "load_teams": lambda: queries.load_teams(engine),
            "headline×3": lambda: (
                metrics.headline(engine, sc),
                metrics.headline(engine, sc.previous()),
                metrics.headline(engine, sc.last_year()),
            ),
            "headline_trend": lambda: metrics.headline_trend(engine, sc, 8),
        },
    }
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
    """(number of reps, a function recomputing every rep's payout) — or None if comp is absent."""
    return None


def forecast_timings(engine, today: date, reps: int) -> dict:
    return {}


def import_timing(engine, scratch: Path, n: int) -> float | None:
    return None

"""Warm medians of one page's data calls, call by call, for one checkout and store (an old/new A/B).

    python bench/onepage.py ROOT STORE [PAGE] [REPS]

ROOT is a checkout of salesops (this one, or an older commit's worktree), STORE a store file at that
checkout's schema revision, PAGE one of :data:`bench.workloads.PAGES` but forecasts (default tools),
REPS the warm runs (default 7, after one warm-up). Run two trees alternately so the load weighs on
both alike; prints each call's median and minimum, the page's median and the load average.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from datetime import date


def main(root: str, db: str, page: str = "tools", reps: int = 7) -> None:
    sys.path.insert(0, root)
    os.chdir(root)
    os.environ.setdefault("SALESOPS_TODAY", "2026-11-24")
    from bench import workloads
    from salesops import store

    engine = store.open_store(db if "://" in db else f"duckdb:///{db}")
    calls = workloads.page_calls(engine, date(2026, 11, 24), forecasts=False)[page]
    for call in calls.values():
        call()
    times: dict[str, list[float]] = {name: [] for name in calls}
    totals = []
    for _ in range(reps):
        start = time.perf_counter()
        for name, call in calls.items():
            t = time.perf_counter()
            call()
            times[name].append((time.perf_counter() - t) * 1000)
        totals.append((time.perf_counter() - start) * 1000)
    for name, runs in times.items():
        print(f"{name:50s} {statistics.median(runs):8.1f} min {min(runs):7.1f}")
    print(f"{'page':50s} {statistics.median(totals):8.1f}  load {os.getloadavg()[0]:.2f}", flush=True)


if __name__ == "__main__":
    args = sys.argv[1:]
    main(args[0], args[1], *(args[2:3] or ["tools"]), *(int(a) for a in args[3:4]))

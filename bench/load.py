"""Load test: N app sessions at once, each running the pages' data calls, p50/p95 per page.

    python bench/load.py --db URL [--sessions 20] [--seconds 20]

The app serves every session from one process, as threads sharing one engine; this does the same:
``sessions`` threads, each running every page's data calls (bench/workloads.page_calls, the default
view) in turn, starting at a different page, until ``seconds`` have passed. Bounded in time, and it
only talks to the store named by ``--db`` (loopback, for a local server). ``bench/stores.py`` runs it
on both stores and writes the figures to BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import workloads  # noqa: E402
from bench.run import TODAY  # noqa: E402

#: A thread never starts a new page call after this many seconds past the deadline (bounded run).
HARD_LIMIT_FACTOR = 3


@dataclass
class LoadResult:
    """Milliseconds of each page's data calls, per page, across all sessions."""

    sessions: int
    seconds: float
    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: int = 0
    first_error: str = ""

    @property
    def calls(self) -> int:
        return sum(len(v) for v in self.times.values())

    def pages(self) -> list[str]:
        return list(self.times)

    def p(self, page: str, q: float) -> float:
        values = self.times.get(page) or [float("nan")]
        return float(np.percentile(values, q))

    def summary(self) -> str:
        every = [t for v in self.times.values() for t in v] or [float("nan")]
        return (
            f"{self.sessions} sessions, {self.seconds:g} s: {self.calls} page calls, {self.errors} errors, "
            f"p50 {np.percentile(every, 50):.0f} ms, p95 {np.percentile(every, 95):.0f} ms"
        )


def run_load(engine, sessions: int = 20, seconds: float = 20.0) -> LoadResult:
    """Run the load and return the timings (at least one round of pages per session)."""
    calls = workloads.page_calls(engine, TODAY)
    pages = list(calls)
    result = LoadResult(sessions, seconds)
    lock = threading.Lock()
    start = time.monotonic()
    deadline = start + seconds
    barrier = threading.Barrier(sessions)

    def session(i: int) -> None:
        barrier.wait()
        k = i
        while time.monotonic() < deadline or k == i:
            page = pages[k % len(pages)]
            t = time.perf_counter()
            try:
                for fn in calls[page].values():
                    fn()
            except Exception as exc:  # noqa: BLE001 - counted and reported
                with lock:
                    result.errors += 1
                    result.first_error = result.first_error or f"{page}: {exc}"
            else:
                with lock:
                    result.times[page].append((time.perf_counter() - t) * 1000)
            k += 1
            if time.monotonic() > start + HARD_LIMIT_FACTOR * seconds:
                break

    threads = [threading.Thread(target=session, args=(i,), daemon=True) for i in range(sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=HARD_LIMIT_FACTOR * seconds + 600)
    return result


def main(argv: list[str] | None = None) -> int:
    from salesops import store

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--db", required=True, help="the store (a demo: python -m salesops demo --db URL)")
    p.add_argument("--sessions", type=int, default=20)
    p.add_argument("--seconds", type=float, default=20.0)
    args = p.parse_args(argv)
    engine = store.open_store(args.db)
    result = run_load(engine, args.sessions, args.seconds)
    engine.dispose()
    print(result.summary())
    for page in result.pages():
        print(f"  {page:34s} p50 {result.p(page, 50):8.0f} ms  p95 {result.p(page, 95):8.0f} ms")
    if result.errors:
        print(f"first error: {result.first_error}", file=sys.stderr)
    return 1 if result.errors else 0


if __name__ == "__main__":
    sys.exit(main())

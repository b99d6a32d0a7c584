"""A page's data calls against their floor: the same SQL statements in raw DuckDB, nothing else.

    python bench/sqlfloor.py STORE PAGE [--reps 9] [--rounds 3]

STORE is a DuckDB store file at this checkout's schema revision, PAGE one of the pages of
``bench.workloads.page_calls`` (not forecasts). The page's calls run once; every SQL statement they
send is captured with its bound values and the thread that sent it. Then, in rounds that alternate
(so the machine's load weighs on each alike), each measured ``--reps`` times warm:

* **page**: the page's data calls as the page runs them (what ``bench/pagecalls.py`` times);
* **SQL at once**: the captured statements alone, on raw DuckDB cursors (no SQLAlchemy, no pandas,
  the results fetched as Arrow tables), each original thread's statements in order on a thread of its
  own, so statements the page runs at once (``salesops.store.parallel``) run at once here too;
* **SQL one after the other**: the same statements on one thread.

"SQL at once" is the floor of the page's data calls on this machine for this store: what DuckDB
alone takes to parse, plan and run the page's statements with the page's concurrency. The page minus
that floor is what the library adds (connections, results to frames, Python between the
statements). Prints each round's medians and the medians over rounds, with the load average.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TODAY = date(2026, 11, 24)
os.environ.setdefault("SALESOPS_TODAY", TODAY.isoformat())

# DuckDB notes the copy of a DB-API result into Arrow; the library reads its results so too
# (salesops.store.dialect.arrow_frame). Set once for every thread (catch_warnings is per process).
warnings.filterwarnings("ignore", "Arrow output on a DB-API result", UserWarning)

#: Statements that only open or close a transaction: not part of the page's SQL.
_TX = ("BEGIN", "ROLLBACK", "COMMIT")


def capture(engine, calls: dict) -> list[list[tuple[str, object]]]:
    """Run ``calls`` once warm and return their statements grouped by the thread that sent them, in
    the order each thread sent them (the first group is the caller's)."""
    import sqlalchemy as sa

    seen: dict[int, list[tuple[str, object]]] = {}
    lock = threading.Lock()

    def grab(conn, cursor, statement, parameters, context, executemany):
        if statement.strip().upper().startswith(_TX):
            return
        with lock:
            seen.setdefault(threading.get_ident(), []).append((statement, parameters))

    for call in calls.values():  # warm: DuckDB's caches, the pool's threads
        call()
    sa.event.listen(engine, "before_cursor_execute", grab)
    try:
        for call in calls.values():
            call()
    finally:
        sa.event.remove(engine, "before_cursor_execute", grab)
    me = threading.get_ident()
    return [seen[me], *[v for k, v in seen.items() if k != me]] if me in seen else list(seen.values())


def replay(cursors: list, groups: list[list[tuple[str, object]]], pool: ThreadPoolExecutor | None) -> float:
    """Run the statement groups (each on its own cursor) at once on ``pool``, or one after the other
    without one; the wall time in ms."""

    def run(i: int) -> None:
        cur = cursors[i]
        for statement, params in groups[i]:
            cur.execute(statement, params).to_arrow_table()  # the library's own read (dialect.arrow_frame)

    t = time.perf_counter()
    if pool is None:
        for i in range(len(groups)):
            run(i)
    else:
        futures = [pool.submit(run, i) for i in range(1, len(groups))]
        run(0)
        for f in futures:
            f.result()
    return (time.perf_counter() - t) * 1000


def measure(db: Path, page: str, reps: int, rounds: int) -> dict[str, list[float]]:
    """Per round, the medians (ms) of the page, its SQL at once and its SQL one after the other."""
    from bench import workloads
    from salesops import store

    engine = store.open_store(f"duckdb:///{db}")
    calls = workloads.page_calls(engine, TODAY, forecasts=False)[page]
    groups = capture(engine, calls)
    n = sum(len(g) for g in groups)
    print(f"{page}: {n} statements on {len(groups)} thread(s): {[len(g) for g in groups]}", flush=True)
    raws = [engine.raw_connection() for _ in groups]  # a connection of the engine's per thread, as the pool has
    cursors = [r.driver_connection for r in raws]  # DuckDB's own connection (its execute, its Arrow fetch)
    one = [[s for g in groups for s in g]]
    results: dict[str, list[float]] = {"page": [], "SQL at once": [], "SQL one after the other": []}
    with ThreadPoolExecutor(max_workers=max(1, len(groups) - 1)) as pool:
        for r in range(rounds):
            got: dict[str, list[float]] = {k: [] for k in results}
            for _ in range(reps):
                t = time.perf_counter()
                for call in calls.values():
                    call()
                got["page"].append((time.perf_counter() - t) * 1000)
                got["SQL at once"].append(replay(cursors, groups, pool))
                got["SQL one after the other"].append(replay(cursors[:1], one, None))
            line = ", ".join(f"{k} {statistics.median(v):.1f}" for k, v in got.items())
            print(f"  round {r + 1}: {line} ms (load {os.getloadavg()[0]:.2f})", flush=True)
            for k, v in got.items():
                results[k].append(statistics.median(v))
    for r in raws:
        r.close()
    engine.dispose()
    return results


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("store", type=Path, help="a DuckDB store file")
    ap.add_argument("page", help="a page of bench.workloads.page_calls, e.g. performance or leaderboards")
    ap.add_argument("--reps", type=int, default=9, help="warm runs per round (default 9)")
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds (default 3)")
    args = ap.parse_args(argv)
    if not args.store.is_file():
        # DuckDB would create an empty store of that name.
        print(
            f"error: {args.store}: no such store file\nhint: python bench/memory.py build --scale medium",
            file=sys.stderr,
        )
        return 1
    load = os.getloadavg()[0]
    results = measure(args.store, args.page, args.reps, args.rounds)
    print(
        f"{args.page} on {args.store.name}, {args.rounds} rounds of {args.reps} warm runs, load {load:.2f} at the start:"
    )
    for k, v in results.items():
        print(
            f"  {k:26s} median of rounds {statistics.median(v):7.1f} ms  (rounds: {' · '.join(f'{x:.0f}' for x in v)})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

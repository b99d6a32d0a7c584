"""Each SQL statement of one page's data calls, timed warm: where a slow call spends its time.

    python bench/stmttimes.py STORE [PAGE] [CALL ...]

STORE is a store file (or URL), PAGE one of :data:`bench.workloads.PAGES` but forecasts (default
customers), CALL the page's calls to time (default all of them). Each call runs once to warm the
caches, then twice more; the second run's statements are printed, slowest first (the five slowest
of each call), with the call's total.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import date
from pathlib import Path

import sqlalchemy as sa


def main(db: str, page: str = "customers", names: list[str] | None = None) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    os.environ.setdefault("SALESOPS_TODAY", "2026-11-24")
    from bench import workloads
    from salesops import store

    engine = store.open_store(db if "://" in db else f"duckdb:///{db}")
    calls = workloads.page_calls(engine, date(2026, 11, 24), forecasts=False)[page]
    log: list[tuple[float, str]] = []

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _start(conn, cursor, statement, parameters, context, executemany):
        conn.info["stmt_t0"] = time.perf_counter()

    @sa.event.listens_for(engine, "after_cursor_execute")
    def _end(conn, cursor, statement, parameters, context, executemany):
        log.append(((time.perf_counter() - conn.info["stmt_t0"]) * 1000, " ".join(statement.split())[:300]))

    for name in names or list(calls):
        calls[name]()
        for _ in range(2):
            log.clear()
            start = time.perf_counter()
            calls[name]()
            total = (time.perf_counter() - start) * 1000
        print(f"== {name}: {total:.0f} ms, {len(log)} statements")
        for ms, statement in sorted(log, reverse=True)[:5]:
            print(f"  {ms:7.1f} ms  {statement}")
    print(f"load {os.getloadavg()[0]:.2f}", flush=True)


if __name__ == "__main__":
    args = sys.argv[1:]
    if not args or args[0] in ("-h", "--help"):
        sys.exit(__doc__)
    if "://" not in args[0] and not Path(args[0]).is_file():
        # DuckDB would create an empty store of that name (``--help`` once landed in the repo as one).
        sys.exit(f"{args[0]}: no such store file. Give a built store (or a URL); see --help.")
    main(args[0], args[1] if len(args) > 1 else "customers", args[2:] or None)

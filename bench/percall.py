"""Per page and per call: process CPU time of the page data calls, DuckDB on one thread.

    python bench/percall.py ROOT STORE [PAGES] [REPS]

ROOT is a checkout of salesops (this one, or an older commit's worktree, to compare side by side:
run the old and the new tree alternately so a busy machine weighs on both alike); STORE is a medium
store file for it (built there when missing, migrated when older). PAGES is a comma-separated list
of bench.workloads pages (all when empty), REPS the runs per call (median, after one warm-up).
CPU time with one DuckDB thread moves far less than wall-clock time when other work shares the
machine; bench/run.py remains the benchmark of record (wall clock, on a quiet machine).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path


def _cpu_ms(fn, reps: int) -> float:
    fn()
    runs = []
    for _ in range(reps):
        t = time.process_time()
        fn()
        runs.append((time.process_time() - t) * 1000)
    return statistics.median(runs)


def main(argv: list[str]) -> None:
    root, db = argv[0], argv[1]
    pages = set(argv[2].split(",")) if len(argv) > 2 and argv[2] else None
    reps = int(argv[3]) if len(argv) > 3 else 7
    sys.path.insert(0, root)
    os.chdir(root)
    os.environ.setdefault("SALESOPS_TODAY", "2026-11-24")
    import sqlalchemy as sa

    import bench.run as br
    from bench import workloads

    engine, _url = br.prepare_store("medium", Path(db))
    sa.event.listen(engine, "connect", lambda dbapi, _rec: dbapi.execute("SET threads = 1"))
    engine.pool.dispose()
    for page, calls in workloads.page_calls(engine, date(2026, 11, 24)).items():
        if pages and page not in pages:
            continue
        total = _cpu_ms(lambda calls=calls: [c() for c in calls.values()], reps)
        print(f"{page:34s} {'(page)':26s} {total:8.1f} ms", flush=True)
        for name, fn in calls.items():
            print(f"{page:34s} {name:26s} {_cpu_ms(fn, reps):8.1f} ms", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])

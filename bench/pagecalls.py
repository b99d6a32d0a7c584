"""Every page's data calls on one store, the first call and warm: the large-scale run of issue 21.

    python bench/pagecalls.py --db /tmp/large.duckdb [--reps 1] [--out BENCHMARKS.md]

The calls are ``bench/workloads.page_calls`` (what each page's loaders run on its default view,
the current quarter, all teams), each page's calls timed once cold (the first visit after a
start) and ``--reps`` times warm (DuckDB's caches filled; the app's own cache would answer a
repeat visit without running them). An older store is refused: migrate it first
(``python -m salesops migrate --db duckdb:///FILE``). In this process,
whose peak resident memory after the calls is reported too. ``bench/run.py`` does more (AppTest
page runs, the pandas reference, forecasts, imports) and loads whole tables into pandas for its
reference: not at large scale. Appends a table to the "## Page data calls at scale" section of --out.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TODAY = date(2026, 11, 24)
os.environ.setdefault("SALESOPS_TODAY", TODAY.isoformat())
SECTION = "## Page data calls at scale"
#: Issue 20's budget for a page's data calls (ms).
BUDGET_MS = 250


def measure(db: Path, reps: int, forecasts: bool = True) -> tuple[list[tuple[str, float, float, str]], dict, float]:
    """(page, first ms, warm median ms, call names) per page, the store's row counts, the peak MB."""
    from bench import workloads
    from salesops import store

    engine = store.open_store(f"duckdb:///{db}")  # an older store: python -m salesops migrate --db URL first
    counts = store.table_counts(engine)
    rows = []
    for page, calls in workloads.page_calls(engine, TODAY, forecasts).items():
        run = lambda calls=calls: [c() for c in calls.values()]  # noqa: E731 - one page's calls
        t = time.perf_counter()
        run()
        first = (time.perf_counter() - t) * 1000
        warm = []
        for _ in range(reps):
            t = time.perf_counter()
            run()
            warm.append((time.perf_counter() - t) * 1000)
        rows.append((page, first, statistics.median(warm), ", ".join(calls)))
        print(f"  {page:34s} first {first:9.1f} ms  warm {rows[-1][2]:9.1f} ms", flush=True)
    engine.dispose()
    return rows, counts, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def render(rows, counts: dict, peak_mb: float, db: Path, reps: int, load: float) -> str:
    head = (
        f"\n### {datetime.now():%Y-%m-%d %H:%M}: {counts.get('deals', 0):,} deals, "
        f"{counts.get('activities', 0):,} activities ({db.name}); load average {load:.2f} at the start\n\n"
        f"Reproduce: `python bench/pagecalls.py --db {db} --reps {reps}`. Peak resident memory of the process "
        f"after every page's calls: **{peak_mb:,.0f} MB**. Budget per page (issue 20): {BUDGET_MS} ms warm.\n\n"
        "| page | first call (ms) | warm median (ms) | within budget | calls |\n| --- | ---: | ---: | :-: | --- |\n"
    )
    lines = [
        f"| {page} | {first:,.0f} | {warm:,.0f} | {'✓' if warm <= BUDGET_MS else '✗'} | {names} |"
        for page, first, warm, names in rows
    ]
    return head + "\n".join(lines) + "\n"


def append(out: Path, text: str) -> None:
    """Add ``text`` at the end of the section (created when missing), before the next section."""
    whole = out.read_text() if out.exists() else ""
    if SECTION not in whole:
        intro = (
            f"\n{SECTION}\n\nEvery page's data calls (bench/workloads.py) on a large store, cold and warm, "
            "in one process (`bench/pagecalls.py`). Newest run last.\n"
        )
        out.write_text(whole.rstrip() + "\n" + intro + text)
        return
    head, rest = whole.split(SECTION, 1)
    body, sep, after = rest.partition("\n## ")
    out.write_text(head + SECTION + body.rstrip("\n") + "\n" + text + (f"\n## {after}" if sep else ""))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, required=True, help="a built store (bench/memory.py build --scale large)")
    ap.add_argument("--reps", type=int, default=1)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument(
        "--skip-forecasts",
        action="store_true",
        help="leave out the Forecasts page and the outlooks it needs stored first (at large their "
        "computation holds every won deal in pandas: 17 GB; the table says the page was left out)",
    )
    args = ap.parse_args(argv)
    if not args.db.exists():
        print(f"error: no store at {args.db}\nhint: python bench/memory.py build --scale large --db {args.db}")
        return 2
    load = os.getloadavg()[0]
    rows, counts, peak = measure(args.db, args.reps, not args.skip_forecasts)
    text = render(rows, counts, peak, args.db, args.reps, load)
    if args.skip_forecasts:
        text = text.replace("`. Peak", " --skip-forecasts`. **Forecasts not measured** (left out). Peak", 1)
    print(text)
    if args.out:
        append(args.out, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""DuckDB and PostgreSQL side by side: page data calls, imports, and 20 sessions at once.

    python bench/stores.py [--scale small|medium] [--reps 3] [--sessions 20] [--seconds 20]
                           [--pg-url postgresql+psycopg://…] [--out BENCHMARKS.md]

For each store it builds the demo at that scale (DuckDB: bench/<scale>.duckdb, reused when it holds
that scale; PostgreSQL: a throwaway local cluster started here, or ``--pg-url``), then measures:

* every page's data calls, warm (median of ``--reps`` after a warm-up), as in bench/run.py;
* importing 100k and 1M CRM-shaped deal rows into a store holding the organisation;
* the load test of :mod:`bench.load`: ``--sessions`` threads each running the pages' data calls in a
  loop for ``--seconds`` (bounded; loopback only), p50/p95 per call.

With ``--out`` it writes its tables into BENCHMARKS.md between the ``<!-- stores -->`` markers
(bench/run.py keeps that section when it rewrites the file).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import load, workloads  # noqa: E402
from bench.run import TODAY, timed  # noqa: E402
from salesops import demo, store  # noqa: E402

BEGIN, END = "<!-- stores -->", "<!-- /stores -->"
IMPORT_ROWS = (100_000, 1_000_000)


def _built(engine, scale: str) -> bool:
    import sqlalchemy as sa

    with engine.connect() as conn:
        what = conn.execute(
            sa.text("SELECT what FROM changes WHERE what LIKE 'demo%' ORDER BY version DESC LIMIT 1")
        ).scalar()
    return what == f"demo seed=7 scale={scale}"


def prepare(url: str, scale: str) -> tuple[object, float | None]:
    """Open ``url`` and build the demo at ``scale`` unless it is there; return (engine, build ms)."""
    engine = store.open_store(url)
    if _built(engine, scale):
        return engine, None
    t = time.perf_counter()
    demo.build_demo(engine, seed=7, scale=scale, today=TODAY)
    return engine, (time.perf_counter() - t) * 1000


def measure(name: str, url: str, scratch_url, scale: str, reps: int, sessions: int, seconds: float) -> dict:
    """All figures for one store."""
    engine, build_ms = prepare(url, scale)
    built = f"built in {build_ms:.0f} ms" if build_ms else "reused"
    print(f"[{name}] demo {built}", flush=True)
    pages = {}
    for page, calls in workloads.page_calls(engine, TODAY).items():
        pages[page] = timed(lambda calls=calls: [c() for c in calls.values()], reps)[1]
        print(f"[{name}] {page:34s} {pages[page]:9.1f} ms", flush=True)
    imports = {}
    for n in IMPORT_ROWS:
        imports[n] = workloads.import_timing_url(engine, scratch_url(n), n)
        print(f"[{name}] import {n:>9,} rows {imports[n]:9.0f} ms", flush=True)
    result = load.run_load(engine, sessions=sessions, seconds=seconds)
    print(f"[{name}] load: {result.summary()}", flush=True)
    counts = store.table_counts(engine)
    engine.dispose()
    return {"pages": pages, "imports": imports, "load": result, "build_ms": build_ms, "counts": counts}


def render(scale: str, sessions: int, seconds: float, duck: dict, pg: dict) -> str:
    c = duck["counts"]
    lines = [
        BEGIN,
        "## DuckDB and PostgreSQL side by side",
        "",
        f"Run: {datetime.now():%Y-%m-%d %H:%M}, scale **{scale}** ({c['deals']:,} deals, "
        f"{c['activities']:,} activities, {c['reps']:,} reps), PostgreSQL 15 on the same machine (a local "
        f"cluster, default settings but fsync off). Reproduce: `python bench/stores.py --scale {scale} "
        "--out BENCHMARKS.md`. Times in ms; page data calls are the warm median (as above).",
        "",
        "| what | DuckDB | PostgreSQL | PostgreSQL ÷ DuckDB |",
        "| --- | ---: | ---: | ---: |",
    ]
    for page in duck["pages"]:
        d, p = duck["pages"][page], pg["pages"][page]
        lines.append(f"| page data calls: {page} | {d:,.1f} | {p:,.1f} | {p / d:.1f} |")
    for n in IMPORT_ROWS:
        d, p = duck["imports"][n], pg["imports"][n]
        lines.append(f"| import {n:,} deal rows | {d:,.0f} | {p:,.0f} | {p / d:.1f} |")
    lines += [
        "",
        f"### {sessions} sessions at once",
        "",
        f"`bench/load.py`: {sessions} threads in one process (as {sessions} app sessions are), each running "
        f"every page's data calls in turn for {seconds:g} s; no cache (every call reaches the store). "
        "p50 / p95 of one page's data calls, in ms.",
        "",
        "| page | DuckDB p50 | DuckDB p95 | PostgreSQL p50 | PostgreSQL p95 |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    dl, pl = duck["load"], pg["load"]
    for page in dl.pages():
        lines.append(
            f"| {page} | {dl.p(page, 50):,.0f} | {dl.p(page, 95):,.0f} | {pl.p(page, 50):,.0f} | {pl.p(page, 95):,.0f} |"
        )
    lines += [
        f"| **all pages: calls completed, errors** | {dl.calls:,}, {dl.errors} | | {pl.calls:,}, {pl.errors} | |",
        "",
        END,
    ]
    return "\n".join(lines) + "\n"


def write_section(out: Path, section: str) -> None:
    """Put ``section`` between the markers in ``out`` (appended when the markers are missing)."""
    text = out.read_text() if out.exists() else ""
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        tail = rest.split(END, 1)[1].lstrip("\n")
        text = head + section + tail
    else:
        text = text.rstrip("\n") + "\n\n" + section
    out.write_text(text)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scale", choices=("small", "medium"), default="small")
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--sessions", type=int, default=20)
    p.add_argument("--seconds", type=float, default=20.0, help="length of each store's load test (bounded)")
    p.add_argument("--pg-url", default=None, help="an existing empty PostgreSQL database (default: a local cluster)")
    p.add_argument("--out", type=Path, default=None)
    args = p.parse_args(argv)
    os.environ["SALESOPS_TODAY"] = TODAY.isoformat()
    bench_dir = ROOT / "bench"
    duck = measure(
        "duckdb",
        f"duckdb:///{bench_dir / f'{args.scale}.duckdb'}",
        lambda n: f"duckdb:///{bench_dir / f'import_{args.scale}_{n}.duckdb'}",
        args.scale,
        args.reps,
        args.sessions,
        args.seconds,
    )
    cluster = None
    pg_url = args.pg_url
    if pg_url is None:
        from tests.pg import Cluster, find_bindir, wait_ready

        bindir = find_bindir()
        if bindir is None:
            print("PostgreSQL is not installed (apt-get install postgresql), or pass --pg-url.", file=sys.stderr)
            return 2
        cluster = Cluster(bindir).start()
        wait_ready(cluster)
        pg_url = cluster.create_database("bench")
    try:
        scratch = {n: cluster.create_database(f"import{n}") if cluster else pg_url for n in IMPORT_ROWS}
        pg = measure("postgresql", pg_url, scratch.__getitem__, args.scale, args.reps, args.sessions, args.seconds)
    finally:
        if cluster is not None:
            cluster.stop()
    section = render(args.scale, args.sessions, args.seconds, duck, pg)
    print(section)
    if args.out:
        write_section(args.out, section)
        print(f"wrote the stores section of {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

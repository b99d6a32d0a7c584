"""Concurrency, server side: N sessions running a page's script at once in one app process.

    python bench/serverload.py --db FILE [--sessions 20] [--rounds 2] [--pages home,performance] [--out BENCHMARKS.md]

The Streamlit server runs every session's script on its own thread in one process, with the
caches (``st.cache_data``, the engine) shared. This does the same without a browser: ``sessions``
threads, each holding its own app session (Streamlit's ``AppTest``, which runs the real page
scripts, widgets and caches in this process), open the same page at the same moment; one sample is
one session's page run, from the switch to the page until its script has finished, server side.
Each session looks at a different team (session *i* picks the *i*-th team in the sidebar), so 20
sessions are 20 managers and not 20 cache hits for one view; a second round repeats the views
(now cached). Websocket transfer and the browser's drawing are not included: ``bench/browser.py``
and ``bench/sessions.py`` measure those.

Bounded: every run has a timeout; only the store named by ``--db`` is read.

Limits: ``AppTest`` is not built for concurrent sessions. At 8–20 sessions, a few page runs fail inside
Streamlit's harness or Python: the runtime mock is torn down by another session, the page registry is
shared, and ``ast.parse`` is not safe on two threads at once. Those runs are counted as errors, listed,
and left out of the percentiles, and the command then exits 1. A real server has one runtime and no such
races.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import browser  # noqa: E402

#: page key -> the script AppTest switches to (Home is app.py itself).
SCRIPTS = {
    "home": "app.py",
    "performance": "pages/performance.py",
    "leaderboards": "pages/leaderboards.py",
    "forecasts": "pages/forecasts.py",
    "compensation": "pages/compensation.py",
    "tools": "pages/tools.py",
    "customers": "pages/customers.py",
}


@dataclass
class LoadRun:
    """Milliseconds of each page run, per (page, round); errors as text."""

    sessions: int
    times: dict[tuple[str, int], list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    load: list[float] = field(default_factory=list)


def _session(team_id: str | None, timeout_s: float):
    """One app session on Home, looking at ``team_id`` (None: all teams)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout_s)
    if team_id is not None:
        at.session_state["team"] = team_id
    at.run()
    if at.exception:
        raise RuntimeError(f"Home failed: {at.exception}")
    return at


def _page_run(at, script: str, page_key: str, rnd: int, run: LoadRun, lock: threading.Lock, barrier) -> None:
    """Wait for every session, then switch to ``script`` (or rerun it) and time the run."""
    barrier.wait()
    t0 = time.perf_counter()
    try:
        if rnd == 0 and script != "app.py":
            at.switch_page(script).run()
        else:
            at.run()
        ms = (time.perf_counter() - t0) * 1000
        problem = str(at.exception)[:200] if at.exception else None
    except Exception as exc:  # a timeout or a crash is a counted error, not a lost run
        ms, problem = None, f"{type(exc).__name__}: {exc}"[:200]
    with lock:
        if problem:
            run.errors.append(f"{page_key} round {rnd + 1}: {problem}")
        if ms is not None and not problem:
            run.times.setdefault((page_key, rnd), []).append(ms)


def run_load(db: Path, sessions: int, rounds: int, pages: list[str], timeout_s: float = 600.0) -> LoadRun:
    os.environ.update(
        {"SALESOPS_DB_URL": f"duckdb:///{db}", "SALESOPS_TODAY": browser.TODAY.isoformat(), "SALESOPS_WARMUP": "0"}
    )
    import streamlit as st

    teams = _team_ids(db)
    run = LoadRun(sessions)
    lock = threading.Lock()
    for page_key in pages:
        ats = [_session(teams[i % len(teams)] if teams else None, timeout_s) for i in range(sessions)]
        st.cache_data.clear()  # round 1 meets every view uncached (the sessions' own Home runs filled it)
        for rnd in range(rounds):
            barrier = threading.Barrier(sessions)
            threads = [
                threading.Thread(target=_page_run, args=(at, SCRIPTS[page_key], page_key, rnd, run, lock, barrier))
                for at in ats
            ]
            run.load.append(os.getloadavg()[0])
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout_s)
    run.load.append(os.getloadavg()[0])
    return run


def _team_ids(db: Path) -> list[str]:
    from salesops import store
    from salesops.store import sql

    engine = store.open_store(f"duckdb:///{db}")
    try:
        return sql.load_teams(engine).sort_values("team_id")["team_id"].tolist()
    finally:
        engine.dispose()


def p95(values: list[float]) -> float:
    """The 95th percentile, nearest rank (the value 95 % of the samples do not exceed)."""
    ordered = sorted(values)
    return ordered[max(0, -(-95 * len(ordered) // 100) - 1)]


def render(run: LoadRun, db: Path, rounds: int, started: datetime) -> str:
    lines = [
        "## Concurrent sessions, server side",
        "",
        f"Run: {started:%Y-%m-%d %H:%M}, store {db.name}: {run.sessions} app sessions in one process (as the "
        f"server holds them), each on its own team, open the page at the same moment; {rounds} round(s) (round 1 "
        "meets each team's view uncached, round 2 repeats it). A sample is one session's page run, server side "
        "(the page script with its data calls, widgets and caches; no websocket, no drawing). Load average "
        f"(1 min) during the run: {', '.join(f'{x:.2f}' for x in run.load)}. Machine: {os.cpu_count()} cores.",
        "",
        f"Reproduce: `python bench/serverload.py --db <store> --sessions {run.sessions} --rounds {rounds}`.",
        "",
        "| page | round | sessions | samples | p50 ms | p95 ms | max ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for (page_key, rnd), ms in run.times.items():
        lines.append(
            f"| {page_key} | {rnd + 1} | {run.sessions} | {len(ms)} | {statistics.median(ms):,.0f} | "
            f"{p95(ms):,.0f} | {max(ms):,.0f} |"
        )
    lines += ["", f"Errors: {len(run.errors)}."] + [f"- {e}" for e in run.errors[:10]]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, required=True, help="an existing DuckDB store")
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--pages", default="home,performance", help="comma-separated page keys")
    ap.add_argument("--out", type=Path, default=None, help="write the section into this Markdown file")
    args = ap.parse_args(argv)
    keys = [k.strip() for k in args.pages.split(",") if k.strip()]
    unknown = sorted(set(keys) - set(SCRIPTS))
    if unknown or not args.db.exists() or args.sessions < 1:
        what = f"unknown page(s) {', '.join(unknown)}" if unknown else f"no store at {args.db}"
        if args.sessions < 1:
            what = "--sessions must be at least 1"
        print(f"error: {what}\nhint: pages are {', '.join(SCRIPTS)}; --db names a DuckDB file", file=sys.stderr)
        return 2
    started = datetime.now()
    run = run_load(args.db, args.sessions, max(1, args.rounds), keys)
    text = render(run, args.db, max(1, args.rounds), started)
    print(text)
    if args.out:
        browser.write_section(args.out, text, "## Concurrent sessions, server side")
    return 0 if not run.errors else 1


if __name__ == "__main__":
    sys.exit(main())

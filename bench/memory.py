"""Memory at scale: peak resident memory and time of a demo build, an import and the app, each in its own process.

    python bench/memory.py build --scale medium [--db FILE] [--out BENCHMARKS.md] [--timeout 900]
    python bench/memory.py import --rows 1000000 [--db FILE] [--out BENCHMARKS.md]
    python bench/memory.py app --db FILE [--out BENCHMARKS.md]

Each measurement runs in a fresh child process; the peak is that process's ``ru_maxrss`` (Python,
pandas and DuckDB together: DuckDB lives in the process). ``app`` starts ``streamlit run`` on the
store, opens every page once in Chromium (bench/browser.py) and reads the resident memory of the
server and every process it started (forecast workers) after the walk. Results are appended to the
"## Memory at scale" section of ``--out`` (one row per measurement, newest last, with the load
average and the command), so the section keeps every run that was made.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TODAY = date(2026, 11, 24)
os.environ.setdefault("SALESOPS_TODAY", TODAY.isoformat())
SECTION = "## Memory at scale"
#: Peak resident memory budgets in MB (issue 21).
BUDGETS_MB = {"build large": 6 * 1024, "build medium": 1536, "import 10000000": 3 * 1024, "app": 1024}


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KB


def child_build(scale: str, db: Path) -> dict:
    """Build the demo at ``scale`` into ``db`` (replaced); seconds, peak MB and row counts."""
    from salesops import demo, store

    db.unlink(missing_ok=True)
    Path(f"{db}.wal").unlink(missing_ok=True)
    engine = store.open_store(f"duckdb:///{db}")
    t = time.perf_counter()
    summary = demo.build_demo(engine, seed=7, scale=scale, today=TODAY)
    seconds = time.perf_counter() - t
    engine.dispose()
    counts = summary.counts
    return {"seconds": seconds, "peak_mb": _peak_mb(), "what": f"build {scale}", "counts": counts}


def child_import(rows: int, db: Path) -> dict:
    """Import ``rows`` CRM-shaped deal rows (bench/workloads.import_timing) next to the small demo."""
    from bench import workloads
    from salesops import demo, store

    source = db.with_suffix(".source.duckdb")
    source.unlink(missing_ok=True)
    engine = store.open_store(f"duckdb:///{source}")
    demo.build_demo(engine, seed=7, scale="small", today=TODAY)
    base = _peak_mb()
    ms = workloads.import_timing(engine, db, rows)
    engine.dispose()
    source.unlink(missing_ok=True)
    return {"seconds": ms / 1000, "peak_mb": _peak_mb(), "what": f"import {rows}", "base_mb": base}


def measure_app(db: Path) -> dict:
    """Serve ``db``, open every page once in Chromium; the server's RSS (with its workers) after it."""
    from bench import browser

    chromium = browser.CHROMIUM
    res, _ = browser.run(1, [p[0] for p in browser.PAGES], db, 1200.0, chromium)
    idle = [v for k, v in res.rss_mb.items() if "idle" in k]
    return {"seconds": None, "peak_mb": idle[0] if idle else None, "what": "app", "pages": res.first_visit}


def _hwm_mb(pid: int) -> float | None:
    """The process's peak resident memory so far (VmHWM), or None when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _in_child(args: list[str], timeout: float) -> dict:
    """Run this script's child command in a fresh process; its JSON result (or the failure).

    The parent samples the child's peak (VmHWM) every second, so a run stopped by the timeout (or
    killed) still reports the peak it had reached and how long it ran.
    """
    cmd = [sys.executable, __file__, "--child", *args]
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0.0
    while proc.poll() is None and time.perf_counter() - t < timeout:
        peak = max(peak, _hwm_mb(proc.pid) or 0.0)
        time.sleep(1)
    if proc.poll() is None:
        proc.kill()
        proc.wait()
        secs = time.perf_counter() - t
        return {"error": f"stopped after the {timeout:.0f} s timeout, unfinished", "seconds": secs, "peak_mb": peak}
    out, err = proc.communicate()
    if proc.returncode != 0:
        why = "killed (out of memory?)" if proc.returncode < 0 else f"exit {proc.returncode}"
        last = err.strip().splitlines()[-1] if err.strip() else ""
        return {"error": f"{why}: {last}", "seconds": time.perf_counter() - t, "peak_mb": peak or None}
    return json.loads(out.strip().splitlines()[-1])


def row(result: dict, command: str, load: tuple[float, float, float]) -> str:
    what = result.get("what", command.split()[2] if len(command.split()) > 2 else command)
    budget = BUDGETS_MB.get(what)
    peak = result.get("peak_mb")
    secs = result.get("seconds")
    ok = "" if budget is None or peak is None else ("✓" if peak <= budget and "error" not in result else "✗")
    note = result.get("error", "")
    counts = result.get("counts")
    if counts:
        note = f"{counts.get('deals', 0):,} deals, {counts.get('activities', 0):,} activities"
    return (
        f"| {datetime.now():%Y-%m-%d %H:%M} | {what} | {'' if secs is None else f'{secs:,.1f}'} | "
        f"{'' if peak is None else f'{peak:,.0f}'} | {'' if budget is None else f'{budget:,}'} | {ok} | "
        f"{load[0]:.2f} | {note} | `{command}` |"
    )


def append_row(out: Path, line: str) -> None:
    """Add ``line`` to the "## Memory at scale" table of ``out`` (created when missing)."""
    text = out.read_text() if out.exists() else ""
    header = (
        f"{SECTION}\n\nEach row is one measurement in its own process: peak resident memory (MB, `ru_maxrss`: "
        "Python, pandas and DuckDB together) and wall time; the app row is the server plus every process it "
        "started, after opening every page once. Load average (1 min) at the start of the run. A row with a "
        "note saying why did not finish; its peak is the peak reached until it was stopped.\n\n"
        "| when | what | seconds | peak MB | budget MB | ok | load | note | command |\n"
        "| --- | --- | ---: | ---: | ---: | :-: | ---: | --- | --- |\n"
    )
    if SECTION not in text:
        out.write_text(text.rstrip() + "\n\n" + header + line + "\n")
        return
    head, rest = text.split(SECTION, 1)
    body, sep, after = rest.partition("\n## ")
    out.write_text(head + SECTION + body.rstrip("\n") + "\n" + line + "\n" + (f"\n## {after}" if sep else ""))


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "--child":
        kind, *rest = argv[1:]
        if kind == "build":
            result = child_build(rest[0], Path(rest[1]))
        else:
            result = child_import(int(rest[0]), Path(rest[1]))
        print(json.dumps(result, default=str))
        return 0
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", choices=("build", "import", "app"))
    ap.add_argument("--scale", choices=("small", "medium", "large"), default="small")
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--db", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--timeout", type=float, default=900.0)
    args = ap.parse_args(argv)
    load = os.getloadavg()
    if args.what == "build":
        db = args.db or ROOT / "bench" / f"{args.scale}.duckdb"
        result = _in_child(["build", args.scale, str(db)], args.timeout)
        command = f"python bench/memory.py build --scale {args.scale}"
    elif args.what == "import":
        db = args.db or ROOT / "bench" / "import_scratch.duckdb"
        result = _in_child(["import", str(args.rows), str(db)], args.timeout)
        result.setdefault("what", f"import {args.rows}")
        command = f"python bench/memory.py import --rows {args.rows}"
    else:
        if args.db is None:
            print("error: app needs --db (a built store)\nhint: python bench/memory.py build first", file=sys.stderr)
            return 2
        result = measure_app(args.db)
        command = f"python bench/memory.py app --db {args.db}"
    result.setdefault("what", f"{args.what} {args.scale}" if args.what == "build" else args.what)
    line = row(result, command, load)
    print(line)
    if args.out:
        append_row(args.out, line)
    return 0 if "error" not in result else 1


if __name__ == "__main__":
    sys.exit(main())

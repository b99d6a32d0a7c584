"""Memory at scale: peak resident memory and time of a demo build, an import and the app, each in its own process.

    python bench/memory.py build --scale medium [--db FILE] [--out BENCHMARKS.md] [--timeout 900]
    python bench/memory.py import --rows 1000000 [--db FILE] [--out BENCHMARKS.md]
    python bench/memory.py app --db FILE [--out BENCHMARKS.md]

Each measurement runs in a fresh child process; the peak is that process's ``ru_maxrss`` (Python,
pandas and DuckDB together: DuckDB lives in the process). ``app`` starts ``streamlit run`` on the
store, opens every page once in Chromium (bench/browser.py) and reads the resident memory of the
server and every process it started (forecast workers) after the walk. ``import`` first writes a
CSV of ``--rows`` CRM-shaped deals (a child of its own, not measured), then imports it with
``ingest.import_file`` (read, checked and staged in chunks of SALESOPS_IMPORT_CHUNK_ROWS rows) in a
fresh process. Results are appended to the
"## Memory at scale" section of ``--out`` (one row per measurement, newest last, with the load
average and the command), so the section keeps every run that was made.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
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
    import logging

    from salesops import config, demo, store

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    logging.getLogger("salesops.demo").info("peak so far %.0f MB", _peak_mb())
    db.unlink(missing_ok=True)
    Path(f"{db}.wal").unlink(missing_ok=True)
    with config.build_memory(scale):  # as `python -m salesops demo` builds
        engine = store.open_store(f"duckdb:///{db}")
        t = time.perf_counter()
        summary = demo.build_demo(engine, seed=7, scale=scale, today=TODAY)
        seconds = time.perf_counter() - t
    engine.dispose()
    counts = summary.counts
    return {"seconds": seconds, "peak_mb": _peak_mb(), "what": f"build {scale}", "counts": counts}


def child_source(rows: int, db: Path) -> dict:
    """The small demo (seed 7) as the source of an import: its org and a CRM-shaped deals CSV of ``rows`` rows.

    The CSV (``db`` with suffix .csv) is the demo's deals repeated under new ids, written as an
    export carries them (dates as text, amounts as "$1,234.50", reps by id), a chunk at a time.
    """
    import pandas as pd
    import sqlalchemy as sa

    from salesops import demo, store
    from salesops.store import schema

    source = db.with_suffix(".source.duckdb")
    source.unlink(missing_ok=True)
    engine = store.open_store(f"duckdb:///{source}")
    demo.build_demo(engine, seed=7, scale="small", today=TODAY)
    d = schema.deals.c
    deals = store.read_frame(
        engine, sa.select(d.rep_id, d.stage, d.amount_cents, d.created_date, d.close_date, d.probability_bp)
    )
    engine.dispose()
    base = pd.DataFrame(
        {
            "rep_id": deals.rep_id,
            "stage": deals.stage,
            "amount": (deals.amount_cents.fillna(0) / 100).map("${:,.2f}".format),
            "created_date": pd.to_datetime(deals.created_date).dt.strftime("%Y-%m-%d"),
            "close_date": pd.to_datetime(deals.close_date).dt.strftime("%Y-%m-%d"),
            "probability": (deals.probability_bp.fillna(0) / 100).round().astype(int).astype(str) + "%",
        }
    )
    csv = db.with_suffix(".csv")
    done = 0
    with csv.open("w", newline="") as f:
        while done < rows:
            part = base.iloc[: min(len(base), rows - done)].copy()
            part.insert(0, "deal_id", [f"X{i:08d}" for i in range(done, done + len(part))])
            part.to_csv(f, index=False, header=done == 0)
            done += len(part)
    return {"rows": done, "csv": str(csv), "source": str(source)}


def child_import(rows: int, db: Path) -> dict:
    """Import the CSV of :func:`child_source` into a new store holding the demo's org (``import_file``,
    read in chunks of SALESOPS_IMPORT_CHUNK_ROWS); seconds and this process's peak."""
    from salesops import ingest, store
    from salesops.store import schema

    source = store.open_store(f"duckdb:///{db.with_suffix('.source.duckdb')}")
    teams = store.read_frame(source, schema.teams.select())
    reps = store.read_frame(source, schema.reps.select())
    source.dispose()
    db.unlink(missing_ok=True)
    target = store.open_store(f"duckdb:///{db}")
    store.write(
        target, lambda c: (store.bulk_insert(c, schema.teams, teams), store.bulk_insert(c, schema.reps, reps)), "bench"
    )
    base = _peak_mb()
    t = time.perf_counter()
    report = ingest.import_file(target, "deals", db.with_suffix(".csv"))
    seconds = time.perf_counter() - t
    target.dispose()
    return {
        "seconds": seconds,
        "peak_mb": _peak_mb(),
        "what": f"import {rows}",
        "base_mb": base,
        "added": report.rows_added,
    }


def measure_app(db: Path) -> dict:
    """Serve ``db``, open every page once in Chromium; the server's RSS (with its workers) after it."""
    from bench import browser

    chromium = browser.CHROMIUM
    res, _ = browser.run(1, [p[0] for p in browser.PAGES], db, 1200.0, chromium)
    idle = [v for k, v in res.rss_mb.items() if "idle" in k]
    alone = [v for k, v in res.rss_mb.items() if "alone" in k]
    for note in res.notes:  # the processes of the tree, each with its peak (stderr: not the JSON result)
        print(note.strip(), file=sys.stderr)
    return {
        "seconds": None,
        "peak_mb": idle[0] if idle else None,
        "what": "app",
        "pages": res.first_visit,
        "app_alone_peak_mb": alone[0] if alone else None,
    }


def _hwm_mb(pid: int) -> float | None:
    """The process's peak resident memory so far (VmHWM), or None when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


#: Numbers this process's runs, so two runs in one second still get their own log.
_RUNS = itertools.count(1)


def _in_child(args: list[str], timeout: float) -> dict:
    """Run this script's child command in a fresh process; its JSON result (or the failure).

    The parent samples the child's peak (VmHWM) every second, so a run stopped by the timeout (or
    killed) still reports the peak it had reached and how long it ran.
    """
    return _run_logged([sys.executable, __file__, "--child", *args], args[0], timeout)


def _run_logged(cmd: list[str], name: str, timeout: float) -> dict:
    """Run ``cmd``, sampling its peak; its last stdout line as JSON, or the failure with its log."""
    t = time.perf_counter()
    # The child's progress (a build logs each batch and table) and any traceback go straight to a file
    # of this run's own: a pipe read only at the end would stall a child that logs more than the pipe
    # holds, and one shared file would mix two runs' logs.
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    log = Path(tempfile.gettempdir()) / f"salesops-memory-{name}-{stamp}-{os.getpid()}-{next(_RUNS)}.log"
    with log.open("w") as log_file:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=log_file, text=True)
        return _watch(proc, t, timeout, log)


def _watch(proc: subprocess.Popen, t: float, timeout: float, log: Path) -> dict:
    """Sample the child's peak until it ends or the timeout stops it; its JSON result or the failure."""
    peak = 0.0
    while proc.poll() is None and time.perf_counter() - t < timeout:
        peak = max(peak, _hwm_mb(proc.pid) or 0.0)
        time.sleep(1)
    if proc.poll() is None:
        proc.kill()
        proc.wait()
        secs = time.perf_counter() - t
        return {
            "error": f"stopped after the {timeout:.0f} s timeout, unfinished (log: {log})",
            "seconds": secs,
            "peak_mb": peak,
        }
    out, _ = proc.communicate()
    err = log.read_text()
    if proc.returncode != 0:
        why = "killed (out of memory?)" if proc.returncode < 0 else f"exit {proc.returncode}"
        return {
            "error": f"{why}: {_cause(err)} (log: {log})",
            "seconds": time.perf_counter() - t,
            "peak_mb": peak or None,
        }
    return json.loads(out.strip().splitlines()[-1])


def _cause(err: str) -> str:
    """The line of a child's stderr saying what failed: the last exception line, else the last line."""
    lines = [x.strip() for x in err.strip().splitlines() if x.strip()]
    named = [x for x in lines if re.match(r"^[\w.]*(Error|Exception)\b", x) and "sqlalche.me" not in x]
    return (named or lines or [""])[-1][:300]


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
    if result.get("app_alone_peak_mb") is not None:
        note = f"app process alone: {result['app_alone_peak_mb']:,.0f} MB peak over the run (the rest: processes it started)"
    if result.get("added") is not None:
        note = f"{result['added']:,} deals added from a CSV read in chunks; {result.get('base_mb', 0):,.0f} MB before"
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
    lines = body.rstrip("\n").split("\n")
    last = max((i for i, text_line in enumerate(lines) if text_line.startswith("| ")), default=len(lines) - 1)
    lines.insert(last + 1, line)  # under the table's last row, above the notes that follow it
    out.write_text(head + SECTION + "\n".join(lines) + "\n" + (f"\n## {after}" if sep else ""))


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "--child":
        kind, *rest = argv[1:]
        if kind == "build":
            result = child_build(rest[0], Path(rest[1]))
        elif kind == "source":
            result = child_source(int(rest[0]), Path(rest[1]))
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
        made = _in_child(["source", str(args.rows), str(db)], args.timeout)  # not measured: the CSV to import
        result = made if "error" in made else _in_child(["import", str(args.rows), str(db)], args.timeout)
        for leftover in (db, db.with_suffix(".csv"), db.with_suffix(".source.duckdb")):
            leftover.unlink(missing_ok=True)
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

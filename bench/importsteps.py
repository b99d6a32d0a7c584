"""One real import with each of its steps timed and its peak memory: where a slow import spends.

    python bench/importsteps.py KIND FILE URL

KIND is what ``python -m salesops import`` takes (deals, accounts, activities, leads, ...), FILE the
CSV, URL the store (``duckdb:////path/to/copy.duckdb``; the import writes to it, so use a copy). Every
``refresh_*`` function of the store's modules (the derived tables an import rewrites), the ingest's
merge and upsert and the accounts import's row and cycle checks print, as each returns, their time,
the process's peak resident memory during the step (VmHWM, reset before the step) and the memory
after it; nested steps print before the step that called them. A line every 15 s gives the memory
in between. The last line is the command's exit code, time and memory (BENCHMARKS.md, "Memory at
scale": the accounts import into the large store was measured with this).
"""

from __future__ import annotations

import functools
import importlib
import inspect
import pkgutil
import sys
import threading
import time
from pathlib import Path
from typing import Any


def memory() -> dict[str, int]:
    """The process's resident memory now (VmRSS) and its peak since the last reset (VmHWM), in MB."""
    out = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) // 1024
    return out


#: The peak so far of each step running (outermost first): a nested step's reset of VmHWM would
#: otherwise hide the peak its caller reached before it.
_peaks: list[int] = []


def _timed(module: Any, name: str) -> None:
    step = getattr(module, name)

    @functools.wraps(step)
    def run(*args: Any, **kwargs: Any) -> Any:
        if _peaks:
            _peaks[-1] = max(_peaks[-1], memory()["VmHWM"])
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the memory now
        _peaks.append(0)
        started = time.perf_counter()
        try:
            return step(*args, **kwargs)
        finally:
            m = memory()
            m["VmHWM"] = max(m["VmHWM"], _peaks.pop())
            if _peaks:
                _peaks[-1] = max(_peaks[-1], m["VmHWM"])
            label = f"{module.__name__.rsplit('.', 1)[-1]}.{name}"
            print(
                f"{label:44s} {time.perf_counter() - started:7.1f} s  peak {m['VmHWM']:6,d} MB  now {m['VmRSS']:6,d} MB",
                flush=True,
            )

    setattr(module, name, run)


def instrument() -> None:
    """Wrap the steps in every module that holds them (the name a caller imported included)."""
    import salesops.ingest
    import salesops.store

    named = {
        "salesops.ingest.write": ("merge_stage", "upsert"),
        "salesops.ingest.accounts": ("account_rows", "_check_cycles"),
    }
    for package in (salesops.store, salesops.ingest):
        for info in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
            if info.ispkg:
                continue
            module = importlib.import_module(info.name)
            names = [n for n, f in vars(module).items() if n.startswith("refresh_") and inspect.isfunction(f)]
            for name in names + list(named.get(info.name, ())):
                _timed(module, name)


def main(kind: str, file: str, url: str) -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    instrument()
    from salesops.cli.main import main as cli

    started = time.perf_counter()

    def sample() -> None:
        while True:
            time.sleep(15)
            print(f"  [{time.perf_counter() - started:6.0f} s] rss {memory()['VmRSS']:,} MB", flush=True)

    threading.Thread(target=sample, daemon=True).start()
    rc = cli(["import", kind, file, "--db", url])
    print(f"exit {rc} in {time.perf_counter() - started:.1f} s; memory {memory()}", flush=True)
    return rc


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    sys.exit(main(*sys.argv[1:]))

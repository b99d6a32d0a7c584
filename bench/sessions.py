"""Concurrency: N sessions opening a page at the same moment, page run times p50 and p95.

    python bench/sessions.py [--sessions 20] [--rounds 2] [--pages home,performance] [--db FILE] [--out BENCHMARKS.md]

Starts the app on its own copy of the small demo (or ``--db``), opens ``--sessions`` browser tabs (one
headless Chromium, each tab its own Streamlit session) and navigates them all to a page at once;
for each tab, the time from its navigation start until the page's run has finished
(``data-test-script-state="notRunning"`` after the title is drawn) is one sample. Rounds repeat
this (the first round of a page meets the cache cold for the view, later ones warm).

What it measures is the page run as a browser sees it, so it is an upper bound of the server-side
run time: it includes the websocket round trips and the 20 tabs' own rendering, on the same two
cores as the server. Loopback only; every wait is bounded.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import browser  # noqa: E402

SECTION = "## Concurrent sessions (as the browser sees them)"
DONE_JS = """
(() => {
  window.__done = undefined;
  const title = %s;
  const obs = new MutationObserver(() => {
    const app = document.querySelector('[data-testid="stApp"]');
    const drawn = [...document.querySelectorAll('h1')].some(h => h.textContent.includes(title));
    if (drawn && app && app.getAttribute('data-test-script-state') === 'notRunning') {
      window.__done = performance.now();
      obs.disconnect();
    }
  });
  obs.observe(document, {childList: true, subtree: true, attributes: true});
})();
"""


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))
    return ordered[k]


def one_round(context, base: str, spec: tuple[str, str, str, str], n: int, timeout_ms: float) -> list[float]:
    """Open ``n`` tabs on the page at once; each tab's ms from navigation start to the run's end."""
    _, path, title, _ = spec
    tabs = []
    for _ in range(n):
        tab = context.new_page()
        tab.add_init_script(DONE_JS % repr(title))
        tabs.append(tab)
    for tab in tabs:  # navigations are started back to back; each time counts from its own start
        tab.goto(base + path, wait_until="commit", timeout=timeout_ms)
    out = []
    for tab in tabs:
        tab.wait_for_function("() => window.__done !== undefined", timeout=timeout_ms, polling=100)
        out.append(float(tab.evaluate("() => window.__done")))
    for tab in tabs:
        tab.close()
    return out


def run(n: int, rounds: int, keys: list[str], db: Path | None) -> tuple[dict, list, str]:
    from playwright.sync_api import sync_playwright

    results: dict[str, list[float]] = {}
    load = []
    with tempfile.TemporaryDirectory(prefix="salesops-sessions-") as tmp_name:
        tmp = Path(tmp_name)
        url = browser._prepare_db(db, tmp)
        proc, base = browser.start_server(url, tmp / "server.log")
        try:
            with sync_playwright() as p:
                b = p.chromium.launch(executable_path=browser.CHROMIUM, args=browser.CHROMIUM_ARGS)
                try:
                    context = b.new_context(viewport={"width": 1440, "height": 900})
                    for spec in [s for s in browser.PAGES if s[0] in keys]:
                        for _ in range(rounds):
                            load.append(os.getloadavg()[0])
                            results.setdefault(spec[0], []).extend(one_round(context, base, spec, n, 180_000))
                    context.close()
                finally:
                    b.close()
            load.append(os.getloadavg()[0])
            rss = browser.tree_rss_mb(proc.pid)[0]
        finally:
            browser.stop_server(proc)
    label = "its own copy of the small demo" if db is None else f"store {db.name}"
    return results, [*load, rss], label


def render(results: dict, extra: list, n: int, rounds: int, label: str, started: datetime) -> str:
    *load, rss = extra
    lines = [
        SECTION,
        "",
        f"Run: {started:%Y-%m-%d %H:%M}, {label}: {n} sessions (tabs of one headless Chromium) open the page at "
        f"once, {rounds} round(s) per page; a sample is one tab's time from navigation start to the end of its "
        f"page run, as the browser sees it (an upper bound of the server-side run: it includes the tabs' own "
        f"rendering on the same 2 cores). Load average (1 min) during the run: {', '.join(f'{x:.2f}' for x in load)}. "
        f"Server RSS after the run (app + workers): {rss:,.0f} MB.",
        "",
        f"Reproduce: `python bench/sessions.py --sessions {n} --rounds {rounds} --out BENCHMARKS.md`.",
        "",
        "| page | sessions | samples | p50 ms | p95 ms | max ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for key, values in results.items():
        lines.append(
            f"| {key} | {n} | {len(values)} | {statistics.median(values):,.0f} | {_pct(values, 0.95):,.0f} | "
            f"{max(values):,.0f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--pages", default="home,performance")
    ap.add_argument("--db", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    keys = [k.strip() for k in args.pages.split(",") if k.strip()]
    unknown = sorted(set(keys) - {p[0] for p in browser.PAGES})
    if unknown:
        print(f"error: unknown page(s) {', '.join(unknown)}", file=sys.stderr)
        print(f"hint: choose from {', '.join(p[0] for p in browser.PAGES)}", file=sys.stderr)
        return 2
    started = datetime.now()
    t = time.perf_counter()
    results, extra, label = run(max(1, args.sessions), max(1, args.rounds), keys, args.db)
    text = render(results, extra, args.sessions, args.rounds, label, started)
    print(text)
    print(f"({time.perf_counter() - t:.0f} s)", file=sys.stderr)
    if args.out:
        browser.write_section(args.out, text, SECTION)
    return 0


if __name__ == "__main__":
    sys.exit(main())

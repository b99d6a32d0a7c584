"""Screenshots of every page at 1366×768 and 1920×1080, for a person to look at (not asserted).

Run: ``.venv/bin/python -m tests.screenshots [FOLDER]`` (default ``screenshots/``, ignored by git and
by the test suite). It builds the demo into a temporary store, starts ``streamlit run app.py`` on a
free port, opens each page in Debian's chromium and saves ``<page>-<width>x<height>.png`` (the full
page, so nothing below the fold is missed).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from tests.conftest import CHROMIUM, CHROMIUM_ARGS, ROOT, _start_server, _stop_server, wait_for_app

SIZES = ((1366, 768), (1920, 1080))
#: (address, file name, text that shows the page has drawn[, selector scrolled into view first]):
#: Streamlit's main area scrolls by itself, so a part below the fold needs its own shot.
PAGES: tuple[tuple[str, ...], ...] = (
    ("", "home", "Sales cockpit"),
    ("performance", "performance", "Team performance"),
    ("performance", "performance-funnel", "Team performance", ".st-key-perf_funnel_team"),
    ("leaderboards?lb_metric=Win+rate", "leaderboards-by-win-rate", "Leaderboards", ".st-key-lb_rep_board"),
    ("leaderboards", "leaderboards", "Leaderboards"),
    ("leaderboards?lb_tab=Why+behind", "leaderboards-why", "Leaderboards"),
    ("leaderboards?lb_tab=Side+by+side", "leaderboards-compare", "Leaderboards"),
    ("forecasts", "forecasts", "Forecasts"),
    ("compensation", "compensation", "Compensation"),
    ("compensation?comp_tab=Compare", "compensation-compare", "Compensation"),
    ("tools", "tools", "Sales tools"),
    ("tools?tools_tab=Lead+fairness", "tools-fairness", "Sales tools"),
    ("customers", "customers", "Customers"),
    ("review", "review", "Weekly review"),
    ("review?present=true", "review-present", "Where we stand"),  # the screen-share view: no sidebar
    ("data", "data", "Data"),
)


def take(folder: Path) -> list[Path]:
    """Every page at every size into ``folder``; returns the files written."""
    from playwright.sync_api import sync_playwright

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        proc, base = _start_server(Path(tmp))
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                for width, height in SIZES:
                    context = browser.new_context(viewport={"width": width, "height": height})
                    page = context.new_page()
                    for address, name, text, *scroll in PAGES:
                        page.goto(f"{base}/{address}")
                        wait_for_app(page, text, timeout=120_000)
                        for selector in scroll:
                            page.locator(selector).first.scroll_into_view_if_needed()
                        page.wait_for_timeout(1500)  # charts finish drawing after the script
                        out = folder / f"{name}-{width}x{height}.png"
                        page.screenshot(path=str(out), full_page=True)
                        written.append(out)
                    context.close()
                browser.close()
        finally:
            _stop_server(proc)
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "screenshots"
    for path in take(target):
        print(path)

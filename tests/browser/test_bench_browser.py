"""A one-repetition smoke run of the browser benchmark, so it cannot rot."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.browser


def test_the_browser_benchmark_times_a_page_the_team_change_and_the_server_memory(tmp_path, chromium_path):
    """`bench/browser.py --reps 1 --pages home` writes first-content, first-KPI, team-change, RSS and floor rows."""
    out = tmp_path / "BENCH.md"
    out.write_text("# Benchmarks\n\nkept\n\n## Other section\n\nalso kept\n")
    res = subprocess.run(
        [sys.executable, "bench/browser.py", "--reps", "1", "--pages", "home", "--out", str(out), "--deadline", "240"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=420,
    )
    assert res.returncode == 0, res.stderr[-3000:]
    text = out.read_text()
    assert "kept" in text and "## Other section" in text
    first_kpi = re.search(r"\| home › first KPI tile or chart \| ([\d,]+) \|", text)
    assert first_kpi and int(first_kpi.group(1).replace(",", "")) > 0
    assert re.search(r"\| sidebar team change › new figure shown \|  \| [\d,]+ \|", text)
    rss = re.search(r"\| server RSS idle after the walks \(app \+ workers, (\d+) processes\) \|  \| ([\d,]+) \|", text)
    assert rss and int(rss.group(1)) >= 1 and int(rss.group(2).replace(",", "")) > 50
    assert re.search(r"Load average \(1 min\) during the run: \d", text)
    assert f"Reproduce: `python bench/browser.py --reps 1 --pages home --out {out} --deadline 240`" in text
    assert "The first visit was made once the server log said the warm-up finished" in text
    assert "Chromium's own first page (the floor app on a throwaway server, not counted)" in text
    floor = re.search(r"\| floor \(bare Streamlit page\) › first KPI tile or chart \| ([\d,]+) \|", text)
    assert floor and int(floor.group(1).replace(",", "")) > 0  # the bare page, measured in the same run
    home_floor = re.search(r"\| floor with Home's sidebar and tiles › first KPI tile or chart \| ([\d,]+) \|", text)
    assert home_floor and int(home_floor.group(1).replace(",", "")) > 0  # Home's elements, no library


def test_several_server_starts_report_the_median_first_visit_and_each_one():
    """With ``--starts 3`` the first-visit column is the median of the three starts, and each is listed."""
    from datetime import datetime

    from bench import browser

    res = browser.Results()
    for ms in (1_500.0, 1_200.0, 1_300.0):
        res.add_first("home › first KPI tile or chart", ms)
    res.samples["home › first KPI tile or chart"] = [1_250.0, 1_350.0]
    text = browser.render(res, 6, "test", datetime(2026, 12, 4, 14, 0), "cmd", starts=3)
    assert "| what | first visit (median of 3 starts) | median | max | budget | ok |" in text
    assert "| home › first KPI tile or chart | 1,300 | 1,300 | 1,350 | 1,500 | ✓ |" in text
    assert "- home › first KPI tile or chart: 1,500 / 1,200 / 1,300" in text


def test_the_browser_benchmark_refuses_an_unknown_page():
    """An unknown page key is a clear error (exit 2) naming the pages to choose from."""
    res = subprocess.run(
        [sys.executable, "bench/browser.py", "--pages", "nope"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert res.returncode == 2
    assert "unknown page(s) nope" in res.stderr and "hint: choose from home" in res.stderr

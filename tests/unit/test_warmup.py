"""The start-up warm-up fills each page's default view, so a first visit finds its figures cached."""

from __future__ import annotations

import os
import time
from collections import Counter
from pathlib import Path

import pytest
import streamlit as st
from streamlit.runtime.caching import cache_data_api

from salesops.forecasts import pool
from tests.conftest import ROOT


def _entries() -> Counter:
    """Bytes cached per loader (st.cache_data's own statistics): a new entry makes it grow."""
    out: Counter = Counter()
    for stats in cache_data_api._data_caches.get_stats().values():
        for s in stats:
            out[s.cache_name] += s.byte_length
    return out


@pytest.fixture(scope="module")
def warmed_app(demo_url):
    """The demo store with the loaders' cache cleared and then warmed once for this module."""
    from pages.ui import warmup

    mp = pytest.MonkeyPatch()
    mp.setenv("SALESOPS_DB_URL", demo_url)
    st.cache_data.clear()
    assert warmup.run(demo_url) == []
    yield demo_url
    mp.undo()


@pytest.mark.parametrize(
    ("page", "loaders"),
    [
        ("app.py", ("compare_headline", "headline_trend", "load_teams", "last_updated", "pipeline_flag_share")),
        (
            "pages/performance.py",
            (
                "compare_kpis", "pacing", "attainment_by_team", "attainment_by_rep", "funnel", "rep_deals",
                "business_by_team", "pipeline_flag_share",
            ),
        ),
        ("pages/leaderboards.py", ("load_board_data",)),
        ("pages/forecasts.py", ("forecast_series", "pipeline_by_period", "target_outlook")),
        ("pages/tools.py", ("load_rounds", "tool_results", "team_breakdown", "tool_themes")),
        ("pages/compensation.py", ("load_attainment", "list_plans")),
        ("pages/data.py", ("health_report", "records_to_fix", "import_history")),
    ],
)  # fmt: skip
def test_a_first_visit_after_the_warm_up_computes_nothing_new(warmed_app, page, loaders):
    """After warmup.run, the page's default run adds no cache entry at all (its loaders named here are
    warmed, and every other one it calls too): everything it reads is a hit."""
    from streamlit.testing.v1 import AppTest

    warmed = _entries()
    assert all(any(name.endswith(f".{loader}") for name in warmed) for loader in loaders), warmed
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.run()
    if page != "app.py":
        at.switch_page(page).run()
    assert not at.exception, at.exception
    after = _entries()
    grew = {n: after[n] - warmed[n] for n in after if after[n] != warmed[n]}
    assert not grew, grew


def test_the_warm_up_is_off_when_the_setting_says_so(monkeypatch, app_env):
    """SALESOPS_WARMUP=0 starts no thread; on, it starts one thread once per store."""
    from pages.ui import warmup

    monkeypatch.setenv("SALESOPS_WARMUP", "0")
    assert warmup.start(app_env) is None
    monkeypatch.setenv("SALESOPS_WARMUP", "1")
    monkeypatch.setattr(warmup, "_STARTED", set())
    monkeypatch.setattr(warmup, "run", lambda url: [])
    thread = warmup.start(app_env)
    assert thread is not None
    thread.join(10)
    assert warmup.start(app_env) is None  # once per store and process


def _alive(pid: int) -> bool:
    status = Path(f"/proc/{pid}/status")
    try:
        return "\nState:\tZ" not in status.read_text()
    except OSError:
        return False


@pytest.mark.slow
def test_forecast_workers_exit_when_idle(monkeypatch):
    """After SALESOPS_FORECAST_IDLE_S without a batch, the worker processes are gone and a new batch still runs."""
    monkeypatch.setenv("SALESOPS_FORECAST_IDLE_S", "0.5")
    pids = set(pool.run_batch(os.getpid, [(), (), (), ()], 2))
    assert os.getpid() not in pids and 1 <= len(pids) <= 2
    deadline = time.time() + 30
    while time.time() < deadline and (pool._POOL is not None or any(_alive(p) for p in pids)):
        time.sleep(0.2)
    assert pool._POOL is None
    assert not any(_alive(p) for p in pids)
    again = set(pool.run_batch(os.getpid, [(), ()], 2))  # started again on demand
    assert again and not again & pids


def test_a_team_picked_in_the_sidebar_after_the_warm_up_is_a_cache_hit(warmed_app):
    """The small demo's teams are warmed too: choosing T05 on Home adds no headline or trend entry."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.run()
    warmed = _entries()
    at.selectbox(key="team").set_value("T05").run()
    assert not at.exception, at.exception
    assert " ".join(c.value for c in at.caption).startswith("T05,")
    after = _entries()
    grew = [n for n in after if after[n] != warmed[n] and n.endswith((".compare_headline", ".headline_trend"))]
    assert not grew, grew

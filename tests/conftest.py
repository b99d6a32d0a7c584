"""Shared fixtures: one demo store per store kind (built once), empty stores, AppTest, Chromium.

The demo is built with a fixed seed and a fixed 'today' so every figure the tests check is stable.
The store fixtures (``demo_url``, ``demo_engine``, ``empty_engine``, ``app_env``, ``app``) are
parametrised over :data:`STORES`: a test using them runs on DuckDB and on a throwaway PostgreSQL
cluster that the run starts itself (tests/pg.py). ``@pytest.mark.store("duckdb")`` keeps a test
on one store. Without PostgreSQL installed the PostgreSQL half is skipped locally with a message,
and fails in CI (``CI=true``).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import date
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TODAY = date(2026, 11, 24)
SEED = 7
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

os.environ.setdefault("SALESOPS_TODAY", TODAY.isoformat())
# No background warm-up in the test process (it would write the forecast store behind the tests'
# backs); the browser servers turn it on, as `streamlit run` has it (tests/unit/test_warmup.py).
os.environ.setdefault("SALESOPS_WARMUP", "0")
# Nor the model choice by backtest (minutes of Prophet fits), also in the browser tests' servers.
os.environ.setdefault("SALESOPS_MODEL_CHOICE", "0")

#: The stores every store-facing test runs on: both under `make test` and in CI (CI=true); a plain
#: `pytest` run (the quick loop while developing, and /work/land.sh) runs DuckDB alone unless
#: SALESOPS_TEST_STORES=duckdb,postgresql says otherwise.
ALL_STORES = ("duckdb", "postgresql")
_DEFAULT_STORES = "duckdb,postgresql" if os.environ.get("CI") == "true" else "duckdb"
STORES = tuple(s for s in os.environ.get("SALESOPS_TEST_STORES", _DEFAULT_STORES).split(",") if s in ALL_STORES)


def pytest_collection_modifyitems(config, items):
    """Drop the runs on the other store of a test marked ``@pytest.mark.store(KIND, …)``."""
    keep, drop = [], []
    for item in items:
        marker = item.get_closest_marker("store")
        kind = getattr(getattr(item, "callspec", None), "params", {}).get("store_kind")
        if marker is not None and kind is not None and kind not in marker.args:
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(scope="session")
def pg_cluster():
    """A throwaway PostgreSQL cluster for the whole run (skipped locally without the binaries)."""
    from tests.pg import MISSING_HINT, Cluster, find_bindir, wait_ready

    bindir = find_bindir()
    if bindir is None:
        if os.environ.get("CI") == "true":
            pytest.fail(MISSING_HINT + " — CI must install it (see .ci/run).")
        pytest.skip(MISSING_HINT)
    cluster = Cluster(bindir).start()
    try:
        wait_ready(cluster)
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session", params=STORES)
def store_kind(request) -> str:
    """Which store the test runs on: "duckdb" or "postgresql"."""
    return request.param


@pytest.fixture
def new_store_url(request, tmp_path, store_kind):
    """A function returning the URL of a new, empty database of the test's store kind."""
    counter = iter(range(1_000_000))

    def make(name: str = "store") -> str:
        if store_kind == "postgresql":
            return request.getfixturevalue("pg_cluster").create_database(name)
        return f"duckdb:///{tmp_path / f'{name}{next(counter)}.duckdb'}"

    return make


@pytest.fixture(scope="session")
def demo_url(request, tmp_path_factory, store_kind) -> str:
    """URL of a store holding the small demo (seed 7, today 2026-11-24), built once per store kind."""
    from salesops.demo import build_demo
    from salesops.store.engine import open_store

    if store_kind == "postgresql":
        url = request.getfixturevalue("pg_cluster").create_database("demo")
    else:
        url = f"duckdb:///{tmp_path_factory.mktemp('demo') / 'demo.duckdb'}"
    engine = open_store(url)
    build_demo(engine, seed=SEED, scale="small", today=TODAY)
    from salesops.forecasts.outlook_cache import warm_outlooks

    warm_outlooks(engine, TODAY, kinds=("quarter",))  # what `python -m salesops demo` does; the page reads it
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def demo_engine(demo_url):
    """The demo store's engine, shared by every test that only reads it."""
    from salesops.store.engine import open_store

    return open_store(demo_url)


@pytest.fixture
def empty_engine(new_store_url):
    """A fresh, empty store (tables created, no rows) in its own database of the test's store kind."""
    from salesops.store.engine import open_store

    engine = open_store(new_store_url("empty"))
    yield engine
    engine.dispose()


@pytest.fixture
def app_env(monkeypatch, demo_url):
    """Point the in-process app (AppTest) at the demo store with a pinned 'today'."""
    monkeypatch.setenv("SALESOPS_DB_URL", demo_url)
    monkeypatch.setenv("SALESOPS_TODAY", TODAY.isoformat())
    return demo_url


@pytest.fixture
def app(app_env):
    """An AppTest of app.py on the demo store, already run once."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


# ---- browser ---------------------------------------------------------------------------------


@pytest.fixture
def tile_pauses(monkeypatch) -> list[float]:
    """The pauses ``widgets.let_tiles_show`` makes, recorded instead of slept (a page test's list)."""
    from types import SimpleNamespace

    from pages.ui import widgets

    slept: list[float] = []
    monkeypatch.setattr(widgets, "time", SimpleNamespace(sleep=slept.append))
    return slept


def open_each_tab(at, key: str):
    """Open each tab after the first of the page's one tab block ``key`` (bound to the URL), as a click would
    (only the open tab runs): yields each label once the page has run with it open, then reopens the first.
    For a page whose tabs run lazily (Sales tools), so a test can check every tab's content."""
    labels = [t.label for t in at.tabs]
    for label in labels[1:]:
        at.session_state[key] = label
        at.run()
        yield label
    at.session_state[key] = labels[0]
    at.run()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's chromium; skipped when missing locally, a failure in CI (CI=true)."""
    path = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
    if not path:
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is not installed (CI must install Debian's chromium: see .ci/run).")
        pytest.skip("Chromium not installed (apt-get install chromium)")
    return path


def _start_server(tmp: Path, extra_env: dict | None = None):
    """Build the demo into its own store under ``tmp`` and start the app (`make run`'s launcher) on a free port.

    Returns (process, base URL). Each server owns its DuckDB file (one process may hold a file).
    """
    url = f"duckdb:///{tmp / 'server.duckdb'}"
    env = {**os.environ, "SALESOPS_DB_URL": url, "SALESOPS_TODAY": TODAY.isoformat(), "SALESOPS_WARMUP": "1"}
    env.update(extra_env or {})
    subprocess.run(
        [sys.executable, "-m", "salesops", "demo", "--seed", str(SEED), "--db", url, "--warm", "quarter"],
        check=True,
        env=env,
        cwd=ROOT,
        capture_output=True,
    )
    port = _free_port()
    log = open(tmp / "server.log", "wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pages.ui.serve",  # what `make run` starts: `streamlit run app.py`, warmed before the first visit
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
            "--server.fileWatcherType",
            "none",
            "--server.port",
            str(port),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(f"{base}/_stcore/health", timeout=2).read() == b"ok":
                return proc, base
        except OSError:
            time.sleep(0.3)
    proc.kill()
    pytest.fail(f"streamlit did not start: {(tmp / 'server.log').read_text()[-2000:]}")


def _stop_server(proc) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="session")
def server(tmp_path_factory, chromium_path) -> str:
    """A real `streamlit run app.py` on a free port, on its own demo store; yields its base URL."""
    proc, base = _start_server(tmp_path_factory.mktemp("server"))
    yield base
    _stop_server(proc)


@pytest.fixture(scope="session")
def proxy_server(tmp_path_factory, chromium_path) -> str:
    """A server in proxy sign-in mode (SALESOPS_AUTH=proxy) on its own demo store (demo users: docs/DEMO_DATA.md)."""
    proc, base = _start_server(tmp_path_factory.mktemp("proxy"), {"SALESOPS_AUTH": "proxy"})
    yield base
    _stop_server(proc)


@pytest.fixture
def fresh_server(tmp_path, chromium_path) -> str:
    """A server that has answered no request yet (for first-request behaviour); stopped after the test."""
    proc, base = _start_server(tmp_path)
    yield base
    _stop_server(proc)


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    pg = context.new_page()
    yield pg
    context.close()


def wait_for_app(page, text: str | None = None, timeout: float = 60_000) -> None:
    """Wait until the app has drawn real content (``text``) and finished running."""
    if text:
        page.get_by_text(text, exact=False).first.wait_for(timeout=timeout)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout)
    page.wait_for_timeout(300)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout)

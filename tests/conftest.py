"""Shared fixtures: one demo store for the whole run (built once), empty stores, AppTest, Chromium.

The demo is built with a fixed seed and a fixed 'today' so every figure the tests check is stable.
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


@pytest.fixture(scope="session")
def demo_url(tmp_path_factory) -> str:
    """URL of a DuckDB file holding the small demo (seed 7, today 2026-11-24), built once, its quarter outlooks stored."""
    from salesops.demo import build_demo
    from salesops.store.engine import open_store

    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    url = f"duckdb:///{path}"
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
def empty_engine(tmp_path):
    """A fresh, empty store (tables created, no rows) in its own DuckDB file."""
    from salesops.store.engine import open_store

    engine = open_store(f"duckdb:///{tmp_path / 'empty.duckdb'}")
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
    """Build the demo into its own store under ``tmp`` and start `streamlit run app.py` on a free port.

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
            "streamlit",
            "run",
            "app.py",
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

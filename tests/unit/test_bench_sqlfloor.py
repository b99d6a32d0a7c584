"""bench/sqlfloor.py: a page's statements captured by thread and replayed on raw DuckDB."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT))
from bench import sqlfloor, workloads  # noqa: E402


def test_a_missing_store_is_refused_and_no_file_is_created(tmp_path):
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench/sqlfloor.py"), str(tmp_path / "nope.duckdb"), "performance"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1 and "no such store file" in done.stderr
    assert list(tmp_path.iterdir()) == []


def _duckdb_file(demo_url: str) -> Path:
    if not demo_url.startswith("duckdb:///"):
        pytest.skip("the floor is DuckDB's: raw DuckDB cursors")
    return Path(demo_url.removeprefix("duckdb:///"))


def test_the_page_statements_are_captured_by_thread_and_replay_to_the_same_rows(demo_url, demo_engine):
    """Team performance sends its seven statements, the tiles' two on the caller and the five later
    reads on the reader pool; each replayed on a raw cursor gives the rows the page's own run got."""
    _duckdb_file(demo_url)
    calls = workloads.page_calls(demo_engine, sqlfloor.TODAY, forecasts=False)["performance"]
    groups = sqlfloor.capture(demo_engine, calls)
    statements = [s for g in groups for s in g]
    assert len(statements) == 7
    assert len(groups) > 1  # a file store: the reads ran on the pool's threads
    assert len(groups[0]) == 2 and "WITH win AS" in groups[0][0][0]  # compare_kpis, then pacing, on the caller
    raw = demo_engine.raw_connection()
    try:
        cur = raw.driver_connection
        for statement, params in statements:
            with demo_engine.connect() as conn:
                want = conn.exec_driver_sql(statement, tuple(params)).all()
            got = cur.execute(statement, params).fetchall()
            assert [tuple(r) for r in want] == got
        ms = sqlfloor.replay([cur] * len(groups), groups, None)  # one after the other on one cursor
    finally:
        raw.close()
    assert ms > 0


def test_a_measure_alternates_the_page_and_its_floor(demo_url):
    got = sqlfloor.measure(_duckdb_file(demo_url), "leaderboards", reps=1, rounds=2)
    assert list(got) == ["page", "SQL at once", "SQL one after the other"]
    assert all(len(v) == 2 and all(x > 0 for x in v) for v in got.values())

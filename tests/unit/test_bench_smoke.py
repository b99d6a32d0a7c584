"""A one-repetition smoke run of the benchmark at small scale, so it cannot rot."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT


@pytest.mark.slow
def test_the_benchmark_runs_end_to_end_at_small_scale(tmp_path):
    """`bench/run.py --scale small --reps 1` builds its store, times every group and writes the table."""
    out = tmp_path / "BENCH.md"
    res = subprocess.run(
        [
            sys.executable,
            "bench/run.py",
            "--scale",
            "small",
            "--reps",
            "1",
            "--import-rows",
            "2000",
            "--db",
            str(tmp_path / "b.duckdb"),
            "--out",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert res.returncode == 0, res.stderr[-3000:]
    text = out.read_text()
    assert "| page data calls (warm) | home |" in text
    assert "whole page run (AppTest, warm)" in text
    assert "peak RSS" in text

"""`python -m salesops leaderboard`: CSV/JSON boards and clear errors."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stderr, redirect_stdout

import pandas as pd

from salesops.cli import main as cli


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = cli.main(list(argv))
    return code, out.getvalue(), err.getvalue()


def test_the_rep_board_comes_out_as_csv_ranked(demo_url):
    """The default board is a CSV ranked by attainment, best first, with movement and flags."""
    code, out, _ = _run(
        "leaderboard", "--db", demo_url, "--from", "2026-01-01", "--to", "2026-11-24", "--grain", "year"
    )
    assert code == 0
    frame = pd.read_csv(io.StringIO(out))
    assert list(frame.columns[:4]) == ["rank", "movement", "rep_id", "name"]
    assert set(frame["rep_id"].head(3)) == {"R0001", "R0037", "R0073"}
    assert frame["attainment"].dropna().is_monotonic_decreasing


def test_the_team_board_comes_out_as_json(demo_url):
    """--by team --format json lists the 11 teams, each with a rank and won revenue in cents."""
    code, out, _ = _run("leaderboard", "--db", demo_url, "--metric", "won_revenue", "--by", "team", "--format", "json")
    assert code == 0
    rows = json.loads(out)
    assert len(rows) == 11 and rows[0]["rank"] == 1
    assert rows[0]["won_cents"] >= rows[-1]["won_cents"]


def test_a_composite_board_writes_its_score(demo_url):
    """--metric composite with weights writes a 0..100 score column."""
    code, out, _ = _run(
        "leaderboard", "--db", demo_url, "--metric", "composite", "--weights", "attainment=2,activities=1"
    )
    assert code == 0
    frame = pd.read_csv(io.StringIO(out))
    assert frame["score"].between(0, 100).all()


def test_an_unknown_metric_is_a_clear_error_listing_the_allowed_ones(demo_url):
    """A typo in --metric exits 2 with error:/hint: lines naming every allowed metric, no traceback."""
    code, out, err = _run("leaderboard", "--db", demo_url, "--metric", "revenue")
    assert code == 2 and out == ""
    assert "error: Unknown leaderboard metric 'revenue'" in err
    assert "won_revenue" in err and "pipeline_created" in err and "Traceback" not in err


def test_weights_without_the_composite_metric_are_refused(demo_url):
    """--weights with another metric is a user error, not silently ignored."""
    code, _, err = _run("leaderboard", "--db", demo_url, "--metric", "win_rate", "--weights", "attainment=1")
    assert code == 2 and "--weights only applies" in err

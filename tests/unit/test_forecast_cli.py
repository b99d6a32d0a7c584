"""CLI: `python -m salesops forecast` prints the forecast and the backtest metrics, and explains bad input."""

from __future__ import annotations

import json

import pytest

from salesops.cli.main import main

pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword")


@pytest.mark.slow
def test_forecast_prints_periods_with_intervals_and_metrics(demo_url, capsys):
    """Monthly company forecast, 3 months: three rows with ds, series, yhat, its interval and WAPE/MASE."""
    assert (
        main(
            ["forecast", "--by", "company", "--grain", "month", "--horizon", "3", "--db", demo_url, "--format", "json"]
        )
        == 0
    )
    rows = json.loads(capsys.readouterr().out)
    assert [r["ds"] for r in rows] == ["2026-11-01", "2026-12-01", "2027-01-01"]
    for r in rows:
        assert r["series"] == "company"
        assert 0 <= r["yhat_lower"] <= r["yhat"] <= r["yhat_upper"]
        assert r["wape"] > 0 and r["mase"] > 0 and 0 <= r["coverage"] <= 1


def test_an_unknown_holiday_country_is_a_clean_error(demo_url, capsys):
    """--country XX stops with an error and a hint, exit code 2, no traceback."""
    assert main(["forecast", "--country", "XX", "--db", demo_url]) == 2
    err = capsys.readouterr().err
    assert "error: No holiday calendar for country 'XX'." in err and "hint:" in err


def test_an_empty_store_says_there_is_not_enough_history(tmp_path, capsys):
    """No won deals: NotEnoughHistory's message, exit code 2."""
    assert main(["forecast", "--db", f"duckdb:///{tmp_path / 'e.duckdb'}"]) == 2
    assert "error: Not enough history to forecast the company" in capsys.readouterr().err

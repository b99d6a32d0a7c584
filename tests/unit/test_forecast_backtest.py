"""Backtest metrics against hand-computed values, with a stub forecaster (the real one: test_forecast_prophet)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from salesops.forecasts.backtest import accuracy, cutoff_indices, rolling_origin, verdict
from salesops.forecasts.model import ForecastSpec

# 16 months; horizon 2 -> origins 2 apart? No: spacing = max(1, 2 // 2) = 1, so the last training
# period of each origin is 13, 12, 11 (10 would leave 11 < 12 months to train on).
Y = [50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150, 160, 55, 80, 100, 200]


def _history(values):
    return pd.DataFrame({"ds": pd.date_range("2024-01-01", periods=len(values), freq="MS").date, "y": values})


def last_plus_ten(train: pd.DataFrame, spec: ForecastSpec) -> pd.DataFrame:
    """Stub forecaster: the last training value + 10, with an interval of ±15."""
    last = float(train["y"].iloc[-1]) + 10
    return pd.DataFrame({"yhat": [last] * spec.horizon, "yhat_lower": last - 15, "yhat_upper": last + 15})


def test_origins_leave_the_horizon_to_test_and_enough_to_train():
    """n=16, h=2: origins at 13, 12, 11; the next (10) would train on 11 < 12 months."""
    assert cutoff_indices(16, 2, "month") == [13, 12, 11]


def test_backtest_metrics_match_the_hand_computation():
    """Hand computation (actual, forecast, seasonal naive = same month last year):

    origin 13 (last 80 -> 90): (100, 90, y[2]=70), (200, 90, y[3]=80)
    origin 12 (last 55 -> 65): (80, 65, y[1]=60), (100, 65, y[2]=70)
    origin 11 (last 160 -> 170): (55, 170, y[0]=50), (80, 170, y[1]=60)
    |errors| 10+110+15+35+115+90 = 375; Σ actual = 615 -> WAPE 375/615
    naive |errors| 30+120+20+30+5+20 = 225 -> relative MAE 375/225 = 1.667, naive WAPE 225/615
    MAPE (all above 10% of the mean 102.5): (.1 + .55 + .1875 + .35 + 115/55 + 1.125) / 6
    inside ±15: errors 10 and 15 -> coverage 2/6
    """
    points = rolling_origin(_history(Y), ForecastSpec(grain="month", horizon=2), forecaster=last_plus_ten)
    assert list(points["naive"]) == [70, 80, 60, 70, 50, 60]
    acc = accuracy(points)
    assert acc.wape == pytest.approx(375 / 615)
    assert acc.rel_mae == pytest.approx(375 / 225)
    assert acc.naive_wape == pytest.approx(225 / 615)
    assert acc.mape == pytest.approx((0.1 + 0.55 + 0.1875 + 0.35 + 115 / 55 + 1.125) / 6)
    assert acc.mape_points == 6
    assert acc.coverage == pytest.approx(2 / 6)
    assert (acc.cutoffs, acc.points, acc.beats_naive) == (3, 6, False)
    assert "season 12 months" in acc.baseline


def test_mape_skips_actuals_near_zero():
    """Actuals 0 and 2 are under 10% of the mean (202/4 = 50.5 -> 5.05): MAPE = (10/100 + 10/100) / 2."""
    points = pd.DataFrame(
        {
            "cutoff": ["a"] * 4,
            "y": [0.0, 2.0, 100.0, 100.0],
            "yhat": [5.0, 2.0, 90.0, 110.0],
            "yhat_lower": 0.0,
            "yhat_upper": 1000.0,
            "naive": [0.0, 0.0, 100.0, 100.0],
        }
    )
    acc = accuracy(points, baseline="naive")
    assert acc.mape == pytest.approx(0.1) and acc.mape_points == 2
    assert acc.wape == pytest.approx(25 / 202)
    assert acc.rel_mae == pytest.approx((25 / 4) / (2 / 4))


def test_a_history_shorter_than_a_season_falls_back_to_the_naive_baseline():
    """40 weeks, h=4: the earliest origin trains on 30 < 52 weeks, so the baseline is the last known value."""
    values = [float(10 + i % 7) for i in range(40)]
    points = rolling_origin(
        _history(values).assign(ds=pd.date_range("2025-01-06", periods=40, freq="W-MON").date),
        ForecastSpec(grain="week", horizon=4),
        forecaster=last_plus_ten,
    )
    for cutoff_pos, part in zip([35, 33, 31, 29], [points.iloc[i * 4 : i * 4 + 4] for i in range(4)]):
        assert list(part["naive"]) == [values[cutoff_pos]] * 4
    assert "naive (last week's value)" in accuracy(points).baseline


def test_too_short_for_any_origin_gives_an_empty_track_record():
    """14 months with h=3 leaves 10 < 12 to train on: no points, and the verdict says so."""
    points = rolling_origin(_history(Y[:14]), ForecastSpec(grain="month", horizon=3), forecaster=last_plus_ten)
    assert len(points) == 0
    acc = accuracy(points)
    assert acc.mase is None and acc.rel_mae is None
    assert verdict(acc, "team Alpha").startswith("No track record for team Alpha")


def test_the_verdict_says_plainly_when_prophet_does_not_beat_the_baseline():
    """MASE ≥ 1 gives a 'does not beat' sentence naming the series and the baseline."""
    acc = accuracy(rolling_origin(_history(Y), ForecastSpec(grain="month", horizon=2), forecaster=last_plus_ten))
    text = verdict(acc, "team Alpha")
    assert text.startswith("Prophet does not beat the seasonal naive") and "team Alpha" in text and "1.67×" in text


def test_mase_is_scaled_by_the_in_sample_seasonal_naive_error():
    """Hyndman: training 10, 20, 30, 40, 14, 26 with season 4: |14-10|, |26-20| -> scale 5; errors 5 and 15 -> MASE 2."""
    from salesops.forecasts.backtest import insample_scale

    assert insample_scale(np.array([10.0, 20, 30, 40, 14, 26]), 4) == pytest.approx(5.0)
    assert insample_scale(np.array([10.0, 20, 26]), 4) == pytest.approx(8.0)  # shorter than a season and one: lag 1
    points = pd.DataFrame(
        {
            "cutoff": ["a", "a"],
            "y": [100.0, 100.0],
            "yhat": [95.0, 115.0],
            "yhat_lower": 0.0,
            "yhat_upper": 1.0,
            "naive": [100.0, 90.0],
            "scale": [5.0, 5.0],
        }
    )
    acc = accuracy(points)
    assert acc.mase == pytest.approx((5 / 5 + 15 / 5) / 2)
    assert acc.rel_mae == pytest.approx(10 / 5)

"""Real Prophet fits (marked slow, still part of `make test`): equality with a direct call, guards, cache, pool.

Kept to a handful of fits: each weekly fit of ~3 years takes about 0.1 s.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from salesops import store
from salesops.forecasts.model import INTERVAL_WIDTH, ForecastSpec, fit_forecast
from salesops.forecasts.service import accuracy_table, forecast_all, forecast_series
from salesops.store import schema

pytestmark = [
    pytest.mark.slow,
    # prophet 1.5 uses pandas' deprecated inplace=True; salesops.forecasts.model hides it in the app, pytest re-shows it
    pytest.mark.filterwarnings("ignore:The inplace keyword"),
]


def _weekly_series(weeks=156, seed=3, trend=0.0):
    """Three years of weekly revenue (cents) with a yearly wave and noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(weeks)
    y = 1_000_000 + 300_000 * np.sin(2 * np.pi * t / 52.18) + trend * t + rng.normal(0, 80_000, weeks)
    return pd.DataFrame({"ds": pd.date_range("2023-01-02", periods=weeks, freq="W-MON").date, "y": y.round()})


def test_the_library_forecast_equals_a_direct_prophet_call():
    """Same data, same settings, same seed: fit_forecast gives Prophet's own numbers (clipped at 0)."""
    from prophet import Prophet

    history = _weekly_series()
    spec = ForecastSpec(grain="week", horizon=8, seed=11)
    ours = fit_forecast(history, spec, samples=False)

    model = Prophet(
        interval_width=INTERVAL_WIDTH,
        yearly_seasonality=True,
        weekly_seasonality=False,
        daily_seasonality=False,
        uncertainty_samples=1000,
    )
    model.fit(pd.DataFrame({"ds": pd.to_datetime(history["ds"]), "y": history["y"]}))
    future = model.make_future_dataframe(periods=8, freq="W-MON", include_history=False)
    np.random.seed(11)
    direct = model.predict(future)

    assert ours.yearly
    assert list(ours.frame["ds"]) == list(direct["ds"].dt.date)
    assert ours.frame["ds"].iloc[0] == history["ds"].iloc[-1] + timedelta(weeks=1)
    for col in ("yhat", "yhat_lower", "yhat_upper"):
        np.testing.assert_allclose(ours.frame[col], direct[col].clip(lower=0), rtol=1e-6)


def test_forecasts_never_go_below_zero():
    """A series falling to zero would forecast negative revenue; every figure and sample is clipped at 0."""
    history = _weekly_series(weeks=60, trend=-20_000).assign(y=lambda f: f["y"].clip(lower=0))
    fc = fit_forecast(history, ForecastSpec(grain="week", horizon=26))
    assert (fc.frame[["yhat", "yhat_lower", "yhat_upper"]] >= 0).all().all()
    assert (fc.frame["yhat_lower"] == 0).any()  # the clip was needed
    assert fc.samples is not None and fc.samples.min() >= 0 and fc.samples.shape == (26, 1000)


def test_under_two_years_the_yearly_seasonality_is_off_and_said_so():
    """60 weeks of history: yearly seasonality is switched off and a note explains why."""
    fc = fit_forecast(_weekly_series(weeks=60), ForecastSpec(grain="week", horizon=4), samples=False)
    assert not fc.yearly
    assert any("Yearly seasonality is off" in n and "60 weeks" in n for n in fc.notes)


def test_holidays_are_modelled_offline_when_asked():
    """With country US the fit runs (no network) and the forecast says holidays are modelled."""
    fc = fit_forecast(_weekly_series(weeks=60), ForecastSpec(grain="week", horizon=4, country="US"), samples=False)
    assert any("United States" in n for n in fc.notes)


@pytest.fixture
def two_team_engine(empty_engine):
    """Two teams with 70 weeks of won deals each (one deal every Wednesday), today 2026-11-24."""
    today = date(2026, 11, 24)
    start = today - timedelta(weeks=70)
    rows = []
    for team, rep, base in (("T1", "R1", 10_000), ("T2", "R2", 20_000)):
        for i in range(70):
            day = start + timedelta(weeks=i)
            rows.append(
                {
                    "deal_id": f"{team}-{i}",
                    "rep_id": rep,
                    "team_id": team,
                    "stage": "Closed Won",
                    "outcome": "won",
                    "amount_cents": base + 1_000 * (i % 5),
                    "created_date": day - timedelta(days=20),
                    "close_date": day,
                }
            )
    teams = pd.DataFrame({"team_id": ["T1", "T2"], "name": ["Alpha", "Beta"], "region": ["East", "East"]})

    def fn(conn):
        store.bulk_insert(conn, schema.teams, teams)
        store.bulk_insert(conn, schema.deals, pd.DataFrame(rows))

    store.write(empty_engine, fn, "test")
    return empty_engine, today


def test_a_fit_is_stored_and_a_second_call_reads_it_without_bumping_the_version(two_team_engine):
    """forecast_series fits once, stores the fit in forecast_cache, and the next call (a restart) reads it."""
    engine, today = two_team_engine
    version = store.data_version(engine)
    first = forecast_series(engine, "team", "T1", "week", 6, None, today)
    assert not first.from_cache and first.label == "team Alpha"
    assert first.accuracy.cutoffs >= 1 and len(first.backtest) > 0
    assert store.data_version(engine) == version
    again = forecast_series(engine, "team", "T1", "week", 6, None, today)
    assert again.from_cache
    pd.testing.assert_frame_equal(again.forecast, first.forecast, check_dtype=False)
    assert store.table_counts(engine)["forecast_cache"] == 1


def test_all_teams_are_fitted_in_parallel_processes_and_stored(two_team_engine):
    """forecast_all with two workers fits both teams in a process pool and stores both fits."""
    engine, today = two_team_engine
    results = forecast_all(engine, "team", "week", 4, None, today, workers=2)
    table = accuracy_table(results)
    assert list(table["series"]) == ["T1", "T2"]
    assert table["wape"].notna().all()
    assert store.table_counts(engine)["forecast_cache"] == 2
    assert all(r.from_cache for r in forecast_all(engine, "team", "week", 4, None, today, workers=2))

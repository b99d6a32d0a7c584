"""Forecast library without Prophet: the SQL series, the guards, horizons, target arithmetic, the cache."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from salesops import store
from salesops.errors import InvalidFilter
from salesops.forecasts.backtest import NO_BACKTEST
from salesops.forecasts.cache import cache_key, from_payload, read_cached, to_payload, write_cached
from salesops.forecasts.history import load_history
from salesops.forecasts.model import (
    Forecast,
    ForecastSpec,
    NotEnoughHistory,
    check_country,
    check_history,
    default_horizon,
    period_weights,
    probability_at_least,
    target_windows,
    uses_yearly,
    value_at_confidence,
)
from salesops.forecasts.pipeline import pipeline_by_period
from salesops.forecasts.series import SeriesForecast
from salesops.forecasts.targets import outlook_for
from salesops.store import derived, schema

TEAMS = pd.DataFrame({"team_id": ["T1", "T2"], "name": ["Alpha", "Beta"], "region": ["East", "West"]})
REPS = pd.DataFrame(
    {
        "rep_id": ["R1", "R2"],
        "name": ["Ann", "Bob"],
        "team_id": ["T1", "T2"],
        "role": ["AE", "AE"],
        "ramp_months": 0,
        "active": True,
        "fte": 1.0,
    }
)


def _deal(deal_id, team, outcome, close, cents, probability=None):
    return {
        "deal_id": deal_id,
        "rep_id": "R1" if team == "T1" else "R2",
        "team_id": team,
        "stage": outcome,
        "outcome": outcome,
        "amount_cents": cents,
        "probability_bp": None if probability is None else round(probability * 10_000),
        "created_date": date(2025, 12, 1),
        "close_date": close,
    }


def _load(engine, deals, quotas=None):
    def fn(conn):
        store.bulk_insert(conn, schema.teams, TEAMS)
        store.bulk_insert(conn, schema.reps, REPS)
        store.bulk_insert(conn, schema.deals, pd.DataFrame(deals))
        if quotas is not None:
            store.bulk_insert(conn, schema.quotas, quotas)
        derived.refresh_derived(conn)  # as every writer of deals does (target outlooks read deal_kinds)

    store.write(engine, fn, "test")


@pytest.fixture
def weeks_engine(empty_engine):
    """Three weeks of deals: T1 sells in weeks 1 and 3, T2 in week 1; lost and open deals too."""
    _load(
        empty_engine,
        [
            _deal("D1", "T1", "won", date(2026, 1, 5), 10_000),  # Mon of week 2026-01-05
            _deal("D2", "T1", "won", date(2026, 1, 21), 5_000),  # Wed of week 2026-01-19
            _deal("D3", "T2", "won", date(2026, 1, 7), 3_000),  # Wed of week 2026-01-05
            _deal("D4", "T1", "lost", date(2026, 1, 13), 99_900),  # lost: never counts
            _deal("D5", "T1", "open", date(2026, 1, 14), 77_700, 0.5),  # open: never counts as won
            _deal("D6", "T1", "won", date(2026, 1, 27), 1_000),  # in the current week: not history yet
        ],
    )
    return empty_engine


TODAY = date(2026, 1, 28)  # Wednesday; the current week starts 2026-01-26, the last complete one 2026-01-19


def test_history_fills_weeks_without_sales_with_zeros(weeks_engine):
    """Each team gets every week from the first sale to the last complete week; empty weeks are 0."""
    frame = load_history(weeks_engine, "team", "week", TODAY)
    weeks = [date(2026, 1, 5), date(2026, 1, 12), date(2026, 1, 19)]
    t1 = frame[frame["series"] == "T1"]
    t2 = frame[frame["series"] == "T2"]
    assert list(t1["ds"]) == weeks and list(t1["y"]) == [10_000, 0, 5_000]
    assert list(t2["ds"]) == weeks and list(t2["y"]) == [3_000, 0, 0]


def test_history_by_company_region_and_one_team(weeks_engine):
    """Company sums the teams (10,000 + 3,000 in week 1); a region or a team value restricts it."""
    company = load_history(weeks_engine, "company", "week", TODAY)
    assert list(company["y"]) == [13_000, 0, 5_000]
    east = load_history(weeks_engine, "region", "week", TODAY, "East")
    assert set(east["series"]) == {"East"} and list(east["y"]) == [10_000, 0, 5_000]
    beta = load_history(weeks_engine, "team", "week", TODAY, "T2")
    assert list(beta["y"]) == [3_000, 0, 0]


def test_monthly_history_stops_before_the_current_month(weeks_engine):
    """On 2026-02-10 the history is January only: 10,000 + 5,000 + 1,000 for T1."""
    frame = load_history(weeks_engine, "team", "month", date(2026, 2, 10), "T1")
    assert list(frame["ds"]) == [date(2026, 1, 1)] and list(frame["y"]) == [16_000]


def test_history_of_an_empty_store_is_empty(empty_engine):
    """No won deals: no rows (and the guard then says so)."""
    frame = load_history(empty_engine, "company", "week", TODAY)
    assert len(frame) == 0
    with pytest.raises(NotEnoughHistory) as err:
        check_history(frame.drop(columns="series"), "week")
    assert err.value.periods == 0


@pytest.mark.parametrize(
    ("today", "grain", "expected"),
    [
        # current week starts Mon 2026-11-23; next quarter ends Wed 2027-03-31, in the week of 2027-03-29:
        # (2027-03-29 - 2026-11-23) = 126 days = 18 weeks, + the current one = 19
        (date(2026, 11, 24), "week", 19),
        (date(2026, 11, 24), "month", 5),  # Nov, Dec, Jan, Feb, Mar
        (date(2026, 1, 1), "month", 6),  # Jan .. Jun
    ],
)
def test_the_default_horizon_reaches_the_end_of_next_quarter(today, grain, expected):
    """The default horizon counts the current period through the end of the next quarter."""
    assert default_horizon(today, grain) == expected


def _weekly(values, start=date(2024, 1, 1)):
    return pd.DataFrame({"ds": pd.date_range(start, periods=len(values), freq="W-MON").date, "y": values})


def test_too_little_history_raises_not_enough_history():
    """20 weeks (after 5 leading zero weeks, which do not count) is below the 26-week minimum."""
    with pytest.raises(NotEnoughHistory) as err:
        check_history(_weekly([0] * 5 + [100] * 20), "week", "team Alpha")
    assert "team Alpha" in err.value.message and "20 weeks" in err.value.message
    assert err.value.hint and err.value.periods == 20


def test_a_series_with_too_few_sales_raises_not_enough_history():
    """40 weeks with only 3 sales is below the 8 weeks-with-a-sale minimum."""
    values = [100] + [0] * 36 + [50, 0, 70]
    with pytest.raises(NotEnoughHistory, match="3 with a sale"):
        check_history(_weekly(values), "week")


def test_yearly_seasonality_needs_two_full_years():
    """104 weekly rows span 103 weeks (721 days) < 730: off; 106 rows span 735 days: on."""
    assert not uses_yearly(_weekly([1] * 104))
    assert uses_yearly(_weekly([1] * 106))


def test_unknown_holiday_country_and_bad_spec_are_refused():
    """A country without a calendar and a grain or horizon out of range are named errors."""
    assert check_country("us") == "US" and check_country("") is None
    with pytest.raises(InvalidFilter, match="No holiday calendar"):
        check_country("XX")
    with pytest.raises(InvalidFilter, match="weekly or monthly"):
        ForecastSpec(grain="quarter")
    with pytest.raises(InvalidFilter, match="out of range"):
        ForecastSpec(horizon=0)


QUANTILES = tuple(10.0 * i for i in range(101))  # percentile p is worth 10 p


def test_probability_of_reaching_a_total_reads_the_percentiles():
    """Need 300 = the 30th percentile, so P(total ≥ 300) = 0.7; need 0 is certain, above the max impossible."""
    assert probability_at_least(QUANTILES, 300) == pytest.approx(0.7)
    assert probability_at_least(QUANTILES, 0) == 1.0
    assert probability_at_least(QUANTILES, 1_001) == 0.0


def test_the_target_at_a_confidence_is_the_opposite_percentile():
    """P90 = the 10th percentile (100), P50 = the median (500)."""
    assert value_at_confidence(QUANTILES, 0.9) == pytest.approx(100)
    assert value_at_confidence(QUANTILES, 0.5) == pytest.approx(500)


def test_a_week_straddling_the_window_counts_by_its_days_inside():
    """Week of Mon 2026-09-28 has 4 of its 7 days (Oct 1–4) in Q4; the next week is wholly inside."""
    w = period_weights([date(2026, 9, 28), date(2026, 10, 5)], "week", date(2026, 10, 1), date(2026, 12, 31))
    assert w == pytest.approx([4 / 7, 1.0])


def _flat_forecast(ds, value=100.0, n=50):
    frame = pd.DataFrame({"ds": ds, "yhat": value, "yhat_lower": value, "yhat_upper": value})
    return Forecast(frame=frame, samples=np.full((len(ds), n), value), yearly=True, history_periods=40)


def test_target_windows_are_the_whole_months_and_quarters_the_horizon_covers():
    """Nov–Jan monthly forecast of 100 a month: Q4 = Nov + Dec = 200; Q1 is not covered, so left out."""
    fc = _flat_forecast([date(2026, 11, 1), date(2026, 12, 1), date(2027, 1, 1)])
    windows = {w.label: w for w in target_windows(fc, "month")}
    assert list(windows) == ["2026-Q4", "Nov 2026", "Dec 2026", "Jan 2027"]
    assert windows["2026-Q4"].quantiles[50] == pytest.approx(200)
    assert windows["2026-Q4"].forecast_from == date(2026, 11, 1)
    assert windows["Jan 2027"].quantiles[0] == pytest.approx(100)


def _result(forecast_ds, quantile_scale=1.0):
    fc = _flat_forecast(forecast_ds)
    windows = target_windows(fc, "month")
    return SeriesForecast(
        by="team",
        series="T1",
        label="team Alpha",
        spec=ForecastSpec(grain="month", horizon=len(forecast_ds)),
        today=date(2026, 2, 10),
        history=pd.DataFrame({"ds": [date(2026, 1, 1)], "y": [16_000]}),
        forecast=fc.frame,
        backtest=pd.DataFrame(),
        accuracy=NO_BACKTEST,
        yearly=True,
        windows=windows,
    )


def test_outlook_adds_won_to_date_to_the_forecast_and_compares_with_quota(empty_engine):
    """Q1: won in Jan 16,000 + Feb/Mar forecast 2 × 100 = 16,200 expected vs quota 3 × 6,000 = 18,000.

    Need 18,000 − 16,000 = 2,000 from a forecast that is always 200: probability 0. Gap 1,800.
    Pipeline: won to today (16,000 in Jan + 500 on Feb 3) + the open 10,000 × 0.4 due in March = 20,500.
    """
    quotas = pd.DataFrame(
        {
            "rep_id": "R1",
            "period_type": "month",
            "period_start": [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)],
            "amount_cents": 6_000,
        }
    )
    _load(
        empty_engine,
        [
            _deal("D1", "T1", "won", date(2026, 1, 5), 10_000),
            _deal("D2", "T1", "won", date(2026, 1, 21), 6_000),
            _deal("D3", "T1", "won", date(2026, 2, 3), 500),
            _deal("D4", "T1", "open", date(2026, 3, 10), 10_000, 0.4),
            _deal("D5", "T2", "open", date(2026, 3, 10), 90_000, 0.9),  # other team
        ],
        quotas,
    )
    result = _result([date(2026, 2, 1), date(2026, 3, 1)])
    out = outlook_for(empty_engine, result, "2026-Q1", date(2026, 2, 10), confidence=0.8)
    assert out.won_to_date_cents == 16_000
    assert out.quota_cents == 18_000
    assert out.expected_cents == pytest.approx(16_200)
    assert out.probability == 0.0
    assert out.gap_cents == pytest.approx(1_800)
    assert dict(out.suggested)[0.8] == pytest.approx(16_200)
    assert [c for c, _ in out.suggested] == [0.5, 0.7, 0.8, 0.9]
    assert out.won_to_today_cents == 16_500
    assert out.pipeline_cents == pytest.approx(20_500)
    with pytest.raises(InvalidFilter, match="does not cover"):
        outlook_for(empty_engine, result, "2027-Q3", date(2026, 2, 10))


def test_pipeline_by_period_buckets_open_deals_by_expected_close(weeks_engine):
    """T1's open 77,700 × 0.5 was due 2026-01-14 (overdue), so it counts in the current week."""
    frame = pipeline_by_period(weeks_engine, "team", "T1", "week", 2, TODAY)
    assert list(frame["ds"]) == [date(2026, 1, 26), date(2026, 2, 2)]
    assert list(frame["weighted_cents"]) == pytest.approx([38_850, 0])
    assert list(frame["deals"]) == [1, 0]


def test_a_cached_fit_round_trips_and_does_not_bump_the_data_version(weeks_engine):
    """Writing forecast_cache leaves the data version alone; a fit is read back only at its version."""
    result = _result([date(2026, 2, 1), date(2026, 3, 1)])
    assert from_payload(to_payload(result)).windows == result.windows
    version = store.data_version(weeks_engine)
    key = cache_key("team", "T1", result.spec, date(2026, 2, 10))
    write_cached(weeks_engine, {key: result}, version)
    assert store.data_version(weeks_engine) == version
    back = read_cached(weeks_engine, [key], version)[key]
    assert back.from_cache and back.label == "team Alpha"
    pd.testing.assert_frame_equal(back.forecast, result.forecast, check_dtype=False)
    assert read_cached(weeks_engine, [key], version + 1) == {}

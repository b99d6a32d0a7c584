"""Weekly vs monthly views of one period: the agreement rule and the reasons given, on hand-built ranges."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from salesops import store
from salesops.forecasts import agreement
from salesops.forecasts.agreement import GrainRange, compare, grain_agreement, grain_ranges, range_of
from salesops.forecasts.model import NotEnoughHistory
from salesops.forecasts.targets import TargetOutlook
from tests.conftest import TODAY


def _r(grain, p10, p50, p90, won=0.0, start=date(2026, 11, 1), coverage=0.8) -> GrainRange:
    return GrainRange(grain, p10 * 100, p50 * 100, p90 * 100, won * 100, start, coverage)


def test_views_agree_when_each_median_is_inside_the_other_range():
    """Weekly 100 (90–110) and monthly 105 (95–115): both medians inside the other's range."""
    got = compare("2026-Q4", _r("week", 90, 100, 110), _r("month", 95, 105, 115))
    assert got.agree
    assert got.message == (
        "Weekly and monthly views of 2026-Q4 agree: weekly P50 $100 (P10–P90 $90–$110); "
        "monthly P50 $105 (P10–P90 $95–$115)."
    )


def test_one_median_outside_is_a_disagreement_and_says_why():
    """Monthly 120 is outside the weekly 90–110; the month's known wins and narrow ranges are the reasons."""
    week = _r("week", 90, 100, 110, won=40, start=date(2026, 11, 23), coverage=0.5)
    month = _r("month", 100, 120, 140, won=30, start=date(2026, 11, 1), coverage=0.3)
    got = compare("2026-Q4", week, month)
    assert not got.agree
    assert "do not agree: weekly P50 $100 (P10–P90 $90–$110) vs monthly P50 $120" in got.message
    assert "instead of counting the $10 won from 2026-11-01 to 2026-11-22" in got.message
    assert "covered only weekly 50% and monthly 30% of past outcomes" in got.message
    assert got.message.endswith("Neither sees the open pipeline; the outlook at the top does.")


def test_without_a_known_cause_the_message_names_the_separate_fits():
    """Same known wins and well-covered ranges: the remaining reason is the separate, differently noisy fits."""
    got = compare("Dec 2026", _r("week", 90, 100, 104), _r("month", 105, 110, 120))
    assert not got.agree and "separate fits of differently noisy series" in got.message
    assert "whole months" not in got.message and "covered only" not in got.message


def test_range_of_reads_p10_and_p90_from_the_suggested_targets():
    """P10 is the total reached 9 times in 10, P90 the one reached 1 time in 10."""
    out = TargetOutlook(
        label="2026-Q4",
        start=date(2026, 10, 1),
        end=date(2026, 12, 31),
        forecast_from=date(2026, 11, 1),
        won_to_date_cents=500,
        quota_cents=None,
        expected_cents=800.0,
        probability=None,
        gap_cents=None,
        suggested=((0.1, 990.0), (0.5, 800.0), (0.7, 700.0), (0.9, 610.0)),
        won_to_today_cents=0,
        pipeline_weighted_cents=0.0,
        pipeline_cents=0.0,
    )
    r = range_of(out, "month", 0.75)
    assert (r.p10, r.p50, r.p90, r.won_before, r.forecast_from) == (610.0, 800.0, 990.0, 500, date(2026, 11, 1))


def test_the_two_ranges_are_stored_per_data_version_and_read_back_as_computed(empty_engine, monkeypatch):
    """Computed once and stored; read back equal (a missing coverage too) without computing; another
    period is computed on its own; a data write makes the stored ranges stale, so they are computed again."""
    week = _r("week", 90.25, 100.5, 110.75, won=40.01, start=date(2026, 11, 23), coverage=0.5)
    month = _r("month", 100, 120, 140, won=30, coverage=None)
    calls = []

    def computed(engine, by, series, today, period, country=None):
        calls.append(period)
        return week, month

    monkeypatch.setattr(agreement, "grain_ranges", computed)
    first = grain_agreement(empty_engine, "company", None, TODAY, "2026-Q4")
    assert first == compare("2026-Q4", week, month) and calls == ["2026-Q4"]
    assert grain_agreement(empty_engine, "company", None, TODAY, "2026-Q4") == first
    assert calls == ["2026-Q4"]  # read, not computed
    grain_agreement(empty_engine, "company", None, TODAY, "2026-11")
    assert calls == ["2026-Q4", "2026-11"]
    store.write(
        empty_engine,
        lambda c: c.execute(sa.text("INSERT INTO teams (team_id, name, region) VALUES ('T9', 'Nine', 'EMEA')")),
        "test",
    )
    assert grain_agreement(empty_engine, "company", None, TODAY, "2026-Q4") == first
    assert calls == ["2026-Q4", "2026-11", "2026-Q4"]


def test_an_empty_store_has_nothing_to_compare_and_stores_nothing(empty_engine):
    """No won history: grain_agreement raises NotEnoughHistory (the page shows no line), warm_agreement says False."""
    with pytest.raises(NotEnoughHistory):
        grain_agreement(empty_engine, "company", None, TODAY, "2026-Q4")
    assert not agreement.warm_agreement(empty_engine, TODAY)
    assert store.table_counts(empty_engine)["forecast_cache"] == 0


@pytest.mark.slow
def test_the_demo_company_views_of_this_quarter_are_compared(demo_engine):
    """On the demo the company's weekly and monthly fits of 2026-Q4 give ordered ranges and a verdict;
    the stored comparison equals one computed afresh from the fits."""
    got = grain_agreement(demo_engine, "company", None, TODAY, "2026-Q4")
    for r in (got.week, got.month):
        assert r.p10 <= r.p50 <= r.p90
    assert got.message.startswith("Weekly and monthly views of 2026-Q4 ")
    assert grain_agreement(demo_engine, "company", None, TODAY, "2026-Q4") == got
    fresh = compare("2026-Q4", *grain_ranges(demo_engine, "company", None, TODAY, "2026-Q4"))
    assert fresh.message == got.message
    for a, b in ((fresh.week, got.week), (fresh.month, got.month)):
        # stored fits keep their predictions to the hundredth of a cent (forecasts/cache.py): agree to that
        assert (a.p10, a.p50, a.p90) == pytest.approx((b.p10, b.p50, b.p90), abs=0.01)
        assert (a.grain, a.won_before, a.forecast_from, a.coverage) == (
            b.grain,
            b.won_before,
            b.forecast_from,
            b.coverage,
        )


def test_a_stored_comparison_is_still_refused_to_a_viewer_who_may_not_see_the_series(empty_engine, monkeypatch):
    """A manager of T1 asking for team T2's comparison gets AccessDenied, stored or not, before any read."""
    from salesops.access import Viewer
    from salesops.errors import AccessDenied

    monkeypatch.setattr(agreement, "grain_ranges", lambda *a, **k: (_r("week", 1, 2, 3), _r("month", 1, 2, 3)))
    grain_agreement(empty_engine, "team", "T2", TODAY, "2026-Q4")  # stored for staff
    manager = Viewer("m@example.com", "manager", team_ids=("T1",))
    with pytest.raises(AccessDenied):
        grain_agreement(empty_engine, "team", "T2", TODAY, "2026-Q4", viewer=manager)
    assert grain_agreement(empty_engine, "team", "T1", TODAY, "2026-Q4", viewer=manager).period == "2026-Q4"

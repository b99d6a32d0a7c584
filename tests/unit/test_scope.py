"""Scope and period arithmetic: grain periods, previous period, last year, quota window, pacing."""

from __future__ import annotations

from datetime import date

import pytest

from salesops.errors import InvalidFilter
from salesops.scope import Scope, period_end, period_label, period_start


@pytest.mark.parametrize(
    ("day", "grain", "start", "end"),
    [
        (date(2026, 11, 24), "week", date(2026, 11, 23), date(2026, 11, 29)),
        (date(2026, 11, 24), "month", date(2026, 11, 1), date(2026, 11, 30)),
        (date(2026, 11, 24), "quarter", date(2026, 10, 1), date(2026, 12, 31)),
        (date(2026, 2, 10), "quarter", date(2026, 1, 1), date(2026, 3, 31)),
        (date(2026, 11, 24), "year", date(2026, 1, 1), date(2026, 12, 31)),
    ],
)
def test_period_bounds(day, grain, start, end):
    """Weeks start on Monday; months, quarters and years on their first day."""
    assert period_start(day, grain) == start and period_end(day, grain) == end


def test_previous_period_of_a_to_date_range_is_to_the_same_day():
    """Quarter-to-date on 24 Nov compares with 1 Jul – 24 Aug."""
    prev = Scope(date(2026, 10, 1), date(2026, 11, 24), "quarter").previous()
    assert (prev.start, prev.end) == (date(2026, 7, 1), date(2026, 8, 24))


def test_previous_period_of_a_whole_period_is_the_whole_previous_period():
    """The whole Q2 (1 Apr – 30 Jun) compares with the whole Q1, up to 31 March."""
    prev = Scope(date(2026, 4, 1), date(2026, 6, 30), "quarter").previous()
    assert (prev.start, prev.end) == (date(2026, 1, 1), date(2026, 3, 31))
    prev = Scope(date(2026, 3, 1), date(2026, 3, 31), "month").previous()
    assert (prev.start, prev.end) == (date(2026, 2, 1), date(2026, 2, 28))


def test_last_year_keeps_month_ends():
    """February 2028 (leap) a year back is the whole February 2027."""
    ly = Scope(date(2028, 2, 1), date(2028, 2, 29), "month").last_year()
    assert (ly.start, ly.end) == (date(2027, 2, 1), date(2027, 2, 28))
    ly = Scope(date(2027, 2, 1), date(2027, 2, 28), "month").last_year()
    assert ly.end == date(2026, 2, 28)


def test_quota_window_and_pacing():
    """Quarter-to-date uses the whole quarter's quota; 24 Nov is 55 of 92 days in."""
    sc = Scope(date(2026, 10, 1), date(2026, 11, 24), "quarter")
    assert (sc.quota_start, sc.quota_end) == (date(2026, 10, 1), date(2026, 12, 31))
    assert sc.elapsed_share(date(2026, 11, 24)) == pytest.approx(55 / 92)
    assert sc.elapsed_share(date(2027, 1, 5)) == 1.0
    assert sc.elapsed_share(date(2026, 9, 1)) == 0.0


def test_bad_filters_are_refused_with_a_hint():
    """An unknown grain or a backwards range raises InvalidFilter saying what to do."""
    with pytest.raises(InvalidFilter, match="Unknown period grain"):
        Scope(date(2026, 1, 1), date(2026, 2, 1), "fortnight")
    with pytest.raises(InvalidFilter) as err:
        Scope(date(2026, 2, 1), date(2026, 1, 1))
    assert "end date" in err.value.hint


def test_labels():
    """Period labels read the way people say them."""
    assert period_label(date(2026, 10, 1), "quarter") == "2026-Q4"
    assert period_label(date(2026, 11, 1), "month") == "Nov 2026"
    assert period_label(date(2026, 11, 23), "week") == "2026-W48"

"""The forecast waterfall on hand-built snapshot rows: last week's P50 + each change = this week's P50."""

from __future__ import annotations

from datetime import date

import pytest

from salesops.review.waterfall import FIRST_WEEK, MODEL_CHANGE, waterfall, waterfall_frame

Q4 = date(2026, 10, 1)


def snap(as_of: date, p50: int | None, period_start: date = Q4, **flows: int | None) -> dict:
    """A snapshot row: its date, quarter, P50 and flow_<name>_cents (0 unless given)."""
    row = {"as_of": as_of, "period_start": period_start, "p50_cents": p50}
    for name in ("new", "won", "lost", "pushed", "pulled", "amount"):
        row[f"flow_{name}_cents"] = flows.get(name, 0)
    return row


def test_the_steps_add_up_to_this_weeks_p50_exactly():
    """1,000,000 + 150,000 + 80,000 − 60,000 − 200,000 + 30,000 − 10,001 + model 37,001 = 1,027,000."""
    prev = snap(date(2026, 11, 8), 1_000_000)
    cur = snap(
        date(2026, 11, 15),
        1_027_000,
        new=150_000,
        won=80_000,
        lost=-60_000,
        pushed=-200_000,
        pulled=30_000,
        amount=-10_001,
    )
    w = waterfall(cur, prev)
    assert w.start_cents == 1_000_000 and w.end_cents == 1_027_000
    assert dict(w.steps) == {
        "New deals": 150_000, "Won": 80_000, "Lost": -60_000, "Pushed out": -200_000,
        "Pulled in": 30_000, "Amount changes": -10_001, MODEL_CHANGE: 37_001,
    }  # fmt: skip
    assert w.start_cents + sum(c for _, c in w.steps) == w.end_cents
    assert w.change_cents == 27_000


def test_the_bars_run_from_last_week_to_this_week():
    """Each step's bar starts where the one before ended; the last bar is this week's P50."""
    w = waterfall(snap(date(2026, 11, 15), 900, new=300, lost=-500), snap(date(2026, 11, 8), 1_000))
    bars = waterfall_frame(w)
    assert bars["label"].tolist()[0] == "Last week" and bars["label"].tolist()[-1] == "This week"
    assert bars["bar_end"].tolist() == [1_000, 1_300, 1_300, 800, 800, 800, 800, 900, 900]
    assert bars["bar_start"].tolist()[1:-1] == bars["bar_end"].tolist()[:-2]


def test_a_week_with_no_snapshot_before_it_is_the_first_week():
    """No previous snapshot: "first week: no comparison yet", no invented steps."""
    w = waterfall(snap(date(2026, 11, 15), 1_000), None)
    assert w.message == FIRST_WEEK and w.steps == () and w.start_cents is None and w.change_cents is None
    assert waterfall_frame(w).empty


def test_a_gap_of_more_than_a_week_gives_no_comparison():
    """The flows cover one week: against a snapshot two weeks old they would not add up."""
    w = waterfall(snap(date(2026, 11, 15), 1_000), snap(date(2026, 11, 1), 900))
    assert w.steps == () and "week before" in (w.message or "")


def test_a_new_quarter_gives_no_comparison():
    """Last week's P50 was for Q3: the waterfall says so instead of mixing quarters."""
    cur = snap(date(2026, 10, 4), 1_000, new=None, won=None, lost=None, pushed=None, pulled=None, amount=None)
    w = waterfall(cur, snap(date(2026, 9, 27), 5_000, period_start=date(2026, 7, 1)))
    assert w.steps == () and "New quarter" in (w.message or "")


@pytest.mark.parametrize("p50", [0, 1, 123_456_789])
def test_model_change_is_the_remainder_for_any_p50(p50):
    """Whatever this week's P50, the steps add up to it."""
    w = waterfall(snap(date(2026, 11, 15), p50, new=7, won=-3), snap(date(2026, 11, 8), 500))
    assert w.start_cents + sum(c for _, c in w.steps) == p50

"""How numbers read: compact money on tiles, elapsed share, pace, table headers and the table helper."""

from __future__ import annotations

import pandas as pd
import pytest

from salesops import format as fmt
from salesops.performance.attainment import attainment_distribution, buckets


@pytest.mark.parametrize(
    ("cents", "shown"),
    [
        (174_582_700, "$1.75M"),  # the comp split at 75 …
        (170_880_600, "$1.71M"),  # … and at 50: the tile moves
        (35_212_345, "$352k"),
        (1_230_000, "$12.3k"),
        (90_000, "$900"),
        (-5_000_000, "−$50.0k"),
        (99_999_000, "$1.00M"),  # $999,990 rounds up to the next unit, not "$1000k"
        (None, "—"),
        (float("nan"), "—"),
    ],
)
def test_tile_money_keeps_three_significant_digits(cents, shown):
    """Tiles show three significant digits, so a slider move of a few percent is visible."""
    assert fmt.money(cents) == shown


def test_elapsed_reads_days_for_short_periods_and_shares_for_long_ones():
    """A month reads "day 1 of 31", a quarter "60% of the quarter elapsed", an ended period "complete"."""
    assert fmt.elapsed(1, 31, "month") == "day 1 of 31 of the month"
    assert fmt.elapsed(55, 92, "quarter") == "60% of the quarter elapsed"
    assert fmt.elapsed(92, 92, "quarter") == "quarter complete"


def test_pace_divides_by_the_elapsed_share():
    """40% attained with 40% of the period gone is on pace for 100%; nothing elapsed reads "—"."""
    assert fmt.pace(0.4, 0.4) == "on pace for 100%"
    assert fmt.pace(0.3, 0.0) == "—"
    assert fmt.pace(None, 0.5) == "—"


def test_headers_come_from_the_rules_or_read_as_words():
    """Known columns have their header and kind; an unknown one reads as words, never snake_case."""
    assert fmt.column("won_cents") == fmt.Col("Won", "money")
    assert fmt.column("response_rate").label == "Response rate"
    assert fmt.column("days_since_last_touch").label == "Days since last touch"
    assert fmt.column("refund_cents").kind == "money"
    with pytest.raises(ValueError, match="unknown column kind"):
        fmt.Col("X", "percentage")


def test_reps_are_judged_on_pace_in_a_partial_period():
    """Mid-period a rep at 45% with 40% elapsed is on pace (112%): counted at quota; whole periods unchanged."""
    reps = pd.DataFrame({"attainment": [0.45, 0.30, 1.10, None]})
    reps["bucket"] = buckets(reps["attainment"])
    whole = attainment_distribution(reps)
    paced = attainment_distribution(reps, elapsed_share=0.4)
    assert (whole.reps_with_quota, whole.at_or_above) == (3, 1)
    assert (paced.reps_with_quota, paced.at_or_above) == (3, 2)  # 0.45/0.4 and 1.10/0.4; 0.30/0.4 = 75%


@pytest.mark.parametrize(
    ("value", "kind", "text"),
    [
        (123_450, "money", "$1,235"),  # $1,234.50 rounds half up to whole dollars
        (None, "money", "—"),
        (float("nan"), "pct", "—"),
        (0.2749, "pct", "27%"),
        (0.12345, "pct1", "12.3%"),
        (1.5, "progress", "150%"),
        (12345, "count", "12,345"),
        (-3, "signed", "-3"),
        (4, "signed", "+4"),
        (1.234, "ratio", "1.23×"),
        (12.4, "days", "12 days"),
        (pd.Timestamp("2026-12-01"), "date", "1 Dec 2026"),
        (pd.NaT, "date", "—"),
        (True, "check", "✓"),
        (False, "check", ""),
        (pd.NA, "text", "—"),
        ("Mid-Market (EMEA)", "text", "Mid-Market (EMEA)"),
    ],
)
def test_a_cell_reads_as_text_by_its_kind(value, kind, text):
    """cell_text: whole dollars from cents, whole percentages, counts with separators, "—" for missing."""
    assert fmt.cell_text(value, kind) == text


def test_a_count_names_its_noun_in_the_right_number():
    assert fmt.count(1, "quarter") == "1 quarter"
    assert fmt.count(3, "quarter") == "3 quarters"
    assert fmt.count(0, "rep") == "0 reps"
    assert fmt.count(1204, "row") == "1,204 rows"
    assert fmt.count(2, "person", "people") == "2 people"

"""What changed in the review week, on the hand-built organisation of test_metrics plus logged changes."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from salesops.performance import changes
from salesops.scope import Scope
from salesops.store import schema
from tests.builders import insert
from tests.unit.test_metrics import build_org

#: Week of Mon 29 Jun – Tue 30 Jun 2026 (the end of Q2 is a Tuesday).
WEEK = Scope(date(2026, 4, 1), date(2026, 6, 30), "quarter")


@pytest.fixture
def org(empty_engine):
    """The metrics organisation plus close-date and amount changes."""
    build_org(empty_engine)
    log = pd.DataFrame(
        {
            "deal_id": ["8", "9", "9", "1"],
            "changed_at": [date(2026, 6, 29), date(2026, 6, 30), date(2026, 6, 29), date(2026, 6, 10)],
            "field": ["close_date", "close_date", "amount_cents", "amount_cents"],
            "old_value": ["2026-06-20", "2026-09-01", "1200000", "1"],
            "new_value": ["2026-06-25", "2026-08-15", "1000000", "2000000"],
        }
    )
    insert(empty_engine, schema.deal_changes, log)  # refreshes deal_change_days, as every writer of changes does
    return empty_engine


def test_the_review_week_is_the_week_of_the_scope_end_cut_at_the_end():
    """Scope ending Tuesday 30 Jun reviews Monday 29 Jun – Tuesday 30 Jun."""
    assert changes.week_of(WEEK) == (date(2026, 6, 29), date(2026, 6, 30))


def test_week_changes_lists_won_pushed_pulled_in_and_amount_changes(org):
    """Deal 6 won on 30 Jun; 8 pushed 5 days; 9 pulled in 17 days and cut by $2,000; deal 1's June change is outside."""
    frame = changes.week_review(org, WEEK).changes
    assert list(zip(frame["kind"], frame["deal_id"])) == [
        ("won", "6"),
        ("pushed", "8"),
        ("pulled in", "9"),
        ("amount down", "9"),
    ]
    by_kind = frame.set_index("kind")
    assert by_kind.loc["pushed", "days_moved"] == 5 and by_kind.loc["pulled in", "days_moved"] == -17
    assert by_kind.loc["amount down", "amount_change_cents"] == -200_000
    assert by_kind.loc["pushed", "old_value"] == "2026-06-20" and by_kind.loc["won", "rep"] == "Cat"


def test_change_counts_list_every_kind_with_zeros(org):
    """Counts agree with the list; kinds with nothing this week show zero."""
    counts = changes.week_review(org, WEEK).counts.set_index("kind")["deals"].to_dict()
    assert counts == {"created": 0, "won": 1, "lost": 0, "pushed": 1, "pulled in": 1, "amount up": 0, "amount down": 1}


def test_a_team_filter_keeps_only_that_teams_deals_and_limit_cuts_the_list(org):
    """T1 saw only deal 8's push; a limit of 2 keeps the first two rows of the company list."""
    t1 = changes.week_review(org, Scope(WEEK.start, WEEK.end, "quarter", team_id="T1")).changes
    assert list(t1["deal_id"]) == ["8"]
    assert len(changes.week_review(org, WEEK, limit=2).changes) == 2


def test_a_week_of_deals_created_and_won_without_a_logged_change(org):
    """Mon 27 Apr – Fri 1 May 2026: deals 4 and 6 created on 1 May ($6k, $30k), deal 10 won on 30 Apr ($1k)
    and deal 2 on 1 May (no amount). No change was logged: the old and new values are empty (None)."""
    review = changes.week_review(org, Scope(date(2026, 4, 1), date(2026, 5, 1), "month"))
    listed = review.changes
    assert list(zip(listed["kind"], listed["deal_id"])) == [
        ("created", "4"),
        ("created", "6"),
        ("won", "10"),
        ("won", "2"),
    ]
    assert listed["on"].tolist() == [date(2026, 5, 1), date(2026, 5, 1), date(2026, 4, 30), date(2026, 5, 1)]
    assert listed["amount_cents"].tolist()[:3] == [600_000, 3_000_000, 100_000] and pd.isna(
        listed["amount_cents"].iloc[3]
    )
    assert listed["rep"].tolist() == ["Ben", "Cat", "Dan", "Ann"]
    for col in ("old_value", "new_value"):  # object None, as a text column without a value always read
        assert listed[col].dtype == object and listed[col].tolist() == [None] * 4
    assert listed["days_moved"].isna().all() and listed["amount_change_cents"].isna().all()
    counts = review.counts.set_index("kind")
    assert counts.loc["created"].tolist() == [2, 3_600_000]
    assert counts.loc["won"].tolist() == [2, 100_000]  # deal 2's missing amount adds nothing
    assert counts.loc[["lost", "pushed", "pulled in", "amount up", "amount down"], "deals"].sum() == 0


def test_a_week_with_no_changes_is_an_empty_list(org):
    """The first week of April 2025 saw nothing: empty frame, all counts zero."""
    quiet = Scope(date(2025, 4, 1), date(2025, 4, 6), "week")
    assert changes.week_review(org, quiet).changes.empty
    assert changes.week_review(org, quiet).counts["deals"].sum() == 0


@pytest.mark.parametrize(
    "scope",
    [
        Scope(date(2026, 10, 1), date(2026, 11, 24), "quarter"),
        Scope(date(2026, 1, 1), date(2026, 6, 30), "quarter", team_id="T05"),
        Scope(date(2026, 5, 1), date(2026, 5, 31), "month", region="EMEA"),
    ],
)
def test_the_reviews_counts_and_list_agree_and_the_limit_keeps_the_first_rows(demo_engine, scope):
    """Counts per kind are the full list's rows and amounts; a limited list is the full list's head."""
    full = changes.week_review(demo_engine, scope)
    listed = full.changes.groupby("kind").agg(deals=("deal_id", "size"), amount_cents=("amount_cents", "sum"))
    counts = full.counts.set_index("kind")
    for kind in changes.KINDS:
        expected = listed.loc[kind] if kind in listed.index else pd.Series({"deals": 0, "amount_cents": 0})
        assert (int(counts.loc[kind, "deals"]), int(counts.loc[kind, "amount_cents"])) == (
            int(expected["deals"]),
            int(expected["amount_cents"]),
        ), kind
    limited = changes.week_review(demo_engine, scope, 40)
    pd.testing.assert_frame_equal(limited.counts, full.counts)

    def cells(frame: pd.DataFrame) -> list[list]:
        return frame.astype(object).where(frame.notna(), None).values.tolist()

    assert cells(limited.changes) == cells(full.changes.head(40))

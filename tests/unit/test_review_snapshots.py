"""Weekly snapshots on a hand-built organisation: every figure and every flow of the week by hand.

Two teams (T1 in East, T2 in West), one AE each; Q4 2026 quota 3,000,000 (A) and 6,000,000 (B)
cents. The week reviewed ends Sunday 15 Nov 2026 (the week before ends 8 Nov). No deal has a stage
history, so every open deal's win chance is the win rate of the deals closed by then: 2 won of 3.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from salesops.errors import InvalidFilter
from salesops.review import figures, snapshots
from salesops.store import schema
from salesops.store.outlook import pipeline_outlook
from tests.builders import deal, insert, monthly_quota, rep

AS_OF = date(2026, 11, 15)


@pytest.fixture
def org(empty_engine):
    """The organisation of the module docstring, with one push, one pull-in and one amount change."""
    insert(empty_engine, schema.teams, [
        dict(team_id="T1", name="Team One", region="East", manager="M1"),
        dict(team_id="T2", name="Team Two", region="West", manager="M2"),
    ])  # fmt: skip
    insert(empty_engine, schema.reps, [rep("A", "T1"), rep("B", "T2")])
    insert(
        empty_engine,
        schema.quotas,
        monthly_quota("A", [10, 11, 12], 1_000_000) + monthly_quota("B", [10, 11, 12], 2_000_000),
    )
    rows = [
        deal(1, "A", "T1", "won", 1_200_000, date(2026, 10, 20), date(2026, 10, 1)),  # won before the week
        deal(2, "A", "T1", "won", 600_000, date(2026, 11, 10), date(2026, 10, 5)),  # won in the week
        deal(3, "A", "T1", "lost", 300_000, date(2026, 11, 12), date(2026, 10, 5)),  # lost in the week
        deal(4, "B", "T2", "open", 900_000, date(2026, 12, 15), date(2026, 10, 10)),  # 600k -> 900k in the week
        deal(5, "B", "T2", "open", 300_000, date(2026, 12, 20), date(2026, 11, 12)),  # new in the week
        deal(6, "B", "T2", "open", 900_000, date(2027, 1, 20), date(2026, 10, 1)),  # pushed out of Q4
        deal(7, "A", "T1", "open", 300_000, date(2026, 12, 5), date(2026, 10, 1)),  # pulled into Q4
    ]
    for r in rows:
        r["probability_bp"] = 5_000 if r["outcome"] == "open" else (10_000 if r["outcome"] == "won" else 0)
    insert(empty_engine, schema.deals, rows)
    insert(empty_engine, schema.deal_changes, [
        dict(deal_id="D004", changed_at=date(2026, 11, 11), field="amount_cents", old_value="600000", new_value="900000"),
        dict(deal_id="D006", changed_at=date(2026, 11, 13), field="close_date", old_value="2026-12-10", new_value="2027-01-20"),
        dict(deal_id="D007", changed_at=date(2026, 11, 14), field="close_date", old_value="2027-02-01", new_value="2026-12-05"),
    ])  # fmt: skip
    return empty_engine


def _row(frame: pd.DataFrame, level: str, entity: str) -> pd.Series:
    return frame[(frame["level"] == level) & (frame["entity_id"] == entity)].iloc[0]


def test_company_figures_of_the_week_by_hand(org):
    """Won 1.8M of 9M; open in Q4 1.5M (deal 6 pushed out), 750k at CRM 50%; expected 1.8M + 1.5M × 2/3."""
    c = _row(figures.week_figures(org, [AS_OF]), "company", "company")
    assert (c["won_cents"], c["quota_cents"], c["open_cents"], c["weighted_cents"]) == (
        1_800_000, 9_000_000, 1_500_000, 750_000,
    )  # fmt: skip
    assert c["expected_cents"] == pytest.approx(2_800_000)


def test_flows_of_the_week_by_hand(org):
    """new +200k (deal 5), won +200k (600k − 400k expected), lost −200k, pushed −600k, pulled +200k, amount +200k."""
    c = _row(figures.week_figures(org, [AS_OF]), "company", "company")
    got = {name: round(c[f"flow_{name}"]) for name in figures.FLOWS}
    assert got == {
        "new": 200_000,
        "won": 200_000,
        "lost": -200_000,
        "pushed": -600_000,
        "pulled": 200_000,
        "amount": 200_000,
    }


def test_levels_split_by_rep_team_and_region(org):
    """Rep A won 1.8M of 3M; team T2 has the open 1.2M in Q4 (deals 4 and 5); region West = team T2."""
    f = figures.week_figures(org, [AS_OF])
    assert _row(f, "rep", "A")["won_cents"] == 1_800_000
    assert _row(f, "rep", "A")["quota_cents"] == 3_000_000
    assert _row(f, "team", "T2")["open_cents"] == 1_200_000
    assert _row(f, "region", "West")["open_cents"] == 1_200_000
    assert _row(f, "region", "East")["quota_cents"] == 3_000_000


def test_a_week_starting_in_the_quarter_before_has_no_flows(org):
    """Sunday 4 Oct: the week before ended in Q3, so the flows are missing, not invented."""
    c = _row(figures.week_figures(org, [date(2026, 10, 4)]), "company", "company")
    assert all(pd.isna(c[f"flow_{name}"]) for name in figures.FLOWS)


def test_a_past_date_sees_only_what_was_known_then(org):
    """On Sunday 8 Nov: won 1.2M (deal 1); deal 7 still expected in Feb 2027 and deal 4 at 600k."""
    c = _row(figures.week_figures(org, [date(2026, 11, 8)]), "company", "company")
    assert c["won_cents"] == 1_200_000
    # open in Q4 then: deals 2, 3, 4 (600k) and 6 (expected 10 Dec)
    assert c["open_cents"] == 600_000 + 300_000 + 600_000 + 900_000


def test_snapshot_rows_rank_aes_and_store_the_outlook(org):
    """A (60%) ranks 1, B (0%) ranks 2; the stored P50 is the pipeline outlook's mean."""
    n = snapshots.take_snapshots(org, [AS_OF], today=date(2026, 11, 16))
    stored = snapshots.load_snapshot(org, AS_OF)
    assert n == len(stored) == 1 + 2 + 2 + 2
    a, b = _row(stored, "rep", "A"), _row(stored, "rep", "B")
    assert (a["rank"], b["rank"]) == (1, 2)
    assert a["attainment"] == pytest.approx(0.6)
    assert _row(stored, "company", "company")["p50_cents"] == 2_800_000
    assert "behind pace" in b["flags"] and "behind pace" not in a["flags"]


def test_taking_a_snapshot_again_replaces_it(org):
    """The same date twice leaves one set of rows."""
    snapshots.take_snapshots(org, [AS_OF], today=date(2026, 11, 16))
    snapshots.take_snapshots(org, [AS_OF], today=date(2026, 11, 16))
    assert len(snapshots.load_snapshot(org, AS_OF)) == 7
    assert snapshots.snapshot_dates(org) == [AS_OF]


def test_snapshots_older_than_the_retention_are_deleted(org):
    """With one year kept, a snapshot of Nov 2025 goes when one of Nov 2026 is taken."""
    snapshots.take_snapshots(org, [date(2025, 11, 9)], today=date(2025, 11, 10))
    snapshots.take_snapshots(org, [AS_OF], today=date(2026, 11, 16), keep_years=1)
    assert snapshots.snapshot_dates(org) == [AS_OF]


def test_a_future_date_is_refused(org):
    """A snapshot cannot be taken of a day after today."""
    with pytest.raises(InvalidFilter, match="in the future"):
        snapshots.take_snapshots(org, [date(2026, 11, 22)], today=date(2026, 11, 16))


def test_an_empty_store_has_no_snapshot_rows(empty_engine):
    """No data: the snapshot is empty, nothing is invented."""
    assert snapshots.build_snapshots(empty_engine, [AS_OF]).empty


def test_pipeline_outlook_by_hand():
    """Mean 100, variance 400 (sd 20), no model error: P10 = 100 − 1.2816 × 20, P90 = 100 + 25.6; quota 100 -> 50%."""
    got = pipeline_outlook(
        pd.DataFrame(
            {
                "won_cents": [50, 200],
                "quota_cents": [100, 0],
                "expected_cents": [100.0, 200.0],
                "var_cents2": [400.0, 0.0],
            }
        ),
        rel_error=0.0,
    )
    assert got["p10_cents"].tolist() == [74, 200]
    assert got["p50_cents"].tolist() == [100, 200]
    assert got["p90_cents"].tolist() == [126, 200]
    assert got["chance_of_quota"].iloc[0] == pytest.approx(0.5)
    assert pd.isna(got["chance_of_quota"].iloc[1])


def test_the_model_error_widens_the_range_by_the_part_not_yet_won():
    """Won 0, mean 100, no deal variance, 25% model error: sd 25, so P10 = 68 and P90 = 132; won 100: no spread."""
    got = pipeline_outlook(
        pd.DataFrame(
            {"won_cents": [0, 100], "quota_cents": [0, 0], "expected_cents": [100.0, 100.0], "var_cents2": [0.0, 0.0]}
        ),
        rel_error=0.25,
    )
    assert got["p10_cents"].tolist() == [68, 100]
    assert got["p90_cents"].tolist() == [132, 100]


def test_weekly_dates_are_the_sundays_before_today():
    """On Tuesday 1 Dec 2026 the last three Sundays are 15, 22 and 29 Nov."""
    assert snapshots.weekly_dates(date(2026, 12, 1), 3) == [date(2026, 11, 15), date(2026, 11, 22), date(2026, 11, 29)]


@pytest.mark.slow
@pytest.mark.store("duckdb")
def test_the_calibrated_range_holds_the_final_result_80_percent_of_the_demo_weeks(new_store_url):
    """On the demo's year of snapshots every level's P10–P90 held the quarter's final won ≥ 80% of the weeks."""
    from salesops import store
    from salesops.cli.review import take_demo_history
    from salesops.demo import build_demo
    from salesops.review.track import track_record
    from tests.conftest import SEED, TODAY

    engine = store.open_store(new_store_url("calibration"))
    build_demo(engine, seed=SEED, scale="small", today=TODAY)
    take_demo_history(engine, TODAY)
    for level in ("company", "region", "team", "rep"):
        record = track_record(engine, level, TODAY)
        assert record.quarters == 4 and record.coverage is not None
        assert record.coverage >= 0.80, (level, record.coverage)
    engine.dispose()

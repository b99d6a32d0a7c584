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


@pytest.fixture
def staged(empty_engine, monkeypatch):
    """Deals whose value and stage changed several times, for the values "as known then".

    A stage's own win rate counts from 2 closed deals here. Closed in October: D001 won (passed
    Qualify and Proposal), D002 lost (Qualify, Proposal), D003 lost (Qualify), D004 lost (Discovery):
    Qualify 1/3, Proposal 1/2, Negotiate none (so the overall rate, 1 won of 4).
    D005 (open, 800k, closes 20 Dec, stage Negotiate at 60%): amount 500k → 700k on 4 Nov, → 800k on
    11 Nov; close 10 Jan 2027 → 20 Dec on 13 Nov; Qualify 1 Oct, Proposal 2 Nov, Negotiate 12 Nov.
    D006 (open, 600k, closes 10 Dec, Negotiate at 40%): amount 300k → 450k on Sunday 1 Nov, → 600k on
    3 Nov; two close-date changes on 6 Nov (old values
    1 Dec 2026 and 5 Jan 2027: the smaller counts); Discovery 1 Oct, then Qualify and Proposal both on
    Sunday 8 Nov (the smaller name, Proposal, counts).
    """
    monkeypatch.setattr(figures, "MIN_CLOSED", 2)
    insert(empty_engine, schema.teams, [dict(team_id="T1", name="Team One", region="East", manager="M1")])
    insert(empty_engine, schema.reps, [rep("A", "T1")])
    insert(empty_engine, schema.quotas, monthly_quota("A", [10, 11, 12], 1_000_000))
    rows = [
        deal(1, "A", "T1", "won", 100_000, date(2026, 10, 10), date(2026, 9, 1)),
        deal(2, "A", "T1", "lost", 100_000, date(2026, 10, 12), date(2026, 9, 1)),
        deal(3, "A", "T1", "lost", 100_000, date(2026, 10, 14), date(2026, 9, 5)),
        deal(4, "A", "T1", "lost", 100_000, date(2026, 10, 16), date(2026, 9, 10)),
        deal(5, "A", "T1", "open", 800_000, date(2026, 12, 20), date(2026, 10, 1)),
        deal(6, "A", "T1", "open", 600_000, date(2026, 12, 10), date(2026, 10, 1)),
    ]
    for r, bp in zip(rows, (10_000, 0, 0, 0, 6_000, 4_000)):
        r["probability_bp"] = bp
    rows[4]["stage"] = rows[5]["stage"] = "Negotiate"
    insert(empty_engine, schema.deals, rows)
    history = [
        ("D001", "Qualify", date(2026, 9, 1)), ("D001", "Proposal", date(2026, 9, 15)),
        ("D002", "Qualify", date(2026, 9, 1)), ("D002", "Proposal", date(2026, 9, 20)),
        ("D003", "Qualify", date(2026, 9, 5)), ("D004", "Discovery", date(2026, 9, 10)),
        ("D005", "Qualify", date(2026, 10, 1)), ("D005", "Proposal", date(2026, 11, 2)),
        ("D005", "Negotiate", date(2026, 11, 12)),
        ("D006", "Discovery", date(2026, 10, 1)), ("D006", "Qualify", date(2026, 11, 8)),
        ("D006", "Proposal", date(2026, 11, 8)),
    ]  # fmt: skip
    insert(empty_engine, schema.deal_stage_history, [dict(deal_id=d, stage=s, entered_at=e) for d, s, e in history])

    def change(deal_id, day, field, old, new):
        return dict(deal_id=deal_id, changed_at=day, field=field, old_value=old, new_value=new)

    insert(empty_engine, schema.deal_changes, [
        change("D005", date(2026, 11, 4), "amount_cents", "500000", "700000"),
        change("D005", date(2026, 11, 11), "amount_cents", "700000", "800000"),
        change("D005", date(2026, 11, 13), "close_date", "2027-01-10", "2026-12-20"),
        change("D006", date(2026, 11, 1), "amount_cents", "300000", "450000"),
        change("D006", date(2026, 11, 3), "amount_cents", "450000", "600000"),
        change("D006", date(2026, 11, 6), "close_date", "2027-01-05", "2026-12-10"),
        change("D006", date(2026, 11, 6), "close_date", "2026-12-01", "2026-12-10"),
    ])  # fmt: skip
    return empty_engine


def test_values_and_stages_as_known_then_from_several_changes(staged):
    """Three Sundays in one query; each deal's amount, close date and stage are those of that date.

    15 Nov: D005 800k in Q4 in Negotiate (1/4), D006 600k in Proposal (the tie; 1/2): expected
    100k won + 200k + 300k; the week before (8 Nov) D005 was expected in Jan, so it is pulled in
    (+200k), D006 unchanged (in Proposal since that day).
    8 Nov: D005 at 700k (the 11 Nov change's old value) and expected 10 Jan: out of Q4; D006 in Q4,
    in Proposal (entered that day: 1/2), 300k expected. Its week before (1 Nov): D006 expected 1 Dec
    (the smaller of the two 6 Nov old values), at 450k (changed that day, so the 3 Nov change's old
    value) and in Discovery (the overall 1/4): its amount moved +150k × 1/4.
    1 Nov: D005 at 500k (the 4 Nov change's old value), expected 10 Jan; D006 450k, expected 1 Dec.
    """
    f = figures.week_figures(staged, [date(2026, 11, 15), date(2026, 11, 8), date(2026, 11, 1)])
    c = {d: _row(f[f["as_of"] == d], "company", "company") for d in f["as_of"].unique()}
    now, week, first = c[date(2026, 11, 15)], c[date(2026, 11, 8)], c[date(2026, 11, 1)]
    assert (now["won_cents"], now["open_cents"], now["weighted_cents"]) == (100_000, 1_400_000, 480_000 + 240_000)
    assert now["expected_cents"] == pytest.approx(100_000 + 200_000 + 300_000)
    assert now["flow_pulled"] == pytest.approx(200_000)
    assert [now[f"flow_{n}"] for n in ("new", "won", "lost", "pushed", "amount")] == [0, 0, 0, 0, 0]
    assert (week["open_cents"], week["expected_cents"]) == (600_000, pytest.approx(100_000 + 300_000))
    assert [week[f"flow_{n}"] for n in figures.FLOWS] == [0, 0, 0, 0, 0, pytest.approx(37_500)]
    assert (first["open_cents"], first["expected_cents"]) == (450_000, pytest.approx(100_000 + 112_500))


def test_a_stage_s_win_rate_counts_the_deals_that_passed_it(staged):
    """Without D005's move to Negotiate it is still in Proposal on 15 Nov: Proposal's own rate, 1/2,
    applies to it as to D006."""
    with staged.begin() as conn:
        conn.execute(schema.deal_stage_history.delete().where(schema.deal_stage_history.c.stage == "Negotiate"))
    c = _row(figures.week_figures(staged, [date(2026, 11, 15)]), "company", "company")
    assert c["expected_cents"] == pytest.approx(100_000 + 1_400_000 / 2)

"""Probability as integer basis points: exact money × probability on both stores ($1bn at 10 % = $100m)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
import sqlalchemy as sa

from salesops import ingest, store
from salesops import performance as metrics
from salesops.forecasts.pipeline import pipeline_by_period
from salesops.scope import Scope
from salesops.store import schema
from salesops.store.probability import from_bp, to_bp
from tests.builders import deal, insert, rep

BILLION_CENTS = 100_000_000_000  # $1,000,000,000
Q2 = Scope(date(2026, 4, 1), date(2026, 6, 30), "quarter")


def test_to_bp_rounds_half_up_to_the_basis_point_and_keeps_missing():
    """0.1 -> 1,000; 0.57 -> 5,700 (0.57 × 10,000 is 5,699.999… as a float); 0.00005 -> 1; 1 -> 10,000; None stays missing."""
    got = to_bp(pd.Series([0.1, 0.57, 0.00005, 1.0, None]))
    assert got.tolist()[:4] == [1_000, 5_700, 1, 10_000] and got.isna().tolist() == [False] * 4 + [True]
    assert from_bp(pd.Series([1_000, None])).tolist()[0] == 0.1


@pytest.fixture
def billion(empty_engine):
    """One rep, one open $1bn deal at 10 % expected to close 15 Jun 2026 and one $3.33 deal at 33.33 %."""
    insert(empty_engine, schema.teams, [dict(team_id="T1", name="Team one", region="R")])
    insert(empty_engine, schema.reps, [rep("R1", "T1")])
    big = deal(1, "R1", "T1", "open", BILLION_CENTS, date(2026, 6, 15), created=date(2026, 4, 2))
    small = deal(2, "R1", "T1", "open", 333, date(2026, 6, 20), created=date(2026, 4, 2))
    insert(empty_engine, schema.deals, [{**big, "probability_bp": 1_000}, {**small, "probability_bp": 3_333}])
    return empty_engine


def test_a_billion_dollar_deal_at_ten_percent_weighs_exactly_a_hundred_million(billion):
    """Weighted pipeline: $1bn × 10 % = $100,000,000.00 exactly, plus 333¢ × 33.33 % = 110.9889¢ -> 111¢ (half up, once)."""
    k = metrics.kpis(billion, Q2)
    assert k.open_pipeline_cents == BILLION_CENTS + 333
    assert k.weighted_pipeline_cents == 10_000_000_000 + 111


def test_the_forecast_pipeline_weighs_exactly_too(billion):
    """Forecasts' pipeline by month (today 1 Jun 2026): June holds 10,000,000,000 + 111 weighted cents."""
    frame = pipeline_by_period(billion, "company", None, "month", 2, date(2026, 6, 1))
    june = frame[frame["ds"] == date(2026, 6, 1)].iloc[0]
    assert int(june["weighted_cents"]) == 10_000_000_000 + 111 and int(june["open_cents"]) == BILLION_CENTS + 333


def test_an_import_stores_ten_percent_as_1000_basis_points(empty_engine, tmp_path):
    """A deals CSV with Amount 1000000000 and Probability 10: stored 1,000 bp; the weighted pipeline is $100m exactly."""
    insert(empty_engine, schema.teams, [dict(team_id="T1", name="Team one", region="R")])
    insert(empty_engine, schema.reps, [rep("R1", "T1")])
    path = tmp_path / "deals.csv"
    path.write_text(
        "deal_id,rep_id,stage,amount,probability,created_date,close_date\n"
        "D1,R1,Proposal,1000000000,10,2026-04-02,2026-06-15\n"
        "D2,R1,Proposal,5,50,2026-04-02,2026-06-15\n"
    )
    ingest.import_file(empty_engine, "deals", path)
    got = store.read_frame(empty_engine, sa.text("SELECT deal_id, probability_bp FROM deals ORDER BY deal_id"))
    assert got["probability_bp"].tolist() == [1_000, 5_000]
    assert metrics.kpis(empty_engine, Q2).weighted_pipeline_cents == 10_000_000_000 + 250


def test_a_reimport_with_a_new_probability_updates_it_and_one_without_keeps_it(empty_engine, tmp_path):
    """10 % then 25 % for the same deal: 2,500 bp stored; a later file without the column keeps 2,500."""
    insert(empty_engine, schema.teams, [dict(team_id="T1", name="Team one", region="R")])
    insert(empty_engine, schema.reps, [rep("R1", "T1")])
    head = "deal_id,rep_id,stage,amount,probability,created_date,close_date\n"
    for i, prob in enumerate(("10", "25")):
        path = tmp_path / f"deals{i}.csv"
        path.write_text(head + f"D1,R1,Proposal,100,{prob},2026-04-02,2026-06-15\n")
        ingest.import_file(empty_engine, "deals", path)
    path = tmp_path / "no_prob.csv"
    path.write_text("deal_id,rep_id,stage,amount,created_date,close_date\nD1,R1,Proposal,200,2026-04-02,2026-06-15\n")
    ingest.import_file(empty_engine, "deals", path)
    got = store.read_frame(empty_engine, sa.text("SELECT amount_cents, probability_bp FROM deals"))
    assert got["amount_cents"].tolist() == [20_000] and got["probability_bp"].tolist() == [2_500]

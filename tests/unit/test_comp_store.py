"""Compensation and the store: actual attainment per rep from hand-built data, and plan versions."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D
from fractions import Fraction

import pytest

from salesops.comp.plan import InvalidPlan, standard_plan
from salesops.comp.queries import list_plans, load_attainment, load_plan, period_fraction, save_plan, scope_payouts
from salesops.scope import Scope
from salesops.store import schema
from tests.builders import insert

Q1 = Scope(start=date(2026, 1, 1), end=date(2026, 3, 31), grain="quarter")


def _insert(engine, table, rows: list[dict]) -> None:
    insert(engine, table, rows)  # deals refresh the derived tables (deal_kinds), as every writer does


@pytest.fixture
def comp_engine(empty_engine):
    """Two teams; A, B in T1; C, E in T2 (E moved from T1, with a deal booked while in T1); D has nothing."""
    _insert(
        empty_engine,
        schema.teams,
        [
            {"team_id": "T1", "name": "One", "region": "East", "manager": "M1"},
            {"team_id": "T2", "name": "Two", "region": "West", "manager": "M2"},
        ],
    )
    _insert(
        empty_engine,
        schema.reps,
        [
            {
                "rep_id": r,
                "name": f"Rep {r}",
                "team_id": t,
                "role": "AE",
                "hire_date": date(2024, 1, 1),
                "ramp_months": 0,
                "active": True,
                "fte": 1.0,
                "email": None,
            }
            for r, t in [("A", "T1"), ("B", "T1"), ("C", "T2"), ("D", "T1"), ("E", "T2")]
        ],
    )
    monthly = {"A": 100_000, "B": 200_000, "C": 50_000, "E": 100_000}
    _insert(
        empty_engine,
        schema.quotas,
        [
            {"rep_id": r, "period_type": "month", "period_start": date(2026, m, 1), "amount_cents": amt}
            for r, amt in monthly.items()
            for m in (1, 2, 3, 4)
        ],
    )
    deals = [
        ("d1", "A", "T1", "won", 150_000, date(2026, 2, 10)),
        ("d2", "A", "T1", "won", 50_000, date(2026, 3, 31)),  # last day of the range: counts
        ("d3", "A", "T1", "lost", 999_999, date(2026, 2, 1)),  # lost: never counts
        ("d4", "A", "T1", "won", 70_000, date(2026, 4, 1)),  # after the range
        ("d5", "B", "T1", "won", 300_000, date(2026, 1, 1)),  # first day: counts
        ("d6", "E", "T1", "won", 60_000, date(2026, 3, 1)),  # booked by E while in T1
        ("d7", "C", "T2", "won", None, date(2026, 3, 1)),  # amount unknown: not counted
    ]
    _insert(
        empty_engine,
        schema.deals,
        [
            {
                "deal_id": d,
                "rep_id": r,
                "team_id": t,
                "stage": o.title(),
                "outcome": o,
                "amount_cents": a,
                "created_date": date(2025, 12, 1),
                "close_date": c,
            }
            for d, r, t, o, a, c in deals
        ],
    )
    return empty_engine


def test_attainment_uses_won_deals_in_range_and_whole_period_quota(comp_engine):
    """Per rep: won amounts in the range and three months of quota; teams: deal team vs current reps' quota."""
    f = load_attainment(comp_engine, Q1).set_index("rep_id")
    assert list(f.index) == ["A", "B", "C", "E"]  # D has neither quota nor bookings
    # A: 150,000 + 50,000 won; quota 3 × 100,000.  B: 300,000; 3 × 200,000.  E: 60,000; 3 × 100,000
    assert f.loc["A", ["quota_cents", "booked_cents"]].tolist() == [300_000, 200_000]
    assert f.loc["B", ["quota_cents", "booked_cents"]].tolist() == [600_000, 300_000]
    assert f.loc["C", ["quota_cents", "booked_cents"]].tolist() == [150_000, 0]
    assert f.loc["E", ["quota_cents", "booked_cents"]].tolist() == [300_000, 60_000]
    # T1 booked by deals.team_id: 200,000 + 300,000 + 60,000 (E's deal); quota of A + B = 900,000
    assert f.loc["A", ["team_booked_cents", "team_quota_cents"]].tolist() == [560_000, 900_000]
    # T2: no deals booked in T2; quota of C + E = 450,000
    assert f.loc["E", ["team_booked_cents", "team_quota_cents"]].tolist() == [0, 450_000]


def test_a_team_scope_lists_only_that_teams_reps(comp_engine):
    """Scoped to T1, only A and B appear (D has no quota or bookings)."""
    f = load_attainment(comp_engine, Scope(start=Q1.start, end=Q1.end, grain="quarter", team_id="T1"))
    assert f["rep_id"].tolist() == ["A", "B"]


def test_an_empty_store_gives_an_empty_frame_with_the_columns(empty_engine):
    """No data: zero rows, the same columns, and payouts of nothing."""
    f = load_attainment(empty_engine, Q1)
    assert f.empty and "quota_cents" in f.columns
    assert scope_payouts(empty_engine, Q1, standard_plan()).empty


def test_scope_payouts_prorate_the_plan_to_the_quarter(comp_engine):
    """A's quarter: TV $90,000/4 = $22,500; 75 % on 2/3 attainment, 25 % on team 560/900."""
    out = scope_payouts(comp_engine, Q1, standard_plan()).set_index("rep_id")
    # individual: 16,875.00 × credit(2/3) with bands 0–50 % ×1, 50–100 % ×1 → 11,250.00
    assert out.loc["A", "individual_cents"] == 1_125_000
    # team: 5,625.00 × 560/900 = 3,500.00
    assert out.loc["A", "team_cents"] == 350_000
    assert out.loc["A", "base_cents"] == 2_250_000


@pytest.mark.parametrize(
    "scope,expected",
    [
        (Q1, Fraction(1, 4)),
        (Scope(start=date(2026, 1, 15), end=date(2026, 2, 10), grain="month"), Fraction(2, 12)),
        (Scope(start=date(2026, 1, 1), end=date(2026, 12, 31), grain="year"), Fraction(1)),
        (Scope(start=date(2026, 11, 23), end=date(2026, 11, 24), grain="week"), Fraction(1, 52)),
    ],
    ids=["a quarter", "two months", "a year", "a week"],
)
def test_the_period_fraction_counts_whole_grain_periods(scope, expected):
    """The share of a year a scope pays for is its whole grain periods."""
    assert period_fraction(scope) == expected


def test_saving_a_plan_twice_makes_two_versions_and_loads_the_latest(empty_engine):
    """Versions count up per plan id; load_plan without a version gives the newest."""
    first = standard_plan(name="FY27 AE")
    second = standard_plan(name="FY27 AE", accelerator=D("1.8"))
    assert save_plan(empty_engine, first) == ("fy27-ae", 1)
    assert save_plan(empty_engine, second) == ("fy27-ae", 2)
    assert load_plan(empty_engine, "fy27-ae") == second
    assert load_plan(empty_engine, "fy27-ae", 1) == first
    listed = list_plans(empty_engine)
    assert listed[["plan_id", "version"]].values.tolist() == [["fy27-ae", 2], ["fy27-ae", 1]]


def test_loading_a_plan_that_was_never_saved_says_so(empty_engine):
    """An unknown plan id raises InvalidPlan naming it."""
    with pytest.raises(InvalidPlan, match="No saved plan 'nope'"):
        load_plan(empty_engine, "nope")

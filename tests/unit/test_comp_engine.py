"""The payout engine: hand-computed cases for every mechanic, and properties checked by Hypothesis.

Unless a case says otherwise: target variable (TV) $100,000 = 10,000,000 cents, quota $1,000,000 =
100,000,000 cents, one individual component at 100 %, a whole year (period fraction 1).
"""

from __future__ import annotations

from decimal import Decimal as D
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salesops.comp.engine import PAYOUT_COLUMNS, compute_payout, compute_payouts, period_amounts, round_half_up
from salesops.comp.plan import Band, Cap, Component, CompPlan, TeamBonus, Threshold
from salesops.comp.summary import compare_payouts, payout_curve, summarize_payouts

TV = 10_000_000
QUOTA = 100_000_000


def bands(*spec) -> tuple[Band, ...]:
    """bands((0, 1, "1"), (1, None, "2")) -> Band tuple; edges and rates as exact Decimals."""
    return tuple(Band(start=D(str(s)), end=None if e is None else D(str(e)), rate=D(str(r))) for s, e, r in spec)


LINEAR_ACCEL = bands((0, 1, 1), (1, "1.5", 2), ("1.5", None, 3))
DECEL = bands((0, "0.5", "0.5"), ("0.5", 1, "1.5"), (1, None, 2))
COMMISSION = bands((0, 1, "0.05"), (1, None, "0.10"))
SIMPLE = bands((0, 1, 1), (1, None, 2))


def plan(
    table=LINEAR_ACCEL,
    *,
    mechanic="marginal",
    basis="multiplier",
    threshold=None,
    mode="retroactive",
    cap=None,
    team_weight=None,
    bonus=None,
    tv=TV,
) -> CompPlan:
    thr = Threshold(attainment=D(threshold), mode=mode) if threshold is not None else None
    comps = []
    weights = (
        {"individual": D(1)} if team_weight is None else {"individual": 1 - D(team_weight), "team": D(team_weight)}
    )
    for measure, w in weights.items():
        comps.append(Component(measure=measure, weight=w, basis=basis, mechanic=mechanic, bands=table, threshold=thr))
    return CompPlan(
        name="test plan",
        base_salary_cents=8_000_000,
        target_variable_cents=tv,
        components=tuple(comps),
        cap=cap,
        team_bonus=bonus,
    )


def variable(p: CompPlan, booked: int, quota: int = QUOTA, team=Fraction(1)) -> int:
    return compute_payout(p, quota_cents=quota, booked_cents=booked, team_attainment=team).variable_cents


def pct(x: str) -> int:
    """Bookings in cents for an attainment given as a decimal string of the $1M quota."""
    return int(D(x) * QUOTA)


# (case, plan, attainment, expected variable cents) — arithmetic in the comment of each row
CASES = [
    # marginal multiplier, bands 0–100 % ×1, 100–150 % ×2, 150 %+ ×3
    ("marginal at 0%", plan(), "0", 0),
    ("marginal at 50%", plan(), "0.5", 5_000_000),  # 0.5×1 = 0.5 × $100k = $50k
    ("marginal at 100%", plan(), "1", 10_000_000),  # 1×1 = 1.0 → $100k
    ("marginal at 130%", plan(), "1.3", 16_000_000),  # 1 + 0.3×2 = 1.6 → $160k
    ("marginal at 150%", plan(), "1.5", 20_000_000),  # 1 + 0.5×2 = 2.0 → $200k
    ("marginal at 160%", plan(), "1.6", 23_000_000),  # 2.0 + 0.1×3 = 2.3 → $230k
    # whole tier, same bands: the highest band reached pays everything; an exact edge is the upper band
    ("whole tier at 50%", plan(mechanic="whole_tier"), "0.5", 5_000_000),  # 1 × 0.5
    ("whole tier just below 100%", plan(mechanic="whole_tier"), "0.9999", 9_999_000),  # 1 × 0.9999
    ("whole tier exactly 100%", plan(mechanic="whole_tier"), "1", 20_000_000),  # 2 × 1.0
    ("whole tier at 130%", plan(mechanic="whole_tier"), "1.3", 26_000_000),  # 2 × 1.3
    ("whole tier just below 150%", plan(mechanic="whole_tier"), "1.4999", 29_998_000),  # 2 × 1.4999
    ("whole tier exactly 150%", plan(mechanic="whole_tier"), "1.5", 45_000_000),  # 3 × 1.5
    # decelerator below quota: 0–50 % ×0.5, 50–100 % ×1.5, 100 %+ ×2
    ("decelerator marginal at 50%", plan(DECEL), "0.5", 2_500_000),  # 0.5×0.5 = 0.25
    ("decelerator marginal at 75%", plan(DECEL), "0.75", 6_250_000),  # 0.25 + 0.25×1.5 = 0.625
    ("decelerator marginal at 100%", plan(DECEL), "1", 10_000_000),  # 0.25 + 0.75 = 1.0
    ("decelerator marginal at 130%", plan(DECEL), "1.3", 16_000_000),  # 1.0 + 0.3×2 = 1.6
    ("decelerator whole tier just below 50%", plan(DECEL, mechanic="whole_tier"), "0.4999", 2_499_500),  # 0.5×0.4999
    ("decelerator whole tier exactly 50%", plan(DECEL, mechanic="whole_tier"), "0.5", 7_500_000),  # 1.5×0.5
    # commission on bookings: 5 % up to quota, 10 % above
    ("commission marginal at 50%", plan(COMMISSION, basis="commission"), "0.5", 2_500_000),  # 5% of $500k
    ("commission marginal at 130%", plan(COMMISSION, basis="commission"), "1.3", 8_000_000),  # $50k + 10% of $300k
    (
        "commission whole tier at 100%",
        plan(COMMISSION, basis="commission", mechanic="whole_tier"),
        "1",
        10_000_000,
    ),  # 10% of $1M
    (
        "commission whole tier at 130%",
        plan(COMMISSION, basis="commission", mechanic="whole_tier"),
        "1.3",
        13_000_000,
    ),  # 10% of $1.3M
    # threshold 50 %, retroactive: nothing below, everything from the first dollar once cleared
    ("retroactive just below threshold", plan(SIMPLE, threshold="0.5"), "0.4999", 0),
    ("retroactive exactly at threshold", plan(SIMPLE, threshold="0.5"), "0.5", 5_000_000),  # 0.5×1
    ("retroactive at 80%", plan(SIMPLE, threshold="0.5"), "0.8", 8_000_000),
    # threshold 50 %, excess-only: only the attainment above it pays
    ("excess-only exactly at threshold", plan(SIMPLE, threshold="0.5", mode="excess_only"), "0.5", 0),
    ("excess-only at 80%", plan(SIMPLE, threshold="0.5", mode="excess_only"), "0.8", 3_000_000),  # 0.3×1
    ("excess-only at 130%", plan(SIMPLE, threshold="0.5", mode="excess_only"), "1.3", 11_000_000),  # 0.5×1 + 0.3×2
    (
        "excess-only whole tier at 130%",
        plan(SIMPLE, threshold="0.5", mode="excess_only", mechanic="whole_tier"),
        "1.3",
        16_000_000,  # 2 × (1.3 − 0.5)
    ),
    # cap: 200 % of TV = $200k; an amount cap of $150k
    ("cap not reached", plan(SIMPLE, cap=Cap(pct_of_target_variable=D(2))), "1.4", 18_000_000),  # 1 + 0.4×2
    ("cap reached exactly", plan(SIMPLE, cap=Cap(pct_of_target_variable=D(2))), "1.5", 20_000_000),  # 1 + 0.5×2
    ("cap binds", plan(SIMPLE, cap=Cap(pct_of_target_variable=D(2))), "2", 20_000_000),  # 3.0 → capped at 2.0
    ("amount cap binds", plan(SIMPLE, cap=Cap(amount_cents=15_000_000)), "2", 15_000_000),  # $300k → $150k
]


@pytest.mark.parametrize("case,p,attainment,expected", CASES, ids=[c[0] for c in CASES])
def test_hand_computed_payouts_match_the_engine(case, p, attainment, expected):
    """Each mechanic pays what the hand arithmetic in the table says, in both engines."""
    assert variable(p, pct(attainment)) == expected
    frame = pd.DataFrame({"quota_cents": [QUOTA], "booked_cents": [pct(attainment)]})
    assert int(compute_payouts(p, frame)["variable_cents"].iloc[0]) == expected


def test_the_cap_shows_as_its_own_negative_line_so_parts_add_up():
    """At 200 % with a 200 % cap the components stay uncapped and the cap adjustment takes off the excess."""
    p = plan(SIMPLE, cap=Cap(pct_of_target_variable=D(2)))
    r = compute_payout(p, quota_cents=QUOTA, booked_cents=pct("2"))
    # 1×1 + 1×2 = 3.0 → $300k; cap $200k → adjustment −$100k
    assert (r.individual_cents, r.cap_adjustment_cents, r.variable_cents) == (30_000_000, -10_000_000, 20_000_000)


def test_the_75_25_split_pays_each_part_on_its_own_attainment():
    """Individual at 120 %, team at 80 %: 75 % of TV on the rep's curve, 25 % on the team's."""
    p = plan(SIMPLE, team_weight="0.25")
    r = compute_payout(p, quota_cents=QUOTA, booked_cents=pct("1.2"), team_attainment=Fraction(4, 5))
    # individual: $75k × (1 + 0.2×2) = $105,000; team: $25k × 0.8 = $20,000
    assert (r.individual_cents, r.team_cents, r.variable_cents) == (10_500_000, 2_000_000, 12_500_000)


def test_commission_components_pay_their_weight_of_the_commission():
    """Two 10 % commission components split 50/50 pay 10 % of bookings in all, not 20 %; 75/25 pays 7.5 % + 2.5 %."""
    flat = bands((0, None, "0.10"))
    half = plan(flat, basis="commission", team_weight="0.5")
    r = compute_payout(half, quota_cents=QUOTA, booked_cents=QUOTA, team_attainment=Fraction(1))
    # $1,000,000 booked: 50 % × 10 % = $50,000 on the rep's bookings, the same on the team's
    assert (r.individual_cents, r.team_cents, r.variable_cents) == (5_000_000, 5_000_000, 10_000_000)
    split = plan(flat, basis="commission", team_weight="0.25")
    r = compute_payout(split, quota_cents=QUOTA, booked_cents=QUOTA, team_attainment=Fraction(1, 2))
    # individual 75 % × 10 % × $1M = $75,000; team 25 % × 10 % × (50 % × $1M) = $12,500
    assert (r.individual_cents, r.team_cents) == (7_500_000, 1_250_000)
    frame = pd.DataFrame(
        {"quota_cents": [QUOTA], "booked_cents": [QUOTA], "team_booked_cents": [1], "team_quota_cents": [2]}
    )
    fast = compute_payouts(split, frame).iloc[0]
    assert (int(fast["individual_cents"]), int(fast["team_cents"])) == (7_500_000, 1_250_000)


@pytest.mark.parametrize(
    "team,expected",
    [(Fraction(9999, 10000), 0), (Fraction(1), 1_000_000), (Fraction(13, 10), 1_000_000), (None, 0)],
    ids=["team just below 100%", "team exactly 100%", "team at 130%", "team without quota"],
)
def test_the_team_bonus_is_paid_from_the_trigger_attainment_on(team, expected):
    """A 10 %-of-TV team bonus from team attainment 100 % (inclusive); no team quota, no bonus."""
    bonus = TeamBonus(min_team_attainment=D(1), pct_of_target_variable=D("0.1"))
    p = plan(SIMPLE, bonus=bonus)
    r = compute_payout(p, quota_cents=QUOTA, booked_cents=pct("1"), team_attainment=team)
    assert r.team_bonus_cents == expected  # 10% of $100k = $10,000
    assert r.variable_cents == 10_000_000 + expected


def test_an_amount_team_bonus_is_prorated_to_the_period():
    """A $5,000 yearly bonus is $1,250 in a quarter."""
    p = plan(SIMPLE, bonus=TeamBonus(min_team_attainment=D(1), amount_cents=500_000))
    r = compute_payout(
        p, quota_cents=QUOTA, booked_cents=0, team_attainment=Fraction(1), period_fraction=Fraction(1, 4)
    )
    assert r.team_bonus_cents == 125_000


def test_a_zero_quota_pays_nothing_on_attainment_in_both_engines():
    """No quota means no attainment: the components pay 0 and the attainment is None / NaN."""
    p = plan(SIMPLE, team_weight="0.25")
    r = compute_payout(p, quota_cents=0, booked_cents=5_000_000, team_attainment=None)
    assert (r.attainment, r.variable_cents, r.base_cents) == (None, 0, 8_000_000)
    frame = pd.DataFrame(
        {"quota_cents": [0], "booked_cents": [5_000_000], "team_booked_cents": [0], "team_quota_cents": [0]}
    )
    out = compute_payouts(p, frame)
    assert out["variable_cents"].iloc[0] == 0 and np.isnan(out["attainment"].iloc[0])


def test_components_are_rounded_half_up_and_the_total_is_their_sum():
    """TV 10 cents at 100 % split 75/25: 7.5 → 8 and 2.5 → 3 cents, total 11 (the sum of rounded parts)."""
    p = plan(SIMPLE, team_weight="0.25", tv=10)
    r = compute_payout(p, quota_cents=QUOTA, booked_cents=QUOTA, team_attainment=Fraction(1))
    assert (r.individual_cents, r.team_cents, r.variable_cents) == (8, 3, 11)


def test_a_third_of_quota_rounds_to_the_nearest_cent():
    """Attainment 1/3 of a $100k TV is $33,333.333… → 3,333,333 cents."""
    assert variable(plan(SIMPLE), 100, quota=300) == 3_333_333


def test_yearly_amounts_are_prorated_and_rounded_half_up():
    """A quarter of $100,000.02 TV is $25,000.005 → 2,500,001 cents; a week is 1/52."""
    p = plan(SIMPLE, tv=10_000_002)
    assert period_amounts(p, Fraction(1, 4)).target_variable_cents == 2_500_001
    assert period_amounts(p, Fraction(1, 52)).target_variable_cents == 192_308  # 10,000,002/52 = 192,307.73


def test_round_half_up_rounds_halves_up():
    """0.5 → 1, 1.49 → 1, 2.5 → 3."""
    assert [round_half_up(Fraction(x)) for x in ("0.5", "1.49", "2.5", "0")] == [1, 1, 3, 0]


def test_summaries_give_cost_share_of_revenue_and_effective_rate():
    """Two reps, $1M and $0.5M booked: cost and rates from the hand totals."""
    p = plan(SIMPLE)
    frame = pd.DataFrame({"rep_id": ["A", "B"], "quota_cents": [QUOTA, QUOTA], "booked_cents": [QUOTA, QUOTA // 2]})
    s = summarize_payouts(compute_payouts(p, frame))
    # variable $100k + $50k = $150k; base 2 × $80k = $160k; revenue $1.5M
    assert (s.variable_cents, s.base_cents, s.revenue_cents) == (15_000_000, 16_000_000, 150_000_000)
    assert s.effective_rate == pytest.approx(0.10)
    assert s.cost_pct_of_revenue == pytest.approx(310 / 1500)
    assert s.at_or_above_quota == 1


def test_compare_gives_the_difference_per_rep():
    """Plan B with a 2× accelerator pays the over-achiever more and the others the same."""
    frame = pd.DataFrame(
        {"rep_id": ["A", "B"], "quota_cents": [QUOTA, QUOTA], "booked_cents": [pct("1.3"), pct("0.5")]}
    )
    a = compute_payouts(plan(bands((0, None, 1))), frame)
    b = compute_payouts(plan(SIMPLE), frame)
    diff = compare_payouts(a, b).set_index("rep_id")["difference_cents"]
    assert diff["A"] == 3_000_000 and diff["B"] == 0  # 1.6 − 1.3 = 0.3 × $100k


def test_the_payout_curve_follows_the_engine():
    """The curve at 100 % and 150 % equals the scalar engine."""
    curve = payout_curve(plan(), QUOTA, steps=5, max_attainment=D(2)).set_index("attainment")["variable_cents"]
    assert curve[1.0] == 10_000_000 and curve[1.5] == 20_000_000


# ---- properties --------------------------------------------------------------------------------

EDGES = [D(x) for x in ("0.25", "0.5", "0.8", "1", "1.2", "1.3", "1.5", "2")]
rate_st = st.decimals(min_value=D(0), max_value=D(5), places=3, allow_nan=False, allow_infinity=False)


@st.composite
def component_st(draw, measure: str, weight: D, monotone: bool = False):
    edges = sorted(draw(st.sets(st.sampled_from(EDGES), max_size=4)))
    n = len(edges) + 1
    rates = draw(st.lists(rate_st, min_size=n, max_size=n))
    mechanic = draw(st.sampled_from(["marginal", "whole_tier"]))
    if monotone and mechanic == "whole_tier":
        rates = sorted(rates)
    starts = [D(0), *edges]
    ends = [*edges, None]
    threshold = draw(
        st.one_of(
            st.none(),
            st.builds(
                lambda a, m: Threshold(attainment=a, mode=m),
                st.sampled_from([D("0.3"), D("0.5"), D("1")]),
                st.sampled_from(["retroactive", "excess_only"]),
            ),
        )
    )
    return Component(
        measure=measure,
        weight=weight,
        basis=draw(st.sampled_from(["multiplier", "commission"])),
        mechanic=mechanic,
        bands=tuple(Band(start=s, end=e, rate=r) for s, e, r in zip(starts, ends, rates)),
        threshold=threshold,
    )


@st.composite
def plan_st(draw, monotone: bool = False):
    ind = draw(st.integers(min_value=1, max_value=100))
    ind_w = D(ind) / 100
    comps = [draw(component_st("individual", ind_w, monotone))]
    if ind < 100:
        comps.append(draw(component_st("team", 1 - ind_w, monotone)))
    cap = draw(
        st.one_of(
            st.none(),
            st.builds(lambda p: Cap(pct_of_target_variable=p), st.sampled_from([D("1.5"), D(2), D(3)])),
            st.builds(lambda a: Cap(amount_cents=a), st.integers(min_value=0, max_value=50_000_000)),
        )
    )
    bonus = draw(
        st.one_of(
            st.none(),
            st.builds(
                lambda t, p: TeamBonus(min_team_attainment=t, pct_of_target_variable=p),
                st.sampled_from([D("0.9"), D(1), D("1.2")]),
                st.sampled_from([D("0.05"), D("0.1")]),
            ),
        )
    )
    return CompPlan(
        name="random",
        base_salary_cents=draw(st.integers(min_value=0, max_value=20_000_000)),
        target_variable_cents=draw(st.integers(min_value=0, max_value=30_000_000)),
        components=tuple(comps),
        cap=cap,
        team_bonus=bonus,
    )


@st.composite
def row_st(draw):
    quota = draw(st.integers(min_value=0, max_value=2_000_000_000))
    # a third of the rows land exactly on an edge, where the float path must defer to the exact one
    if quota and draw(st.booleans()):
        booked = int(draw(st.sampled_from(EDGES + [D("0.3"), D("0.9")])) * quota)
    else:
        booked = draw(st.integers(min_value=0, max_value=max(1, 3 * quota)))
    t_quota = draw(st.integers(min_value=0, max_value=20_000_000_000))
    t_booked = draw(st.integers(min_value=0, max_value=max(1, 2 * t_quota)))
    if t_quota and draw(st.booleans()):
        t_booked = int(draw(st.sampled_from([D("0.9"), D(1), D("1.2"), D("0.5")])) * t_quota)
    return quota, booked, t_booked, t_quota


FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(
    plan_st(),
    st.lists(row_st(), min_size=1, max_size=30),
    st.sampled_from([Fraction(1), Fraction(1, 4), Fraction(1, 12)]),
)
def test_the_vectorised_engine_equals_the_exact_engine_on_random_plans(p, rows, fraction):
    """compute_payouts gives exactly the cents of compute_payout for every row of random plans."""
    frame = pd.DataFrame(rows, columns=["quota_cents", "booked_cents", "team_booked_cents", "team_quota_cents"])
    out = compute_payouts(p, frame, fraction)
    for i, (q, b, tb, tq) in enumerate(rows):
        exact = compute_payout(
            p,
            quota_cents=q,
            booked_cents=b,
            team_attainment=Fraction(tb, tq) if tq else None,
            period_fraction=fraction,
        )
        assert [int(out[c].iloc[i]) for c in PAYOUT_COLUMNS] == [getattr(exact, c) for c in PAYOUT_COLUMNS]


@FAST
@given(plan_st(), row_st())
def test_a_payout_is_never_negative_and_never_above_the_cap(p, row):
    """Every component is ≥ 0, the variable pay is ≥ 0 and at most the cap."""
    q, b, tb, tq = row
    r = compute_payout(p, quota_cents=q, booked_cents=b, team_attainment=Fraction(tb, tq) if tq else None)
    assert min(r.individual_cents, r.team_cents, r.team_bonus_cents, r.variable_cents) >= 0
    assert r.cap_adjustment_cents <= 0
    assert r.variable_cents == r.individual_cents + r.team_cents + r.team_bonus_cents + r.cap_adjustment_cents
    if p.cap is not None:
        assert r.variable_cents <= period_amounts(p).cap_cents


@FAST
@given(
    plan_st(monotone=True),
    st.integers(min_value=1, max_value=2_000_000_000),
    st.integers(min_value=0, max_value=6_000_000_000),
    st.integers(min_value=0, max_value=6_000_000_000),
    st.fractions(min_value=0, max_value=3),
)
def test_more_bookings_never_pay_less_without_a_decelerator_cliff(p, quota, b1, b2, team):
    """For a plan with no cliff (no whole-tier rate that falls), pay never falls as bookings rise."""
    assert not p.has_cliff
    lo, hi = sorted((b1, b2))
    assert variable(p, lo, quota, team) <= variable(p, hi, quota, team)


def test_a_whole_tier_plan_with_a_falling_rate_is_flagged_as_a_cliff():
    """Whole tier with a lower rate above 150 % can pay less for more: has_cliff says so."""
    cliff = plan(bands((0, "1.5", 2), ("1.5", None, 1)), mechanic="whole_tier")
    assert cliff.has_cliff
    assert variable(cliff, pct("1.5")) < variable(cliff, pct("1.4999"))  # 1×1.5 < 2×1.4999
    assert not plan(bands((0, "1.5", 2), ("1.5", None, 1))).has_cliff  # marginal never falls


def test_five_thousand_reps_compute_exactly_and_match_the_reference_on_a_sample():
    """A 5,000-rep frame computes (speed is measured by the benchmark, not asserted) and agrees on a sample."""
    rng = np.random.default_rng(3)
    n = 5000
    quota = rng.integers(1, 50_000_000, n)
    frame = pd.DataFrame(
        {
            "quota_cents": quota,
            "booked_cents": (quota * rng.uniform(0, 2.5, n)).astype(np.int64),
            "team_quota_cents": np.full(n, 400_000_000),
            "team_booked_cents": rng.integers(0, 800_000_000, n),
        }
    )
    p = plan(team_weight="0.25", cap=Cap(pct_of_target_variable=D("2.5")))
    out = compute_payouts(p, frame, Fraction(1, 4))
    for i in range(0, n, 97):
        exact = compute_payout(
            p,
            quota_cents=int(frame.quota_cents[i]),
            booked_cents=int(frame.booked_cents[i]),
            team_attainment=Fraction(int(frame.team_booked_cents[i]), 400_000_000),
            period_fraction=Fraction(1, 4),
        )
        assert int(out["variable_cents"].iloc[i]) == exact.variable_cents

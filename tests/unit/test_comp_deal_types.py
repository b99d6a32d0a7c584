"""Comp plan components limited by deal type: the JSON, validation, the engine, the store and the
plan document, each against figures worked out by hand (docs/COMP_PLANS.md, "Deal types")."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pandas as pd
import pytest

from salesops.comp import document
from salesops.comp.engine import KIND_COLUMNS, compute_payout, compute_payouts
from salesops.comp.plan import InvalidPlan
from salesops.comp.plan_format import plan_from_dict, plan_to_json
from salesops.comp.queries import load_attainment, scope_payouts
from salesops.scope import Scope
from salesops.store import schema
from tests.builders import deal, insert, monthly_quota, rep

FOREVER = [{"from": "0", "to": None, "rate": "1"}]


def _split(new_rate: str = "0.2", renewal_rate: str = "0.08", renewal: str = "Renewal") -> dict:
    """10% on new business (0.2 at half weight) and 4% on renewals (0.08 at half weight); the renewal
    type in its CRM spelling."""
    return {
        "name": "New vs renewal",
        "base_salary_cents": 0,
        "target_variable_cents": 0,
        "components": [
            {"measure": "individual", "weight": "0.5", "basis": "commission", "deal_types": ["new_business"],
             "bands": [{"from": "0", "to": None, "rate": new_rate}]},
            {"measure": "individual", "weight": "0.5", "basis": "commission", "deal_types": [renewal],
             "bands": [{"from": "0", "to": None, "rate": renewal_rate}]},
        ],
    }  # fmt: skip


KINDS = {"new_business": 300_000, "renewal": 500_000, "expansion": 200_000, "existing": 0}


def test_new_business_and_renewals_pay_their_own_commission_rates():
    """Bookings 300,000 new + 500,000 renewal + 200,000 expansion: 10% × 300,000 + 4% × 500,000 =
    30,000 + 20,000 = 50,000 cents; expansion pays no component."""
    plan = plan_from_dict(_split())
    assert [c.deal_types for c in plan.components] == [("new_business",), ("renewal",)]
    p = compute_payout(plan, quota_cents=1_000_000, booked_cents=1_000_000, booked_by_kind=KINDS)
    assert (p.individual_cents, p.variable_cents) == (50_000, 50_000)


def test_a_multiplier_component_on_new_business_measures_its_bookings_against_the_whole_quota():
    """Target variable 1,200,000; new business 600,000 of a 1,000,000 quota (plus 400,000 renewals):
    attainment 60% → 0.6 × 1,200,000 = 720,000."""
    plan = plan_from_dict(
        {"name": "New logos", "base_salary_cents": 0, "target_variable_cents": 1_200_000,
         "components": [{"measure": "individual", "weight": "1", "deal_types": ["New Business"], "bands": FOREVER}]}
    )  # fmt: skip
    kinds = {"new_business": 600_000, "renewal": 400_000}
    p = compute_payout(plan, quota_cents=1_000_000, booked_cents=1_000_000, booked_by_kind=kinds)
    assert p.individual_cents == 720_000
    assert p.attainment == Fraction(1)  # the rep's attainment is still all bookings ÷ quota


def test_the_payouts_of_a_frame_use_its_bookings_per_kind():
    """compute_payouts reads the booked_<kind>_cents columns: the first rep as above (50,000), the
    second only renewals 250,000 (4% = 10,000), the third no quota (0)."""
    plan = plan_from_dict(_split())
    frame = pd.DataFrame(
        {
            "quota_cents": [1_000_000, 500_000, 0],
            "booked_cents": [1_000_000, 250_000, 90_000],
            **{col: [KINDS[k], 250_000 if k == "renewal" else 0, 90_000 if k == "new_business" else 0]
               for k, col in KIND_COLUMNS.items()},
        }
    )  # fmt: skip
    out = compute_payouts(plan, frame)
    assert out["individual_cents"].tolist() == [50_000, 10_000, 0]
    assert out["variable_cents"].dtype == "int64" and pd.isna(out["attainment"].iloc[2])


@pytest.mark.parametrize(
    ("change", "where", "says"),
    [
        (lambda p: p["components"][1].update(deal_types=["Upgrade deals"]), "components[1].deal_types[0]",
         "is not a deal type"),
        (lambda p: p["components"][1].update(deal_types=[]), "components[1].deal_types", "non-empty list"),
        (lambda p: p["components"][1].update(deal_types=["new logo"]), "components[1].deal_types",
         "new_business is already paid by an earlier individual component"),
        (lambda p: p["components"][1].pop("deal_types"), "components[1]", "a second 'individual' component"),
        (lambda p: p["components"][1].update(measure="team"), "components[1].deal_types",
         "a team component cannot be limited to deal types"),
    ],
)  # fmt: skip
def test_bad_deal_types_are_refused_naming_the_place(change, where, says):
    """An unknown type (with the accepted ones), an empty list, a type paid twice, an unlimited second
    individual component and a team component limited by type are each refused at their place."""
    raw = _split()
    change(raw)
    with pytest.raises(InvalidPlan) as err:
        plan_from_dict(raw)
    assert f"Invalid plan: {where}:" in err.value.message and says in err.value.message
    if "not a deal type" in says:
        assert "new_business, renewal, expansion, existing" in err.value.hint


def test_the_json_keeps_the_deal_types():
    """Written back, a limited component says its kinds; an unlimited one has no deal_types key."""
    plan = plan_from_dict(_split())
    assert plan_from_dict(__import__("json").loads(plan_to_json(plan))) == plan
    assert '"deal_types"' not in plan_to_json(plan_from_dict({**_split(), "components": [
        {"measure": "individual", "weight": "1", "bands": FOREVER}]}))  # fmt: skip


def test_the_plan_document_names_the_deal_types_and_pays_them_at_quota():
    """Example quota $1,000,000 at 100%, shared by weight (half new, half renewal): new 10% × $500,000
    = $50,000, renewal 4% × $500,000 = $20,000."""
    plan = plan_from_dict(_split())
    at = document.pay_at_quota(plan)
    assert at.components["individual (new-business deals)"].endswith("it pays $50,000.00")
    assert at.components["individual (renewal deals)"].endswith("it pays $20,000.00")
    assert at.payout.variable_cents == 7_000_000
    text = " ".join(document.describe(plan))
    assert "your own bookings of new-business deals against your quota" in text
    assert "assume your bookings are 50% new-business; 50% renewal," in text
    assert "Bookings of expansion and other existing-business deals pay no individual component." in text
    assert list(document.rate_table(plan)["component"]) == [
        "individual (new-business deals)",
        "individual (renewal deals)",
    ]


def test_the_store_gives_each_reps_bookings_per_kind(empty_engine):
    """Q1 2026, A: 300 new (Acme's first purchase), 500 Renewal, 200 Expansion → the plan pays 10% of 300
    + 4% of 500 = 50 cents; B: 100 untyped on Acme after A's first purchase → existing, pays 0."""
    insert(empty_engine, schema.teams, [dict(team_id="T1", name="One", region="East")])
    insert(empty_engine, schema.reps, [rep("A", "T1"), rep("B", "T1")])
    insert(empty_engine, schema.quotas, monthly_quota("A", [1, 2, 3]) + monthly_quota("B", [1, 2, 3]))
    rows = [
        (1, "A", 300, date(2026, 1, 10), "Acme", None),
        (2, "A", 500, date(2026, 2, 10), "Beta", "Renewal"),
        (3, "A", 200, date(2026, 3, 10), "Gamma", "Expansion"),
        (4, "B", 100, date(2026, 3, 20), "acme", None),
    ]
    insert(empty_engine, schema.deals,
           [{**deal(n, r, "T1", "won", c, d), "account": a, "deal_type": t} for n, r, c, d, a, t in rows])  # fmt: skip
    q1 = Scope(date(2026, 1, 1), date(2026, 3, 31), "quarter")
    got = load_attainment(empty_engine, q1).set_index("rep_id")
    assert got.loc["A", list(KIND_COLUMNS.values())].tolist() == [300, 500, 200, 0]
    assert got.loc["B", list(KIND_COLUMNS.values())].tolist() == [0, 0, 0, 100]
    pay = scope_payouts(empty_engine, q1, plan_from_dict(_split())).set_index("rep_id")
    assert pay.loc["A", "individual_cents"] == 30 + 20 and pay.loc["B", "individual_cents"] == 0

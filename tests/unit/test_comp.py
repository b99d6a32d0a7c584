"""The plan model: validation names the problem, JSON round-trips exactly, example plans load."""

from __future__ import annotations

import copy
import json
from decimal import Decimal as D
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from salesops.comp.engine import compute_payout
from salesops.comp.plan import InvalidPlan, standard_plan
from salesops.comp.plan_format import plan_from_dict, plan_from_json, plan_slug, plan_to_dict, plan_to_json

PLANS = Path(__file__).resolve().parents[2] / "docs" / "plans"

GOOD = {
    "name": "AE plan",
    "base_salary_cents": 8_000_000,
    "target_variable_cents": 8_000_000,
    "components": [
        {
            "measure": "individual",
            "weight": "0.75",
            "basis": "multiplier",
            "mechanic": "marginal",
            "bands": [{"from": 0, "to": 1, "rate": 1}, {"from": 1, "to": None, "rate": 2}],
        },
        {"measure": "team", "weight": "0.25", "bands": [{"from": 0, "to": None, "rate": 1}]},
    ],
}


def broken(path: str, value) -> dict:
    """GOOD with the value at a dotted path (list indexes as numbers) replaced; '<del>' deletes it."""
    data = copy.deepcopy(GOOD)
    *parents, last = path.split(".")
    node = data
    for key in parents:
        node = node[int(key)] if key.isdigit() else node[key]
    last_key = int(last) if last.isdigit() else last
    if value == "<del>":
        del node[last_key]
    else:
        node[last_key] = value
    return data


BAD = [
    ("split not 100%", "components.1.weight", "0.3", "split does not sum to 100% (individual 75% + team 30% = 105%)"),
    ("negative rate", "components.0.bands.1.rate", -1, "components[0].bands[1].rate: must not be negative"),
    (
        "overlapping bands",
        "components.0.bands",
        [{"from": 0, "to": 1.2, "rate": 1}, {"from": 1, "to": None, "rate": 2}],
        "components[0].bands[1]: starts at 100%, inside the previous band (which ends at 120%)",
    ),
    (
        "unordered bands",
        "components.0.bands",
        [{"from": 1, "to": None, "rate": 2}, {"from": 0, "to": 1, "rate": 1}],
        "components[0].bands[0]: the first band starts at 100%; it must start at 0%",
    ),
    (
        "band ending before it starts",
        "components.0.bands",
        [{"from": 0, "to": 0, "rate": 1}, {"from": 0, "to": None, "rate": 2}],
        "components[0].bands[0]: ends at 0%, not after its start 0%",
    ),
    (
        "gap between bands",
        "components.0.bands",
        [{"from": 0, "to": 1, "rate": 1}, {"from": 1.2, "to": None, "rate": 2}],
        "a gap between bands",
    ),
    (
        "last band closed",
        "components.0.bands",
        [{"from": 0, "to": 1, "rate": 1}],
        "the last band ends at 100%; it must have no upper edge",
    ),
    ("no bands", "components.0.bands", [], "the rate table has no bands"),
    (
        "unknown mechanic",
        "components.0.mechanic",
        "tiered",
        "components[0].mechanic: 'tiered' is not one of marginal, whole_tier",
    ),
    ("unknown basis", "components.0.basis", "percent", "components[0].basis: 'percent' is not one of"),
    ("unknown measure", "components.1.measure", "company", "components[1].measure: 'company' is not one of"),
    ("same measure twice", "components.1.measure", "individual", "a second 'individual' component"),
    ("negative base", "base_salary_cents", -5, "base_salary_cents: must not be negative"),
    ("cents as a fraction", "target_variable_cents", 10.5, "target_variable_cents: must be a whole number of cents"),
    ("rate as text", "components.0.bands.0.rate", "lots", "components[0].bands[0].rate: 'lots' is not a number"),
    ("typo in a key", "components.0.bandz", [], "components[0]: unknown key 'bandz'"),
    ("missing name", "name", "<del>", "plan: missing key 'name'"),
    ("empty name", "name", "  ", "name: a plan needs a name"),
    ("no components", "components", [], "a plan needs at least one component"),
    (
        "bad threshold mode",
        "components.0.threshold",
        {"attainment": 0.5, "mode": "sometimes"},
        "components[0].threshold.mode: 'sometimes' is not one of retroactive, excess_only",
    ),
    (
        "negative threshold",
        "components.0.threshold",
        {"attainment": -0.1},
        "threshold.attainment: must not be negative",
    ),
    ("cap with both kinds", "cap", {"amount_cents": 1, "pct_of_target_variable": 2}, "cap: give exactly one of"),
    ("cap with neither", "cap", {}, "cap: give exactly one of"),
    ("negative cap", "cap", {"pct_of_target_variable": -1}, "cap.pct_of_target_variable: must not be negative"),
    ("bonus without an amount", "team_bonus", {"min_team_attainment": 1}, "team_bonus: give exactly one of"),
    ("zero weight", "components.1.weight", 0, "components[1].weight: is 0%"),
    ("implausible rate", "components.0.bands.1.rate", 1000, "must be at most 100"),
]


@pytest.mark.parametrize("case,path,value,message", BAD, ids=[b[0] for b in BAD])
def test_an_invalid_plan_is_rejected_with_a_message_naming_the_problem(case, path, value, message):
    """Each broken rule raises InvalidPlan whose message names where and what."""
    with pytest.raises(InvalidPlan) as err:
        plan_from_dict(broken(path, value))
    assert message in str(err.value)
    assert err.value.hint  # and says what to do


def test_the_good_plan_is_accepted():
    """The base example of these tests is valid (so each broken case breaks exactly one thing)."""
    plan = plan_from_dict(GOOD)
    assert plan.ote_cents == 16_000_000 and plan.uses_team


def test_invalid_json_names_the_line():
    """A syntax error in the file gives its line and column."""
    with pytest.raises(InvalidPlan, match=r"PLAN.json is not valid JSON \(line 2"):
        plan_from_json('{\n "name": }', "PLAN.json")


def test_a_plan_that_is_not_an_object_is_rejected():
    """A JSON list is not a plan."""
    with pytest.raises(InvalidPlan, match="plan: must be an object"):
        plan_from_json("[]")


def test_percent_strings_and_floats_parse_exactly():
    """'75%' is 0.75 and the float 0.1 is exactly Decimal('0.1')."""
    data = broken("components.0.weight", "75%")
    data["components"][0]["bands"][0]["rate"] = 0.1
    plan = plan_from_dict(data)
    assert plan.components[0].weight == D("0.75")
    assert plan.components[0].bands[0].rate == D("0.1")


def test_a_plan_round_trips_through_json_unchanged():
    """plan -> JSON -> plan gives an equal plan, and the JSON keeps rates as exact strings."""
    plan = standard_plan(team_mode="bonus", threshold=D("0.4"), threshold_mode="excess_only")
    text = plan_to_json(plan)
    assert plan_from_json(text) == plan
    assert json.loads(text)["components"][0]["bands"][2]["rate"] == "1.5"


@settings(max_examples=60, deadline=None)
@given(
    share=st.integers(min_value=0, max_value=100),
    decel=st.decimals(min_value=0, max_value=1, places=2),
    accel=st.decimals(min_value=0, max_value=4, places=2),
    mechanic=st.sampled_from(["marginal", "whole_tier"]),
    mode=st.sampled_from(["split", "bonus"]),
    cap=st.one_of(st.none(), st.decimals(min_value=1, max_value=5, places=1)),
)
def test_any_standard_plan_round_trips_through_json(share, decel, accel, mechanic, mode, cap):
    """Every plan the page's knobs can build survives a JSON round trip exactly."""
    plan = standard_plan(
        individual_share=D(share) / 100,
        decelerator=decel,
        accelerator=accel,
        mechanic=mechanic,
        team_mode=mode,
        cap_pct=cap,
    )
    assert plan_from_dict(plan_to_dict(plan)) == plan


def test_the_standard_plan_pays_the_target_at_quota_whatever_the_decelerator():
    """The 50–100 % band is set so that 100 % attainment pays exactly the target variable."""
    for decel in ("0", "0.5", "1"):
        plan = standard_plan(decelerator=D(decel), team_mode="split")
        r = compute_payout(plan, quota_cents=100, booked_cents=100)
        assert r.variable_cents == plan.target_variable_cents


def test_a_split_of_100_percent_individual_has_no_team_component():
    """Moving the split to 100/0 drops the team component rather than keeping a 0 % one."""
    plan = standard_plan(individual_share=D(1))
    assert [c.measure for c in plan.components] == ["individual"] and not plan.uses_team


def test_plan_names_become_slugs():
    """A plan id is the lower-case name with dashes."""
    assert plan_slug("FY27 AE <plan> #2") == "fy27-ae-plan-2"
    assert plan_slug("!!!") == "plan"


@pytest.mark.parametrize("path", sorted(PLANS.glob("*.json")), ids=lambda p: p.name)
def test_every_example_plan_file_is_valid(path):
    """The example plans in docs/plans load and round-trip."""
    plan = plan_from_json(path.read_text(), path.name)
    assert plan_from_json(plan_to_json(plan)) == plan

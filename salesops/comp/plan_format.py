"""The plan JSON format (docs/COMP_PLANS.md): reading a plan from JSON, writing it back, its slug.

Numbers other than cents may be JSON numbers or strings ("0.08", "8%"); they are read as exact
Decimals, and written back as strings so they stay exact. Every error is an :class:`InvalidPlan`
naming the place (``components[0].bands[1].rate``) and the problem.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from salesops.comp.plan import (
    DEAL_KINDS,
    Band,
    Cap,
    Component,
    CompPlan,
    InvalidPlan,
    TeamBonus,
    Threshold,
    deal_kind,
    invalid_at,
)

FORMAT_VERSION = 1
#: The largest amount a plan may hold, in cents (10^15 cents = 10 trillion): beyond it a value is a typo.
MAX_CENTS = 10**15
#: The largest plan file read, in characters.
MAX_PLAN_CHARS = 1_000_000


def _dec(value: Any, where: str) -> Decimal:
    """A JSON number or numeric string as an exact Decimal (floats go through their shortest repr)."""
    if isinstance(value, bool) or value is None:
        raise invalid_at(where, f"must be a number, got {json.dumps(value)}")
    if isinstance(value, float):
        value = repr(value)
    if isinstance(value, (int, str)):
        try:
            d = Decimal(str(value).strip().rstrip("%")) / (100 if str(value).strip().endswith("%") else 1)
        except InvalidOperation:
            raise invalid_at(where, f"{value!r} is not a number") from None
        if not d.is_finite():
            raise invalid_at(where, f"{value!r} is not a finite number")
        if d != 0 and not -12 <= d.adjusted() <= 12:
            raise invalid_at(where, f"{str(value)[:40]!r} is out of range (a rate, weight or share is below 10^12)")
        return d
    raise invalid_at(where, f"must be a number, got {type(value).__name__}")


def _money(value: Any, where: str) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid_at(where, f"must be a whole number of cents, got {json.dumps(value)[:40]}")
    if abs(value) > MAX_CENTS:
        raise invalid_at(where, f"{str(value)[:40]} cents is out of range (at most {MAX_CENTS:,} cents)")
    return value


def _obj(value: Any, where: str, allowed: set[str], required: set[str]) -> dict:
    if not isinstance(value, dict):
        raise invalid_at(where, f"must be an object, got {type(value).__name__}")
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise invalid_at(where, f"unknown key {unknown[0]!r} (allowed: {', '.join(sorted(allowed))})")
    missing = sorted(required - set(value))
    if missing:
        raise invalid_at(where, f"missing key {missing[0]!r}")
    return value


def _opt_dec(d: dict, key: str, where: str) -> Decimal | None:
    return None if d.get(key) is None else _dec(d[key], f"{where}.{key}")


def _opt_money(d: dict, key: str, where: str) -> int | None:
    return None if d.get(key) is None else _money(d[key], f"{where}.{key}")


def plan_from_dict(data: Any) -> CompPlan:
    """Build and validate a plan from its JSON object (docs/COMP_PLANS.md)."""
    top = _obj(
        data,
        "plan",
        {
            "format_version",
            "name",
            "description",
            "base_salary_cents",
            "target_variable_cents",
            "components",
            "team_bonus",
            "cap",
        },
        {"name", "base_salary_cents", "target_variable_cents", "components"},
    )
    if top.get("format_version", FORMAT_VERSION) != FORMAT_VERSION:
        raise invalid_at(
            "format_version", f"{top['format_version']!r} is not supported (this salesops reads {FORMAT_VERSION})"
        )
    if not isinstance(top["name"], str):
        raise invalid_at("name", "must be text")
    if not isinstance(top.get("description", ""), str):
        raise invalid_at("description", "must be text")
    comps_raw = top["components"]
    if not isinstance(comps_raw, list):
        raise invalid_at("components", "must be a list")
    components = [_component_from_dict(raw, f"components[{i}]") for i, raw in enumerate(comps_raw)]
    team_bonus = _team_bonus_from_dict(top.get("team_bonus"))
    cap = _cap_from_dict(top.get("cap"))
    return CompPlan(
        name=top["name"],
        description=top.get("description", ""),
        base_salary_cents=_money(top["base_salary_cents"], "base_salary_cents"),
        target_variable_cents=_money(top["target_variable_cents"], "target_variable_cents"),
        components=tuple(components),
        team_bonus=team_bonus,
        cap=cap,
    )


def _component_from_dict(raw: Any, where: str) -> Component:
    c = _obj(
        raw,
        where,
        {"measure", "weight", "basis", "mechanic", "bands", "threshold", "deal_types"},
        {"measure", "weight", "bands"},
    )
    if not isinstance(c["bands"], list):
        raise invalid_at(f"{where}.bands", "must be a list")
    bands = []
    for j, b in enumerate(c["bands"]):
        bw = f"{where}.bands[{j}]"
        b = _obj(b, bw, {"from", "to", "rate"}, {"from", "rate"})
        bands.append(
            Band(start=_dec(b["from"], f"{bw}.from"), end=_opt_dec(b, "to", bw), rate=_dec(b["rate"], f"{bw}.rate"))
        )
    threshold = None
    if c.get("threshold") is not None:
        t = _obj(c["threshold"], f"{where}.threshold", {"attainment", "mode"}, {"attainment"})
        threshold = Threshold(
            attainment=_dec(t["attainment"], f"{where}.threshold.attainment"), mode=t.get("mode", "retroactive")
        )
    return Component(
        measure=c["measure"],
        weight=_dec(c["weight"], f"{where}.weight"),
        basis=c.get("basis", "multiplier"),
        mechanic=c.get("mechanic", "marginal"),
        bands=tuple(bands),
        threshold=threshold,
        deal_types=_deal_types(c.get("deal_types"), f"{where}.deal_types"),
    )


def _deal_types(raw: Any, where: str) -> tuple[str, ...]:
    """A component's ``deal_types``: a non-empty list of kinds or CRM spellings, read as kinds."""
    if raw is None:
        return ()
    if not isinstance(raw, list) or not raw:
        raise invalid_at(where, 'must be a non-empty list of deal types, e.g. ["new_business"]')
    kinds = []
    for j, value in enumerate(raw):
        kind = deal_kind(value) if isinstance(value, str) else None
        if kind is None:
            raise invalid_at(
                f"{where}[{j}]",
                f"{json.dumps(value)[:60]} is not a deal type",
                f'Use one of: {", ".join(DEAL_KINDS)} (CRM spellings such as "New Business", "Renewal", '
                '"Upsell" are read as these too).',
            )
        kinds.append(kind)
    return tuple(kinds)


def _team_bonus_from_dict(raw: Any) -> TeamBonus | None:
    if raw is None:
        return None
    tb = _obj(
        raw, "team_bonus", {"min_team_attainment", "amount_cents", "pct_of_target_variable"}, {"min_team_attainment"}
    )
    return TeamBonus(
        min_team_attainment=_dec(tb["min_team_attainment"], "team_bonus.min_team_attainment"),
        amount_cents=_opt_money(tb, "amount_cents", "team_bonus"),
        pct_of_target_variable=_opt_dec(tb, "pct_of_target_variable", "team_bonus"),
    )


def _cap_from_dict(raw: Any) -> Cap | None:
    if raw is None:
        return None
    cp = _obj(raw, "cap", {"amount_cents", "pct_of_target_variable"}, set())
    return Cap(
        amount_cents=_opt_money(cp, "amount_cents", "cap"),
        pct_of_target_variable=_opt_dec(cp, "pct_of_target_variable", "cap"),
    )


def plan_from_json(text: str, source: str = "the plan") -> CompPlan:
    """Parse and validate plan JSON; a syntax error names the line and column in ``source``."""
    if len(text) > MAX_PLAN_CHARS:
        raise InvalidPlan(
            f"Invalid plan: {source} has {len(text):,} characters; a plan is at most {MAX_PLAN_CHARS:,}.",
            "Upload the plan's JSON file itself (docs/COMP_PLANS.md shows its shape).",
        )
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidPlan(
            f"Invalid plan: {source} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}).",
            "Check the file's brackets and commas; the format is in docs/COMP_PLANS.md.",
        ) from None
    except (ValueError, RecursionError) as exc:  # a 5,000-digit number, brackets nested 10,000 deep
        raise InvalidPlan(
            f"Invalid plan: {source} holds a value too large or too deeply nested to read ({type(exc).__name__}).",
            "Amounts are whole cents below 10^15, rates below 10^12; the format is in docs/COMP_PLANS.md.",
        ) from None
    return plan_from_dict(data)


def _num(d: Decimal) -> str:
    return f"{d.normalize():f}" if d != 0 else "0"


def plan_to_dict(plan: CompPlan) -> dict:
    """The plan as its JSON object; numbers that are not cents are strings, so they stay exact."""
    out: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "name": plan.name,
        "description": plan.description,
        "base_salary_cents": plan.base_salary_cents,
        "target_variable_cents": plan.target_variable_cents,
        "components": [
            {
                "measure": c.measure,
                "weight": _num(c.weight),
                "basis": c.basis,
                "mechanic": c.mechanic,
                "bands": [
                    {"from": _num(b.start), "to": None if b.end is None else _num(b.end), "rate": _num(b.rate)}
                    for b in c.bands
                ],
                "threshold": None
                if c.threshold is None
                else {"attainment": _num(c.threshold.attainment), "mode": c.threshold.mode},
                **({"deal_types": list(c.deal_types)} if c.deal_types else {}),
            }
            for c in plan.components
        ],
        "team_bonus": None,
        "cap": None,
    }
    if plan.team_bonus is not None:
        tb = plan.team_bonus
        out["team_bonus"] = {"min_team_attainment": _num(tb.min_team_attainment)}
        if tb.amount_cents is not None:
            out["team_bonus"]["amount_cents"] = tb.amount_cents
        else:
            assert tb.pct_of_target_variable is not None  # validation: exactly one of amount / pct
            out["team_bonus"]["pct_of_target_variable"] = _num(tb.pct_of_target_variable)
    if plan.cap is not None:
        out["cap"] = (
            {"amount_cents": plan.cap.amount_cents}
            if plan.cap.amount_cents is not None
            else {"pct_of_target_variable": _num(plan.cap.pct_of_target_variable or Decimal(0))}
        )
    return out


def plan_to_json(plan: CompPlan) -> str:
    return json.dumps(plan_to_dict(plan), indent=2)


def plan_slug(name: str) -> str:
    """A stable id from a plan name: 'FY27 AE plan' -> 'fy27-ae-plan'."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:60] or "plan"

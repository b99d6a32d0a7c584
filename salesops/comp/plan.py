"""Compensation plans: frozen dataclasses, validation, and the JSON format (docs/COMP_PLANS.md).

A :class:`CompPlan` is a base salary, an on-target variable pay (OTE = base + target variable),
one or two *components* (the rep's own attainment, the team's attainment) whose weights sum to
100 %, an optional team bonus paid when the team reaches an attainment, and an optional cap.

Each component has a rate table: ordered, contiguous bands of attainment ``[start, end)`` (an exact
edge belongs to the band that *starts* there), each with a rate. The rate is either a payout
multiplier on the component's target variable (``basis="multiplier"``: rate 1 over 0–100 % pays
the whole target at quota) or a commission rate on bookings (``basis="commission"``: rate 0.08 pays
8 cents per dollar booked in that band). ``mechanic="marginal"`` pays each band at its own rate
(like tax brackets); ``"whole_tier"`` applies the rate of the highest band reached to everything.

An optional threshold pays nothing below it; once cleared, ``"retroactive"`` pays from the first
dollar and ``"excess_only"`` pays only the attainment above the threshold.

Every constructor validates; a bad plan raises :class:`InvalidPlan` naming the place and the
problem. The payout engine lives in :mod:`salesops.comp.engine`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from salesops.errors import SalesopsError
from salesops.format import decimal_pct as _pct

FORMAT_VERSION = 1
BASES = ("multiplier", "commission")
MECHANICS = ("marginal", "whole_tier")
MEASURES = ("individual", "team")
THRESHOLD_MODES = ("retroactive", "excess_only")

#: Sanity limits, so a typo (an extra zero) is caught rather than simulated.
MAX_RATE = Decimal(100)
MAX_ATTAINMENT_EDGE = Decimal(100)  # 10,000 %
MAX_MONEY_CENTS = 10**13  # $100 billion


class InvalidPlan(SalesopsError):
    """A compensation plan (JSON or built in code) breaks a rule; the message names where and what."""


def _fail(where: str, what: str, hint: str = "") -> InvalidPlan:
    return InvalidPlan(
        f"Invalid plan: {where}: {what}.", hint or "Fix the plan (format: docs/COMP_PLANS.md) and try again."
    )


@dataclass(frozen=True, kw_only=True)
class Band:
    """Attainment from ``start`` (inclusive) to ``end`` (exclusive; None = no upper edge) at ``rate``."""

    start: Decimal
    end: Decimal | None
    rate: Decimal


@dataclass(frozen=True, kw_only=True)
class Threshold:
    """Nothing is paid below ``attainment``; ``mode`` says what is paid once it is cleared."""

    attainment: Decimal
    mode: str = "retroactive"


@dataclass(frozen=True, kw_only=True)
class Component:
    """One part of the variable pay: ``weight`` of the target variable, measured on ``measure``."""

    measure: str
    weight: Decimal
    basis: str
    mechanic: str
    bands: tuple[Band, ...]
    threshold: Threshold | None = None

    @property
    def has_cliff(self) -> bool:
        """True when more attainment can pay less: a whole-tier table whose rate falls in a higher band."""
        if self.mechanic != "whole_tier":
            return False
        rates = [b.rate for b in self.bands]
        return any(later < earlier for earlier, later in zip(rates, rates[1:]))


@dataclass(frozen=True, kw_only=True)
class TeamBonus:
    """A bonus paid when the team's attainment is at least ``min_team_attainment``.

    Exactly one of ``amount_cents`` (a yearly amount, prorated to the period) and
    ``pct_of_target_variable`` is set.
    """

    min_team_attainment: Decimal
    amount_cents: int | None = None
    pct_of_target_variable: Decimal | None = None


@dataclass(frozen=True, kw_only=True)
class Cap:
    """The most the variable pay (components + team bonus) can reach in a period.

    Exactly one of ``amount_cents`` (a yearly amount, prorated) and ``pct_of_target_variable``.
    """

    amount_cents: int | None = None
    pct_of_target_variable: Decimal | None = None


@dataclass(frozen=True, kw_only=True)
class CompPlan:
    """A whole plan. Money is yearly, in integer cents; rates and attainments are Decimals (1 = 100 %)."""

    name: str
    base_salary_cents: int
    target_variable_cents: int
    components: tuple[Component, ...]
    team_bonus: TeamBonus | None = None
    cap: Cap | None = None
    description: str = ""

    def __post_init__(self) -> None:
        validate(self)

    @property
    def ote_cents(self) -> int:
        return self.base_salary_cents + self.target_variable_cents

    def component(self, measure: str) -> Component | None:
        return next((c for c in self.components if c.measure == measure), None)

    @property
    def uses_team(self) -> bool:
        return self.component("team") is not None or self.team_bonus is not None

    @property
    def has_cliff(self) -> bool:
        return any(c.has_cliff for c in self.components)


# ---- validation --------------------------------------------------------------------------------


def _check_money(value: Any, where: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(where, f"must be a whole number of cents, got {value!r}")
    if value < 0:
        raise _fail(where, f"must not be negative, got {value}")
    if value > MAX_MONEY_CENTS:
        raise _fail(where, f"{value} cents is implausibly large (over $100 billion)")


def _check_decimal(value: Any, where: str, *, low: Decimal = Decimal(0), high: Decimal | None = None) -> None:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise _fail(where, f"must be a finite number, got {value!r}")
    if value < low:
        what = "must not be negative" if low == 0 else f"must be at least {low}"
        raise _fail(where, f"{what}, got {value}")
    if high is not None and value > high:
        raise _fail(where, f"must be at most {high}, got {value}")


def _check_component(c: Component, where: str) -> None:
    if c.measure not in MEASURES:
        raise _fail(f"{where}.measure", f"{c.measure!r} is not one of {', '.join(MEASURES)}")
    if c.basis not in BASES:
        raise _fail(f"{where}.basis", f"{c.basis!r} is not one of {', '.join(BASES)}")
    if c.mechanic not in MECHANICS:
        raise _fail(f"{where}.mechanic", f"{c.mechanic!r} is not one of {', '.join(MECHANICS)}")
    _check_decimal(c.weight, f"{where}.weight", high=Decimal(1))
    if c.weight == 0:
        raise _fail(f"{where}.weight", "is 0%", "Remove a component that carries no weight.")
    if not c.bands:
        raise _fail(f"{where}.bands", "the rate table has no bands")
    for i, band in enumerate(c.bands):
        bw = f"{where}.bands[{i}]"
        _check_decimal(band.start, f"{bw}.from", high=MAX_ATTAINMENT_EDGE)
        _check_decimal(band.rate, f"{bw}.rate", high=MAX_RATE)
        if band.end is not None:
            _check_decimal(band.end, f"{bw}.to", high=MAX_ATTAINMENT_EDGE)
            if band.end <= band.start:
                raise _fail(bw, f"ends at {_pct(band.end)}, not after its start {_pct(band.start)} (bands must go up)")
        if i == 0 and band.start != 0:
            raise _fail(
                bw,
                f"the first band starts at {_pct(band.start)}; it must start at 0%",
                "Use a threshold to pay nothing below some attainment.",
            )
        if i > 0:
            prev = c.bands[i - 1]
            if prev.end is None:
                raise _fail(f"{where}.bands[{i - 1}]", "has no upper edge but is not the last band")
            if band.start < prev.end:
                raise _fail(
                    bw,
                    f"starts at {_pct(band.start)}, inside the previous band (which ends at {_pct(prev.end)}): bands overlap or are out of order",
                )
            if band.start > prev.end:
                raise _fail(
                    bw,
                    f"starts at {_pct(band.start)} but the previous band ends at {_pct(prev.end)}: a gap between bands",
                )
    if c.bands[-1].end is not None:
        raise _fail(
            f"{where}.bands[{len(c.bands) - 1}]",
            f'the last band ends at {_pct(c.bands[-1].end)}; it must have no upper edge ("to": null)',
            "Use the plan's cap to limit pay.",
        )
    if c.threshold is not None:
        tw = f"{where}.threshold"
        if c.threshold.mode not in THRESHOLD_MODES:
            raise _fail(f"{tw}.mode", f"{c.threshold.mode!r} is not one of {', '.join(THRESHOLD_MODES)}")
        _check_decimal(c.threshold.attainment, f"{tw}.attainment", high=MAX_ATTAINMENT_EDGE)


def validate(plan: CompPlan) -> None:
    """Raise :class:`InvalidPlan` for the first rule ``plan`` breaks (see docs/COMP_PLANS.md)."""
    if not isinstance(plan.name, str) or not plan.name.strip():
        raise _fail("name", "a plan needs a name")
    if len(plan.name) > 200:
        raise _fail("name", "is longer than 200 characters")
    _check_money(plan.base_salary_cents, "base_salary_cents")
    _check_money(plan.target_variable_cents, "target_variable_cents")
    if not plan.components:
        raise _fail("components", "a plan needs at least one component (individual and/or team)")
    seen: set[str] = set()
    for i, c in enumerate(plan.components):
        _check_component(c, f"components[{i}]")
        if c.measure in seen:
            raise _fail(f"components[{i}]", f"a second {c.measure!r} component (each measure appears once)")
        seen.add(c.measure)
    total = sum((c.weight for c in plan.components), Decimal(0))
    if total != 1:
        parts = " + ".join(f"{c.measure} {_pct(c.weight)}" for c in plan.components)
        raise _fail("components", f"the split does not sum to 100% ({parts} = {_pct(total)})")
    if plan.team_bonus is not None:
        tb = plan.team_bonus
        _check_decimal(tb.min_team_attainment, "team_bonus.min_team_attainment", high=MAX_ATTAINMENT_EDGE)
        if (tb.amount_cents is None) == (tb.pct_of_target_variable is None):
            raise _fail("team_bonus", "give exactly one of amount_cents and pct_of_target_variable")
        if tb.amount_cents is not None:
            _check_money(tb.amount_cents, "team_bonus.amount_cents")
        else:
            _check_decimal(tb.pct_of_target_variable, "team_bonus.pct_of_target_variable", high=MAX_RATE)
    if plan.cap is not None:
        cap = plan.cap
        if (cap.amount_cents is None) == (cap.pct_of_target_variable is None):
            raise _fail("cap", "give exactly one of amount_cents and pct_of_target_variable")
        if cap.amount_cents is not None:
            _check_money(cap.amount_cents, "cap.amount_cents")
        else:
            _check_decimal(cap.pct_of_target_variable, "cap.pct_of_target_variable", high=MAX_RATE)


# ---- JSON ----------------------------------------------------------------------------------------


def _dec(value: Any, where: str) -> Decimal:
    """A JSON number or numeric string as an exact Decimal (floats go through their shortest repr)."""
    if isinstance(value, bool) or value is None:
        raise _fail(where, f"must be a number, got {json.dumps(value)}")
    if isinstance(value, float):
        value = repr(value)
    if isinstance(value, (int, str)):
        try:
            d = Decimal(str(value).strip().rstrip("%")) / (100 if str(value).strip().endswith("%") else 1)
        except InvalidOperation:
            raise _fail(where, f"{value!r} is not a number") from None
        if not d.is_finite():
            raise _fail(where, f"{value!r} is not a finite number")
        return d
    raise _fail(where, f"must be a number, got {type(value).__name__}")


def _money(value: Any, where: str) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(where, f"must be a whole number of cents, got {json.dumps(value)}")
    return value


def _obj(value: Any, where: str, allowed: set[str], required: set[str]) -> dict:
    if not isinstance(value, dict):
        raise _fail(where, f"must be an object, got {type(value).__name__}")
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise _fail(where, f"unknown key {unknown[0]!r} (allowed: {', '.join(sorted(allowed))})")
    missing = sorted(required - set(value))
    if missing:
        raise _fail(where, f"missing key {missing[0]!r}")
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
        raise _fail(
            "format_version", f"{top['format_version']!r} is not supported (this salesops reads {FORMAT_VERSION})"
        )
    if not isinstance(top["name"], str):
        raise _fail("name", "must be text")
    if not isinstance(top.get("description", ""), str):
        raise _fail("description", "must be text")
    comps_raw = top["components"]
    if not isinstance(comps_raw, list):
        raise _fail("components", "must be a list")
    components = []
    for i, raw in enumerate(comps_raw):
        where = f"components[{i}]"
        c = _obj(
            raw, where, {"measure", "weight", "basis", "mechanic", "bands", "threshold"}, {"measure", "weight", "bands"}
        )
        if not isinstance(c["bands"], list):
            raise _fail(f"{where}.bands", "must be a list")
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
        components.append(
            Component(
                measure=c["measure"],
                weight=_dec(c["weight"], f"{where}.weight"),
                basis=c.get("basis", "multiplier"),
                mechanic=c.get("mechanic", "marginal"),
                bands=tuple(bands),
                threshold=threshold,
            )
        )
    team_bonus = None
    if top.get("team_bonus") is not None:
        tb = _obj(
            top["team_bonus"],
            "team_bonus",
            {"min_team_attainment", "amount_cents", "pct_of_target_variable"},
            {"min_team_attainment"},
        )
        team_bonus = TeamBonus(
            min_team_attainment=_dec(tb["min_team_attainment"], "team_bonus.min_team_attainment"),
            amount_cents=_opt_money(tb, "amount_cents", "team_bonus"),
            pct_of_target_variable=_opt_dec(tb, "pct_of_target_variable", "team_bonus"),
        )
    cap = None
    if top.get("cap") is not None:
        cp = _obj(top["cap"], "cap", {"amount_cents", "pct_of_target_variable"}, set())
        cap = Cap(
            amount_cents=_opt_money(cp, "amount_cents", "cap"),
            pct_of_target_variable=_opt_dec(cp, "pct_of_target_variable", "cap"),
        )
    return CompPlan(
        name=top["name"],
        description=top.get("description", ""),
        base_salary_cents=_money(top["base_salary_cents"], "base_salary_cents"),
        target_variable_cents=_money(top["target_variable_cents"], "target_variable_cents"),
        components=tuple(components),
        team_bonus=team_bonus,
        cap=cap,
    )


def plan_from_json(text: str, source: str = "the plan") -> CompPlan:
    """Parse and validate plan JSON; a syntax error names the line and column in ``source``."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidPlan(
            f"Invalid plan: {source} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}).",
            "Check the file's brackets and commas; the format is in docs/COMP_PLANS.md.",
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
            out["team_bonus"]["pct_of_target_variable"] = _num(tb.pct_of_target_variable)
    if plan.cap is not None:
        out["cap"] = (
            {"amount_cents": plan.cap.amount_cents}
            if plan.cap.amount_cents is not None
            else {"pct_of_target_variable": _num(plan.cap.pct_of_target_variable)}
        )
    return out


def plan_to_json(plan: CompPlan) -> str:
    return json.dumps(plan_to_dict(plan), indent=2)


def plan_slug(name: str) -> str:
    """A stable id from a plan name: 'FY27 AE plan' -> 'fy27-ae-plan'."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:60] or "plan"


# ---- the page's knobs ------------------------------------------------------------------------------


def standard_plan(
    *,
    name: str = "Standard plan",
    base_salary_cents: int = 9_000_000,
    target_variable_cents: int = 9_000_000,
    individual_share: Decimal = Decimal("0.75"),
    team_mode: str = "split",
    team_bonus_min: Decimal = Decimal(1),
    team_bonus_pct: Decimal = Decimal("0.10"),
    threshold: Decimal = Decimal(0),
    threshold_mode: str = "retroactive",
    decelerator: Decimal = Decimal(1),
    accelerator: Decimal = Decimal("1.5"),
    super_accelerator: Decimal = Decimal(2),
    mechanic: str = "marginal",
    cap_pct: Decimal | None = Decimal(3),
) -> CompPlan:
    """A multiplier plan from a few knobs (the simulator page's sliders).

    Bands: 0–50 % at ``decelerator``; 50–100 % at the rate that makes quota pay exactly the target
    variable (marginal: 2 − decelerator; whole-tier: 1); 100–150 % at ``accelerator``; 150 %+ at
    ``super_accelerator``. ``team_mode`` "split" gives the team ``1 − individual_share`` of the
    target variable; "bonus" pays 100 % on the individual plus ``team_bonus_pct`` of the target
    variable when the team reaches ``team_bonus_min``.
    """
    if team_mode not in ("split", "bonus"):
        raise _fail("team_mode", f"{team_mode!r} is not 'split' or 'bonus'")
    middle = (Decimal(2) - decelerator) if mechanic == "marginal" else Decimal(1)
    bands = (
        Band(start=Decimal(0), end=Decimal("0.5"), rate=decelerator),
        Band(start=Decimal("0.5"), end=Decimal(1), rate=middle),
        Band(start=Decimal(1), end=Decimal("1.5"), rate=accelerator),
        Band(start=Decimal("1.5"), end=None, rate=super_accelerator),
    )
    thr = Threshold(attainment=threshold, mode=threshold_mode) if threshold > 0 else None
    shares = (
        {"individual": individual_share, "team": Decimal(1) - individual_share}
        if team_mode == "split"
        else {"individual": Decimal(1)}
    )
    components = tuple(
        Component(measure=m, weight=w, basis="multiplier", mechanic=mechanic, bands=bands, threshold=thr)
        for m, w in shares.items()
        if w != 0
    )
    bonus = (
        TeamBonus(min_team_attainment=team_bonus_min, pct_of_target_variable=team_bonus_pct)
        if team_mode == "bonus"
        else None
    )
    cap = Cap(pct_of_target_variable=cap_pct) if cap_pct else None
    return CompPlan(
        name=name,
        base_salary_cents=base_salary_cents,
        target_variable_cents=target_variable_cents,
        components=components,
        team_bonus=bonus,
        cap=cap,
    )

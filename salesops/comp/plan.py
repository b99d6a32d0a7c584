"""Compensation plans: frozen dataclasses and validation (docs/COMP_PLANS.md; JSON in ``plan_format``).

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

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from salesops.errors import SalesopsError
from salesops.format import decimal_pct as _pct
from salesops.store.sql import DEAL_TYPE_SPELLINGS, DEAL_TYPES

BASES = ("multiplier", "commission")
MECHANICS = ("marginal", "whole_tier")
MEASURES = ("individual", "team")
THRESHOLD_MODES = ("retroactive", "excess_only")
#: The deal kinds a component can be limited to (the stored kinds of won deals, docs/CUSTOMERS.md).
DEAL_KINDS = tuple(DEAL_TYPES.values())
#: How each kind reads in the plan document.
KIND_WORDS = {
    "new_business": "new-business",
    "renewal": "renewal",
    "expansion": "expansion",
    "existing": "other existing-business",
}


def kind_words(kinds: tuple[str, ...]) -> str:
    """('renewal', 'expansion', 'existing') -> 'renewal, expansion and other existing-business'."""
    words = [KIND_WORDS[k] for k in kinds]
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def deal_kind(text: str) -> str | None:
    """The kind a plan's deal type names: a kind (``new_business``) or a CRM spelling (``New Business``,
    ``Upsell``: those an import accepts); None when it names none."""
    key = "".join(ch for ch in str(text) if ch.isalnum()).lower()
    if key in DEAL_TYPE_SPELLINGS:
        return DEAL_TYPES[DEAL_TYPE_SPELLINGS[key]]
    return None


#: Sanity limits, so a typo (an extra zero) is caught rather than simulated.
MAX_RATE = Decimal(100)
MAX_ATTAINMENT_EDGE = Decimal(100)  # 10,000 %
MAX_MONEY_CENTS = 10**13  # $100 billion


class InvalidPlan(SalesopsError):
    """A compensation plan (JSON or built in code) breaks a rule; the message names where and what."""


def invalid_at(where: str, what: str, hint: str = "") -> InvalidPlan:
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
    """One part of the variable pay: ``weight`` of the target variable, measured on ``measure``.

    ``deal_types`` (kinds of :data:`DEAL_KINDS`; empty = every won deal) limits an individual
    component to the bookings of those kinds: its attainment is their bookings ÷ the rep's quota.
    """

    measure: str
    weight: Decimal
    basis: str
    mechanic: str
    bands: tuple[Band, ...]
    threshold: Threshold | None = None
    deal_types: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """'individual', or 'individual (new-business deals)' for a component limited by deal type."""
        if not self.deal_types:
            return self.measure
        return f"{self.measure} ({kind_words(self.deal_types)} deals)"

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
    def by_deal_type(self) -> bool:
        """True when a component is limited to some deal types (payouts then need bookings per kind)."""
        return any(c.deal_types for c in self.components)

    @property
    def uses_team(self) -> bool:
        return self.component("team") is not None or self.team_bonus is not None

    @property
    def has_cliff(self) -> bool:
        return any(c.has_cliff for c in self.components)


# ---- validation --------------------------------------------------------------------------------


def _check_money(value: Any, where: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid_at(where, f"must be a whole number of cents, got {value!r}")
    if value < 0:
        raise invalid_at(where, f"must not be negative, got {value}")
    if value > MAX_MONEY_CENTS:
        raise invalid_at(where, f"{value} cents is implausibly large (over $100 billion)")


def _check_decimal(value: Any, where: str, *, low: Decimal = Decimal(0), high: Decimal | None = None) -> None:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise invalid_at(where, f"must be a finite number, got {value!r}")
    if value < low:
        what = "must not be negative" if low == 0 else f"must be at least {low}"
        raise invalid_at(where, f"{what}, got {value}")
    if high is not None and value > high:
        raise invalid_at(where, f"must be at most {high}, got {value}")


def _check_component(c: Component, where: str) -> None:
    if c.measure not in MEASURES:
        raise invalid_at(f"{where}.measure", f"{c.measure!r} is not one of {', '.join(MEASURES)}")
    if c.basis not in BASES:
        raise invalid_at(f"{where}.basis", f"{c.basis!r} is not one of {', '.join(BASES)}")
    if c.mechanic not in MECHANICS:
        raise invalid_at(f"{where}.mechanic", f"{c.mechanic!r} is not one of {', '.join(MECHANICS)}")
    _check_decimal(c.weight, f"{where}.weight", high=Decimal(1))
    if c.weight == 0:
        raise invalid_at(f"{where}.weight", "is 0%", "Remove a component that carries no weight.")
    if not c.bands:
        raise invalid_at(f"{where}.bands", "the rate table has no bands")
    for i, band in enumerate(c.bands):
        bw = f"{where}.bands[{i}]"
        _check_decimal(band.start, f"{bw}.from", high=MAX_ATTAINMENT_EDGE)
        _check_decimal(band.rate, f"{bw}.rate", high=MAX_RATE)
        if band.end is not None:
            _check_decimal(band.end, f"{bw}.to", high=MAX_ATTAINMENT_EDGE)
            if band.end <= band.start:
                raise invalid_at(
                    bw, f"ends at {_pct(band.end)}, not after its start {_pct(band.start)} (bands must go up)"
                )
        if i == 0 and band.start != 0:
            raise invalid_at(
                bw,
                f"the first band starts at {_pct(band.start)}; it must start at 0%",
                "Use a threshold to pay nothing below some attainment.",
            )
        if i > 0:
            prev = c.bands[i - 1]
            if prev.end is None:
                raise invalid_at(f"{where}.bands[{i - 1}]", "has no upper edge but is not the last band")
            if band.start < prev.end:
                raise invalid_at(
                    bw,
                    f"starts at {_pct(band.start)}, inside the previous band (which ends at {_pct(prev.end)}): bands overlap or are out of order",
                )
            if band.start > prev.end:
                raise invalid_at(
                    bw,
                    f"starts at {_pct(band.start)} but the previous band ends at {_pct(prev.end)}: a gap between bands",
                )
    if c.bands[-1].end is not None:
        raise invalid_at(
            f"{where}.bands[{len(c.bands) - 1}]",
            f'the last band ends at {_pct(c.bands[-1].end)}; it must have no upper edge ("to": null)',
            "Use the plan's cap to limit pay.",
        )
    for j, kind in enumerate(c.deal_types):
        if kind not in DEAL_KINDS:
            raise invalid_at(f"{where}.deal_types[{j}]", f"{kind!r} is not one of {', '.join(DEAL_KINDS)}")
    if len(set(c.deal_types)) != len(c.deal_types):
        raise invalid_at(f"{where}.deal_types", "names a deal type twice")
    if c.deal_types and c.measure != "individual":
        raise invalid_at(
            f"{where}.deal_types",
            f"a {c.measure} component cannot be limited to deal types",
            "Limit individual components by deal type; the team component measures all of the team's bookings.",
        )
    if c.threshold is not None:
        tw = f"{where}.threshold"
        if c.threshold.mode not in THRESHOLD_MODES:
            raise invalid_at(f"{tw}.mode", f"{c.threshold.mode!r} is not one of {', '.join(THRESHOLD_MODES)}")
        _check_decimal(c.threshold.attainment, f"{tw}.attainment", high=MAX_ATTAINMENT_EDGE)


def validate(plan: CompPlan) -> None:
    """Raise :class:`InvalidPlan` for the first rule ``plan`` breaks (see docs/COMP_PLANS.md)."""
    if not isinstance(plan.name, str) or not plan.name.strip():
        raise invalid_at("name", "a plan needs a name")
    if len(plan.name) > 200:
        raise invalid_at("name", "is longer than 200 characters")
    _check_money(plan.base_salary_cents, "base_salary_cents")
    _check_money(plan.target_variable_cents, "target_variable_cents")
    if not plan.components:
        raise invalid_at("components", "a plan needs at least one component (individual and/or team)")
    seen: dict[str, set[str] | None] = {}  # measure -> deal kinds taken (None: all of them)
    for i, c in enumerate(plan.components):
        _check_component(c, f"components[{i}]")
        if c.measure in seen:
            _check_overlap(c, seen[c.measure], i)
        taken = seen.get(c.measure, set())
        seen[c.measure] = None if not c.deal_types or taken is None else taken | set(c.deal_types)
    total = sum((c.weight for c in plan.components), Decimal(0))
    if total != 1:
        parts = " + ".join(f"{c.label} {_pct(c.weight)}" for c in plan.components)
        raise invalid_at("components", f"the split does not sum to 100% ({parts} = {_pct(total)})")
    if plan.team_bonus is not None:
        tb = plan.team_bonus
        _check_decimal(tb.min_team_attainment, "team_bonus.min_team_attainment", high=MAX_ATTAINMENT_EDGE)
        if (tb.amount_cents is None) == (tb.pct_of_target_variable is None):
            raise invalid_at("team_bonus", "give exactly one of amount_cents and pct_of_target_variable")
        if tb.amount_cents is not None:
            _check_money(tb.amount_cents, "team_bonus.amount_cents")
        else:
            _check_decimal(tb.pct_of_target_variable, "team_bonus.pct_of_target_variable", high=MAX_RATE)
    if plan.cap is not None:
        cap = plan.cap
        if (cap.amount_cents is None) == (cap.pct_of_target_variable is None):
            raise invalid_at("cap", "give exactly one of amount_cents and pct_of_target_variable")
        if cap.amount_cents is not None:
            _check_money(cap.amount_cents, "cap.amount_cents")
        else:
            _check_decimal(cap.pct_of_target_variable, "cap.pct_of_target_variable", high=MAX_RATE)


def _check_overlap(c: Component, taken: set[str] | None, i: int) -> None:
    """A measure appears again: only on deal types no earlier component of it pays (a deal is paid once)."""
    if taken is None or not c.deal_types:
        raise invalid_at(
            f"components[{i}]",
            f"a second {c.measure!r} component (each measure appears once, unless each of its components "
            "is limited to its own deal types)",
            'Give every individual component its own "deal_types", e.g. ["new_business"] and ["renewal"].',
        )
    both = [k for k in c.deal_types if k in taken]
    if both:
        raise invalid_at(
            f"components[{i}].deal_types",
            f"{', '.join(both)} is already paid by an earlier {c.measure} component (a deal is paid once)",
        )


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
        raise invalid_at("team_mode", f"{team_mode!r} is not 'split' or 'bonus'")
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

"""The plan document: plain language, the rate table and worked examples, from the plan itself.

Everything a rep reads is generated from the same :class:`CompPlan` the engine pays from, and the
worked examples (50 %, 100 %, 130 % attainment) are computed by the engine, so the document
cannot drift from the pay. Output: Markdown (:func:`plan_markdown`) and a standalone HTML page
(:func:`plan_html`, every text escaped: plan names are user text). No PDF: no small, well-kept
library turns this into a PDF without a browser or a TeX install.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import pandas as pd

from salesops.comp.engine import Payout, component_base, component_booked, compute_payout, period_amounts, round_half_up
from salesops.comp.engine import credit as _credit
from salesops.comp.plan import DEAL_KINDS, Band, Component, CompPlan, kind_words
from salesops.format import decimal_pct as _pct
from salesops.format import exact_dollars as dollars

#: The example rep of the worked examples: a $1,000,000 yearly quota.
EXAMPLE_QUOTA_CENTS = 100_000_000
EXAMPLE_LEVELS = (Decimal("0.5"), Decimal("1"), Decimal("1.3"))

EXAMPLE_COLUMNS = {
    "attainment": "Attainment",
    "booked_cents": "Bookings",
    "individual_cents": "Individual",
    "team_cents": "Team",
    "team_bonus_cents": "Team bonus",
    "cap_adjustment_cents": "Cap adjustment",
    "variable_cents": "Variable pay",
    "total_earnings_cents": "Total earnings",
}


def worked_examples(
    plan: CompPlan, quota_cents: int = EXAMPLE_QUOTA_CENTS, levels: tuple[Decimal, ...] = EXAMPLE_LEVELS
) -> pd.DataFrame:
    """The engine's yearly payout of a rep at each attainment level, the team at the same attainment.

    Columns: attainment (Decimal), booked_cents and the Payout money columns (integer cents).
    """
    rows = []
    for level in levels:
        booked = int(Fraction(level) * quota_cents)
        p = compute_payout(plan, quota_cents=quota_cents, booked_cents=booked, team_attainment=Fraction(level))
        rows.append(
            {
                "attainment": level,
                "booked_cents": booked,
                "individual_cents": p.individual_cents,
                "team_cents": p.team_cents,
                "team_bonus_cents": p.team_bonus_cents,
                "cap_adjustment_cents": p.cap_adjustment_cents,
                "variable_cents": p.variable_cents,
                "total_earnings_cents": p.total_earnings_cents,
            }
        )
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class AtQuota:
    """What the engine pays a rep exactly at quota for a whole year, team at quota too, in words.

    ``payout``: the engine's :class:`Payout`; ``sentence``: the OTE-at-quota sentence;
    ``components``: per component (its :attr:`~salesops.comp.plan.Component.label`), the clause
    "at quota it pays $X (…)".
    """

    payout: Payout
    sentence: str
    components: dict[str, str]


def pay_at_quota(plan: CompPlan, quota_cents: int = EXAMPLE_QUOTA_CENTS) -> AtQuota:
    """The plan's pay at 100 % attainment from :func:`compute_payout`, never from the plan's settings.

    Commission pay depends on the quota, so a plan with a commission component names the example
    quota; a multiplier-only plan pays the same at quota whatever the quota.
    """
    p = compute_payout(plan, quota_cents=quota_cents, booked_cents=quota_cents, team_attainment=Fraction(1))
    on_quota = (
        f" with the worked examples' {dollars(quota_cents)} quota"
        if any(c.basis == "commission" for c in plan.components)
        else ""
    )
    gap = p.total_earnings_cents - plan.ote_cents
    if gap == 0:
        versus = "exactly the OTE"
    else:
        versus = f"{dollars(abs(gap))} {'less' if gap < 0 else 'more'} than the OTE"
    sentence = (
        f"At quota (100% attainment{on_quota}, your team at 100% too) the plan pays {dollars(p.variable_cents)} "
        f"of variable pay, so {dollars(p.total_earnings_cents)} in total earnings a year: {versus}."
    )
    amounts = period_amounts(plan)
    parts = {}
    for c in plan.components:
        paid = _component_at_quota(plan, c, quota_cents)
        if c.basis == "multiplier":
            target = round_half_up(Fraction(amounts.target_variable_cents) * Fraction(c.weight))
            share = (
                f" ({_pct((Decimal(paid) / Decimal(target)).quantize(Decimal('0.001')).normalize())} of its target)"
                if target
                else ""
            )
            parts[c.label] = f"at quota it pays {dollars(paid)}{share}"
        else:
            parts[c.label] = f"at quota{on_quota} it pays {dollars(paid)}"
    return AtQuota(p, sentence, parts)


def _component_at_quota(plan: CompPlan, c: Component, quota_cents: int) -> int:
    """One component's yearly pay at quota (team at quota too), as the engine computes it: a
    component limited to deal types gets its weight's share of the bookings (component_booked)."""
    att = Fraction(1) if c.measure == "team" else component_booked(plan, c, quota_cents) / quota_cents
    return round_half_up(component_base(c, quota_cents, period_amounts(plan)) * _credit(c, att))


def _reference_rate(c: Component) -> Decimal:
    """The average rate from 0 to 100 % attainment: what 'decelerator' and 'accelerator' compare with.

    Marginal: the rates weighted by how much of 0–100 % each band covers; whole tier: the rate that
    applies just below 100 %.
    """
    if c.mechanic == "marginal":
        total = Decimal(0)
        for band in c.bands:
            hi = Decimal(1) if band.end is None else min(band.end, Decimal(1))
            if hi > band.start:
                total += band.rate * (hi - band.start)
        return total
    for band in c.bands:
        if band.start < 1 and (band.end is None or band.end >= 1):
            return band.rate
    return c.bands[-1].rate


def _band_label(band: Band) -> str:
    return f"{_pct(band.start)} and above" if band.end is None else f"{_pct(band.start)} to {_pct(band.end)}"


def _rate_text(c: Component, band: Band, target_cents: Fraction) -> str:
    if c.basis == "commission":
        if c.weight == 1:
            return f"{_pct(band.rate)} of bookings"
        return (
            f"{_pct(band.rate)} of bookings × this component's {_pct(c.weight)} weight = {_pct(band.rate * c.weight)}"
        )
    return f"× {band.rate.normalize():f} of the target ({dollars(int(target_cents * Fraction(band.rate)))} per 100% of attainment)"


def _band_role(c: Component, band: Band) -> str:
    ref = _reference_rate(c)
    if band.end is not None and band.end <= 1 and band.rate < ref:
        return "decelerator (below quota)"
    if band.start >= 1 and band.rate > ref:
        return "accelerator (above quota)"
    return ""


def rate_table(plan: CompPlan) -> pd.DataFrame:
    """One row per band: component, band, rate (in words), role (decelerator/accelerator/blank)."""
    tv = Fraction(plan.target_variable_cents)
    rows = []
    for c in plan.components:
        target = tv * Fraction(c.weight)
        for band in c.bands:
            rows.append(
                {
                    "component": c.label,
                    "band": _band_label(band),
                    "rate": _rate_text(c, band, target),
                    "role": _band_role(c, band),
                }
            )
    return pd.DataFrame(rows, columns=["component", "band", "rate", "role"])


# Over 60 lines on purpose: one sentence per plan feature in reading order; split up, the wording of
# one document would be scattered over helpers that each build half a sentence.
def describe(plan: CompPlan) -> list[str]:
    """The plan in plain sentences, in reading order (no markup)."""
    tv = plan.target_variable_cents
    at_quota = pay_at_quota(plan)
    out = [
        f"Your on-target earnings (OTE) are {dollars(plan.ote_cents)} a year: a base salary of "
        f"{dollars(plan.base_salary_cents)} plus {dollars(tv)} of target variable pay.",
        at_quota.sentence,
    ]
    parts = []
    for c in plan.components:
        share = dollars(round_half_up(Fraction(tv) * Fraction(c.weight)))
        whose = (
            "your team's bookings against the team's quota"
            if c.measure == "team"
            else f"your own bookings{_of_kinds(c)} against your quota"
        )
        parts.append(f"{_pct(c.weight)} of it ({share}) depends on {whose} (the {c.label} component)")
    out.append("; ".join(parts).capitalize() + ".")
    if plan.by_deal_type:
        out.append(_deal_types_sentence(plan))
    for c in plan.components:
        name = f"{c.label.capitalize()} component"
        if c.mechanic == "marginal":
            mech = "each band of attainment is paid at its own rate, like tax brackets: a higher band raises the pay only on the part above where it starts"
        else:
            mech = "the rate of the highest band you reach applies to all of your attainment (whole tier), so crossing into a band re-rates everything"
        if c.basis == "multiplier":
            basis = (
                f"rates multiply this component's target of {dollars(round_half_up(Fraction(tv) * Fraction(c.weight)))}"
            )
        elif c.weight == 1:
            basis = "rates are commission on bookings: 5% pays $5 for every $100 booked in that band"
        else:
            basis = (
                f"rates are commission on bookings, paid at this component's {_pct(c.weight)} weight: "
                f"a 10% rate pays {_pct(Decimal('0.1') * c.weight)} of the bookings in that band"
            )
        out.append(f"{name}: {mech}; {basis}; {at_quota.components[c.label]}.")
        if c.threshold is not None:
            t = _pct(c.threshold.attainment)
            if c.threshold.mode == "retroactive":
                out.append(
                    f"{name}: nothing is paid below {t} attainment; once you reach {t}, pay counts from the first dollar (retroactive)."
                )
            else:
                out.append(
                    f"{name}: nothing is paid below {t} attainment; above it, only the attainment beyond {t} is paid (excess only)."
                )
        roles = {_band_role(c, b).split(" (")[0] for b in c.bands} - {""}
        moves = [
            text
            for role, text in (
                ("decelerator", "the rate is lower below quota (decelerator)"),
                ("accelerator", "the rate rises above quota (accelerator)"),
            )
            if role in roles
        ]
        if moves:
            out.append(f"{name}: {' and '.join(moves)}; see the rate table.")
    if plan.team_bonus is not None:
        tb = plan.team_bonus
        amount = dollars(period_amounts(plan).team_bonus_cents or 0)
        how = f"{_pct(tb.pct_of_target_variable)} of target variable, " if tb.pct_of_target_variable is not None else ""
        out.append(
            f"Team bonus: {amount} a year ({how}paid per period, prorated) when your team reaches at least {_pct(tb.min_team_attainment)} of its quota."
        )
    if plan.cap is not None:
        cap = dollars(period_amounts(plan).cap_cents or 0)
        how = (
            f" ({_pct(plan.cap.pct_of_target_variable)} of target variable)"
            if plan.cap.pct_of_target_variable is not None
            else ""
        )
        out.append(
            f"Cap: variable pay is at most {cap} a year{how}; anything above shows as a negative cap adjustment."
        )
    else:
        out.append("There is no cap on variable pay.")
    out.append(
        "Band edges: an attainment exactly on an edge belongs to the band that starts there (exactly 100% is in the band from 100%). "
        "Rounding: each line is rounded to the cent, halves up, and the total is the sum of the rounded lines. "
        "A pay period gets the yearly amounts times its share of the year (a quarter: one quarter)."
    )
    return out


def _of_kinds(c: Component) -> str:
    """' of new-business and expansion deals' for a component limited to deal types, else ''."""
    return f" of {kind_words(c.deal_types)} deals" if c.deal_types else ""


def _deal_types_sentence(plan: CompPlan) -> str:
    """How the components limited to deal types are measured, and what the examples assume."""
    limited = [c for c in plan.components if c.deal_types]
    total = sum((c.weight for c in limited), Decimal(0))
    shares = "; ".join(f"{_pct(c.weight / total)} {kind_words(c.deal_types)}" for c in limited)
    unpaid = tuple(k for k in DEAL_KINDS if all(k not in c.deal_types for c in limited))
    tail = f" Bookings of {kind_words(unpaid)} deals pay no individual component." if unpaid else ""
    return (
        "Deal types: a component limited to deal types counts only the bookings of those deals, against your whole quota "
        "(a deal's type is the CRM's, or new business for a customer's first purchase and existing business after it: docs/CUSTOMERS.md). "
        f"The worked examples and what-ifs assume your bookings are {shares}, in proportion to the components' weights; "
        f"your pay uses the types of the deals you actually won.{tail}"
    )


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+\-!|~$])")


def _md(text: str) -> str:
    """User text made inert in Markdown (every markup character backslash-escaped)."""
    return _MD_SPECIAL.sub(r"\\\1", text.replace("\n", " "))


def _ours(text: str) -> str:
    """Our own sentences: only '$' is escaped (Streamlit's Markdown reads $…$ as maths)."""
    return text.replace("$", "\\$")


def _example_cells(row: pd.Series) -> list[str]:
    return [_pct(row["attainment"])] + [dollars(int(row[c])) for c in list(EXAMPLE_COLUMNS)[1:]]


def plan_markdown(plan: CompPlan, quota_cents: int = EXAMPLE_QUOTA_CENTS) -> str:
    """The plan document as Markdown."""
    lines = [f"# {_md(plan.name)}", ""]
    if plan.description:
        lines += [_md(plan.description), ""]
    lines += ["## How you are paid", ""]
    lines += [f"- {_ours(s)}" for s in describe(plan)]
    lines += ["", "## Rate table", "", "| Component | Attainment | Rate | Note |", "| --- | --- | --- | --- |"]
    for r in rate_table(plan).itertuples():
        lines.append(f"| {r.component} | {_ours(r.band)} | {_ours(r.rate)} | {r.role} |")
    ex = worked_examples(plan, quota_cents)
    lines += [
        "",
        "## Worked examples",
        "",
        f"A rep with a yearly quota of {_ours(dollars(quota_cents))}, whose team reaches the same attainment, over a whole year "
        "(computed by the same engine that pays):",
        "",
        "| " + " | ".join(EXAMPLE_COLUMNS.values()) + " |",
        "| " + " | ".join("---" for _ in EXAMPLE_COLUMNS) + " |",
    ]
    for _, row in ex.iterrows():
        lines.append("| " + " | ".join(_ours(c) for c in _example_cells(row)) + " |")
    return "\n".join(lines) + "\n"


_CSS = (
    "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1f2933}"
    "table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #cbd2d9;padding:.35rem .6rem;text-align:left}"
    "td.num{text-align:right;font-variant-numeric:tabular-nums}th{background:#f0f4f8}"
)


def _table(headers: list[str], rows: list[list[str]], numeric_from: int = 99) -> str:
    e = html.escape
    head = "".join(f"<th>{e(h)}</th>" for h in headers)
    body = "".join(
        "<tr>"
        + "".join(f'<td class="num">{e(c)}</td>' if i >= numeric_from else f"<td>{e(c)}</td>" for i, c in enumerate(r))
        + "</tr>"
        for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def plan_html(plan: CompPlan, quota_cents: int = EXAMPLE_QUOTA_CENTS) -> str:
    """The plan document as a standalone HTML page; every piece of text goes through html.escape."""
    e = html.escape
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{e(plan.name)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{e(plan.name)}</h1>",
    ]
    if plan.description:
        parts.append(f"<p>{e(plan.description)}</p>")
    parts.append("<h2>How you are paid</h2><ul>" + "".join(f"<li>{e(s)}</li>" for s in describe(plan)) + "</ul>")
    rt = rate_table(plan)
    parts.append("<h2>Rate table</h2>" + _table(["Component", "Attainment", "Rate", "Note"], rt.values.tolist()))
    ex = worked_examples(plan, quota_cents)
    parts.append(
        "<h2>Worked examples</h2>"
        f"<p>{e(f'A rep with a yearly quota of {dollars(quota_cents)}, whose team reaches the same attainment, over a whole year (computed by the same engine that pays):')}</p>"
        + _table(list(EXAMPLE_COLUMNS.values()), [_example_cells(r) for _, r in ex.iterrows()], numeric_from=1)
    )
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"

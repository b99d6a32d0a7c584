"""The plan document: generated from the plan, worked examples equal the engine, user text escaped."""

from __future__ import annotations

import re
from decimal import Decimal as D
from fractions import Fraction
from pathlib import Path

import pytest

from salesops.comp.document import (
    EXAMPLE_QUOTA_CENTS,
    describe,
    dollars,
    pay_at_quota,
    plan_html,
    plan_markdown,
    rate_table,
    worked_examples,
)
from salesops.comp.engine import compute_payout, period_amounts, round_half_up
from salesops.comp.plan import standard_plan
from salesops.comp.plan_format import plan_from_json

PLANS = sorted((Path(__file__).resolve().parents[2] / "docs" / "plans").glob("*.json"))
ALL_PLANS = [standard_plan(), standard_plan(team_mode="bonus", mechanic="whole_tier")] + [
    plan_from_json(p.read_text(), p.name) for p in PLANS
]


def _cents(cell: str) -> int:
    """'\\$1,234.56' or '−\\$0.05' -> cents."""
    sign = -1 if cell.startswith("−") else 1
    return sign * int(re.sub(r"[^0-9]", "", cell))


@pytest.mark.parametrize("plan", ALL_PLANS, ids=lambda p: p.name)
def test_the_documents_worked_examples_equal_the_engine(plan):
    """Every money cell of the Markdown worked examples is what compute_payout pays at 50/100/130 %."""
    md = plan_markdown(plan)
    rows = md.split("## Worked examples")[1].strip().splitlines()[4:]
    assert [r.split("|")[1].strip() for r in rows] == ["50%", "100%", "130%"]
    for row, level in zip(rows, (D("0.5"), D(1), D("1.3"))):
        cells = [c.strip() for c in row.strip("|").split("|")]
        q = EXAMPLE_QUOTA_CENTS
        p = compute_payout(plan, quota_cents=q, booked_cents=int(level * q), team_attainment=Fraction(level))
        expected = [int(level * q), p.individual_cents, p.team_cents, p.team_bonus_cents]
        expected += [p.cap_adjustment_cents, p.variable_cents, p.total_earnings_cents]
        assert [_cents(c) for c in cells[1:]] == expected


def test_the_standard_plans_examples_by_hand():
    """Standard plan (TV $90k, 75/25, ×1 to 100 %, ×1.5 to 150 %): $45k, $90k, $130.5k at 50/100/130 %."""
    ex = worked_examples(standard_plan()).set_index("attainment")["variable_cents"]
    # 130%: 1 + 0.3 × 1.5 = 1.45 × $90,000 = $130,500
    assert ex.tolist() == [4_500_000, 9_000_000, 13_050_000]


def test_the_html_document_escapes_the_plan_name():
    """A plan name with markup appears escaped in the HTML and inert in the Markdown."""
    plan = standard_plan(name='<script>alert("x")</script> & *bold*')
    page = plan_html(plan)
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; *bold*" in page
    assert "# \\<script\\>alert" in plan_markdown(plan)


def test_the_description_names_split_threshold_cap_and_edges():
    """The plain-language text mentions each mechanic the plan uses."""
    plan = standard_plan(threshold=D("0.5"), threshold_mode="excess_only", decelerator=D("0.5"))
    text = " ".join(describe(plan))
    assert "75% of it ($67,500.00)" in text
    assert "a rate of 1 across 0–100% pays all of it" not in text
    assert "nothing is paid below 50% attainment" in text and "excess only" in text
    assert "decelerator" in text and "accelerator" in text
    assert "at most $270,000.00 a year" in text
    assert "exactly 100% is in the band from 100%" in text


def test_the_rate_table_labels_decelerators_and_accelerators():
    """Bands below quota at a lower rate are decelerators; bands above at a higher rate accelerators."""
    table = rate_table(standard_plan(decelerator=D("0.5"), team_mode="bonus"))
    assert table["role"].tolist() == [
        "decelerator (below quota)",
        "",
        "accelerator (above quota)",
        "accelerator (above quota)",
    ]
    assert table["band"].tolist()[-1] == "150% and above"


def test_dollars_are_exact():
    """Cents print as exact dollars with a true minus sign."""
    assert (dollars(123456), dollars(-5), dollars(0)) == ("$1,234.56", "−$0.05", "$0.00")


def test_the_ote_sentence_says_what_the_engine_pays_at_quota_by_hand():
    """OTE $180k, 75/25, marginal ×0.5 to 50 % then ×1.5, 50 % excess-only threshold: quota pays $157,500, not the OTE."""
    plan = standard_plan(threshold=D("0.5"), threshold_mode="excess_only", decelerator=D("0.5"))
    text = describe(plan)
    # each component at 100 %: only 50–100 % counts, at ×1.5: 0.5 × 1.5 = 0.75 of its target
    # individual 0.75 × $67,500 = $50,625; team 0.75 × $22,500 = $16,875; variable $67,500
    assert text[1] == (
        "At quota (100% attainment, your team at 100% too) the plan pays $67,500.00 of variable pay, "
        "so $157,500.00 in total earnings a year: $22,500.00 less than the OTE."
    )
    assert "at quota it pays $50,625.00 (75% of its target)" in text[3]
    assert "at quota it pays $16,875.00 (75% of its target)" in text[6]


def test_a_plan_that_pays_target_at_quota_says_exactly_the_ote():
    """The standard plan (×1 to 100 %, no threshold) pays $90,000 at quota: exactly the OTE."""
    assert describe(standard_plan())[1].endswith(
        "the plan pays $90,000.00 of variable pay, so $180,000.00 in total earnings a year: exactly the OTE."
    )


def test_a_commission_plans_at_quota_sentence_names_the_quota():
    """The whole-tier commission plan: 50 % excess-only at 6 % on a $1M quota pays $30,000 at quota, $110k total."""
    plan = plan_from_json((PLANS[0].parent / "commission-whole-tier.json").read_text(), "c")
    # whole tier at exactly 100 % is in the 8 % band: 8 % × (100 % − 50 %) × $1,000,000 = $40,000
    assert describe(plan)[1] == (
        "At quota (100% attainment with the worked examples' $1,000,000.00 quota, your team at 100% too) the plan "
        "pays $40,000.00 of variable pay, so $110,000.00 in total earnings a year: $30,000.00 less than the OTE."
    )


def _engine_amounts(plan) -> set[int]:
    """Every money amount the document may state, each from the engine or the plan's own money fields."""
    a = period_amounts(plan)
    p = pay_at_quota(plan).payout
    out = {
        plan.ote_cents,
        a.base_cents,
        a.target_variable_cents,
        EXAMPLE_QUOTA_CENTS,
        abs(p.total_earnings_cents - plan.ote_cents),
    }
    out |= {p.individual_cents, p.team_cents, p.team_bonus_cents, p.variable_cents, p.total_earnings_cents}
    out |= {round_half_up(Fraction(a.target_variable_cents) * Fraction(c.weight)) for c in plan.components}
    out |= {x for x in (a.cap_cents, a.team_bonus_cents) if x is not None}
    limited = [c for c in plan.components if c.deal_types]
    for c in limited:  # each component on deal types alone: its weight's share of the bookings, at quota
        share = Fraction(c.weight) / sum(Fraction(x.weight) for x in limited)
        alone = {c.deal_types[0]: int(EXAMPLE_QUOTA_CENTS * share)}
        out.add(
            compute_payout(
                plan, quota_cents=EXAMPLE_QUOTA_CENTS, booked_cents=EXAMPLE_QUOTA_CENTS, booked_by_kind=alone
            ).individual_cents
        )
    return out


@pytest.mark.parametrize(
    "plan",
    ALL_PLANS + [standard_plan(threshold=D("0.5"), threshold_mode="excess_only", mechanic="whole_tier")],
    ids=lambda p: p.name,
)
def test_every_dollar_figure_in_the_description_is_an_engine_amount(plan):
    """Each $ figure in each sentence (except the fixed '$5 per $100' example) is one the engine computes for this plan."""
    allowed = _engine_amounts(plan)
    for sentence in describe(plan):
        for figure in re.findall(r"\$[0-9][0-9,]*(?:\.[0-9]{2})?", sentence.replace("$5 for every $100", "")):
            cents = int(re.sub(r"[^0-9]", "", figure)) * (1 if "." in figure else 100)
            assert cents in allowed, (figure, sentence)

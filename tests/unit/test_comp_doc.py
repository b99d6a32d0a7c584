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
    plan_html,
    plan_markdown,
    rate_table,
    worked_examples,
)
from salesops.comp.engine import compute_payout
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

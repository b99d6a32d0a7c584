"""Browser: dragging a plan slider on the compensation page changes the payouts at once."""

from __future__ import annotations

import pytest

from tests.conftest import wait_for_app

pytestmark = pytest.mark.browser

TOTAL = "Total variable pay:"


def _total(page) -> str:
    return page.get_by_text(TOTAL).first.inner_text()


def test_dragging_the_split_slider_changes_the_plan_cost(server, page):
    """Focus the individual-share slider, press ArrowRight twice: the total variable pay changes."""
    page.goto(f"{server}/compensation")
    wait_for_app(page, TOTAL)
    before = _total(page)
    slider = page.locator('.st-key-comp_split input[type="range"]')
    assert slider.input_value() == "75"
    slider.focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "([t, b]) => [...document.querySelectorAll('[data-testid=stCaptionContainer]')]"
        ".some(e => e.innerText.startsWith(t) && e.innerText !== b)",
        arg=[TOTAL, before],
        timeout=30_000,
    )
    wait_for_app(page)
    assert slider.input_value() == "85"
    assert _total(page) != before

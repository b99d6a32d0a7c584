"""Browser: dragging a plan slider on the compensation page changes the payouts at once."""

from __future__ import annotations

import pytest

from tests.conftest import wait_for_app

pytestmark = pytest.mark.browser

TOTAL = "Total variable pay:"


def _total(page) -> str:
    return page.get_by_text(TOTAL).first.inner_text()


def _press_until_the_total_moves(page, slider, *keys: str) -> None:
    """Press ``keys`` on the focused ``slider``; wait until the total variable pay changes and the run ends."""
    before = _total(page)
    slider.focus()
    for key in keys:
        page.keyboard.press(key)
    page.wait_for_function(
        "([t, b]) => [...document.querySelectorAll('[data-testid=stCaptionContainer]')]"
        ".some(e => e.innerText.startsWith(t) && e.innerText !== b)",
        arg=[TOTAL, before],
        timeout=30_000,
    )
    wait_for_app(page)


def test_dragging_the_split_slider_changes_the_plan_cost(server, page):
    """Focus the individual-share slider, press ArrowRight twice: the total variable pay changes."""
    page.goto(f"{server}/compensation")
    wait_for_app(page, TOTAL)
    before = _total(page)
    slider = page.locator('.st-key-comp_split input[type="range"]')
    assert slider.input_value() == "75"
    _press_until_the_total_moves(page, slider, "ArrowRight", "ArrowRight")
    assert slider.input_value() == "85"
    assert _total(page) != before


def test_the_payouts_download_is_the_plan_on_screen_after_a_slider_move(server, browser):
    """The CSV is written on click (not on every run): after a slider move it holds the moved plan's pay,
    summing to the total variable pay on screen."""
    import io

    import pandas as pd

    context = browser.new_context(viewport={"width": 1600, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    try:
        page.goto(f"{server}/compensation")
        wait_for_app(page, TOTAL)
        _press_until_the_total_moves(page, page.locator('.st-key-comp_split input[type="range"]'), "ArrowLeft")
        shown = _total(page).split("·")[0].split("$")[1].strip().replace(",", "")
        page.get_by_role("tab", name="Per rep", exact=True).click()  # the table and its CSV: a tab of their own
        wait_for_app(page, "Download payouts (CSV, cents)")
        with page.expect_download() as got:
            page.get_by_role("button", name="Download payouts (CSV, cents)").click()
        frame = pd.read_csv(io.BytesIO(got.value.path().read_bytes()))
        assert round(frame["variable_cents"].sum() / 100) == round(float(shown))
    finally:
        context.close()

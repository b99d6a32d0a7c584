"""Browser: the weekly review at 1920×1080 in presentation mode, stepped through with the keyboard."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from salesops.review.agenda import STEPS
from tests.conftest import wait_for_app

pytestmark = pytest.mark.browser

#: Every element on screen that could scroll (the document, Streamlit's main area, any overflow box)
#: fits; the collapsed sidebar is off screen and not checked.
NOTHING_SCROLLS = """() => {
  const over = [];
  const doc = document.scrollingElement;
  if (doc.scrollHeight > innerHeight + 1) over.push('document ' + doc.scrollHeight);
  for (const el of document.querySelectorAll('*')) {
    const bar = el.closest('[data-testid="stSidebar"]');
    if (bar && bar.getBoundingClientRect().right <= 0) continue;
    const s = getComputedStyle(el);
    if (['auto', 'scroll'].includes(s.overflowY) && el.scrollHeight > el.clientHeight + 1 && el.clientHeight > 0)
      over.push((el.dataset.testid || el.className || el.tagName) + ' ' + el.scrollHeight + '>' + el.clientHeight);
  }
  return over;
}"""


@pytest.fixture
def big_page(browser):
    """A 1920×1080 browser page (the shared screen)."""
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    pg = context.new_page()
    yield pg
    context.close()


def _step(page, number: int) -> None:
    title = dict(STEPS)[number]
    page.get_by_role("heading", name=f"{number} · {title}").wait_for(timeout=60_000)
    wait_for_app(page)


def _press(page, key: str, number: int) -> None:
    """Press ``key`` and wait for step ``number``. A press the page's shortcut listener missed (seen
    once under load: no rerun at all) is pressed again, but only when the app is idle and still on
    the old step, so a slow but received press is never doubled."""
    heading = page.get_by_role("heading", name=f"{number} · {dict(STEPS)[number]}")
    for _ in range(3):
        page.keyboard.press(key)
        try:
            heading.wait_for(timeout=15_000)
            break
        except PlaywrightTimeoutError:
            wait_for_app(page)
            if heading.count():
                break
    _step(page, number)


def _lines_with_money(page) -> list[str]:
    text = page.locator('[data-testid="stMain"]').inner_text()
    return [line for line in text.splitlines() if "$" in line]


def test_the_agenda_steps_with_the_keyboard_fits_the_screen_and_hides_rep_money(server, big_page, demo_engine):
    """Right arrow walks steps 1–5 (URL ?step=N), no step scrolls, no line pairs a rep with a dollar
    amount, the step survives a reload, and the left arrow goes back."""
    reps = [r[0] for r in demo_engine.connect().exec_driver_sql("SELECT name FROM reps").fetchall()]
    page = big_page
    page.goto(f"{server}/review?present=true")
    _step(page, 1)
    sidebar = page.locator('[data-testid="stSidebar"]').bounding_box()
    assert sidebar is None or sidebar["x"] + sidebar["width"] <= 0, "the sidebar is open in presentation mode"
    for number in range(1, len(STEPS) + 1):
        if number > 1:
            _press(page, "ArrowRight", number)
            assert re.search(rf"[?&]step={number}\b", page.url), page.url
        assert page.evaluate(NOTHING_SCROLLS) == [], f"step {number} scrolls"
        for line in _lines_with_money(page):
            named = [r for r in reps if r in line]
            assert not named, f"step {number} shows money beside {named}: {line!r}"
    page.reload()
    _step(page, 5)
    _press(page, "ArrowLeft", 4)
    assert "step=4" in page.url
    page.get_by_role("button", name="Back").click()
    _step(page, 3)


def test_step_one_shows_the_forecast_and_its_change_since_last_week(server, big_page):
    """Where we stand: won vs quota, the P50 with its change, the track record and the waterfall chart."""
    page = big_page
    page.goto(f"{server}/review?present=true&step=1")
    _step(page, 1)
    page.get_by_text("Track record").first.wait_for(timeout=60_000)
    page.locator('[data-testid="stVegaLiteChart"]').nth(1).wait_for(timeout=60_000)
    main = page.locator('[data-testid="stMain"]').inner_text()
    assert "Won this quarter" in main and "Forecast (P50)" in main and "since last week" in main
    assert "Track record" in main
    assert page.locator('[data-testid="stVegaLiteChart"]').count() == 2  # the waterfall and the trend

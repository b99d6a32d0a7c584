"""Browser: the Leaderboards page in a real Streamlit server — changing the metric reorders the board."""

from __future__ import annotations

import pytest

from tests.conftest import wait_for_app

pytestmark = pytest.mark.browser

#: The first row's "Rep" cell of the rep board (glide-cell-<column>-<row>; Rep is the third column).
FIRST_REP = '.st-key-lb_rep_board [data-testid="glide-cell-2-0"]'


def test_changing_the_metric_changes_the_order(server, page):
    """Attainment puts a star first; switching 'Rank by' to Activities puts someone else first."""
    page.goto(f"{server}/leaderboards?grain=Year")
    wait_for_app(page, "Reps")
    page.locator(FIRST_REP).wait_for(state="attached", timeout=30_000)
    first = page.locator(FIRST_REP).text_content()
    assert first in {"Jamie Muller", "Ingrid Lee", "Ethan Price"}
    page.locator(".st-key-lb_metric").click()
    page.get_by_role("option", name="Activities").click()
    wait_for_app(page, "Reps")
    page.wait_for_function(
        """([sel, before]) => { const c = document.querySelector(sel); return c && c.textContent !== before; }""",
        arg=[FIRST_REP, first],
        timeout=30_000,
    )
    assert page.locator(FIRST_REP).text_content() != first
    assert page.locator(".st-key-lb_metric input").input_value() == "Activities"

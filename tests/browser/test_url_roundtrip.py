"""Browser: a link with every view parameter of a page set reopens that page with each widget showing it."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from tests.conftest import wait_for_app

pytestmark = pytest.mark.browser

SHARED = {"grain": "Month", "region": "EMEA"}

# page -> (heading to wait for, {query parameter: the text the widget shows})
LINKS = {
    "": ("Sales cockpit", {"team": "Berlin Mid-Market", "present": None}),
    "performance": (
        "Team performance",
        {"perf_drill_team": "Paris SMB", "perf_drill_rep": None},
    ),
    "leaderboards": (
        "Leaderboards",
        {"lb_metric": "Win rate", "lb_cohort": None, "lb_role": "AE", "lb_tab": "Side by side"},
    ),
    "forecasts": (
        "Forecasts",
        {"forecast_grain": "Month", "forecast_horizon_month": "7", "forecast_country": None},
    ),
    "compensation": (
        "Compensation",
        {
            "comp_name": "Growth plan",
            "comp_base": "80000",
            "comp_tv": "70000",
            "comp_split": "50",
            "comp_mechanic": "Whole tier",
            "comp_threshold": "40",
            "comp_accel": "2",
            "comp_cap": "200",
            "comp_tab": "Plan document",
        },
    ),
    "tools": ("Sales tools", {"tools_tab": "Lead fairness"}),
    "data": ("Data", {"stale_days": "45"}),
}

READ_WIDGET = """
el => {
  const input = el.querySelector('input[type=text], input[type=number], input:not([type])');
  const slider = el.querySelector('[role=slider]');
  const checkedRadio = el.querySelector('input[type=radio]:checked');
  const activeTab = el.querySelector('[role=tab][aria-selected=true]');
  const pressed = el.querySelector('button[aria-checked=true], button[aria-pressed=true], [data-testid$=Active]');
  const thumb = el.querySelector('[data-testid=stSliderThumbValue]');
  if (activeTab) return activeTab.innerText;
  if (thumb) return thumb.innerText;
  if (checkedRadio) return checkedRadio.closest('label').innerText;
  if (slider) return slider.getAttribute('aria-valuenow') || slider.innerText;
  if (pressed) return pressed.innerText;
  if (input) return input.value;
  return el.innerText;
}
"""


def _same(shown: str, expected: str) -> bool:
    """Equal as text, or as numbers ("2.00" shows the link's "2", "80,000" its "80000")."""
    plain = shown.replace(",", "")
    if plain == expected:
        return True
    try:
        return float(plain) == float(expected)
    except ValueError:
        return False


@pytest.mark.parametrize("path", list(LINKS))
def test_a_link_with_every_view_parameter_reopens_the_view(server, page, path):
    """Every bound widget of the page shows the value its query parameter carries."""
    heading, params = LINKS[path]
    params = {k: v for k, v in params.items() if v is not None}
    query = urlencode({**SHARED, **params})
    page.goto(f"{server}/{path}?{query}")
    wait_for_app(page, heading)
    expected = {**SHARED, **params}
    for _ in range(20):  # inputs fill in a moment after the script has run
        shown = {k: page.locator(f".st-key-{k}").first.evaluate(READ_WIDGET).strip() for k in expected}
        wrong = {k: (expected[k], shown[k]) for k in expected if not _same(shown[k], expected[k])}
        if not wrong:
            break
        page.wait_for_timeout(500)
    assert not wrong, f"widget shows something else than the link: {wrong}"
    for k in params:
        assert k in page.url, f"{k} dropped from the URL: {page.url}"


def test_changing_region_drops_a_team_of_another_region_from_the_url(server, page):
    """With Berlin Mid-Market picked, switching Region to APAC resets Team and removes it from the link."""
    page.goto(f"{server}/?{urlencode({**SHARED, 'team': 'Berlin Mid-Market'})}")
    wait_for_app(page, "Sales cockpit")
    page.locator(".st-key-region").click()
    page.get_by_role("option", name="APAC").click()
    wait_for_app(page, "Sales cockpit")
    page.wait_for_function("() => !location.search.includes('team=')", timeout=30_000)
    assert page.locator(".st-key-team input").input_value() == "All teams"
    assert "region=APAC" in page.url

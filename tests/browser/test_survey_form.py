"""Browser: ops open a survey round and download its links once; a rep fills the form in Chromium and submits it."""

from __future__ import annotations

import os

import pandas as pd
import pytest

from tests.conftest import wait_for_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # ~15 s: opens a round, fills six tools

TOOLS = ("crm", "email", "dialer", "engagement", "video", "cpq")  # the demo's tools


def _pick(page, key: str, option: str) -> None:
    page.locator(f".st-key-{key}").get_by_text(option, exact=True).click()


def _open_round(server, page, name: str) -> pd.DataFrame:
    """Open a survey round on the ops tab and return its links (the one-time download)."""
    page.goto(f"{server}/tools")
    wait_for_app(page, "Sales tools")
    page.get_by_role("tab", name="Survey rounds").click()
    page.locator(".st-key-tools_new_name input").fill(name)
    page.locator(".st-key-tools_open_round button").click()
    page.get_by_text("links.", exact=False).first.wait_for(timeout=60_000)
    wait_for_app(page, "Opened round")
    with page.expect_download() as info:  # the links are handed out once, as this download
        page.get_by_role("button", name="Download the links (CSV)").click()
    return pd.read_csv(info.value.path())


def test_a_rep_fills_the_survey_in_chromium_and_the_link_then_refuses_a_second_answer(server, page):
    """Open a round (ops tab), follow one rep's link, answer every tool, submit, see thanks; reopening is refused."""
    links = _open_round(server, page, "Browser test round")
    assert {"rep", "team_id", "link"} <= set(links.columns) and "used" not in links.columns
    link = links["link"].iloc[0]
    assert "/?token=" in link

    page.goto(link)
    wait_for_app(page, "Tool survey")
    assert page.locator('[data-testid="stSidebar"]').count() == 0  # the form and nothing else
    for i, tool in enumerate(TOOLS):
        if tool == "cpq":  # a tool this rep does not use
            page.locator(f".st-key-survey_skip_{tool}").get_by_text("I don't use", exact=False).click()
            continue
        _pick(page, f"survey_sat_{tool}", str(1 + i % 5))
        _pick(page, f"survey_ease_{tool}", "4")
        _pick(page, f"survey_rec_{tool}", "10" if tool != "dialer" else "2")
        _pick(page, f"survey_usage_{tool}", "daily")
    page.locator(".st-key-survey_likes_crm textarea").fill("<b>pipeline</b> view")
    page.locator(".st-key-survey_dislikes_dialer textarea").fill("calls drop")
    if os.environ.get("SALESOPS_SHOTS"):
        page.screenshot(path=os.environ["SALESOPS_SHOTS"], full_page=True)
    page.locator(".st-key-survey_submit button").click()
    wait_for_app(page, "Thank you")

    page.goto(link)
    wait_for_app(page, "already used")
    assert page.locator(".st-key-survey_submit").count() == 0

    page.goto(f"{server}/tools")
    wait_for_app(page, "Browser test round is in progress: 1 answer")  # the results tab: a count only
    page.get_by_role("tab", name="Survey rounds").click()
    page.get_by_text("Open a new round", exact=False).wait_for(timeout=30_000)  # the rounds tab is shown
    body = page.inner_text("body")  # afterwards: counts only, no link, no who-answered
    assert "token=" not in body and "Links of the new round" not in body
    assert page.get_by_role("button", name="Download the links (CSV)").count() == 0


def test_a_double_click_on_submit_says_thank_you_and_stores_one_answer(server, page):
    """Two quick clicks on Submit (one browser double click) show "Thank you", never "already used",
    and the round then counts exactly one answer."""
    page.goto(_open_round(server, page, "Double click round")["link"].iloc[1])
    wait_for_app(page, "Tool survey")
    for tool in TOOLS[1:]:
        page.locator(f".st-key-survey_skip_{tool}").get_by_text("I don't use", exact=False).click()
    for key, option in (("sat", "4"), ("ease", "4"), ("rec", "9"), ("usage", "daily")):
        _pick(page, f"survey_{key}_crm", option)
    page.locator(".st-key-survey_submit button").dblclick()
    wait_for_app(page, "Thank you")
    assert "already used" not in page.inner_text("body")

    page.goto(f"{server}/tools")
    wait_for_app(page, "Double click round is in progress: 1 answer")

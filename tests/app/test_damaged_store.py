"""AppTest: every page on a store file with damaged data blocks says so in one sentence, never as SQL."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from salesops import store
from salesops.store import schema
from tests.conftest import ROOT, TODAY
from tests.unit.test_bad_settings_and_store import damaged_copy

PAGES = [
    "home",
    "performance",
    "leaderboards",
    "forecasts",
    "compensation",
    "customers",
    "tools",
    "review",
    "data",
    "survey",
]


def _with_snapshots(url: str) -> None:
    """Store two weekly review snapshots (the small test demo has none) so the damage hits the review's data."""
    from salesops.review import snapshots
    from salesops.store.engine import open_store

    engine = open_store(url)
    snapshots.take_snapshots(engine, [date(2026, 11, 15), date(2026, 11, 22)], today=TODAY)
    engine.dispose()


def _with_a_survey_round(url: str) -> None:
    """Open a survey round on the copy: the survey link then reads its invites, the table the damage hits."""
    from salesops.store.engine import open_store
    from salesops.tools import rounds

    engine = open_store(url)
    tools = store.read_frame(engine, schema.tools.select())["tool_id"].tolist()[:2]
    rounds.open_round(engine, name="Damage round", opens_on=TODAY, closes_on=TODAY + timedelta(days=7), tool_ids=tools)
    engine.dispose()


def _first_invite(url: str) -> str:
    """A token of the copy's open round, read before the damage."""
    engine = store.open_store(url)
    try:
        return str(store.read_frame(engine, sa.text("SELECT token FROM survey_invites LIMIT 1"))["token"].iloc[0])
    finally:
        engine.dispose()


@pytest.mark.store("duckdb")
@pytest.mark.parametrize("page", PAGES)
def test_every_page_names_a_damaged_store_as_damaged(demo_url, tmp_path, monkeypatch, page):
    """Each page on a damaged store shows 'The store file is damaged' and no exception, SQL or traceback."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    if page == "review":  # the review reads its snapshots, not the deals
        url = damaged_copy(demo_url, tmp_path, ("review_snapshots",), prepare=_with_snapshots)
    elif page == "compensation":  # bookings come from the won deals' copy in deal_kinds, not from deals
        url = damaged_copy(demo_url, tmp_path, ("deal_kinds",))
    elif page in ("leaderboards", "home"):  # the board and the headline sum the rollups (rep_days, #20), not the deals
        url = damaged_copy(demo_url, tmp_path, ("rep_days",))
    elif page == "tools":  # the lead split reads its rollups (lead_months, #20); the survey results their answers
        url = damaged_copy(demo_url, tmp_path, ("survey_responses",))
    elif page == "survey":  # a survey link reads its invite
        tokens: list[str] = []
        url = damaged_copy(
            demo_url,
            tmp_path,
            ("survey_invites",),
            prepare=lambda u: (_with_a_survey_round(u), tokens.append(_first_invite(u))),
        )
        at.query_params["token"] = tokens[0]
    else:
        url = damaged_copy(demo_url, tmp_path)
    monkeypatch.setenv("SALESOPS_DB_URL", url)
    at.run()
    if page not in ("home", "survey"):
        at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, at.exception
    shown = [e.value for e in at.error]
    assert any("The store file is damaged: restore a backup or rebuild it" in m for m in shown), (page, shown)
    text = " ".join(shown + [m.value for m in at.markdown] + [c.value for c in at.caption])
    assert "SELECT" not in text and "Traceback" not in text and "sqlalchemy" not in text.lower()

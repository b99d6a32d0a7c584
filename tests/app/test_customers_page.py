"""AppTest: the Customers page — tiles, per-period table agreeing with the CLI, retention, risk, drill-down."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from salesops import store
from salesops.cli.main import main
from salesops.customers.fast import prospects_sql
from tests.conftest import ROOT, TODAY


@pytest.fixture
def page(app):
    """The demo app switched to the Customers page."""
    app.switch_page("pages/customers.py").run()
    assert not app.exception, app.exception
    return app


def _frame(at, column: str) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_the_page_shows_tiles_with_their_definitions_as_help(page, app_env):
    """Tiles with help text from customers.DEFINITIONS (Prospects: the library's count of the demo's
    accounts with no won deal); the lost caption says it is known late."""
    from salesops.customers import DEFINITIONS

    assert page.title[0].value == "Customers"
    tiles = {m.label: m for m in page.metric}
    assert {"Won revenue", "Share from existing", "Active customers", "Lost customers"} <= set(tiles)
    assert tiles["Lost customers"].help == DEFINITIONS["Lost customers"]
    assert tiles["Returning"].help == DEFINITIONS["Returning customers"]
    assert tiles["Prospects"].help == DEFINITIONS["Prospects"]
    engine = store.open_store(app_env)
    expected = prospects_sql(engine, TODAY)
    engine.dispose()
    assert expected > 0 and tiles["Prospects"].value == f"{expected:,}"
    assert any("Lost is known late" in c.value for c in page.caption)
    assert any("partial" in c.value for c in page.caption)


def test_the_per_period_table_agrees_with_the_cli(page, app_env, capsys):
    """The page's per-period rows equal `customers --grain quarter --format json` (default range)."""
    table = _frame(page, "existing_share")
    assert main(["customers", "--db", app_env, "--grain", "quarter", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert list(table["period"]) == [r["period"] for r in rows]
    assert list(table["new"]) == [r["new"] for r in rows]
    assert list(table["lost"]) == [r["lost"] for r in rows]
    assert list(table["won_cents"]) == [(r["won_cents"] + 50) // 100 for r in rows]  # whole dollars, half up


def test_split_by_team_shows_team_names(page):
    """Split by team: one row set per team, named (no raw ids)."""
    page.segmented_control(key="cust_by").set_value("team").run()
    assert not page.exception
    table = _frame(page, "existing_share")
    assert table["group"].nunique() > 1 and not table["group"].str.match(r"^T\d+$").any()


def test_retention_risk_and_drill_down_are_drawn(page):
    """Retention and at-risk tables exist; the drill-down lists accounts, then their deals with team names."""
    assert len(_frame(page, "nrr")) > 0
    assert len(_frame(page, "reasons")) > 0
    page.selectbox(key="cust_drill_figure").set_value("new").run()
    assert not page.exception
    accounts = _frame(page, "first_purchase")
    assert len(accounts) > 0
    deals = _frame(page, "outcome")
    assert accounts.iloc[0]["customer"] in set(deals["account"])
    assert not deals["team"].str.match(r"^T\d+$").any()  # team names, no raw ids


def test_an_empty_store_shows_the_empty_state(monkeypatch, tmp_path):
    """With no data the page says so instead of drawing empty charts."""
    monkeypatch.setenv("SALESOPS_DB_URL", f"duckdb:///{tmp_path / 'empty.duckdb'}")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.switch_page("pages/customers.py").run()
    assert not at.exception, at.exception
    assert any("No won deals" in i.value for i in at.info)


def test_team_performance_shows_new_and_existing_business_per_team(app):
    """The Team performance page has a per-team table of new business and existing customers."""
    app.switch_page("pages/performance.py").run()
    assert not app.exception, app.exception
    table = _frame(app, "existing_share")
    assert len(table) == 11 and (table["new_cents"] + table["existing_cents"] > 0).all()  # shown in dollars


def test_an_accounts_only_store_shows_its_prospects(monkeypatch, tmp_path):
    """Accounts imported, no deal yet: the empty state, and a Prospects figure of 2 (Acme with its
    subsidiary Acme Labs, and Beta)."""
    from salesops import ingest

    url = f"duckdb:///{tmp_path / 'accounts.duckdb'}"
    engine = store.open_store(url)
    accounts = pd.DataFrame(
        {"account_id": ["A", "L", "B"], "name": ["Acme", "Acme Labs", "Beta"], "parent_id": [None, "A", None]}
    )
    ingest.import_frame(engine, "accounts", accounts)
    engine.dispose()
    monkeypatch.setenv("SALESOPS_DB_URL", url)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.switch_page("pages/customers.py").run()
    assert not at.exception, at.exception
    assert any("No won deals" in i.value for i in at.info)
    assert [(m.label, m.value) for m in at.metric] == [("Prospects", "2")]


def test_the_at_risk_table_lists_the_top_accounts_and_counts_them_all(page, app_env):
    """The heading counts every account at risk (the library's full list for the page's default
    quarter); the table holds the top RISK_SHOWN of them, most at stake first, and says so when cut."""
    from salesops import customers
    from salesops.customers.fast_risk import accounts_at_risk_sql
    from salesops.scope import Scope

    engine = store.open_store(app_env)
    every = accounts_at_risk_sql(engine, Scope.current(TODAY, "quarter"), TODAY)
    engine.dispose()
    assert len(every) > 0
    assert any(m.value.startswith(f"**Accounts at risk** ({len(every):,})") for m in page.markdown)
    shown = _frame(page, "reasons")
    assert list(shown["customer"]) == list(every["customer"].head(customers.RISK_SHOWN))
    cut = [c.value for c in page.caption if c.value.startswith("Showing the top")]
    if len(every) > customers.RISK_SHOWN:
        assert cut == [f"Showing the top {customers.RISK_SHOWN:,} of {len(every):,} accounts at risk "
                       "(the most revenue at stake); the download has them all."]  # fmt: skip
    else:
        assert cut == []


def test_the_drill_down_lists_the_accounts_that_won_most_and_counts_them_all(page, app_env):
    """The default drill-down (active customers, the latest quarter) counts every account the
    library lists for it; the table holds the first BEHIND_SHOWN of them, in the library's order."""
    from salesops import customers
    from salesops.scope import Scope

    engine = store.open_store(app_env)
    trend = customers.trend_scope(Scope.current(TODAY, "quarter"))
    start, end = trend.periods()[-1]
    every = customers.period_accounts(engine, trend, start, end, TODAY, "active")
    engine.dispose()
    assert len(every) > 0
    caption = next(c.value for c in page.caption if c.value.startswith("Active customers, "))
    assert f": {len(every):,} accounts." in caption
    shown = _frame(page, "first_purchase")
    assert list(shown["customer"]) == list(every["customer"].head(customers.BEHIND_SHOWN))
    assert ("the download has them all" in caption) == (len(every) > customers.BEHIND_SHOWN)

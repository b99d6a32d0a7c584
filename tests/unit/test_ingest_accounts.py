"""Importing accounts (Salesforce Account, HubSpot companies, names only), linking deals to them, deal types."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from salesops import customers, ingest, store
from salesops.ingest import accounts as accounts_mod
from salesops.scope import Scope

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
ANA = "005Hs00000AnaAlIAA"


@pytest.fixture
def reps_engine(empty_engine):
    """An empty store with the reps of tests/fixtures/reps.csv."""
    ingest.import_file(empty_engine, "reps", FIXTURES / "reps.csv")
    return empty_engine


def _accounts(engine) -> pd.DataFrame:
    return store.read_frame(engine, sa.text("SELECT * FROM accounts ORDER BY account_id")).set_index("account_id")


def _deal_links(engine) -> dict:
    frame = store.read_frame(engine, sa.text("SELECT deal_id, account_id, deal_type FROM deals ORDER BY deal_id"))
    return {r.deal_id: (r.account_id, r.deal_type) for r in frame.itertuples()}


def _problems(excinfo) -> pd.DataFrame:
    return excinfo.value.report.problems_frame()


def test_a_salesforce_account_export_keeps_same_named_accounts_apart_by_id(empty_engine):
    """Two 'Acme Corp' rows (US and Germany) are two accounts; the German one's parent is the US one."""
    report = ingest.import_file(empty_engine, "accounts", FIXTURES / "salesforce_accounts.csv", preset="salesforce")
    assert report.rows_added == 3
    acc = _accounts(empty_engine)
    assert acc.loc["001Hs00000AcmeEUA", "parent_id"] == "001Hs00000AcmeAAA"
    assert acc.loc["001Hs00000AcmeEUA", "region"] == "Germany" and acc.loc["001Hs00000AcmeAAA", "size"] == "5200"
    assert acc.loc["001Hs00000GlobAAA", "owner"] == "Ana Alvarez"
    assert set(acc["name_key"]) == {"acme corp", "globex"}


def test_a_hubspot_companies_export_resolves_the_parent_by_name(empty_engine):
    """Initech Labs' Parent Company 'Initech' is record 9001."""
    ingest.import_file(empty_engine, "accounts", FIXTURES / "hubspot_companies.csv", preset="hubspot")
    acc = _accounts(empty_engine)
    assert acc.loc["9002", "parent_id"] == "9001" and acc.loc["9002", "region"] == "Canada"
    assert pd.isna(acc.loc["9003", "owner"])


def test_a_names_only_file_naming_a_company_twice_is_refused(empty_engine):
    """'Acme Corp' and 'ACME  corp' are one name: without ids the file is refused, naming both rows."""
    with pytest.raises(ingest.ImportRejected) as err:
        ingest.import_file(empty_engine, "accounts", FIXTURES / "accounts_names_only.csv")
    probs = _problems(err)
    dup = probs[probs["kind"] == "duplicate_account_name"]
    assert list(dup["row"]) == [2, 4] and "rows 2, 4" in dup["reason"].iloc[0]
    assert _accounts(empty_engine).empty


def test_a_names_only_file_gets_ids_from_the_names(empty_engine):
    """Without an id column each account's id is name:<name key>, which deals by name link to."""
    ingest.import_frame(empty_engine, "accounts", pd.DataFrame({"Account Name": ["Acme  Corp", "Umbrella"]}))
    assert list(_accounts(empty_engine).index) == ["name:acme corp", "name:umbrella"]


def test_a_parent_cycle_is_refused_naming_the_circle(empty_engine):
    """A's parent is B and B's parent is A: both rows are problems that spell out the circle."""
    frame = pd.DataFrame(
        {"account_id": ["A", "B", "C"], "name": ["Alpha", "Beta", "Gamma"], "parent_id": ["B", "A", "A"]}
    )
    with pytest.raises(ingest.ImportRejected) as err:
        ingest.import_frame(empty_engine, "accounts", frame)
    probs = _problems(err)
    cyc = probs[probs["kind"] == "parent_cycle"]
    assert list(cyc["row"]) == [2, 3]
    assert "A → B → A" in cyc["reason"].iloc[0]


def test_an_unknown_parent_is_refused(empty_engine):
    """A parent named by a name no account has is a problem."""
    frame = pd.DataFrame({"account_id": ["A"], "name": ["Alpha"], "parent": ["Nobody Inc"]})
    with pytest.raises(ingest.ImportRejected) as err:
        ingest.import_frame(empty_engine, "accounts", frame)
    assert list(_problems(err)["kind"]) == ["unknown_parent"]


def test_deals_link_to_accounts_by_id_and_types_are_stored_canonically(reps_engine):
    """Salesforce AccountId values link; 'Existing Business' stays, New Business stays."""
    ingest.import_file(reps_engine, "accounts", FIXTURES / "salesforce_accounts.csv", preset="salesforce")
    ingest.import_file(reps_engine, "deals", FIXTURES / "salesforce_opportunities.csv", preset="salesforce")
    links = _deal_links(reps_engine)
    assert links["006Hs00000Opp01AAA"] == ("001Hs00000AcmeAAA", "New Business")
    assert links["006Hs00000Opp02AAA"] == ("001Hs00000GlobAAA", "Existing Business")


def _deal_frame(account: str, deal_type: str | None = None) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "deal_id": ["X1"],
            "rep_id": [ANA],
            "account": [account],
            "stage": ["Closed Won"],
            "amount": ["100"],
            "created_date": ["2025-01-02"],
            "close_date": ["2025-01-05"],
            "deal_type": [deal_type],
        }
    )


def test_deals_link_by_name_ignoring_case_and_spaces(reps_engine):
    """'  globex ' links to Globex's id; a name no account has stays unlinked and counts by name."""
    ingest.import_file(reps_engine, "accounts", FIXTURES / "salesforce_accounts.csv", preset="salesforce")
    ingest.import_frame(reps_engine, "deals", _deal_frame("  globex ", "renewal"))
    assert _deal_links(reps_engine)["X1"] == ("001Hs00000GlobAAA", "Renewal")
    report = ingest.import_frame(reps_engine, "deals", _deal_frame("Stark Industries"))
    assert _deal_links(reps_engine)["X1"] == (None, None)
    assert [w.kind for w in report.warnings] == ["unknown_account"]
    won = customers.load_won(reps_engine, Scope(start=date(2025, 1, 1), end=date(2025, 12, 31)))
    assert won.set_index("deal_id").loc["X1", "customer"] == "Stark Industries"


def test_strict_refuses_a_deal_naming_an_unknown_account(reps_engine):
    """With --strict the unknown_account warning is an error and nothing is written."""
    ingest.import_file(reps_engine, "accounts", FIXTURES / "salesforce_accounts.csv", preset="salesforce")
    with pytest.raises(ingest.ImportRejected) as err:
        ingest.import_frame(reps_engine, "deals", _deal_frame("Stark Industries"), strict=True)
    assert list(_problems(err)["kind"]) == ["unknown_account"]
    assert "X1" not in _deal_links(reps_engine)


def test_a_deal_naming_an_ambiguous_account_is_refused_with_the_ids(reps_engine):
    """Two accounts are called Acme Corp: a deal naming only 'Acme Corp' must give the id."""
    ingest.import_file(reps_engine, "accounts", FIXTURES / "salesforce_accounts.csv", preset="salesforce")
    with pytest.raises(ingest.ImportRejected) as err:
        ingest.import_frame(reps_engine, "deals", _deal_frame("ACME corp"))
    prob = _problems(err).iloc[0]
    assert prob.kind == "ambiguous_account"
    assert "001Hs00000AcmeAAA, 001Hs00000AcmeEUA" in prob.reason


def test_an_unknown_deal_type_is_refused_naming_the_accepted_ones(reps_engine):
    """'Renewl' is no deal type: the problem shows the value and lists the four types."""
    with pytest.raises(ingest.ImportRejected) as err:
        ingest.import_frame(reps_engine, "deals", _deal_frame("Globex", "Renewl"))
    prob = _problems(err).iloc[0]
    assert prob.value == "Renewl"
    assert "New Business, Renewal, Expansion, Existing Business" in prob.reason


@pytest.mark.parametrize("named_limit", [0, accounts_mod.NAMED_LIMIT], ids=["every-account", "named-accounts"])
def test_deal_links_are_the_same_whether_every_or_only_the_named_accounts_are_read(
    reps_engine, monkeypatch, named_limit
):
    """A deals file links by id, by name, warns on an unknown name and refuses an ambiguous one the
    same way when only the accounts it names are read (a small file: no read of every account, which
    took minutes at 3.5M stored accounts) and when every stored account is (a file naming more than
    NAMED_LIMIT ids and names)."""
    ingest.import_file(reps_engine, "accounts", FIXTURES / "salesforce_accounts.csv", preset="salesforce")
    monkeypatch.setattr(accounts_mod, "NAMED_LIMIT", named_limit)
    if named_limit:
        monkeypatch.setattr(accounts_mod, "_stored", lambda engine: pytest.fail("read every stored account"))
    frame = pd.concat(
        [_deal_frame("001Hs00000AcmeAAA"), _deal_frame("  globex "), _deal_frame("Stark Industries")],
        ignore_index=True,
    ).assign(deal_id=["X1", "X2", "X3"])
    report = ingest.import_frame(reps_engine, "deals", frame)
    links = _deal_links(reps_engine)
    assert (links["X1"][0], links["X2"][0]) == ("001Hs00000AcmeAAA", "001Hs00000GlobAAA")
    assert pd.isna(links["X3"][0])  # unlinked: counts by its name
    assert [w.kind for w in report.warnings] == ["unknown_account"]
    with pytest.raises(ingest.ImportRejected) as err:
        ingest.import_frame(reps_engine, "deals", _deal_frame("ACME corp").assign(deal_id="X4"))
    prob = _problems(err).iloc[0]
    assert prob.kind == "ambiguous_account" and "001Hs00000AcmeAAA, 001Hs00000AcmeEUA" in prob.reason


def test_a_parent_cycle_through_stored_accounts_is_refused(empty_engine):
    """Stored: A under B under C, and an unrelated D. The file puts C under A (C → A → B → C, two of
    the links stored ones) and E under D (no cycle): row 2 is refused, naming the circle."""
    stored = {"account_id": ["A", "B", "C", "D"], "name": ["Alpha", "Beta", "Gamma", "Delta"]}
    ingest.import_frame(empty_engine, "accounts", pd.DataFrame({**stored, "parent_id": ["B", "C", None, None]}))
    frame = pd.DataFrame({"account_id": ["C", "E"], "name": ["Gamma", "Epsilon"], "parent_id": ["A", "D"]})
    with pytest.raises(ingest.ImportRejected) as err:
        ingest.import_frame(empty_engine, "accounts", frame)
    cyc = _problems(err)
    assert list(cyc["kind"]) == ["parent_cycle"] and list(cyc["row"]) == [2]
    assert "C → A → B → C" in cyc["reason"].iloc[0]
    ingest.import_frame(empty_engine, "accounts", frame.iloc[1:])  # E alone goes in
    assert _accounts(empty_engine).loc["E", "parent_id"] == "D"

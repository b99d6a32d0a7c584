"""Real export shapes import unedited (Salesforce Data Loader and report, HubSpot, generic CSV); totals by hand."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from salesops import ingest, store
from salesops.cli.main import main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def by_outcome(engine) -> dict[str, tuple[int, int]]:
    """outcome -> (deals, cents) straight from the store (NULL amounts count as deals, not money)."""
    frame = store.read_frame(
        engine,
        sa.text("SELECT outcome, COUNT(*) AS n, COALESCE(SUM(amount_cents), 0) AS c FROM deals GROUP BY outcome"),
    )
    return {r.outcome: (int(r.n), int(r.c)) for r in frame.itertuples()}


@pytest.fixture
def reps_engine(empty_engine):
    """An empty store holding the three reps of tests/fixtures/reps.csv (Ana, Ben, Chloé)."""
    ingest.import_file(empty_engine, "reps", FIXTURES / "reps.csv")
    return empty_engine


def test_salesforce_data_loader_shape_with_id_only_reps_imports_with_created_reps(empty_engine):
    """API names, 1/empty booleans, +0000 timestamps, owners by id only: reps created, blank flags = open."""
    report = ingest.import_file(
        empty_engine,
        "deals",
        FIXTURES / "sf_dataloader_opportunities.csv",
        preset="salesforce",
        create_missing_reps=True,
    )
    assert report.written and report.rows_added == 6
    assert sorted(report.created_reps) == [
        "0055g00000AbCdEAA1 (0055g00000AbCdEAA1)",
        "0055g00000XyZwVAA2 (0055g00000XyZwVAA2)",
    ]
    # won 48,000.00 + 7,250.25; lost 12,500.50; open 30,000 + 15,000 + one without an amount
    assert by_outcome(empty_engine) == {"won": (2, 5_525_025), "lost": (1, 1_250_050), "open": (3, 4_500_000)}
    # "Discovery" has no Salesforce stage rule: both flags blank make it open, as documented.
    assert ("Discovery", "open", 1) in report.stages
    # Q1d was loaded into the CRM after it closed: a warning, recorded per row, not a rejection.
    assert ("close_before_create", 1) in report.warning_counts
    stored = store.read_frame(empty_engine, sa.text("SELECT record_id, kind FROM import_warnings"))
    assert ("0065g00000Q1dAAA", "close_before_create") in set(stored.itertuples(index=False, name=None))
    probs = store.read_frame(empty_engine, sa.text("SELECT deal_id, probability_bp FROM deals ORDER BY deal_id"))
    assert dict(zip(probs.deal_id, probs.probability_bp))["0065g00000Q1cAAA"] == 2_000  # 20 % in basis points


def test_strict_turns_the_data_loader_warnings_into_errors(empty_engine):
    """--strict: the close-before-create row rejects the file and nothing is written."""
    with pytest.raises(ingest.ImportRejected) as err:
        ingest.import_file(
            empty_engine,
            "deals",
            FIXTURES / "sf_dataloader_opportunities.csv",
            preset="salesforce",
            create_missing_reps=True,
            strict=True,
        )
    assert ("close_before_create", 1) in err.value.report.problem_counts
    assert store.table_counts(empty_engine)["deals"] == 0


def test_salesforce_report_export_with_names_only_and_footer(reps_engine):
    """Report labels, m/d/yyyy dates, owners by name, the confidentiality footer skipped with a note."""
    report = ingest.import_file(reps_engine, "deals", FIXTURES / "sf_report_opportunities.csv", preset="salesforce")
    assert report.rows_added == 4
    assert "2 footer line(s) of a report export skipped" in report.notes
    # won 24,000.00 + 16,000.75; lost 8,500.00; open 12,000.00
    assert by_outcome(reps_engine) == {"won": (2, 4_000_075), "lost": (1, 850_000), "open": (1, 1_200_000)}
    dates = store.read_frame(reps_engine, sa.text("SELECT MIN(created_date) AS d FROM deals"))
    assert str(dates.d[0]) == "2024-11-04"


def test_hubspot_export_with_every_field_quoted(reps_engine):
    """HubSpot's quoted export: lower-case stage labels, 'yyyy-mm-dd hh:mm' dates, owner names, a blank amount."""
    report = ingest.import_file(reps_engine, "deals", FIXTURES / "hubspot_deals_quoted.csv", preset="hubspot")
    assert report.rows_added == 4
    # won 15,000; lost 8,000.50; open 30,000 + one without an amount
    assert by_outcome(reps_engine) == {"won": (1, 1_500_000), "lost": (1, 800_050), "open": (2, 3_000_000)}
    accounts = store.read_frame(reps_engine, sa.text("SELECT account, deal_type FROM deals ORDER BY deal_id"))
    assert list(accounts.account) == ["Acme Corp", "Initech", "Wonka", "Stark Industries"]
    # A pipeline is not a deal type (New Business, Renewal, …): the type is derived (docs/CUSTOMERS.md).
    assert accounts.deal_type.isna().all()


def test_generic_csv_with_reps_by_id_by_name_or_both(reps_engine):
    """A rep_id and a rep_name column, each blank on some row: every row finds its rep."""
    ingest.import_file(reps_engine, "deals", FIXTURES / "generic_deals.csv")
    got = store.read_frame(reps_engine, sa.text("SELECT deal_id, rep_id, amount_cents FROM deals ORDER BY deal_id"))
    assert list(got.rep_id) == ["005Hs00000AnaAlIAA", "005Hs00000BenBrIAA", "005Hs00000ChlDuIAA"]
    assert list(got.amount_cents) == [125_000, 90_000, 400_000]


def test_one_column_feeds_two_fields_so_a_names_only_roster_imports(empty_engine):
    """--map Name=rep_id --map Name=name: the roster's only identity column becomes both id and name."""
    report = ingest.import_file(
        empty_engine, "reps", FIXTURES / "roster_names_only.csv", mapping=["Name=rep_id", "Name=name"]
    )
    assert report.rows_added == 2
    got = store.read_frame(empty_engine, sa.text("SELECT rep_id, name, team_id FROM reps ORDER BY rep_id"))
    assert list(got.rep_id) == ["Dana Diaz", "Eli Evans"] and list(got.name) == ["Dana Diaz", "Eli Evans"]
    assert set(got.team_id) == {"central-mid-market"}


def test_deals_naming_reps_by_name_only_create_slugged_reps(empty_engine):
    """--create-missing-reps with names only: ids are 'rep-' + the name's slug."""
    data = b"deal_id,owner,stage,amount,created_date,close_date\nN1,Zoe Zhu,Closed Won,10,2025-01-02,2025-01-20\n"
    report = ingest.import_file(empty_engine, "deals", data, create_missing_reps=True)
    assert report.created_reps == ("rep-zoe-zhu (Zoe Zhu)",)


def test_two_columns_for_one_field_are_an_error(reps_engine):
    """'Amount' and 'amount' both read as the amount: the file is rejected, naming both columns."""
    data = (
        b"deal_id,rep_id,stage,Amount,amount,created_date,close_date\n"
        b"X1,005Hs00000AnaAlIAA,Closed Won,100,200,2025-01-02,2025-01-20\n"
    )
    with pytest.raises(ingest.ImportRejected) as err:
        ingest.import_file(reps_engine, "deals", data)
    p = err.value.report.problems[0]
    assert (p.kind, p.column) == ("duplicate_column", "amount") and "'Amount'" in p.reason


def test_the_cli_takes_repeated_map_rules_and_strict(empty_engine, capsys):
    """The CLI: a repeated --map for one column works; --strict exits 2 listing the warning as an error."""
    url = empty_engine.url.render_as_string(hide_password=False)
    empty_engine.dispose()
    roster = str(FIXTURES / "roster_names_only.csv")
    assert main(["import", "reps", roster, "--map", "Name=rep_id", "--map", "Name=name", "--db", url]) == 0
    sf = str(FIXTURES / "sf_dataloader_opportunities.csv")
    args = ["import", "deals", sf, "--preset", "salesforce", "--create-missing-reps", "--db", url]
    assert main([*args, "--strict"]) == 2
    err = capsys.readouterr().err
    assert "--strict: warnings count as errors" in err and "close_before_create" in err
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "WARNINGS:" in out and "imported: 6 added" in out

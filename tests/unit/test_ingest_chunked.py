"""A CSV read in chunks (a chunk size of a few rows here) checks, reports and writes exactly as read whole."""

from __future__ import annotations

import hashlib
from dataclasses import asdict
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from salesops import ingest, store
from salesops.store import open_store, schema

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
WHOLE = 10_000_000  # a chunk larger than any file here: the file is checked whole

#: Tables an import writes, and the columns that differ between two runs by nature (clock, ids).
TABLES = {"deals": (), "reps": (), "teams": (), "import_warnings": ("import_id",), "import_log": ("imported_at",)}


def checksums(engine) -> dict[str, tuple[int, str]]:
    """table -> (rows, md5 of its rows as text, sorted) for every table an import writes."""
    out = {}
    for name, volatile in TABLES.items():
        frame = store.read_frame(engine, sa.select(getattr(schema, name))).drop(columns=list(volatile))
        lines = sorted("|".join(map(str, row)) for row in frame.itertuples(index=False))
        out[name] = (len(lines), hashlib.md5("\n".join(lines).encode()).hexdigest())  # noqa: S324 - a checksum
    return out


def same_report(a: ingest.ImportReport, b: ingest.ImportReport) -> None:
    """Every field of the two reports is equal but the time taken."""
    da, db = asdict(a), asdict(b)
    da.pop("seconds"), db.pop("seconds")
    assert da == db


def _run(engine, table, path, rows, **options):
    try:
        return ingest.import_file(engine, table, path, chunk_rows=rows, **options)
    except ingest.ImportRejected as exc:
        return exc.report


@pytest.fixture
def two_stores(new_store_url):
    """Two empty stores of the test's kind holding the reps of tests/fixtures/reps.csv."""
    engines = [open_store(new_store_url(f"chunk{i}")) for i in range(2)]
    for engine in engines:
        ingest.import_file(engine, "reps", FIXTURES / "reps.csv")
    yield engines
    for engine in engines:
        engine.dispose()


@pytest.mark.parametrize(
    ("fixture", "options"),
    [
        ("generic_deals.csv", {}),
        ("hubspot_deals.csv", {"preset": "hubspot"}),
        ("hubspot_deals_quoted.csv", {"preset": "hubspot"}),
        ("salesforce_opportunities.csv", {"preset": "salesforce"}),
        ("sf_dataloader_opportunities.csv", {"preset": "salesforce", "create_missing_reps": True}),
        ("sf_report_opportunities.csv", {"preset": "salesforce"}),
        ("deals_bad.csv", {}),
        ("ragged.csv", {}),
    ],
)
def test_every_deals_fixture_imports_the_same_in_chunks_of_two(two_stores, fixture, options):
    """Each preset's fixture read two rows at a time gives the same report and the same rows as read whole."""
    whole, chunked = two_stores
    a = _run(whole, "deals", FIXTURES / fixture, WHOLE, **options)
    b = _run(chunked, "deals", FIXTURES / fixture, 2, **options)
    same_report(a, b)
    assert checksums(whole) == checksums(chunked)


def _deals_csv(path: Path, rows: list[str], header="deal_id,rep_id,stage,amount,created_date,close_date") -> Path:
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    return path


ANA, BEN = "005Hs00000AnaAlIAA", "005Hs00000BenBrIAA"


def test_an_error_in_a_later_chunk_reports_its_file_line_and_writes_nothing(two_stores, tmp_path):
    """A bad date on line 8 (the fourth chunk of two rows) is reported as row 8 and nothing is written."""
    good = [f"D{i},{ANA},Closed Won,100,2025-01-0{i},2025-02-28" for i in range(1, 7)]
    path = _deals_csv(tmp_path / "late.csv", [*good, f"D7,{ANA},Closed Won,100,2025-13-45,2025-02-28"])
    whole, engine = two_stores
    before = checksums(engine), store.data_version(engine)
    with pytest.raises(ingest.ImportRejected) as err:
        ingest.import_file(engine, "deals", path, chunk_rows=2)
    report = err.value.report
    assert (report.problems[0].row, report.problems[0].kind, report.problems[0].value) == (8, "bad_date", "2025-13-45")
    assert {p.row for p in report.problems} == {8}
    assert report.rows_read == 7 and report.rows_rejected == 1
    same_report(_run(whole, "deals", path, WHOLE), report)
    assert (checksums(engine), store.data_version(engine)) == before


def test_a_duplicate_id_in_another_chunk_is_caught_with_the_first_row(two_stores, tmp_path):
    """D1 on line 2 and again on line 6 (another chunk of two) is a duplicate naming row 2; nothing is written."""
    rows = [f"D{i},{ANA},Closed Won,100,2025-01-0{i},2025-02-28" for i in range(1, 5)]
    path = _deals_csv(tmp_path / "dup.csv", [*rows, f"D1,{BEN},Closed Lost,50,2025-01-09,2025-02-28"])
    whole, chunked = two_stores
    a = _run(whole, "deals", path, WHOLE)
    b = _run(chunked, "deals", path, 2)
    same_report(a, b)
    assert [(p.row, p.kind, p.reason) for p in b.problems] == [(6, "duplicate_id", "duplicate id; first seen on row 2")]
    assert store.read_frame(chunked, sa.select(schema.deals)).empty


def test_a_column_format_is_decided_by_the_whole_file_not_the_chunk(two_stores, tmp_path):
    """Dates that read both ways in the first chunk follow the day-first dates of a later chunk, as read whole."""
    rows = [
        f"D1,{ANA},Closed Won,100,01/02/2025,03/04/2025",
        f"D2,{ANA},Closed Won,200,02/03/2025,04/05/2025",
        f"D3,{ANA},Closed Won,300,13/02/2025,20/03/2025",
    ]
    path = _deals_csv(tmp_path / "eu.csv", rows)
    whole, chunked = two_stores
    same_report(_run(whole, "deals", path, WHOLE), _run(chunked, "deals", path, 1))
    assert checksums(whole) == checksums(chunked)
    first = store.read_frame(chunked, sa.select(schema.deals.c.created_date).where(schema.deals.c.deal_id == "D1"))
    assert pd.Timestamp(first.iloc[0, 0]) == pd.Timestamp("2025-02-01")  # 1 February: day first


def test_an_unusual_amount_is_judged_against_the_whole_files_team(two_stores, tmp_path):
    """Five ordinary amounts in earlier chunks make the sixth, 100× larger, a warning, as read whole."""
    rows = [f"D{i},{ANA},Closed Won,{100 + i},2025-01-0{i},2025-02-28" for i in range(1, 6)]
    path = _deals_csv(tmp_path / "big.csv", [*rows, f"D6,{ANA},Closed Won,10000,2025-01-06,2025-02-28"])
    whole, chunked = two_stores
    a, b = _run(whole, "deals", path, WHOLE), _run(chunked, "deals", path, 2)
    same_report(a, b)
    assert [(w.row, w.kind) for w in b.warnings] == [(7, "unusual_amount")]
    assert checksums(whole) == checksums(chunked)


def test_a_dry_run_in_chunks_writes_nothing(two_stores, tmp_path):
    """validate_file reading a file in chunks reports it valid and leaves the store as it was."""
    rows = [f"D{i},{ANA},Closed Won,100,2025-01-0{i},2025-02-28" for i in range(1, 6)]
    path = _deals_csv(tmp_path / "ok.csv", rows)
    engine = two_stores[1]
    before = checksums(engine), store.data_version(engine)
    report = ingest.validate_file(engine, "deals", path, chunk_rows=2)
    assert report.ok and report.rows_read == 5 and not report.written
    assert (checksums(engine), store.data_version(engine)) == before


def test_the_demo_deals_import_the_same_in_chunks(demo_engine, new_store_url, tmp_path):
    """The small demo's deals (seed 7), exported and imported in chunks of 5,000, are the same rows as read whole."""
    deals = store.read_frame(demo_engine, sa.select(schema.deals).order_by(schema.deals.c.deal_id))
    export = pd.DataFrame(
        {
            "deal_id": deals.deal_id,
            "rep_id": deals.rep_id,
            "name": deals.name,
            "stage": deals.stage,
            "amount": (deals.amount_cents / 100).map("${:,.2f}".format, na_action="ignore"),
            "probability": (deals.probability_bp / 100).map("{:g}%".format, na_action="ignore"),
            "created_date": pd.to_datetime(deals.created_date).dt.strftime("%m/%d/%Y"),
            "close_date": pd.to_datetime(deals.close_date).dt.strftime("%m/%d/%Y"),
        }
    )
    path = tmp_path / "demo_deals.csv"
    export.to_csv(path, index=False)
    teams = store.read_frame(demo_engine, sa.select(schema.teams))
    reps = store.read_frame(demo_engine, sa.select(schema.reps))
    results = []
    for i, rows in enumerate((WHOLE, 5_000)):
        engine = open_store(new_store_url(f"demo{i}"))
        store.write(
            engine, lambda c: (store.bulk_insert(c, schema.teams, teams), store.bulk_insert(c, schema.reps, reps)), "t"
        )
        results.append((_run(engine, "deals", path, rows), checksums(engine)))
        engine.dispose()
    (a, sums_a), (b, sums_b) = results
    same_report(a, b)
    assert a.written and a.rows_added == len(deals), (a.problem_counts, a.problems[:3])
    assert sums_a == sums_b


TABLES.update({"quotas": (), "leads": (), "activities": ()})


@pytest.mark.parametrize(
    ("table", "header", "rows"),
    [
        (
            "quotas",
            "rep_id,period_type,period_start,amount",
            [f"{ANA},month,2025-0{m}-01,10000" for m in range(1, 5)] + [f"{ANA},monthly,2025-02-01,12000"],
        ),
        (
            "leads",
            "lead_id,rep_id,source,created_at,furthest_stage",
            [f"L{i},{BEN},Web,2025-01-0{i},mql" for i in range(1, 5)] + ["L9,,Referral,2025-01-09,nowhere"],
        ),
        (
            "activities",
            "activity_id,rep_id,type,occurred_at,deal_id",
            [f"A{i},{ANA},Call,2025-01-0{i},D1" for i in range(1, 6)],
        ),
    ],
)
def test_quotas_leads_and_activities_import_the_same_in_chunks(two_stores, tmp_path, table, header, rows):
    """Quotas (a key of three columns: the repeated month two chunks later is a duplicate), leads and
    activities read two rows at a time give the same report and rows as read whole."""
    path = _deals_csv(tmp_path / f"{table}.csv", rows, header=header)
    whole, chunked = two_stores
    a, b = _run(whole, table, path, WHOLE), _run(chunked, table, path, 2)
    same_report(a, b)
    assert checksums(whole) == checksums(chunked)
    if table == "quotas":
        assert [(p.row, p.kind) for p in b.problems] == [(6, "duplicate_id")]

"""Every kind of bad input is reported (row, column, value, reason) and leaves the store exactly as it was."""

from __future__ import annotations

import codecs
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from salesops import ingest, store
from salesops.store import schema

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
HEAD = "deal_id,rep_id,stage,amount,created_date,close_date\n"
ANA = "005Hs00000AnaAlIAA"


def snapshot(engine) -> dict[str, tuple[int, int]]:
    """Row count and a content checksum of every table in the store."""
    out = {}
    for table in schema.metadata.sorted_tables:
        frame = store.read_frame(engine, sa.select(table))
        checksum = int(pd.util.hash_pandas_object(frame.astype(str), index=False).sum()) if len(frame) else 0
        out[table.name] = (len(frame), checksum)
    return out


@pytest.fixture
def loaded(empty_engine):
    """A store holding the fixture reps and the Salesforce deals, so 'unchanged' means something."""
    ingest.import_file(empty_engine, "reps", FIXTURES / "reps.csv")
    ingest.import_file(empty_engine, "deals", FIXTURES / "salesforce_opportunities.csv", preset="salesforce")
    return empty_engine


def csv(*rows: str, head: str = HEAD) -> bytes:
    return (head + "".join(r + "\n" for r in rows)).encode()


GOOD = f"D1,{ANA},Closed Won,100,2025-01-06,2025-02-28"

#: (test id, table, file bytes, options, expected (row, column, value, kind) of the first problem, count of that kind)
BAD_INPUTS = [
    (
        "missing column",
        "deals",
        csv("D1,Ana,100", head="deal_id,rep_id,amount\n"),
        {},
        (None, "stage", "", "missing_column"),
        2,
    ),
    (
        "unparseable date",
        "deals",
        csv(GOOD, f"D2,{ANA},Closed Won,100,2025-01-06,yesterday"),
        {},
        (3, "close_date", "yesterday", "bad_date"),
        1,
    ),
    (
        "mixed date formats in a column",
        "deals",
        csv(GOOD, f"D2,{ANA},Closed Won,100,01/07/2025,2025-02-28", f"D3,{ANA},Closed Won,100,2025-01-08,2025-02-28"),
        {},
        (3, "created_date", "01/07/2025", "bad_date"),
        1,
    ),
    (
        "an impossible date",
        "deals",
        csv(GOOD, f"D2,{ANA},Closed Won,100,2025-02-30,2025-03-28"),
        {},
        (3, "created_date", "2025-02-30", "bad_date"),
        1,
    ),
    (
        "amount that is not a number",
        "deals",
        csv(GOOD, f"D2,{ANA},Closed Won,12 apples,2025-01-06,2025-02-28"),
        {},
        (3, "amount", "12 apples", "bad_number"),
        1,
    ),
    (
        "negative amount",
        "deals",
        csv(GOOD, f'D2,{ANA},Closed Won,"($1,200.00)",2025-01-06,2025-02-28'),
        {},
        (3, "amount", "($1,200.00)", "negative_amount"),
        1,
    ),
    (
        "absurd amount",
        "deals",
        csv(f"D2,{ANA},Closed Won,5000000000000,2025-01-06,2025-02-28"),
        {},
        (2, "amount", "5000000000000", "absurd_amount"),
        1,
    ),
    (
        "close before create, --strict",
        "deals",
        csv(GOOD, f"D2,{ANA},Closed Lost,100,2025-03-06,2025-02-28"),
        {"strict": True},
        (3, "close_date", "2025-02-28", "close_before_create"),
        1,
    ),
    ("duplicate ids", "deals", csv(GOOD, GOOD, GOOD), {}, (3, "deal_id", "D1", "duplicate_id"), 2),
    (
        "unknown rep id",
        "deals",
        csv(GOOD, "D2,005NOBODY,Closed Won,100,2025-01-06,2025-02-28"),
        {},
        (3, "rep_id", "005NOBODY", "unknown_rep"),
        1,
    ),
    (
        "unknown rep name",
        "deals",
        csv(
            "D2,Zed Zero,Closed Won,100,2025-01-06,2025-02-28",
            head="deal_id,owner,stage,amount,created_date,close_date\n",
        ),
        {},
        (2, "owner", "Zed Zero", "unknown_rep"),
        1,
    ),
    (
        "unknown team",
        "reps",
        csv("R9,Ivy Ito,T-NOPE", head="rep_id,name,team_id\n"),
        {},
        (2, "team_id", "T-NOPE", "unknown_team"),
        1,
    ),
    (
        "unmapped stage",
        "deals",
        csv(GOOD, f"D2,{ANA},Verbal Yes,100,2025-01-06,2025-02-28"),
        {},
        (3, "stage", "Verbal Yes", "unmapped_stage"),
        1,
    ),
    (
        "won deal without close date",
        "deals",
        csv(f"D2,{ANA},Closed Won,100,2025-01-06,"),
        {},
        (2, "close_date", "", "missing_value"),
        1,
    ),
    (
        "probability above 100%",
        "deals",
        csv(f"D2,{ANA},Prospecting,100,2025-01-06,2025-02-28,150%", head=HEAD.strip() + ",probability\n"),
        {},
        (2, "probability", "150%", "bad_probability"),
        1,
    ),
    ("empty file", "deals", b"", {}, (None, "", "", "empty_file"), 1),
    ("whitespace-only file", "deals", b"\n \r\n", {}, (None, "", "", "empty_file"), 1),
    ("header with no rows", "deals", csv(), {}, (None, "", "", "no_rows"), 1),
    (
        "ragged rows",
        "deals",
        csv(GOOD, f"D2,{ANA},Closed Won,100,2025-01-06", f"D3,{ANA},Closed Won,100,2025-01-06,2025-02-28,x"),
        {},
        (3, "", f"D2,{ANA},Closed Won,100,2025-01-06", "ragged_row"),
        2,
    ),
    (
        "undecodable UTF-16",
        "deals",
        codecs.BOM_UTF16_LE + "deal_id\n".encode("utf-16-le") + b"\x00",
        {},
        (None, "", "", "encoding"),
        1,
    ),
    (
        "duplicate header",
        "deals",
        csv(f"D1,{ANA},Closed Won,100,2025-01-06,2025-02-28,x", head=HEAD.strip() + ",stage\n"),
        {},
        (1, "", "stage", "bad_header"),
        1,
    ),
    (
        "--map names a missing column",
        "deals",
        csv(GOOD),
        {"mapping": ["Owner Name=rep_name"]},
        (None, "Owner Name", "", "missing_column"),
        1,
    ),
    (
        "bad quota period",
        "quotas",
        csv(f"{ANA},fortnight,2025-01-01,100", head="rep_id,period_type,period_start,amount\n"),
        {},
        (2, "period_type", "fortnight", "bad_value"),
        1,
    ),
    (
        "quota period not starting on its first day",
        "quotas",
        csv(f"{ANA},month,2025-01-15,100", head="rep_id,period_type,period_start,amount\n"),
        {},
        (2, "period_start", "2025-01-15", "bad_date"),
        1,
    ),
    (
        "bad lead stage",
        "leads",
        csv(f"L1,{ANA},Web,2025-01-01,hot", head="lead_id,rep_id,source,created_at,furthest_stage\n"),
        {},
        (2, "furthest_stage", "hot", "bad_value"),
        1,
    ),
]


@pytest.mark.parametrize(
    ("table", "data", "options", "first", "count"),
    [pytest.param(*case[1:], id=case[0]) for case in BAD_INPUTS],
)
def test_bad_input_is_reported_and_nothing_is_written(loaded, table, data, options, first, count):
    """The report names the first problem (row, column, value, kind), counts its kind, and the store is unchanged."""
    before = snapshot(loaded)
    version = store.data_version(loaded)
    with pytest.raises(ingest.ImportRejected) as err:
        ingest.import_file(loaded, table, data, file_name="bad.csv", **options)
    report = err.value.report
    p = report.problems[0]
    assert (p.row, p.column, p.value, p.kind) == first, report.problems
    assert p.reason
    assert dict(report.problem_counts)[first[3]] == count
    assert not report.written and "Nothing was written" in str(err.value)
    assert snapshot(loaded) == before
    assert store.data_version(loaded) == version


def test_a_file_with_many_problems_lists_fifty_and_counts_the_rest(loaded):
    """120 bad dates, 30 unknown reps without close date: 50 listed by row, all counted per kind, 150 rows rejected."""
    rows = [f"D{i},{ANA},Closed Won,100,2025-01-06,not a date" for i in range(120)]
    rows += [f"E{i},NOBODY,Closed Won,100,2025-01-06," for i in range(30)]
    before = snapshot(loaded)
    report = ingest.validate_file(loaded, "deals", csv(*rows), stages=None)
    assert len(report.problems) == 50 and [p.row for p in report.problems] == list(range(2, 52))
    # the 30 E-rows: unknown rep and (won without a close date) -> 60; plus 120 bad dates
    assert dict(report.problem_counts) == {"bad_date": 120, "unknown_rep": 30, "missing_value": 30}
    assert report.rows_rejected == 150
    assert snapshot(loaded) == before


@pytest.mark.parametrize(
    ("encoding", "prefix"),
    [
        ("utf-8", b""),
        ("utf-8", codecs.BOM_UTF8),
        ("utf-16", b""),
        ("utf-16-le", b""),
        ("latin-1", b""),
        ("cp1252", b""),
    ],
)
def test_every_common_encoding_reads_the_same(empty_engine, encoding, prefix):
    """UTF-8 with/without BOM, UTF-16 with/without BOM and Latin-1 all find the rep 'Chloé Dubois' by name."""
    ingest.import_file(empty_engine, "reps", FIXTURES / "reps.csv")
    text = "Record ID,Deal Stage,Amount,Create Date,Close Date,Deal owner\n1,Closed Won,€ 1.234,50,14.02.2025,28.02.2025,Chloé Dubois\n"
    text = text.replace("€ 1.234,50", '"€ 1.234,50"')
    if encoding == "latin-1":
        text = text.replace("€ ", "")  # Latin-1 has no euro sign
    report = ingest.import_file(empty_engine, "deals", prefix + text.encode(encoding), preset="hubspot")
    assert report.rows_added == 1
    cents = store.read_frame(empty_engine, sa.text("SELECT amount_cents, close_date FROM deals"))
    assert int(cents.amount_cents[0]) == 123_450  # 1.234,50 with a decimal comma
    assert str(cents.close_date[0]) == "2025-02-28"


def test_semicolon_files_and_ambiguous_dates_follow_the_files_other_dates(empty_engine):
    """A ';' file whose created dates are ambiguous (03/02) reads them day-first because close dates prove EU order."""
    ingest.import_file(empty_engine, "reps", FIXTURES / "reps.csv")
    data = (
        f"deal_id;rep_id;stage;amount;created_date;close_date\nX1;{ANA};Closed Won;10;03/02/2025;25/02/2025\n".encode()
    )
    report = ingest.import_file(empty_engine, "deals", data)
    assert any(n.startswith("created_date: dates read as EU d/m/yyyy (ambiguous") for n in report.notes)
    got = store.read_frame(empty_engine, sa.text("SELECT created_date FROM deals"))
    assert str(got.created_date[0]) == "2025-02-03"

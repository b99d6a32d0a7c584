"""Every malformed kind (issue #14 and the earlier 25) through the CLI and the Data page's function: one outcome each.

Each case states its documented outcome: an error (row, column, value, kind — the file is rejected,
the CLI exits 2, the store is unchanged to the checksum), a warning (imported, listed as a
warning), or accepted. Both doors must agree and neither may show a traceback.
"""

from __future__ import annotations

import gzip
import io
import shutil
import zipfile
from pathlib import Path

import pytest

from salesops import ingest
from salesops.cli.main import main
from salesops.store.engine import open_store
from tests.unit.test_ingest_validation import ANA, BAD_INPUTS, FIXTURES, snapshot

HEAD = "deal_id,rep_id,stage,amount,created_date,close_date\n"
REPS = "rep_id,name,team,fte,ramp_months\n"


def deals(*rows: str, head: str = HEAD) -> bytes:
    return (head + "".join(r + "\n" for r in rows)).encode()


def amount(value: str) -> bytes:
    """A deals file whose second row carries ``value`` as its amount (the first row is fine)."""
    return deals(
        f"D1,{ANA},Closed Won,100.00,2025-01-06,2025-02-28", f'D2,{ANA},Closed Won,"{value}",2025-01-06,2025-02-28'
    )


def xlsx() -> bytes:
    """The bytes of a (minimal) .xlsx workbook: a zip holding xl/workbook.xml."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
    return buf.getvalue()


def zipped() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("deals.csv", HEAD)
    return buf.getvalue()


GOOD = f"D1,{ANA},Closed Won,100,2025-01-06,2025-02-28"
ERR, WARN, OK = "error", "warning", "accepted"

#: (id, table, bytes, options, outcome, (row, column, value prefix, kind) of the first problem of that level)
NEW_KINDS = [
    (
        "cell over 131,072 characters",
        "deals",
        deals(f"D1,{ANA},Closed Won,100,2025-01-06,2025-02-28,{'x' * 140_000}", head=HEAD.strip() + ",name\n"),
        {},
        ERR,
        (2, "name", "xxx", "too_long"),
    ),
    ("only a BOM and commas", "deals", b"\xef\xbb\xbf,,,,\n,,,,\n", {}, ERR, (None, "", "", "empty_file")),
    (
        "ramp_months=1e309",
        "reps",
        (REPS + "R1,Ivy Ito,Team A,1,1e309\n").encode(),
        {},
        ERR,
        (2, "ramp_months", "1e309", "not_finite"),
    ),
    (
        "ramp_months=-5",
        "reps",
        (REPS + "R1,Ivy Ito,Team A,1,-5\n").encode(),
        {},
        ERR,
        (2, "ramp_months", "-5", "out_of_range"),
    ),
    (
        "ramp_months=30",
        "reps",
        (REPS + "R1,Ivy Ito,Team A,1,30\n").encode(),
        {},
        ERR,
        (2, "ramp_months", "30", "out_of_range"),
    ),
    ("fte=inf", "reps", (REPS + "R1,Ivy Ito,Team A,inf,0\n").encode(), {}, ERR, (2, "fte", "inf", "not_finite")),
    ("fte=-2", "reps", (REPS + "R1,Ivy Ito,Team A,-2,0\n").encode(), {}, ERR, (2, "fte", "-2", "out_of_range")),
    ("fte=0", "reps", (REPS + "R1,Ivy Ito,Team A,0,0\n").encode(), {}, ERR, (2, "fte", "0", "out_of_range")),
    ("fte=0.5 and ramp 24", "reps", (REPS + "R1,Ivy Ito,Team A,0.5,24\n").encode(), {}, OK, None),
    (
        "1.234,56 beside 500.00",
        "deals",
        deals(
            f'D1,{ANA},Closed Won,"1.234,56",2025-01-06,2025-02-28',
            f"D2,{ANA},Closed Won,500.00,2025-01-06,2025-02-28",
            f"D3,{ANA},Closed Won,600.00,2025-01-06,2025-02-28",
        ),
        {},
        ERR,
        (2, "amount", "1.234,56", "mixed_decimal_marks"),
    ),
    (
        "1.500 with nothing to tell",
        "deals",
        deals(f"D1,{ANA},Closed Won,1.500,2025-01-06,2025-02-28"),
        {},
        ERR,
        (2, "amount", "1.500", "ambiguous_money"),
    ),
    ("€1.500 without --decimal-mark", "deals", amount("€1.500"), {}, ERR, (3, "amount", "€1.500", "ambiguous_money")),
    (
        "€1.500 with --decimal-mark ,",
        "deals",
        deals(f'D1,{ANA},Closed Won,"€1.500",2025-01-06,2025-02-28'),
        {"decimal_mark": ","},
        OK,
        None,
    ),
    ("1,500 groups thousands", "deals", amount("1,500"), {}, OK, None),
    ("a range 10-20", "deals", amount("10-20"), {}, ERR, (3, "amount", "10-20", "range_value")),
    ("100 BTC", "deals", amount("100 BTC"), {}, ERR, (3, "amount", "100 BTC", "unknown_currency")),
    (
        "$ beside €",
        "deals",
        deals(
            f"D1,{ANA},Closed Won,$100.00,2025-01-06,2025-02-28",
            f"D2,{ANA},Closed Won,$200.00,2025-01-06,2025-02-28",
            f"D3,{ANA},Closed Won,€300.00,2025-01-06,2025-02-28",
        ),
        {},
        ERR,
        (4, "amount", "€300.00", "mixed_currency"),
    ),
    ("amount 1e309", "deals", amount("1e309"), {}, ERR, (3, "amount", "1e309", "too_large")),
    ("amount inf", "deals", amount("inf"), {}, ERR, (3, "amount", "inf", "not_finite")),
    ("amount 1e17", "deals", amount("1e17"), {}, ERR, (3, "amount", "1e17", "too_large")),
    ("amount 2e9 (absurd, not negative)", "deals", amount("2e9"), {}, ERR, (3, "amount", "2e9", "absurd_amount")),
    (
        "quota inf",
        "quotas",
        f"rep_id,period_type,period_start,amount\n{ANA},month,2025-01-01,inf\n".encode(),
        {},
        ERR,
        (2, "amount", "inf", "not_finite"),
    ),
    (
        "Amount and amount",
        "deals",
        deals(
            f"D1,{ANA},Closed Won,100,200,2025-01-06,2025-02-28",
            head="deal_id,rep_id,stage,Amount,amount,created_date,close_date\n",
        ),
        {},
        ERR,
        (None, "amount", "", "duplicate_column"),
    ),
    (
        "NUL in a deal id",
        "deals",
        deals(f"D\x001,{ANA},Closed Won,100,2025-01-06,2025-02-28"),
        {},
        ERR,
        (2, "deal_id", "D", "bad_characters"),
    ),
    (
        "ANSI escape in a rep name",
        "deals",
        deals(
            "D1,\x1b[31mAna Alvarez\x1b[0m,Closed Won,100,2025-01-06,2025-02-28",
            head="deal_id,owner,stage,amount,created_date,close_date\n",
        ),
        {},
        ERR,
        (2, "owner", "\ufffdAna", "bad_characters"),
    ),
    (
        "right-to-left override in a deal name",
        "deals",
        deals(f"D1,{ANA},Closed Won,100,2025-01-06,2025-02-28,Acme \u202eexe.txt", head=HEAD.strip() + ",name\n"),
        {},
        WARN,
        (2, "name", "Acme \ufffd", "control_characters"),
    ),
    (
        "a 100,000-character deal id",
        "deals",
        deals(f"{'D' * 100_000},{ANA},Closed Won,100,2025-01-06,2025-02-28"),
        {},
        ERR,
        (2, "deal_id", "DDD", "too_long"),
    ),
    (
        "a won deal closing in 2099",
        "deals",
        deals(f"D1,{ANA},Closed Won,100,2025-01-06,2099-01-01"),
        {},
        WARN,
        (2, "close_date", "2099-01-01", "closed_in_future"),
    ),
    (
        "a won deal closing in 2099, --strict",
        "deals",
        deals(f"D1,{ANA},Closed Won,100,2025-01-06,2099-01-01"),
        {"strict": True},
        ERR,
        (2, "close_date", "2099-01-01", "closed_in_future"),
    ),
    (
        "close before create",
        "deals",
        deals(GOOD, f"D2,{ANA},Closed Lost,100,2025-03-06,2025-02-28"),
        {},
        WARN,
        (3, "close_date", "2025-02-28", "close_before_create"),
    ),
    (
        "open deal past its close date",
        "deals",
        deals(f"D1,{ANA},Prospecting,100,2025-01-06,2025-02-28"),
        {},
        WARN,
        (2, "close_date", "2025-02-28", "open_past_close"),
    ),
    (
        "won deal at 40 %",
        "deals",
        deals(f"D1,{ANA},Closed Won,100,2025-01-06,2025-02-28,40%", head=HEAD.strip() + ",probability\n"),
        {},
        WARN,
        (2, "probability", "40%", "probability_vs_outcome"),
    ),
    (
        "an amount 100× the team's usual",
        "deals",
        deals(*[f"D{i},{ANA},Closed Won,{100 if i else 100_000},2025-01-06,2025-02-28" for i in range(6)]),
        {},
        WARN,
        (2, "amount", "100000", "unusual_amount"),
    ),
    ("gzip named .csv", "deals", gzip.compress(deals(GOOD)), {}, ERR, (None, "", "", "not_csv")),
    ("xlsx named .csv", "deals", xlsx(), {}, ERR, (None, "", "", "not_csv")),
    ("zip named .csv", "deals", zipped(), {}, ERR, (None, "", "", "not_csv")),
    (
        "blank IsClosed/IsWon = open",
        "deals",
        deals(f"D1,{ANA},Discovery,100,2025-01-06,2027-02-28,,", head=HEAD.strip() + ",IsClosed,IsWon\n"),
        {},
        OK,
        None,
    ),
    (
        "id-only reps created",
        "deals",
        deals("D1,005NEWREP0000001,Closed Won,100,2025-01-06,2025-02-28"),
        {"create_missing_reps": True},
        OK,
        None,
    ),
    (
        "one column feeding two fields",
        "reps",
        b"Name,Team\nZoe Zhu,Team A\n",
        {"mapping": ["Name=rep_id", "Name=name"]},
        OK,
        None,
    ),
]
OLD_KINDS = [(case[0], case[1], case[2], case[3], ERR, case[4]) for case in BAD_INPUTS]
CASES = OLD_KINDS + NEW_KINDS


def cli_args(options: dict) -> list[str]:
    """The CLI flags for the library options a case uses."""
    out: list[str] = []
    for rule in options.get("mapping", []):
        out += ["--map", rule]
    if options.get("strict"):
        out.append("--strict")
    if options.get("create_missing_reps"):
        out.append("--create-missing-reps")
    if options.get("decimal_mark"):
        out += ["--decimal-mark", options["decimal_mark"]]
    return out


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """A store file holding the fixture reps and the Salesforce deals, built once and copied per case."""
    path = tmp_path_factory.mktemp("malformed") / "template.duckdb"
    engine = open_store(f"duckdb:///{path}")
    ingest.import_file(engine, "reps", FIXTURES / "reps.csv")
    ingest.import_file(engine, "deals", FIXTURES / "salesforce_opportunities.csv", preset="salesforce")
    engine.dispose()
    return path


def first_of(report: ingest.ImportReport, level: str):
    listed = report.problems if level == ERR else report.warnings
    return listed[0] if listed else None


@pytest.mark.parametrize(
    ("table", "data", "options", "outcome", "first"), [pytest.param(*c[1:], id=c[0]) for c in CASES]
)
def test_each_malformed_kind_has_its_documented_outcome_in_both_doors(
    template, tmp_path, capsys, table, data, options, outcome, first
):
    """The Data page's check and the CLI agree: error (exit 2, store unchanged), warning (imported) or accepted."""
    db = tmp_path / "store.duckdb"
    shutil.copy(template, db)
    url = f"duckdb:///{db}"
    engine = open_store(url)
    before = snapshot(engine)
    report = ingest.validate_file(engine, table, data, file_name="bad.csv", **options)  # the Data page's call
    engine.dispose()
    expected_ok = outcome != ERR
    assert report.ok == expected_ok, (report.problems, report.warnings)
    if first is not None:
        p = first_of(report, outcome)
        assert p is not None and p.level == outcome
        assert (p.row, p.column, p.kind) == (first[0], first[1], first[3]), p
        assert p.value.startswith(first[2]) and p.reason
    if outcome == OK:
        assert not report.warnings, report.warnings
    path = tmp_path / "bad.csv"
    path.write_bytes(data)
    code = main(["import", table, str(path), "--db", url, *cli_args(options)])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    engine = open_store(url)
    after = snapshot(engine)
    engine.dispose()
    if outcome == ERR:
        assert code == 2 and "error: " in err and "hint: " in err
        assert first is None or first[3] in err
        assert after == before
    else:
        assert code == 0, err
        assert after != before  # imported
        if outcome == WARN:
            assert "WARNINGS:" in out and first[3] in out

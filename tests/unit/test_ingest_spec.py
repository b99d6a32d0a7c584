"""The import's data (fields, presets, stage rules, problem kinds) is documented, and the readers behave."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from salesops.ingest.money import parse_money
from salesops.ingest.parse import decode, parse_dates, parse_percent
from salesops.ingest.presets import PRESETS, STAGE_RULES
from salesops.ingest.spec import SPECS

DOC = (Path(__file__).resolve().parents[2] / "docs" / "IMPORT.md").read_text()
SOURCES = sorted((Path(__file__).resolve().parents[2] / "salesops" / "ingest").glob("*.py"))
KINDS = {k for path in SOURCES for k in re.findall(r'"([a-z_]+)"', path.read_text())}


@pytest.mark.parametrize("table", list(SPECS))
def test_every_field_of_every_table_is_documented(table):
    """docs/IMPORT.md has a section per table listing each canonical field."""
    section = DOC.split(f"### {table}\n", 1)[1].split("###", 1)[0]
    for field in SPECS[table].names:
        assert f"`{field}`" in section, (table, field)


def test_every_preset_column_and_stage_rule_is_documented():
    """Each preset's export columns and each stage label of the built-in rules appear in the doc."""
    for tables in PRESETS.values():
        for pairs in tables.values():
            for source, _ in pairs:
                assert f"`{source}`" in DOC, source
    for rules in STAGE_RULES.values():
        for label in rules:
            assert label in DOC, label
    assert "--preset salesforce" in DOC and "--preset hubspot" in DOC


def test_every_problem_kind_is_documented():
    """Each problem kind the code reports has a row in the doc's table."""
    kinds = {
        "empty_file", "no_rows", "encoding", "ragged_row", "bad_header", "missing_column", "missing_value",
        "bad_date", "bad_number", "negative_amount", "absurd_amount", "bad_probability", "close_before_create",
        "duplicate_id", "unknown_rep", "ambiguous_rep", "unknown_team", "unmapped_stage", "bad_value",
    }  # fmt: skip
    assert kinds <= KINDS
    for kind in kinds:
        assert f"| `{kind}` |" in DOC, kind


@pytest.mark.parametrize(
    ("values", "fmt", "first"),
    [
        (["2025-03-14", "2025-12-01T10:00:00.000Z"], "ISO yyyy-mm-dd", "2025-03-14"),
        (["3/14/2025", "12/1/2025 10:00 AM"], "US m/d/yyyy", "2025-03-14"),
        (["14/03/2025", "01/12/2025 23:59"], "EU d/m/yyyy", "2025-03-14"),
        (["14.03.2025", "01.12.2025"], "EU d.m.yyyy", "2025-03-14"),
        (["3/14/25", "12/1/25"], "US m/d/yy", "2025-03-14"),
    ],
)
def test_dates_are_read_in_one_format_per_column(values, fmt, first):
    """Each common export format is recognised for the whole column, times dropped."""
    col = parse_dates(pd.Series(values))
    assert col.format == fmt and not col.bad.any()
    assert str(col.values[0].date()) == first


def test_money_is_read_to_exact_cents():
    """$1,234.56 -> 123456; (1,000) -> -100000; 1.234,56 in a decimal-comma column -> 123456."""
    us = parse_money(pd.Series(["$1,234.56", "(1,000)", "USD 0.10", ""]))
    assert us.values.tolist()[:3] == [123_456, -100_000, 10] and pd.isna(us.values[3])
    eu = parse_money(pd.Series(["1.234,56", "€ 99,5"]))
    assert eu.values.tolist() == [123_456, 9_950]


def test_probabilities_accept_fractions_and_percents():
    """0.55 stays 0.55; a column with 55 or '55%' is divided by 100."""
    assert list(parse_percent(pd.Series(["0.55", "1"])).values) == [0.55, 1.0]
    assert list(parse_percent(pd.Series(["55", "100"])).values) == [0.55, 1.0]
    assert list(parse_percent(pd.Series(["55%"])).values) == [0.55]


def test_encodings_are_detected():
    """UTF-8 (BOM or not), UTF-16 (BOM or not) and Latin-1 decode to the same text."""
    text = "name\nChloé\n"
    assert decode(text.encode("utf-8")) == (text, "UTF-8")
    assert decode(b"\xef\xbb\xbf" + text.encode("utf-8")) == (text, "UTF-8 with BOM")
    assert decode(text.encode("utf-16")) == (text, "UTF-16")
    assert decode(text.encode("utf-16-le")) == (text, "UTF-16")
    assert decode(text.encode("latin-1"))[0] == text

"""Reading what CRMs export: bytes -> text -> rows, and text cells -> dates, cents, numbers, flags.

Every parser works on a whole column (a pandas Series) at once, on its distinct values, and
returns the parsed column plus a mask of the cells it could not read, so the caller can report
each bad cell with its row. Formats are decided once per column, never guessed row by row.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import pandas as pd

ROW = "__row__"  # the row number column (spreadsheet numbering: the header is row 1)

# ---- bytes -> frame --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReadProblem:
    kind: str
    reason: str
    row: int | None = None
    value: str = ""


@dataclass(frozen=True)
class SourceFile:
    """A CSV file read into text cells. ``frame`` has one str column per header plus ``__row__``."""

    frame: pd.DataFrame
    encoding: str
    delimiter: str
    problems: tuple[ReadProblem, ...]


def decode(data: bytes) -> tuple[str, str]:
    """Text and the encoding's name: UTF-8 (with or without BOM), UTF-16 (BOM or not), else Latin-1.

    Latin-1 here means Windows-1252 (its superset that Excel writes), falling back to ISO-8859-1
    for the few bytes 1252 leaves undefined. Raises UnicodeDecodeError for broken UTF-16.
    """
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="strict"), "UTF-8 with BOM"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16"), "UTF-16"
    head = data[:4096]
    if len(head) >= 4 and head.count(0) >= len(head) // 4:
        # UTF-16 without a BOM: ASCII text has a zero in every other byte.
        enc = "utf-16-le" if head[1::2].count(0) > head[0::2].count(0) else "utf-16-be"
        return data.decode(enc), "UTF-16"
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "Latin-1 (Windows-1252)"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "Latin-1"


def _sniff_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_csv(data: bytes, progress=None) -> SourceFile:
    """Read CSV bytes into text cells, reporting an empty file, a header with no rows, ragged rows.

    Ragged rows (a different number of fields than the header) are reported and left out of the
    frame; blank lines are skipped. ``progress(fraction, text)`` is called now and then.
    """
    problems: list[ReadProblem] = []
    try:
        text, encoding = decode(data)
    except UnicodeDecodeError as exc:
        reason = f"the file cannot be decoded ({exc.reason} at byte {exc.start}); save it as UTF-8 and retry"
        return SourceFile(pd.DataFrame({ROW: []}), "unknown", ",", (ReadProblem("encoding", reason),))
    text = text.lstrip("\ufeff")
    if not text.strip():
        reason = "the file is empty; export again with a header row and at least one data row"
        return SourceFile(pd.DataFrame({ROW: []}), encoding, ",", (ReadProblem("empty_file", reason),))
    delimiter = _sniff_delimiter(text.split("\n", 1)[0])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    rows: list[list[str]] = []
    numbers: list[int] = []
    total = max(text.count("\n"), 1)
    for record in reader:
        if not record or all(not f.strip() for f in record):
            continue
        if header is None:
            header = [h.strip() for h in record]
            continue
        if len(record) != len(header):
            problems.append(
                ReadProblem(
                    "ragged_row",
                    f"the row has {len(record)} fields but the header has {len(header)}",
                    reader.line_num,
                    delimiter.join(record)[:80],
                )
            )
            continue
        rows.append(record)
        numbers.append(reader.line_num)
        if progress is not None and len(rows) % 100_000 == 0:
            progress(min(reader.line_num / total, 1.0), f"read {len(rows):,} rows")
    assert header is not None  # the text has a non-blank line
    names: list[str] = []
    for i, h in enumerate(header):
        name = h or f"(unnamed column {i + 1})"
        if name in names:
            problems.append(ReadProblem("bad_header", f"the column {name!r} appears twice in the header", 1, name))
            name = f"{name} ({i + 1})"
        names.append(name)
    columns = list(zip(*rows)) if rows else [() for _ in names]
    frame = pd.DataFrame({n: pd.Series(col, dtype="str") for n, col in zip(names, columns)})
    frame[ROW] = np.asarray(numbers, dtype="int64")
    if not rows and not problems:
        problems.append(ReadProblem("no_rows", "the file has a header but no data rows", None, ""))
    return SourceFile(frame, encoding, delimiter, tuple(problems))


# ---- cells -> values --------------------------------------------------------------------------------


def blank_to_na(s: pd.Series) -> pd.Series:
    """Strip text cells; empty text becomes missing. Non-text columns pass through."""
    if pd.api.types.is_string_dtype(s) or s.dtype == object:
        s = s.astype("str").str.strip()
        return s.mask(s == "")
    return s


def _by_unique(s: pd.Series, fn) -> pd.Series:
    """Apply ``fn`` (Series of distinct values -> Series aligned to it) and map back to ``s``."""
    uniq = pd.Series(s.dropna().unique())
    if uniq.empty:
        return pd.Series(pd.NA, index=s.index)
    out = fn(uniq)
    lookup = pd.Series(out.to_numpy(), index=uniq.to_numpy())
    return s.map(lookup)


#: (label, strptime format) of the date part; time parts are read separately and dropped.
DATE_FORMATS = (
    ("ISO yyyy-mm-dd", "%Y-%m-%d"),
    ("yyyy/mm/dd", "%Y/%m/%d"),
    ("US m/d/yyyy", "%m/%d/%Y"),
    ("EU d/m/yyyy", "%d/%m/%Y"),
    ("US m/d/yy", "%m/%d/%y"),
    ("EU d/m/yy", "%d/%m/%y"),
    ("EU d.m.yyyy", "%d.%m.%Y"),
    ("US m-d-yyyy", "%m-%d-%Y"),
    ("EU d-m-yyyy", "%d-%m-%Y"),
)
_PARTNER = {
    "US m/d/yyyy": "EU d/m/yyyy",
    "EU d/m/yyyy": "US m/d/yyyy",
    "US m/d/yy": "EU d/m/yy",
    "EU d/m/yy": "US m/d/yy",
    "US m-d-yyyy": "EU d-m-yyyy",
    "EU d-m-yyyy": "US m-d-yyyy",
}
_DATE_TIME = re.compile(
    r"^(?P<d>[0-9]{1,4}[./-][0-9]{1,2}[./-][0-9]{1,4})"
    r"(?:[T ]+(?P<t>[0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?\s*(?:[AaPp][Mm])?\s*(?:Z|[+-][0-9]{2}:?[0-9]{2})?))?$"
)
YEARS = (1900, 2100)


@dataclass(frozen=True)
class DateColumn:
    values: pd.Series  # datetime64 (NaT where missing or bad)
    bad: pd.Series  # bool: a value was given but is not a date in the column's format
    format: str  # the label of the format chosen, '' when nothing parsed
    ambiguous: bool  # day and month both <= 12 everywhere: US and EU read it equally well


def _in_range(parsed: pd.Series) -> pd.Series:
    return parsed.where((parsed.dt.year >= YEARS[0]) & (parsed.dt.year <= YEARS[1]))


def parse_dates(s: pd.Series, prefer: str | None = None) -> DateColumn:
    """Read a column of dates in one format for the whole column (times, if any, are dropped).

    The format is the one of DATE_FORMATS that reads the most distinct values; when the US and EU
    readings tie (every day <= 12) the column is ``ambiguous`` and ``prefer`` (a format label from
    another column of the same file) or else the US reading is used.
    """
    if pd.api.types.is_datetime64_any_dtype(s):
        v = s.dt.tz_localize(None) if getattr(s.dt, "tz", None) is not None else s
        return DateColumn(v.dt.normalize(), pd.Series(False, index=s.index), "datetime", False)
    if s.dtype == object and s.notna().any() and isinstance(s.dropna().iloc[0], (date, datetime)):
        v = pd.to_datetime(s, errors="coerce")
        return DateColumn(v.dt.normalize(), s.notna() & v.isna(), "datetime", False)
    s = blank_to_na(s)
    uniq = pd.Series(s.dropna().astype("str").unique(), dtype="str")
    if uniq.empty:
        return DateColumn(pd.Series(pd.NaT, index=s.index, dtype="datetime64[s]"), s.notna() & False, "", False)
    parts = uniq.str.extract(_DATE_TIME)
    dpart = parts["d"]
    scores = {}
    parsed = {}
    for label, fmt in DATE_FORMATS:
        p = _in_range(pd.to_datetime(dpart, format=fmt, errors="coerce"))
        parsed[label] = p
        scores[label] = int(p.notna().sum())
    best = max(scores, key=lambda k: scores[k])
    ambiguous = False
    partner = _PARTNER.get(best)
    if partner and scores[partner] == scores[best] and scores[best] > 0:
        ambiguous = True
        us = best if best.startswith("US") else partner
        eu = partner if us == best else best
        best = eu if (prefer or "").startswith("EU") else us
    if scores[best] == 0:
        best_label = ""
        values = pd.Series(pd.NaT, index=uniq.index, dtype="datetime64[s]")
    else:
        best_label = best
        values = parsed[best]
    lookup = pd.Series(values.to_numpy(), index=uniq.to_numpy())
    out = pd.to_datetime(s.map(lookup))
    bad = s.notna() & out.isna()
    return DateColumn(out, bad, best_label, ambiguous)


#: What an amount may carry besides digits: currency signs and codes, spaces, the Swiss apostrophe.
_MONEY_JUNK = re.compile(r"[$€£¥₹\s\u00a0\u202f']|\b[A-Z]{3}\b")


@dataclass(frozen=True)
class NumberColumn:
    values: pd.Series
    bad: pd.Series
    note: str = ""


def parse_money(s: pd.Series) -> NumberColumn:
    """Amounts in currency units -> integer cents (Int64).

    Currency signs ($ € £ ¥ ₹), ISO codes (USD) and spaces are dropped; other letters make the
    value unreadable; '(1,234)' and '-1,234' are negative. The decimal
    mark is decided per column: a comma when some value ends in ',d' or ',dd' and none ends in
    '.d'/'.dd' (so 1.234,56 is read as 1234.56); the other mark is a thousands separator.
    """
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        f = s.astype("float64")
        cents = np.rint(f * 100)
        return NumberColumn(pd.Series(cents, index=s.index).astype("Int64"), pd.Series(False, index=s.index))
    s = blank_to_na(s)
    uniq = pd.Series(s.dropna().astype("str").unique(), dtype="str")
    if uniq.empty:
        return NumberColumn(pd.Series(pd.NA, index=s.index, dtype="Int64"), pd.Series(False, index=s.index))
    cleaned = uniq.str.replace(_MONEY_JUNK, "", regex=True)
    negative = cleaned.str.startswith("-") | cleaned.str.endswith("-") | cleaned.str.startswith("(")
    cleaned = cleaned.str.replace(r"[()\-]", "", regex=True)
    comma_decimal = bool(cleaned.str.contains(r",\d{1,2}$").any()) and not bool(
        cleaned.str.contains(r"\.\d{1,2}$").any()
    )
    if comma_decimal:
        cleaned = cleaned.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
        note = "decimal comma"
    else:
        cleaned = cleaned.str.replace(",", "", regex=False)
        note = ""
    # A dot left more than once (1.234.567 in a decimal-point column) is not a number.
    number = pd.to_numeric(cleaned.mask(cleaned.str.count(r"\.") > 1), errors="coerce")
    number = number.where(~negative, -number)
    cents = pd.Series(np.rint(number.to_numpy(dtype="float64") * 100), index=uniq.index)
    lookup = pd.Series(cents.to_numpy(), index=uniq.to_numpy())
    out = s.map(lookup)
    bad = s.notna() & out.isna()
    return NumberColumn(out.astype("Float64").round().astype("Int64"), bad, note)


def parse_number(s: pd.Series) -> NumberColumn:
    """Plain numbers (thousands separators ',' tolerated) -> float64 with NaN for missing."""
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        return NumberColumn(s.astype("float64"), pd.Series(False, index=s.index))
    s = blank_to_na(s)
    out = _by_unique(s, lambda u: pd.to_numeric(u.str.replace(",", "", regex=False), errors="coerce"))
    out = pd.to_numeric(out, errors="coerce").astype("float64")
    return NumberColumn(out, s.notna() & out.isna())


def parse_percent(s: pd.Series) -> NumberColumn:
    """Probabilities -> 0..1. A column with a '%' sign or any value above 1 is read as 0..100."""
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        v = s.astype("float64")
        percent = bool((v > 1).any())
        return NumberColumn(v / 100 if percent else v, pd.Series(False, index=s.index), "0..100" if percent else "")
    s = blank_to_na(s)
    has_sign = bool(s.dropna().astype("str").str.contains("%", regex=False).any())
    v = parse_number(s.str.replace("%", "", regex=False) if s.notna().any() else s)
    percent = has_sign or bool((v.values > 1).any())
    values = v.values / 100 if percent else v.values
    return NumberColumn(values, v.bad, "0..100" if percent else "")


_TRUE = {"true", "t", "yes", "y", "1", "x", "won", "closed"}
_FALSE = {"false", "f", "no", "n", "0", "open"}


def parse_bool(s: pd.Series) -> NumberColumn:
    """true/false, yes/no, 1/0 (any case) -> boolean (missing stays missing)."""
    if pd.api.types.is_bool_dtype(s):
        return NumberColumn(s.astype("boolean"), pd.Series(False, index=s.index))
    s = blank_to_na(s.astype("str") if not pd.api.types.is_string_dtype(s) else s)

    def read(u: pd.Series) -> pd.Series:
        low = u.str.lower()
        return pd.Series(np.where(low.isin(_TRUE), 1.0, np.where(low.isin(_FALSE), 0.0, np.nan)), index=u.index)

    out = pd.to_numeric(_by_unique(s, read), errors="coerce")
    return NumberColumn(out.map({1.0: True, 0.0: False}).astype("boolean"), s.notna() & out.isna())

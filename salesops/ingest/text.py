"""Text cells: invisible and control characters, and lengths.

A CRM export can carry characters a person never typed: NUL bytes, terminal (ANSI) escapes,
right-to-left overrides that make ``evil.exe`` display as ``exe.live``, zero-width spaces. In an
id they make two ids that look the same differ, so an id (or a rep name, which resolves to an id)
holding one is an error. In other text they are stripped and the row gets a warning. Line breaks
and tabs inside a name become a space. Every text field has a maximum length (docs/IMPORT.md).
"""

from __future__ import annotations

import re

import pandas as pd

from salesops.ingest.parse import blank_to_na
from salesops.ingest.report import ProblemLog
from salesops.ingest.spec import Field

#: ANSI escape sequences (ESC [ … letter), then single control / bidi / zero-width characters.
_ANSI = r"\x1b\[[0-9;?]*[A-Za-z]"
_CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]"
INVISIBLE = f"{_ANSI}|{_CONTROL}"
_ANY_BAD = re.compile(f"{INVISIBLE}|[\t\r\n]")


def check_text(f: Field, raw: pd.Series, col: str, problems: ProblemLog) -> pd.Series:
    """Stripped text with blanks as missing; control characters and over-long cells reported."""
    s = blank_to_na(raw)
    if not (pd.api.types.is_string_dtype(s) or s.dtype == object):
        return s
    s = s.astype("str").mask(s.isna())
    # One regex pass over the distinct values joined (C speed); the per-cell masks only when it hits.
    blob = "\u2028".join(s.dropna().unique())
    if not _ANY_BAD.search(blob):
        if len(blob) > f.max_chars:  # some cell may be too long
            problems.cells("too_long", s.str.len() > f.max_chars, col, s, _too_long(f))
        return s
    bad = s.str.contains(INVISIBLE, regex=True, na=False)
    if f.is_id:
        problems.cells(
            "bad_characters",
            bad | s.str.contains(r"[\t\r\n]", regex=True, na=False),
            col,
            s.str.replace(INVISIBLE, "\N{REPLACEMENT CHARACTER}", regex=True),
            "an id with control, escape or invisible characters (NUL, ANSI escape, right-to-left override …)",
        )
    elif bad.any():
        problems.cells(
            "control_characters",
            bad,
            col,
            s.str.replace(INVISIBLE, "\N{REPLACEMENT CHARACTER}", regex=True),
            "control, escape or invisible characters were removed from this text",
        )
        s = s.str.replace(INVISIBLE, "", regex=True)
    if not f.is_id:
        s = s.str.replace(r"[\t\r\n]+", " ", regex=True)
    problems.cells("too_long", s.str.len() > f.max_chars, col, s, _too_long(f))
    return s


def _too_long(f: Field) -> str:
    return f"longer than {f.max_chars:,} characters" + (
        " (ids are short: is this the right column?)" if f.is_id else ""
    )

"""Cells -> values: every mapped field of a frame read by its kind, each unreadable cell reported.

Dates, amounts and percentages are read per column (one format, decimal mark, scale for the whole
column, ``salesops.ingest.parse`` / ``money``); a chunk of a larger file reads them as the whole
file's columns decided (``salesops.ingest.chunked.Profile``).
"""

from __future__ import annotations

import pandas as pd

from salesops.ingest.money import parse_money
from salesops.ingest.parse import parse_bool, parse_dates, parse_number, parse_percent
from salesops.ingest.report import ProblemLog
from salesops.ingest.spec import TableSpec
from salesops.ingest.text import check_text


def parse_fields(
    spec: TableSpec,
    c: pd.DataFrame,
    src: dict,
    problems: ProblemLog,
    notes: list[str],
    date_order,
    decimal_mark=None,
    profile=None,
):
    """Parse every mapped field by kind into ``c`` (in place); report cells that cannot be read.

    With a ``profile`` (one chunk of a file), dates, amounts and percentages are read as the whole
    file's columns decided (the profile has the notes); other kinds are read cell by cell anyway.
    """
    dates = {}
    for f in spec.fields:
        if f.name not in c:
            continue
        col = src[f.name]
        if profile is not None and f.kind in DECIDED_KINDS:
            if f.kind != "date":  # dates are read after every other field, as below
                profile.apply(f.name, c, col, problems)
            continue
        if f.kind == "date":
            dates[f.name] = parse_dates(c[f.name], prefer=date_order)
        elif f.kind == "money":
            m = parse_money(c[f.name], decimal_mark)
            for kind in sorted(set(m.problems) - {""}):
                problems.cells(kind, m.problems == kind, col, c[f.name], m.reasons)
            notes.extend(f"{col}: {n}" for n in m.notes)
            c[f.name] = m.values
        elif f.kind == "percent":
            r = parse_percent(c[f.name])
            problems.cells("bad_number", r.bad, col, c[f.name], "not a probability (0..1, 0..100 or 55%)")
            if r.note:
                notes.append(f"{col}: read as a percentage 0..100 and divided by 100")
            vals = pd.Series(r.values, index=c.index)
            out = vals.notna() & ((vals < 0) | (vals > 1))
            problems.cells("bad_probability", out, col, c[f.name], "probability outside 0..100%")
            c[f.name] = vals.astype("Float64")
        elif f.kind in ("int", "float"):
            c[f.name] = _parse_count(f, c[f.name], col, problems)
        elif f.kind == "bool":
            r = parse_bool(c[f.name])
            problems.cells("bad_value", r.bad, col, c[f.name], "not true/false (true, false, yes, no, 1, 0)")
            c[f.name] = r.values
        else:
            c[f.name] = check_text(f, c[f.name], col, problems)
    if profile is not None:
        for f in spec.fields:
            if f.kind == "date" and f.name in c:
                profile.apply(f.name, c, src[f.name], problems)
        return
    # Dates: one format per column; an ambiguous column (days and months all <= 12) follows the
    # US/EU order proven by another date column of the same file, else date_order, else US.
    why_order = "as --dates says"
    if date_order is None:
        proven = [d.format for d in dates.values() if d.format and not d.ambiguous and d.format[:2] in ("US", "EU")]
        prefer = proven[0][:2] if proven else None
        dates = {k: (parse_dates(c[k], prefer=prefer) if d.ambiguous else d) for k, d in dates.items()}
        why_order = (
            "like the file's other date columns" if prefer else "month first by default; use --dates eu if day-first"
        )
    for name, d in dates.items():
        col = src[name]
        why = f"not a date in this column's format ({d.format})" if d.format else "not a date (ISO, US or EU format)"
        problems.cells("bad_date", d.bad, col, c[name], why)
        if d.format and d.format != "datetime":
            extra = f" (ambiguous: every day is 12 or less; read {why_order})" if d.ambiguous else ""
            notes.append(f"{col}: dates read as {d.format}{extra}")
        c[name] = d.values


#: Field kinds read per column (one date format, decimal mark, percent scale for the whole column).
DECIDED_KINDS = ("date", "money", "percent")


def _parse_count(f, raw: pd.Series, col: str, problems: ProblemLog) -> pd.Series:
    """A number field: unreadable, not finite, not whole (int fields) or outside the field's bounds."""
    r = parse_number(raw)
    nonfinite = r.nonfinite if r.nonfinite is not None else pd.Series(False, index=raw.index)
    problems.cells("not_finite", nonfinite, col, raw, "not a finite number")
    problems.cells("bad_number", r.bad & ~nonfinite, col, raw, "not a number")
    v = r.values
    if f.kind == "int":
        problems.cells("bad_number", v.notna() & (v != v.round()), col, raw, "not a whole number")
    if f.bounds is not None:
        low, high = f.bounds
        outside = v.notna() & (((v <= low) if f.open_low else (v < low)) | (v > high))
        what = f"{'above' if f.open_low else 'from'} {low:g} {'and at most' if f.open_low else 'to'} {high:g}"
        problems.cells("out_of_range", outside, col, raw, f"{f.name} must be {what}")
    return v

"""Safe output: CSV/JSON for downloads and the CLI.

Spreadsheet programs execute a cell that starts with ``=``, ``+``, ``-`` or ``@`` (CSV injection).
Text cells starting that way are prefixed with a single quote; numbers stay numbers.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal

import pandas as pd

_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """Prefix a text value that a spreadsheet would run as a formula with ``'``."""
    if isinstance(value, str) and value.startswith(_DANGEROUS):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Copy of ``frame`` with every text cell neutralised (column names too)."""
    out = frame.copy()
    out.columns = [neutralise(str(c)) for c in out.columns]
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(neutralise)
    return out


def to_csv(frame: pd.DataFrame) -> str:
    """CSV text with formula-like cells neutralised."""
    return safe_frame(frame).to_csv(index=False)


def _default(o):
    if isinstance(o, (date, datetime)):
        return o.isoformat()
    if isinstance(o, Decimal):
        return str(o)
    if hasattr(o, "item"):
        return o.item()
    return str(o)


def to_json(frame: pd.DataFrame) -> str:
    """JSON list of records (dates ISO, NaN as null)."""
    records = frame.astype(object).where(frame.notna(), None).to_dict("records")
    return json.dumps(records, default=_default, indent=1)


def render(frame: pd.DataFrame, fmt: str) -> str:
    """The CLI's output in ``fmt`` (csv or json)."""
    return to_json(frame) if fmt == "json" else to_csv(frame)

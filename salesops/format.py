"""How numbers read: money and percentages for pages, documents and the CLI (one place, one style).

Money arrives as integer cents. Missing values read as "—", never "None" or "nan".
"""

from __future__ import annotations

from decimal import Decimal

import pandas as pd

MISSING = "—"
HIDDEN = "•••"


def _missing(x: object) -> bool:
    """None, NaN, NaT or pandas' NA."""
    return x is None or bool(pd.api.types.is_scalar(x) and pd.isna(x))


def money(cents: int | float | None, hide: bool = False) -> str:
    """$1.2M / $350k / $900 from integer cents; "—" for none; "•••" when hidden."""
    if hide:
        return HIDDEN
    if cents is None or _missing(cents):
        return MISSING
    d = cents / 100.0
    for unit, size in (("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(d) >= size:
            return f"${d / size:,.1f}{unit}"
    return f"${d:,.0f}"


def dollars(cents: int | float | None) -> str:
    """Whole dollars with thousands separators ("$1,618,110"); "—" for none."""
    if cents is None or _missing(cents):
        return MISSING
    return f"${round(cents / 100):,}"


def pct(x: float | None, digits: int = 0) -> str:
    """A rate (0.27) as "27%"; "—" for none."""
    return MISSING if x is None or _missing(x) else f"{x * 100:.{digits}f}%"


def delta_pct(now: float | None, before: float | None) -> str | None:
    """Relative change as "+12%" (for st.metric), None when there is nothing to compare."""
    if now is None or before is None or _missing(before) or _missing(now) or before == 0:
        return None
    return f"{(now - before) / abs(before) * 100:+.0f}%"


def delta_pts(now: float | None, before: float | None) -> str | None:
    """Change of a rate in percentage points, "+3 pts"; None when there is nothing to compare."""
    if now is None or before is None or _missing(before) or _missing(now):
        return None
    return f"{(now - before) * 100:+.0f} pts"


def exact_dollars(cents: int) -> str:
    """Exact dollars from integer cents (pay documents): 123456 -> "$1,234.56", -5 -> "−$0.05"."""
    sign = "−" if cents < 0 else ""
    c = abs(int(cents))
    return f"{sign}${c // 100:,}.{c % 100:02d}"


def decimal_pct(x: Decimal) -> str:
    """An exact rate as a percentage with no float noise: Decimal("0.755") -> "75.5%"."""
    return f"{(x * 100).normalize():f}%"

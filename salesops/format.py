"""How numbers read: money and percentages for pages, documents and the CLI (one place, one style).

Money arrives as integer cents. Missing values read as "—", never "None" or "nan". Tables: every
column a page shows has a human header and a kind (money, percent, count …) in :data:`COLUMNS`;
``pages/ui/tables.py`` turns those into Streamlit column configuration, so headers and number
formats are decided here once.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd

MISSING = "—"
HIDDEN = "•••"


def _missing(x: object) -> bool:
    """None, NaN, NaT or pandas' NA."""
    return x is None or bool(pd.api.types.is_scalar(x) and pd.isna(x))


def money(cents: int | float | None, hide: bool = False) -> str:
    """A tile's compact money from integer cents, three significant digits: $1.75M / $352k / $12.3k / $900.

    Three digits so that a slider move of a few percent shows on the tile ($1.75M vs $1.71M);
    "—" for none; "•••" when hidden.
    """
    if hide:
        return HIDDEN
    if cents is None or _missing(cents):
        return MISSING
    d = cents / 100.0
    sign = "−" if d < 0 else ""
    d = abs(d)
    for unit, size in (("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if d >= size * 0.9995:
            v = d / size
            if round(v, 2) >= 1000 and unit != "B":
                continue
            decimals = 2 if v < 9.995 else 1 if v < 99.95 else 0
            return f"{sign}${v:,.{decimals}f}{unit}"
    return f"{sign}${d:,.0f}"


def dollars(cents: int | float | None) -> str:
    """Whole dollars with thousands separators ("$1,618,110"); "—" for none."""
    if cents is None or _missing(cents):
        return MISSING
    return f"${round(cents / 100):,}"


def count(n: int, noun: str, plural: str | None = None) -> str:
    """A count with its noun in the right number: "1 quarter", "3 quarters", "1,204 rows" (never "(s)")."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"


def pct(x: float | None, digits: int = 0) -> str:
    """A rate (0.27) as "27%"; "—" for none."""
    return MISSING if x is None or _missing(x) else f"{x * 100:.{digits}f}%"


def shown_rate(x: float, digits: int = 0) -> float:
    """The rate :func:`pct` shows, as a number (0.747 -> 0.75 at 0 digits), a billionth away from zero so
    that a display which cuts extra digits (the data grid) cannot fall below it: 0.29 is 0.28999… in binary."""
    return float(f"{x * 100:.{digits}f}") / 100 + math.copysign(1e-9, x)


def elapsed(done_days: int, total_days: int, unit: str) -> str:
    """How far a period is: "day 1 of 31" for a month or week, "67% of the quarter elapsed" otherwise."""
    if done_days >= total_days:
        return f"{unit} complete"
    if unit in ("week", "month"):
        return f"day {done_days} of {total_days} of the {unit}"
    return f"{pct(done_days / total_days)} of the {unit} elapsed"


def pace(share: float | None, elapsed_share: float) -> str:
    """A to-date rate against the elapsed share: "on pace for 103%" ("—" before the period starts)."""
    if share is None or _missing(share) or elapsed_share <= 0:
        return MISSING
    return f"on pace for {pct(share / elapsed_share)}"


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


# ---- tables ----------------------------------------------------------------------------------------

#: How a column's values read. money: integer cents shown as whole dollars; pct: a rate shown as a
#: whole percentage (pct1: one decimal); progress: a rate as a bar; count: an integer with separators;
#: score: two decimals; signed: "+12"; ratio: "1.2×"; days: "34 days"; date; check (a tick); text.
KINDS = ("text", "money", "pct", "pct1", "progress", "count", "score", "signed", "ratio", "days", "date", "check")


@dataclass(frozen=True)
class Col:
    """How one table column reads: its header, its kind (one of KINDS) and its tooltip."""

    label: str
    kind: str = "text"
    help: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}; one of {', '.join(KINDS)}")


#: The headers and kinds of every column name the library returns that a page shows.
COLUMNS: dict[str, Col] = {
    "team": Col("Team"),
    "region": Col("Region"),
    "rep": Col("Rep"),
    "name": Col("Name"),
    "role": Col("Role"),
    "account": Col("Account"),
    "product": Col("Product"),
    "stage": Col("Stage"),
    "outcome": Col("Outcome today"),
    "kind": Col("Change"),
    "bucket": Col("Bucket"),
    "flag": Col("Flag"),
    "note": Col("Note"),
    "status": Col("Status"),
    "tool": Col("Tool"),
    "category": Col("Category"),
    "source": Col("Source"),
    "forecast_category": Col("Forecast category"),
    "deal_id": Col("Deal ID", help="The deal's id in the CRM, to look it up there."),
    "won_cents": Col("Won", "money"),
    "quota_cents": Col("Quota", "money"),
    "amount_cents": Col("Amount", "money"),
    "value_cents": Col("Value", "money"),
    "pipeline_cents": Col("Pipeline", "money"),
    "amount_change_cents": Col("Amount change", "money"),
    "attainment": Col("Attainment", "pct"),
    "win_rate": Col("Win rate", "pct"),
    "share_at_quota": Col("Reps at quota", "pct"),
    "probability": Col("Probability", "pct"),
    "response_rate": Col("Response rate", "pct"),
    "csat": Col("CSAT", "pct", "Share of answers rating satisfaction 4 or 5."),
    "share": Col("Share", "pct"),
    "top_share": Col("Top rep's share", "pct"),
    "step_conversion": Col("Step conversion", "pct"),
    "company_step_conversion": Col("Company step", "pct"),
    "overall_conversion": Col("Overall", "pct"),
    "won_count": Col("Won deals", "count"),
    "lost_count": Col("Lost deals", "count"),
    "count": Col("Count", "count"),
    "answers": Col("Answers", "count"),
    "answered": Col("Answered", "count"),
    "links": Col("Links", "count"),
    "leads": Col("Leads", "count"),
    "reps": Col("Reps", "count"),
    "teams": Col("Teams", "count"),
    "tools": Col("Tools", "count"),
    "flagged": Col("Flagged", "count"),
    "mentions": Col("Mentions", "count"),
    "nps": Col("NPS", "signed", "% rating 9–10 minus % rating 0–6 (−100 … +100)."),
    "mean_satisfaction": Col("Mean satisfaction", "score", "1 (poor) … 5 (excellent)."),
    "mean_ease": Col("Mean ease", "score", "1 (hard) … 5 (easy)."),
    "fte": Col("FTE", "score"),
    "fair_share": Col("Fair share", "score", "Leads the rep would get if leads followed capacity."),
    "ratio": Col("Leads ÷ fair share", "ratio"),
    "quality_ratio": Col("Quality-adjusted ratio", "ratio"),
    "gini": Col("Gini", "score", "0 = every rep got the same; (n−1)/n = one rep got all."),
    "capacity_gini": Col("Gini vs capacity", "score"),
    "quality_gini": Col("Gini, quality-adjusted", "score"),
    "cycle_days": Col("Cycle", "days"),
    "days_moved": Col("Days moved", "days"),
    "created_date": Col("Created", "date"),
    "close_date": Col("Close date", "date"),
    "opens_on": Col("Opens", "date"),
    "closes_on": Col("Closes", "date"),
    "on": Col("On", "date"),
    "in_range": Col("In the period", help="What the deal was in the chosen period: won, lost or open at its end."),
    "ramping": Col("Ramping", "check"),
    "used": Col("Used", "check"),
}

_SNAKE = re.compile(r"_+")


def humanize(name: str) -> str:
    """A header from a column name when no rule exists: "response_rate" -> "Response rate"."""
    words = _SNAKE.sub(" ", name.removesuffix("_cents")).strip()
    return words[:1].upper() + words[1:]


def column(name: str) -> Col:
    """The rule for a column name: its entry in COLUMNS, else a humanized text header."""
    return COLUMNS.get(name) or Col(humanize(name), "money" if name.endswith("_cents") else "text")


#: What can turn text into markup that fetches or links: brackets and "!" (links, images), "<>"
#: (autolinks, HTML), ":" and "." (bare-URL autolinks: https://…, www.…), "`*_~" (code, emphasis),
#: "$" (maths) and the backslash itself. Parentheses, "-" and "#" alone make nothing in mid-line
#: text, so names such as "Mid-Market (EMEA)" stay readable in the Markdown source.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>!~$:.])")


def md_escape(text: object) -> str:
    """User or file text made inert in Markdown: every markup character backslash-escaped, newlines
    flattened, so a name like ``![x](https://…)`` shows as those characters and fetches nothing."""
    return _MD_SPECIAL.sub(r"\\\1", str(text).replace("\r", " ").replace("\n", " "))


def cell_text(value: object, kind: str) -> str:
    """One table cell as the text a printed (or presentation-mode) table shows, by column kind:
    money in whole dollars from cents, rates as percentages, "—" for missing; never "None" or "nan"."""
    if kind == "check":
        return "✓" if value is True or (not _missing(value) and bool(value)) else ""
    if value is None or _missing(value):
        return MISSING
    if kind == "money":  # whole dollars, half a dollar up (as the data grids round: pages/ui/tables.py)
        d = float(value) / 100  # type: ignore[arg-type]
        whole = math.floor(abs(d) + 0.5)
        return f"{'−' if d < 0 and whole else ''}${whole:,}"
    if kind in ("pct", "progress"):
        return pct(float(value))  # type: ignore[arg-type]
    if kind == "pct1":
        return pct(float(value), 1)  # type: ignore[arg-type]
    formats = {"count": "{:,.0f}", "score": "{:.2f}", "signed": "{:+.0f}", "ratio": "{:.2f}×", "days": "{:.0f} days"}
    if kind in formats:
        return formats[kind].format(float(value))  # type: ignore[arg-type]
    if kind == "date":
        day = pd.Timestamp(value)
        return f"{day.day} {day.strftime('%b %Y')}"
    return str(value)

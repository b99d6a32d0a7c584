"""Do the weekly and monthly views of one quarter (or month) agree? And if not, why not.

The Forecasts page's "Prophet alone" section forecasts won revenue per week or per month; the same
quarter's total can be read from either. :func:`grain_agreement` fits (or reads) both and compares
their P10/P50/P90 of the period's total (won before the forecast starts + the forecast of the
rest): they **agree** when each view's P50 lies inside the other's P10–P90 range. When they do not,
the message says why, from the figures: the monthly model sees whole months only (what is already
won in the current month is forecast again, not counted), and ranges whose backtest coverage is far
below their nominal 80 % are too narrow to overlap. docs/FORECASTS.md, "Weekly and monthly".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.engine import Engine

from salesops.access import Viewer
from salesops.forecasts.model import default_horizon
from salesops.forecasts.service import forecast_series
from salesops.forecasts.targets import TargetOutlook, outlook_for

#: A backtest coverage of the 80 % range below this is called too narrow in the message.
NARROW = 0.7


@dataclass(frozen=True)
class GrainRange:
    """One grain's view of the period's total (cents) and its range's backtest coverage (0..1)."""

    grain: str
    p10: float
    p50: float
    p90: float
    won_before: float
    forecast_from: date
    coverage: float | None


@dataclass(frozen=True)
class Agreement:
    """The weekly and monthly views of ``period``, whether they agree, and the sentence for the page."""

    period: str
    week: GrainRange
    month: GrainRange
    agree: bool
    message: str


def range_of(out: TargetOutlook, grain: str, coverage: float | None) -> GrainRange:
    """The P10/P50/P90 of a :class:`TargetOutlook` asked with confidence 0.1 (P90 = reached 1 in 10)."""
    levels = dict(out.suggested)
    return GrainRange(
        grain, levels[0.9], out.expected_cents, levels[0.1], out.won_to_date_cents, out.forecast_from, coverage
    )


def _inside(x: float, r: GrainRange) -> bool:
    return r.p10 <= x <= r.p90


def _money(cents: float) -> str:
    return f"${cents / 100:,.0f}"


def _span(r: GrainRange) -> str:
    return f"{r.grain}ly P50 {_money(r.p50)} (P10–P90 {_money(r.p10)}–{_money(r.p90)})"


def compare(period: str, week: GrainRange, month: GrainRange) -> Agreement:
    """Agreement of the two views (each P50 inside the other's range) and the message saying why not."""
    agree = _inside(week.p50, month) and _inside(month.p50, week)
    head = f"Weekly and monthly views of {period}"
    if agree:
        return Agreement(period, week, month, True, f"{head} agree: {_span(week)}; {_span(month)}.")
    reasons = []
    known = week.won_before - month.won_before
    if known > 0:
        counted_to = week.forecast_from - timedelta(days=1)
        reasons.append(
            f"the monthly model sees whole months only: it forecasts all of the current month instead of counting "
            f"the {_money(known)} won from {month.forecast_from} to {counted_to}, which the weekly view counts"
        )
    narrow = [
        f"{r.grain}ly {r.coverage * 100:.0f}%" for r in (week, month) if r.coverage is not None and r.coverage < NARROW
    ]
    if narrow:
        reasons.append(
            f"their 80% ranges covered only {' and '.join(narrow)} of past outcomes in the backtest, so they are "
            "too narrow to overlap"
        )
    if not reasons:
        reasons.append("they are separate fits of differently noisy series (weeks are noisier than months)")
    why = "; ".join(reasons)
    return Agreement(
        period,
        week,
        month,
        False,
        f"{head} do not agree: {_span(week)} vs {_span(month)}. Why: {why}. Neither sees the open pipeline; "
        "the outlook at the top does.",
    )


def grain_agreement(
    engine: Engine,
    by: str,
    series: str | None,
    today: date,
    period: str,
    country: str | None = None,
    viewer: Viewer | None = None,
) -> Agreement:
    """:func:`compare` of the weekly and monthly forecasts (default horizons) of ``period`` ('2026-Q4')."""
    ranges = {}
    for grain in ("week", "month"):
        result = forecast_series(engine, by, series, grain, default_horizon(today, grain), country, today, viewer)
        out = outlook_for(engine, result, period, today, confidence=0.1)
        ranges[grain] = range_of(out, grain, result.accuracy.coverage)
    return compare(period, ranges["week"], ranges["month"])

"""Do the weekly and monthly views of one quarter (or month) agree? And if not, why not.

The Forecasts page's "Prophet alone" section forecasts won revenue per week or per month; the same
quarter's total can be read from either. :func:`grain_agreement` fits (or reads) both and compares
their P10/P50/P90 of the period's total (won before the forecast starts + the forecast of the
rest): they **agree** when each view's P50 lies inside the other's P10–P90 range. When they do not,
the message says why, from the figures: the monthly model sees whole months only (what is already
won in the current month is forecast again, not counted), and ranges whose backtest coverage is far
below their nominal 80 % are too narrow to overlap. docs/FORECASTS.md, "Weekly and monthly".

The two ranges are stored in ``forecast_cache`` per series, period, 'today' and data version (one
small row; the message is rebuilt from them), so the page reads them instead of decoding two fits
and querying actuals, quota and pipeline twice; :func:`warm_agreement` computes the company's ahead,
with the model choice.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date, timedelta

from sqlalchemy.engine import Engine

from salesops import store
from salesops.access import Viewer, check_series
from salesops.errors import InvalidFilter
from salesops.forecasts.cache import read_current, write_current
from salesops.forecasts.history import check_by
from salesops.forecasts.model import MODEL_VERSION, NotEnoughHistory, default_horizon
from salesops.forecasts.outlook_cache import current_period
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
    """:func:`compare` of the weekly and monthly forecasts (default horizons) of ``period`` ('2026-Q4'):
    the two ranges read from ``forecast_cache`` when stored at this data version, else computed
    (:func:`grain_ranges`) and stored."""
    check_by(by)
    series = None if by == "company" else series
    check_series(viewer, by, series)
    key = _key(by, series, period, country, today)
    ranges = _decode(read_current(engine, [key]).get(key))
    if ranges is None:
        version = store.data_version(engine)
        ranges = grain_ranges(engine, by, series, today, period, country)
        _write(engine, key, version, ranges)
    return compare(period, *ranges)


def grain_ranges(
    engine: Engine, by: str, series: str | None, today: date, period: str, country: str | None = None
) -> tuple[GrainRange, GrainRange]:
    """The weekly and the monthly :class:`GrainRange` of ``period``, from the (stored) fits."""
    ranges = {}
    for grain in ("week", "month"):
        result = forecast_series(engine, by, series, grain, default_horizon(today, grain), country, today)
        out = outlook_for(engine, result, period, today, confidence=0.1)
        ranges[grain] = range_of(out, grain, result.accuracy.coverage)
    return ranges["week"], ranges["month"]


def _key(by: str, series: str | None, period: str, country: str | None, today: date) -> str:
    return "|".join(["agreement", f"m{MODEL_VERSION}", by, series or "", period, country or "", today.isoformat()])


def _decode(payload: str | None) -> tuple[GrainRange, GrainRange] | None:
    if payload is None:
        return None
    try:
        week, month = (
            GrainRange(**{**r, "forecast_from": date.fromisoformat(r["forecast_from"])}) for r in json.loads(payload)
        )
    except (ValueError, KeyError, TypeError):  # written by other code: compute again
        return None
    return week, month


def _write(engine: Engine, key: str, version: int, ranges: tuple[GrainRange, GrainRange]) -> None:
    """Store the two ranges (a plain transaction: derived data must not bump the data version)."""
    write_current(
        engine, key, version, json.dumps([{**asdict(r), "forecast_from": r.forecast_from.isoformat()} for r in ranges])
    )


def warm_agreement(engine: Engine, today: date) -> bool:
    """Compute and store the company's weekly-vs-monthly comparison of the current quarter (two
    Prophet fits when not stored); False when the history is too short or does not cover it."""
    try:
        grain_agreement(engine, "company", None, today, current_period("quarter", today))
    except (InvalidFilter, NotEnoughHistory):
        return False
    return True

"""Forecast against target: the chance of reaching quota in a quarter or month, the gap, suggested
targets, and the pipeline-weighted figure beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from salesops.access import Viewer
from salesops.errors import InvalidFilter
from salesops.forecasts.history import series_scope
from salesops.forecasts.model import probability_at_least, value_at_confidence
from salesops.forecasts.series import SeriesForecast
from salesops.forecasts.service import forecast_series
from salesops.scope import Scope, period_end, period_start
from salesops.store.probability import weighted_cents_sql
from salesops.store.sql import QUOTA_IN_WINDOW, quota_params, scope_filter


@dataclass(frozen=True)
class TargetOutlook:
    """A quarter or month against its quota, from the forecast distribution (cents; rates 0..1).

    * ``won_to_date_cents``: won in the window before the forecast starts (actuals);
    * ``expected_cents``: won to date + the median forecast of the rest;
    * ``probability``: P(won to date + forecast ≥ quota), None without a quota;
    * ``gap_cents``: quota − expected (positive: short of quota);
    * ``suggested``: (confidence, target) pairs, e.g. (0.9, x): x is reached with 90% probability;
    * ``pipeline_cents``: won to today + open deals × probability expected to close in the window.
    """

    label: str
    start: date
    end: date
    forecast_from: date
    won_to_date_cents: int
    quota_cents: int | None
    expected_cents: float
    probability: float | None
    gap_cents: float | None
    suggested: tuple[tuple[float, float], ...]
    won_to_today_cents: int
    pipeline_weighted_cents: float
    pipeline_cents: float


CONFIDENCES = (0.5, 0.7, 0.9)


@dataclass(frozen=True)
class _Figures:
    won_before: int
    won_today: int
    quota: int
    weighted: float


def _figures(engine: Engine, scope: Scope, today: date, before: date, upto: date, open_from: date) -> _Figures:
    """The window's actuals, quota and pipeline in one statement (one round trip): won from its start
    to ``before`` and to ``upto`` (an end before the start gives 0), its quota (whole months), and
    the open deals × probability whose expected close (overdue ones: today) falls in [open_from, end].
    Won deals are read from deal_kinds' copy (won deals in close-date order: a window reads a few
    row groups), as the other won-revenue readers do."""
    won_where, params = scope_filter(scope, alias="w")
    rep_where, rep_params = scope_filter(scope, alias="r")
    open_where, open_params = scope_filter(scope, alias="d")
    won = "SELECT COALESCE(SUM(w.amount_cents), 0) FROM deal_kinds w WHERE w.kind IS NOT NULL AND w.close_date BETWEEN :start AND {}"
    sql = sa.text(
        f"""
        SELECT ({won.format(":won_before")} {won_where}) AS won_before,
               ({won.format(":won_upto")} {won_where}) AS won_today,
               (SELECT COALESCE(SUM(qw.quota_cents), 0) FROM ({QUOTA_IN_WINDOW}) qw JOIN reps r USING (rep_id)
                WHERE 1 = 1 {rep_where}) AS quota,
               (SELECT COALESCE({weighted_cents_sql("d.amount_cents", "d.probability_bp")}, 0)
                FROM deals d
                WHERE d.outcome = 'open' AND d.amount_cents IS NOT NULL
                  AND GREATEST(COALESCE(d.close_date, :today), :today) BETWEEN :open_from AND :end {open_where}) AS weighted
        """  # noqa: S608 - scope_filter and the fragments are ours, values bound
    )
    binds = {
        **params,
        **rep_params,
        **open_params,
        **quota_params(scope),  # the window is whole months
        "start": scope.start,
        "end": scope.end,
        "won_before": before,
        "won_upto": upto,
        "today": today,
        "open_from": open_from,
    }
    with engine.connect() as conn:
        row = conn.execute(sql, binds).one()
    return _Figures(int(row.won_before), int(row.won_today), int(round(row.quota or 0)), float(row.weighted))


def target_outlook(
    engine: Engine,
    by: str,
    series: str | None,
    grain: str,
    horizon: int,
    country: str | None,
    today: date,
    window: str,
    confidence: float = 0.7,
    viewer: Viewer | None = None,
) -> TargetOutlook:
    """The forecast of quarter/month ``window`` (a label such as '2026-Q4') against its quota.

    Uses the (cached) forecast of the series; see :class:`TargetOutlook` for the figures.
    ``confidence`` adds one more suggested target next to P50/P70/P90.
    """
    result = forecast_series(engine, by, series, grain, horizon, country, today, viewer)
    return outlook_for(engine, result, window, today, confidence)


def outlook_for(
    engine: Engine, result: SeriesForecast, window: str, today: date, confidence: float = 0.7
) -> TargetOutlook:
    """:func:`target_outlook` for an already computed forecast (quota, actuals and pipeline from SQL)."""
    chosen = next((w for w in result.windows if w.label == window), None)
    if chosen is None:
        labels = ", ".join(w.label for w in result.windows) or "none"
        raise InvalidFilter(
            f"The forecast does not cover the period {window!r}.",
            f"Pick one of: {labels} (or a longer horizon).",
        )
    scope = series_scope(result.by, result.series, chosen.start, chosen.end)
    # An end before the start sums nothing: no actuals before a forecast starting on the first
    # day, and none "to today" for a window that has not begun.
    fig = _figures(
        engine,
        scope,
        today,
        before=chosen.forecast_from - timedelta(days=1),
        upto=min(today, chosen.end),
        open_from=max(today, chosen.start),
    )
    won_before, quota, won_today, weighted = fig.won_before, fig.quota, fig.won_today, fig.weighted
    need = quota - won_before
    median = value_at_confidence(chosen.quantiles, 0.5)
    levels = tuple(sorted({*CONFIDENCES, round(float(confidence), 2)}))
    suggested = tuple((c, won_before + value_at_confidence(chosen.quantiles, c)) for c in levels)
    expected = won_before + median
    return TargetOutlook(
        label=chosen.label,
        start=chosen.start,
        end=chosen.end,
        forecast_from=chosen.forecast_from,
        won_to_date_cents=won_before,
        quota_cents=quota or None,
        expected_cents=expected,
        probability=probability_at_least(chosen.quantiles, need) if quota else None,
        gap_cents=(quota - expected) if quota else None,
        suggested=suggested,
        won_to_today_cents=won_today,
        pipeline_weighted_cents=weighted,
        pipeline_cents=won_today + weighted,
    )


def window_labels(result: SeriesForecast) -> list[str]:
    """Labels of the quarters/months the forecast covers, quarters first."""
    return [w.label for w in result.windows]


def default_window(result: SeriesForecast, today: date) -> str | None:
    """The current quarter when the forecast covers it, else the first window."""
    current = period_start(today, "quarter")
    for w in result.windows:
        if w.start == current and w.end == period_end(current, "quarter"):
            return w.label
    return result.windows[0].label if result.windows else None

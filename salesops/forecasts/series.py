"""One series' forecast and track record: the fit plus the backtest, with no engine (this is what the
worker processes of :mod:`salesops.forecasts.pool` run).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from salesops.forecasts.backtest import Accuracy, accuracy, rolling_origin, verdict
from salesops.forecasts.model import ForecastSpec, TargetWindow, fit_forecast, target_windows


@dataclass(frozen=True, eq=False)
class SeriesForecast:
    """One series' forecast and track record.

    ``history``: ds, y (cents). ``forecast``: ds, yhat, yhat_lower, yhat_upper (cents, 80%
    interval, clipped at 0). ``backtest``: backtest points (salesops.forecasts.backtest.POINT_COLUMNS).
    ``windows``: quarters/months the horizon covers, with the forecast total's percentiles.
    """

    by: str
    series: str | None
    label: str
    spec: ForecastSpec
    today: date
    history: pd.DataFrame
    forecast: pd.DataFrame
    backtest: pd.DataFrame
    accuracy: Accuracy
    yearly: bool
    notes: tuple[str, ...] = field(default=())
    windows: tuple[TargetWindow, ...] = field(default=())
    from_cache: bool = False

    @property
    def verdict(self) -> str:
        return verdict(self.accuracy, self.label)


def compute_series(
    history: pd.DataFrame, spec: ForecastSpec, by: str, series: str | None, label: str, today: date
) -> SeriesForecast:
    """Fit and backtest one series (no engine: this is what the worker processes run)."""
    fc = fit_forecast(history, spec, what=label)
    points = rolling_origin(history, spec)
    notes = list(fc.notes)
    if len(points) == 0:
        notes.append(f"Too little history for a backtest of {label}: the track record needs more {spec.grain}s.")
    return SeriesForecast(
        by=by,
        series=series,
        label=label,
        spec=spec,
        today=today,
        history=history[["ds", "y"]].reset_index(drop=True),
        forecast=fc.frame,
        backtest=points,
        accuracy=accuracy(points),
        yearly=fc.yearly,
        notes=tuple(notes),
        windows=target_windows(fc, spec.grain),
    )

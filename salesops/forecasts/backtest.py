"""The forecast's track record: a rolling-origin backtest and its accuracy metrics.

Pure functions over frames. :func:`rolling_origin` cuts the history at several origins, forecasts
the next ``horizon`` periods from each with the given forecaster (Prophet by default; tests inject a
stub) and lines the forecasts up with what happened, next to a seasonal-naive baseline.
:func:`accuracy` turns those points into WAPE, MAPE, MASE (Hyndman's), the relative MAE against
the baseline and interval coverage. Definitions:
docs/FORECASTS.md ("Track record").
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from salesops.forecasts.model import MIN_PERIODS, SEASON, ForecastSpec, NotEnoughHistory, fit_forecast, trim_history

#: Origins per backtest, and the share of the mean actual below which a period is "near zero".
CUTOFFS = 4
NEAR_ZERO_SHARE = 0.1

#: forecaster(train[ds, y], spec) -> frame[ds, yhat, yhat_lower, yhat_upper] of spec.horizon rows.
Forecaster = Callable[[pd.DataFrame, ForecastSpec], pd.DataFrame]

POINT_COLUMNS = ["cutoff", "step", "ds", "y", "yhat", "yhat_lower", "yhat_upper", "naive", "scale"]


def prophet_forecaster(train: pd.DataFrame, spec: ForecastSpec) -> pd.DataFrame:
    """The real forecaster: :func:`salesops.forecasts.model.fit_forecast` without predictive samples."""
    return fit_forecast(train, spec, samples=False).frame


@dataclass(frozen=True)
class Accuracy:
    """Backtest metrics (None when undefined). Rates are 0..1; ``rel_mae`` < 1 beats the baseline.

    * ``wape``: Σ|actual − forecast| ÷ Σ|actual| over every backtest point;
    * ``mape``: mean |error| ÷ |actual| over the ``mape_points`` points whose actual is not near zero
      (at least ``NEAR_ZERO_SHARE`` of the mean actual);
    * ``mase``: Hyndman's mean absolute scaled error: each |error| ÷ the in-sample MAE of the
      seasonal-naive forecast on that origin's training data (column ``scale``), averaged;
    * ``rel_mae``: mean |error| of the forecast ÷ mean |error| of the ``baseline`` on the same
      points (called "MASE" before; it is a relative MAE);
    * ``coverage``: share of actuals inside the 80% interval (well calibrated: about 0.8);
    * ``naive_wape``: the baseline's WAPE, for comparison.
    """

    wape: float | None
    mape: float | None
    mape_points: int
    mase: float | None
    rel_mae: float | None
    coverage: float | None
    naive_wape: float | None
    baseline: str
    cutoffs: int
    points: int

    @property
    def beats_naive(self) -> bool | None:
        return None if self.rel_mae is None else self.rel_mae < 1.0


NO_BACKTEST = Accuracy(None, None, 0, None, None, None, None, "none", 0, 0)


def baseline_name(seasonal: bool, grain: str) -> str:
    if seasonal:
        return f"seasonal naive (same {grain} last year, season {SEASON[grain]} {grain}s)"
    return f"naive (last {grain}'s value)"


def cutoff_indices(n: int, horizon: int, grain: str, count: int = CUTOFFS) -> list[int]:
    """Index of the last training period of each origin, latest first.

    Origins are ``horizon // 2`` periods apart (at least 1); the latest leaves exactly ``horizon``
    periods to test on; each keeps at least ``MIN_PERIODS[grain]`` periods to train on.
    """
    spacing = max(1, horizon // 2)
    out = []
    for k in range(count):
        c = n - 1 - horizon - k * spacing
        if c + 1 < MIN_PERIODS[grain]:
            break
        out.append(c)
    return out


def insample_scale(y: np.ndarray, season: int | None) -> float:
    """Hyndman's MASE scale: the mean |y[t] − y[t − m]| over the training data (m = the season,
    or 1 when the data is shorter than a season and one)."""
    m = season if season is not None and len(y) > season else 1
    if len(y) <= m:
        return float("nan")
    return float(np.abs(y[m:] - y[:-m]).mean())


def naive_forecast(y: np.ndarray, cutoff: int, t: int, season: int | None) -> float:
    """Baseline forecast of period ``t`` made at ``cutoff`` using only y[0..cutoff].

    Seasonal naive: the value one (or more) whole seasons before ``t`` that is known at the
    cutoff; plain naive (``season`` None): the last known value.
    """
    if season is None:
        return float(y[cutoff])
    k = math.ceil((t - cutoff) / season)
    return float(y[t - k * season])


def rolling_origin(
    history: pd.DataFrame,
    spec: ForecastSpec,
    forecaster: Forecaster = prophet_forecaster,
    cutoffs: int = CUTOFFS,
) -> pd.DataFrame:
    """Backtest points (:data:`POINT_COLUMNS`): each origin's forecasts beside the actuals.

    ``history``: ds, y (one row per period, zeros included). ``spec.horizon`` periods are forecast
    from each origin. The baseline is seasonal naive when the earliest origin has a full season of
    training data, plain naive otherwise (column ``naive``; its name: :func:`points_baseline`).
    Origins whose training data is too thin for the forecaster are skipped.
    """
    frame = trim_history(history)
    y = frame["y"].to_numpy(dtype=float)
    idx = cutoff_indices(len(frame), spec.horizon, spec.grain, cutoffs)
    if not idx:
        return pd.DataFrame(columns=POINT_COLUMNS)
    season = SEASON[spec.grain] if min(idx) + 1 >= SEASON[spec.grain] else None
    parts = []
    for c in idx:
        train = frame.iloc[: c + 1]
        try:
            fc = forecaster(train, spec).reset_index(drop=True)
        except NotEnoughHistory:
            continue
        test = frame.iloc[c + 1 : c + 1 + spec.horizon].reset_index(drop=True)
        steps = np.arange(1, len(test) + 1)
        parts.append(
            pd.DataFrame(
                {
                    "cutoff": frame["ds"].iloc[c],
                    "step": steps,
                    "ds": test["ds"],
                    "y": test["y"].astype(float),
                    "yhat": fc["yhat"].iloc[: len(test)].to_numpy(dtype=float),
                    "yhat_lower": fc["yhat_lower"].iloc[: len(test)].to_numpy(dtype=float),
                    "yhat_upper": fc["yhat_upper"].iloc[: len(test)].to_numpy(dtype=float),
                    "naive": [naive_forecast(y, int(c), int(c + s), season) for s in steps],
                    "scale": insample_scale(y[: c + 1], SEASON[spec.grain]),
                }
            )
        )
    if not parts:
        return pd.DataFrame(columns=POINT_COLUMNS)
    out = pd.concat(parts, ignore_index=True)
    out.attrs["baseline"] = baseline_name(season is not None, spec.grain)
    return out


def accuracy(points: pd.DataFrame, baseline: str | None = None) -> Accuracy:
    """The metrics of :class:`Accuracy` over backtest ``points`` (columns of :data:`POINT_COLUMNS`)."""
    if len(points) == 0:
        return NO_BACKTEST
    y = points["y"].to_numpy(dtype=float)
    err = np.abs(y - points["yhat"].to_numpy(dtype=float))
    naive_err = np.abs(y - points["naive"].to_numpy(dtype=float))
    total = np.abs(y).sum()
    threshold = NEAR_ZERO_SHARE * np.abs(y).mean()
    usable = (np.abs(y) >= threshold) & (np.abs(y) > 0)
    inside = (points["yhat_lower"].to_numpy(dtype=float) <= y) & (y <= points["yhat_upper"].to_numpy(dtype=float))
    naive_mae = naive_err.mean()
    scale = points["scale"].to_numpy(dtype=float) if "scale" in points else np.full(len(points), np.nan)
    scaled = err / np.where(scale > 0, scale, np.nan)
    return Accuracy(
        wape=float(err.sum() / total) if total > 0 else None,
        mape=float((err[usable] / np.abs(y[usable])).mean()) if usable.any() else None,
        mape_points=int(usable.sum()),
        mase=float(np.nanmean(scaled)) if np.isfinite(scaled).any() else None,
        rel_mae=float(err.mean() / naive_mae) if naive_mae > 0 else None,
        coverage=float(inside.mean()),
        naive_wape=float(naive_err.sum() / total) if total > 0 else None,
        baseline=baseline or points.attrs.get("baseline", "naive"),
        cutoffs=int(points["cutoff"].nunique()),
        points=len(points),
    )


def verdict(acc: Accuracy, what: str) -> str:
    """One plain sentence on whether the forecast beats the baseline for ``what``."""
    if acc.rel_mae is None:
        return f"No track record for {what} yet: the history is too short to backtest."
    if acc.rel_mae >= 1:
        return (
            f"Prophet does not beat the {acc.baseline} baseline for {what}: over {acc.cutoffs} backtests its "
            f"errors were {acc.rel_mae:.2f}× the baseline's. Treat this forecast with caution."
        )
    return (
        f"Prophet beats the {acc.baseline} baseline for {what}: over {acc.cutoffs} backtests its errors were "
        f"{acc.rel_mae:.2f}× the baseline's."
    )

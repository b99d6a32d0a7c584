"""Calibrating the outlook's P10–P90 range from its backtest (split-conformal, scaled around the mean).

For each backtest point (an outlook made as of a past date, and what then closed) the *score* is
how far the range must be stretched around the expected value to reach the actual:

    score = (actual − mean) ÷ (P90 − mean)   when the actual is above the mean,
            (mean − actual) ÷ (mean − P10)   when below.

The calibration factor is the conformal quantile of the scores, the ⌈(n+1)·0.8⌉-th smallest: a
range stretched by it would have held at least 80 % of the past actuals, and, for a new period
exchangeable with the past ones, holds it with probability ≥ 80 %. A factor above 1 widens the
range (the simulation was over-confident), below 1 narrows it. The page shows the coverage
measured leave-one-period-out (each period judged by a factor learned without it), so the
figure is not flattered by fitting on itself.
"""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine

#: The nominal coverage of the P10–P90 range.
NOMINAL = 0.8
#: Fewer backtest points than this: no calibration (factor 1) and the page says so.
MIN_POINTS = 4


def scores(actual: np.ndarray, mean: np.ndarray, p10: np.ndarray, p90: np.ndarray) -> np.ndarray:
    """The stretch each point needs (see the module docstring); 0 when the actual is the mean."""
    actual, mean = np.asarray(actual, float), np.asarray(mean, float)
    up = np.maximum(np.asarray(p90, float) - mean, 1.0)
    down = np.maximum(mean - np.asarray(p10, float), 1.0)
    return np.where(actual >= mean, (actual - mean) / up, (mean - actual) / down)


def conformal_scale(score: np.ndarray, nominal: float = NOMINAL) -> float:
    """The ⌈(n+1)·nominal⌉-th smallest score (the largest when that rank exceeds n); 1 with too few."""
    s = np.sort(np.asarray(score, float)[np.isfinite(score)])
    n = len(s)
    if n < MIN_POINTS:
        return 1.0
    k = min(n, math.ceil((n + 1) * nominal))
    return float(max(s[k - 1], 1e-6))


def covered(score: np.ndarray, scale: float) -> np.ndarray:
    """Whether each point's actual falls inside the range stretched by ``scale``."""
    return np.asarray(score, float) <= scale


def loo_coverage(points: pd.DataFrame, judged: np.ndarray | None = None, nominal: float = NOMINAL) -> float | None:
    """Coverage when each period's points are judged by the factor learned from the other periods.

    ``points``: columns period, score (all the points a factor is learned from); ``judged``: a
    boolean mask of the points to judge (default: all of them).
    """
    if len(points) == 0 or points["period"].nunique() < 2:
        return None
    flags = np.ones(len(points), bool) if judged is None else np.asarray(judged, bool)
    mask = pd.Series(flags, index=points.index)
    hits: list[bool] = []
    for p in points.loc[mask, "period"].unique():
        rest = points.loc[points["period"] != p, "score"].to_numpy()
        mine = points.loc[mask & (points["period"] == p), "score"].to_numpy()
        hits.extend(covered(mine, conformal_scale(rest, nominal)))
    return float(np.mean(hits)) if hits else None


def calibration_for(engine: Engine, kind: str, by: str, as_of: date, hist=None) -> float:
    """The calibration factor of the ``by`` outlooks of ``kind`` periods, from the (cached) backtest
    as of ``as_of`` (1.0 when the history is too short for one)."""
    return calibrations_for(engine, kind, (by,), as_of, hist=hist)[by]


def calibrations_for(engine: Engine, kind: str, levels: tuple[str, ...], as_of: date, hist=None) -> dict[str, float]:
    """:func:`calibration_for` of each of ``levels`` from ONE read of the (cached) backtest: at 10M
    deals its stored text is ~106 MB, and each read of it as Python objects took hundreds of MB
    (issue #21), so the outlook's levels no longer read it once each."""
    from salesops.forecasts.outlook_backtest import backtest_cached

    points = backtest_cached(engine, kind, as_of, hist=hist)
    factors = {}
    for by in levels:
        level = points[points["by"] == by] if len(points) else points
        factors[by] = 1.0 if len(level) == 0 else conformal_scale(level["score"].to_numpy())
    return factors

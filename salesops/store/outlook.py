"""The contract between a forecast and the weekly snapshots, and the simplest forecast that meets it.

The review job stores a quarter outlook (P10/P50/P90 and the chance of reaching quota) in every
weekly snapshot, but a job never imports another job: the outlook is a function handed in by the
caller (the CLI, the demo). It receives the snapshot's figures and returns its outlook columns:

* in: ``as_of, level, entity_id, won_cents, quota_cents, expected_cents, var_cents2`` (one row per
  entity and date; see :mod:`salesops.review.figures`);
* out: the same rows (same index) with ``p10_cents, p50_cents, p90_cents`` (int, cents) and
  ``chance_of_quota`` (0..1, NaN without quota).

:func:`pipeline_outlook` is the default: won to date plus each open deal won with its stage's
historical win rate (a normal approximation of that sum), with a model error proportional to the
part not yet won (:data:`REL_ERROR`), because deals are not independent and win rates drift.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd

#: The outlook columns a snapshot stores.
OUTLOOK_COLUMNS = ("p10_cents", "p50_cents", "p90_cents", "chance_of_quota")

#: Figures in -> the outlook columns out (see the module docstring).
Outlook = Callable[[pd.DataFrame], pd.DataFrame]

_Z90 = 1.2815515655446004  # the 90th percentile of the standard normal

#: Model error as a share of the expected amount not yet won, calibrated on a backtest: on the
#: demo's year of weekly snapshots (4 finished quarters; 44 company, 484 team, 4,155 rep weeks)
#: deal-by-deal variance alone held the final result in its P10–P90 range in 16% (company) to 42%
#: (teams) of the weeks. 0.35 is the smallest value on a 0.05 grid for which every level's range
#: held it at least the nominal 80% of the time (0.30: company 77%, teams 75%; 0.35: company 89%,
#: regions 90%, teams 81%, reps 81%). The page shows the measured track record of the stored
#: snapshots beside the figures (docs/REVIEW.md, "The outlook").
REL_ERROR = 0.35


def _normal_sf(z: np.ndarray) -> np.ndarray:
    """P(Z ≥ z) of the standard normal."""
    return np.array([0.5 * math.erfc(v / math.sqrt(2.0)) for v in z.tolist()], dtype=float)


def pipeline_outlook(figures: pd.DataFrame, rel_error: float = REL_ERROR) -> pd.DataFrame:
    """Outlook of won + open pipeline: mean ``expected_cents``, spread ``sqrt(var_cents2 +
    (rel_error × (expected − won))²)``; P10 is never below what is already won. The chance of
    quota is 1 or 0 when there is no spread."""
    mean = figures["expected_cents"].astype(float).to_numpy()
    won = figures["won_cents"].astype(float).to_numpy()
    model = rel_error * np.maximum(mean - won, 0.0)
    sd = np.sqrt(np.maximum(figures["var_cents2"].astype(float).to_numpy(), 0.0) + model**2)
    quota = figures["quota_cents"].astype(float).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(sd > 0, (quota - mean) / np.where(sd > 0, sd, 1.0), np.where(mean >= quota, -np.inf, np.inf))
    chance = np.where(quota > 0, _normal_sf(z), np.nan)
    return pd.DataFrame(
        {
            "p10_cents": np.round(np.maximum(won, mean - _Z90 * sd)).astype("int64"),
            "p50_cents": np.round(mean).astype("int64"),
            "p90_cents": np.round(mean + _Z90 * sd).astype("int64"),
            "chance_of_quota": chance,
        },
        index=figures.index,
    )

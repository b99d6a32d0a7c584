"""Tenure cohorts and roles a rep board can be narrowed to (docs/LEADERBOARDS.md)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

COHORTS = {
    "all": "All reps",
    "ramping": "Ramping",
    "first_year": "First year",
    "veteran": "Veterans",
}
ROLES = ("all", "AE", "SDR")


def cohort_of(hire_date: pd.Series, ramp_months: pd.Series, as_of: date) -> pd.Series:
    """Tenure cohort at ``as_of``: ramping (calendar month since hire < ramp_months, as quotas ramp),
    first_year (hired less than a year before), veteran (otherwise, or hire date unknown)."""
    hire = pd.to_datetime(hire_date).to_numpy()  # datetime64, NaT where unknown
    known = ~np.isnat(hire)
    # calendar months from the hire month to as_of's month (numpy months count from January 1970)
    months = (as_of.year * 12 + as_of.month - 1) - (hire.astype("datetime64[M]").astype(np.int64) + 1970 * 12)
    with np.errstate(invalid="ignore"):
        ramping = known & (months < ramp_months.to_numpy(dtype=float))
    year_ago = (pd.Timestamp(as_of) - pd.DateOffset(years=1)).to_datetime64()
    first_year = known & (hire > year_ago)
    out = np.where(ramping, "ramping", np.where(first_year, "first_year", "veteran"))
    return pd.Series(out, index=hire_date.index)

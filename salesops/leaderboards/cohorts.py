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
#: The cohort names (codes 0, 1, 2) as pandas holds strings (Arrow strings): a rep's cohort is a take
#: of them by code, not a conversion of tens of thousands of NumPy strings.
_NAMES = pd.Series(["veteran", "ramping", "first_year"]).array


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
    codes = np.where(ramping, 1, np.where(first_year, 2, 0))
    return pd.Series(_NAMES.take(codes), index=hire_date.index)

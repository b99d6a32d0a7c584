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
    hire = pd.to_datetime(hire_date)
    months = (as_of.year - hire.dt.year) * 12 + (as_of.month - hire.dt.month)
    ramping = months < ramp_months.astype(float)
    first_year = hire > pd.Timestamp(as_of) - pd.DateOffset(years=1)
    out = np.where(ramping.fillna(False), "ramping", np.where(first_year.fillna(False), "first_year", "veteran"))
    return pd.Series(out, index=hire_date.index)

"""Revenue retention by yearly cohort and the quarterly cohort grid (docs/CUSTOMERS.md).

Pure functions over a :func:`salesops.customers.queries.load_won` frame (company grouping).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from salesops.customers.definitions import ACTIVE_MONTHS
from salesops.scope import period_label

#: Columns of :func:`revenue_retention`.
RETENTION_COLUMNS = [
    "cohort", "customers", "year", "base_cents", "revenue_cents", "kept_cents", "nrr", "grr", "complete",
]  # fmt: skip
#: Columns of :func:`cohort_grid`.
GRID_COLUMNS = ["cohort", "quarter", "quarters_after", "customers", "active", "share"]


def _customer_years(won: pd.DataFrame) -> pd.DataFrame:
    """Each customer's purchases with their cohort (first year) and which customer-year they fall in."""
    w = won.loc[won["customer_id"].notna(), ["customer_id", "close_date", "amount_cents"]].copy()
    first = w.groupby("customer_id")["close_date"].transform("min")
    w["cohort"] = first.dt.year
    w["first"] = first
    # Year 1 = the 12 months from the first won deal, year 2 the next 12, … (month arithmetic).
    months = (w["close_date"].dt.year - first.dt.year) * 12 + (w["close_date"].dt.month - first.dt.month)
    months -= (w["close_date"].dt.day < first.dt.day).astype(int)
    w["year"] = months // ACTIVE_MONTHS + 1
    return w


def revenue_retention(won: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Net and gross revenue retention per yearly cohort and customer-year ≥ 2 (RETENTION_COLUMNS).

    ``complete`` is False while some customer of the cohort is still inside that year (the figure
    can still grow). Years that no customer of the cohort has reached are left out.
    """
    w = _customer_years(won)
    if w.empty:
        return pd.DataFrame(columns=RETENTION_COLUMNS)
    per = w.groupby(["cohort", "customer_id", "year"])["amount_cents"].sum().unstack("year", fill_value=0)
    firsts = w.groupby("customer_id")["first"].min()
    asof = pd.Timestamp(as_of)
    rows = []
    for cohort, block in per.groupby(level="cohort"):
        ids = block.index.get_level_values("customer_id")
        starts = firsts.loc[ids]
        base = block[1] if 1 in block else pd.Series(0, index=block.index)
        base_total = int(base.sum())
        year = 2
        while (starts + pd.DateOffset(months=ACTIVE_MONTHS * (year - 1)) <= asof).any():
            rev = block[year] if year in block else pd.Series(0, index=block.index)
            kept = int(np.minimum(rev.to_numpy(), base.to_numpy()).sum())
            ends = starts + pd.DateOffset(months=ACTIVE_MONTHS * year)
            rows.append(
                (
                    int(cohort), len(block), year, base_total, int(rev.sum()), kept,
                    rev.sum() / base_total if base_total else np.nan,
                    kept / base_total if base_total else np.nan,
                    bool((ends <= asof + pd.Timedelta(days=1)).all()),
                )
            )  # fmt: skip
            year += 1
    return pd.DataFrame(rows, columns=RETENTION_COLUMNS)


def cohort_grid(won: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Customers by the quarter of their first won deal × each quarter since, with the share of them
    active at that quarter's end (a won deal in the 12 months up to it; up to ``as_of`` for the
    current quarter). Columns: GRID_COLUMNS; ``quarter`` is the label of the later quarter."""
    w = won.loc[won["customer_id"].notna(), ["customer_id", "close_date"]].drop_duplicates()
    if w.empty:
        return pd.DataFrame(columns=GRID_COLUMNS)
    first = w.groupby("customer_id")["close_date"].min().dt.to_period("Q")
    sizes = first.value_counts()
    last_q = pd.Timestamp(as_of).to_period("Q")
    rows = []
    for q in pd.period_range(first.min(), last_q, freq="Q"):
        hi = min(q.end_time.normalize(), pd.Timestamp(as_of))
        recent = w.loc[(w["close_date"] > hi - pd.DateOffset(months=ACTIVE_MONTHS)) & (w["close_date"] <= hi)]
        active = first.loc[recent["customer_id"].unique()].value_counts()
        for cq, size in sizes.items():
            if cq > q:
                continue
            n = int(active.get(cq, 0))
            rows.append((_label(cq), _label(q), (q - cq).n, int(size), n, n / size))
    out = pd.DataFrame(rows, columns=GRID_COLUMNS)
    return out.sort_values(["cohort", "quarters_after"]).reset_index(drop=True)


def _label(q: pd.Period) -> str:
    return period_label(q.start_time.date(), "quarter")

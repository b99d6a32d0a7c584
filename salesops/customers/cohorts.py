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
    """Each customer's purchases with their cohort (the calendar year of their first won deal) and
    the cohort year they fall in (1 = the cohort's own calendar year, 2 = the next, …)."""
    w = won.loc[won["customer_id"].notna(), ["customer_id", "close_date", "amount_cents"]].copy()
    w["cohort"] = w.groupby("customer_id")["close_date"].transform("min").dt.year
    w["year"] = w["close_date"].dt.year - w["cohort"] + 1
    return w


def revenue_retention(won: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Net and gross revenue retention per yearly cohort and year ≥ 2 (RETENTION_COLUMNS).

    Years are calendar years (a renewal closed a few days before its anniversary stays in the year
    after the purchase it renews). ``complete`` is False for the year ``as_of`` falls in. Years not
    begun by ``as_of`` are left out.
    """
    w = _customer_years(won)
    if w.empty:
        return pd.DataFrame(columns=RETENTION_COLUMNS)
    per = w.groupby(["cohort", "customer_id", "year"])["amount_cents"].sum().unstack("year", fill_value=0)
    rows = []
    for cohort, block in per.groupby(level="cohort"):
        base = block[1] if 1 in block else pd.Series(0, index=block.index)
        base_total = int(base.sum())
        for year in range(2, as_of.year - int(cohort) + 2):
            rev = block[year] if year in block else pd.Series(0, index=block.index)
            kept = int(np.minimum(rev.to_numpy(), base.to_numpy()).sum())
            rows.append(
                (
                    int(cohort), len(block), year, base_total, int(rev.sum()), kept,
                    rev.sum() / base_total if base_total else np.nan,
                    kept / base_total if base_total else np.nan,
                    as_of >= date(int(cohort) + year - 1, 12, 31),
                )
            )  # fmt: skip
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

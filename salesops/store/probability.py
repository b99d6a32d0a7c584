"""Deal probability in the store: integer basis points (``deals.probability_bp``, 0..10,000; 10 % = 1,000).

The one definition every reader and writer goes through, so money weighted by probability stays
exact: a $1,000,000,000 deal at 10 % weighs exactly $100,000,000.00 (a 4-byte float made it
$100,000,001.49). Writers convert a 0..1 probability once with :func:`to_bp`; SQL readers use
:func:`probability_sql` for a 0..1 value (averages, display) and :func:`weighted_cents_sql` for money
× probability (the products summed in integers, divided once); Python readers use :func:`from_bp`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesops.store.dialect import DOUBLE, round_half_up

#: Basis points in 100 %.
SCALE = 10_000


def to_bp(probability: pd.Series) -> pd.Series:
    """0..1 probabilities as whole basis points (half up), missing kept missing (nullable Int64)."""
    p = pd.to_numeric(pd.Series(probability), errors="coerce").astype("float64")
    return np.floor(p * SCALE + 0.5).astype("Int64")


def from_bp(bp: pd.Series) -> pd.Series:
    """Stored basis points as 0..1 floats (missing: NaN), for display and models."""
    return pd.to_numeric(bp, errors="coerce").astype("float64") / SCALE


def probability_sql(alias: str = "d") -> str:
    """SQL: the deal's probability as a 0..1 double (NULL when unknown)."""
    prefix = f"{alias}." if alias else ""
    return f"(CAST({prefix}probability_bp AS {DOUBLE}) / {SCALE})"


def weighted_cents_sql(amount: str, bp: str) -> str:
    """SQL: SUM(amount × probability) in whole cents, exact: integer products summed, divided once, half up.

    ``amount`` and ``bp`` are SQL expressions (cents and basis points; NULL counts as 0).
    """
    return weighted_cents_of(weighted_products_sql(amount, bp))


def weighted_products_sql(amount: str, bp: str) -> str:
    """SQL: the summed products of :func:`weighted_cents_sql` (cents × basis points), not yet
    divided: partial sums of disjoint rows add up to the whole one, for :func:`weighted_cents_of`."""
    return f"SUM(CAST(COALESCE({amount}, 0) AS NUMERIC(38, 0)) * COALESCE({bp}, 0))"


def weighted_cents_of(products: str) -> str:
    """SQL: summed products (:func:`weighted_products_sql`, or a sum of them) in whole cents: divided
    once, half up, as :func:`weighted_cents_sql`."""
    return round_half_up(f"CAST({products} AS NUMERIC(38, 4)) / {SCALE}")

"""Ranks and who moved: competition ranks and the movement against the previous period."""

from __future__ import annotations

import numpy as np
import pandas as pd


def competition_rank(values: pd.Series) -> pd.Series:
    """Rank, highest first, equal values sharing the best rank (1, 2, 2, 4); NaN stays unranked."""
    rounded = values.astype(float).round(9)  # float noise must not split a tie
    return rounded.rank(method="min", ascending=False).astype("Int64")


def movements(rank: pd.Series, prev_rank: pd.Series) -> np.ndarray:
    """Movement of each row, as an object array of str: '▲3' (up three places), '▼1', '–' (same
    place), 'new' (not ranked before), '' (unranked now)."""
    has_r, has_p = rank.notna().to_numpy(), prev_rank.notna().to_numpy()
    diff = prev_rank.fillna(0).to_numpy(dtype=np.int64) - rank.fillna(0).to_numpy(dtype=np.int64)
    out = np.full(len(rank), "", dtype=object)
    out[has_r & ~has_p] = "new"
    both = has_r & has_p
    out[both & (diff == 0)] = "–"
    for mask, arrow in ((both & (diff > 0), "▲"), (both & (diff < 0), "▼")):
        out[mask] = [f"{arrow}{abs(d)}" for d in diff[mask].tolist()]
    return out

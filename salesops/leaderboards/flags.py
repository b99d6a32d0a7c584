"""Top and under performers: a rep's win rate beyond noise against their team (docs/LEADERBOARDS.md)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesops.errors import InvalidFilter

#: A rep is flagged only with at least this many closed (won + lost) deals in the range.
MIN_CLOSED_DEALS = 15
CONFIDENCES = {0.9: 1.6448536269514722, 0.95: 1.959963984540054}


def wilson_interval(successes, trials, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a proportion (arrays in, arrays out; NaN where trials is 0)."""
    if confidence not in CONFIDENCES:
        raise InvalidFilter(
            f"Confidence {confidence!r} is not offered.", f"Use one of: {', '.join(map(str, CONFIDENCES))}."
        )
    z = CONFIDENCES[confidence]
    k = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        denom = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    lo = np.where(n > 0, centre - half, np.nan)
    hi = np.where(n > 0, centre + half, np.nan)
    return lo, hi


def flag_reasons(rows: np.ndarray, rate, base, lo, hi, closed, att, medv, confidence: float) -> np.ndarray:
    pct = f"{confidence:.0%}"
    reasons = np.full(len(rate), "", dtype=object)
    for i in rows:  # a handful of rows: the loop is over flagged reps only
        text = (
            f"win rate {rate[i]:.0%} vs team {base[i]:.0%} "
            f"({(rate[i] - base[i]) * 100:+.0f} pts; {pct} CI {lo[i]:.0%}–{hi[i]:.0%}, "
            f"{int(closed[i])} closed deals)"
        )
        if not (np.isnan(att[i]) or np.isnan(medv[i])):
            text += f"; attainment {att[i]:.0%} vs team median {medv[i]:.0%} ({(att[i] - medv[i]) * 100:+.0f} pts)"
        reasons[i] = text
    return reasons


def performers(ranked: pd.DataFrame) -> pd.DataFrame:
    """The flagged rows of a rep board: top performers first, then under performers, by rank."""
    out = ranked[ranked["flag"] != ""].copy()
    out["_order"] = out["flag"].map({"top": 0, "under": 1})
    return out.sort_values(["_order", "rank"]).drop(columns="_order").reset_index(drop=True)


def flag_columns(
    cur: dict, order: np.ndarray, base: pd.DataFrame, rows: np.ndarray, confidence: float, min_closed: int
) -> dict:
    """The flag columns of a rep board in board order: flag ('top'/'under'/''), reason,
    team_win_rate, win_rate_lo, win_rate_hi. ``cur``: the derived current sums of the shown reps;
    ``order``: their board order; ``base``/``rows``: the per-rep rows and their positions in it.

    A rep is flagged when, with at least ``min_closed`` closed deals, the Wilson interval of their
    win rate lies wholly above (top) or below (under) the rest of their team's win rate.
    """
    won_n, closed = cur["won_count"][order], cur["closed_count"][order]
    base_rate = base["team_win_rate"].to_numpy(dtype=float)[rows]
    lo, hi = wilson_interval(won_n, closed, confidence)
    enough = closed >= min_closed
    top = enough & (lo > base_rate)
    under = enough & (hi < base_rate)
    medv = base["team_median_attainment"].to_numpy(dtype=float)[rows]
    reasons = flag_reasons(
        np.flatnonzero(top | under),
        cur["win_rate"][order],
        base_rate,
        lo,
        hi,
        closed,
        cur["attainment"][order],
        medv,
        confidence,
    )
    return {
        "flag": np.where(top, "top", np.where(under, "under", "")),
        "reason": pd.Series(reasons, dtype="str" if len(base) else object),  # dtypes as before
        "team_win_rate": base_rate,
        "win_rate_lo": lo,
        "win_rate_hi": hi,
    }

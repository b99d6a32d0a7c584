"""Top and under performers: win rate beyond noise and attainment far from the team, combined
(docs/METRICS.md "Rep flags"; docs/LEADERBOARDS.md)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesops.errors import InvalidFilter

#: A rep's win rate counts only with at least this many closed (won + lost) deals in the range.
MIN_CLOSED_DEALS = 15
CONFIDENCES = {0.9: 1.6448536269514722, 0.95: 1.959963984540054}
#: Attainment: "behind quota" below half the team median (and below 100 %); "ahead of quota" above
#: twice it (and at least 100 %); judged only in a team of at least MIN_TEAM_REPS reps with an
#: attainment on the board, and with MIN_CLOSED_DEALS closed deals (a few lumpy deals are noise).
#: Half and double keep flags the exception on the demo (16–18 of 99 AEs on a year; 3/4 and 5/4
#: flagged 36–38).
BEHIND_SHARE_OF_MEDIAN = 0.5
AHEAD_SHARE_OF_MEDIAN = 2.0
MIN_TEAM_REPS = 3

#: The one sentence that states the rule: the page's caption and docs/METRICS.md carry it word for word.
FLAG_RULE = (
    f"A rep is flagged on two signals. Win rate: with at least {MIN_CLOSED_DEALS} closed deals, the 95% "
    "Wilson interval of the rep's win rate lies wholly above (high) or below (low) the rest of their "
    f"team's win rate. Attainment: with the same minimum of closed deals, in a team of at least "
    f"{MIN_TEAM_REPS} reps with a quota, attainment below {BEHIND_SHARE_OF_MEDIAN:.0%} of the team median "
    f"and below 100% is behind quota; above {AHEAD_SHARE_OF_MEDIAN:.0%} of the team median and at least "
    "100% is ahead of quota. Either signal "
    "flags the rep (top: high win rate or ahead of quota; needs help: low win rate or behind quota) "
    "unless the other signal points the opposite way, and the reason names the signal that triggered."
)


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


def attainment_signal(att, team_median, team_reps, enough) -> np.ndarray:
    """+1 ahead of quota, −1 behind quota, 0 otherwise (the thresholds above; NaN never signals);
    ``enough``: the rep has the minimum of closed deals (a few lumpy deals are noise here too)."""
    att, med = np.asarray(att, dtype=float), np.asarray(team_median, dtype=float)
    with np.errstate(invalid="ignore"):
        judged = np.asarray(enough, dtype=bool) & (np.asarray(team_reps) >= MIN_TEAM_REPS) & (med > 0) & ~np.isnan(att)
        behind = judged & (att < BEHIND_SHARE_OF_MEDIAN * med) & (att < 1)
        ahead = judged & (att > AHEAD_SHARE_OF_MEDIAN * med) & (att >= 1)
    return np.where(ahead, 1, np.where(behind, -1, 0))


def _headline(win: int, att: int) -> str:
    """'low win rate and behind quota', 'high win rate', 'behind quota', …: the signals that triggered."""
    parts = []
    if win:
        parts.append("high win rate" if win > 0 else "low win rate")
    if att:
        parts.append("ahead of quota" if att > 0 else "behind quota")
    return " and ".join(parts)


def flag_reasons(
    rows: np.ndarray, rate, base, lo, hi, closed, enough, att, medv, win, att_sig, confidence: float
) -> np.ndarray:
    """The reason of each flagged row: the triggering signals, then both metrics against the team."""
    pct = f"{confidence:.0%}"
    reasons = np.full(len(rate), "", dtype=object)
    for i in rows:  # a handful of rows: the loop is over flagged reps only
        if closed[i] > 0 and not np.isnan(base[i]):
            text = (
                f"win rate {rate[i]:.0%} vs team {base[i]:.0%} "
                f"({(rate[i] - base[i]) * 100:+.0f} pts; {pct} CI {lo[i]:.0%}–{hi[i]:.0%}, "
                f"{int(closed[i])} closed deals)"
            )
        else:
            text = f"{int(closed[i])} closed deals"
        if not win[i] and 0 < closed[i]:
            text += ", within noise of the team" if enough[i] else ", too few to judge"
        if not (np.isnan(att[i]) or np.isnan(medv[i])):
            text += f"; attainment {att[i]:.0%} vs team median {medv[i]:.0%} ({(att[i] - medv[i]) * 100:+.0f} pts)"
            if not att_sig[i]:
                text += ", not behind" if win[i] < 0 else ", not ahead"
        reasons[i] = f"{_headline(win[i], att_sig[i])}: {text}"
    return reasons


def performers(ranked: pd.DataFrame) -> pd.DataFrame:
    """The flagged rows of a rep board: top performers first, then under performers, by rank."""
    out = ranked[ranked["flag"] != ""].copy()
    out["_order"] = out["flag"].map({"top": 0, "under": 1})
    return out.sort_values(["_order", "rank"]).drop(columns="_order").reset_index(drop=True)


#: Flagged reps listed one per line under the board, per flag (top first, then under, by rank); a
#: board of thousands of reps flags hundreds: the rest are in one table.
FLAG_LINES = 10


def flag_lines(flagged: pd.DataFrame, per_flag: int = FLAG_LINES) -> tuple[pd.DataFrame, int]:
    """The rows of :func:`performers` listed one per line (the first ``per_flag`` of each flag, in
    their order) and how many flagged rows are left out of the lines."""
    if per_flag < 0:
        raise ValueError(f"per_flag must be 0 or more, not {per_flag}")
    lines = flagged.groupby("flag", sort=False).head(per_flag)
    return lines, len(flagged) - len(lines)


def flag_columns(
    cur: dict, order: np.ndarray, base: pd.DataFrame, rows: np.ndarray, confidence: float, min_closed: int
) -> dict:
    """The flag columns of a rep board in board order: flag ('top'/'under'/''), flag_basis ('win
    rate', 'attainment', 'win rate and attainment' or ''), reason, team_win_rate, win_rate_lo,
    win_rate_hi. ``cur``: the derived current sums of the shown reps; ``order``: their board
    order; ``base``/``rows``: the per-rep rows and their positions in it. The rule: :data:`FLAG_RULE`.
    """
    won_n, closed = cur["won_count"][order], cur["closed_count"][order]
    base_rate = base["team_win_rate"].to_numpy(dtype=float)[rows]
    lo, hi = wilson_interval(won_n, closed, confidence)
    enough = closed >= min_closed
    win = np.where(enough & (lo > base_rate), 1, np.where(enough & (hi < base_rate), -1, 0))
    medv = base["team_median_attainment"].to_numpy(dtype=float)[rows]
    att = cur["attainment"][order]
    att_sig = attainment_signal(att, medv, base["team_attainment_reps"].to_numpy()[rows], enough)
    top = ((win > 0) | (att_sig > 0)) & (win >= 0) & (att_sig >= 0)
    under = ((win < 0) | (att_sig < 0)) & (win <= 0) & (att_sig <= 0)
    flagged = top | under
    basis = np.where(
        flagged & (win != 0) & (att_sig != 0),
        "win rate and attainment",
        np.where(flagged & (win != 0), "win rate", np.where(flagged, "attainment", "")),
    )
    reasons = flag_reasons(
        np.flatnonzero(flagged),
        cur["win_rate"][order],
        base_rate,
        lo,
        hi,
        closed,
        enough,
        att,
        medv,
        win,
        att_sig,
        confidence,
    )
    return {
        "flag": np.where(top, "top", np.where(under, "under", "")),
        "flag_basis": basis,
        "reason": pd.Series(reasons, dtype="str" if len(base) else object),  # dtypes as before
        "team_win_rate": base_rate,
        "win_rate_lo": lo,
        "win_rate_hi": hi,
    }

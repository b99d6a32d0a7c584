"""Who may see a team's survey scores: small and complementary suppression (docs/TOOLS.md, "Privacy").

:func:`suppress` is the rule for one breakdown (a tool's teams); :func:`hidden_by_suppression` applies
it to every tool of a round's breakdown at once, vectorised; :func:`safe_split` is the rule's test for
a part of the company (a region's teams, or the rest).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from salesops.tools.survey import MIN_ANSWERS


def suppress(answers: Sequence[int], minimum: int = MIN_ANSWERS) -> list[str]:
    """Which groups of one breakdown to hide, given each group's answer count.

    Returns, per group, "" (shown), "small" (fewer than ``minimum`` answers) or "complementary"
    (hidden only so that a small group cannot be worked out by subtracting the shown groups from
    the total). Rule: hide every small group; then, while the hidden groups are exactly one, or
    together hold fewer than ``minimum`` answers, also hide the smallest group still shown.
    """
    status = ["small" if n < minimum else "" for n in answers]
    order = sorted(range(len(answers)), key=lambda i: (answers[i], i))
    while True:
        hidden = [i for i, s in enumerate(status) if s]
        if not hidden or (len(hidden) >= 2 and sum(answers[i] for i in hidden) >= minimum):
            return status
        shown = [i for i in order if not status[i]]
        if not shown:
            return status
        status[shown[0]] = "complementary"


def hidden_by_suppression(tool_ids: pd.Series, team_ids: pd.Series, answers: np.ndarray) -> np.ndarray:
    """Per row, hidden by :func:`suppress` applied per tool (True: hidden), for every tool at once.

    Within a tool, sorted by (answers, team id; no team last) the small groups come first and every
    complementary one follows them, so the hidden groups are the first h: h = 0 without a small group,
    else the first rank from the number of small groups on at which 2 or more groups holding
    ``MIN_ANSWERS`` answers are hidden (or all of them). Vectorised over the breakdown's rows (one per
    tool and team), a few thousand at most: a sort, cumulative sums and per-tool minimums.
    """
    tool_codes, _ = pd.factorize(tool_ids)
    team_codes, _ = pd.factorize(team_ids, sort=True)
    team_codes = np.where(team_codes < 0, len(team_codes), team_codes)  # no team sorts last
    order = np.lexsort((team_codes, answers, tool_codes))
    tools, n_answers = tool_codes[order], answers[order]
    k = int(tool_codes.max()) + 1 if len(tool_codes) else 0
    counts = np.bincount(tools, minlength=k)
    starts = np.cumsum(counts) - counts
    rank = np.arange(len(order)) - starts[tools] + 1
    running = np.cumsum(n_answers)
    cum = running - (running - n_answers)[starts][tools]  # answers of the tool's groups up to this one
    small = np.bincount(tools, weights=n_answers < MIN_ANSWERS, minlength=k).astype("int64")
    # the first rank from the number of small groups on, and from 2 on, holding MIN_ANSWERS hidden
    enough = (rank >= small[tools]) & (rank >= 2) & (cum >= MIN_ANSWERS)
    first = counts.copy()  # none such: every group is hidden
    np.minimum.at(first, tools[enough], rank[enough])
    hidden_count = np.where(small == 0, 0, first)
    hidden = np.empty(len(order), dtype=bool)
    hidden[order] = rank <= hidden_count[tools]
    return hidden


def safe_split(hidden_answers: list[int], minimum: int = MIN_ANSWERS) -> bool:
    """A part of the company whose teams hidden by :func:`team_breakdown` cannot be worked out from it:
    none hidden, or 2 or more holding ``minimum`` answers together (the complementary rule)."""
    return not hidden_answers or (len(hidden_answers) >= 2 and sum(hidden_answers) >= minimum)

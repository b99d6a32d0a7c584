"""The forecast waterfall: last week's P50 + what happened this week = this week's P50.

The steps come from the snapshot of this week (its ``flow_*`` columns, see
:mod:`salesops.review.figures`), the ends from the two snapshots' P50; "Model change" is what the
deal moves do not explain (probability and stage moves, the outlook's own re-estimate), so the
steps always add up to the cent. There is no waterfall without the snapshot of exactly one week
before ("first week: no comparison yet"), nor across a quarter's start (the P50s measure different
quarters).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from salesops.review.figures import FLOWS

#: Step labels, in the order they are drawn; the last is the remainder.
STEP_LABELS = {
    "new": "New deals",
    "won": "Won",
    "lost": "Lost",
    "pushed": "Pushed out",
    "pulled": "Pulled in",
    "amount": "Amount changes",
}
MODEL_CHANGE = "Model change"
FIRST_WEEK = "First week: no comparison yet."


@dataclass(frozen=True)
class Waterfall:
    """From ``start_cents`` (last week's P50) through ``steps`` ((label, cents) pairs) to
    ``end_cents`` (this week's P50). Without a comparison ``start_cents`` is None, ``steps`` is
    empty and ``message`` says why."""

    as_of: date
    end_cents: int | None
    start_cents: int | None = None
    steps: tuple[tuple[str, int], ...] = ()
    message: str | None = None

    @property
    def change_cents(self) -> int | None:
        """This week's P50 minus last week's (None without a comparison)."""
        if self.start_cents is None or self.end_cents is None:
            return None
        return self.end_cents - self.start_cents


def _int(value) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def waterfall(current: Mapping, previous: Mapping | None) -> Waterfall:
    """The waterfall of one entity from its snapshot row this week and the one a week before
    (None when there is none). Rows are mappings of snapshot columns (a dict, a Series)."""
    as_of = pd.Timestamp(current["as_of"]).date()
    end = _int(current["p50_cents"])
    if previous is None:
        return Waterfall(as_of, end, message=FIRST_WEEK)
    prev_as_of = pd.Timestamp(previous["as_of"]).date()
    if prev_as_of != as_of - timedelta(days=7):
        return Waterfall(
            as_of, end, message=f"No snapshot of the week before ({as_of - timedelta(days=7)}): no comparison."
        )
    flows = [_int(current[f"flow_{name}_cents"]) for name in FLOWS]
    start = _int(previous["p50_cents"])
    if any(f is None for f in flows) or pd.Timestamp(previous["period_start"]) != pd.Timestamp(current["period_start"]):
        return Waterfall(as_of, end, message="New quarter: last week's forecast was for the quarter before.")
    if start is None or end is None:
        return Waterfall(as_of, end, message="No forecast in one of the two weeks: no comparison.")
    steps = [(STEP_LABELS[name], int(f)) for name, f in zip(FLOWS, flows) if f is not None]
    steps.append((MODEL_CHANGE, end - start - sum(c for _, c in steps)))
    return Waterfall(as_of, end, start_cents=start, steps=tuple(steps))


def waterfall_frame(w: Waterfall) -> pd.DataFrame:
    """The waterfall as bars for a chart: label, kind (start/step/end), start and end (cents) of each bar."""
    if w.start_cents is None or w.end_cents is None:
        return pd.DataFrame(columns=["label", "kind", "bar_start", "bar_end", "cents"])
    rows = [("Last week", "total", 0, w.start_cents, w.start_cents)]
    level = w.start_cents
    for label, cents in w.steps:
        rows.append((label, "up" if cents >= 0 else "down", level, level + cents, cents))
        level += cents
    rows.append(("This week", "total", 0, w.end_cents, w.end_cents))
    return pd.DataFrame(rows, columns=["label", "kind", "bar_start", "bar_end", "cents"])

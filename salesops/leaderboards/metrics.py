"""The leaderboard metrics: the allow-list, composite weights, and the ratios derived from the sums.

Definitions: docs/LEADERBOARDS.md. Attainment and win rate are :func:`salesops.store.sql.attainment`
and :func:`salesops.store.sql.win_rate`, as everywhere else.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from salesops.errors import InvalidFilter
from salesops.store.sql import attainment, win_rate


@dataclass(frozen=True)
class Metric:
    """A rankable metric: its key, label, the column it reads and how to show it."""

    key: str
    label: str
    column: str
    kind: str  # pct / money / count / score


#: The allow-list: the only metric names a caller (page, CLI) can rank by.
METRICS: dict[str, Metric] = {
    m.key: m
    for m in (
        Metric("attainment", "Attainment %", "attainment", "pct"),
        Metric("won_revenue", "Won revenue", "won_cents", "money"),
        Metric("new_logo_revenue", "New-logo revenue", "new_logo_cents", "money"),
        Metric("expansion_revenue", "Expansion revenue", "expansion_cents", "money"),
        Metric("win_rate", "Win rate", "win_rate", "pct"),
        Metric("deals_won", "Deals won", "won_count", "count"),
        Metric("avg_deal_size", "Average deal size", "avg_deal_cents", "money"),
        Metric("activities", "Activities", "activities", "count"),
        Metric("pipeline_created", "Pipeline created", "pipeline_cents", "money"),
        Metric("composite", "Composite score", "score", "score"),
    )
}
#: The metrics a composite score can weigh (all but the score itself).
COMPONENTS = tuple(k for k in METRICS if k != "composite")
DEFAULT_METRIC = "attainment"
#: Default composite weights: attainment first, then how the rep gets there.
DEFAULT_WEIGHTS = (("attainment", 3.0), ("win_rate", 1.0), ("pipeline_created", 1.0), ("activities", 1.0))

#: Metrics shown side by side, in order.
COMPARE_METRICS = (
    "attainment",
    "won_revenue",
    "win_rate",
    "deals_won",
    "avg_deal_size",
    "activities",
    "pipeline_created",
)
CONFIDENCES = {0.9: 1.6448536269514722, 0.95: 1.959963984540054}
TREND_PERIODS = 8
#: Trend length per grain when none is asked for: the demo keeps three years of history.
TREND_PERIODS_BY_GRAIN = {"week": 8, "month": 8, "quarter": 8, "year": 3}

#: Additive columns of the aggregates, for the current (_c) and previous (_p) range. new_logo_cents
#: and expansion_cents: won revenue of the deals whose stored kind (``deal_kinds``, the Customers
#: page's definition, docs/CUSTOMERS.md) is new_business, and expansion (upsell, cross-sell).
SUMS = (
    "won_cents",
    "won_count",
    "lost_count",
    "pipeline_cents",
    "created_count",
    "activities",
    "quota_cents",
    "new_logo_cents",
    "expansion_cents",
)


def check_metric(metric: str) -> Metric:
    """The :class:`Metric` for ``metric``, or :class:`InvalidFilter` naming the allowed ones."""
    if metric not in METRICS:
        raise InvalidFilter(
            f"Unknown leaderboard metric {metric!r}.",
            f"Use one of: {', '.join(METRICS)}.",
        )
    return METRICS[metric]


def check_weights(weights: Mapping[str, float] | Iterable[tuple[str, float]] | None) -> dict[str, float]:
    """Composite weights as a dict; unknown metrics, negative or all-zero weights are refused."""
    pairs = dict(weights.items() if isinstance(weights, Mapping) else (weights or DEFAULT_WEIGHTS))
    for name, w in pairs.items():
        if name not in COMPONENTS:
            raise InvalidFilter(
                f"The composite score cannot weigh {name!r}.", f"Weigh any of: {', '.join(COMPONENTS)}."
            )
        if not isinstance(w, (int, float)) or math.isnan(w) or w < 0:
            raise InvalidFilter(f"The weight of {name} is {w!r}.", "Weights are numbers of 0 or more.")
    if sum(pairs.values()) <= 0:
        raise InvalidFilter("Every composite weight is zero.", "Give at least one metric a weight above 0.")
    return {k: float(v) for k, v in pairs.items() if v > 0}


def parse_weights(text: str) -> tuple[tuple[str, float], ...]:
    """``"attainment=3,win_rate=1"`` -> ``(("attainment", 3.0), ("win_rate", 1.0))`` (for the CLI)."""
    out = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, value = part.partition("=")
        try:
            weight = float(value)
        except ValueError:
            weight = None
        if not sep or weight is None:
            raise InvalidFilter(
                f"Cannot read the weight {part!r}.", "Write weights as metric=number, e.g. attainment=3,win_rate=1."
            )
        out.append((name.strip(), weight))
    check_weights(out)
    return tuple(out)


def trend_metrics(metric: str, weights=None) -> tuple[str, ...]:
    """The metric keys a board ranked by ``metric`` needs trends of (the components for "composite")."""
    check_metric(metric)
    if metric == "composite":
        return tuple(sorted(check_weights(weights)))
    return (metric,)


def derive(frame: pd.DataFrame, sfx: str = "") -> pd.DataFrame:
    """Ratios from the sums with suffix ``sfx``: attainment, win_rate, avg_deal_cents (NaN when undefined).

    Output columns (no suffix): won_cents, won_count, lost_count, closed_count, pipeline_cents,
    created_count, activities, quota_cents, new_logo_cents, expansion_cents, attainment, win_rate, avg_deal_cents, present.
    """
    d = derive_arrays({c: frame[f"{c}{sfx}"].to_numpy(dtype=float) for c in SUMS})
    return pd.DataFrame(d, index=frame.index)


def derive_arrays(sums: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """:func:`derive` on arrays (any shape): the sums, closed_count, the ratios and present."""
    out = {c: np.asarray(sums[c], dtype=float) for c in SUMS}
    won, won_n, lost_n, quota = out["won_cents"], out["won_count"], out["lost_count"], out["quota_cents"]
    out["closed_count"] = closed = won_n + lost_n
    with np.errstate(divide="ignore", invalid="ignore"):
        out["attainment"] = attainment(won, quota)
        out["win_rate"] = win_rate(won_n, lost_n)
        out["avg_deal_cents"] = np.where(won_n > 0, won / won_n, np.nan)
    # On the board for this range: any event or any quota in it.
    out["present"] = (closed + out["created_count"] + out["activities"] + quota) > 0
    return out

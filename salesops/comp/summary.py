"""What the compensation page shows from a payouts frame: plan cost, plan-vs-plan differences, the
payout curve and the display tables (money stays in cents until a table converts it for display).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd

from salesops.comp.engine import as_fraction, compute_payouts, round_half_up
from salesops.comp.plan import CompPlan


@dataclass(frozen=True)
class PlanCost:
    """What a plan costs over the reps of a payouts frame (money in cents; rates 0..1 or None)."""

    reps: int
    revenue_cents: int
    variable_cents: int
    base_cents: int
    total_cost_cents: int
    cost_pct_of_revenue: float | None  # (base + variable) ÷ won revenue
    effective_rate: float | None  # variable ÷ won revenue
    capped_reps: int
    at_or_above_quota: int


def summarize_payouts(payouts: pd.DataFrame) -> PlanCost:
    """Totals of a :func:`compute_payouts` frame: plan cost, cost as % of revenue, effective rate."""
    revenue = int(payouts["booked_cents"].sum()) if len(payouts) else 0
    variable = int(payouts["variable_cents"].sum()) if len(payouts) else 0
    base = int(payouts["base_cents"].sum()) if len(payouts) else 0
    return PlanCost(
        reps=len(payouts),
        revenue_cents=revenue,
        variable_cents=variable,
        base_cents=base,
        total_cost_cents=variable + base,
        cost_pct_of_revenue=(variable + base) / revenue if revenue else None,
        effective_rate=variable / revenue if revenue else None,
        capped_reps=int((payouts["cap_adjustment_cents"] < 0).sum()) if len(payouts) else 0,
        at_or_above_quota=int((payouts["attainment"] >= 1).sum()) if len(payouts) else 0,
    )


def compare_payouts(a: pd.DataFrame, b: pd.DataFrame, keys: tuple[str, ...] = ("rep_id",)) -> pd.DataFrame:
    """Per-rep variable pay under plan A and plan B: keys…, attainment, a_cents, b_cents, difference_cents (B − A)."""
    extra = [c for c in ("name", "team_id") if c in a.columns and c not in keys]
    left = a[[*keys, *extra, "attainment", "variable_cents"]].rename(columns={"variable_cents": "a_cents"})
    right = b[[*keys, "variable_cents"]].rename(columns={"variable_cents": "b_cents"})
    out = left.merge(right, on=list(keys), how="outer")
    out["a_cents"] = out["a_cents"].fillna(0).astype(np.int64)
    out["b_cents"] = out["b_cents"].fillna(0).astype(np.int64)
    out["difference_cents"] = out["b_cents"] - out["a_cents"]
    return out.sort_values("difference_cents", ascending=False, kind="stable").reset_index(drop=True)


def payout_curve(
    plan: CompPlan,
    quota_cents: int,
    max_attainment: Decimal = Decimal("2"),
    steps: int = 81,
    team_attainment: Fraction | None = None,
    period_fraction: Fraction | int = 1,
) -> pd.DataFrame:
    """Variable pay from 0 to ``max_attainment``: attainment (float), variable_cents.

    The team is at ``team_attainment`` throughout (None: at the rep's own attainment).
    """
    levels = [Fraction(max_attainment) * i / (steps - 1) for i in range(steps)]
    frame = pd.DataFrame(
        {"quota_cents": [quota_cents] * steps, "booked_cents": [round_half_up(quota_cents * lv) for lv in levels]}
    )
    if team_attainment is not None:
        team = as_fraction(team_attainment)
        frame["team_booked_cents"] = team.numerator
        frame["team_quota_cents"] = team.denominator
    out = compute_payouts(plan, frame, period_fraction)
    return pd.DataFrame({"attainment": [float(lv) for lv in levels], "variable_cents": out["variable_cents"]})


#: Display names of the per-rep table (money in dollars for display only; the cents stay exact).
#: Variable pay comes right after the attainment so that a 1366-pixel screen shows it without scrolling.
_TABLE_COLUMNS = {
    "name": "Rep",
    "team_id": "Team",
    "attainment": "Attainment",
    "variable_cents": "Variable pay",
    "team_attainment": "Team attainment",
    "individual_cents": "Individual component",
    "team_cents": "Team component",
    "team_bonus_cents": "Team bonus",
    "cap_adjustment_cents": "Cap adjustment",
    "total_earnings_cents": "Base + variable",
}


def payout_table(payouts: pd.DataFrame, team_names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The per-rep table the page shows: names, attainments (0..1) and money in dollars, highest pay first.

    ``team_names`` (team_id -> name) shows teams by name; an unknown id stays as it is.
    """
    cols = [c for c in _TABLE_COLUMNS if c in payouts.columns]
    out = payouts.sort_values("variable_cents", ascending=False, kind="stable")[cols].rename(columns=_TABLE_COLUMNS)
    if team_names and "Team" in out.columns:
        out["Team"] = out["Team"].map(lambda t: team_names.get(t, t))
    for col, label in _TABLE_COLUMNS.items():
        if col.endswith("_cents") and label in out.columns:
            out[label] = out[label] / 100
    return out.reset_index(drop=True)


def compare_table(diff: pd.DataFrame, team_names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The compare tab's table from a compare_payouts frame: rep, team, attainment, plan A, plan B, B − A (dollars)."""
    names = team_names or {}
    out = pd.DataFrame(
        {
            "Rep": diff["name"] if "name" in diff.columns else diff["rep_id"],
            "Team": diff["team_id"].map(lambda t: names.get(t, t)) if "team_id" in diff.columns else "",
            "Attainment": diff["attainment"],
            "Plan A": diff["a_cents"] / 100,
            "Plan B": diff["b_cents"] / 100,
            "B − A": diff["difference_cents"] / 100,
        }
    )
    return out

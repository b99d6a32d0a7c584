"""Per period: won revenue split new vs existing business, and active, new, returning and lost customers.

Pure functions over the won-deal frame of :func:`salesops.customers.queries.load_won` (definitions:
:data:`salesops.customers.definitions.DEFINITIONS`, docs/CUSTOMERS.md), plus :func:`customer_periods`,
the one call the page and the CLI make.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine

from salesops.customers.definitions import ACTIVE_MONTHS
from salesops.customers.queries import load_groups, load_won
from salesops.scope import Scope, period_label, period_start, shift

#: Columns of :func:`period_flows` and :func:`customer_periods`.
PERIOD_COLUMNS = [
    "group", "period_start", "period", "partial", "won_cents", "new_cents", "existing_cents", "existing_share",
    "active", "new", "returning", "lost",
]  # fmt: skip

_YEAR = pd.DateOffset(months=ACTIVE_MONTHS)


def purchase_events(won: pd.DataFrame) -> pd.DataFrame:
    """One row per (group, customer, purchase day) with what that day means for the customer.

    Columns: group, customer_id, day, first (their first purchase in the group), returning (more than
    12 months after the previous one), lapse (the day 12 months after this purchase when no purchase
    follows by then, else NaT: the customer is lost on that day).
    """
    days = (
        won.loc[won["customer_id"].notna(), ["group", "customer_id", "close_date"]]
        .drop_duplicates()
        .sort_values(["group", "customer_id", "close_date"])
        .rename(columns={"close_date": "day"})
        .reset_index(drop=True)
    )
    by = days.groupby(["group", "customer_id"], sort=False)["day"]
    prev, nxt = by.shift(1), by.shift(-1)
    days["first"] = prev.isna()
    days["returning"] = prev.notna() & (days["day"] > prev + _YEAR)
    lapse = days["day"] + _YEAR
    days["lapse"] = lapse.where(nxt.isna() | (nxt > lapse))
    return days


def period_flows(won: pd.DataFrame, periods: list[tuple[date, date]], grain: str, as_of: date, groups) -> pd.DataFrame:
    """The figures of every (group, period): columns :data:`PERIOD_COLUMNS`, money in cents.

    ``won`` is a :func:`load_won` frame; ``periods`` the (start, end) pairs to show; ``as_of`` the day
    the figures are measured at (a period ending after it is partial and counts up to it).
    """
    events = purchase_events(won)
    asof = pd.Timestamp(as_of)
    rows = []
    for g in groups:
        w = won[won["group"] == g]
        ev = events[events["group"] == g]
        for start, end in periods:
            lo, hi = pd.Timestamp(start), min(pd.Timestamp(end), asof)
            rows.append(_one_period(g, start, end, grain, w, ev, lo, hi, pd.Timestamp(end) > asof))
    return pd.DataFrame(rows, columns=PERIOD_COLUMNS)


def _one_period(g, start, end, grain, w, ev, lo, hi, partial) -> tuple:
    inside = (w["close_date"] >= lo) & (w["close_date"] <= hi)
    won_cents = int(w.loc[inside, "amount_cents"].sum())
    existing = int(w.loc[inside & (w["business"] == "existing"), "amount_cents"].sum())
    in_p = (ev["day"] >= lo) & (ev["day"] <= hi)
    active = ev.loc[(ev["day"] > hi - _YEAR) & (ev["day"] <= hi), "customer_id"].nunique()
    new = int((in_p & ev["first"]).sum())
    returning = int((in_p & ev["returning"]).sum())
    lost = int(((ev["lapse"] >= lo) & (ev["lapse"] <= hi)).sum())
    share = existing / won_cents if won_cents else np.nan
    return (
        g, start, period_label(start, grain), bool(partial), won_cents, won_cents - existing, existing, share,
        int(active), new, returning, lost,
    )  # fmt: skip


def customer_periods(engine: Engine, scope: Scope, by: str = "company", today: date | None = None) -> pd.DataFrame:
    """Per group and grain period of the scope: revenue split and customer counts (PERIOD_COLUMNS),
    computed in the database (:func:`salesops.customers.fast.period_flows_sql`)."""
    from salesops.customers.fast import period_flows_sql

    as_of = min(scope.end, today) if today else scope.end
    return period_flows_sql(engine, scope, by, as_of)


def customer_periods_reference(engine: Engine, scope: Scope, by: str = "company", today: date | None = None):
    """:func:`customer_periods` computed in pandas from :func:`load_won` (the reference)."""
    as_of = min(scope.end, today) if today else scope.end
    won = load_won(engine, scope, by)
    return period_flows(won, scope.periods(), scope.grain, as_of, load_groups(engine, scope, by))


#: The figures :func:`accounts_behind` can open, with their labels.
FIGURES = {
    "active": "Active customers",
    "new": "New customers",
    "returning": "Returning customers",
    "lost": "Lost customers",
    "new_cents": "New business revenue",
    "existing_cents": "Existing customer revenue",
}
#: Columns of :func:`accounts_behind`.
BEHIND_COLUMNS = ["customer_id", "customer", "won_cents", "deals", "first_purchase", "last_purchase"]


def accounts_behind(won: pd.DataFrame, start: date, end: date, as_of: date, figure: str) -> pd.DataFrame:
    """The customers behind one number of one period (company grouping): who was new, lost, … there.

    ``won_cents`` and ``deals`` are the customer's won revenue and deal count inside the period
    (for the revenue figures: of that kind only); purchases are their first and last ever, up to
    the period's end. Columns: BEHIND_COLUMNS, the biggest spenders first.
    """
    if figure not in FIGURES:
        raise ValueError(f"unknown figure {figure!r}")
    lo, hi = pd.Timestamp(start), min(pd.Timestamp(end), pd.Timestamp(as_of))
    w = won[won["customer_id"].notna() & (won["close_date"] <= hi)]
    ev = purchase_events(w.assign(group=""))
    in_p = (ev["day"] >= lo) & (ev["day"] <= hi)
    picks = {
        "active": (ev["day"] > hi - _YEAR) & (ev["day"] <= hi),
        "new": in_p & ev["first"],
        "returning": in_p & ev["returning"],
        "lost": (ev["lapse"] >= lo) & (ev["lapse"] <= hi),
    }
    inside = w[(w["close_date"] >= lo) & (w["close_date"] <= hi)]
    if figure in picks:
        ids = ev.loc[picks[figure], "customer_id"].unique()
    else:
        inside = inside[inside["business"] == figure.removesuffix("_cents")]
        ids = inside["customer_id"].unique()
    mine = w[w["customer_id"].isin(ids)]
    per = mine.groupby("customer_id").agg(
        customer=("customer", "first"), first_purchase=("close_date", "min"), last_purchase=("close_date", "max")
    )
    got = inside[inside["customer_id"].isin(ids)].groupby("customer_id")["amount_cents"].agg(["sum", "size"])
    per["won_cents"] = got["sum"].reindex(per.index).fillna(0).astype("int64")
    per["deals"] = got["size"].reindex(per.index).fillna(0).astype(int)
    for col in ("first_purchase", "last_purchase"):
        per[col] = per[col].dt.date
    out = per.reset_index().sort_values(["won_cents", "customer_id"], ascending=[False, True])
    return out[BEHIND_COLUMNS].reset_index(drop=True)


#: Periods of the page's and the CLI's per-period view, per grain (the current one included).
TREND_PERIODS = {"month": 12, "quarter": 8, "year": 4}


def trend_scope(scope: Scope) -> Scope:
    """The per-period view of a scope: its grain's last TREND_PERIODS periods up to its end, or the
    scope itself when it reaches further back. A week grain becomes month (customers are counted
    per month, quarter or year)."""
    grain = scope.grain if scope.grain in TREND_PERIODS else "month"
    first = shift(period_start(scope.end, grain), grain, -(TREND_PERIODS[grain] - 1))
    return replace(scope, start=min(scope.start, first), grain=grain)

"""Everything the Customers page shows for one view, from one read of the won deals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy.engine import Engine

from salesops.customers.cohorts import cohort_grid, revenue_retention
from salesops.customers.queries import load_groups, load_won, open_renewals
from salesops.customers.retention import accounts_behind, period_flows, trend_scope
from salesops.customers.risk import Concentration, accounts_at_risk, concentration
from salesops.scope import Scope, period_start


@dataclass(frozen=True)
class CustomerView:
    """The page's figures for a scope, measured at ``as_of`` (the range's end, or today)."""

    as_of: date
    trend: Scope  # the per-period view (customers.trend_scope of the scope)
    periods: pd.DataFrame  # period_flows rows of the trend, company grouping
    in_range: pd.DataFrame  # the rows of the periods the selected range touches
    retention: pd.DataFrame  # revenue_retention
    grid: pd.DataFrame  # cohort_grid
    concentration: Concentration  # over the selected range
    risk: pd.DataFrame  # accounts_at_risk at as_of
    no_account_cents: int  # won revenue in the range from deals with no account


def customer_view(engine: Engine, scope: Scope, today: date) -> CustomerView:
    """The Customers page's data for ``scope`` (company grouping; region/team via the scope)."""
    as_of = min(scope.end, today)
    trend = trend_scope(scope)
    won = load_won(engine, trend, "company")
    periods = period_flows(won, trend.periods(), trend.grain, as_of, load_groups(engine, trend, "company"))
    first = pd.Timestamp(period_start(scope.start, trend.grain))
    in_range = periods[pd.to_datetime(periods["period_start"]) >= first].reset_index(drop=True)
    inside = won[(won["close_date"] >= pd.Timestamp(scope.start)) & (won["close_date"] <= pd.Timestamp(as_of))]
    return CustomerView(
        as_of=as_of,
        trend=trend,
        periods=periods,
        in_range=in_range,
        retention=revenue_retention(won, as_of),
        grid=cohort_grid(won, as_of),
        concentration=concentration(won, scope.start, as_of),
        risk=accounts_at_risk(won, open_renewals(engine, scope), as_of),
        no_account_cents=int(inside.loc[inside["customer_id"].isna(), "amount_cents"].sum()),
    )


def period_accounts(engine: Engine, scope: Scope, start: date, end: date, as_of: date, figure: str) -> pd.DataFrame:
    """The drill-down's first step: :func:`accounts_behind` one figure of the period [start, end]."""
    return accounts_behind(load_won(engine, scope), start, end, as_of, figure)

"""Everything the Customers page shows for one view (computed in the database: ``fast``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy.engine import Engine

from salesops.customers.fast import accounts_behind_sql, accounts_behind_top_sql, period_flows_sql, prospects_sql
from salesops.customers.fast_cohorts import cohort_grid_sql, revenue_retention_sql
from salesops.customers.fast_risk import accounts_at_risk_sql, accounts_at_risk_top_sql, concentration_sql
from salesops.customers.retention import trend_scope
from salesops.customers.risk import RISK_SHOWN, Concentration
from salesops.scope import Scope, period_start
from salesops.store import parallel

#: The accounts the drill-down lists (those that won most in the period; the CSV download has them all).
BEHIND_SHOWN = 1_000


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
    risk: pd.DataFrame  # accounts_at_risk at as_of: the first RISK_SHOWN rows (the most at stake)
    risk_total: int  # how many accounts are at risk in all (fast_risk.accounts_at_risk_sql has every row)
    no_account_cents: int  # won revenue in the range from deals with no account
    prospects: int  # accounts with no won deal up to as_of (whole company; DEFINITIONS["Prospects"])


def customer_view(engine: Engine, scope: Scope, today: date) -> CustomerView:
    """The Customers page's data for ``scope`` (company grouping; region/team via the scope).

    Its six reads do not depend on one another: they run at once (:func:`salesops.store.parallel.run_all`,
    each on its own connection), the figures being the same as one after the other."""
    as_of = min(scope.end, today)
    trend = trend_scope(scope)
    periods, (conc, no_account), (risk, risk_total), retention, grid, prospects = parallel.run_all(
        engine,
        [
            lambda: period_flows_sql(engine, trend, "company", as_of),
            lambda: concentration_sql(engine, scope, as_of),
            lambda: accounts_at_risk_top_sql(engine, scope, as_of, RISK_SHOWN),
            lambda: revenue_retention_sql(engine, trend, as_of),
            lambda: cohort_grid_sql(engine, trend, as_of),
            lambda: prospects_sql(engine, as_of),
        ],
    )
    first = pd.Timestamp(period_start(scope.start, trend.grain))
    in_range = periods[pd.to_datetime(periods["period_start"]) >= first].reset_index(drop=True)
    return CustomerView(
        as_of=as_of,
        trend=trend,
        periods=periods,
        in_range=in_range,
        retention=retention,
        grid=grid,
        concentration=conc,
        risk=risk,
        risk_total=risk_total,
        no_account_cents=no_account,
        prospects=prospects,
    )


def all_accounts_at_risk(engine: Engine, scope: Scope, as_of: date) -> pd.DataFrame:
    """Every account at risk at ``as_of`` (the page's CSV download; the view holds the top RISK_SHOWN)."""
    return accounts_at_risk_sql(engine, scope, as_of)


def period_accounts(engine: Engine, scope: Scope, start: date, end: date, as_of: date, figure: str) -> pd.DataFrame:
    """The drill-down's first step: the accounts behind one figure of the period [start, end]."""
    return accounts_behind_sql(engine, scope, start, end, as_of, figure)


def period_accounts_top(
    engine: Engine, scope: Scope, start: date, end: date, as_of: date, figure: str
) -> tuple[pd.DataFrame, int]:
    """The first BEHIND_SHOWN rows of :func:`period_accounts` (those that won most in the period)
    and how many rows it has: what the drill-down lists; its download holds them all."""
    return accounts_behind_top_sql(engine, scope, start, end, as_of, figure, BEHIND_SHOWN)

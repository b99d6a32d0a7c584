"""Customers and retention: new vs existing revenue, customer flows, revenue retention, accounts at risk.

- :mod:`~salesops.customers.definitions` — :data:`DEFINITIONS` (the words of docs/CUSTOMERS.md);
- :mod:`~salesops.customers.queries` — won deals with their customer and kind, drill-down deals;
- :mod:`~salesops.customers.retention` — per period: revenue split and active/new/returning/lost;
- :mod:`~salesops.customers.cohorts` — revenue retention by yearly cohort, the quarterly cohort grid;
- :mod:`~salesops.customers.risk` — top-10 concentration and the accounts at risk;
- :mod:`~salesops.customers.view` — everything the page shows, from one read;
- :mod:`~salesops.customers.charts` — the page's charts.
"""

from salesops.customers.cohorts import GRID_COLUMNS, RETENTION_COLUMNS, cohort_grid, revenue_retention
from salesops.customers.definitions import ACTIVE_MONTHS, DEFINITIONS
from salesops.customers.queries import (
    BY,
    COMPANY,
    MAX_DEALS_LISTED,
    DealsListed,
    check_by,
    customer_deals,
    customer_deals_listed,
    load_won,
    open_renewals,
)
from salesops.customers.retention import (
    BEHIND_COLUMNS,
    FIGURES,
    PERIOD_COLUMNS,
    TREND_PERIODS,
    accounts_behind,
    customer_periods,
    period_flows,
    purchase_events,
    trend_scope,
)
from salesops.customers.risk import (
    RISK_COLUMNS,
    RISK_SHOWN,
    TOP_N,
    Concentration,
    accounts_at_risk,
    concentration,
)
from salesops.customers.view import (
    BEHIND_SHOWN,
    CustomerView,
    all_accounts_at_risk,
    customer_view,
    period_accounts,
    period_accounts_top,
)

__all__ = [
    "ACTIVE_MONTHS",
    "BEHIND_COLUMNS",
    "BEHIND_SHOWN",
    "BY",
    "COMPANY",
    "DEFINITIONS",
    "FIGURES",
    "GRID_COLUMNS",
    "PERIOD_COLUMNS",
    "RETENTION_COLUMNS",
    "RISK_COLUMNS",
    "RISK_SHOWN",
    "TOP_N",
    "TREND_PERIODS",
    "Concentration",
    "CustomerView",
    "accounts_at_risk",
    "accounts_behind",
    "all_accounts_at_risk",
    "check_by",
    "cohort_grid",
    "concentration",
    "customer_deals",
    "customer_deals_listed",
    "MAX_DEALS_LISTED",
    "DealsListed",
    "customer_periods",
    "customer_view",
    "load_won",
    "open_renewals",
    "period_accounts",
    "period_accounts_top",
    "period_flows",
    "purchase_events",
    "revenue_retention",
    "trend_scope",
]

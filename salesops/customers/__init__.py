"""Customers and retention: new vs existing revenue, customer flows, revenue retention, accounts at risk.

- :mod:`~salesops.customers.definitions` — :data:`DEFINITIONS` (the words of docs/CUSTOMERS.md);
- :mod:`~salesops.customers.queries` — won deals with their customer and kind, drill-down deals;
- :mod:`~salesops.customers.retention` — per period: revenue split and active/new/returning/lost;
- :mod:`~salesops.customers.cohorts` — revenue retention by yearly cohort, the quarterly cohort grid;
- :mod:`~salesops.customers.risk` — top-10 concentration and the accounts at risk;
- :mod:`~salesops.customers.charts` — the page's charts.
"""

from salesops.customers.cohorts import GRID_COLUMNS, RETENTION_COLUMNS, cohort_grid, revenue_retention
from salesops.customers.definitions import ACTIVE_MONTHS, DEFINITIONS
from salesops.customers.queries import BY, COMPANY, check_by, customer_deals, load_won, open_renewals
from salesops.customers.retention import PERIOD_COLUMNS, customer_periods, period_flows, purchase_events
from salesops.customers.risk import RISK_COLUMNS, TOP_N, Concentration, accounts_at_risk, concentration

__all__ = [
    "ACTIVE_MONTHS",
    "BY",
    "COMPANY",
    "DEFINITIONS",
    "GRID_COLUMNS",
    "PERIOD_COLUMNS",
    "RETENTION_COLUMNS",
    "RISK_COLUMNS",
    "TOP_N",
    "Concentration",
    "accounts_at_risk",
    "check_by",
    "cohort_grid",
    "concentration",
    "customer_deals",
    "customer_periods",
    "load_won",
    "open_renewals",
    "period_flows",
    "purchase_events",
    "revenue_retention",
]

"""Visibility: KPIs against quota, pacing, attainment, the funnel and what changed (docs/METRICS.md).

- :mod:`~salesops.performance.tiles` — the home page's headline and the performance page's KPI tiles, and
  :data:`DEFINITIONS` (the words of docs/METRICS.md);
- :mod:`~salesops.performance.pacing` — on track or not, pipeline needed;
- :mod:`~salesops.performance.attainment` — attainment per rep and per team, the bucket distribution;
- :mod:`~salesops.performance.trend` — figures per grain period (the CLI's ``metrics``, the home trend);
- :mod:`~salesops.performance.deals` — the deals behind a rep's number;
- :mod:`~salesops.performance.business` — won revenue per team, new business vs existing customers;
- :mod:`~salesops.performance.funnel`, :mod:`~salesops.performance.changes` — the funnel, the weekly review;
- :mod:`~salesops.performance.queries` — this package's SQL fragments (shared ones: :mod:`salesops.store.sql`).
"""

from salesops.performance.attainment import (
    BUCKETS,
    HEALTHY_AT_QUOTA,
    REP_COLUMNS,
    TEAM_COLUMNS,
    Distribution,
    attainment_by_rep,
    attainment_by_team,
    attainment_distribution,
    buckets,
    rep_order,
)
from salesops.performance.business import BUSINESS_COLUMNS, business_by_team
from salesops.performance.deals import DEAL_COLUMNS, rep_deals
from salesops.performance.pacing import HISTORY_MONTHS, Pacing, pacing
from salesops.performance.tiles import (
    DEFINITIONS,
    Headline,
    Kpis,
    company_headline,
    compare_headline,
    compare_kpis,
    headline,
    kpis,
)
from salesops.performance.trend import BY, PERIOD_COLUMNS, check_by, headline_trend, metrics_by_period

__all__ = [
    "BUCKETS",
    "BUSINESS_COLUMNS",
    "BY",
    "DEAL_COLUMNS",
    "DEFINITIONS",
    "HEALTHY_AT_QUOTA",
    "HISTORY_MONTHS",
    "PERIOD_COLUMNS",
    "REP_COLUMNS",
    "TEAM_COLUMNS",
    "Distribution",
    "Headline",
    "Kpis",
    "Pacing",
    "attainment_by_rep",
    "attainment_by_team",
    "attainment_distribution",
    "buckets",
    "business_by_team",
    "check_by",
    "company_headline",
    "compare_headline",
    "compare_kpis",
    "headline",
    "headline_trend",
    "kpis",
    "metrics_by_period",
    "pacing",
    "rep_deals",
    "rep_order",
]

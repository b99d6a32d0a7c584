"""Data health: what to fix in the CRM (docs/DATA_HEALTH.md).

- :mod:`salesops.health.checks` — the checks (one SQL query each) and the flagged records.
- :mod:`salesops.health.summary` — counts and value per team, the data-trust score, the flagged
  share of a pipeline that pages mention in one line, a check's records a page at a time: all
  counted in SQL, never every flag in memory.
"""

from salesops.health.checks import CHECKS, FLAG_COLUMNS, LABELS, STALE_DAYS, HealthSettings, find_flags, flags_sql
from salesops.health.summary import (
    MAX_LISTED_RECORDS,
    HealthReport,
    flag_counts,
    flagged_share,
    health_report,
    pipeline_flag_share,
    records_to_fix,
    trust_scores,
)

__all__ = [
    "CHECKS",
    "FLAG_COLUMNS",
    "HealthReport",
    "HealthSettings",
    "LABELS",
    "MAX_LISTED_RECORDS",
    "STALE_DAYS",
    "find_flags",
    "flag_counts",
    "flagged_share",
    "flags_sql",
    "health_report",
    "pipeline_flag_share",
    "records_to_fix",
    "trust_scores",
]

"""The data-health checks: each one SQL query returning the records to fix in the CRM.

Every check returns the same columns (:data:`FLAG_COLUMNS`): ``check``, ``team_id``, ``rep_id``,
``record_id`` (a deal id, a rep id, or ``rep_id period_type period_start`` for a quota),
``label`` (the deal's name or account, the rep's name), ``value_cents`` (the money at stake, NULL
when unknown) and ``detail`` (what is wrong, in words). docs/DATA_HEALTH.md defines each check.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from salesops import store

FLAG_COLUMNS = ["check", "team_id", "rep_id", "record_id", "label", "value_cents", "detail"]

#: check -> what it means (the page's help, the CLI's and docs/DATA_HEALTH.md's wording).
CHECKS = {
    "stale": "Open deals with no stage change and no activity for the stale period",
    "past_close": "Open deals whose expected close date has passed",
    "pushed": "Deals whose close date was pushed later three or more times",
    "missing_amount": "Open or won deals without an amount",
    "duplicate": "Likely duplicates: deals with the same account, amount and close month",
    "import_warning": "Rows an import accepted with a warning (close before create, won in the future …)",
    "no_quota": "Active reps with deals in the last 12 months but no quota in those months",
    "quota_no_rep": "Quotas whose rep is not in the store",
}
#: check -> a short column label for tables.
LABELS = {
    "stale": "Stale",
    "past_close": "Past close",
    "pushed": "Pushed 3+",
    "missing_amount": "No amount",
    "duplicate": "Duplicates",
    "import_warning": "Import warnings",
    "no_quota": "Reps without quota",
    "quota_no_rep": "Quotas without rep",
}
#: Checks about deals: they count towards a team's data-trust score.
DEAL_CHECKS = ("stale", "past_close", "pushed", "missing_amount", "duplicate", "import_warning")


@dataclass(frozen=True, kw_only=True)
class HealthSettings:
    """What counts as a problem: ``stale_days`` without a stage change or activity; ``pushes`` close-date pushes."""

    today: date
    stale_days: int = 30
    pushes: int = 3


def _stale() -> str:
    # The open deals' last touch is stored (salesops.store.health_tables.touches_sql): the latest of
    # the created date, the latest stage change and the latest activity, kept by every write.
    return """
        SELECT 'stale' AS "check", t.team_id, t.rep_id, t.deal_id AS record_id, t.label, t.amount_cents AS value_cents,
               'no stage change or activity since ' || CAST(t.last_touch AS VARCHAR) AS detail
        FROM open_deal_touches t
        WHERE t.last_touch < :stale_before"""


_QUERIES = {
    "past_close": """
        SELECT 'past_close' AS "check", d.team_id, d.rep_id, d.deal_id AS record_id, COALESCE(d.name, d.account, d.deal_id) AS label,
               d.amount_cents AS value_cents, 'expected to close on ' || CAST(d.close_date AS VARCHAR) AS detail
        FROM deals d WHERE d.outcome = 'open' AND d.close_date < :today""",
    "pushed": """
        SELECT 'pushed' AS "check", d.team_id, d.rep_id, d.deal_id AS record_id, COALESCE(d.name, d.account, d.deal_id) AS label,
               d.amount_cents AS value_cents, 'close date pushed ' || CAST(p.n AS VARCHAR) || ' times' AS detail
        FROM deals d JOIN (
            SELECT deal_id, COUNT(*) AS n FROM deal_changes
            WHERE field = 'close_date' AND new_value > old_value GROUP BY deal_id) p ON p.deal_id = d.deal_id
        WHERE p.n >= :pushes""",
    "missing_amount": """
        SELECT 'missing_amount' AS "check", d.team_id, d.rep_id, d.deal_id AS record_id, COALESCE(d.name, d.account, d.deal_id) AS label,
               CAST(NULL AS BIGINT) AS value_cents, d.outcome || ' deal without an amount' AS detail
        FROM deals d WHERE d.amount_cents IS NULL AND d.outcome IN ('open', 'won')""",
    # The duplicate groups are stored (salesops.store.health_tables.DUPLICATES), kept by every deals write.
    "duplicate": """
        SELECT 'duplicate' AS "check", g.team_id, g.rep_id, g.deal_id AS record_id, g.label, g.amount_cents AS value_cents,
               'same account, amount and close month as ' || CAST(g.others AS VARCHAR) || ' other deal(s)' AS detail
        FROM deal_duplicates g""",
    "import_warning": """
        SELECT 'import_warning' AS "check", d.team_id, d.rep_id, w.record_id, COALESCE(d.name, d.account, d.deal_id) AS label,
               d.amount_cents AS value_cents, w.kind || ': ' || w.reason || ' (import #' || CAST(w.import_id AS VARCHAR)
               || ', row ' || CAST(w.row_number AS VARCHAR) || ')' AS detail
        FROM import_warnings w JOIN deals d ON d.deal_id = w.record_id
        WHERE w.table_name = 'deals'""",
    "no_quota": """
        SELECT 'no_quota' AS "check", r.team_id, r.rep_id, r.rep_id AS record_id, r.name AS label,
               (SELECT SUM(d.amount_cents) FROM deals d WHERE d.rep_id = r.rep_id AND d.outcome = 'won'
                  AND d.close_date BETWEEN :year_ago AND :today) AS value_cents,
               'deals in the last 12 months but no quota' AS detail
        FROM reps r
        WHERE r.active
          AND EXISTS (SELECT 1 FROM deals d WHERE d.rep_id = r.rep_id
                      AND (d.created_date BETWEEN :year_ago AND :today OR d.close_date BETWEEN :year_ago AND :today))
          AND NOT EXISTS (SELECT 1 FROM quotas q WHERE q.rep_id = r.rep_id
                          AND q.period_start BETWEEN :year_ago AND :today)""",
    "quota_no_rep": """
        SELECT 'quota_no_rep' AS "check", NULL AS team_id, q.rep_id, q.rep_id || ' ' || q.period_type || ' '
               || CAST(q.period_start AS VARCHAR) AS record_id, 'Rep not in the store' AS label, q.amount_cents AS value_cents,
               'a quota for a rep id the store does not have: add the rep to the roster or remove the quota' AS detail
        FROM quotas q WHERE NOT EXISTS (SELECT 1 FROM reps r WHERE r.rep_id = q.rep_id)""",
}


def query_params(settings: HealthSettings) -> dict:
    """The bound values every check's SQL reads."""
    return {
        "today": settings.today,
        "stale_before": settings.today - timedelta(days=settings.stale_days),
        "pushes": settings.pushes,
        "year_ago": settings.today - timedelta(days=365),
    }


def flags_sql(checks: Sequence[str] = tuple(CHECKS)) -> str:
    """The records ``checks`` flag as one SELECT (bind :func:`query_params`): FLAG_COLUMNS, one row
    per (check, record, detail). Aggregate it in SQL: a large store flags hundreds of thousands."""
    unknown = set(checks) - set(CHECKS)
    if unknown or not checks:
        raise ValueError(f"Unknown data-health checks {sorted(unknown)}; choose from {', '.join(CHECKS)}.")
    queries = {"stale": _stale(), **_QUERIES}
    union = " UNION ALL ".join(f"SELECT * FROM ({queries[c]}) AS c{i}" for i, c in enumerate(checks))  # noqa: S608
    return f"SELECT DISTINCT * FROM ({union}) AS u"  # noqa: S608 - fixed SQL, checks from the allow-list


def find_flags(engine: Engine, settings: HealthSettings) -> pd.DataFrame:
    """Every flagged record, one row per (check, record): FLAG_COLUMNS, ordered by check then value.

    Every flag in memory: for the CLI's ``--details`` list; pages count in SQL (``health.summary``).
    """
    frame = store.read_frame(engine, sa.text(flags_sql()), query_params(settings))
    if frame.empty:
        return pd.DataFrame(columns=FLAG_COLUMNS)
    frame = frame[FLAG_COLUMNS].drop_duplicates(["check", "record_id", "detail"])
    order = {c: i for i, c in enumerate(CHECKS)}
    frame["value_cents"] = frame["value_cents"].astype("Int64")
    keys = frame.assign(_c=frame["check"].map(order), _v=-frame["value_cents"].fillna(0))
    return frame.loc[keys.sort_values(["_c", "_v", "record_id", "detail"]).index].reset_index(drop=True)

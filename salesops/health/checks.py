"""The data-health checks: each one SQL query returning the records to fix in the CRM.

Every check returns the same columns (:data:`FLAG_COLUMNS`): ``check``, ``team_id``, ``rep_id``,
``record_id`` (a deal id, a rep id, or ``rep_id period_type period_start`` for a quota),
``label`` (the deal's name or account, the rep's name), ``value_cents`` (the money at stake, NULL
when unknown) and ``detail`` (what is wrong, in words). docs/DATA_HEALTH.md defines each check.
:func:`flags_sql` adds ``live``: whether a flagged deal is live (:data:`LIVE`; NULL for reps and quotas),
what the data-trust score counts.

The checks read the stored tables of :mod:`salesops.store.health_tables` (open deals' last touch,
duplicates, pushes) and the rollups (``rep_months`` / ``rep_days``) where those give the same rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from salesops import store
from salesops.store.period_tables import months_and_edge_days

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


#: An open deal is stale after this many days without a stage change or activity (the Data page's default).
STALE_DAYS = 30


@dataclass(frozen=True, kw_only=True)
class HealthSettings:
    """What counts as a problem: ``stale_days`` without a stage change or activity; ``pushes`` close-date pushes."""

    today: date
    stale_days: int = STALE_DAYS
    pushes: int = 3


#: A live deal (the data-trust score's denominator): open, or closed (expected to close) on or after
#: the day a year before today. ``{a}`` is the alias of a relation with the deal's outcome and close date.
LIVE = "COALESCE({a}.outcome = 'open' OR {a}.close_date >= :year_ago, FALSE)"


def _stale() -> str:
    # The open deals' last touch is stored (salesops.store.health_tables.touches_sql): the latest of
    # the created date, the latest stage change and the latest activity, kept by every write.
    return """
        SELECT 'stale' AS "check", t.team_id, t.rep_id, t.deal_id AS record_id, t.label, t.amount_cents AS value_cents,
               'no stage change or activity since ' || CAST(t.last_touch AS VARCHAR) AS detail, TRUE AS live
        FROM open_deal_touches t
        WHERE t.last_touch < :stale_before"""


_QUERIES = {
    "past_close": """
        SELECT 'past_close' AS "check", t.team_id, t.rep_id, t.deal_id AS record_id, t.label,
               t.amount_cents AS value_cents, 'expected to close on ' || CAST(t.close_date AS VARCHAR) AS detail,
               TRUE AS live
        FROM open_deal_touches t WHERE t.close_date < :today""",
    "pushed": """
        SELECT 'pushed' AS "check", p.team_id, p.rep_id, p.deal_id AS record_id, p.label,
               p.amount_cents AS value_cents, 'close date pushed ' || CAST(p.pushes AS VARCHAR) || ' times' AS detail,
               {live_p} AS live
        FROM deal_pushes p WHERE p.pushes >= :pushes""",
    "missing_amount": """
        SELECT 'missing_amount' AS "check", d.team_id, d.rep_id, d.deal_id AS record_id, COALESCE(d.name, d.account, d.deal_id) AS label,
               CAST(NULL AS BIGINT) AS value_cents, d.outcome || ' deal without an amount' AS detail, {live_d} AS live
        FROM deals d WHERE d.amount_cents IS NULL AND d.outcome IN ('open', 'won')""",
    # The duplicate groups are stored (salesops.store.health_tables.DUPLICATES), kept by every deals write.
    "duplicate": """
        SELECT 'duplicate' AS "check", g.team_id, g.rep_id, g.deal_id AS record_id, g.label, g.amount_cents AS value_cents,
               'same account, amount and close month as ' || CAST(g.others AS VARCHAR) || ' other deal(s)' AS detail,
               {live_g} AS live
        FROM deal_duplicates g""",
    "import_warning": """
        SELECT 'import_warning' AS "check", d.team_id, d.rep_id, w.record_id, COALESCE(d.name, d.account, d.deal_id) AS label,
               d.amount_cents AS value_cents, w.kind || ': ' || w.reason || ' (import #' || CAST(w.import_id AS VARCHAR)
               || ', row ' || CAST(w.row_number AS VARCHAR) || ')' AS detail, {live_d} AS live
        FROM import_warnings w JOIN deals d ON d.deal_id = w.record_id
        WHERE w.table_name = 'deals'""",
    # A rep's won amount and whether they had a deal created or closed in the window come from the
    # rollups (whole months from rep_months, the edge days from rep_days: a row there is a deal
    # created, won or lost that day); open deals expected to close in it from open_deal_touches.
    "no_quota": """
        SELECT 'no_quota' AS "check", r.team_id, r.rep_id, r.rep_id AS record_id, r.name AS label,
               w.value_cents, 'deals in the last 12 months but no quota' AS detail, CAST(NULL AS BOOLEAN) AS live
        FROM reps r JOIN (
            SELECT rep_id, CASE WHEN SUM(won_amounts) > 0 THEN SUM(won_cents) END AS value_cents FROM (
                SELECT rep_id, won_cents, won_amounts FROM rep_months WHERE month BETWEEN :nq_m0 AND :nq_m1
                UNION ALL
                SELECT rep_id, won_cents, won_amounts FROM rep_days WHERE day BETWEEN :nq_0a AND :nq_0b
                UNION ALL
                SELECT rep_id, won_cents, won_amounts FROM rep_days WHERE day BETWEEN :nq_1a AND :nq_1b
                UNION ALL
                SELECT rep_id, 0, 0 FROM open_deal_touches WHERE close_date BETWEEN :year_ago AND :today
            ) a GROUP BY rep_id
        ) w ON w.rep_id = r.rep_id
        WHERE r.active
          AND NOT EXISTS (SELECT 1 FROM quotas q WHERE q.rep_id = r.rep_id
                          AND q.period_start BETWEEN :year_ago AND :today)""",
    "quota_no_rep": """
        SELECT 'quota_no_rep' AS "check", NULL AS team_id, q.rep_id, q.rep_id || ' ' || q.period_type || ' '
               || CAST(q.period_start AS VARCHAR) AS record_id, 'Rep not in the store' AS label, q.amount_cents AS value_cents,
               'a quota for a rep id the store does not have: add the rep to the roster or remove the quota' AS detail,
               CAST(NULL AS BOOLEAN) AS live
        FROM quotas q WHERE NOT EXISTS (SELECT 1 FROM reps r WHERE r.rep_id = q.rep_id)""",
}


def query_params(settings: HealthSettings) -> dict:
    """The bound values every check's SQL reads (no_quota's window split into whole months and edge
    days: an empty range is bound as a day after its end)."""
    year_ago = settings.today - timedelta(days=365)
    months, edges = months_and_edge_days(year_ago, settings.today)
    empty = (settings.today + timedelta(days=1), settings.today)
    m0, m1 = months or empty
    (e0a, e0b), (e1a, e1b) = (*edges, empty, empty)[:2]
    return {
        "today": settings.today,
        "stale_before": settings.today - timedelta(days=settings.stale_days),
        "pushes": settings.pushes,
        "year_ago": year_ago,
        **dict(nq_m0=m0, nq_m1=m1, nq_0a=e0a, nq_0b=e0b, nq_1a=e1a, nq_1b=e1b),
    }


def flags_sql(checks: Sequence[str] = tuple(CHECKS)) -> str:
    """The records ``checks`` flag as one SELECT (bind :func:`query_params`): FLAG_COLUMNS and ``live``, one row
    per (check, record, detail). Aggregate it in SQL: a large store flags hundreds of thousands."""
    unknown = set(checks) - set(CHECKS)
    if unknown or not checks:
        raise ValueError(f"Unknown data-health checks {sorted(unknown)}; choose from {', '.join(CHECKS)}.")
    live = {f"live_{a}": LIVE.format(a=a) for a in "dgp"}
    queries = {"stale": _stale(), **{c: q.format(**live) for c, q in _QUERIES.items()}}
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

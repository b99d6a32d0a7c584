"""Derived tables: stored results of a definition, rewritten in the transaction of every write
that can change them, so readers get them without recomputing.

* :func:`refresh_deal_kinds` — ``deal_kinds``: each deal's customer and, for a won deal, its kind
  (:data:`salesops.store.sql.WON_KINDS_CTE`), with the deal's rep, team, close date, amount and
  account copied so the won-deal readers need no join. A deal or account can change other deals' rows
  (a parent link moves a subsidiary's deals to another customer; an earlier win makes a later one
  existing business): a write rewrites it whole, and an import for the deals of the customers its
  deals or accounts can change alone (:mod:`salesops.store.deal_notes`); that runs the definition once
  per write instead of once per page call.
* ``rep_kind_periods`` (:mod:`salesops.store.kind_tables`, right after ``deal_kinds``, revision
  0029): the won deals of ``deal_kinds`` per kind, rep, team and day, month, quarter and year — the
  leaderboards' new-logo and expansion revenue;
* :func:`refresh_customer_days` — ``customer_days``: the won deals of ``deal_kinds`` per customer
  and purchase day (:data:`CUSTOMER_DAYS`), with each customer's first, previous and next purchase
  day and name:
  what the company-wide Customers figures are computed from.
* ``customer_deal_ids`` (:mod:`salesops.store.customer_tables`, right after ``deal_kinds``): each
  customer's deal ids, in customer order: the drill-down's deals of a few customers.
* ``customer_keys``, ``customer_years`` (and ``cohort_years`` over it), ``cohort_quarters`` and ``customer_flows``
  (:mod:`salesops.store.customer_tables`, right after ``customer_days``): one row per customer
  (number, id, name, first purchase day), its revenue per customer and calendar year, the cohort
  grid's counts per cohort and quarter, and the per-period flows' counts per grain and period — the
  names of the listed customers, revenue retention's past years, the grid's past quarters and the
  flows' past periods.
* :func:`refresh_open_renewals` — ``open_renewals``: open renewal deals with their customer and last
  stage change (:data:`OPEN_RENEWALS`): the stale-renewal warning of the accounts at risk.
* :func:`refresh_account_roots` — ``account_roots``: top-level accounts with their first won day
  (:data:`ACCOUNT_ROOTS`): the prospects.
* the rollups ``rep_days`` and ``rep_activity_days`` (:mod:`salesops.store.rollups`): the deals
  and the activities per rep, team and day;
* the data-health tables ``open_deal_touches``, ``deal_duplicates`` and ``deal_pushes``
  (:mod:`salesops.store.health_tables`): each open deal's last touch, the likely duplicates, and
  the deals whose close date was pushed (with how many times);
* ``rep_months`` (rep_days per month), ``rep_activity_months`` (rep_activity_days per month),
  ``deal_change_days`` (the logged changes with their kind and
  deal), ``deal_event_days`` (each deal on its created and close days) and the quotas'
  ``period_end`` (:mod:`salesops.store.period_tables`);
* ``rep_periods`` and ``rep_activity_periods`` (rep_months and rep_activity_months per quarter and
  year) and ``rep_period_quotas`` (the quota per rep, quarter and year) (:mod:`salesops.store.grain_tables`);
* ``lead_months`` and ``lead_source_days`` (:mod:`salesops.store.lead_tables`): the leads per month,
  rep and team, and per day and source;
* ``survey_team_scores`` (:mod:`salesops.store.survey_tables`, revision 0030): the survey answers
  counted per round, tool and team (a submitted survey rewrites its round's rows).

Writers call :func:`refresh_derived` (all of them, in order, or those of the source tables they
changed): the demo build, and every import that writes deals, accounts or activities
(:func:`salesops.ingest.write.write_plan`). Tests that insert such rows by hand go through
``tests.builders.insert``, which calls it too.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from salesops.store import deal_notes, grain_tables, health_tables, kind_tables, lead_tables, period_tables, rollups
from salesops.store.customer_tables import (
    refresh_cohort_quarters,
    refresh_cohort_years,
    refresh_customer_deal_ids,
    refresh_customer_flows,
    refresh_customer_keys,
    refresh_customer_risk_spans,
    refresh_customer_years,
)
from salesops.store.sql import WON_KINDS_READ, business_sql, deal_kind_sql, purchase_day_sql, won_kinds_cte
from salesops.store.survey_tables import refresh_survey_scores

#: Tables whose rows the derived tables are computed from (only the demo writes stage history and
#: the change log; quotas get their period end, :mod:`salesops.store.period_tables`).
SOURCES = frozenset(
    {"deals", "accounts", "deal_stage_history", "activities", "deal_changes", "quotas", "leads", "survey_responses"}
)
#: The sources of the customer tables (deal_kinds and the tables built on it).
_CUSTOMER_SOURCES = frozenset({"deals", "accounts", "deal_stage_history"})

#: The copied deal columns, after deal_id, customer_id and kind.
COPIED = ("rep_id", "team_id", "close_date", "amount_cents", "account")


def deal_kinds_fill(deals: str = "deals") -> str:
    """The INSERT of ``deal_kinds``' rows for the deals of ``deals`` (:func:`~salesops.store.sql.won_kinds_cte`).

    Won deals first, in close-date order: a window of won deals is then a few adjacent row groups,
    which DuckDB reads alone (min/max per row group); PostgreSQL has an index on close_date."""
    return f"""INSERT INTO deal_kinds (deal_id, customer_id, kind, {", ".join(COPIED)})
{won_kinds_cte(deals)}
SELECT dc.deal_id, dc.customer_id, wk.kind, {", ".join(f"dc.{c}" for c in COPIED)}
FROM deal_customers dc LEFT JOIN won_kinds wk ON wk.deal_id = dc.deal_id
ORDER BY CASE WHEN wk.kind IS NULL THEN 1 ELSE 0 END, dc.close_date, dc.deal_id
"""  # noqa: S608 - our fragments only


_FILL = deal_kinds_fill()

#: The rows of ``customer_days``, after a preamble defining ``won_kinds`` (:data:`WON_KINDS_READ`
#: to fill the table, :data:`WON_KINDS_CTE` to check it): the won deals summed per customer and
#: close day, with the customer's first, previous and next purchase day, what the day means for them
#: (:func:`~salesops.store.sql.purchase_day_sql`), their usual cycle so far (the median gap between
#: their purchase days up to this one: the accounts at risk read it on the last day before the
#: day they are measured at) and their name (the top-level account's name, else
#: the smallest account text of its won deals) and number (``customer_key``: 1, 2, ... in customer_id
#: order, revision 0018); deals with no account are summed per day with no customer (and none of those
#: columns).
CUSTOMER_DAYS = f""",
won_days AS (
    SELECT customer_id, close_date AS day, SUM(amount_cents) AS won_cents,
           SUM(CASE WHEN {business_sql("kind")} = 'existing' THEN amount_cents ELSE 0 END) AS existing_cents,
           COUNT(*) AS deals, MIN(account_name) AS account_name
    FROM won_kinds GROUP BY customer_id, close_date
),
x AS (
    SELECT wd.customer_id, wd.day,
           CASE WHEN wd.customer_id IS NOT NULL THEN MIN(wd.day) OVER (PARTITION BY wd.customer_id) END AS first_day,
           CASE WHEN wd.customer_id IS NOT NULL
                THEN LAG(wd.day) OVER (PARTITION BY wd.customer_id ORDER BY wd.day) END AS prev_day,
           CASE WHEN wd.customer_id IS NOT NULL
                THEN LEAD(wd.day) OVER (PARTITION BY wd.customer_id ORDER BY wd.day) END AS next_day,
           wd.won_cents, wd.existing_cents, wd.deals,
           CASE WHEN wd.customer_id IS NOT NULL
                THEN COALESCE(a.name, MIN(wd.account_name) OVER (PARTITION BY wd.customer_id)) END AS customer
    FROM won_days wd LEFT JOIN accounts a ON a.account_id = wd.customer_id
),
cycles AS (
    SELECT a.customer_id, a.day, percentile_cont(0.5) WITHIN GROUP (ORDER BY b.day - b.prev_day) AS cycle_days
    FROM x a JOIN x b ON b.customer_id = a.customer_id AND b.day <= a.day
    WHERE b.prev_day IS NOT NULL
    GROUP BY a.customer_id, a.day
)
SELECT y.customer_id, y.day, y.first_day, y.prev_day, y.next_day,
       CASE WHEN y.customer_id IS NOT NULL THEN y.is_back END AS is_back,
       CASE WHEN y.customer_id IS NOT NULL THEN y.lost_day END AS lost_day,
       CASE WHEN y.customer_id IS NOT NULL THEN y.active_until END AS active_until,
       c.cycle_days, y.won_cents, y.existing_cents, y.deals, y.customer,
       CASE WHEN y.customer_id IS NOT NULL THEN DENSE_RANK() OVER (ORDER BY y.customer_id) END AS customer_key
FROM (SELECT x.*, {purchase_day_sql("x.day", "x.prev_day", "x.next_day")} FROM x) y
LEFT JOIN cycles c ON c.customer_id = y.customer_id AND c.day = y.day
"""  # noqa: S608 - our fragments only

#: The columns of ``customer_days``, in the order CUSTOMER_DAYS gives them.
DAY_COLUMNS = (
    "customer_id, day, first_day, prev_day, next_day, is_back, lost_day, active_until, cycle_days, "
    "won_cents, existing_cents, deals, customer, customer_key"
)
#: Written in day order: DuckDB then skips the row groups outside a query's days.
_DAYS_FILL = f"""INSERT INTO customer_days ({DAY_COLUMNS})
{WON_KINDS_READ}{CUSTOMER_DAYS} ORDER BY day, customer_id"""  # noqa: S608 - our fragments only


def refresh_deal_kinds(conn: Connection) -> int:
    """Rewrite ``deal_kinds`` from the deals and accounts, in the caller's transaction; return its rows."""
    conn.execute(sa.text("DELETE FROM deal_kinds"))
    conn.execute(sa.text(_FILL))
    if conn.dialect.name == "postgresql":
        # Fresh statistics of the rewritten table and its sources, in the same transaction: without
        # them the planner guesses their sizes until autovacuum runs (the first page calls after a
        # demo build took 2.8-4.6 s instead of 0.6 s).
        conn.execute(sa.text("ANALYZE deals, accounts, deal_kinds"))
    return int(conn.execute(sa.text("SELECT COUNT(*) FROM deal_kinds")).scalar_one())


def refresh_customer_days(conn: Connection) -> int:
    """Rewrite ``customer_days`` from ``deal_kinds`` and the deals (refresh those first), in the
    caller's transaction; return its rows."""
    conn.execute(sa.text("DELETE FROM customer_days"))
    conn.execute(sa.text(_DAYS_FILL))
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("ANALYZE customer_days"))
    return int(conn.execute(sa.text("SELECT COUNT(*) FROM customer_days")).scalar_one())


#: The rows of ``open_renewals``: open deals whose type is a renewal, with their customer (from
#: ``deal_kinds``), latest stage change and customer number (``customer_keys``, revision 0023; NULL
#: for a customer with no won deal): the at-risk sums group on the number.
OPEN_RENEWALS = f"""
SELECT d.deal_id, k.customer_id, d.rep_id, d.team_id, d.amount_cents, d.close_date, d.created_date,
       h.last_change, n.customer_key
FROM deals d JOIN deal_kinds k ON k.deal_id = d.deal_id
LEFT JOIN customer_keys n ON n.customer_id = k.customer_id
LEFT JOIN (SELECT deal_id, MAX(entered_at) AS last_change FROM deal_stage_history GROUP BY deal_id) h
       ON h.deal_id = d.deal_id
WHERE d.outcome = 'open' AND k.customer_id IS NOT NULL AND {deal_kind_sql("d.deal_type")} = 'renewal'
"""  # noqa: S608 - our fragments only
RENEWAL_COLUMNS = (
    "deal_id, customer_id, rep_id, team_id, amount_cents, close_date, created_date, last_change, customer_key"
)


def refresh_open_renewals(conn: Connection) -> int:
    """Rewrite ``open_renewals`` from the deals, ``deal_kinds`` and ``customer_keys`` (refresh them
    first) and the stage history, in the caller's transaction; return its rows."""
    conn.execute(sa.text("DELETE FROM open_renewals"))
    conn.execute(sa.text(f"INSERT INTO open_renewals ({RENEWAL_COLUMNS}) {OPEN_RENEWALS}"))  # noqa: S608 - ours
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("ANALYZE open_renewals"))
    return int(conn.execute(sa.text("SELECT COUNT(*) FROM open_renewals")).scalar_one())


#: The rows of ``account_roots``: top-level accounts (as :data:`~salesops.store.sql.WON_KINDS_CTE`
#: roots them) with their customer's first won day from ``customer_days``.
ACCOUNT_ROOTS = """
SELECT a.account_id, c.day AS first_won_day
FROM accounts a
LEFT JOIN accounts p ON p.account_id = a.parent_id
LEFT JOIN customer_days c ON c.customer_id = a.account_id AND c.prev_day IS NULL
WHERE a.parent_id IS NULL OR p.account_id IS NULL
"""


def refresh_account_roots(conn: Connection) -> int:
    """Rewrite ``account_roots`` from the accounts and ``customer_days`` (refresh it first), in the
    caller's transaction; return its rows."""
    conn.execute(sa.text("DELETE FROM account_roots"))
    conn.execute(sa.text(f"INSERT INTO account_roots (account_id, first_won_day) {ACCOUNT_ROOTS}"))  # noqa: S608
    return int(conn.execute(sa.text("SELECT COUNT(*) FROM account_roots")).scalar_one())


def refresh_derived(conn: Connection, changed: Iterable[str] | None = None) -> dict[str, int]:
    """Rewrite the derived tables after a write to the ``changed`` source tables (all of them when
    None), in the caller's transaction; return the rewritten tables' row counts. The rollup of
    activities (:mod:`salesops.store.rollups`) is rewritten only when activities changed, the others
    when deals, accounts or the stage history did; the open deals' last touch
    (:mod:`salesops.store.health_tables`) whole when deals or the stage history changed, else for the
    deals an activities import noted; ``rep_days``, ``rep_months``, ``rep_periods`` and ``deal_event_days`` when deals did,
    ``deal_change_days`` and ``deal_pushes`` when deals or their change log did, the lead rollups when leads did, ``survey_team_scores`` when the survey answers did, the quotas' period ends and ``rep_period_quotas`` when quotas did."""
    tables = SOURCES if changed is None else SOURCES & set(changed)
    counts: dict[str, int] = {}
    # A deals import noted the deals it wrote (salesops.store.deal_notes): the tables keyed by deal,
    # by rep and day or by duplicate group are rewritten for those alone, unless the change log or
    # the stage history changed too (only the demo writes those); the deal kinds for those deals'
    # customers alone unless the accounts changed too.
    # An accounts import noted the accounts it added or re-parented or renamed: the deal kinds are
    # rewritten for the customers of the deals those can re-link alone.
    plain = not tables & {"deal_changes", "deal_stage_history"}
    scoped = "deals" in tables and deal_notes.noted(conn) and plain
    kinds_scoped = (
        plain
        and ("deals" not in tables or scoped)
        and ("accounts" not in tables or deal_notes.accounts_noted(conn))
        and bool(tables & {"deals", "accounts"})
    )
    if tables & _CUSTOMER_SOURCES:
        if kinds_scoped:
            counts.update(deal_notes.refresh_noted_kinds(conn))
        else:
            deal_notes.drop_notes(conn, deals=False)
            counts["deal_kinds"] = refresh_deal_kinds(conn)
            counts["customer_deal_ids"] = refresh_customer_deal_ids(conn)
        counts["rep_kind_periods"] = kind_tables.refresh_kind_periods(conn)
        counts["customer_days"] = refresh_customer_days(conn)
        counts["customer_keys"] = refresh_customer_keys(conn)
        counts["customer_years"] = refresh_customer_years(conn)
        counts["cohort_years"] = refresh_cohort_years(conn)
        counts["customer_risk_spans"] = refresh_customer_risk_spans(conn)
        counts["cohort_quarters"] = refresh_cohort_quarters(conn)
        counts["customer_flows"] = refresh_customer_flows(conn)
        counts["open_renewals"] = refresh_open_renewals(conn)
        counts["account_roots"] = refresh_account_roots(conn)
    if scoped:
        counts.update(deal_notes.refresh_noted(conn))
    elif "deals" in tables:
        deal_notes.drop_notes(conn)
        counts["rep_days"] = rollups.refresh_rep_days(conn)
        counts["deal_duplicates"] = health_tables.refresh_duplicates(conn)
        counts["rep_months"] = period_tables.refresh_rep_months(conn)
        counts["rep_periods"] = grain_tables.refresh_rep_periods(conn)
        counts["deal_event_days"] = period_tables.refresh_event_days(conn)
    if tables & {"deals", "deal_changes"} and not scoped:
        counts["deal_change_days"] = period_tables.refresh_change_days(conn)
        counts["deal_pushes"] = health_tables.refresh_pushes(conn)
    if "activities" in tables:
        months = rollups.touched_months(conn)  # before the day refresh drops the import's note
        counts["rep_activity_days"] = rollups.refresh_activity_days(conn)
        counts["rep_activity_months"] = period_tables.refresh_activity_months(conn, months)
        counts["rep_activity_periods"] = grain_tables.refresh_activity_periods(conn, months)
    if tables & {"deals", "deal_stage_history", "activities"} and not scoped:
        whole = bool(tables & {"deals", "deal_stage_history"})
        counts["open_deal_touches"] = health_tables.refresh_touches(conn, whole=whole)
    if "leads" in tables:
        counts.update(lead_tables.refresh_lead_tables(conn))
        counts["lead_stage_months"] = lead_tables.refresh_lead_stage_months(conn)
    if "survey_responses" in tables:
        counts["survey_team_scores"] = refresh_survey_scores(conn)
    if "quotas" in tables:
        period_tables.refresh_quota_ends(conn)  # a column of the source, not a table of its own
        counts["rep_period_quotas"] = grain_tables.refresh_period_quotas(conn)
    return counts

"""Per-customer, per-year, per-quarter and per-period customer tables (revisions 0014, 0018): derived from ``customer_days``, rewritten
with the other derived tables (:func:`salesops.store.derived.refresh_derived`) in the transaction of
every write that changes deals or accounts. Revenue retention and the cohort grid read the years and
quarters before the one they are measured in from here (tests/unit/test_deal_kinds.py checks each
table against its definition after every such write).

* ``customer_deal_ids`` (:data:`CUSTOMER_DEAL_IDS`, 0023): each customer's deal ids (every deal of
  ``deal_kinds`` with a customer), written in customer order so a look-up of a few customers reads
  one row group (DuckDB) or the primary key (PostgreSQL): the drill-down's deals;
* ``customer_keys`` (:data:`CUSTOMER_KEYS`, 0018): one row per customer: their number
  (``customer_days.customer_key``), id, name and first purchase day;
* ``customer_years`` (:data:`CUSTOMER_YEARS`): each customer's won revenue per calendar year, with
  their cohort (the year of their first purchase day) and that year's revenue;
* ``cohort_years`` (:data:`COHORT_YEARS`, 0024): revenue retention's sums per cohort and year;
* ``customer_risk_spans`` (:data:`CUSTOMER_RISK_SPANS`, 0024): the accounts at risk's sums per
  customer for every span of days over which they stay the same;
* ``cohort_quarters`` (:data:`COHORT_QUARTERS`): per cohort quarter and quarter, the first purchase
  days, purchase days and active spells ending in it;
* ``customer_flows`` (:data:`CUSTOMER_FLOWS`, 0018): per grain (month, quarter, year) and period,
  the won revenue and the counts the per-period customer flows add up.

Defined on the store's metadata; :mod:`salesops.store.schema` imports this module to register them.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import BigInteger, Column, Date, Double, Integer, PrimaryKeyConstraint, String, Table
from sqlalchemy.engine import Connection

from salesops.store import rollups, schema

#: Each customer's deals: derived data (``deal_kinds`` rows with a customer), rewritten by
#: :func:`refresh_customer_deal_ids` right after ``deal_kinds``. The drill-down reads the deal ids of
#: the picked customers here (``deal_kinds`` is in close-date order: a customer's deals are spread
#: over all of it).
customer_deal_ids = Table(
    "customer_deal_ids",
    schema.metadata,
    Column("customer_id", String, nullable=False),
    Column("deal_id", String, nullable=False),
    PrimaryKeyConstraint("customer_id", "deal_id"),
)

#: The rows of ``customer_deal_ids``: every deal of ``deal_kinds`` that has a customer.
CUSTOMER_DEAL_IDS = "SELECT customer_id, deal_id FROM deal_kinds WHERE customer_id IS NOT NULL"


def refresh_customer_deal_ids(conn: Connection) -> int:
    """Rewrite ``customer_deal_ids`` from ``deal_kinds`` (refresh it first), in the caller's
    transaction; return its rows. Written in customer order (DuckDB skips the other row groups)."""
    conn.execute(sa.text("DELETE FROM customer_deal_ids"))
    conn.execute(
        sa.text(
            f"INSERT INTO customer_deal_ids (customer_id, deal_id) {CUSTOMER_DEAL_IDS} ORDER BY customer_id, deal_id"
        )  # noqa: S608
    )
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("ANALYZE customer_deal_ids"))
    return int(conn.execute(sa.text("SELECT COUNT(*) FROM customer_deal_ids")).scalar_one())


#: One row per customer: derived data (``customer_days`` on each customer's first purchase day),
#: rewritten by :func:`refresh_customer_keys` with the other derived tables. The at-risk list and the
#: drill-down sum per ``customer_key`` and read the ids and names of the rows they return from here.
customer_keys = Table(
    "customer_keys",
    schema.metadata,
    Column(
        "customer_key", Integer, nullable=False, autoincrement=False
    ),  # customer_days.customer_key: 1, 2, ... in id order
    Column("customer_id", String, nullable=False),
    Column("customer", String),  # their name (customer_days.customer)
    Column("first_day", Date, nullable=False),  # their first purchase day
    PrimaryKeyConstraint("customer_key"),
)

#: The rows of ``customer_keys``: each customer's first purchase day in ``customer_days``.
CUSTOMER_KEYS = """
SELECT customer_key, customer_id, customer, day AS first_day
FROM customer_days WHERE customer_id IS NOT NULL AND prev_day IS NULL
"""
KEY_COLUMNS = "customer_key, customer_id, customer, first_day"


def refresh_customer_keys(conn: Connection) -> int:
    """Rewrite ``customer_keys`` from ``customer_days`` (refresh it first), in the caller's
    transaction; return its rows. Written in key order."""
    conn.execute(sa.text("DELETE FROM customer_keys"))
    conn.execute(sa.text(f"INSERT INTO customer_keys ({KEY_COLUMNS}) {CUSTOMER_KEYS} ORDER BY customer_key"))  # noqa: S608
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("ANALYZE customer_keys"))
    return int(conn.execute(sa.text("SELECT COUNT(*) FROM customer_keys")).scalar_one())


#: Each customer's won revenue per calendar year: derived data (``customer_days`` summed per customer
#: and year, with the customer's cohort — the year of their first purchase day — and that first
#: year's revenue), rewritten by :func:`salesops.store.derived.refresh_customer_years` with the other
#: derived tables. Revenue retention reads the years before the one it is measured in from here.
customer_years = Table(
    "customer_years",
    schema.metadata,
    Column("customer_id", String, nullable=False),
    Column("year", Integer, nullable=False),
    Column("cohort", Integer, nullable=False),  # the calendar year of their first purchase day
    Column("won_cents", BigInteger, nullable=False),
    Column("base_cents", BigInteger, nullable=False),  # their won revenue in the cohort year (the whole year)
    PrimaryKeyConstraint("customer_id", "year"),
)

#: The quarterly cohort grid's counts: derived data, per cohort (the quarter of a customer's first
#: purchase day) and quarter, the customers' first purchase days, purchase days and ends of active
#: spells (``active_until``) in that quarter, from ``customer_days``; rewritten by
#: :func:`salesops.store.derived.refresh_cohort_quarters` with the other derived tables. The grid
#: reads the quarters before the one it is measured in from here.
cohort_quarters = Table(
    "cohort_quarters",
    schema.metadata,
    Column("cohort", Date, nullable=False),  # first day of the cohort's quarter
    Column("quarter", Date, nullable=False),  # first day of the quarter counted
    Column("firsts", BigInteger, nullable=False),  # first purchase days in it (customers who joined)
    Column("starts", BigInteger, nullable=False),  # purchase days in it
    Column("untils", BigInteger, nullable=False),  # active spells ending in it (their active_until)
    PrimaryKeyConstraint("cohort", "quarter"),
)

#: The rows of ``customer_years``: ``customer_days`` summed per customer and calendar year, with the
#: customer's cohort (the year of their first purchase day) and their revenue in that year.
CUSTOMER_YEARS = """
SELECT customer_id, year, cohort, won_cents,
       SUM(CASE WHEN year = cohort THEN won_cents ELSE 0 END) OVER (PARTITION BY customer_id) AS base_cents
FROM (
    SELECT customer_id, CAST(EXTRACT(YEAR FROM day) AS INTEGER) AS year,
           CAST(EXTRACT(YEAR FROM first_day) AS INTEGER) AS cohort, SUM(won_cents) AS won_cents
    FROM customer_days WHERE customer_id IS NOT NULL GROUP BY 1, 2, 3
) y
"""
YEAR_COLUMNS = "customer_id, year, cohort, won_cents, base_cents"


def refresh_customer_years(conn: Connection) -> int:
    """Rewrite ``customer_years`` from ``customer_days`` (refresh it first), in the caller's
    transaction; return its rows. Written in year order (DuckDB skips the other years' row groups)."""
    conn.execute(sa.text("DELETE FROM customer_years"))
    conn.execute(
        sa.text(f"INSERT INTO customer_years ({YEAR_COLUMNS}) {CUSTOMER_YEARS} ORDER BY year, customer_id")  # noqa: S608
    )
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("ANALYZE customer_years"))
    return int(conn.execute(sa.text("SELECT COUNT(*) FROM customer_years")).scalar_one())


def quarter_sql(expr: str) -> str:
    """The first day of the quarter holding the date ``expr``."""
    return f"CAST(date_trunc('quarter', {expr}) AS DATE)"


#: The rows of ``cohort_quarters``: per cohort (quarter of the first purchase day) and quarter, the
#: first purchase days, purchase days and active-spell ends (``active_until``) that fall in it.
COHORT_QUARTERS = f"""
SELECT cohort, quarter, SUM(firsts) AS firsts, SUM(starts) AS starts, SUM(untils) AS untils FROM (
    SELECT {quarter_sql("first_day")} AS cohort, {quarter_sql("day")} AS quarter,
           SUM(CASE WHEN prev_day IS NULL THEN 1 ELSE 0 END) AS firsts, COUNT(*) AS starts, 0 AS untils
    FROM customer_days WHERE customer_id IS NOT NULL GROUP BY 1, 2
    UNION ALL
    SELECT {quarter_sql("first_day")}, {quarter_sql("active_until")}, 0, 0, COUNT(*)
    FROM customer_days WHERE customer_id IS NOT NULL GROUP BY 1, 2
) c GROUP BY cohort, quarter
"""  # noqa: S608 - our fragments only
QUARTER_COLUMNS = "cohort, quarter, firsts, starts, untils"


def refresh_cohort_quarters(conn: Connection) -> int:
    """Rewrite ``cohort_quarters`` from ``customer_days`` (refresh it first), in the caller's
    transaction; return its rows."""
    return rollups.rewrite(conn, "cohort_quarters", QUARTER_COLUMNS, COHORT_QUARTERS, order="cohort, quarter")


#: Revenue retention's sums per cohort and calendar year: derived data (``customer_years`` summed per
#: cohort and year: customers, their cohort-year revenue, their revenue in the year and that revenue
#: capped at each one's cohort-year revenue), rewritten by :func:`refresh_cohort_years` with the other
#: derived tables. Retention measured when no purchase day is stored after the day it is measured at
#: (the usual case) reads these few rows instead of every customer's years.
cohort_years = Table(
    "cohort_years",
    schema.metadata,
    Column("cohort", Integer, nullable=False),
    Column("year", Integer, nullable=False),
    Column("customers", BigInteger, nullable=False),  # customers of the cohort with revenue in the year
    Column("base_cents", BigInteger, nullable=False),  # their cohort-year revenue
    Column("revenue_cents", BigInteger, nullable=False),  # their revenue in the year
    Column("kept_cents", BigInteger, nullable=False),  # the same, each capped at their cohort-year revenue
    PrimaryKeyConstraint("cohort", "year"),
)

#: The rows of ``cohort_years``: ``customer_years`` summed per cohort and year.
COHORT_YEARS = """
SELECT cohort, year, COUNT(*) AS customers, SUM(base_cents) AS base_cents, SUM(won_cents) AS revenue_cents,
       SUM(LEAST(won_cents, base_cents)) AS kept_cents
FROM customer_years GROUP BY cohort, year
"""
COHORT_YEAR_COLUMNS = "cohort, year, customers, base_cents, revenue_cents, kept_cents"


def refresh_cohort_years(conn: Connection) -> int:
    """Rewrite ``cohort_years`` from ``customer_years`` (refresh it first), in the caller's
    transaction; return its rows."""
    return rollups.rewrite(conn, "cohort_years", COHORT_YEAR_COLUMNS, COHORT_YEARS, order="cohort, year")


#: The accounts at risk's per-customer sums for any day they are measured at: derived data, one row
#: per customer and span of days [valid_from, valid_to) (valid_to NULL: open) over which the
#: customer's purchases in the 24 months up to the day are the same split: revenue in the last 12
#: months, in the 12 before, the last purchase day and the usual cycle on it. A span starts where a
#: purchase day enters the 24 months (its day), moves from the last 12 months to the 12 before, or
#: leaves; only spans with a purchase day in the 24 months are stored. The at-risk list of the whole
#: company reads the spans holding its day (one row per customer: a filter, not a group-by over
#: every purchase day). Rewritten by :func:`refresh_customer_risk_spans` with the other derived tables.
customer_risk_spans = Table(
    "customer_risk_spans",
    schema.metadata,
    Column("customer_key", Integer, nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date),  # the next span's first day (NULL: none)
    Column("last_12m_cents", BigInteger, nullable=False),  # won in (day - 12 months, day]
    Column("prior_12m_cents", BigInteger, nullable=False),  # won in (day - 24 months, day - 12 months]
    Column("last_purchase", Date, nullable=False),  # the last purchase day up to the day
    Column("cycle_days", Double),  # customer_days.cycle_days on that day
    PrimaryKeyConstraint("customer_key", "valid_from"),
)


def _first_day_after(day: str, months: int) -> str:
    """The first day x with x - ``months`` months >= ``day`` (as the at-risk binds compute a day
    ``months`` months back: a month end is clamped, so 29 Feb + 12 months, 28 Feb, is one day short)."""
    ahead = f"CAST({day} + INTERVAL '{months} months' AS DATE)"
    return (
        f"CASE WHEN CAST({ahead} - INTERVAL '{months} months' AS DATE) < {day} "
        f"THEN CAST({ahead} + INTERVAL '1 day' AS DATE) ELSE {ahead} END"
    )


#: The rows of ``customer_risk_spans``: each purchase day adds its revenue to the last 12 months on its
#: day, moves it to the 12 before when 12 months have passed, and removes it after 24; running sums
#: of those changes per customer, one row per day on which something changes.
CUSTOMER_RISK_SPANS = f"""
WITH ev AS (
    SELECT customer_key, day AS x, won_cents AS d_last, 0 AS d_prior, 1 AS d_n, day AS entered
    FROM customer_days WHERE customer_key IS NOT NULL
    UNION ALL
    SELECT customer_key, {_first_day_after("day", 12)}, -won_cents, won_cents, 0, CAST(NULL AS DATE)
    FROM customer_days WHERE customer_key IS NOT NULL
    UNION ALL
    SELECT customer_key, {_first_day_after("day", 24)}, 0, -won_cents, -1, CAST(NULL AS DATE)
    FROM customer_days WHERE customer_key IS NOT NULL
),
per AS (
    SELECT customer_key, x, SUM(d_last) AS d_last, SUM(d_prior) AS d_prior, SUM(d_n) AS d_n, MAX(entered) AS entered
    FROM ev GROUP BY customer_key, x
),
run AS (
    SELECT customer_key, x AS valid_from, LEAD(x) OVER (PARTITION BY customer_key ORDER BY x) AS valid_to,
           SUM(d_last) OVER w AS last_12m_cents, SUM(d_prior) OVER w AS prior_12m_cents, SUM(d_n) OVER w AS n,
           MAX(entered) OVER w AS last_purchase
    FROM per WINDOW w AS (PARTITION BY customer_key ORDER BY x ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
)
SELECT run.customer_key, run.valid_from, run.valid_to, run.last_12m_cents, run.prior_12m_cents, run.last_purchase,
       c.cycle_days
FROM run JOIN customer_days c ON c.customer_key = run.customer_key AND c.day = run.last_purchase
WHERE run.n > 0
"""  # noqa: S608 - our fragments only
RISK_SPAN_COLUMNS = "customer_key, valid_from, valid_to, last_12m_cents, prior_12m_cents, last_purchase, cycle_days"


def refresh_customer_risk_spans(conn: Connection) -> int:
    """Rewrite ``customer_risk_spans`` from ``customer_days`` (refresh it first), in the caller's
    transaction; return its rows. Written in valid_from order (DuckDB skips the spans starting after
    the day asked for)."""
    conn.execute(sa.text("DELETE FROM customer_risk_spans"))
    conn.execute(
        sa.text(
            f"INSERT INTO customer_risk_spans ({RISK_SPAN_COLUMNS}) {CUSTOMER_RISK_SPANS} ORDER BY valid_from, customer_key"  # noqa: S608
        )
    )
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("ANALYZE customer_risk_spans"))
    return int(conn.execute(sa.text("SELECT COUNT(*) FROM customer_risk_spans")).scalar_one())


#: The per-period customer flows' counts: derived data, per grain and period (by the date each count
#: is dated on): won and existing revenue and first, won-back and all purchase days (by day), lost
#: customers (by ``lost_day``) and ended active spells (by ``active_until``), from ``customer_days``;
#: rewritten by :func:`refresh_customer_flows` with the other derived tables. The per-period flows
#: read the periods that end on or before the day they are measured at from here.
customer_flows = Table(
    "customer_flows",
    schema.metadata,
    Column("grain", String, nullable=False),  # month, quarter or year
    Column("period_start", Date, nullable=False),
    Column("won_cents", BigInteger, nullable=False),  # won revenue, with deals of no account
    Column("existing_cents", BigInteger, nullable=False),  # of it, existing business
    Column("firsts", BigInteger, nullable=False),  # first purchase days (new customers)
    Column("backs", BigInteger, nullable=False),  # won-back purchase days (returning customers)
    Column("lost", BigInteger, nullable=False),  # customers lost (their lost_day in it)
    Column("starts", BigInteger, nullable=False),  # purchase days
    Column("untils", BigInteger, nullable=False),  # active spells ending (their active_until in it)
    PrimaryKeyConstraint("grain", "period_start"),
)

#: The grains ``customer_flows`` holds (the per-period view's grains).
FLOW_GRAINS = ("month", "quarter", "year")


def _flows_of(grain: str) -> str:
    """The ``customer_flows`` rows of one grain (a name from :data:`FLOW_GRAINS`)."""
    start = "CAST(date_trunc('{g}', {d}) AS DATE)".replace("{g}", grain)
    return f"""
SELECT '{grain}' AS grain, period_start, SUM(won_cents) AS won_cents, SUM(existing_cents) AS existing_cents,
       SUM(firsts) AS firsts, SUM(backs) AS backs, SUM(lost) AS lost, SUM(starts) AS starts, SUM(untils) AS untils
FROM (
    SELECT {start.format(d="day")} AS period_start, won_cents, existing_cents,
           CASE WHEN customer_id IS NOT NULL AND prev_day IS NULL THEN 1 ELSE 0 END AS firsts,
           COALESCE(is_back, 0) AS backs, 0 AS lost, CASE WHEN customer_id IS NOT NULL THEN 1 ELSE 0 END AS starts,
           0 AS untils
    FROM customer_days
    UNION ALL
    SELECT {start.format(d="lost_day")}, 0, 0, 0, 0, 1, 0, 0 FROM customer_days WHERE lost_day IS NOT NULL
    UNION ALL
    SELECT {start.format(d="active_until")}, 0, 0, 0, 0, 0, 0, 1 FROM customer_days WHERE active_until IS NOT NULL
) f GROUP BY period_start"""  # noqa: S608 - our fragments; grain from FLOW_GRAINS


#: The rows of ``customer_flows``: :func:`_flows_of` each grain.
CUSTOMER_FLOWS = " UNION ALL ".join(_flows_of(g) for g in FLOW_GRAINS)
FLOW_COLUMNS = "grain, period_start, won_cents, existing_cents, firsts, backs, lost, starts, untils"


def refresh_customer_flows(conn: Connection) -> int:
    """Rewrite ``customer_flows`` from ``customer_days`` (refresh it first), in the caller's
    transaction; return its rows."""
    # Created here when missing: a store migrated by the first version of revision 0018 (which
    # did not create it yet) gets it on its next write.
    customer_flows.create(conn, checkfirst=True)
    conn.execute(sa.text("DELETE FROM customer_flows"))
    conn.execute(sa.text(f"INSERT INTO customer_flows ({FLOW_COLUMNS}) {CUSTOMER_FLOWS}"))  # noqa: S608 - ours
    return int(conn.execute(sa.text("SELECT COUNT(*) FROM customer_flows")).scalar_one())

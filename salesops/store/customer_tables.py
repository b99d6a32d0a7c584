"""Per-customer, per-year and per-quarter customer tables (revisions 0014, 0018): derived from ``customer_days``, rewritten
with the other derived tables (:func:`salesops.store.derived.refresh_derived`) in the transaction of
every write that changes deals or accounts. Revenue retention and the cohort grid read the years and
quarters before the one they are measured in from here (tests/unit/test_deal_kinds.py checks each
table against its definition after every such write).

* ``customer_keys`` (:data:`CUSTOMER_KEYS`, 0018): one row per customer: their number
  (``customer_days.customer_key``), id, name and first purchase day;
* ``customer_years`` (:data:`CUSTOMER_YEARS`): each customer's won revenue per calendar year, with
  their cohort (the year of their first purchase day) and that year's revenue;
* ``cohort_quarters`` (:data:`COHORT_QUARTERS`): per cohort quarter and quarter, the first purchase
  days, purchase days and active spells ending in it.

Defined on the store's metadata; :mod:`salesops.store.schema` imports this module to register them.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import BigInteger, Column, Date, Integer, PrimaryKeyConstraint, String, Table
from sqlalchemy.engine import Connection

from salesops.store import schema

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
    conn.execute(sa.text("DELETE FROM cohort_quarters"))
    conn.execute(sa.text(f"INSERT INTO cohort_quarters ({QUARTER_COLUMNS}) {COHORT_QUARTERS}"))  # noqa: S608 - ours
    return int(conn.execute(sa.text("SELECT COUNT(*) FROM cohort_quarters")).scalar_one())

"""Revenue retention and the cohort grid, computed in the database (see :mod:`.fast`).

Each function returns the same frame as its pure-pandas reference in :mod:`.cohorts` (tested equal).
The whole company, unfiltered, reads the years and quarters before the one ``as_of`` falls in from
the stored ``customer_years`` and ``cohort_quarters`` (complete by then, whatever ``as_of``), and
only the current year or quarter, up to ``as_of``, from ``customer_days``; other scopes compute every
figure from their purchase days.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from salesops.customers import fast  # its _stored read at call time (a test swaps it for the computed path)
from salesops.scope import Scope
from salesops.store.customer_tables import quarter_sql
from salesops.store.engine import fetch_frame

#: ``per`` (cohort, yr, cents, base: one row per customer and cohort year up to :asof) from the
#: stored years before :y and the current year's purchase days up to :asof; the cohort year's revenue
#: is the stored one for an earlier cohort (a whole past year), the current year's own otherwise.
_STORED_PER = """WITH cur AS (
        SELECT customer_id, SUM(won_cents) AS cents FROM customer_days
        WHERE customer_id IS NOT NULL AND day >= :y0 AND day <= :asof GROUP BY 1
    ),
    per AS (
        SELECT cohort, year - cohort + 1 AS yr, won_cents AS cents, base_cents AS base
        FROM customer_years WHERE year < :y
        UNION ALL
        SELECT cy.cohort, cy.year - cy.cohort + 1, cur.cents,
               CASE WHEN cy.cohort = cy.year THEN cur.cents ELSE cy.base_cents END
        FROM cur JOIN customer_years cy ON cy.customer_id = cur.customer_id AND cy.year = :y
    )"""

#: ``per`` when no purchase day is after :asof: the stored years up to :y are all there is to count.
_WHOLE_PER = """WITH per AS (
        SELECT cohort, year - cohort + 1 AS yr, won_cents AS cents, base_cents AS base
        FROM customer_years WHERE year <= :y
    )"""


def _purchases_after(engine: Engine, as_of: date) -> bool:
    """Whether a customer's purchase day is stored after ``as_of`` (measured in the past: the stored
    current year holds days it must not count)."""
    sql = "SELECT MAX(day) AS last FROM customer_days WHERE customer_id IS NOT NULL"
    last = fetch_frame(engine, sa.text(sql))["last"].iloc[0]
    return last is not None and not pd.isna(last) and pd.Timestamp(last).date() > as_of


def _computed_per(scope: Scope) -> tuple[str, dict]:
    """``per`` from the scope's purchase days (``ev``)."""
    base, params = fast._base(scope, "company")
    sql = f"""{base},
    py AS (
        SELECT customer_id, CAST(EXTRACT(YEAR FROM first_day) AS INTEGER) AS cohort,
               CAST(EXTRACT(YEAR FROM day) AS INTEGER) - CAST(EXTRACT(YEAR FROM first_day) AS INTEGER) + 1 AS yr,
               SUM(won_cents) AS cents
        FROM ev GROUP BY 1, 2, 3
    ),
    b AS (SELECT customer_id, SUM(CASE WHEN yr = 1 THEN cents ELSE 0 END) AS base FROM py GROUP BY 1),
    per AS (SELECT py.cohort, py.yr, py.cents, b.base FROM py JOIN b ON b.customer_id = py.customer_id)"""  # noqa: S608
    return sql, params


def revenue_retention_sql(engine: Engine, scope: Scope, as_of: date) -> pd.DataFrame:
    """:func:`salesops.customers.cohorts.revenue_retention` of the scope (company), in SQL."""
    from salesops.customers.cohorts import RETENTION_COLUMNS

    if fast._stored(scope, "company"):
        params = {"y": as_of.year, "y0": date(as_of.year, 1, 1)}
        per = _STORED_PER if _purchases_after(engine, as_of) else _WHOLE_PER
    else:
        per, params = _computed_per(scope)
    sql = f"""{per},
    coh AS (SELECT cohort, COUNT(*) AS customers, SUM(base) AS base_cents FROM per WHERE yr = 1 GROUP BY 1),
    yk AS (
        SELECT cohort, yr, SUM(cents) AS revenue_cents, SUM(LEAST(cents, base)) AS kept_cents
        FROM per WHERE yr >= 2 GROUP BY 1, 2
    )
    SELECT coh.*, yk.yr, yk.revenue_cents, yk.kept_cents FROM coh LEFT JOIN yk ON yk.cohort = coh.cohort
    """  # noqa: S608 - our fragments; values bound
    got = fetch_frame(engine, sa.text(sql), {"asof": as_of, **params})
    # Plain Python over a few dozen rows: a pandas block per cohort (astype, dropna, set_index)
    # cost more than the query.
    heads: dict[int, tuple[int, int]] = {}
    years: dict[tuple[int, int], tuple[int, int]] = {}
    cols = ["cohort", "customers", "base_cents", "yr", "revenue_cents", "kept_cents"]
    for cohort, customers, base, yr, rev, kept in zip(*(got[c].tolist() for c in cols)):
        heads[int(cohort)] = (int(customers), int(base))
        if yr is not None and not pd.isna(yr):
            years[int(cohort), int(yr)] = (int(rev), int(kept))
    rows = []
    for cohort in sorted(heads):
        customers, base_total = heads[cohort]
        for year in range(2, as_of.year - cohort + 2):
            rev, kept = years.get((cohort, year), (0, 0))
            rows.append(
                (
                    cohort, customers, year, base_total, rev, kept,
                    rev / base_total if base_total else np.nan, kept / base_total if base_total else np.nan,
                    as_of >= date(cohort + year - 1, 12, 31),
                )
            )  # fmt: skip
    return pd.DataFrame(rows, columns=RETENTION_COLUMNS)


#: The grid's counts (part, cq, q, a, firsts) of the quarters before :q0 from ``cohort_quarters``,
#: and of :q0's quarter up to :asof from ``customer_days``.
_STORED_GRID = f"""
    SELECT 'start' AS part, cohort AS cq, quarter AS q, starts AS a, firsts FROM cohort_quarters
    WHERE quarter < :q0 AND starts > 0
    UNION ALL SELECT 'until', cohort, quarter, untils, 0 FROM cohort_quarters WHERE quarter < :q0 AND untils > 0
    UNION ALL SELECT 'start', {quarter_sql("first_day")}, CAST(:q0 AS DATE), COUNT(*),
                     SUM(CASE WHEN prev_day IS NULL THEN 1 ELSE 0 END)
    FROM customer_days WHERE customer_id IS NOT NULL AND day >= :q0 AND day <= :asof GROUP BY 2
    UNION ALL SELECT 'until', {quarter_sql("first_day")}, CAST(:q0 AS DATE), COUNT(*), 0
    FROM customer_days WHERE customer_id IS NOT NULL AND active_until >= :q0 AND active_until <= :asof GROUP BY 2
"""  # noqa: S608 - our fragments; values bound


def _grid_counts(engine: Engine, scope: Scope, as_of: date) -> pd.DataFrame:
    """Purchase days ('start', with the first ones in ``firsts``) and active-spell ends ('until') up to
    ``as_of``, per cohort quarter ``cq`` and the quarter ``q`` they fall in (the periods are whole
    quarters up to as_of's, and every day counted is on or before as_of, so a day's own quarter is
    the first period ending on or after it)."""
    if fast._stored(scope, "company"):
        q0 = pd.Timestamp(as_of).to_period("Q").start_time.date()
        return fetch_frame(engine, sa.text(_STORED_GRID), {"asof": as_of, "q0": q0})
    base, params = fast._base(scope, "company")
    cq = quarter_sql("first_day")
    sql = f"""{base}
    SELECT 'start' AS part, {cq} AS cq, {quarter_sql("day")} AS q, COUNT(*) AS a, SUM(is_first) AS firsts
    FROM ev GROUP BY 1, 2, 3
    UNION ALL SELECT 'until', {cq}, {quarter_sql("active_until")}, COUNT(*), 0 FROM ev
    WHERE active_until <= :asof GROUP BY 1, 2, 3
    """  # noqa: S608 - our fragments; values bound
    return fetch_frame(engine, sa.text(sql), {"asof": as_of, **params})


def cohort_grid_sql(engine: Engine, scope: Scope, as_of: date) -> pd.DataFrame:
    """:func:`salesops.customers.cohorts.cohort_grid` of the scope (company), in SQL."""
    from salesops.customers.cohorts import GRID_COLUMNS

    got = _grid_counts(engine, scope, as_of)
    if not len(got):
        return pd.DataFrame(columns=GRID_COLUMNS)
    got["cq"] = pd.to_datetime(got["cq"]).dt.to_period("Q")
    quarters = pd.period_range(got["cq"].min(), pd.Timestamp(as_of).to_period("Q"))
    n = len(quarters)
    got["k"] = quarters.get_indexer(pd.to_datetime(got["q"]).dt.to_period("Q"))
    got = got.astype({"a": "int64", "firsts": "int64"})
    sizes = got.groupby("cq")["firsts"].sum()  # each customer's first day: one per customer
    sizes = sizes[sizes > 0]
    active = fast._running(got, "cq", n).to_dict()  # plain dict look-ups: a Series .get per cell took 20 ms
    labels = [fast._quarter(q) for q in quarters]
    rows = []
    for cohort, size in sizes.sort_index().items():
        first = quarters.get_loc(cohort)
        for k in range(first, n):
            got_n = int(active.get((cohort, k), 0))
            rows.append((labels[first], labels[k], k - first, int(size), got_n, got_n / int(size)))
    out = pd.DataFrame(rows, columns=GRID_COLUMNS)
    return out.sort_values(["cohort", "quarters_after"]).reset_index(drop=True)

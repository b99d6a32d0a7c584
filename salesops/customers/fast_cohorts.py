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
from sqlalchemy.engine import Connection, Engine

from salesops.customers import fast  # its _stored read at call time (a test swaps it for the computed path)
from salesops.scope import Scope, period_label
from salesops.store.customer_tables import quarter_sql

#: The customers with a purchase day in :asof's year after :asof, summed per cohort: their stored
#: year :y (``customer_years``: count, revenue, cohort-year revenue, that revenue capped) and the same
#: year up to :asof (how many bought on or before :asof that year — the previous purchase day of
#: their first day after :asof is in the year — and their revenue less the days after, capped at
#: their cohort-year revenue, which in their cohort year is that revenue itself). Only these
#: customers' year differs from the stored one: the days after :asof are the last few row groups.
_LATE = """WITH late AS (
        SELECT customer_id, SUM(won_cents) AS after_cents,
               MAX(CASE WHEN prev_day >= :y0 AND prev_day <= :asof THEN 1 ELSE 0 END) AS counted
        FROM customer_days WHERE customer_id IS NOT NULL AND day > :asof AND day < :ynext GROUP BY customer_id
    ),
    c AS (
        SELECT cy.cohort, cy.won_cents AS won, cy.base_cents AS base, cy.won_cents - l.after_cents AS cents,
               l.counted
        FROM late l JOIN customer_years cy ON cy.customer_id = l.customer_id AND cy.year = :y
    )
    SELECT cohort, COUNT(*), SUM(won), SUM(base), SUM(LEAST(won, base)),
           SUM(counted), SUM(counted * cents),
           SUM(counted * LEAST(cents, CASE WHEN cohort = :y THEN cents ELSE base END))
    FROM c GROUP BY cohort"""

#: The stored sums per cohort and year up to :y (``cohort_years``).
_COHORT_YEARS = """SELECT cohort, year, customers, base_cents, revenue_cents, kept_cents
    FROM cohort_years WHERE year <= :y"""


def _stored_sums(
    conn: Connection, as_of: date
) -> tuple[dict[int, tuple[int, int]], dict[tuple[int, int], tuple[int, int]]]:
    """The retention sums of the whole company measured at ``as_of`` (per cohort: customers and base;
    per cohort and year 2, 3, ...: revenue and kept) when purchase days are stored after it:
    ``cohort_years`` up to its year, with the sums of that year taken back to ``as_of`` for the
    customers who bought after it (:data:`_LATE`) — what summing each customer's stored years before
    it and that year's purchase days up to ``as_of`` gives (a cohort or year left with no customer has
    no row)."""
    y = as_of.year
    binds = {"y": y, "y0": date(y, 1, 1), "ynext": date(y + 1, 1, 1), "asof": as_of}
    late = {int(r[0]): [int(v or 0) for v in r[1:]] for r in conn.execute(sa.text(_LATE), binds).fetchall()}
    heads: dict[int, tuple[int, int]] = {}
    years: dict[tuple[int, int], tuple[int, int]] = {}
    for cohort, year, customers, base, revenue, kept in conn.execute(sa.text(_COHORT_YEARS), binds).fetchall():
        cohort, year, customers, base, revenue, kept = map(int, (cohort, year, customers, base, revenue, kept))
        if year == y and cohort in late:
            n, won, bases, capped, counted, cents, cents_capped = late[cohort]
            customers += counted - n
            if cohort == y:
                base += cents - bases
            revenue += cents - won
            kept += cents_capped - capped
        if customers == 0:
            continue
        if year == cohort:
            heads[cohort] = (customers, base)
        else:
            years[cohort, year - cohort + 1] = (revenue, kept)
    return heads, years


#: The retention rows when no purchase day is after :asof: the stored years up to :y are all there
#: is to count, already summed per cohort and year in ``cohort_years`` (what :func:`_retention_sql`
#: computes from them).
_WHOLE = """
    SELECT c.cohort, c.customers, c.base_cents, y.year - y.cohort + 1 AS yr, y.revenue_cents, y.kept_cents
    FROM cohort_years c
    LEFT JOIN cohort_years y ON y.cohort = c.cohort AND y.year > y.cohort AND y.year <= :y
    WHERE c.year = c.cohort AND c.year <= :y
"""


def _purchases_after(conn: Connection, as_of: date) -> bool:
    """Whether a customer's purchase day is stored after ``as_of`` (measured in the past: the stored
    current year holds days it must not count)."""
    sql = "SELECT MAX(day) AS last FROM customer_days WHERE customer_id IS NOT NULL"
    last = conn.execute(sa.text(sql)).scalar()
    return last is not None and pd.Timestamp(last).date() > as_of


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


def _retention_sql(per: str) -> str:
    """Per cohort: its customers and year-1 revenue, with each later year's revenue and kept revenue."""
    return f"""{per},
    coh AS (SELECT cohort, COUNT(*) AS customers, SUM(base) AS base_cents FROM per WHERE yr = 1 GROUP BY 1),
    yk AS (
        SELECT cohort, yr, SUM(cents) AS revenue_cents, SUM(LEAST(cents, base)) AS kept_cents
        FROM per WHERE yr >= 2 GROUP BY 1, 2
    )
    SELECT coh.cohort, coh.customers, coh.base_cents, yk.yr, yk.revenue_cents, yk.kept_cents
    FROM coh LEFT JOIN yk ON yk.cohort = coh.cohort
    """  # noqa: S608 - our fragments; values bound


def revenue_retention_sql(engine: Engine, scope: Scope, as_of: date) -> pd.DataFrame:
    """:func:`salesops.customers.cohorts.revenue_retention` of the scope (company), in SQL."""
    from salesops.customers.cohorts import RETENTION_COLUMNS

    with engine.connect() as conn:
        # Plain Python over a few dozen rows: a pandas block per cohort (astype, dropna, set_index)
        # cost more than the query.
        if fast._stored(scope, "company") and _purchases_after(conn, as_of):
            heads, years = _stored_sums(conn, as_of)
        else:
            if fast._stored(scope, "company"):
                sql, params = _WHOLE, {"y": as_of.year}
            else:
                per, params = _computed_per(scope)
                sql = _retention_sql(per)
            heads, years = {}, {}
            for cohort, customers, base, yr, rev, kept in conn.execute(sa.text(sql), {"asof": as_of, **params}):
                heads[int(cohort)] = (int(customers), int(base))
                if yr is not None:
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


def _grid_counts(engine: Engine, scope: Scope, as_of: date) -> list[tuple]:
    """Purchase days ('start', with the first ones in ``firsts``) and active-spell ends ('until') up to
    ``as_of``: rows (part, cq, q, a, firsts) per cohort quarter ``cq`` and the quarter ``q`` they fall
    in (the periods are whole quarters up to as_of's, and every day counted is on or before as_of, so
    a day's own quarter is the first period ending on or after it)."""
    if fast._stored(scope, "company"):
        q0 = date(as_of.year, (as_of.month - 1) // 3 * 3 + 1, 1)
        sql, params = _STORED_GRID, {"q0": q0}
    else:
        base, params = fast._base(scope, "company")
        cq = quarter_sql("first_day")
        sql = f"""{base}
    SELECT 'start' AS part, {cq} AS cq, {quarter_sql("day")} AS q, COUNT(*) AS a, SUM(is_first) AS firsts
    FROM ev GROUP BY 1, 2, 3
    UNION ALL SELECT 'until', {cq}, {quarter_sql("active_until")}, COUNT(*), 0 FROM ev
    WHERE active_until <= :asof GROUP BY 1, 2, 3
    """  # noqa: S608 - our fragments; values bound
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(sa.text(sql), {"asof": as_of, **params}).fetchall()]


def _qi(day: date) -> int:
    """A quarter's number (year * 4 + quarter - 1) of the date ``day``."""
    return day.year * 4 + (day.month - 1) // 3


def cohort_grid_sql(engine: Engine, scope: Scope, as_of: date) -> pd.DataFrame:
    """:func:`salesops.customers.cohorts.cohort_grid` of the scope (company), in SQL. The database
    counts per cohort and quarter; plain loops add them up (a few thousand cells: pandas operations
    per cell or per column cost more than the counts, 25 ms at medium scale)."""
    from salesops.customers.cohorts import GRID_COLUMNS

    got = _grid_counts(engine, scope, as_of)
    if not got:
        return pd.DataFrame(columns=GRID_COLUMNS)
    lo, hi = min(_qi(cq) for _, cq, *_ in got), _qi(as_of)
    n = hi - lo + 1
    sizes: dict[int, int] = {}  # each customer's first day: one per customer, by cohort quarter number
    deltas: dict[int, list[int]] = {}  # per cohort: purchase days less spell ends, per quarter index
    for part, cq, q, a, firsts in got:
        c = _qi(cq)
        sizes[c] = sizes.get(c, 0) + int(firsts)
        k = _qi(q) - lo
        if 0 <= k < n:  # (every counted day is in the quarters from the first cohort's to as_of's)
            row = deltas.setdefault(c, [0] * n)
            row[k] += int(a) if part == "start" else -int(a)
    labels = [period_label(date(i // 4, i % 4 * 3 + 1, 1), "quarter") for i in range(lo, hi + 1)]
    rows = []
    for c in sorted(sizes):
        size = sizes[c]
        if size <= 0:
            continue
        first, active, row = c - lo, 0, deltas.get(c, [0] * n)
        for k in range(n):
            active += row[k]
            if k >= first:
                rows.append((labels[first], labels[k], k - first, size, active, active / size))
    rows.sort(key=lambda r: (r[0], r[2]))  # the reference's order: cohort label, then quarters after
    return pd.DataFrame(rows, columns=GRID_COLUMNS)

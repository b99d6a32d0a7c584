"""The concentration and the accounts at risk, computed in the database (see :mod:`.fast`).

Each function returns the same frame as its pure-pandas reference in :mod:`.risk` (tested equal).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from salesops.customers import fast  # its _stored read at call time (a test swaps it for the computed path)
from salesops.scope import Scope
from salesops.store.engine import fetch_frame
from salesops.store.sql import scope_filter


def _concentration_query(scope: Scope) -> tuple[str, dict]:
    """Per customer, their won revenue in [:lo, :asof] (no-account revenue as one NULL customer), the
    first :n rows by revenue (ties by customer id), with the total, the customer count and the
    no-account revenue. The whole company sums ``customer_days`` per integer key and reads the names of
    the rows returned only; other scopes sum their deals."""
    if fast._stored(scope, "company"):
        return (
            """WITH r AS (
        SELECT customer_key, SUM(won_cents) AS won_cents FROM customer_days
        WHERE day >= :lo AND day <= :asof GROUP BY 1
    ),
    top AS (
        SELECT r.customer_key, r.won_cents, SUM(r.won_cents) OVER () AS total,
               COUNT(r.customer_key) OVER () AS customers,
               SUM(CASE WHEN r.customer_key IS NULL THEN r.won_cents ELSE 0 END) OVER () AS no_account
        FROM r ORDER BY r.customer_key IS NULL, r.won_cents DESC, r.customer_key LIMIT :n
    )
    SELECT k.customer_id, k.customer, top.won_cents, top.total, top.customers, top.no_account
    FROM top LEFT JOIN customer_keys k ON k.customer_key = top.customer_key
    ORDER BY top.customer_key IS NULL, top.won_cents DESC, top.customer_key""",
            {},
        )
    base, params = fast._base(scope, "company", names=True)
    sql = f"""{base},
    r AS (
        SELECT customer_id, MIN(customer) AS customer, SUM(amount_cents) AS won_cents
        FROM w WHERE close_date >= :lo GROUP BY 1
    )
    SELECT r.customer_id, r.customer, r.won_cents, SUM(r.won_cents) OVER () AS total, COUNT(r.customer_id) OVER () AS customers,
           SUM(CASE WHEN r.customer_id IS NULL THEN r.won_cents ELSE 0 END) OVER () AS no_account
    FROM r
    ORDER BY r.customer_id IS NULL, r.won_cents DESC, r.customer_id
    LIMIT :n
    """  # noqa: S608 - our fragments; values bound
    return sql, params


def concentration_sql(engine: Engine, scope: Scope, as_of: date, n: int = 10):
    """:func:`salesops.customers.risk.concentration` over [scope.start, as_of], in SQL; also returns
    the won revenue of deals with no account in that range (a second value). Finished in plain Python
    (eleven rows)."""
    from salesops.customers.risk import Concentration

    sql, params = _concentration_query(scope)
    with engine.connect() as conn:
        got = conn.execute(sa.text(sql), {"asof": as_of, "lo": scope.start, "n": n + 1, **params}).fetchall()
    if not got:
        return Concentration(None, 0, 0, 0, pd.DataFrame(columns=["customer_id", "customer", "won_cents"])), 0
    total, customers, no_account = int(got[0][3]), int(got[0][4]), int(got[0][5])
    rows = [(cid, name, int(cents)) for cid, name, cents, *_ in got if cid is not None][:n]
    top = pd.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "customer": [r[1] for r in rows],
            "won_cents": np.array([r[2] for r in rows], dtype="int64"),
        }
    )
    top_cents = sum(r[2] for r in rows)
    return Concentration(top_cents / total if total else None, top_cents, total, customers, top), no_account


def accounts_at_risk_sql(engine: Engine, scope: Scope, as_of: date) -> pd.DataFrame:
    """:func:`salesops.customers.risk.accounts_at_risk` of the scope at ``as_of``, in SQL (every row)."""
    from salesops.customers import risk

    sql, binds = _risk_sql(scope, as_of)
    every = f"""{sql}
    SELECT n.customer_id, risk.*, n.customer FROM risk JOIN ({_names(scope)}) n ON n.ck = risk.ck
    ORDER BY n.customer_id
    """  # noqa: S608 - our fragments; values bound
    got = fetch_frame(engine, sa.text(every), binds)
    return risk.finish_risk(got, pd.Timestamp(as_of))


def _names(scope: Scope) -> str:
    """Each customer's key in the at-risk sums (``ck``), id and name, read for the rows returned only
    (a name in the per-customer group-by doubled its cost). Stored scope: ``customer_keys`` (the sums
    group on the integer ``customer_key``); other scopes: the same table by id (the sums group on the id)."""
    if fast._stored(scope, "company"):
        return "SELECT customer_key AS ck, customer_id, customer FROM customer_keys"
    return "SELECT customer_id AS ck, customer_id, customer FROM customer_keys"


def accounts_at_risk_top_sql(engine: Engine, scope: Scope, as_of: date, n: int) -> tuple[pd.DataFrame, int]:
    """The first ``n`` rows of :func:`accounts_at_risk_sql` (the most at stake) and how many rows it has.

    The database keeps the rows whose stake is at least the ``n``-th largest (ties at the cut
    included, so the tie-break by customer id is the reference's, done in pandas): a top-n pick, not
    a sort of every row; only those rows come back, with their names, and are finished in plain Python."""
    from salesops.customers import risk

    sql, binds = _risk_sql(scope, as_of)
    # The count and the cut are scalar subqueries over the (materialised) risk rows: a window count
    # over every row and a join to the cut cost more than the rows (10 ms at medium scale).
    top = f"""{sql}
    SELECT n.customer_id, risk.*, n.customer, (SELECT COUNT(*) FROM risk) AS total
    FROM risk JOIN ({_names(scope)}) n ON n.ck = risk.ck
    WHERE risk.stake >= (SELECT MIN(stake) FROM (SELECT stake FROM risk ORDER BY stake DESC LIMIT :top) t)
    """  # noqa: S608 - our fragments; values bound
    with engine.connect() as conn:
        result = conn.execute(sa.text(top), {**binds, "top": n})
        keys = list(result.keys())
        got = [dict(zip(keys, row)) for row in result.fetchall()]  # one fetch, not one per row
    total = int(got[0]["total"]) if got else 0
    return risk.finish_risk_rows(got, as_of).head(n), total


def _risk_sums(scope: Scope) -> str:
    """The CTE ``s``: per customer who bought in (:two_ago, :asof], the last and prior 12 months'
    revenue, the last purchase day and the usual cycle on it, by the customer's key ``ck``. Stored
    scope: the spans of ``customer_risk_spans`` holding :asof (one per customer: a filter, no
    group-by). Other scopes: from the scope's purchase days (``w``, ``ev``)."""
    sums = """SUM(CASE WHEN {d} > :year_ago THEN {c} ELSE 0 END) AS last_12m_cents,
               SUM(CASE WHEN {d} <= :year_ago THEN {c} ELSE 0 END) AS prior_12m_cents,
               MAX({d}) AS last_purchase"""
    if fast._stored(scope, "company"):
        return """s AS (
        SELECT customer_key AS ck, last_12m_cents, prior_12m_cents, last_purchase, cycle_days AS cycle
        FROM customer_risk_spans WHERE valid_from <= :asof AND (valid_to IS NULL OR valid_to > :asof)
    )"""
    return f"""s0 AS (
        SELECT customer_id AS ck, {sums.format(d="close_date", c="amount_cents")}
        FROM w WHERE customer_id IS NOT NULL AND close_date > :two_ago GROUP BY 1
    ),
    g AS (
        SELECT customer_id AS ck, percentile_cont(0.5) WITHIN GROUP (ORDER BY day - prev) AS cycle
        FROM ev WHERE prev IS NOT NULL AND customer_id IN (SELECT ck FROM s0) GROUP BY 1
    ),
    s AS (SELECT s0.*, g.cycle FROM s0 LEFT JOIN g ON g.ck = s0.ck)"""  # noqa: S608 - ours


def _risk_sql(scope: Scope, as_of: date) -> tuple[str, dict]:
    """The CTEs up to ``risk`` (one row per customer with a warning, before names and reasons) and
    their binds."""
    from salesops.customers import risk

    stored = fast._stored(scope, "company")
    base, params = ("WITH ", {}) if stored else fast._base(scope, "company")  # (the spans need no days)
    where, rparams = scope_filter(scope, "o")
    sql = f"""{base}{"" if stored else ","}
    {_risk_sums(scope)},
    st AS (
        SELECT {"o.customer_key" if stored else "o.customer_id"} AS ck, COUNT(*) AS stale_renewals,
               SUM(COALESCE(o.amount_cents, 0)) AS stale_renewal_cents
        FROM open_renewals o
        WHERE o.customer_key IS NOT NULL
          AND (o.close_date < :asof OR COALESCE(o.last_change, o.created_date) < :stale_before) {where}
        GROUP BY 1
    ),
    risk AS (
        SELECT s.ck, s.last_12m_cents, s.prior_12m_cents, s.last_purchase, s.cycle AS usual_cycle_days,
               COALESCE(st.stale_renewals, 0) AS stale_renewals,
               COALESCE(st.stale_renewal_cents, 0) AS stale_renewal_cents,
               GREATEST(s.prior_12m_cents, s.last_12m_cents) + COALESCE(st.stale_renewal_cents, 0) AS stake
        FROM s LEFT JOIN st ON st.ck = s.ck
        WHERE (s.prior_12m_cents > 0 AND s.last_12m_cents <= (1 - :fall) * s.prior_12m_cents)
               OR (s.cycle IS NOT NULL AND CAST(:asof AS DATE) - s.last_purchase > s.cycle + :grace)
               OR st.stale_renewals > 0
    )"""  # noqa: S608 - our fragments; values bound
    t = pd.Timestamp(as_of)
    binds = {
        "asof": as_of,
        "year_ago": (t - pd.DateOffset(months=12)).date(),
        "two_ago": (t - pd.DateOffset(months=24)).date(),
        "stale_before": (t - pd.Timedelta(days=risk.STALE_DAYS)).date(),
        "fall": risk.FALL_SHARE,
        "grace": risk.GRACE_DAYS,
        **params,
        **rparams,
    }
    return sql, binds

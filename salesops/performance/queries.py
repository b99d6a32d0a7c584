"""The performance pages' SQL: the fragments the KPI, pacing, attainment and trend queries share.

Quota, the quota period end, the deals open at a date and the grain periods come from
:mod:`salesops.store.sql` (one definition per number); what is here is only this package's
grouping. Every function returns SQL text; values are always bound parameters.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from salesops.scope import Scope
from salesops.store.grain_tables import quota_per_rep
from salesops.store.period_tables import window_rows
from salesops.store.sql import (
    PERIOD_STEP,
    open_at,
    open_at_parts,
    period_end_sql,
    prorated_quota,
    quota_params,
    quota_rows,
    scope_filter,
)

#: A rep is ramping in a window when their ramp (hire_date + ramp_months) overlaps it.
RAMPING = """(r.ramp_months > 0 AND r.hire_date IS NOT NULL
        AND r.hire_date <= CAST(:q_end AS DATE)
        AND r.hire_date + r.ramp_months * INTERVAL '1 month' > CAST(:q_start AS DATE))"""

#: Deals open at the end of the range [:start, :end].
OPEN_AT_END = open_at(":end")
#: The same, as :func:`~salesops.store.sql.open_at_parts`' two disjoint halves (read them as two
#: branches of a UNION ALL).
OPEN_AT_END_PARTS = open_at_parts(":end")


def scope_quota(scope: Scope) -> str:
    """:func:`~salesops.store.grain_tables.quota_per_rep` of the scope's quota window (binds ``:q_start``, ``:q_end``: :func:`binds`)."""
    return quota_per_rep(scope.quota_start, scope.quota_end)


def result_frame(result) -> pd.DataFrame:
    """A query result as a DataFrame, built column by column (pandas reads a list of Row objects
    an order of magnitude slower); an empty result gives an empty frame with the columns."""
    keys = list(result.keys())
    rows = result.fetchall()
    if not rows:
        return pd.DataFrame(columns=keys)
    return pd.DataFrame(dict(zip(keys, map(list, zip(*rows)))))


def window_days(scope: Scope) -> tuple[str, dict]:
    """The rollup rows of the scope's range [start, end] and their binds: its months from
    ``rep_months``, less or plus the days at its edges from ``rep_days``, each sum signed
    (:func:`salesops.store.period_tables.window_rows`), for sums over the whole range
    (:func:`closed_cte`, :func:`closed_by`)."""
    return window_rows(scope.start, scope.end, prefix="w")


def closed_cte(where: str, days: str) -> str:
    """Won/lost deals closed in the range of ``days`` (:func:`window_days`): won amount and won/lost
    counts, summed from the rollups (:mod:`salesops.store.rollups`: the deals per rep, team and day)."""
    return f"""
        SELECT COALESCE(SUM(won_cents), 0) AS won_cents, COALESCE(SUM(won_count), 0) AS won_count,
               COALESCE(SUM(lost_count), 0) AS lost_count
        FROM {days} x
        WHERE 1 = 1 {where}
    """  # noqa: S608 - `where` is scope_filter()'s text, `days` our fragment, values bound


def quota_total(rep_where: str, lo_date: date, hi_date: date, lo: str = "q_start", hi: str = "q_end") -> str:
    """Total quota of the reps in scope over [:lo, :hi] (the dates ``lo_date``, ``hi_date``:
    :func:`~salesops.store.grain_tables.quota_per_rep`): one column, quota_cents (float)."""
    return f"""
        SELECT COALESCE(SUM(qw.quota_cents), 0) AS quota_cents
        FROM ({quota_per_rep(lo_date, hi_date, lo, hi)}) qw JOIN reps r ON r.rep_id = qw.rep_id
        WHERE 1 = 1 {rep_where}
    """  # noqa: S608 - our fragments only, values bound


def closed_by(key: str, where: str, days: str) -> str:
    """Won revenue, won and lost counts per ``key`` (rep_id or team_id) of deals closed in the range
    of ``days`` (:func:`window_days`), summed from the rollups; only keys with a deal won or lost
    (their summed counts above 0: the rows are signed)."""
    return f"""
            SELECT {key}, SUM(won_cents) AS won_cents, SUM(won_count) AS won_count,
                   SUM(lost_count) AS lost_count
            FROM {days} x
            WHERE 1 = 1 {where}
            GROUP BY {key}
            HAVING SUM(won_count + lost_count) > 0
    """  # noqa: S608 - key is "rep_id" or "team_id" from this package; where from scope_filter


def binds(scope: Scope) -> tuple[str, str, dict]:
    """The scope filter on deals (no alias) and on reps (alias r), and every bind they and the
    range/quota window need: start, end, q_start, q_end and the filter's values."""
    where, params = scope_filter(scope)
    rep_where, rep_params = scope_filter(scope, alias="r")
    return where, rep_where, {"start": scope.start, "end": scope.end, **params, **rep_params, **quota_params(scope)}


def periods_cte(grain: str) -> str:
    """The grain periods from :first to :last (period starts): p_start, p_end."""
    step = PERIOD_STEP[grain]
    return f"""
            SELECT CAST(g.p AS DATE) AS p_start, {period_end_sql("g.p", grain)} AS p_end
            FROM generate_series(CAST(:first AS TIMESTAMP), CAST(:last AS TIMESTAMP), {step}) AS g(p)
    """  # noqa: S608 - step from an allow-list


def quota_per_period(grp: str, rep_where: str, extra_join: str = "", lo: str = "first", hi: str = "q_end") -> str:
    """Quota per period of ``periods`` and group ``grp`` (an expression on reps r / teams tr):
    p_start, grp, quota_cents — each quota row prorated onto each period it overlaps."""
    return f"""
            SELECT p.p_start, {grp} AS grp, SUM({prorated_quota("p.p_start", "p.p_end")}) AS quota_cents
            FROM ({quota_rows(lo, hi)}) q
            JOIN periods p ON q.period_start <= p.p_end AND q.period_end >= p.p_start
            JOIN reps r ON r.rep_id = q.rep_id
            {extra_join}
            WHERE 1 = 1 {rep_where}
            GROUP BY 1, 2
    """  # noqa: S608 - our fragments only, values bound

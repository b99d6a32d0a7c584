"""Performance metrics against quota. Definitions: docs/METRICS.md.

All aggregation runs in the database; functions take the engine and a :class:`Scope`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from salesops.queries import QUOTA_IN_WINDOW, quota_params, scope_filter
from salesops.scope import Scope, period_end, period_label, period_start, shift


@dataclass(frozen=True)
class Headline:
    """The home page's tiles for one scope. Money in integer cents; rates 0..1 or None."""

    won_cents: int
    quota_cents: int
    attainment: float | None
    won_count: int
    lost_count: int
    win_rate: float | None
    open_pipeline_cents: int


def headline(engine: Engine, scope: Scope) -> Headline:
    """Won revenue, quota, attainment, win rate and open pipeline for the scope.

    * won revenue: amount of deals with outcome won and close_date in the range;
    * quota: quota of the reps in scope over the whole grain periods the range touches;
    * win rate: won ÷ (won + lost) by close date in the range, open deals excluded;
    * open pipeline: amount of open deals (as of now), whatever their expected close date.
    """
    where, params = scope_filter(scope)
    rep_where, rep_params = scope_filter(scope, alias="r")
    # Only our own SQL fragments are spliced in; every value is a bound parameter.
    sql = sa.text(
        f"""
        WITH closed AS (
            SELECT
                COALESCE(SUM(CASE WHEN outcome = 'won' THEN amount_cents END), 0) AS won_cents,
                COUNT(*) FILTER (WHERE outcome = 'won') AS won_count,
                COUNT(*) FILTER (WHERE outcome = 'lost') AS lost_count
            FROM deals
            WHERE outcome IN ('won', 'lost') AND close_date BETWEEN :start AND :end {where}
        ),
        pipe AS (
            SELECT COALESCE(SUM(amount_cents), 0) AS open_cents
            FROM deals WHERE outcome = 'open' {where}
        ),
        quota AS (
            SELECT COALESCE(SUM(qw.quota_cents), 0) AS quota_cents
            FROM ({QUOTA_IN_WINDOW}) qw JOIN reps r USING (rep_id)
            WHERE 1 = 1 {rep_where}
        )
        SELECT * FROM closed, pipe, quota
        """  # noqa: S608
    )
    with engine.connect() as conn:
        row = conn.execute(
            sql, {"start": scope.start, "end": scope.end, **params, **rep_params, **quota_params(scope)}
        ).one()
    won, quota = int(row.won_cents), int(round(row.quota_cents))
    closed = row.won_count + row.lost_count
    return Headline(
        won_cents=won,
        quota_cents=quota,
        attainment=won / quota if quota else None,
        won_count=int(row.won_count),
        lost_count=int(row.lost_count),
        win_rate=row.won_count / closed if closed else None,
        open_pipeline_cents=int(row.open_cents),
    )


def headline_trend(engine: Engine, scope: Scope, periods: int = 8) -> pd.DataFrame:
    """Won revenue and quota for the last ``periods`` whole grain periods up to the scope's end.

    Columns: period (label), period_start, won_cents, quota_cents, attainment.
    """
    rows = []
    last = period_start(scope.end, scope.grain)
    for i in range(periods - 1, -1, -1):
        p = shift(last, scope.grain, -i)
        sc = replace(scope, start=p, end=period_end(p, scope.grain))
        h = headline(engine, sc)
        rows.append((period_label(p, scope.grain), p, h.won_cents, h.quota_cents, h.attainment))
    return pd.DataFrame(rows, columns=["period", "period_start", "won_cents", "quota_cents", "attainment"])

"""Pacing: is the current period on track, and how much pipeline is still needed (docs/METRICS.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from salesops.performance.queries import OPEN_AT_END_PARTS, binds, quota_total, window_days
from salesops.performance.tiles import Kpis, whole
from salesops.scope import Scope
from salesops.store.period_tables import window_rows
from salesops.store.sql import attainment, win_rate

#: Months of closed deals before a period's start that give the "historical win rate" for pacing.
HISTORY_MONTHS = 12


@dataclass(frozen=True)
class Pacing:
    """Where the current period stands against the share of it that has elapsed (docs/METRICS.md)."""

    elapsed_share: float
    won_cents: int
    quota_cents: int
    attainment: float | None
    on_track: bool | None
    projected_cents: int | None
    remaining_quota_cents: int
    historical_win_rate: float | None
    pipeline_needed_cents: int | None
    open_due_cents: int
    pipeline_gap_cents: int | None


def pacing(engine: Engine, scope: Scope, today: date, kpis: Kpis | None = None) -> Pacing:
    """On track or not, and the pipeline still needed at the historical win rate.

    * elapsed share: days of the quota window (the whole grain periods) up to ``today``;
    * on track: attainment ≥ elapsed share (None without quota);
    * projected: won ÷ elapsed share (the run rate carried to the period's end);
    * historical win rate: won ÷ (won + lost) of deals closed in the 12 months before the window;
    * pipeline needed: remaining quota ÷ historical win rate; gap: needed − open pipeline due.

    ``kpis``: the same scope's :func:`~salesops.performance.tiles.kpis` (the first of
    :func:`~salesops.performance.tiles.compare_kpis`), when the caller has it: its won revenue, quota and
    open pipeline due are these same figures (the same definitions over the same rows), so only the
    historical win rate is read.
    """
    if kpis is not None:
        return _pacing_of(engine, scope, today, kpis.won_cents, kpis.quota_cents, kpis.open_due_cents)
    where, rep_where, params = binds(scope)
    # the range's and the history's months from rep_months, less or plus their edge days (signed sums)
    days, day_binds = window_days(scope)
    hist, hist_binds = _hist_sql(scope, where)
    still_open, closed_after = OPEN_AT_END_PARTS
    sql = sa.text(
        f"""
        WITH won AS (
            SELECT COALESCE(SUM(won_cents), 0) AS won_cents FROM {days} x
            WHERE 1 = 1 {where}
        ),
        hist AS ({hist}),
        -- the deals open at the range's end (open_at's two disjoint halves) due by the quota end
        due AS (
            SELECT COALESCE(SUM(amount_cents), 0) AS due_cents FROM (
                SELECT amount_cents FROM deals
                WHERE {still_open} AND close_date <= CAST(:q_end AS DATE) {where}
                UNION ALL
                SELECT amount_cents FROM deals
                WHERE {closed_after} AND close_date <= CAST(:q_end AS DATE) {where}
            ) x
        ),
        quota AS ({quota_total(rep_where, scope.quota_start, scope.quota_end)})
        SELECT * FROM won, hist, due, quota
        """  # noqa: S608 - our fragments only, values bound
    )
    with engine.connect() as conn:
        row = conn.execute(sql, {**params, **day_binds, **hist_binds}).one()
    won, quota, due = whole(row.won_cents), whole(row.quota_cents), whole(row.due_cents)
    return _pacing_from(scope, today, won, quota, due, int(row.hist_won), int(row.hist_lost))


def _hist_sql(scope: Scope, where: str) -> tuple[str, dict]:
    """The historical win rate's counts: deals won and lost in the HISTORY_MONTHS before the quota
    window (the rollups rep_months, rep_days), as an SQL SELECT of hist_won, hist_lost, and its binds."""
    hist_start = (pd.Timestamp(scope.quota_start) - pd.DateOffset(months=HISTORY_MONTHS)).date()
    hist_days, hist_binds = window_rows(hist_start, scope.quota_start - timedelta(days=1), prefix="h")
    return (
        f"SELECT COALESCE(SUM(won_count), 0) AS hist_won, COALESCE(SUM(lost_count), 0) AS hist_lost "  # noqa: S608
        f"FROM {hist_days} h WHERE 1 = 1 {where}",
        hist_binds,
    )


def _pacing_of(engine: Engine, scope: Scope, today: date, won: int, quota: int, due: int) -> Pacing:
    """:func:`pacing` from the scope's won revenue, quota and open pipeline due already read."""
    where, _rep_where, params = binds(scope)
    hist, hist_binds = _hist_sql(scope, where)
    with engine.connect() as conn:
        row = conn.execute(sa.text(hist), {**params, **hist_binds}).one()
    return _pacing_from(scope, today, won, quota, due, int(row.hist_won), int(row.hist_lost))


def _pacing_from(scope: Scope, today: date, won: int, quota: int, due: int, hist_won: int, hist_lost: int) -> Pacing:
    att = attainment(won, quota)
    remaining = max(quota - won, 0)
    rate = win_rate(hist_won, hist_lost)
    elapsed = scope.elapsed_share(today)
    needed = None if not rate else int(round(remaining / rate))
    return Pacing(
        elapsed_share=elapsed,
        won_cents=won,
        quota_cents=quota,
        attainment=att,
        on_track=None if att is None else att >= elapsed,
        projected_cents=int(round(won / elapsed)) if elapsed > 0 else None,
        remaining_quota_cents=remaining,
        historical_win_rate=rate,
        pipeline_needed_cents=needed,
        open_due_cents=due,
        pipeline_gap_cents=None if needed is None else max(needed - due, 0),
    )

"""Open pipeline by expected close period: open deals × probability, beside the forecast."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from salesops.access import Viewer, check_series
from salesops.forecasts.history import check_by, series_scope
from salesops.forecasts.model import check_forecast_grain, first_forecast_period
from salesops.scope import period_end, shift
from salesops.store.probability import weighted_cents_sql
from salesops.store.sql import scope_filter


def pipeline_by_period(
    engine: Engine,
    by: str,
    series: str | None,
    grain: str,
    horizon: int,
    today: date,
    viewer: Viewer | None = None,
) -> pd.DataFrame:
    """Open deals × probability by expected close period over the horizon: ds, weighted_cents, open_cents, deals.

    Deals whose expected close date has passed while still open count in the current period.
    """
    check_by(by)
    check_series(viewer, by, None if by == "company" else series)
    check_forecast_grain(grain)
    first = first_forecast_period(today, grain)
    last = period_end(shift(first, grain, int(horizon) - 1), grain)
    scope = series_scope(by, None if by == "company" else series, first, last)
    where, params = scope_filter(scope, alias="d")
    sql = sa.text(
        f"""
        SELECT CAST(date_trunc(:grain, GREATEST(COALESCE(d.close_date, :today), :today)) AS DATE) AS ds,
               {weighted_cents_sql("d.amount_cents", "d.probability_bp")} AS weighted_cents,
               SUM(d.amount_cents) AS open_cents,
               COUNT(*) AS deals
        FROM deals d
        WHERE d.outcome = 'open' AND d.amount_cents IS NOT NULL
          AND GREATEST(COALESCE(d.close_date, :today), :today) <= :last {where}
        GROUP BY 1 ORDER BY 1
        """  # noqa: S608 - scope_filter is ours, values bound
    )
    with engine.connect() as conn:
        rows = conn.execute(sql, {"grain": grain, "today": today, "last": last, **params}).fetchall()
    # Every period of the horizon, 0 where no deal is expected (a dict, not a frame merge: the
    # few rows cost less than pandas' merge machinery).
    found = {pd.Timestamp(ds).date(): (w, o, n) for ds, w, o, n in rows}
    spine = [shift(first, grain, i) for i in range(int(horizon))]
    got = [found.get(ds, (0.0, 0, 0)) for ds in spine]
    return pd.DataFrame(
        {
            "ds": np.array(spine, dtype=object),
            "weighted_cents": np.array([float(g[0]) for g in got], dtype=float),
            "open_cents": np.array([int(g[1]) for g in got], dtype="int64"),
            "deals": np.array([int(g[2]) for g in got], dtype="int64"),
        }
    )

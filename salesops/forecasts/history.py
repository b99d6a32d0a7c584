"""The won-revenue series from the store: one SQL statement on a date spine, so periods without a
sale are zeros, not gaps; the series kinds (company, region, team) and their labels.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from salesops import store
from salesops.errors import InvalidFilter
from salesops.forecasts.model import check_forecast_grain, first_forecast_period, last_complete_period
from salesops.scope import Scope

BY = ("company", "region", "team")
#: Series key per kind, as SQL over deals d LEFT JOIN teams t (allow-list: never user input).
_SERIES_EXPR = {"company": "'company'", "region": "t.region", "team": "d.team_id"}
_KEYS_SQL = {
    "company": "SELECT 'company' AS series",
    "region": "SELECT DISTINCT region AS series FROM teams",
    "team": "SELECT team_id AS series FROM teams",
}
_KEY_FILTER = {"company": "", "region": " WHERE series = :value", "team": " WHERE series = :value"}
_DEAL_FILTER = {"company": "", "region": " AND t.region = :value", "team": " AND d.team_id = :value"}
_STEP = {"week": "INTERVAL '7 days'", "month": "INTERVAL '1 month'"}


def check_by(by: str) -> str:
    if by not in BY:
        raise InvalidFilter(f"Unknown series kind {by!r}.", f"Use one of: {', '.join(BY)}.")
    return by


def series_scope(by: str, value: str | None, start: date, end: date) -> Scope:
    """The Scope (for queries.scope_filter) of one series over [start, end]."""
    return Scope(
        start=start,
        end=end,
        grain="month",
        region=value if by == "region" else None,
        team_id=value if by == "team" else None,
    )


def load_history(engine: Engine, by: str, grain: str, today: date, value: str | None = None) -> pd.DataFrame:
    """Won revenue per period up to the last complete one: columns series, ds (period start), y (cents).

    Deals count when outcome = 'won', by close_date, amount_cents (NULL amounts count as 0). Every
    series gets every period from the first sale (of any series) to the last complete period, zeros
    included. ``value`` restricts to one region / team.
    """
    check_by(by)
    check_forecast_grain(grain)
    last = last_complete_period(today, grain)
    before = first_forecast_period(today, grain)
    key_filter = _KEY_FILTER[by] if value is not None else ""
    deal_filter = _DEAL_FILTER[by] if value is not None else ""
    params = {"before": before, "last": last, "grain": grain}
    if value is not None:
        params["value"] = value
    # Only allow-listed fragments from the dicts above are spliced in; every value is bound.
    sql = sa.text(
        f"""
        WITH won AS (
            SELECT {_SERIES_EXPR[by]} AS series,
                   CAST(date_trunc(:grain, d.close_date) AS DATE) AS ds,
                   SUM(COALESCE(d.amount_cents, 0)) AS y
            FROM deals d LEFT JOIN teams t ON t.team_id = d.team_id
            WHERE d.outcome = 'won' AND d.close_date < :before {deal_filter}
            GROUP BY 1, 2
        ),
        spine AS (
            SELECT CAST(g.ds AS DATE) AS ds
            FROM generate_series(
                CAST((SELECT MIN(ds) FROM won) AS TIMESTAMP), CAST(:last AS TIMESTAMP), {_STEP[grain]}
            ) AS g(ds)
        ),
        keys AS (SELECT series FROM ({_KEYS_SQL[by]}) k {key_filter})
        SELECT k.series, s.ds, CAST(COALESCE(w.y, 0) AS BIGINT) AS y
        FROM keys k CROSS JOIN spine s
        LEFT JOIN won w ON w.series = k.series AND w.ds = s.ds
        ORDER BY k.series, s.ds
        """  # noqa: S608
    )
    frame = store.read_frame(engine, sql, params)
    if len(frame):
        frame["ds"] = pd.to_datetime(frame["ds"]).dt.date
        frame["y"] = frame["y"].astype("int64")
    else:
        frame = pd.DataFrame(
            {"series": pd.Series(dtype=str), "ds": pd.Series(dtype=object), "y": pd.Series(dtype="int64")}
        )
    return frame


def series_label(engine: Engine, by: str, value: str | None) -> str:
    """'the company', 'region EMEA', 'team Seattle Mid-Market'."""
    if by == "company" or value is None:
        return "the company"
    if by == "region":
        return f"region {value}"
    with engine.connect() as conn:
        name = conn.execute(sa.text("SELECT name FROM teams WHERE team_id = :t"), {"t": value}).scalar_one_or_none()
    return f"team {name or value}"

"""Shared SQL pieces: the scope filter and the quota-for-a-window expression.

Everything here returns SQL text plus a dict of bind parameters; values are never formatted into
SQL. Column names passed in come from the callers' own code, never from user input.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from salesops.scope import Scope

if TYPE_CHECKING:
    import pandas as pd


def scope_filter(scope: Scope, alias: str = "", team_col: str = "team_id") -> tuple[str, dict]:
    """``AND …`` clauses restricting rows to the scope's region and team (empty when unset)."""
    col = f"{alias}.{team_col}" if alias else team_col
    sql, params = "", {}
    if scope.team_id:
        sql += f" AND {col} = :scope_team"
        params["scope_team"] = scope.team_id
    if scope.region:
        sql += f" AND {col} IN (SELECT team_id FROM teams WHERE region = :scope_region)"  # noqa: S608 - col is ours, value bound
        params["scope_region"] = scope.region
    return sql, params


#: Quota rows prorated by day onto the window [:q_start, :q_end]. A quota row covers its period
#: (period_type from period_start); the share of days that falls inside the window counts.
QUOTA_IN_WINDOW = """
    SELECT q.rep_id,
           SUM(CAST(q.amount_cents AS DOUBLE)
               * GREATEST(0, LEAST(q.period_end, CAST(:q_end AS DATE))
                             - GREATEST(q.period_start, CAST(:q_start AS DATE)) + 1)
               / (q.period_end - q.period_start + 1)) AS quota_cents
    FROM (
        SELECT rep_id, period_start, amount_cents,
               CAST(CASE period_type
                   WHEN 'week' THEN period_start + INTERVAL '6 days'
                   WHEN 'month' THEN period_start + INTERVAL '1 month' - INTERVAL '1 day'
                   WHEN 'quarter' THEN period_start + INTERVAL '3 months' - INTERVAL '1 day'
                   ELSE period_start + INTERVAL '1 year' - INTERVAL '1 day' END AS DATE) AS period_end
        FROM quotas
        WHERE period_start <= CAST(:q_end AS DATE)
    ) q
    WHERE q.period_end >= CAST(:q_start AS DATE)
    GROUP BY q.rep_id
"""


def quota_params(scope: Scope) -> dict:
    return {"q_start": scope.quota_start, "q_end": scope.quota_end}


def load_teams(engine) -> pd.DataFrame:
    """Teams with their region and manager, sorted by id: team_id, name, region, manager."""
    import pandas as pd
    import sqlalchemy as sa

    with engine.connect() as conn:
        res = conn.execute(sa.text("SELECT team_id, name, region, manager FROM teams ORDER BY team_id"))
        return pd.DataFrame(res.fetchall(), columns=["team_id", "name", "region", "manager"])

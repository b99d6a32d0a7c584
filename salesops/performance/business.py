"""Won revenue per team split into new business and existing customers (renewals, expansions).

The deal kinds are those of :data:`salesops.store.sql.WON_KINDS_CTE` (stored in ``deal_kinds``,
read through :data:`salesops.store.sql.WON_KINDS`), so this split is the one on
the Customers page (docs/CUSTOMERS.md).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from salesops.scope import Scope
from salesops.store.engine import fetch_frame
from salesops.store.sql import WON_KINDS, business_sql, scope_filter

#: Columns of :func:`business_by_team`.
BUSINESS_COLUMNS = ["team_id", "team", "won_cents", "new_cents", "existing_cents", "existing_share"]


def business_by_team(engine: Engine, scope: Scope) -> pd.DataFrame:
    """Per team in scope: won revenue in the range, from new business and from existing customers
    (BUSINESS_COLUMNS; existing_share is NaN for a team that won nothing). Sorted by team_id."""
    where, params = scope_filter(scope, "t", rep_col=None)  # team rows: a rep sees none
    # The won deals with their kind: WON_KINDS (deal_kinds alone, one window of row groups of it).
    sql = f"""
        SELECT t.team_id, t.name AS team, COALESCE(SUM(k.amount_cents), 0) AS won_cents,
               COALESCE(SUM(CASE WHEN {business_sql("k.kind")} = 'existing' THEN k.amount_cents END), 0)
                   AS existing_cents
        FROM teams t
        LEFT JOIN ({WON_KINDS}) k ON k.team_id = t.team_id AND k.close_date BETWEEN :start AND :end
        WHERE 1 = 1 {where}
        GROUP BY t.team_id, t.name
        ORDER BY t.team_id
    """  # noqa: S608 - our fragments; values bound
    frame = fetch_frame(engine, sa.text(sql), {"start": scope.start, "end": scope.end, **params})
    if not len(frame):
        return pd.DataFrame(columns=BUSINESS_COLUMNS)
    frame = frame.astype({"won_cents": "int64", "existing_cents": "int64"})
    frame["new_cents"] = frame["won_cents"] - frame["existing_cents"]
    won = frame["won_cents"]
    frame["existing_share"] = np.where(won > 0, frame["existing_cents"] / won.where(won > 0, 1), np.nan)
    return frame[BUSINESS_COLUMNS]

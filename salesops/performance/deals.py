"""The drill-down: the deals behind a rep's number."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from salesops.performance.queries import OPEN_AT_END, result_frame
from salesops.scope import Scope
from salesops.store.probability import from_bp
from salesops.store.sql import viewer_filter

DEAL_COLUMNS = [
    "deal_id", "name", "account", "product", "team_id", "in_range", "stage", "outcome", "amount_cents", "probability",
    "created_date", "close_date", "cycle_days", "forecast_category",
]  # fmt: skip


def rep_deals(engine: Engine, scope: Scope, rep_id: str) -> pd.DataFrame:
    """The deals behind a rep's number: closed (won/lost) in the range, plus those open at its end.

    Columns: deal_id, name, account, product, team_id, in_range (won / lost / open: what the deal
    was in the range — a deal open at its end that has closed since is 'open'), stage, outcome
    (today), amount_cents (None when the amount is unknown), probability, created_date, close_date,
    cycle_days (won/lost only), forecast_category. Sorted by in_range (won, lost, open) then close date.
    """
    view_where, view_params = viewer_filter(scope.viewer)  # another rep's deals: no rows
    in_range = (
        "CASE WHEN outcome IN ('won', 'lost') AND close_date BETWEEN :start AND :end THEN outcome ELSE 'open' END"
    )
    sql = sa.text(
        f"""
        SELECT deal_id, name, account, product, team_id, {in_range} AS in_range, stage, outcome,
               amount_cents, probability_bp, created_date, close_date,
               CASE WHEN outcome IN ('won', 'lost') THEN close_date - created_date END AS cycle_days,
               forecast_category
        FROM deals
        WHERE rep_id = :rep_id {view_where}
          AND ((outcome IN ('won', 'lost') AND close_date BETWEEN :start AND :end) OR ({OPEN_AT_END}))
        ORDER BY CASE {in_range} WHEN 'won' THEN 0 WHEN 'lost' THEN 1 ELSE 2 END, close_date, deal_id
        """  # noqa: S608 - our fragment only, values bound
    )
    with engine.connect() as conn:
        res = conn.execute(sql, {"rep_id": rep_id, "start": scope.start, "end": scope.end, **view_params})
        frame = result_frame(res)
    if frame.empty:
        return pd.DataFrame(columns=DEAL_COLUMNS)
    frame["amount_cents"] = frame["amount_cents"].astype("Int64")
    if scope.viewer is not None and not scope.viewer.sees_individual_money:
        frame["amount_cents"] = pd.NA  # the screen-share account sees no one's money
    frame["cycle_days"] = frame["cycle_days"].astype("Int64")
    frame["probability"] = from_bp(frame.pop("probability_bp"))
    return frame[DEAL_COLUMNS]

"""What changed in a week: the list a manager walks through in the weekly review.

Definitions (docs/METRICS.md, "What changed"):

* the week is the Monday-to-Sunday week containing the scope's end, cut at the scope's end (so the
  current week is "week to date");
* created: deals with a created date in the week; won / lost: deals with that outcome and a close
  date in the week;
* pushed / pulled in: a ``close_date`` change logged in the week whose new date is later / earlier
  than the old one; amount up / down: an ``amount_cents`` change logged in the week;
* deals count for the team they carry (deals.team_id, the team at the time).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from salesops.performance.queries import result_frame
from salesops.scope import Scope, period_start
from salesops.store.sql import scope_filter

#: Kinds of change, in the order the review walks through them.
KINDS = ("created", "won", "lost", "pushed", "pulled in", "amount up", "amount down")

CHANGE_COLUMNS = [
    "kind", "on", "deal_id", "name", "account", "rep_id", "rep", "team_id", "stage", "outcome",
    "amount_cents", "old_value", "new_value", "days_moved", "amount_change_cents",
]  # fmt: skip


def week_of(scope: Scope) -> tuple[date, date]:
    """(Monday, last day) of the week reviewed for a scope: the week of its end, cut at the end."""
    return period_start(scope.end, "week"), scope.end


@dataclass(frozen=True)
class WeekReview:
    """The review week's changes, counted and listed from one pass over the week's events.

    ``counts``: kind, deals, amount_cents — every kind in KINDS order, zeros included.
    ``changes``: kind (one of KINDS), on (date), deal_id, name, account, rep_id, rep, team_id,
    stage, outcome, amount_cents (current, None if unknown), old_value, new_value (text, for
    changes), days_moved (close-date changes: new − old in days), amount_change_cents (amount
    changes); sorted by kind (in KINDS order), then date and deal; the first ``limit`` rows.
    """

    counts: pd.DataFrame
    changes: pd.DataFrame


def week_review(engine: Engine, scope: Scope, limit: int | None = None) -> WeekReview:
    """Every deal created, won, lost, pushed, pulled in or re-valued in the scope's review week:
    the totals per kind and the first ``limit`` changes (all of them when None).

    The events of the week (and their join to the deals) are gathered once, then both counted and
    listed; the deals' wide columns (name, account, rep, stage) are read afterwards, by id, for the
    listed rows alone: joining them inside the first statement made DuckDB scan those text columns
    for a quarter of all deals (200 of 210 ms at medium scale).
    """
    start, end = week_of(scope)
    where, params = scope_filter(scope, alias="d")
    order = " ".join(f"WHEN '{k}' THEN {i}" for i, k in enumerate(KINDS))
    wide = ", ".join(_WIDE)
    sql = sa.text(
        f"""
        WITH ev AS MATERIALIZED (
            SELECT 'created' AS kind, d.created_date AS "on", d.deal_id, d.amount_cents, {_NO_WIDE},
                   CAST(NULL AS VARCHAR) AS old_value, CAST(NULL AS VARCHAR) AS new_value,
                   CAST(NULL AS BIGINT) AS days_moved, CAST(NULL AS BIGINT) AS amount_change_cents
            FROM deals d WHERE d.created_date BETWEEN :start AND :end {where}
            UNION ALL
            SELECT d.outcome, d.close_date, d.deal_id, d.amount_cents, {_NO_WIDE}, NULL, NULL, NULL, NULL
            FROM deals d WHERE d.outcome IN ('won', 'lost') AND d.close_date BETWEEN :start AND :end {where}
            UNION ALL
            SELECT d.kind, d.changed_at, d.deal_id, d.amount_cents, {", ".join(f"d.{c}" for c in _WIDE)},
                   d.old_value, d.new_value, d.days_moved, d.amount_change_cents
            FROM deal_change_days d
            WHERE d.changed_at BETWEEN :start AND :end {where}
        ),
        cnt AS (
            SELECT kind, COUNT(*) AS deals, COALESCE(SUM(amount_cents), 0) AS amount_sum
            FROM ev GROUP BY kind
        ),
        top AS (
            SELECT * FROM ev
            ORDER BY CASE kind {order} END, "on", deal_id
            LIMIT :limit
        )
        SELECT * FROM (
        SELECT 0 AS part, kind, NULL AS "on", NULL AS deal_id, {_NO_WIDE}, amount_sum AS amount_cents,
               CAST(NULL AS VARCHAR) AS old_value, CAST(NULL AS VARCHAR) AS new_value,
               CAST(NULL AS BIGINT) AS days_moved, CAST(NULL AS BIGINT) AS amount_change_cents, deals
        FROM cnt
        UNION ALL
        SELECT 1, kind, "on", deal_id, {wide}, amount_cents,
               old_value, new_value, days_moved, amount_change_cents, NULL
        FROM top
        ) u
        ORDER BY part, CASE kind {order} END, "on", deal_id
        """  # noqa: S608 - kinds are this module's constants, filter from scope_filter, values bound
    )
    with engine.connect() as conn:
        res = conn.execute(sql, {"start": start, "end": end, "limit": 2**62 if limit is None else limit, **params})
        frame = result_frame(res)
    got = {}
    if not frame.empty:
        head = frame[frame["part"] == 0]
        got = {k: (int(n), int(a)) for k, n, a in zip(head["kind"], head["deals"], head["amount_cents"])}
        frame = frame[frame["part"] == 1]
    counts = pd.DataFrame([(k, *got.get(k, (0, 0))) for k in KINDS], columns=["kind", "deals", "amount_cents"])
    if frame.empty:
        return WeekReview(counts, pd.DataFrame(columns=CHANGE_COLUMNS))
    listed = _with_deal_columns(engine, frame.reset_index(drop=True), start, end)[CHANGE_COLUMNS]
    listed["on"] = pd.to_datetime(listed["on"]).dt.date
    for col in ("amount_cents", "days_moved", "amount_change_cents"):
        listed[col] = pd.to_numeric(listed[col]).astype("Int64")
    if scope.viewer is not None and not scope.viewer.sees_individual_money:
        # The screen-share account sees no deal's amount next to its rep (the counts stay: team totals).
        re_valued = listed["amount_change_cents"].notna()
        listed.loc[re_valued, ["old_value", "new_value"]] = None
        listed["amount_cents"] = pd.NA
        listed["amount_change_cents"] = pd.NA
    return WeekReview(counts, listed)


#: The deal columns listed with a change (``deal_change_days`` carries their copies).
_WIDE = ("name", "account", "rep_id", "team_id", "stage", "outcome")
_NO_WIDE = ", ".join(f"CAST(NULL AS VARCHAR) AS {c}" for c in _WIDE)

# The created, won and lost deals of the listed rows, by id, within the week's days (created or
# closed in it: DuckDB then reads only those days' row groups instead of every deal's id).
_DEAL_COLUMNS = sa.text(
    """
    SELECT deal_id, name, account, rep_id, team_id, stage, outcome FROM deals
    WHERE created_date BETWEEN :start AND :end AND deal_id IN :ids
    UNION
    SELECT deal_id, name, account, rep_id, team_id, stage, outcome FROM deals
    WHERE outcome IN ('won', 'lost') AND close_date BETWEEN :start AND :end AND deal_id IN :ids
    """
).bindparams(sa.bindparam("ids", expanding=True))


def _with_deal_columns(engine: Engine, listed: pd.DataFrame, start: date, end: date) -> pd.DataFrame:
    """The listed events (in their order) with their deal's name, account, rep (id and name), team,
    stage and outcome: the changes have them from ``deal_change_days``; the created, won and lost
    deals are read here."""
    events = listed["kind"].isin(("created", "won", "lost"))
    ids = sorted(set(listed.loc[events, "deal_id"]))
    step = 5_000  # bound parameters per statement (PostgreSQL allows 65,535)
    with engine.connect() as conn:
        parts = [
            result_frame(conn.execute(_DEAL_COLUMNS, {"ids": ids[i : i + step], "start": start, "end": end}))
            for i in range(0, len(ids), step)
        ]
        reps = result_frame(conn.execute(sa.text("SELECT rep_id, name AS rep FROM reps")))
    out = listed.copy()
    if parts:
        deals = pd.concat(parts, ignore_index=True).set_index("deal_id")
        for col in _WIDE:
            out.loc[events, col] = out.loc[events, "deal_id"].map(deals[col]).to_numpy()
    return out.merge(reps, on="rep_id", how="left", validate="many_to_one")

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
from salesops.store.dialect import try_cast
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


def _change_kind(bind) -> str:
    """Kind of a logged change (None for a change that moved nothing: same value, or unreadable)."""
    new_d, old_d = try_cast(bind, "c.new_value", "DATE"), try_cast(bind, "c.old_value", "DATE")
    new_n, old_n = try_cast(bind, "c.new_value", "BIGINT"), try_cast(bind, "c.old_value", "BIGINT")
    return f"""CASE
        WHEN c.field = 'close_date' AND {new_d} > {old_d} THEN 'pushed'
        WHEN c.field = 'close_date' AND {new_d} < {old_d} THEN 'pulled in'
        WHEN c.field = 'amount_cents' AND {new_n} > {old_n} THEN 'amount up'
        WHEN c.field = 'amount_cents' AND {new_n} < {old_n} THEN 'amount down'
    END"""


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
    sql = sa.text(
        f"""
        WITH ev AS MATERIALIZED (
            SELECT 'created' AS kind, d.created_date AS "on", d.deal_id, d.amount_cents,
                   CAST(NULL AS VARCHAR) AS old_value, CAST(NULL AS VARCHAR) AS new_value,
                   CAST(NULL AS BIGINT) AS days_moved, CAST(NULL AS BIGINT) AS amount_change_cents
            FROM deals d WHERE d.created_date BETWEEN :start AND :end {where}
            UNION ALL
            SELECT d.outcome, d.close_date, d.deal_id, d.amount_cents, NULL, NULL, NULL, NULL
            FROM deals d WHERE d.outcome IN ('won', 'lost') AND d.close_date BETWEEN :start AND :end {where}
            UNION ALL
            SELECT {_change_kind(engine)},
                   c.changed_at, c.deal_id, d.amount_cents, c.old_value, c.new_value,
                   CASE WHEN c.field = 'close_date'
                        THEN {try_cast(engine, "c.new_value", "DATE")} - {try_cast(engine, "c.old_value", "DATE")} END,
                   CASE WHEN c.field = 'amount_cents'
                        THEN {try_cast(engine, "c.new_value", "BIGINT")} - {try_cast(engine, "c.old_value", "BIGINT")} END
            FROM deal_changes c JOIN deals d ON d.deal_id = c.deal_id
            WHERE c.changed_at BETWEEN :start AND :end {where}
        ),
        cnt AS (
            SELECT kind, COUNT(*) AS deals, COALESCE(SUM(amount_cents), 0) AS amount_sum
            FROM ev WHERE kind IS NOT NULL GROUP BY kind
        ),
        top AS (
            SELECT * FROM ev WHERE kind IS NOT NULL
            ORDER BY CASE kind {order} END, "on", deal_id
            LIMIT :limit
        )
        SELECT * FROM (
        SELECT 0 AS part, kind, NULL AS "on", NULL AS deal_id, NULL AS name, NULL AS account, NULL AS rep_id,
               NULL AS rep, NULL AS team_id, NULL AS stage, NULL AS outcome, amount_sum AS amount_cents,
               CAST(NULL AS VARCHAR) AS old_value, CAST(NULL AS VARCHAR) AS new_value,
               CAST(NULL AS BIGINT) AS days_moved, CAST(NULL AS BIGINT) AS amount_change_cents, deals
        FROM cnt
        UNION ALL
        SELECT 1, kind, "on", deal_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, amount_cents,
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
    listed = _with_deal_columns(engine, frame.reset_index(drop=True))[CHANGE_COLUMNS]
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


_DEAL_COLUMNS = sa.text(
    """
    SELECT d.deal_id, d.name, d.account, d.rep_id, r.name AS rep, d.team_id, d.stage, d.outcome
    FROM deals d LEFT JOIN reps r ON r.rep_id = d.rep_id
    WHERE d.deal_id IN :ids
    """
).bindparams(sa.bindparam("ids", expanding=True))


def _with_deal_columns(engine: Engine, listed: pd.DataFrame) -> pd.DataFrame:
    """The listed changes (in their order) with their deal's name, account, rep, team, stage and outcome."""
    ids = sorted(set(listed["deal_id"]))
    step = 5_000  # bound parameters per statement (PostgreSQL allows 65,535)
    with engine.connect() as conn:
        parts = [
            result_frame(conn.execute(_DEAL_COLUMNS, {"ids": ids[i : i + step]})) for i in range(0, len(ids), step)
        ]
    deals = pd.concat(parts, ignore_index=True)
    out = listed.drop(columns=["name", "account", "rep_id", "rep", "team_id", "stage", "outcome"])
    return out.merge(deals, on="deal_id", how="left", validate="many_to_one")

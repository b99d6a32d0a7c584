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

from salesops.scope import Scope, period_start
from salesops.store.engine import result_frame
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

    One statement: the week's events are gathered once, then counted and listed. The created, won
    and lost deals come from ``deal_event_days`` and the logged changes from ``deal_change_days``
    (each with its kind and the deal's columns stored, in day order: the week's rows alone are read,
    no deal's dates are tested).
    """
    start, end = week_of(scope)
    where, params = scope_filter(scope, alias="d")
    with engine.connect() as conn:
        res = conn.execute(
            _week_sql(where), {"start": start, "end": end, "limit": 2**62 if limit is None else limit, **params}
        )
        frame = result_frame(res)
    got = {}
    if not frame.empty:
        head = frame[frame["part"] == 0]
        got = {k: (int(n), int(a)) for k, n, a in zip(head["kind"], head["deals"], head["amount_cents"])}
        frame = frame[frame["part"] == 1]
    counts = pd.DataFrame([(k, *got.get(k, (0, 0))) for k in KINDS], columns=["kind", "deals", "amount_cents"])
    if frame.empty:
        return WeekReview(counts, pd.DataFrame(columns=CHANGE_COLUMNS))
    listed = frame.reset_index(drop=True)[CHANGE_COLUMNS]
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


#: The deal columns listed with an event (``deal_event_days`` and ``deal_change_days`` carry copies of them).
_WIDE = ("name", "account", "rep_id", "team_id", "stage", "outcome")


def _week_sql(where: str) -> sa.TextClause:
    """The week's counts (part 0) and first :limit events (part 1) for the scope filter ``where`` (alias d)."""
    order = " ".join(f"WHEN '{k}' THEN {i}" for i, k in enumerate(KINDS))
    no_wide = ", ".join(f"CAST(NULL AS VARCHAR) AS {c}" for c in _WIDE)
    nulls_named = (
        "CAST(NULL AS VARCHAR) AS old_value, CAST(NULL AS VARCHAR) AS new_value, "
        "CAST(NULL AS BIGINT) AS days_moved, CAST(NULL AS BIGINT) AS amount_change_cents"
    )
    wide = ", ".join(f"d.{c}" for c in _WIDE)
    return sa.text(
        f"""
        WITH ev AS MATERIALIZED (
            SELECT d.kind, d.day AS "on", d.deal_id, d.amount_cents, {wide}, {nulls_named}
            FROM deal_event_days d WHERE d.day BETWEEN :start AND :end {where}
            UNION ALL
            SELECT d.kind, d.changed_at, d.deal_id, d.amount_cents, {wide},
                   d.old_value, d.new_value, d.days_moved, d.amount_change_cents
            FROM deal_change_days d
            WHERE d.changed_at BETWEEN :start AND :end {where}
        ),
        cnt AS (SELECT kind, COUNT(*) AS deals, COALESCE(SUM(amount_cents), 0) AS amount_sum FROM ev GROUP BY kind),
        top AS MATERIALIZED (SELECT * FROM ev ORDER BY CASE kind {order} END, "on", deal_id LIMIT :limit)
        SELECT * FROM (
        SELECT 0 AS part, kind, NULL AS "on", NULL AS deal_id, {no_wide}, CAST(NULL AS VARCHAR) AS rep,
               amount_sum AS amount_cents, {nulls_named}, deals
        FROM cnt
        UNION ALL
        SELECT 1, l.kind, l."on", l.deal_id, {", ".join(f"l.{c}" for c in _WIDE)}, r.name, l.amount_cents,
               l.old_value, l.new_value, l.days_moved, l.amount_change_cents, NULL
        FROM top l LEFT JOIN reps r ON r.rep_id = l.rep_id
        ) u
        ORDER BY part, CASE kind {order} END, "on", deal_id
        """  # noqa: S608 - kinds and columns are this module's constants, filter from scope_filter, values bound
    )

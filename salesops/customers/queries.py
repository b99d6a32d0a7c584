"""The Customers job's SQL: won deals with their customer and kind, groups, open renewals, drill-down.

The customer and kind of a won deal are defined once in :data:`salesops.store.sql.WON_KINDS_CTE`
(shared with performance, leaderboards and comp), stored in ``deal_kinds`` at write time and read
here through :data:`salesops.store.sql.WON_KINDS_READ`; here they are only filtered and labelled.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from salesops.errors import InvalidFilter
from salesops.scope import Scope
from salesops.store.engine import fetch_frame
from salesops.store.sql import WON_KINDS_READ, business_sql, deal_kind_sql, scope_filter

#: How the per-period figures can be split: one row set for the whole company, or per region / team.
BY = ("company", "region", "team")
COMPANY = "All teams"

#: Columns of :func:`load_won`.
WON_COLUMNS = [
    "group", "deal_id", "rep_id", "team_id", "customer_id", "customer", "close_date", "amount_cents", "kind", "business",
]  # fmt: skip

_GROUP = {"company": f"'{COMPANY}'", "team": "w.team_id", "region": "COALESCE(t.region, 'Unassigned')"}


def check_by(by: str) -> str:
    if by not in BY:
        raise InvalidFilter(f"Unknown grouping {by!r} for customers.", f"Use one of: {', '.join(BY)}.")
    return by


def load_won(engine: Engine, scope: Scope, by: str = "company") -> pd.DataFrame:
    """Every won deal in scope closed on or before ``scope.end`` (all history: flows need it).

    Columns: :data:`WON_COLUMNS`. ``customer`` is the top-level account's name (or the deal's account
    name when it is linked by name only); ``customer_id`` is NULL for deals with no account.
    """
    where, params = scope_filter(scope, "w")
    sql = f"""{WON_KINDS_READ}
        SELECT {_GROUP[check_by(by)]} AS "group", w.deal_id, w.rep_id, w.team_id, w.customer_id,
               COALESCE(acc.name, MIN(w.account_name) OVER (PARTITION BY w.customer_id)) AS customer,
               w.close_date, w.amount_cents, w.kind, {business_sql("w.kind")} AS business
        FROM won_kinds w
        LEFT JOIN teams t ON t.team_id = w.team_id
        LEFT JOIN accounts acc ON acc.account_id = w.customer_id
        WHERE w.close_date <= :end {where}
        ORDER BY w.close_date, w.deal_id
    """  # noqa: S608 - our fragments; values bound
    frame = fetch_frame(engine, sa.text(sql), {"end": scope.end, **params})
    if len(frame):
        frame["close_date"] = pd.to_datetime(frame["close_date"])
    else:
        frame = pd.DataFrame(
            {c: pd.Series(dtype="datetime64[ns]" if c == "close_date" else "object") for c in WON_COLUMNS}
        )
    frame["amount_cents"] = frame["amount_cents"].astype("int64")
    return frame[WON_COLUMNS]


def load_groups(engine: Engine, scope: Scope, by: str) -> list[str]:
    """Every group in scope, so a group with no customer still gets its rows of zeros."""
    if check_by(by) == "company":
        return [COMPANY]
    where, params = scope_filter(scope, "t", rep_col=None)  # teams have no rep: a rep sees no group
    col = "t.team_id" if by == "team" else "COALESCE(t.region, 'Unassigned')"
    sql = f"SELECT DISTINCT {col} AS g FROM teams t WHERE TRUE {where} ORDER BY g"  # noqa: S608 - our fragments
    return [str(g) for g in fetch_frame(engine, sa.text(sql), params)["g"]]


#: Columns of :func:`open_renewals`.
RENEWAL_COLUMNS = ["deal_id", "name", "customer_id", "team_id", "stage", "amount_cents", "close_date", "last_change"]


def open_renewals(engine: Engine, scope: Scope) -> pd.DataFrame:
    """Open deals whose type is Renewal, with their customer and last stage change (or create date)."""
    where, params = scope_filter(scope, "d")
    sql = f"""{WON_KINDS_READ}
        SELECT d.deal_id, d.name, d.customer_id, d.team_id, d.stage, d.amount_cents, d.close_date,
               COALESCE((SELECT MAX(h.entered_at) FROM deal_stage_history h WHERE h.deal_id = d.deal_id),
                        d.created_date) AS last_change
        FROM deal_customers d
        WHERE d.outcome = 'open' AND {deal_kind_sql("d.deal_type")} = 'renewal'
          AND d.customer_id IS NOT NULL {where}
    """  # noqa: S608 - our fragments; values bound
    frame = fetch_frame(engine, sa.text(sql), params)
    return frame if len(frame) else pd.DataFrame(columns=RENEWAL_COLUMNS)


#: Columns of :func:`customer_deals`.
DEAL_COLUMNS = [
    "deal_id", "name", "account", "team", "rep", "product", "deal_type", "stage", "outcome", "amount_cents",
    "created_date", "close_date",
]  # fmt: skip


#: The most deals the drill-down lists (and downloads) at once; it says how many there are in all.
MAX_DEALS_LISTED = 5_000

#: Up to this many deals, the drill-down reads them by primary key (an index lookup each: DuckDB's own
#: default limit for an index scan, ``index_scan_max_count``, is 2,048 rows); more are joined.
LOOKUP_MAX = 2_048


@dataclass(frozen=True)
class DealsListed:
    """The newest deals of some customers, and how many they have in all (the list may be cut)."""

    rows: pd.DataFrame  # DEAL_COLUMNS, newest first, at most the limit asked for
    total: int


def customer_deals(engine: Engine, customer_ids: Sequence[str], scope: Scope) -> pd.DataFrame:
    """Every deal (won, lost, open) of the given customers, newest first, for the drill-down (team and
    rep by name). Columns: DEAL_COLUMNS."""
    return customer_deals_listed(engine, customer_ids, scope, limit=None).rows


def customer_deals_listed(
    engine: Engine, customer_ids: Sequence[str], scope: Scope, limit: int | None = MAX_DEALS_LISTED
) -> DealsListed:
    """The newest ``limit`` deals of the given customers (all with None) and their total count: the
    database counts and cuts, so a drill-down over thousands of customers never fetches millions of rows."""
    if not customer_ids:
        return DealsListed(pd.DataFrame(columns=DEAL_COLUMNS), 0)
    where, params = scope_filter(scope, "d")
    # The customers' deal ids first (customer_deal_ids, in customer order: a few row groups). Up to
    # LOOKUP_MAX of them are then read by the deals' primary key: ``deals`` is in close-date order,
    # so a join on deal_id reads the deal_id column of every row group (~300 ms warm at large for a
    # customer's 2 deals). More ids (or an id twice, which the join lists twice) keep the join.
    bound = {"end": scope.end, **params, **({"limit": limit} if limit is not None else {})}
    ids = [str(i) for i in customer_ids]
    with engine.connect() as conn:
        ids_stmt = sa.text("SELECT deal_id FROM customer_deal_ids WHERE customer_id IN :ids")
        deal_ids = [r[0] for r in conn.execute(ids_stmt.bindparams(sa.bindparam("ids", expanding=True)), {"ids": ids})]
    if not deal_ids:
        return DealsListed(pd.DataFrame(columns=DEAL_COLUMNS), 0)
    if len(deal_ids) <= LOOKUP_MAX and len(set(deal_ids)) == len(deal_ids):
        # Materialized: DuckDB scans by the index only when the key is the scan's one filter.
        head = "WITH d AS MATERIALIZED (SELECT * FROM deals WHERE deal_id IN :keys)"
        source, values = "d", deal_ids
    else:
        head, values = "", ids
        source = (
            "(SELECT deal_id FROM customer_deal_ids WHERE customer_id IN :keys) k JOIN deals d ON d.deal_id = k.deal_id"
        )
    sql = f"""{head}
        SELECT d.deal_id, d.name, d.account, COALESCE(t.name, d.team_id, '') AS team,
               COALESCE(r.name, d.rep_id) AS rep, d.product,
               COALESCE(d.deal_type, '') AS deal_type, d.stage, d.outcome, d.amount_cents,
               d.created_date, d.close_date, COUNT(*) OVER () AS total_rows
        FROM {source}
        LEFT JOIN reps r ON r.rep_id = d.rep_id LEFT JOIN teams t ON t.team_id = d.team_id
        WHERE d.created_date <= :end {where}
        ORDER BY d.close_date DESC NULLS LAST, d.deal_id
        {"LIMIT :limit" if limit is not None else ""}
    """  # noqa: S608 - our fragments; values bound
    stmt = sa.text(sql).bindparams(sa.bindparam("keys", expanding=True))
    frame = fetch_frame(engine, stmt, {"keys": values, **bound})
    total = int(frame["total_rows"].iloc[0]) if len(frame) else 0
    frame = frame.drop(columns=["total_rows"])
    if len(frame) and scope.viewer is not None and not scope.viewer.sees_individual_money:
        frame["amount_cents"] = pd.NA  # a deal's amount beside its rep: not for the screen-share account
    return DealsListed(frame if len(frame) else pd.DataFrame(columns=DEAL_COLUMNS), total)


def as_of(scope: Scope, today: date) -> date:
    """The day the figures are measured at: the range's end, or today when the range runs past it."""
    return min(scope.end, today)

"""The customer figures computed in the database: what the page and the CLI call.

Each function returns the same frame as its pure-pandas reference over :func:`load_won` (in
``retention``, ``cohorts`` and ``risk``, which define the figures and are tested by hand); a test
checks that both agree. Here the work happens in SQL and only small aggregates come back.
"""

from __future__ import annotations

import functools
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from salesops.customers.queries import _GROUP, COMPANY, check_by, load_groups
from salesops.scope import Scope, period_label
from salesops.store.customer_tables import FLOW_COLUMNS, FLOW_GRAINS
from salesops.store.engine import fetch_frame
from salesops.store.sql import WON_KINDS, business_sql, purchase_day_sql, scope_filter


def _stored(scope: Scope, by: str) -> bool:
    """Whether the scope's figures can be read from ``customer_days``: the whole company, unfiltered
    (the table is company-wide; a region, team or restricted viewer recomputes from the deals)."""
    where, _ = scope_filter(scope, "k")
    return check_by(by) == "company" and not where


def _base(scope: Scope, by: str, live: bool = False, names: bool = False) -> tuple[str, dict]:
    """``w`` (the scope's won revenue up to :asof: grp, customer_id, close_date, amount_cents,
    existing_cents, customer) and ``ev`` (one row per group, customer and purchase day: won_cents,
    first_day, prev, nxt, is_first, is_back, lost_day, active_until). From ``customer_days`` when the
    scope is the whole company (one row per customer and day), else from the deals (one row per
    deal, plus ``business``); ``live`` forces the latter (the drill-down counts deals by kind). From
    the deals, ``customer`` is NULL unless ``names`` (a join over every customer's first day: only
    the callers that show names ask for it)."""
    if _stored(scope, by) and not live:
        stored = f"""WITH w AS (
        SELECT {_GROUP["company"]} AS grp, customer_id, day AS close_date, won_cents AS amount_cents, existing_cents,
               customer
        FROM customer_days WHERE day <= :asof
    ),
    ev AS (
        SELECT {_GROUP["company"]} AS grp, customer_id, day, won_cents, first_day, prev_day AS prev, next_day AS nxt,
               CASE WHEN prev_day IS NULL THEN 1 ELSE 0 END AS is_first, is_back, lost_day, active_until
        FROM customer_days WHERE customer_id IS NOT NULL AND day <= :asof
    )"""  # noqa: S608 - our fragments; values bound
        return stored, {}
    where, params = scope_filter(scope, "k")
    # won_kinds from deal_kinds alone (its copies of the deal's columns: no join to deals); each
    # customer's name from customer_keys (the name stored on their days).
    named = "LEFT JOIN customer_keys n ON n.customer_id = k.customer_id" if names else ""
    sql = f"""WITH won_kinds AS ({WON_KINDS}),
    w AS (
        SELECT {_GROUP[check_by(by)].replace("w.", "k.")} AS grp, k.customer_id, k.close_date, k.amount_cents,
               {business_sql("k.kind")} AS business,
               CASE WHEN {business_sql("k.kind")} = 'existing' THEN k.amount_cents ELSE 0 END AS existing_cents,
               {"n.customer" if names else "CAST(NULL AS VARCHAR)"} AS customer
        FROM won_kinds k {"LEFT JOIN teams t ON t.team_id = k.team_id" if by == "region" else ""} {named}
        WHERE k.close_date <= :asof {where}
    ),
    d AS (
        SELECT grp, customer_id, close_date AS day, SUM(amount_cents) AS won_cents
        FROM w WHERE customer_id IS NOT NULL GROUP BY 1, 2, 3
    ),
    e AS (
        SELECT grp, customer_id, day, won_cents, MIN(day) OVER (PARTITION BY grp, customer_id) AS first_day,
               LAG(day) OVER (PARTITION BY grp, customer_id ORDER BY day) AS prev,
               LEAD(day) OVER (PARTITION BY grp, customer_id ORDER BY day) AS nxt
        FROM d
    ),
    {_EV}"""  # noqa: S608 - our fragments; values bound
    return sql, params


#: ``ev`` from ``e`` (group, customer, purchase day, first, previous and next purchase day): what
#: each day means (:func:`~salesops.store.sql.purchase_day_sql`, as stored in ``customer_days``).
_EV = f"""ev AS (SELECT e.*, {purchase_day_sql("day", "prev", "nxt")} FROM e)"""  # noqa: S608 - our fragments


def _periods(periods: list[tuple[date, date]], as_of: date) -> tuple[dict, int]:
    """Binds :ps<i> and :pe<i> (each period's start and its end up to ``as_of``); and their number."""
    params = {}
    for i, (start, end) in enumerate(periods):
        params[f"ps{i}"], params[f"pe{i}"] = start, min(end, as_of)
    return params, len(periods)


def _in_period(expr: str, n: int) -> str:
    """The index of the period holding the date ``expr`` (NULL outside them all): one pass over the
    rows instead of a range join per period."""
    whens = " ".join(f"WHEN {expr} BETWEEN CAST(:ps{i} AS DATE) AND CAST(:pe{i} AS DATE) THEN {i}" for i in range(n))
    return f"CASE {whens} END"


def _within(expr: str, n: int) -> str:
    """The date ``expr`` falls in one of the periods (a filter that lets DuckDB skip whole row groups)."""
    return f"{expr} BETWEEN CAST(:ps0 AS DATE) AND CAST(:pe{n - 1} AS DATE)"


def _by_end(expr: str, n: int) -> str:
    """The index of the first period ending on or after the date ``expr`` (NULL after the last). The
    rows of index <= i are those with ``expr`` <= period i's end: a running sum counts them."""
    whens = " ".join(f"WHEN {expr} <= CAST(:pe{i} AS DATE) THEN {i}" for i in range(n))
    return f"CASE {whens} END"


#: The counts :func:`period_flows_sql` reads, per group and period index.
_FLOW_PARTS = ("won_cents", "existing_cents", "new", "returning", "lost", "start", "until")


def _flows_sql(base: str, n: int) -> str:
    """Four passes: revenue by close day's period; purchase days by the first period ending on or
    after them (new and returning counted from the first period's start; the periods are contiguous,
    so that period holds the day); lost customers by lost day; active spells by their end."""
    return f"""{base}
    SELECT grp, {_in_period("close_date", n)} AS k, SUM(amount_cents) AS won_cents,
           SUM(existing_cents) AS existing_cents, 0 AS new, 0 AS returning, 0 AS lost, 0 AS start, 0 AS until
    FROM w WHERE {_within("close_date", n)} GROUP BY 1, 2
    UNION ALL SELECT grp, {_by_end("day", n)}, 0, 0,
           SUM(CASE WHEN day >= CAST(:ps0 AS DATE) THEN is_first ELSE 0 END),
           SUM(CASE WHEN day >= CAST(:ps0 AS DATE) THEN is_back ELSE 0 END), 0, COUNT(*), 0
    FROM ev GROUP BY 1, 2
    UNION ALL SELECT grp, {_in_period("lost_day", n)}, 0, 0, 0, 0, COUNT(*), 0, 0
    FROM ev WHERE {_within("lost_day", n)} GROUP BY 1, 2
    UNION ALL SELECT grp, {_by_end("active_until", n)}, 0, 0, 0, 0, 0, 0, COUNT(*) FROM ev GROUP BY 1, 2
    """  # noqa: S608 - our fragments; values bound


def period_flows_sql(engine: Engine, scope: Scope, by: str, as_of: date) -> pd.DataFrame:
    """:func:`salesops.customers.retention.period_flows` of the scope's periods, in SQL. The database
    counts per group and period index in four passes; plain loops add them up (a few dozen rows:
    pandas operations cost more than the rows)."""
    periods = scope.periods()
    if any(nxt != end + timedelta(days=1) for (_, end), (nxt, _) in zip(periods, periods[1:])):
        raise ValueError("the periods must follow each other")  # Scope.periods() always do
    if _stored(scope, by) and scope.grain in FLOW_GRAINS and as_of >= periods[0][0] and _has_flows(engine):
        return _flow_frame(
            _stored_flow_sums(engine, periods, scope.grain, as_of), [COMPANY], periods, scope.grain, as_of
        )
    base, params = _base(scope, by)
    p_params, n = _periods(periods, as_of)
    sums: dict[tuple[str, int], list[int]] = {}
    with engine.connect() as conn:
        for row in conn.execute(sa.text(_flows_sql(base, n)), {"asof": as_of, **params, **p_params}).fetchall():
            if row[1] is not None:  # outside every period
                got = sums.setdefault((str(row[0]), int(row[1])), [0] * len(_FLOW_PARTS))
                for i, v in enumerate(row[2:]):
                    got[i] += int(v)
    return _flow_frame(sums, load_groups(engine, scope, by), periods, scope.grain, as_of)


@functools.lru_cache(maxsize=64)
def _flows_stored(url: str, engine: Engine) -> bool:
    return sa.inspect(engine).has_table("customer_flows")


def _has_flows(engine: Engine) -> bool:
    """Whether the store has ``customer_flows`` (a store migrated by the first version of revision
    0018 lacks it until its next write: its flows are then computed from its days). Asked once per
    store and process."""
    return _flows_stored(engine.url.render_as_string(hide_password=True), engine)


#: The counts of the period holding :asof (from :lo), from ``customer_days``: what ``customer_flows``
#: holds for a period that is over (:prune: no day before it can count: a lost day or an active spell's
#: end comes at most 12 months after its purchase day).
_CURRENT_FLOWS = """
SELECT SUM(CASE WHEN day >= :lo THEN won_cents ELSE 0 END),
       SUM(CASE WHEN day >= :lo THEN existing_cents ELSE 0 END),
       SUM(CASE WHEN day >= :lo AND customer_id IS NOT NULL AND prev_day IS NULL THEN 1 ELSE 0 END),
       SUM(CASE WHEN day >= :lo THEN COALESCE(is_back, 0) ELSE 0 END),
       SUM(CASE WHEN lost_day BETWEEN :lo AND :asof THEN 1 ELSE 0 END),
       SUM(CASE WHEN day >= :lo AND customer_id IS NOT NULL THEN 1 ELSE 0 END),
       SUM(CASE WHEN active_until BETWEEN :lo AND :asof THEN 1 ELSE 0 END)
FROM customer_days WHERE day >= :prune AND day <= :asof
"""


def _stored_flow_sums(
    engine: Engine, periods: list[tuple[date, date]], grain: str, as_of: date
) -> dict[tuple[str, int], list[int]]:
    """The company's :data:`_FLOW_PARTS` per period index: the periods over by ``as_of`` (and the
    purchase days and spell ends before the first period, which the running active count starts
    from) read from ``customer_flows``; the period holding ``as_of`` from its days in
    ``customer_days``; later periods none. (``as_of`` is on or after the first period's start.)"""
    index = {start: k for k, (start, end) in enumerate(periods) if end <= as_of}
    current = next((k for k, (start, end) in enumerate(periods) if start <= as_of < end), None)
    cut = periods[current][0] if current is not None else periods[-1][1]
    sums: dict[tuple[str, int], list[int]] = {}
    sql = f"SELECT {FLOW_COLUMNS} FROM customer_flows WHERE grain = :g AND period_start <= :cut"  # noqa: S608
    with engine.connect() as conn:
        for _, start, *counts in conn.execute(sa.text(sql), {"g": grain, "cut": cut}).fetchall():
            if start < periods[0][0]:  # before the first period: only the running active count
                got = sums.setdefault((COMPANY, 0), [0] * len(_FLOW_PARTS))
                got[5], got[6] = got[5] + int(counts[5]), got[6] + int(counts[6])
            elif start in index:
                got = sums.setdefault((COMPANY, index[start]), [0] * len(_FLOW_PARTS))
                for i, v in enumerate(counts):
                    got[i] += int(v)
        if current is not None:
            lo = periods[current][0]
            binds = {"lo": lo, "asof": as_of, "prune": lo - timedelta(days=400)}
            row = conn.execute(sa.text(_CURRENT_FLOWS), binds).one()
            got = sums.setdefault((COMPANY, current), [0] * len(_FLOW_PARTS))
            for i, v in enumerate(row):
                got[i] += int(v or 0)
    return sums


def _flow_frame(
    sums: dict[tuple[str, int], list[int]], groups: list[str], periods: list[tuple[date, date]], grain: str, as_of: date
) -> pd.DataFrame:
    """PERIOD_COLUMNS rows from the per group and period index sums (:data:`_FLOW_PARTS`, zeros where
    none); active customers are the running sum of purchase days less active spells ended."""
    from salesops.customers.retention import PERIOD_COLUMNS

    out = []
    zeros = [0] * len(_FLOW_PARTS)
    for group in groups:
        active = 0
        for k, (start, end) in enumerate(periods):
            won, existing, new, returning, lost, starts, untils = sums.get((group, k), zeros)
            active += starts - untils
            share = existing / won if won > 0 else np.nan
            label = period_label(start, grain)
            out.append(
                (group, start, label, end > as_of, won, won - existing, existing, share, active, new, returning, lost)
            )
    cols = list(zip(*out)) if out else [()] * len(PERIOD_COLUMNS)
    types = dict.fromkeys(["won_cents", "new_cents", "existing_cents", "active", "new", "returning", "lost"], "int64")
    types |= {"partial": "bool", "existing_share": "float64"}
    return pd.DataFrame(
        {c: np.array(v, dtype=types.get(c, object)) for c, v in zip(PERIOD_COLUMNS, cols)}, columns=PERIOD_COLUMNS
    )


def accounts_behind_sql(engine: Engine, scope: Scope, start: date, end: date, as_of: date, figure: str) -> pd.DataFrame:
    """:func:`salesops.customers.retention.accounts_behind` (company), in SQL: every row."""
    return _accounts_behind(engine, scope, (start, end), as_of, figure, None)[0]


def accounts_behind_top_sql(
    engine: Engine, scope: Scope, start: date, end: date, as_of: date, figure: str, n: int
) -> tuple[pd.DataFrame, int]:
    """The first ``n`` rows of :func:`accounts_behind_sql` (those that won most in the period) and
    how many rows it has: the database counts and cuts, so 75,000 active accounts never reach pandas."""
    return _accounts_behind(engine, scope, (start, end), as_of, figure, n)


#: Fixed SQL per figure (no user text): which customers the number counts, over ``ev`` (the scope's
#: purchase days) or ``customer_days`` (whose names are the same, ``prev_day`` for ``prev``).
_PICKS = {
    "active": "day <= :hi AND :hi < active_until",
    "new": "day BETWEEN :lo AND :hi AND {prev} IS NULL",
    "returning": "day BETWEEN :lo AND :hi AND is_back = 1",
    "lost": "lost_day BETWEEN :lo AND :hi",
}


def _behind_rows(scope: Scope, figure: str) -> tuple[str, dict, bool]:
    """The CTEs up to ``r`` (one row per customer the figure counts: customer_id, won_cents and
    deals in [:lo, :hi]; computed from the deals, also customer, first_purchase, last_purchase up to
    :hi) and whether they came from ``customer_days``: a customer count of the whole company reads it
    (its purchase days, their revenue and deal counts); the revenue figures (which split deals by
    kind) and other scopes read their deals (first and last purchase within what the scope sees)."""
    if figure in _PICKS and _stored(scope, "company"):
        # By the integer customer_key (the final select reads the ids and names of the rows it returns).
        # An active customer's spells do not overlap (each ends by the next purchase day), so one row
        # per customer matches :hi, and its day is their last purchase up to :hi (read, not looked up).
        pick = (
            "SELECT customer_key AS customer_id, day AS last_purchase"
            if figure == "active"
            else "SELECT DISTINCT customer_key AS customer_id, CAST(NULL AS DATE) AS last_purchase"
        )
        sql = f"""WITH ids AS (
        {pick} FROM customer_days
        WHERE customer_key IS NOT NULL AND day <= :asof AND {_PICKS[figure].format(prev="prev_day")}
    ),
    per AS (
        SELECT customer_key, SUM(won_cents) AS won_cents, SUM(deals) AS deals FROM customer_days
        WHERE customer_key IS NOT NULL AND day BETWEEN :lo AND :hi GROUP BY 1
    ),
    r AS (
        SELECT ids.customer_id, COALESCE(per.won_cents, 0) AS won_cents, COALESCE(per.deals, 0) AS deals,
               ids.last_purchase
        FROM ids LEFT JOIN per ON per.customer_key = ids.customer_id
    )"""  # noqa: S608 - fixed SQL per figure; values bound
        return sql, {}, True
    base, params = _base(scope, "company", live=True)
    kind = {"new_cents": "AND w.business = 'new'", "existing_cents": "AND w.business = 'existing'"}.get(figure, "")
    ids = (
        f"SELECT DISTINCT customer_id FROM ev WHERE {_PICKS[figure].format(prev='prev')}"  # noqa: S608 - fixed SQL
        if figure in _PICKS
        else "SELECT DISTINCT customer_id FROM w WHERE customer_id IS NOT NULL AND close_date BETWEEN :lo AND :hi "  # noqa: S608 - fixed SQL
        + kind
    )
    sql = f"""{base}, ids AS ({ids}),
    r AS (
        SELECT w.customer_id,
               SUM(CASE WHEN w.close_date BETWEEN :lo AND :hi {kind} THEN w.amount_cents ELSE 0 END) AS won_cents,
               SUM(CASE WHEN w.close_date BETWEEN :lo AND :hi {kind} THEN 1 ELSE 0 END) AS deals,
               MIN(w.close_date) AS first_purchase, MAX(w.close_date) AS last_purchase
        FROM w JOIN ids ON ids.customer_id = w.customer_id
        WHERE w.close_date <= :hi
        GROUP BY w.customer_id
    )"""  # noqa: S608 - our fragments and fixed SQL per figure; values bound
    return sql, params, False


def _accounts_behind(
    engine: Engine, scope: Scope, period: tuple[date, date], as_of: date, figure: str, n: int | None
) -> tuple[pd.DataFrame, int]:
    """The rows (all, or the first ``n``: most won in the period, then customer id) and their number."""
    from salesops.customers.retention import BEHIND_COLUMNS, FIGURES

    if figure not in FIGURES:
        raise ValueError(f"unknown figure {figure!r}")
    ctes, params, stored = _behind_rows(scope, figure)
    # Stored: ``customer_id`` is the integer customer_key (the id order: the same cut and ties); ids,
    # names, first and last purchase (up to :hi) read for the rows returned only. Computed: names
    # read for the rows returned only.
    last = (
        "top.last_purchase"
        if figure == "active"
        else """(SELECT MAX(day) FROM customer_days c
                 WHERE c.customer_key = top.customer_id AND c.day <= :hi)"""
    )
    final = (
        f"""SELECT k.customer_id, k.customer, top.won_cents, top.deals, k.first_day AS first_purchase,
               {last} AS last_purchase, top.total
        FROM top JOIN customer_keys k ON k.customer_key = top.customer_id"""  # noqa: S608 - fixed SQL
        if stored
        else "SELECT top.*, n.customer FROM top LEFT JOIN customer_keys n ON n.customer_id = top.customer_id"
    )
    # The count is a scalar subquery over the (materialised) rows: a window count over every row
    # cost more than the count.
    sql = f"""{ctes},
    top AS (
        SELECT r.*, (SELECT COUNT(*) FROM r) AS total FROM r
        {"ORDER BY won_cents DESC, customer_id LIMIT :n" if n is not None else ""}
    )
    SELECT * FROM ({final}) f ORDER BY won_cents DESC, customer_id
    """  # noqa: S608 - our fragments; values bound
    start, end = period
    binds = {"asof": as_of, "lo": start, "hi": min(end, as_of), **params, **({"n": n} if n is not None else {})}
    if n is None:  # every row (the download): the driver's frame
        got = fetch_frame(engine, sa.text(sql), binds)
        if not len(got):
            return pd.DataFrame(columns=BEHIND_COLUMNS), 0
        total = int(got["total"].iloc[0])
        got = got.astype({"won_cents": "int64", "deals": int})
        for col in ("first_purchase", "last_purchase"):
            got[col] = pd.to_datetime(got[col]).dt.date
        return got[BEHIND_COLUMNS].reset_index(drop=True), total
    # At most n rows: plain lists (a frame's astype and date conversions cost more than the rows).
    with engine.connect() as conn:
        result = None
        if stored and figure == "active" and (pd.Timestamp(start) + pd.DateOffset(months=12)).date() > binds["hi"]:
            result = conn.execute(sa.text(_ACTIVE_TOP), binds)
            cols = {c: i for i, c in enumerate(result.keys())}
            rows = result.fetchall()
            if len(rows) < n or rows[-1][cols["won_cents"]] <= 0:
                result = None  # fewer than n buyers in the period: the customers who bought nothing count too
        if result is None:
            result = conn.execute(sa.text(sql), binds)
            cols = {c: i for i, c in enumerate(result.keys())}
            rows = result.fetchall()
    if not rows:
        return pd.DataFrame(columns=BEHIND_COLUMNS), 0
    pick = {c: [row[cols[c]] for row in rows] for c in BEHIND_COLUMNS}
    types: dict[str, Any] = {"won_cents": "int64", "deals": "int64", "first_purchase": object, "last_purchase": object}
    frame = pd.DataFrame({c: np.array(v, dtype=types[c]) if c in types else v for c, v in pick.items()})
    return frame, int(rows[0][cols["total"]])


#: The first :n active customers at :hi by revenue in [:lo, :hi] when the period is shorter than 12
#: months: each customer who bought in it is active at its end (their last purchase in it is at most
#: 12 months back, with no later one by then), so when the :n-th of them won more than nothing, no
#: customer who bought nothing in the period is among the first :n. Only the buyers are summed (not
#: every active customer joined to the sums); the active ones are counted apart.
_ACTIVE_TOP = """WITH per AS (
        SELECT customer_key, SUM(won_cents) AS won_cents, SUM(deals) AS deals, MAX(day) AS last_purchase
        FROM customer_days WHERE customer_key IS NOT NULL AND day BETWEEN :lo AND :hi GROUP BY 1
    ),
    top AS (SELECT * FROM per ORDER BY won_cents DESC, customer_key LIMIT :n)
    SELECT k.customer_id, k.customer, top.won_cents, top.deals, k.first_day AS first_purchase, top.last_purchase,
           (SELECT COUNT(*) FROM customer_days
            WHERE customer_key IS NOT NULL AND day <= :hi AND :hi < active_until) AS total
    FROM top JOIN customer_keys k ON k.customer_key = top.customer_key
    ORDER BY top.won_cents DESC, k.customer_id
"""


def prospects_sql(engine: Engine, as_of: date) -> int:
    """Prospects at ``as_of``: top-level accounts (parent missing or not stored, as customers are
    rooted) none of whose deals — their subsidiaries' included — was won on or before ``as_of``
    (``account_roots``, stored at write time)."""
    # The roots with no won day (COUNT(*) less COUNT of the day) and those won after :asof: no OR in
    # the scan's filter (large, 3.5M roots: 22 -> 12 ms).
    sql = """SELECT COUNT(*) - COUNT(first_won_day) + COUNT(*) FILTER (WHERE first_won_day > :asof) AS n
        FROM account_roots"""
    return int(fetch_frame(engine, sa.text(sql), {"asof": as_of})["n"].iloc[0])

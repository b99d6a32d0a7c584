"""Shared SQL pieces and the ratios built on them: one definition per number.

* :func:`scope_filter` — the region/team restriction every query applies;
* :func:`viewer_filter` — the rows the signed-in viewer may see (docs/ACCESS.md);
* :data:`PERIOD_STEP`, :func:`period_start_sql`, :func:`period_end_sql` — grain periods in SQL (the
  same calendar as :mod:`salesops.scope`);
* :data:`QUOTA_PERIOD_END`, :func:`quota_rows`, :func:`prorated_quota`, :func:`quota_in_window`,
  :data:`QUOTA_IN_WINDOW` — quota of a window, prorated by day;
* :func:`open_at`, :func:`open_at_parts` — the deals open at a date;
* :func:`attainment`, :func:`win_rate` — won ÷ quota and won ÷ (won + lost), for scalars and columns.

Everything here returns SQL text plus a dict of bind parameters; values are never formatted into
SQL. Column names, aliases and bind names passed in come from the callers' own code, never from user
input. The SQL reads the same on DuckDB and PostgreSQL; the pieces that differ come from
:mod:`salesops.store.dialect`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from salesops.scope import GRAINS, Scope, check_grain
from salesops.store.dialect import DOUBLE, round_half_up

if TYPE_CHECKING:
    import pandas as pd

    from salesops.access import Viewer


def scope_filter(
    scope: Scope, alias: str = "", team_col: str = "team_id", rep_col: str | None = "rep_id"
) -> tuple[str, dict]:
    """``AND …`` clauses restricting rows to the scope's region and team (empty when unset) and to
    what the scope's viewer may see (:func:`viewer_filter`; ``rep_col=None`` for rows without a rep,
    such as ``teams``, which a rep then does not see)."""
    col = f"{alias}.{team_col}" if alias else team_col
    sql, params = viewer_filter(scope.viewer, alias, rep_col, team_col)
    if scope.team_id:
        sql += f" AND {col} = :scope_team"
        params["scope_team"] = scope.team_id
    if scope.region:
        sql += f" AND {col} IN (SELECT team_id FROM teams WHERE region = :scope_region)"  # noqa: S608 - col is ours, value bound
        params["scope_region"] = scope.region
    return sql, params


# ---- grain periods -------------------------------------------------------------------------------

#: One grain period as an SQL interval (keys: :data:`salesops.scope.GRAINS`).
PERIOD_STEP = {
    "week": "INTERVAL '7 days'",
    "month": "INTERVAL '1 month'",
    "quarter": "INTERVAL '3 months'",
    "year": "INTERVAL '1 year'",
}
assert tuple(PERIOD_STEP) == GRAINS  # noqa: S101 - a module invariant, checked at import


def period_start_sql(expr: str, grain: str) -> str:
    """First day of the ``grain`` period holding the date ``expr`` (weeks start on Monday)."""
    return f"CAST(date_trunc('{check_grain(grain)}', {expr}) AS DATE)"


def period_end_sql(start_expr: str, grain: str) -> str:
    """Last day of the ``grain`` period starting at the date ``start_expr``."""
    return f"CAST({start_expr} + {PERIOD_STEP[check_grain(grain)]} - INTERVAL '1 day' AS DATE)"


# ---- quota in a window ---------------------------------------------------------------------------


def _quota_period_end(alias: str = "") -> str:
    col = f"{alias}." if alias else ""
    whens = " ".join(f"WHEN '{g}' THEN {col}period_start + {PERIOD_STEP[g]} - INTERVAL '1 day'" for g in GRAINS[:-1])
    return f"CAST(CASE {col}period_type {whens} ELSE {col}period_start + {PERIOD_STEP[GRAINS[-1]]} - INTERVAL '1 day' END AS DATE)"


#: A quota row's last day, from its period_type (a year when the type is not one of the others):
#: the one definition, stored in ``quotas.period_end`` at write time (revision 0016).
QUOTA_PERIOD_END = _quota_period_end()


def quota_rows(lo: str = "q_start", hi: str = "q_end") -> str:
    """Quota rows that overlap the window [:lo, :hi]: rep_id, period_start, period_end, amount_cents.

    ``period_end`` is the stored :data:`QUOTA_PERIOD_END` (revision 0016; every write of quotas sets
    it, :func:`salesops.store.period_tables.refresh_quota_ends`), so no interval arithmetic runs here.
    """
    return f"""
        SELECT rep_id, period_start, period_end, amount_cents
        FROM quotas
        WHERE period_start <= CAST(:{hi} AS DATE) AND period_end >= CAST(:{lo} AS DATE)
    """  # noqa: S608 - our fragment; bind names come from the callers' code


def prorated_quota(lo: str, hi: str, alias: str = "q") -> str:
    """A quota row's amount prorated by day onto the window [lo, hi] (SQL date expressions): its
    amount × the share of its days inside the window (0 when they don't overlap)."""
    q = alias
    return (
        f"CAST({q}.amount_cents AS {DOUBLE})"
        f" * GREATEST(0, LEAST({q}.period_end, {hi}) - GREATEST({q}.period_start, {lo}) + 1)"
        f" / ({q}.period_end - {q}.period_start + 1)"
    )


def quota_in_window(lo: str = "q_start", hi: str = "q_end") -> str:
    """Quota per rep over the window [:lo, :hi]: rep_id, quota_cents. The one definition of
    "quota in a window".

    Rounded to the cent per rep, here and nowhere else: a team's or a scope's quota is the sum of
    its reps' whole cents, so every page, the comp statements and the CLI add up to the same figure
    (summing the fractions first and rounding once differs from it by a few cents per team).
    """
    return f"""
    SELECT q.rep_id,
           {round_half_up(f"SUM({prorated_quota(f'CAST(:{lo} AS DATE)', f'CAST(:{hi} AS DATE)')})")} AS quota_cents
    FROM ({quota_rows(lo, hi)}) q
    GROUP BY q.rep_id
"""  # noqa: S608 - our fragments; bind names come from the callers' code


#: Quota rows prorated by day onto the window [:q_start, :q_end], per rep: rep_id, quota_cents.
QUOTA_IN_WINDOW = quota_in_window()


def quota_params(scope: Scope) -> dict:
    """The binds of :data:`QUOTA_IN_WINDOW` for a scope: its whole grain periods."""
    return {"q_start": scope.quota_start, "q_end": scope.quota_end}


# ---- open pipeline at a date -----------------------------------------------------------------------


def open_at(at: str = ":end", alias: str = "") -> str:
    """Deals open at the date ``at`` (an SQL expression): created by then and not closed by then
    (still open, or closed after it). At today that is exactly today's open deals."""
    d = f"{alias}." if alias else ""
    return f"{d}created_date <= {at} AND ({d}outcome = 'open' OR {d}close_date > {at})"


def open_at_parts(at: str = ":end", alias: str = "") -> tuple[str, str]:
    """:func:`open_at` as two disjoint halves whose rows together are exactly its rows: the deals
    still open, and the deals closed after ``at`` (both created by then). Read them as two branches
    of a UNION ALL: the second is a plain range on close_date, so DuckDB reads only the row groups
    that can hold it, where the OR of :func:`open_at` makes it test every deal."""
    d = f"{alias}." if alias else ""
    return (
        f"{d}created_date <= {at} AND {d}outcome = 'open'",
        f"{d}created_date <= {at} AND {d}outcome <> 'open' AND {d}close_date > {at}",
    )


# ---- ratios ----------------------------------------------------------------------------------------


def _ratio(num, den):
    """num ÷ den where den > 0: a float or None for scalars; for arrays and Series, NaN elsewhere."""
    if np.ndim(num) == 0 and np.ndim(den) == 0:
        if den is None or den != den or den <= 0:  # noqa: PLR0124 - den != den is the NaN test
            return None
        return float(num) / float(den)
    num_a, den_a = np.asarray(num, dtype="float64"), np.asarray(den, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(den_a > 0, num_a / den_a, np.nan)
    index = getattr(num, "index", getattr(den, "index", None))
    if index is None:
        return out
    import pandas as pd

    return pd.Series(out, index=index)


def attainment(won_cents, quota_cents):
    """Attainment = won revenue ÷ quota; undefined (None / NaN) without quota."""
    return _ratio(won_cents, quota_cents)


def win_rate(won_count, lost_count):
    """Win rate = won ÷ (won + lost) of the deals closed; undefined (None / NaN) without one."""
    if np.ndim(won_count) == 0 and np.ndim(lost_count) == 0:
        return _ratio(won_count, won_count + lost_count)
    return _ratio(won_count, np.add(won_count, lost_count))


def load_teams(engine) -> pd.DataFrame:
    """Teams with their region and manager, sorted by id: team_id, name, region, manager."""
    import pandas as pd
    import sqlalchemy as sa

    with engine.connect() as conn:
        res = conn.execute(sa.text("SELECT team_id, name, region, manager FROM teams ORDER BY team_id"))
        return pd.DataFrame(res.fetchall(), columns=["team_id", "name", "region", "manager"])


# ---- accounts and deal types (customers, performance, leaderboards, comp) ---------------------------

#: Stored deal types -> their kind. The kinds: new_business (a new customer), renewal, expansion
#: (upsell, cross-sell) and existing (existing business not said to be either).
DEAL_TYPES = {
    "New Business": "new_business",
    "Renewal": "renewal",
    "Expansion": "expansion",
    "Existing Business": "existing",
}
#: Accepted spellings (letters and digits only, lower-case) -> the stored deal type. Salesforce's
#: ``Type`` picklist and HubSpot's ``Deal Type`` internal values are among them.
DEAL_TYPE_SPELLINGS = {
    **dict.fromkeys(("newbusiness", "new", "newcustomer", "newlogo", "newbiz"), "New Business"),
    **dict.fromkeys(("renewal", "renew", "renewals", "existingcustomerreplacement"), "Renewal"),
    **dict.fromkeys(("expansion", "upsell", "upgrade", "crosssell", "addon", "existingcustomerupgrade"), "Expansion"),
    **dict.fromkeys(
        ("existingbusiness", "existing", "existingcustomer", "existingcustomerdowngrade"), "Existing Business"
    ),
}
#: Kinds that are revenue from existing customers.
EXISTING_KINDS = ("renewal", "expansion", "existing")


def name_key(name: str) -> str:
    """An account name as deals are matched to it: lower-case, runs of spaces made one, trimmed."""
    return " ".join(str(name).split()).lower()


def name_key_sql(expr: str) -> str:
    """:func:`name_key` in SQL."""
    return f"lower(trim(regexp_replace({expr}, '\\s+', ' ', 'g')))"


def deal_kind_sql(col: str = "d.deal_type") -> str:
    """The kind of a stored deal type (NULL when the type is empty or not one we know)."""
    norm = f"lower(regexp_replace({col}, '[^0-9A-Za-z]', '', 'g'))"
    whens = " ".join(f"WHEN '{k}' THEN '{DEAL_TYPES[t]}'" for k, t in DEAL_TYPE_SPELLINGS.items())
    return f"CASE {norm} {whens} ELSE NULL END"


def customer_id_sql(d: str = "d") -> str:
    """The customer of a row of ``deal_links`` (:data:`WON_KINDS_CTE`): the top-level parent of its
    linked account, or ``name:<name key>`` for an account name that no stored account carries; NULL
    for a deal with no account at all."""
    return (
        f"CASE WHEN {d}.link_id IS NOT NULL THEN COALESCE({d}.root_id, {d}.link_id) "
        f"WHEN NULLIF(trim({d}.account), '') IS NOT NULL THEN 'name:' || {name_key_sql(f'{d}.account')} END"
    )


#: ``WITH RECURSIVE`` preamble: the one definition of a deal's customer and kind. It runs at write
#: time only (:func:`salesops.store.derived.refresh_deal_kinds` stores its result in ``deal_kinds``);
#: the jobs read that table through :data:`WON_KINDS_READ`.
#:
#: * ``up`` (account_id, root_id): each account's top-level parent (an account in a parent cycle,
#:   which an import refuses, has none and is its own customer);
#: * ``deal_links``: every deal with ``link_id`` — its account: ``account_id``, else the stored
#:   account whose id or (unique) name key equals the deal's ``account`` text — and ``root_id``;
#: * ``deal_customers``: every deal with ``customer_id`` (:func:`customer_id_sql`);
#: * ``won_kinds``: every won deal with its customer and kind: the deal type when it has one; else
#:   new_business on the customer's first won day (and for a deal without a customer) and existing
#:   after it.
def won_kinds_cte(deals: str = "deals") -> str:
    """:data:`WON_KINDS_CTE` over the deals of ``deals`` (our own SQL: the table, or a subquery of
    some deals holding every deal of each of their customers: a deals import's,
    :mod:`salesops.store.deal_notes`; a deal's customer and kind depend on nothing else)."""
    return f"""
WITH RECURSIVE up(account_id, root_id, depth) AS (
    SELECT account_id, account_id, 0 FROM accounts
    WHERE parent_id IS NULL OR parent_id NOT IN (SELECT account_id FROM accounts)
    UNION ALL
    SELECT a.account_id, up.root_id, up.depth + 1 FROM accounts a JOIN up ON a.parent_id = up.account_id
    WHERE up.depth < 50
),
acc_by_name AS (
    SELECT name_key, MIN(account_id) AS account_id FROM accounts GROUP BY name_key HAVING COUNT(*) = 1
),
deal_links AS (
    SELECT l.*, up.root_id FROM (
        SELECT d.*, COALESCE(d.account_id, ai.account_id, an.account_id) AS link_id
        FROM {deals} d
        LEFT JOIN accounts ai ON ai.account_id = d.account
        LEFT JOIN acc_by_name an ON an.name_key = {name_key_sql("d.account")}
    ) l LEFT JOIN up ON up.account_id = l.link_id
),
deal_customers AS (
    SELECT dl.*, {customer_id_sql("dl")} AS customer_id FROM deal_links dl
),
won_cust AS (
    SELECT deal_id, rep_id, team_id, close_date, COALESCE(amount_cents, 0) AS amount_cents,
           account AS account_name, customer_id, {deal_kind_sql("deal_type")} AS typed_kind
    FROM deal_customers
    WHERE outcome = 'won' AND close_date IS NOT NULL
),
won_kinds AS (
    SELECT deal_id, rep_id, team_id, close_date, amount_cents, customer_id, account_name,
           COALESCE(typed_kind, CASE WHEN customer_id IS NULL
                                       OR close_date = MIN(close_date) OVER (PARTITION BY customer_id)
                                     THEN 'new_business' ELSE 'existing' END) AS kind
    FROM won_cust
)
"""  # noqa: S608 - our fragments and constants only


#: :func:`won_kinds_cte` over every deal: the one definition of a deal's customer and kind.
WON_KINDS_CTE = won_kinds_cte()


#: What every reader uses instead of :data:`WON_KINDS_CTE`: the same ``deal_customers`` and
#: ``won_kinds`` relations (the columns the readers use), read from the stored ``deal_kinds``
#: table that :func:`salesops.store.derived.refresh_deal_kinds` fills from :data:`WON_KINDS_CTE`
#: at write time (tests/unit/test_deal_kinds.py checks that the two agree).
#: (It reads only deal_kinds' own columns, so revisions before 0010 can fill their tables with it.)
WON_KINDS_READ = """
WITH deal_customers AS (
    SELECT d.*, k.customer_id FROM deals d LEFT JOIN deal_kinds k ON k.deal_id = d.deal_id
),
won_kinds AS (
    SELECT d.deal_id, d.rep_id, d.team_id, d.close_date, COALESCE(d.amount_cents, 0) AS amount_cents,
           k.customer_id, d.account AS account_name, k.kind
    FROM deal_kinds k JOIN deals d ON d.deal_id = k.deal_id
    WHERE k.kind IS NOT NULL
)
"""

#: The ``won_kinds`` relation of :data:`WON_KINDS_READ` (the same columns and rows), read from
#: ``deal_kinds`` alone: it carries a copy of the deal's rep, team, close date, amount and account
#: (revision 0010; tests/unit/test_deal_kinds.py checks the copies), won deals first in close-date
#: order, so a filter on close_date reads only that window's row groups and no join to ``deals``
#: runs. Columns: deal_id, rep_id, team_id, close_date, amount_cents (0 when unknown), customer_id,
#: account_name, kind.
WON_KINDS = """
    SELECT deal_id, rep_id, team_id, close_date, COALESCE(amount_cents, 0) AS amount_cents,
           customer_id, account AS account_name, kind
    FROM deal_kinds
    WHERE kind IS NOT NULL
"""


#: Months a purchase keeps a customer active; 12 months without one and the customer is lost
#: (re-exported as :data:`salesops.customers.definitions.ACTIVE_MONTHS`).
ACTIVE_MONTHS = 12


def purchase_day_sql(day: str, prev: str, nxt: str) -> str:
    """What a customer's purchase day means, from the day and their previous and next purchase day
    (the one definition, for ``customer_days`` and for the figures computed from the deals):

    * ``is_first`` — 1 on their first purchase day;
    * ``is_back`` — 1 when they come back: more than ACTIVE_MONTHS after the previous purchase;
    * ``lost_day`` — ACTIVE_MONTHS after the day when no purchase follows by then (else NULL);
    * ``active_until`` — the day their activity from this purchase ends (the next purchase or the
      lapse ACTIVE_MONTHS on, the earlier): active on the days from ``day`` to the day before it.

    A next purchase after the day the figures are measured at may stand in ``nxt`` or be NULL: the
    figures compare these days with days on or before that one, which gives the same answer.
    """
    lapse = f"CAST({day} + INTERVAL '{ACTIVE_MONTHS} months' AS DATE)"
    return (
        f"CASE WHEN {prev} IS NULL THEN 1 ELSE 0 END AS is_first, "
        f"CASE WHEN {prev} IS NOT NULL AND {day} > CAST({prev} + INTERVAL '{ACTIVE_MONTHS} months' AS DATE) "
        f"THEN 1 ELSE 0 END AS is_back, "
        f"CASE WHEN {nxt} IS NULL OR {nxt} > {lapse} THEN {lapse} END AS lost_day, "
        f"LEAST(COALESCE({nxt}, {lapse}), {lapse}) AS active_until"
    )


def business_sql(kind_col: str = "kind") -> str:
    """'new' for new business, 'existing' for renewal, expansion and other existing business."""
    return f"CASE WHEN {kind_col} = 'new_business' THEN 'new' ELSE 'existing' END"


# ---- who is looking ----------------------------------------------------------------------------------


def viewer_filter(
    viewer: Viewer | None, alias: str = "", rep_col: str | None = "rep_id", team_col: str = "team_id"
) -> tuple[str, dict]:
    """``AND …`` clauses restricting rows to what ``viewer`` may see (docs/ACCESS.md); combine
    with :func:`scope_filter`.

    None (the CLI, the library's own callers), admin, ops and viewer: no restriction (the viewer
    role's "no individual money" is a column rule, :func:`salesops.access.Viewer.sees_individual_money`).
    Manager: rows of their teams. Rep: their own rows (none when the rep id is unset). Pass
    ``rep_col=None`` for rows that have no rep (team-level rows): a rep then sees rows of no team.
    """
    if viewer is None or viewer.role in ("admin", "ops", "viewer"):
        return "", {}
    a = f"{alias}." if alias else ""
    if viewer.role == "manager":
        if not viewer.team_ids:
            return " AND 1 = 0", {}
        names = [f"vf_team_{i}" for i in range(len(viewer.team_ids))]
        binds = ", ".join(f":{n}" for n in names)
        return f" AND {a}{team_col} IN ({binds})", dict(zip(names, viewer.team_ids))
    if rep_col is None or not viewer.rep_id:
        return " AND 1 = 0", {}
    return f" AND {a}{rep_col} = :vf_rep", {"vf_rep": viewer.rep_id}

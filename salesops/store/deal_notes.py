"""A deals import's note of the deals it writes (and an accounts import's of its accounts), so the
derived tables keyed by deal, by rep and day or by duplicate group are rewritten for those deals alone
instead of whole (issue #21: at 10M deals the whole rewrite of these tables in the import's
transaction ran out of memory).

Before an import upserts its staged deals, :func:`note_deals` keeps in a temporary table the id of
every deal it adds or changes, with the stored (old) values the derived rows depend on. After the
write, :func:`refresh_noted` rewrites, in the same transaction:

* ``rep_days`` for the (day, rep) pairs of those deals' old and new created and close days and reps,
  ``rep_months`` for every month and rep of those pairs (reps × months: a superset of the pairs,
  read with uncorrelated tests) and ``rep_periods`` for their (quarter/year, rep);
* ``deal_event_days``, ``deal_change_days``, ``deal_pushes`` and ``open_deal_touches`` for those deals;
* ``deal_duplicates`` for the (account, amount, close month) groups their old and new values are in.

Each is the table's own definition over the same rows (a pair's, a deal's or a group's rows depend on
nothing else), so the table equals a whole rewrite; tests/unit/test_deal_notes.py checks it against
one after adds, moves between days, reps, teams, customers and groups, outcome changes, a chunked
import and a rollback.
``deal_kinds`` and ``customer_deal_ids`` are rewritten (:func:`refresh_noted_kinds`) for every deal
of the customers the noted deals belonged to before the write and belong to after it (a deal's kind
depends on its customer's other won deals, and on nothing else). An accounts import notes the accounts
it adds and those whose name key or parent it changes (:func:`note_accounts`): the deals linked to
one of them or to an account under one, or named with one of their old or new name keys, are the
deals whose customer it can change, and their old and new customers' deals are rewritten the same way
(tests/unit/test_deal_notes.py: new accounts, a re-parent, an ambiguous name, a missing parent
arriving, a rename). The customer tables built on them (``customer_days`` and the rest) are still
rewritten whole.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from salesops.store import grain_tables, health_tables, period_tables, rollups
from salesops.store.customer_tables import CUSTOMER_DEAL_IDS
from salesops.store.dialect import counted, has_temp_table
from salesops.store.sql import name_key_sql, period_start_sql, won_kinds_cte

#: The temporary table of noted deals: id and the stored values before the write (NULL when new).
NOTED = "_noted_deals"
#: The temporary table of noted accounts: id and the stored name key before the write (NULL when new).
ACCOUNTS = "_noted_accounts"
_UNDER = "_noted_under"
_KEYS = "_noted_keys"
_SEEDS = "_noted_seeds"
_PAIRS = "_noted_rep_days"
_MONTHS = "_noted_rep_months"
_GROUPS = "_noted_dup_groups"
_CUSTOMERS = "_noted_customers"
_GROUP_DEALS = "_noted_group_deals"
_KIND_DEALS = "_noted_kind_deals"
_NOTE_COLUMNS = "deal_id, rep_id, created_date, close_date, account, amount_cents"


def note_deals(conn: Connection, stage: str, on: str, changed: str) -> None:
    """Before an import upserts the staged deals ``stage`` (alias s) into ``deals`` (alias t, joined
    ``on`` their key; ``changed``: the test that a stored row differs), note the deals it adds or
    changes with their stored values (our own SQL fragments)."""
    conn.execute(
        sa.text(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {NOTED} (deal_id VARCHAR, rep_id VARCHAR, created_date DATE, "
            "close_date DATE, account VARCHAR, amount_cents BIGINT)"
        )
    )
    conn.execute(
        sa.text(
            f"""INSERT INTO {NOTED} ({_NOTE_COLUMNS})
                SELECT s.deal_id, t.rep_id, t.created_date, t.close_date, t.account, t.amount_cents
                FROM {stage} s LEFT JOIN deals t ON {on}
                WHERE t.deal_id IS NULL OR ({changed})"""  # noqa: S608 - our names and fragments
        )
    )


def noted(conn: Connection) -> bool:
    """Whether this transaction noted deals (:func:`note_deals`)."""
    return has_temp_table(conn, NOTED)


def note_accounts(conn: Connection, stage: str, on: str, changed: str) -> None:
    """Before an import upserts the staged accounts ``stage`` (alias s) into ``accounts`` (alias t,
    joined ``on`` their key; ``changed``: the test that a stored row differs), note the accounts it
    adds and those whose name key or parent it changes, with their stored name key (NULL when new):
    the accounts whose deals' customers can change (our own SQL fragments)."""
    conn.execute(sa.text(f"CREATE TEMPORARY TABLE IF NOT EXISTS {ACCOUNTS} (account_id VARCHAR, name_key VARCHAR)"))
    conn.execute(
        sa.text(
            f"""INSERT INTO {ACCOUNTS} (account_id, name_key)
                SELECT s.account_id, t.name_key FROM {stage} s LEFT JOIN accounts t ON {on}
                WHERE t.account_id IS NULL OR (({changed}) AND (s.name_key IS DISTINCT FROM t.name_key
                      OR s.parent_id IS DISTINCT FROM t.parent_id))"""  # noqa: S608 - our names and fragments
        )
    )


def accounts_noted(conn: Connection) -> bool:
    """Whether this transaction noted accounts (:func:`note_accounts`)."""
    return has_temp_table(conn, ACCOUNTS)


def drop_notes(conn: Connection, deals: bool = True) -> None:
    """Forget the notes of accounts and (with ``deals``) of deals, after a whole rewrite made them moot."""
    for table in (NOTED, ACCOUNTS) if deals else (ACCOUNTS,):
        if has_temp_table(conn, table):
            conn.execute(sa.text(f"DROP TABLE {table}"))


def refresh_noted_kinds(conn: Connection) -> dict[str, int]:
    """Rewrite ``deal_kinds`` and ``customer_deal_ids`` for the deals whose customer the write can
    have changed — the noted deals, and the deals linked to a noted account or one under it, or named
    like one — and every deal of their old and new customers (after the write, before
    :func:`refresh_noted`); drop the accounts' note; return the tables' row counts."""
    from salesops.store.derived import deal_kinds_fill  # derived imports this module

    _fill(conn, _SEEDS, "deal_id VARCHAR", _seeds(conn))
    for table in (_UNDER, _KEYS, ACCOUNTS):
        if has_temp_table(conn, table):
            conn.execute(sa.text(f"DROP TABLE {table}"))
    ids = f"(SELECT deal_id FROM {_SEEDS})"  # noqa: S608 - our names
    conn.execute(sa.text(f"CREATE TEMPORARY TABLE {_CUSTOMERS} (customer_id VARCHAR)"))
    conn.execute(
        sa.text(
            f"""INSERT INTO {_CUSTOMERS} (customer_id) SELECT customer_id FROM deal_kinds
                WHERE deal_id IN {ids} AND customer_id IS NOT NULL"""  # noqa: S608 - our names
        )
    )
    new_customers = won_kinds_cte(f"(SELECT * FROM deals WHERE deal_id IN {ids})")  # noqa: S608 - our names
    conn.execute(
        sa.text(
            f"""INSERT INTO {_CUSTOMERS} (customer_id) {new_customers}
                SELECT customer_id FROM deal_customers WHERE customer_id IS NOT NULL"""  # noqa: S608 - ours
        )
    )
    _fill(
        conn,
        _KIND_DEALS,
        "deal_id VARCHAR",
        f"""SELECT deal_id FROM {_SEEDS} UNION SELECT deal_id FROM deal_kinds
            WHERE customer_id IN (SELECT customer_id FROM {_CUSTOMERS})""",  # noqa: S608 - our names
    )
    some = f"(SELECT deal_id FROM {_KIND_DEALS})"  # noqa: S608 - our names
    conn.execute(sa.text(f"DELETE FROM deal_kinds WHERE deal_id IN {some}"))  # noqa: S608 - our names
    conn.execute(sa.text(deal_kinds_fill(f"(SELECT * FROM deals WHERE deal_id IN {some})")))  # noqa: S608
    conn.execute(sa.text(f"DELETE FROM customer_deal_ids WHERE deal_id IN {some}"))  # noqa: S608 - our names
    conn.execute(
        sa.text(
            f"""INSERT INTO customer_deal_ids (customer_id, deal_id) {CUSTOMER_DEAL_IDS}
                AND deal_id IN {some} ORDER BY customer_id, deal_id"""  # noqa: S608
        )
    )
    for table in (_SEEDS, _CUSTOMERS, _KIND_DEALS):
        conn.execute(sa.text(f"DROP TABLE {table}"))
    return {"deal_kinds": counted(conn, "deal_kinds"), "customer_deal_ids": counted(conn, "customer_deal_ids")}


def _seeds(conn: Connection) -> str:
    """The deals whose link or customer the write can have changed (a SELECT of deal ids).

    A deal's customer (:func:`~salesops.store.sql.won_kinds_cte`) is the top-level parent of its
    linked account — its ``account_id``, else the account whose id is its account text, else the
    one account whose name key its text has — or its name key when none. An accounts write changes it
    only for deals linked to an account whose chain of parents runs through a noted account (the
    noted accounts and those under them, up to the definition's 50 levels: an account that was a
    top-level one because its parent was missing is under the new parent), or named with a name key
    that a noted account had or has, or that an account under one has."""
    parts = []
    if noted(conn):
        parts.append(f"SELECT deal_id FROM {NOTED}")  # noqa: S608 - our names
    if accounts_noted(conn):
        _fill(
            conn,
            _UNDER,
            "account_id VARCHAR",
            f"""WITH RECURSIVE sub(account_id, depth) AS (
                    SELECT account_id, 0 FROM {ACCOUNTS}
                    UNION ALL
                    SELECT a.account_id, sub.depth + 1 FROM accounts a JOIN sub ON a.parent_id = sub.account_id
                    WHERE sub.depth < 50
                ) SELECT DISTINCT account_id FROM sub""",  # noqa: S608 - our names
        )
        _fill(
            conn,
            _KEYS,
            "name_key VARCHAR",
            f"""SELECT name_key FROM {ACCOUNTS} WHERE name_key IS NOT NULL
                UNION SELECT a.name_key FROM accounts a WHERE a.account_id IN (SELECT account_id FROM {_UNDER})""",  # noqa: S608
        )
        under = f"(SELECT account_id FROM {_UNDER})"  # noqa: S608 - our names
        parts.append(
            f"""SELECT deal_id FROM deals WHERE account_id IN {under} OR account IN {under}
                OR {name_key_sql("account")} IN (SELECT name_key FROM {_KEYS})"""  # noqa: S608 - our names
        )
    return " UNION ".join(parts)


def refresh_noted(conn: Connection, sums: tuple[str, ...] = rollups.DAY_SUMS) -> dict[str, int]:
    """Rewrite the deal-keyed derived tables for the noted deals (after the write, in its
    transaction); drop the note; return the tables' row counts."""
    ids = f"(SELECT deal_id FROM {NOTED})"  # noqa: S608 - our names
    _fill(
        conn,
        _PAIRS,
        "day DATE, rep_id VARCHAR",
        f"""SELECT DISTINCT day, rep_id FROM (
                SELECT created_date AS day, rep_id FROM {NOTED} UNION ALL SELECT close_date, rep_id FROM {NOTED}
                UNION ALL SELECT d.created_date, d.rep_id FROM deals d WHERE d.deal_id IN {ids}
                UNION ALL SELECT d.close_date, d.rep_id FROM deals d WHERE d.deal_id IN {ids}
            ) x WHERE day IS NOT NULL AND rep_id IS NOT NULL""",  # noqa: S608 - our names
    )
    _fill(
        conn,
        _MONTHS,
        "month DATE, rep_id VARCHAR",
        f"SELECT DISTINCT {period_start_sql('day', 'month')} AS month, rep_id FROM {_PAIRS}",  # noqa: S608
    )
    _fill(
        conn,
        _GROUPS,
        "account VARCHAR, amount_cents BIGINT, m DATE",
        f"""SELECT DISTINCT account, amount_cents, m FROM (
                SELECT account, amount_cents, {period_start_sql("close_date", "month")} AS m FROM {NOTED}
                UNION ALL
                SELECT d.account, d.amount_cents, {period_start_sql("d.close_date", "month")} FROM deals d
                WHERE d.deal_id IN {ids}
            ) x WHERE account IS NOT NULL AND amount_cents IS NOT NULL AND m IS NOT NULL""",  # noqa: S608
    )
    counts = {
        "rep_days": _rep_days(conn, sums),
        "rep_months": _rep_months(conn, sums),
        "rep_periods": _rep_periods(conn, sums),
        "deal_event_days": _by_deal(conn, period_tables.deal_event_days, period_tables.EVENT_DAYS, ids),
        "deal_duplicates": _duplicates(conn),
        "deal_change_days": _by_deal(conn, period_tables.deal_change_days, period_tables.change_days_sql(conn), ids),
        "deal_pushes": _by_deal(conn, health_tables.deal_pushes, health_tables.PUSHES, ids),
    }
    health_tables.note_deal_ids(conn, ids)
    counts["open_deal_touches"] = health_tables.refresh_touches(conn, whole=False)
    for table in (_PAIRS, _MONTHS, _GROUPS, NOTED):
        conn.execute(sa.text(f"DROP TABLE {table}"))
    return counts


def _rep_days(conn: Connection, sums: tuple[str, ...]) -> int:
    pair = f"EXISTS (SELECT 1 FROM {_PAIRS} n WHERE n.day = {{day}} AND n.rep_id = {{rep}})"  # noqa: S608
    conn.execute(sa.text(f"DELETE FROM rep_days WHERE {pair.format(day='rep_days.day', rep='rep_days.rep_id')}"))  # noqa: S608 - our names
    select = rollups.rep_days_sql(sums, only=pair)
    cols = ", ".join(("day", "rep_id", "team_id", *sums))
    conn.execute(sa.text(f"INSERT INTO rep_days ({cols}) {select} ORDER BY day, rep_id, team_id"))  # noqa: S608
    return counted(conn, "rep_days")


def _rep_months(conn: Connection, sums: tuple[str, ...]) -> int:
    """The noted reps' rows in the noted months (every such rep and month: a superset of the pairs,
    each rewritten from its own days, so the table still equals a whole rewrite; uncorrelated tests
    read a few rows of ``rep_days`` where the pairs' correlated test held 2.2 GB at 10M deals)."""
    reps, months = f"(SELECT rep_id FROM {_MONTHS})", f"(SELECT month FROM {_MONTHS})"  # noqa: S608 - ours
    conn.execute(sa.text(f"DELETE FROM rep_months WHERE rep_id IN {reps} AND month IN {months}"))  # noqa: S608
    where = f"rep_days.rep_id IN {reps} AND {period_start_sql('rep_days.day', 'month')} IN {months}"
    select = period_tables.rep_months_sql(sums, where=where)
    cols = ", ".join(("month", "rep_id", "team_id", *sums))
    conn.execute(sa.text(f"INSERT INTO rep_months ({cols}) {select} ORDER BY month, rep_id, team_id"))  # noqa: S608
    return counted(conn, "rep_months")


def _rep_periods(conn: Connection, sums: tuple[str, ...]) -> int:
    cols = ", ".join(("grain", "period_start", "rep_id", "team_id", *sums))
    for g in grain_tables.PERIOD_GRAINS:
        start = period_start_sql("n.month", g)
        conn.execute(
            sa.text(
                f"""DELETE FROM rep_periods WHERE grain = :g AND EXISTS (
                    SELECT 1 FROM {_MONTHS} n WHERE {start} = rep_periods.period_start
                    AND n.rep_id = rep_periods.rep_id)"""  # noqa: S608 - our names
            ),
            {"g": g},
        )
        where = f"""EXISTS (SELECT 1 FROM {_MONTHS} n WHERE {start} = {period_start_sql("rep_months.month", g)}
                    AND n.rep_id = rep_months.rep_id)"""  # noqa: S608 - our names
        select = grain_tables.rep_periods_sql(sums, grains=(g,), where=where)
        conn.execute(sa.text(f"INSERT INTO rep_periods ({cols}) {select}"))  # noqa: S608 - ours
    return counted(conn, "rep_periods")


def _by_deal(conn: Connection, table: sa.Table, select: str, ids: str) -> int:
    """Rewrite the rows of ``table`` (its one definition, ``select``, gives its columns in order;
    each row carries a deal_id and depends on that deal alone) for the noted deals ``ids``."""
    cols = ", ".join(c.name for c in table.columns)
    conn.execute(sa.text(f"DELETE FROM {table.name} WHERE deal_id IN {ids}"))  # noqa: S608 - our names
    conn.execute(
        sa.text(f"INSERT INTO {table.name} ({cols}) SELECT * FROM ({select}) z WHERE z.deal_id IN {ids}")  # noqa: S608
    )
    return counted(conn, table.name)


def _duplicates(conn: Connection) -> int:
    # A join from the few groups (DuckDB hashes them, not the 10M deals: an EXISTS held 1.8 GB)
    _fill(
        conn,
        _GROUP_DEALS,
        "deal_id VARCHAR",
        f"""SELECT DISTINCT x.deal_id FROM {_GROUPS} g JOIN deals x ON x.account = g.account
            AND x.amount_cents = g.amount_cents AND g.m = {period_start_sql("x.close_date", "month")}""",  # noqa: S608
    )
    members = f"(SELECT deal_id FROM {_GROUP_DEALS})"  # noqa: S608 - our names
    conn.execute(
        sa.text(
            f"DELETE FROM deal_duplicates WHERE deal_id IN (SELECT deal_id FROM {NOTED}) OR deal_id IN {members}"  # noqa: S608
        )
    )
    select = health_tables.duplicates_sql(only=f"x.deal_id IN {members}", deals=f"d.deal_id IN {members}")
    conn.execute(sa.text(f"INSERT INTO deal_duplicates ({health_tables.DUPLICATE_COLUMNS}) {select}"))  # noqa: S608
    conn.execute(sa.text(f"DROP TABLE {_GROUP_DEALS}"))
    return counted(conn, "deal_duplicates")


def _fill(conn: Connection, table: str, columns: str, select: str) -> None:
    conn.execute(sa.text(f"CREATE TEMPORARY TABLE {table} ({columns})"))
    conn.execute(sa.text(f"INSERT INTO {table} {select}"))  # noqa: S608 - our names

"""Rollup tables: the deals and activities summed per rep, team and day, so the hot page figures
read a few thousand pre-summed rows of their window instead of every deal and activity in it.

* ``rep_days`` (:data:`REP_DAYS`): per (day, rep_id, team_id) the deals *won* and *lost* that day
  (by close date: count, won revenue, won deals with a known amount, days from created to close of
  the won deals) and the deals *created* that day (by created date: count and amount — the
  pipeline created);
* ``rep_activity_days`` (:data:`ACTIVITY_DAYS`): per (day, rep_id, team_id) the activities logged.

They are the stored result of these two statements, over the raw tables, and nothing else: the
figures that read them are exactly the figures the same SQL over ``deals`` and ``activities`` gives
(docs/METRICS.md, "Rollups"; tests/unit/test_rollups.py checks both after the demo build, imports,
updates, deletes, a refused import and a migration). ``team_id`` is the deal's or activity's own
(the team at the time), so the scope's team/region filter and the viewer's row restriction
(:func:`salesops.store.sql.scope_filter`) apply to them as to the raw rows.

Rewritten whole by :func:`refresh_rep_days` / :func:`refresh_activity_days` in the transaction of
every write of deals / activities (:func:`salesops.store.derived.refresh_derived`), in day order so
DuckDB reads only a window's row groups (PostgreSQL has an index on ``day``).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import BigInteger, Column, Date, Index, String, Table
from sqlalchemy.engine import Connection

from salesops.store import schema
from salesops.store.dialect import DOUBLE, has_temp_table

#: The sums of ``rep_days``: deals won that day, their amount (unknown amounts add nothing), those
#: of them with a known amount, their days from created to close summed; deals lost that day; deals
#: created that day and their amount (the pipeline created); of the deals created that day, the
#: amount of those won since (revision 0028: the funnel's won value); and the closed pipeline's
#: change that day (revision 0028: :data:`CLOSED_PIPE`).
DAY_SUMS = (
    "won_count",
    "won_cents",
    "won_amounts",
    "won_cycle_days",
    "lost_count",
    "created_count",
    "created_cents",
    "created_won_cents",
    "closed_pipe_cents",
)

#: ``closed_pipe_cents``, in words: each deal won or lost (with a close date) adds its amount on its
#: created day and takes it away on its close day — a deal closed before its created date adds
#: nothing. Summed over every day up to a date ``e``, that is the amount of the deals created by
#: ``e`` and closed after it: the closed half of the deals open at ``e``
#: (:func:`salesops.store.sql.open_at_parts`), read from a few stored rows per rep
#: (:func:`salesops.store.period_tables.prefix_rows`) instead of every deal closed since.
CLOSED_PIPE = "closed_pipe_cents"

#: Each sum of :data:`DAY_SUMS` as (its SQL over a day's closed deals, grouped by close date, of
#: the won and lost deals with a close date; its SQL over a day's created deals, grouped by created
#: date): the one definition of each.
_SUM_SQL = {
    "won_count": ("COUNT(*) FILTER (WHERE outcome = 'won')", "0"),
    "won_cents": ("COALESCE(SUM(amount_cents) FILTER (WHERE outcome = 'won'), 0)", "0"),
    "won_amounts": ("COUNT(amount_cents) FILTER (WHERE outcome = 'won')", "0"),
    "won_cycle_days": ("COALESCE(SUM(close_date - created_date) FILTER (WHERE outcome = 'won'), 0)", "0"),
    "lost_count": ("COUNT(*) FILTER (WHERE outcome = 'lost')", "0"),
    "created_count": ("0", "COUNT(*)"),
    "created_cents": ("0", "COALESCE(SUM(amount_cents), 0)"),
    "created_won_cents": ("0", "COALESCE(SUM(amount_cents) FILTER (WHERE outcome = 'won'), 0)"),
    CLOSED_PIPE: (
        "-COALESCE(SUM(amount_cents) FILTER (WHERE close_date >= created_date), 0)",
        "COALESCE(SUM(amount_cents) FILTER (WHERE outcome IN ('won', 'lost') AND close_date >= created_date), 0)",
    ),
}
assert tuple(_SUM_SQL) == DAY_SUMS  # noqa: S101 - a module invariant, checked at import

#: Rollup data on the store's metadata (revision 0013, the sums of revision 0028 added), written in
#: day order: per day, rep and team (the row's own team at the time), the stored result of
#: :data:`REP_DAYS` / :data:`ACTIVITY_DAYS`.
rep_days = Table(
    "rep_days",
    schema.metadata,
    Column("day", Date, nullable=False),
    Column("rep_id", String, nullable=False),
    Column("team_id", String),
    *(Column(c, BigInteger, nullable=False) for c in DAY_SUMS),
)
rep_activity_days = Table(
    "rep_activity_days",
    schema.metadata,
    Column("day", Date, nullable=False),
    Column("rep_id", String, nullable=False),
    Column("team_id", String),
    Column("activities", BigInteger, nullable=False),
)
# PostgreSQL reads a window of days through an index; DuckDB skips row groups by their min/max.
for _table in (rep_days, rep_activity_days):
    Index(f"ix_{_table.name}_day", _table.c.day).ddl_if(dialect="postgresql")


def rep_days_sql(sums: tuple[str, ...] = DAY_SUMS, only: str | None = None) -> str:
    """The one definition of the per-day deal sums (of ``sums``, some of :data:`DAY_SUMS`: a
    revision fills the columns its table has). A deal counts on its close date when won or lost (a
    close date is required; open deals' expected dates count nothing), and on its created date as
    created. Sums of missing amounts are 0 (an unknown amount adds nothing). With ``only`` (our own
    SQL test with ``{day}`` and ``{rep}`` where a day and a rep id go: a deals import's (day, rep)
    pairs, :mod:`salesops.store.deal_notes`), the rows of those days and reps alone."""
    closed = ", ".join(f"{_SUM_SQL[c][0]} AS {c}" for c in sums)
    created = ", ".join(_SUM_SQL[c][1] for c in sums)
    on_close = f" AND {only.format(day='deals.close_date', rep='deals.rep_id')}" if only else ""
    on_created = f"WHERE {only.format(day='deals.created_date', rep='deals.rep_id')}" if only else ""
    return f"""
SELECT day, rep_id, team_id, {", ".join(f"SUM({c}) AS {c}" for c in sums)}
FROM (
    SELECT close_date AS day, rep_id, team_id, {closed}
    FROM deals
    WHERE outcome IN ('won', 'lost') AND close_date IS NOT NULL{on_close}
    GROUP BY close_date, rep_id, team_id
    UNION ALL
    SELECT created_date, rep_id, team_id, {created}
    FROM deals {on_created}
    GROUP BY created_date, rep_id, team_id
) x
GROUP BY day, rep_id, team_id
"""  # noqa: S608 - our constants


#: The rows of ``rep_days``.
REP_DAYS = rep_days_sql()
#: The columns of ``rep_days`` in the order :data:`REP_DAYS` gives them.
REP_DAY_COLUMNS = ", ".join(("day", "rep_id", "team_id", *DAY_SUMS))


def stored_sums(conn: Connection, *tables: str) -> tuple[str, ...]:
    """The sums of :data:`DAY_SUMS` that every one of ``tables`` has as a column: what a revision
    before 0028 fills (its tables were created with the sums of their day, or by the current
    schema: a store the tests build as an older one)."""
    rows = conn.execute(
        sa.text(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name IN :tables"
        ).bindparams(sa.bindparam("tables", expanding=True)),
        {"tables": list(tables)},
    ).all()
    have = {t: {c for tt, c in rows if tt == t} for t in tables}
    return tuple(c for c in DAY_SUMS if all(c in have[t] for t in tables))


#: The columns of ``rep_activity_days`` in the order :data:`ACTIVITY_DAYS` gives them.
ACTIVITY_DAY_COLUMNS = "day, rep_id, team_id, activities"


def activity_days_sql(where: str = "TRUE") -> str:
    """The one definition of the per-day activity counts: every activity on its day (all types),
    of the activities matching ``where`` (our own SQL: all, or the days an import touched)."""
    return f"""
SELECT occurred_at AS day, rep_id, team_id, COUNT(*) AS activities
FROM activities
WHERE {where}
GROUP BY occurred_at, rep_id, team_id
"""  # noqa: S608 - `where` is this module's own text


#: The rows of ``rep_activity_days``.
ACTIVITY_DAYS = activity_days_sql()
#: The temporary table of days an import's write of activities touched (:func:`note_touched_days`).
TOUCHED = "_touched_activity_days"


def rewrite(conn: Connection, table: str, columns: str, select: str, order: str = "day, rep_id, team_id") -> int:
    """Replace every row of the derived ``table`` with ``select``'s, in ``order``; return its rows.

    The order clusters the rows a window reads (days, then months, then change days) into a few
    adjacent row groups: DuckDB skips the rest by their min/max.
    """
    conn.execute(sa.text(f"DELETE FROM {table}"))  # noqa: S608 - our table names
    conn.execute(sa.text(f"INSERT INTO {table} ({columns}) {select} ORDER BY {order}"))  # noqa: S608
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text(f"ANALYZE {table}"))
    return int(conn.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar_one())  # noqa: S608


def refresh_rep_days(conn: Connection, sums: tuple[str, ...] = DAY_SUMS) -> int:
    """Rewrite ``rep_days`` (its ``sums``: all but in a revision before 0028, :func:`stored_sums`)
    from the deals, in the caller's transaction; return its rows."""
    return rewrite(conn, "rep_days", ", ".join(("day", "rep_id", "team_id", *sums)), rep_days_sql(sums))


def refresh_activity_days(conn: Connection) -> int:
    """Rewrite ``rep_activity_days`` from the activities, in the caller's transaction; return its rows.

    After :func:`note_touched_days` in the same transaction (an import), only the days it noted are
    rewritten: a day's rows are the same statement over that day's activities, so the table equals
    a whole rewrite, for the cost of the import's days instead of every activity."""
    if not has_temp_table(conn, TOUCHED):
        return rewrite(conn, "rep_activity_days", ACTIVITY_DAY_COLUMNS, ACTIVITY_DAYS)
    days = f"IN (SELECT day FROM {TOUCHED})"  # noqa: S608 - our names
    conn.execute(sa.text(f"DELETE FROM rep_activity_days WHERE day {days}"))  # noqa: S608 - our names
    insert = f"INSERT INTO rep_activity_days ({ACTIVITY_DAY_COLUMNS}) {activity_days_sql(f'occurred_at {days}')}"
    conn.execute(sa.text(f"{insert} ORDER BY day, rep_id, team_id"))
    conn.execute(sa.text(f"DROP TABLE {TOUCHED}"))
    return int(conn.execute(sa.text("SELECT COUNT(*) FROM rep_activity_days")).scalar_one())


def touched_months(conn: Connection) -> list | None:
    """The months (first days) of the days an import noted (:func:`note_touched_days`), for the
    monthly activity table; None when none were noted (the next refresh rewrites everything)."""
    if not has_temp_table(conn, TOUCHED):
        return None
    return list(
        conn.execute(
            sa.text(f"SELECT DISTINCT CAST(date_trunc('month', day) AS DATE) AS m FROM {TOUCHED} ORDER BY m")  # noqa: S608
        ).scalars()
    )


def note_touched_days(conn: Connection, stage: str, on: str, changed: str) -> None:
    """Before an import upserts the staged activities ``stage`` (alias s) into ``activities`` (alias
    t, joined ``on`` their key; ``changed``: the test that a stored row differs), note the days it
    touches — the staged rows' days and the stored days of the rows it changes — in a temporary
    table, so :func:`refresh_activity_days` rewrites those days alone."""
    conn.execute(sa.text(f"CREATE TEMPORARY TABLE IF NOT EXISTS {TOUCHED} (day DATE)"))
    conn.execute(
        sa.text(
            f"""INSERT INTO {TOUCHED} (day)
                SELECT s.occurred_at FROM {stage} s LEFT JOIN activities t ON {on}
                WHERE t.activity_id IS NULL OR ({changed})
                UNION
                SELECT t.occurred_at FROM {stage} s JOIN activities t ON {on} WHERE {changed}"""  # noqa: S608 - ours
        )
    )


# ---- reading them ----------------------------------------------------------------------------------


def won_avg_sql(alias: str = "") -> tuple[str, str]:
    """Average deal size and sales cycle over summed ``rep_days`` rows (NULL without a won deal): won
    revenue ÷ won deals with a known amount, and days from created to close ÷ won deals — the
    averages over the won deals themselves."""
    a = f"{alias}." if alias else ""
    return (
        f"CAST(SUM({a}won_cents) AS {DOUBLE}) / NULLIF(SUM({a}won_amounts), 0)",
        f"CAST(SUM({a}won_cycle_days) AS {DOUBLE}) / NULLIF(SUM({a}won_count), 0)",
    )

"""Derived tables of the data-health checks: what the stale and duplicate checks would otherwise
recompute from every stage change, activity and deal on each page call.

* ``open_deal_touches`` (:func:`touches_sql`): every **open** deal with its last touch — the latest
  of its created date, its latest stage change and its latest activity (all dates) — and the deal
  columns the checks show (team, rep, label, amount, expected close date), and since revision 0028
  its created date and probability. The stale check (:mod:`salesops.health.checks`) is its rows with
  a last touch before the stale period; the flagged share of a pipeline (Home, Team performance) is
  read from it alone, and so are the deals still open behind the KPI tiles' and the headline's open,
  due and weighted pipeline (:mod:`salesops.performance.tiles`).
* ``deal_duplicates`` (:data:`DUPLICATES`): every deal sharing its account, amount and close month
  with another deal, with how many others: the duplicate check's rows.
* ``deal_pushes`` (:data:`PUSHES`, revision 0021): every deal whose close date was pushed later,
  with how many times: the pushed check's rows without counting the change log on each call.

The two last carry the deal's outcome and close date (revision 0021), so the data-trust score
knows which flagged deals are live without joining every deal.

They are the stored result of those statements over the raw tables and nothing else (the checks'
numbers are unchanged; tests/unit/test_health_tables.py checks them after the demo build, imports,
a refused import and the migrations, revisions 0017 and 0021). Rewritten whole in the transaction of every
write of deals or stage history (``deal_pushes``: of deals or their change log) (:func:`salesops.store.derived.refresh_derived`); an activities
import notes the deals it touches (:func:`note_touched_deals`) and only their rows are rewritten.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import BigInteger, Column, Date, Integer, String, Table
from sqlalchemy.engine import Connection

from salesops.store import schema
from salesops.store.dialect import counted, has_temp_table

#: Derived data on the store's metadata (revision 0017).
open_deal_touches = Table(
    "open_deal_touches",
    schema.metadata,
    Column("deal_id", String, primary_key=True),
    Column("team_id", String),
    Column("rep_id", String),
    Column("label", String),  # the deal's name, else its account, else its id
    Column("amount_cents", BigInteger),
    Column("close_date", Date),
    Column("last_touch", Date, nullable=False),
    # the deal's created date and probability (revision 0028): the KPI tiles' and the headline's
    # deals still open, summed from this table of open deals alone instead of testing every deal
    Column("created_date", Date),
    Column("probability_bp", Integer),
)
deal_duplicates = Table(
    "deal_duplicates",
    schema.metadata,
    Column("deal_id", String, primary_key=True),
    Column("team_id", String),
    Column("rep_id", String),
    Column("label", String),
    Column("amount_cents", BigInteger),
    Column("others", BigInteger, nullable=False),  # deals with the same account, amount and close month
    Column("outcome", String),  # the deal's, so a live deal is known without a join (revision 0021)
    Column("close_date", Date),
)
#: Every deal whose close date was pushed later at least once, with how many times (:data:`PUSHES`),
#: its outcome and close date (revision 0021): the pushed check and the trust score's live deals.
deal_pushes = Table(
    "deal_pushes",
    schema.metadata,
    Column("deal_id", String, primary_key=True),
    Column("team_id", String),
    Column("rep_id", String),
    Column("label", String),
    Column("amount_cents", BigInteger),
    Column("outcome", String),
    Column("close_date", Date),
    Column("pushes", BigInteger, nullable=False),  # logged close-date changes to a later date
)

#: The temporary table of deals an import's write of activities touched (:func:`note_touched_deals`).
TOUCHED = "_touched_activity_deals"
#: The columns of the tables in the order :func:`touches_sql` / :data:`DUPLICATES` give them.
TOUCH_COLUMNS = "deal_id, team_id, rep_id, label, amount_cents, close_date, last_touch, created_date, probability_bp"
DUPLICATE_COLUMNS = "deal_id, team_id, rep_id, label, amount_cents, others, outcome, close_date"
PUSH_COLUMNS = "deal_id, team_id, rep_id, label, amount_cents, outcome, close_date, pushes"


def touches_sql(only_noted: bool = False) -> str:
    """The one definition of an open deal's last touch — the latest of its created date, its latest
    stage change and its latest activity — for every open deal, or (``only_noted``) for the deals
    :func:`note_touched_deals` noted."""
    noted = f"IN (SELECT deal_id FROM {TOUCHED})" if only_noted else ""  # noqa: S608 - our names
    one, this = (f"AND deal_id {noted}", f"AND d.deal_id {noted}") if only_noted else ("", "")
    return f"""
SELECT d.deal_id, d.team_id, d.rep_id, COALESCE(d.name, d.account, d.deal_id) AS label, d.amount_cents,
       d.close_date,
       GREATEST(d.created_date, COALESCE(s.at, d.created_date), COALESCE(a.at, d.created_date)) AS last_touch,
       d.created_date, d.probability_bp
FROM deals d
LEFT JOIN (SELECT deal_id, MAX(entered_at) AS at FROM deal_stage_history WHERE TRUE {one} GROUP BY deal_id) s
       ON s.deal_id = d.deal_id
LEFT JOIN (SELECT deal_id, MAX(occurred_at) AS at FROM activities WHERE deal_id IS NOT NULL {one}
           GROUP BY deal_id) a
       ON a.deal_id = d.deal_id
WHERE d.outcome = 'open' {this}
"""  # noqa: S608 - this module's own text


def duplicates_sql(only: str = "TRUE", deals: str = "TRUE") -> str:
    """The rows of ``deal_duplicates``: deals with an account, amount and close date whose account,
    amount and close month another deal shares, and how many others share them; with ``only`` (our
    own SQL over a deal ``x``: a deals import's groups, :mod:`salesops.store.deal_notes`), of the
    groups of the deals it matches (and ``deals``, over a deal ``d``: those groups' deals)."""
    return f"""
SELECT d.deal_id, d.team_id, d.rep_id, COALESCE(d.name, d.account, d.deal_id) AS label, d.amount_cents,
       g.n - 1 AS others, d.outcome, d.close_date
FROM deals d JOIN (
    SELECT x.account, x.amount_cents, date_trunc('month', x.close_date) AS m, COUNT(*) AS n FROM deals x
    WHERE x.account IS NOT NULL AND x.amount_cents IS NOT NULL AND x.close_date IS NOT NULL AND {only}
    GROUP BY 1, 2, 3 HAVING COUNT(*) > 1) g
  ON g.account = d.account AND g.amount_cents = d.amount_cents AND g.m = date_trunc('month', d.close_date)
WHERE {deals}
"""  # noqa: S608 - this module's own text


#: The rows of ``deal_duplicates`` (:func:`duplicates_sql`).
DUPLICATES = duplicates_sql()

#: The rows of ``deal_pushes``: every deal with a logged close-date change to a later date (ISO
#: dates compare as text), how many, and the deal's columns the checks show.
PUSHES = """
SELECT d.deal_id, d.team_id, d.rep_id, COALESCE(d.name, d.account, d.deal_id) AS label, d.amount_cents,
       d.outcome, d.close_date, p.n AS pushes
FROM deals d JOIN (
    SELECT deal_id, COUNT(*) AS n FROM deal_changes
    WHERE field = 'close_date' AND new_value > old_value GROUP BY deal_id) p ON p.deal_id = d.deal_id
"""


def refresh_duplicates(conn: Connection) -> int:
    """Rewrite ``deal_duplicates`` from the deals, in the caller's transaction; return its rows."""
    conn.execute(sa.text("DELETE FROM deal_duplicates"))
    conn.execute(sa.text(f"INSERT INTO deal_duplicates ({DUPLICATE_COLUMNS}) {DUPLICATES}"))  # noqa: S608 - ours
    return counted(conn, "deal_duplicates")


def refresh_pushes(conn: Connection) -> int:
    """Rewrite ``deal_pushes`` from the deals and their change log, in the caller's transaction; return its rows."""
    conn.execute(sa.text("DELETE FROM deal_pushes"))
    conn.execute(sa.text(f"INSERT INTO deal_pushes ({PUSH_COLUMNS}) {PUSHES}"))  # noqa: S608 - ours
    return counted(conn, "deal_pushes")


def refresh_touches(conn: Connection, whole: bool = True) -> int:
    """Rewrite ``open_deal_touches`` from the deals, the stage history and the activities, in the
    caller's transaction; return its rows.

    With ``whole=False`` after :func:`note_touched_deals` in the same transaction (an activities
    import; the deals and stage history unchanged), only the deals it noted are rewritten: a deal's
    row is the same statement over that deal's rows, so the table equals a whole rewrite."""
    noted = has_temp_table(conn, TOUCHED)
    if whole or not noted:
        conn.execute(sa.text("DELETE FROM open_deal_touches"))
        conn.execute(sa.text(f"INSERT INTO open_deal_touches ({TOUCH_COLUMNS}) {touches_sql()}"))  # noqa: S608
    else:
        noted_deals = f"deal_id IN (SELECT deal_id FROM {TOUCHED})"  # noqa: S608 - our names
        conn.execute(sa.text(f"DELETE FROM open_deal_touches WHERE {noted_deals}"))  # noqa: S608 - our names
        conn.execute(sa.text(f"INSERT INTO open_deal_touches ({TOUCH_COLUMNS}) {touches_sql(True)}"))  # noqa: S608
    if noted:
        conn.execute(sa.text(f"DROP TABLE {TOUCHED}"))
    return counted(conn, "open_deal_touches")


def note_touched_deals(conn: Connection, stage: str, on: str, changed: str) -> None:
    """Before an import upserts the staged activities ``stage`` (alias s) into ``activities`` (alias
    t, joined ``on`` their key; ``changed``: the test that a stored row differs), note the deals it
    touches — the staged rows' deals and the stored deals of the rows it changes — in a temporary
    table, so :func:`refresh_touches` rewrites those deals alone."""
    conn.execute(sa.text(f"CREATE TEMPORARY TABLE IF NOT EXISTS {TOUCHED} (deal_id VARCHAR)"))
    conn.execute(
        sa.text(
            f"""INSERT INTO {TOUCHED} (deal_id)
                SELECT s.deal_id FROM {stage} s LEFT JOIN activities t ON {on}
                WHERE s.deal_id IS NOT NULL AND (t.activity_id IS NULL OR ({changed}))
                UNION
                SELECT t.deal_id FROM {stage} s JOIN activities t ON {on}
                WHERE t.deal_id IS NOT NULL AND ({changed})"""  # noqa: S608 - ours
        )
    )


def note_deal_ids(conn: Connection, ids: str) -> None:
    """Note the deals ``ids`` (our own SQL: a deals import's, :mod:`salesops.store.deal_notes`) so
    :func:`refresh_touches` with ``whole=False`` rewrites their rows alone."""
    conn.execute(sa.text(f"CREATE TEMPORARY TABLE IF NOT EXISTS {TOUCHED} (deal_id VARCHAR)"))
    conn.execute(sa.text(f"INSERT INTO {TOUCHED} (deal_id) SELECT DISTINCT deal_id FROM {ids} n"))  # noqa: S608

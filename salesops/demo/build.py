"""Building the demo: every table generated from one seeded generator and loaded in one transaction."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from salesops import config
from salesops.demo.activity import build_activities, build_leads, numbered_ids
from salesops.demo.customers import CustomerBook
from salesops.demo.deals import build_deals
from salesops.demo.flaws import plant_flaws
from salesops.demo.org import (
    FIRST,
    LAST,
    SCALE_SPECS,
    SCALES,
    ScaleSpec,
    build_quotas,
    build_rep_months,
    build_reps,
    build_teams,
    first_quota_month,
)
from salesops.demo.surveys import TOOLS, build_surveys
from salesops.errors import DuplicateKey
from salesops.store import schema
from salesops.store.derived import refresh_derived
from salesops.store.engine import bulk_insert, write
from salesops.store.staging import Spool, release_freed_memory, stage_table

#: Progress of a build (each batch, each table published): silent unless the caller configures logging
#: (bench/memory.py does, so a long build shows where it is and where it failed).
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DemoSummary:
    """What build_demo wrote: row counts per table and the 'today' it was built for."""

    seed: int
    scale: str
    today: date
    counts: dict


#: Physical order of the big tables: by date, so DuckDB's per-row-group min/max (zone maps) let a
#: date-range filter skip most of a table. Ties broken by id for a repeatable layout.
_SORT_KEYS = {
    "deals": "close_date, deal_id",
    "deal_stage_history": "deal_id, entered_at",  # read per deal (diagnosis joins on deal_id)
    "deal_changes": "changed_at, deal_id",
    "leads": "created_at, lead_id",
    "activities": "occurred_at, activity_id",
    "accounts": "account_id",  # in the order they were created, as before the build streamed
}

#: Tables whose key a DuckDB build checks with a query instead of keeping it as an index. DuckDB's
#: key index (an ART) must sit in memory whole while rows are inserted in a transaction, and cannot
#: spill: 1.3 GB per 10M rows of deal_stage_history's three-column key (6 GB for the large demo's
#: 47M rows, more than the whole build's budget, and 20 times the table's own size on disk), about
#: 40 bytes an activity_id (~4 GB for the ~100M activities of 16.7 a rep-week). So on DuckDB these
#: are created without the key and the build refuses duplicates itself (:func:`_check_key`).
#: Only the build writes deal_stage_history; activity imports write into either shape (a store
#: built before keeps the key): ``salesops.ingest.write.merge_stage`` upserts on the key where the
#: table has it, else updates the changed rows and inserts the new ones. PostgreSQL's key is a disk
#: index and stays.
_KEY_BY_QUERY = ("deal_stage_history", "activities")


def _spools() -> dict[str, Spool]:
    """A spool per big table: its batches kept in files until the publish reads them (DuckDB: see Spool).

    Each batch's file is sorted by the table's sort key: the publish reads the files once per piece
    (a range of the first sort column, see _pieces), and in sorted files DuckDB skips the row groups
    outside the range (their min/max) instead of reading every row of every file for every piece —
    ~100 pieces of 1M rows for the large demo's activities. The published rows and their order are
    the same (ORDER BY at publish)."""
    return {
        name: Spool(stage_table(schema.metadata.tables[name], name="_demo_"), order=order)
        for name, order in _SORT_KEYS.items()
    }


def _publish(conn: Connection, table: sa.Table, staged: sa.Table) -> None:
    """Move the staged rows into ``table`` in date order (see _SORT_KEYS)."""
    order = _SORT_KEYS[table.name]
    # On the driver connection, fetched: an INSERT run through SQLAlchemy and never fetched can be
    # left pending by duckdb and cut short by the next statement (seen with the 280k activities).
    raw = conn.connection.driver_connection
    assert raw is not None  # a live connection inside the caller's transaction
    # Columns by name: a migrated store may hold them in another order (a column added later is last).
    cols = ", ".join(f'"{c.name}"' for c in table.columns)
    if table.name in _KEY_BY_QUERY:
        _recreate_without_key(conn, table)
    insert = f'INSERT INTO "{table.name}" ({cols}) SELECT {cols} FROM "{staged.name}"'  # noqa: S608 - schema names
    for where, binds in _pieces(raw, table, staged):
        raw.execute(f"{insert} {where} ORDER BY {order}", binds).fetchall()
    if table.name in _KEY_BY_QUERY:
        _check_key(conn, table)


#: Rows per INSERT of the publish: a larger table goes in pieces of contiguous ranges of its first
#: sort column, so DuckDB sorts a piece, not the whole table, within its memory limit (the rows and
#: their order are the same).
PUBLISH_PIECE_ROWS = 1_000_000


def _pieces(raw, table: sa.Table, staged: sa.Table) -> list[tuple[str, list]]:
    """(WHERE clause, binds) per piece of the publish: one piece (no WHERE) for a table of up to
    PUBLISH_PIECE_ROWS rows or whose first sort column may be NULL; else ranges of that column cut
    at its quantiles, in order (the last range open-ended)."""
    first = _SORT_KEYS[table.name].split(",")[0].strip()
    n = raw.execute(f'SELECT COUNT(*) FROM "{staged.name}"').fetchone()[0]  # noqa: S608 - schema names
    if n <= PUBLISH_PIECE_ROWS or table.columns[first].nullable:
        return [("", [])]
    k = -(-n // PUBLISH_PIECE_ROWS)
    qs = [i / k for i in range(1, k)]
    cuts = sorted(set(raw.execute(f'SELECT quantile_disc("{first}", ?) FROM "{staged.name}"', [qs]).fetchone()[0]))  # noqa: S608
    bounds = [None, *cuts, None]
    out = []
    for lo, hi in zip(bounds, bounds[1:], strict=False):
        conds, binds = [], []
        if lo is not None:
            conds.append(f'"{first}" >= ?')
            binds.append(lo)
        if hi is not None:
            conds.append(f'"{first}" < ?')
            binds.append(hi)
        out.append(("WHERE " + " AND ".join(conds), binds))
    return out


def _recreate_without_key(conn: Connection, table: sa.Table) -> None:
    """``table`` dropped and made again with the same columns and NOT NULLs but no primary key (see _KEY_BY_QUERY)."""
    conn.execute(sa.text(f'DROP TABLE "{table.name}"'))
    columns = [sa.Column(c.name, c.type, nullable=c.nullable) for c in table.columns]
    sa.Table(table.name, sa.MetaData(), *columns).create(conn)


def _check_key(conn: Connection, table: sa.Table) -> None:
    """Raise DuplicateKey when two rows of ``table`` share its primary key (a query instead of an index)."""
    key = ", ".join(f'"{c.name}"' for c in table.primary_key.columns)
    dup = conn.execute(
        sa.text(f'SELECT {key}, COUNT(*) AS n FROM "{table.name}" GROUP BY {key} HAVING COUNT(*) > 1 LIMIT 1')  # noqa: S608
    ).first()
    if dup is not None:
        shown = ", ".join(str(v) for v in dup[:-1])
        raise DuplicateKey(
            f"The demo build made {dup[-1]} rows of {table.name} with the same key ({shown}); nothing was written.",
            "This is a bug in the demo generator: report it with the seed and scale you used.",
        )


def _clear(conn: Connection) -> None:
    for table in reversed(schema.metadata.sorted_tables):
        if table.name not in ("meta", "changes"):
            conn.execute(sa.delete(table))


#: The demo's sign-in users (docs/DEMO_DATA.md): one per role, for SALESOPS_AUTH=proxy trials.
DEMO_USERS: tuple[tuple[str, str, str | None, list[str]], ...] = (
    ("admin@example.com", "admin", None, []),
    ("ops@example.com", "ops", None, []),
    ("manager@example.com", "manager", None, ["T01"]),
    ("rep@example.com", "rep", "first rep of T01", []),
    ("viewer@example.com", "viewer", None, []),
)


def demo_users(reps: pd.DataFrame, today: date) -> pd.DataFrame:
    """The :data:`DEMO_USERS` as rows of the users table; the rep user is T01's first rep."""
    first_rep = str(reps[reps.team_id == "T01"].rep_id.min())
    rows = [
        dict(email=e, role=r, rep_id=first_rep if rep else None, team_ids=json.dumps(t), added_on=today)
        for e, r, rep, t in DEMO_USERS
    ]
    return pd.DataFrame(rows)


def build_demo(engine: Engine, seed: int = 7, scale: str = "small", today: date | None = None) -> DemoSummary:
    """Replace the store's contents with the demo organisation; deterministic for (seed, scale, today)."""
    if scale not in SCALE_SPECS:
        raise ValueError(f"Unknown scale {scale!r}; choose one of {', '.join(SCALES)}.")
    spec = SCALE_SPECS[scale]
    today = today or config.today()
    rng = np.random.default_rng(seed)
    base_win = 0.27
    teams = build_teams(spec)
    reps = build_reps(rng, teams, spec, today)
    managers = {
        t: f"{FIRST[(i * 5) % len(FIRST)]} {LAST[(i * 13 + 4) % len(LAST)]}" for i, t in enumerate(teams.team_id)
    }
    teams["manager"] = teams["team_id"].map(managers)
    moved_on = pd.Timestamp(today - timedelta(days=365))
    moved = {r.rep_id: ("T02", moved_on) for r in reps.itertuples() if r.trait == "moved_team"}
    counts: dict[str, int] = {}

    def load(conn: Connection) -> None:
        _clear(conn)
        counts["teams"] = bulk_insert(conn, schema.teams, teams)
        counts["reps"] = bulk_insert(conn, schema.reps, reps)
        counts["users"] = bulk_insert(conn, schema.users, demo_users(reps, today))
        counts["tools"] = bulk_insert(conn, schema.tools, pd.DataFrame(TOOLS, columns=["tool_id", "name", "category"]))
        rounds, invites, answers = build_surveys(rng, reps, today)
        counts["survey_rounds"] = bulk_insert(conn, schema.survey_rounds, rounds)
        counts["survey_invites"] = bulk_insert(conn, schema.survey_invites, invites)
        counts["survey_responses"] = bulk_insert(conn, schema.survey_responses, answers)
        book = CustomerBook(seed)
        batches = _Batches(rng, spec, today, base_win, moved, reps, teams, book)
        for name, n in _stream_batches(conn, batches, teams).items():  # adds the planted new hire to reps
            counts[name] = counts.get(name, 0) + n
        if not apart:
            derive(conn)

    def derive(conn: Connection) -> None:
        counts.update(refresh_derived(conn))
        log.info("derived tables written (DuckDB holds %s)", _held(conn))
        counts["import_warnings"] = _plant_import_warnings(conn)
        if conn.dialect.name == "postgresql":
            # Every table was just rewritten: fresh planner statistics now, not when autovacuum
            # comes by (until then the accounts-at-risk query took 1.4 s instead of 0.2 s).
            conn.execute(sa.text("ANALYZE"))

    what = f"demo seed={seed} scale={scale}"
    apart = engine.dialect.name == "duckdb"  # see _derive_apart
    write(engine, load, what=what)
    if apart:
        _derive_apart(engine, derive, what)
    return DemoSummary(seed=seed, scale=scale, today=today, counts=dict(counts))


def _derive_apart(engine: Engine, derive: Callable[[Connection], None], what: str) -> None:
    """DuckDB: the derived tables in a second transaction, after the sources are committed.

    DuckDB holds the key index of every table a transaction writes in memory until it commits, and
    cannot spill it (1.3 GB for the large demo's deals, activities, leads and accounts), so the
    derived tables' queries over 10M deals ran out of memory at the 4 GB limit in the same
    transaction. Committed, those indexes are written out and leave memory. If the second
    transaction fails, the store is emptied again (nothing half-built is left) and the error raised.
    """
    try:
        write(engine, derive, what=f"{what}: derived tables")
    except BaseException:
        write(engine, _clear, what=f"{what}: failed, emptied")
        raise


#: Teams per batch. The random draws are made per batch, so this number is part of the seed's
#: meaning: changing it changes the demo's rows (tests/unit/test_demo_golden.py).
BATCH_TEAMS = 55


def _stream_batches(conn: Connection, batches: _Batches, teams: pd.DataFrame) -> dict[str, int]:
    """Quotas, deals, leads and activities one batch of teams at a time; only the batch is in memory.

    Each batch's rows go to the store at once. On DuckDB, which keeps rows appended in an open
    transaction in memory, they go to a spool per table instead (files outside the transaction,
    ``salesops.store.staging.Spool``), published in date order at the end: DuckDB sorts within its
    ``memory_limit`` and spills the rest to disk.
    """
    team_ids = teams["team_id"].tolist()
    counts = dict.fromkeys(["quotas", *_SORT_KEYS], 0)
    spools = _spools() if conn.dialect.name == "duckdb" else {}
    try:
        first = first_quota_month(batches.reps, batches.today)
        for b in range(0, len(team_ids), BATCH_TEAMS):
            batch = set(team_ids[b : b + BATCH_TEAMS])
            batch_reps = batches.reps[batches.reps.team_id.isin(batch)]
            # Quotas are set ahead: through the end of the current year.
            quota_months = build_rep_months(batch_reps, batches.today, until=date(batches.today.year, 12, 31))
            counts["quotas"] += bulk_insert(
                conn, schema.quotas, build_quotas(quota_months, batches.spec, batches.base_win, first)
            )
            del quota_months
            for name, rows in batches.load(batch, build_rep_months(batch_reps, batches.today)).items():
                counts[name] += _stage(conn, spools, name, rows)
            log.info("batch %d of %d staged", b // BATCH_TEAMS + 1, -(-len(team_ids) // BATCH_TEAMS))
            release_freed_memory()  # the batch's frames are gone: hand their pages back before the next
        # The planted data-health flaws: new records on top of the generated ones, before the date-order publish.
        staged = {name: spool.open(conn) for name, spool in spools.items()}
        planted = plant_flaws(conn, staged or _tables(), batches.today, lambda n, f: _stage(conn, spools, n, f))
        for name, n in planted.items():
            counts[name] = counts.get(name, 0) + n
        release_freed_memory()  # the publish is DuckDB's: Python's freed heap goes back to the system first
        for name, spool in spools.items():
            spool.drop(conn)
            _publish(conn, schema.metadata.tables[name], spool.open(conn))  # the planted rows too
            spool.drop(conn)
            log.info("%s published (DuckDB holds %s)", name, _held(conn))
    finally:
        for spool in spools.values():
            spool.close()
    return counts


def _held(conn: Connection) -> str:
    """DuckDB's memory in use by kind (its largest three), for the progress log; empty elsewhere."""
    if conn.dialect.name != "duckdb" or not log.isEnabledFor(logging.INFO):
        return ""
    top = conn.execute(
        sa.text("SELECT tag, memory_usage_bytes // 1048576 AS mb FROM duckdb_memory() ORDER BY 2 DESC LIMIT 3")
    )
    return ", ".join(f"{r.tag} {r.mb} MB" for r in top)


def _tables() -> dict[str, sa.Table]:
    return {name: schema.metadata.tables[name] for name in _SORT_KEYS}


def _stage(conn: Connection, spools: dict[str, Spool], name: str, rows: pd.DataFrame) -> int:
    """Rows of table ``name``: to its spool on DuckDB, else straight to the table; the row count."""
    if rows.empty:
        return 0
    if name in spools:
        spools[name].add(rows)
        return len(rows)
    return bulk_insert(conn, schema.metadata.tables[name], rows)


def _plant_import_warnings(conn: Connection) -> int:
    """A few warnings as a CRM import would have recorded them, so Data health has them to show.

    Added on top of the generated rows (no deal changes): the first won deal of each of three teams
    closed "before it was created", as records loaded into a CRM after the fact do (docs/DEMO_DATA.md).
    """
    picked = conn.execute(
        sa.text(
            """SELECT deal_id, close_date FROM (
                 SELECT deal_id, close_date, team_id,
                        ROW_NUMBER() OVER (PARTITION BY team_id ORDER BY deal_id) AS k
                 FROM deals WHERE outcome = 'won') AS w
               WHERE k = 1 ORDER BY team_id LIMIT 3"""
        )
    ).fetchall()
    rows = pd.DataFrame(
        {
            "import_id": 0,
            "table_name": "deals",
            "row_number": range(2, 2 + len(picked)),
            "record_id": [r.deal_id for r in picked],
            "column_name": "CloseDate",
            "value": [str(r.close_date) for r in picked],
            "kind": "close_before_create",
            "reason": "close date is before the create date",
        }
    )
    return bulk_insert(conn, schema.import_warnings, rows)


@dataclass
class _Batches:
    """Deals, leads and activities for one batch of teams at a time, numbered across batches."""

    rng: np.random.Generator
    spec: ScaleSpec
    today: date
    base_win: float
    moved: dict
    reps: pd.DataFrame
    teams: pd.DataFrame
    book: CustomerBook
    deal_no: int = 0
    lead_no: int = 0
    act_no: int = 0

    def load(self, batch: set, rm: pd.DataFrame) -> dict[str, pd.DataFrame]:
        """The batch's rows per table, in the order they draw from the generator."""
        rng, reps = self.rng, self.reps
        deals, hist, changes = build_deals(rng, rm, self.spec, self.today, self.base_win, self.moved)
        ids = np.array([f"D{self.deal_no + i + 1:07d}" for i in range(len(deals))], dtype=object)
        self.deal_no += len(deals)
        deals.insert(0, "deal_id", ids)
        deals["name"] = deals["product"] + " – " + pd.Series(ids).str[1:]
        # Drawn and then replaced, so the main generator's later draws (leads, activities) stay as they were.
        rng.integers(1, 40 * len(batch) * 10, len(deals))
        deals = self.book.assign(deals, self.teams, self.reps, self.deal_no)
        hist["deal_id"] = ids[hist.pop("deal_idx").to_numpy()]
        changes["deal_id"] = ids[changes.pop("deal_idx").to_numpy()]
        leads = build_leads(rng, reps, rm, self.spec, self.today)
        leads.insert(0, "lead_id", [f"L{self.lead_no + i + 1:08d}" for i in range(len(leads))])
        self.lead_no += len(leads)
        acts = build_activities(
            rng, reps[reps.team_id.isin(batch)].reset_index(drop=True), self.today, self.spec.activities_per_rep_week
        )
        acts.insert(0, "activity_id", numbered_ids("A", self.act_no + 1, len(acts), 9))
        self.act_no += len(acts)
        return {
            "deals": deals,
            "deal_stage_history": hist.drop_duplicates(["deal_id", "stage", "entered_at"]),
            "deal_changes": changes,
            "leads": leads,
            "activities": acts,
            "accounts": self.book.take(),  # the batch's own: the book keeps nothing across batches
        }

"""The all-or-nothing write: every frame of a checked import upserted by id in one transaction.

Rows identical to the stored ones are not touched; the import is logged in ``import_log`` in the
same transaction, and ``store.write`` bumps the data version so caches refresh.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from salesops import store
from salesops.errors import DuplicateKey
from salesops.ingest.report import ImportReport
from salesops.ingest.validate import Plan
from salesops.store import deal_notes, derived, health_tables, rollups, schema
from salesops.store.staging import create_stage

Progress = Callable[[float, str], None]


def upsert(conn: Connection, table: sa.Table, frame: pd.DataFrame, provided: tuple[str, ...], keep_team: bool):
    """Upsert ``frame`` into ``table`` by its key through a temporary staging table; return (added, updated).

    Rows identical to the stored ones are not touched. On update only the ``provided`` columns
    change; with ``keep_team`` a row keeps its stored team_id unless its rep changed (team_id is
    the team at the time of the deal, not the rep's team today).
    """
    stage = create_stage(conn, table)
    store.bulk_insert(conn, stage, frame)
    added, updated = merge_stage(conn, table, stage, provided, keep_team)
    conn.execute(sa.text(f'DROP TABLE "{stage.name}"'))
    return added, updated


def merge_stage(conn: Connection, table: sa.Table, stage: sa.Table, provided: tuple[str, ...], keep_team: bool):
    """Upsert the staged rows into ``table`` (see :func:`upsert`); return (added, updated)."""
    key = [col.name for col in table.primary_key.columns]
    cols = [col.name for col in table.columns]
    if conn.dialect.name == "postgresql":  # temporary tables get no statistics by themselves: without
        conn.execute(sa.text(f'ANALYZE "{stage.name}"'))  # them the planner joins 1M rows as if they were few
    # Identifiers below come from the schema (Table objects), never from the input.
    compare = [col for col in provided if col not in key and col in cols]
    on = " AND ".join(f't."{k}" = s."{k}"' for k in key)
    diff = " OR ".join(f's."{col}" IS DISTINCT FROM t."{col}"' for col in compare) or "FALSE"
    tgt, stg = f'"{table.name}"', f'"{stage.name}"'
    added, updated = conn.execute(
        sa.text(
            f"""SELECT COUNT(*) FILTER (WHERE t."{key[0]}" IS NULL),
                       COUNT(*) FILTER (WHERE t."{key[0]}" IS NOT NULL AND ({diff}))
                FROM {stg} s LEFT JOIN {tgt} t ON {on}"""  # noqa: S608 - schema identifiers only
        )
    ).one()
    if (added or updated) and table.name == "activities":  # its rollup is rewritten for these days alone
        rollups.note_touched_days(conn, stg, on, diff)
        health_tables.note_touched_deals(conn, stg, on, diff)  # and the open deals' last touch, for these deals
    if (added or updated) and table.name == "deals":  # the deal-keyed derived tables, for these deals alone
        deal_notes.note_deals(conn, stg, on, diff)
    if (added or updated) and table.name == "accounts":  # the deal kinds, for the deals these can re-link
        deal_notes.note_accounts(conn, stg, on, diff)
    if added or updated:
        if has_key(conn, table):
            _upsert_on_key(conn, table, stg, key, cols, compare, on, diff, keep_team)
        else:
            _update_then_insert(conn, table, stg, key, cols, compare, on, diff, keep_team, int(added), int(updated))
    return int(added), int(updated)


def has_key(conn: Connection, table: sa.Table) -> bool:
    """Whether ``table`` has its primary key in the database. The DuckDB demo build makes its biggest
    tables without it (``salesops.demo.build._KEY_BY_QUERY``); a store built before keeps it."""
    if conn.dialect.name == "duckdb":  # duckdb_engine cannot reflect keys
        found = conn.execute(
            sa.text(
                "SELECT COUNT(*) FROM duckdb_constraints() WHERE table_name = :t "
                "AND schema_name = current_schema() AND constraint_type = 'PRIMARY KEY'"
            ),
            {"t": table.name},
        ).scalar_one()
        return bool(found)
    return bool(sa.inspect(conn).get_pk_constraint(table.name)["constrained_columns"])


def _upsert_on_key(
    conn: Connection,
    table: sa.Table,
    stg: str,
    key: list[str],
    cols: list[str],
    compare: list[str],
    on: str,
    diff: str,
    keep_team: bool,
) -> None:
    """The new and changed staged rows written by one INSERT … ON CONFLICT on the table's key."""
    tgt = f'"{table.name}"'
    sets = [f'"{col}" = EXCLUDED."{col}"' for col in compare]
    if keep_team:
        sets.append(
            f'"team_id" = CASE WHEN {tgt}."rep_id" = EXCLUDED."rep_id" THEN {tgt}."team_id" ELSE EXCLUDED."team_id" END'
        )
    conflict = f"ON CONFLICT ({', '.join(key)}) DO " + (f"UPDATE SET {', '.join(sets)}" if sets else "NOTHING")
    col_list = ", ".join(f'"{col}"' for col in cols)
    s_list = ", ".join(f's."{col}"' for col in cols)
    conn.execute(
        sa.text(
            f"""INSERT INTO {tgt} ({col_list})
                SELECT {s_list} FROM {stg} s LEFT JOIN {tgt} t ON {on}
                WHERE t."{key[0]}" IS NULL OR ({diff})
                {conflict}"""  # noqa: S608 - schema identifiers only
        )
    )


def _update_then_insert(
    conn: Connection,
    table: sa.Table,
    stg: str,
    key: list[str],
    cols: list[str],
    compare: list[str],
    on: str,
    diff: str,
    keep_team: bool,
    added: int,
    updated: int,
) -> None:
    """The same write for a table without its key in the database: the changed rows updated from
    the stage (the same SET as the upsert's, keep_team's CASE too), then the new rows inserted.

    The stage's keys must be unique (an import refuses duplicate ids before it writes); they are
    checked again here, as nothing else would stop a second row with the same key."""
    keys = ", ".join(f'"{k}"' for k in key)
    dup = conn.execute(
        sa.text(f"SELECT {keys} FROM {stg} GROUP BY {keys} HAVING COUNT(*) > 1 LIMIT 1")  # noqa: S608
    ).first()
    if dup is not None:
        shown = ", ".join(str(v) for v in dup)
        raise DuplicateKey(
            f"Two rows to write to {table.name} have the same key ({shown}); nothing was written.",
            "Keep one row per id in the file and import it again.",
        )
    tgt = f'"{table.name}"'
    sets = [f'"{col}" = s."{col}"' for col in compare]
    if keep_team:
        sets.append('"team_id" = CASE WHEN t."rep_id" = s."rep_id" THEN t."team_id" ELSE s."team_id" END')
    if sets and updated:
        conn.execute(
            sa.text(
                f"UPDATE {tgt} AS t SET {', '.join(sets)} FROM {stg} s WHERE {on} AND ({diff})"  # noqa: S608
            )
        )
    if not added:
        return
    col_list = ", ".join(f'"{col}"' for col in cols)
    s_list = ", ".join(f's."{col}"' for col in cols)
    conn.execute(
        sa.text(
            f"""INSERT INTO {tgt} ({col_list})
                SELECT {s_list} FROM {stg} s LEFT JOIN {tgt} t ON {on}
                WHERE t."{key[0]}" IS NULL"""  # noqa: S608 - schema identifiers only
        )
    )


def write_plan(engine: Engine, plan: Plan, progress: Progress | None) -> ImportReport:
    """Write a checked plan in one transaction (a new data version); the report with what changed."""
    done = store.write(engine, lambda conn: write_in(conn, plan, progress), f"import {plan.report.table}")
    return written_report(plan.report, *done)


def written_report(report: ImportReport, added: int, updated: int, import_id: int) -> ImportReport:
    return replace(
        report,
        rows_added=added,
        rows_updated=updated,
        rows_unchanged=report.rows_read - added - updated,
        written=True,
        import_id=import_id,
    )


def write_in(conn: Connection, plan: Plan, progress: Progress | None) -> tuple[int, int, int]:
    """Every write of ``plan`` in the caller's transaction, the import logged: (added, updated, import id).

    A write without a frame takes its rows from ``plan.stage`` (filled chunk by chunk).
    """
    report = plan.report
    added = updated = 0
    sources_changed: set[str] = set()
    for i, (table, frame, provided, keep_team) in enumerate(plan.writes):
        if progress is not None:
            progress(0.6 + 0.35 * i / len(plan.writes), f"writing {table.name}")
        if frame is None:
            assert plan.stage is not None  # noqa: S101 - a frameless write is a staged one
            a, u = merge_stage(conn, table, plan.stage, provided, keep_team)
        else:
            a, u = upsert(conn, table, frame, provided, keep_team)
        if table.name == report.table:
            added, updated = a, u
        if table.name in derived.SOURCES and (a + u) > 0:
            sources_changed.add(table.name)
    if sources_changed:  # unchanged sources leave the derived tables as they are
        derived.refresh_derived(conn, sources_changed)
    import_id = conn.execute(
        sa.insert(schema.import_log)
        .values(
            import_id=schema.import_log_id.next_value(),
            imported_at=datetime.now(),
            file_name=report.file_name,
            table_name=report.table,
            preset=report.preset,
            rows_added=added,
            rows_updated=updated,
            rows_rejected=0,
        )
        .returning(schema.import_log.c.import_id)
    ).scalar_one()
    _clear_warnings(conn, plan, report.table)
    _record_warnings(conn, plan, int(import_id), report.table)
    return added, updated, int(import_id)


def _clear_warnings(conn: Connection, plan: Plan, table: str) -> None:
    """Forget the earlier warnings of the records this import rewrites: the new import says what holds now."""
    target = next((w for w in plan.writes if w[0].name == table), None)
    key = [col.name for col in getattr(schema, table).primary_key.columns]
    if target is None or len(key) != 1:
        return
    if target[1] is None and plan.stage is not None:  # staged rows: their ids are in the stage
        conn.execute(
            sa.text(
                f"DELETE FROM import_warnings WHERE table_name = :t AND record_id IN "  # noqa: S608 - schema names
                f'(SELECT CAST("{key[0]}" AS VARCHAR) FROM "{plan.stage.name}")'
            ),
            {"t": table},
        )
        return
    frame = target[1]
    if frame is None:
        return
    ids = pd.DataFrame({"record_id": frame[key[0]].astype(str)})
    tmp = sa.Table("_import_warning_ids", sa.MetaData(), sa.Column("record_id", sa.String), prefixes=["TEMPORARY"])
    tmp.create(conn)
    store.bulk_insert(conn, tmp, ids)
    conn.execute(
        sa.text(
            "DELETE FROM import_warnings WHERE table_name = :t "
            'AND record_id IN (SELECT record_id FROM "_import_warning_ids")'
        ),
        {"t": table},
    )
    conn.execute(sa.text('DROP TABLE "_import_warning_ids"'))


def warning_frame(rows: pd.DataFrame, import_id: int | None = None, table: str | None = None) -> pd.DataFrame:
    """Problem rows (level warning) as ``import_warnings`` rows (with the import's id and table when given)."""
    frame = pd.DataFrame(
        {
            "row_number": rows["row"].astype("Int64"),
            "record_id": rows["record_id"].astype("object"),
            "column_name": rows["column"].astype(str),
            "value": rows["value"].astype(str),
            "kind": rows["kind"].astype(str),
            "reason": rows["reason"].astype(str),
        }
    )
    if import_id is not None:
        frame.insert(0, "table_name", table)
        frame.insert(0, "import_id", import_id)
    return frame


#: The columns a warning stage (a chunked import's warnings, staged as they are found) holds.
WARNING_COLUMNS = ("row_number", "record_id", "column_name", "value", "kind", "reason")


def _record_warnings(conn: Connection, plan: Plan, import_id: int, table: str) -> None:
    """Store the import's warnings (every one, not only the listed ones) in the same transaction."""
    if plan.warning_stage is not None:
        cols = ", ".join(WARNING_COLUMNS)
        conn.execute(
            sa.text(
                f"INSERT INTO import_warnings (import_id, table_name, {cols}) "  # noqa: S608 - our names
                f'SELECT :i, :t, {cols} FROM "{plan.warning_stage.name}"'
            ),
            {"i": import_id, "t": table},
        )
        return
    if plan.warning_rows.empty:
        return
    store.bulk_insert(conn, schema.import_warnings, warning_frame(plan.warning_rows, import_id, table))

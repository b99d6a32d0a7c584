"""Check an import before anything is written: options, columns, cells, reps, rows; the plan to write.

:func:`plan_import` runs the steps in order and returns a :class:`Plan`: the report (every problem,
listed and counted per kind, and notes on how the file was read) and, only when there is no
problem, the frames to upsert. Per-table rules are in ``salesops.ingest.rows``; rep and team
resolution in ``salesops.ingest.reps``.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from salesops import store
from salesops.ingest.cells import parse_fields
from salesops.ingest.parse import (
    ROW,
    SourceFile,
)
from salesops.ingest.presets import ColumnMapping, check_preset, map_columns
from salesops.ingest.report import ImportReport, ProblemLog, shown
from salesops.ingest.reps import UNASSIGNED_TEAM, resolve_reps
from salesops.ingest.rows import table_rows
from salesops.ingest.spec import BadImportOption, TableSpec, check_stage_rules, check_table, normalise, parse_map_rules
from salesops.store import schema

#: An amount above this (in currency units) is taken for a mistake (a pasted id, a wrong column).
MAX_AMOUNT = 1_000_000_000

_FIELD_COLUMN = {
    "amount": "amount_cents",
    "probability": "probability_bp",
    "rep_name": "rep_id",
    "is_closed": "outcome",
    "is_won": "outcome",
}


@dataclass
class Plan:
    """A checked import: its report and (when the report is ok) the writes, in order.

    Each write is (table, rows, the columns the file provided, keep the stored team_id).
    """

    report: ImportReport
    writes: list[tuple[sa.Table, pd.DataFrame | None, tuple[str, ...], bool]] = field(default_factory=list)
    warning_rows: pd.DataFrame = field(default_factory=pd.DataFrame)  # every warning, stored on write
    stage: sa.Table | None = None  # a chunked import's staged rows (the write without a frame)
    warning_stage: sa.Table | None = None  # … and its warnings, staged instead of ``warning_rows``


@dataclass(frozen=True)
class Options:
    """An import's checked options (what every chunk of a file is checked with)."""

    spec: TableSpec
    preset: str | None
    user_rules: dict
    date_order: str | None
    decimal_mark: str | None
    create_missing: bool
    strict: bool


def check_options(table, *, preset, stages, date_order, decimal_mark, create_missing_reps, strict) -> Options:
    """The options checked once (BadImportOption for a bad table, preset, stage rule, date order or mark)."""
    return Options(
        check_table(table),
        check_preset(preset),
        check_stage_rules(stages),
        _check_date_order(date_order),
        _check_decimal_mark(decimal_mark),
        bool(create_missing_reps),
        bool(strict),
    )


@dataclass
class RowChecks:
    """One frame's rows checked: the rows to write, the stage summary, the reps and teams to create."""

    out: pd.DataFrame
    stage_list: tuple
    new_reps: list
    new_teams: list


def plan_import(
    engine: Engine,
    table: str,
    frame: pd.DataFrame,
    source: SourceFile | None,
    *,
    preset,
    mapping,
    stages,
    create_missing_reps: bool,
    file_name: str | None,
    date_order: str | None,
    dry_run: bool,
    strict: bool = False,
    decimal_mark: str | None = None,
) -> Plan:
    """Validate ``frame`` for ``table`` and prepare the frames to write (nothing is written here)."""
    t0 = time.perf_counter()
    opts = check_options(
        table,
        preset=preset,
        stages=stages,
        date_order=date_order,
        decimal_mark=decimal_mark,
        create_missing_reps=create_missing_reps,
        strict=strict,
    )
    frame = frame if ROW in frame.columns else frame.assign(**{ROW: np.arange(2, len(frame) + 2)})
    columns = [str(col) for col in frame.columns if col != ROW]
    frame.columns = [str(col) for col in frame.columns]
    problems = ProblemLog(frame[ROW], strict=opts.strict)
    notes: list[str] = []
    ragged = sum(p.kind == "ragged_row" for p in source.problems) if source is not None else 0
    base: dict[str, Any] = dict(
        table=table,
        file_name=file_name,
        preset=opts.preset,
        rows_read=len(frame) + ragged,
        dry_run=dry_run,
        strict=opts.strict,
    )

    if not _check_source(source, frame, problems, notes):
        listed, counts, _ = problems.summary()
        return Plan(ImportReport(**base, problems=listed, problem_counts=counts, notes=tuple(notes)))
    mapped, src = map_file_columns(opts, columns, mapping, problems, notes)
    if src.get("deal_id") == DERIVED_ID:
        frame = derive_deal_ids(frame, src)
    rows = check_rows(engine, opts, frame, src, problems, notes)
    check_cross_rows(opts.spec, rows.out, frame, src, problems)

    report = _report(
        base, problems, len(frame), mapped.pairs, rows.stage_list, rows.new_teams, rows.new_reps, notes, t0
    )
    plan = Plan(report, warning_rows=problems.warnings()[2])
    if report.ok:
        _plan_writes(engine, plan, table, rows.out, provided_columns(table, src), rows.new_reps, rows.new_teams)
    return plan


def map_file_columns(opts: Options, columns: list[str], mapping, problems: ProblemLog, notes: list[str]):
    """The columns mapped to fields (a derived deal id when a deals file has none); file-level problems."""
    mapped = map_columns(opts.spec.table, columns, opts.preset, mapping)
    src = dict(mapped.source)
    if opts.spec.table == "deals" and "deal_id" not in src and {"name", "created_date"} <= set(src):
        src["deal_id"] = DERIVED_ID
        notes.append(
            "no deal id column: each deal's id is made from its account, name and created date "
            "(add the Opportunity ID / Record ID column to the export to match deals exactly)"
        )
    _check_columns(opts.spec, columns, mapping, mapped, src, problems)
    return mapped, src


def check_rows(engine, opts: Options, frame: pd.DataFrame, src: dict, problems: ProblemLog, notes, profile=None):
    """Parse and check every row of ``frame`` (cells, reps, the table's own rules): a :class:`RowChecks`.

    ``profile`` (``salesops.ingest.chunked``) carries the whole file's column decisions (date
    formats, decimal marks, percent scales) when ``frame`` is one chunk of a larger file.
    """
    spec = opts.spec
    if spec.key[0] in src:
        problems.record_ids = shown(frame[src[spec.key[0]]]).to_numpy()
    c = pd.DataFrame({f: frame[col] for f, col in src.items()}, index=frame.index)
    parse_fields(spec, c, src, problems, notes, opts.date_order, opts.decimal_mark, profile)
    new_reps: list = []
    new_teams: list = []
    team_of = _check_values(engine, spec, c, src, frame, problems, opts.create_missing, new_reps)
    out, stage_list = table_rows(
        engine,
        spec.table,
        c,
        src,
        frame,
        problems,
        team_of=team_of,
        new_teams=new_teams,
        preset=opts.preset,
        user_rules=opts.user_rules,
    )
    return RowChecks(out, stage_list, new_reps, new_teams)


def check_cross_rows(spec: TableSpec, out: pd.DataFrame, frame, src, problems: ProblemLog) -> None:
    """The checks that compare rows with each other: unusual amounts for the team, duplicate ids.

    A file imported in chunks runs the same checks over all its staged rows in SQL
    (``salesops.ingest.chunked``); both come last, in this order.
    """
    if spec.table == "deals" and "amount" in src:
        amt = out["amount_cents"].astype("Float64")
        grouped = amt.groupby(out["team_id"].astype("object").fillna(""))
        median = grouped.transform("median")
        enough = grouped.transform("count") >= 5
        problems.cells(
            "unusual_amount",
            enough & (amt > UNUSUAL_AMOUNT_FACTOR * median) & (median > 0),
            src["amount"],
            frame[src["amount"]],
            UNUSUAL_REASON,
        )
    _check_duplicates(spec, out, frame, src, problems)


#: An amount above this multiple of its team's median (in the same file, 5 amounts or more) is a warning.
UNUSUAL_AMOUNT_FACTOR = 10
UNUSUAL_REASON = f"more than {UNUSUAL_AMOUNT_FACTOR}× the median amount of the team's deals in this file"


def _report(base: dict, problems, rows: int, proposed, stage_list, new_teams, new_reps, notes, t0):
    """The check's report: problems listed and counted, the mapping, stages, what would be created."""
    listed, counts, rejected = problems.summary()
    if counts and not rejected and rows:
        rejected = rows  # file-level problems reject every row
    warned, warning_counts, _ = problems.warnings()
    return ImportReport(
        warnings=warned,
        warning_counts=warning_counts,
        **base,
        rows_rejected=rejected,
        problems=listed,
        problem_counts=counts,
        mapping=tuple(proposed),
        stages=stage_list,
        created_teams=tuple(f"{t[0]} ({t[1]})" for t in new_teams),
        created_reps=tuple(f"{r.rep_id} ({r.name})" for r in new_reps),
        notes=tuple(notes),
        seconds=time.perf_counter() - t0,
    )


DERIVED_ID = "(derived deal id)"


def derive_deal_ids(frame: pd.DataFrame, src: dict) -> pd.DataFrame:
    """A report export without an id column (Salesforce reports leave out Opportunity ID unless it
    is added): the id is made from account, deal name and created date, so re-importing the same
    report updates its deals instead of adding copies. Two rows alike in all three are duplicates."""
    parts = [
        frame[src[f]].fillna("").str.strip().str.casefold() for f in ("account", "name", "created_date") if f in src
    ]
    key = parts[0].str.cat(parts[1:], sep="|")
    digest = key.map(lambda k: hashlib.sha1(k.encode(), usedforsecurity=False).hexdigest()[:12])
    return frame.assign(**{DERIVED_ID: "deal-" + digest})


def _check_decimal_mark(mark: str | None) -> str | None:
    """'.' / 'point' or ',' / 'comma' -> '.' or ','; None stays None (detected per column)."""
    if mark in (None, ""):
        return None
    spelled = {".": ".", "point": ".", "dot": ".", ",": ",", "comma": ","}.get(str(mark).strip().lower())
    if spelled is None:
        raise BadImportOption(f"Unknown decimal mark {mark!r}.", "Use --decimal-mark . (1,234.56) or , (1.234,56).")
    return spelled


def _check_date_order(date_order: str | None) -> str | None:
    """'us' or 'eu' (any case) -> 'US' or 'EU'; None stays None; anything else is a BadImportOption."""
    if date_order is not None and str(date_order).upper() not in ("US", "EU"):
        raise BadImportOption(f"Unknown date order {date_order!r}.", "Use us (month first) or eu (day first).")
    return str(date_order).upper() if date_order else None


def _check_source(source: SourceFile | None, frame, problems: ProblemLog, notes: list[str]) -> bool:
    """Record how the file was read and its file-level problems; False when there is nothing to check."""
    if source is None:
        if len(frame) == 0:
            problems.file("no_rows", "the data has no rows")
        return True
    notes.append(f"encoding {source.encoding}, delimiter {source.delimiter!r}")
    notes.extend(source.notes)
    for p in source.problems:
        problems.file(p.kind, p.reason, value=p.value, row=p.row)
    return not any(p.kind in ("empty_file", "encoding", "not_csv") for p in source.problems)


def _check_columns(spec: TableSpec, columns: list[str], mapping, mapped: ColumnMapping, src, problems) -> None:
    """--map rules naming absent columns, two columns for one field, required fields with no column."""
    norm_cols = {normalise(col) for col in columns}
    for field_name, kept, other in mapped.clashes:
        problems.file(
            "duplicate_column",
            f"the columns {kept!r} and {other!r} both map to {field_name}; the file must say it once "
            f'(ignore one with --map "{other}=")',
            column=other,
        )
    for source_col in dict(parse_map_rules(mapping)):
        if source_col not in columns and normalise(source_col) not in norm_cols:
            problems.file(
                "missing_column",
                f"--map names the column {source_col!r}, which the file does not have",
                column=source_col,
            )
    for f in spec.fields:
        if f.required and f.name not in src:
            problems.file(
                "missing_column",
                f"the required column {f.name!r} is missing (map one with --map COLUMN={f.name})",
                column=f.name,
            )
    if spec.rep_ref == "required" and "rep_id" not in src and "rep_name" not in src:
        problems.file(
            "missing_column",
            "a rep_id or rep_name column is required (map one with --map COLUMN=rep_name)",
            column="rep_id",
        )
    if spec.table == "reps" and not {"team_id", "team", "manager"} & set(src):
        problems.file("missing_column", "a reps file needs a team_id or team column (or manager)", column="team_id")


def _check_values(engine, spec: TableSpec, c, src, frame, problems: ProblemLog, create_missing, new_reps) -> dict:
    """Empty required values, reps that cannot be resolved, implausible amounts; returns rep_id -> team_id."""
    for f in spec.fields:
        if f.required and f.name in c:
            problems.cells("missing_value", c[f.name].isna(), src[f.name], None, f"{f.name} is empty")
    team_of: dict[str, str] = {}
    if spec.rep_ref and ("rep_id" in c or "rep_name" in c):
        team_of = resolve_reps(engine, spec, c, src, problems, create_missing, new_reps)
    if "amount" in c:
        amt = c["amount"]
        problems.cells("negative_amount", amt < 0, src["amount"], frame[src["amount"]], "negative amount")
        problems.cells(
            "absurd_amount",
            amt > MAX_AMOUNT * 100,
            src["amount"],
            frame[src["amount"]],
            f"amount above {MAX_AMOUNT:,} is not plausible",
        )
    return team_of


def _check_duplicates(spec: TableSpec, out: pd.DataFrame, frame, src, problems: ProblemLog) -> None:
    """A key seen twice in the file: the later rows are problems that name the first one's row."""
    key = list(spec.key)
    if all(k in out and out[k].notna().any() for k in key):
        keyed = out[key].notna().all(axis=1)
        dup = out[key].duplicated(keep="first") & keyed
        if dup.any():
            first = frame[ROW].groupby([out[k] for k in key], dropna=False).transform("first")
            problems.cells(
                "duplicate_id",
                dup,
                src.get(key[0], key[0]),
                out[key[0]],
                "duplicate id; first seen on row " + first.astype(str),
            )


def provided_columns(table: str, src: dict) -> tuple[str, ...]:
    """The store columns the file gives values for: only these change when a stored row is updated."""
    provided = tuple(
        sorted({_FIELD_COLUMN.get(f, f) for f in src} & {col.name for col in getattr(schema, table).columns})
    )
    if table == "deals" and "stage" in src:
        provided = tuple(sorted({*provided, "outcome"}))
    if table == "deals" and "account" in src:
        provided = tuple(sorted({*provided, "account_id"}))
    if table == "accounts":
        provided = tuple(sorted({*provided, "account_id", "name_key", "parent_id"} - {"parent"}))
    if table == "reps" and {"team_id", "team", "manager"} & set(src):
        provided = tuple(sorted({*provided, "team_id"} - {"team", "manager"}))
    if table == "teams":
        provided = tuple(sorted({*provided, "name", "region"}))
    return provided


def _plan_writes(engine, plan: Plan, table: str, out, provided, new_reps: list, new_teams: list) -> None:
    """The writes in order: new teams, new reps (in the ``unassigned`` team), then the table's rows."""
    if new_reps:
        reps_frame = pd.DataFrame(new_reps, columns=["rep_id", "name"]).assign(
            team_id=UNASSIGNED_TEAM[0], role="AE", ramp_months=0, active=True, fte=1.0
        )
        team_ids = set(store.read_frame(engine, sa.select(schema.teams.c.team_id))["team_id"])
        if UNASSIGNED_TEAM[0] not in team_ids:
            new_teams.append((*UNASSIGNED_TEAM, None))
            plan.report = replace(plan.report, created_teams=(*plan.report.created_teams, "unassigned (Unassigned)"))
        plan.writes.append((schema.reps, reps_frame, (), False))
    if new_teams:
        teams_frame = pd.DataFrame(new_teams, columns=["team_id", "name", "region", "manager"])
        plan.writes.insert(0, (schema.teams, teams_frame, (), False))
    keep_team = table in ("deals", "leads", "activities")
    # No frame: the rows are already staged in the database (an import read in chunks).
    rows = None if out is None else out.reset_index(drop=True)
    plan.writes.append((getattr(schema, table), rows, provided, keep_team))

"""Import CRM exports (Salesforce, HubSpot, any CSV) and DataFrames: validated, idempotent, all-or-nothing.

The public calls:

* ``import_frame(engine, table, frame, *, preset, mapping, stages, create_missing_reps, dry_run,
  file_name, date_order, progress) -> ImportReport`` — validate a DataFrame and, when it has no
  problem, upsert it by id in one transaction (``store.write``: the data version bumps, caches
  refresh) and log the import. Any problem raises :class:`ImportRejected` (carrying the report)
  and writes nothing at all.
* ``import_file(engine, table, data, …)`` — the same for CSV bytes or a path (encodings, empty
  files, ragged rows …, see ``salesops.ingest.parse``).
* ``validate_frame`` / ``validate_file`` — the dry run that never raises for bad data: the app
  shows its report before the user confirms.
* ``import_history(engine)`` — the import log.

Fields, presets and stage rules are data in ``salesops.ingest.spec``; docs/IMPORT.md explains them.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from salesops import store
from salesops.ingest.parse import (
    ROW,
    SourceFile,
    blank_to_na,
    decode,
    parse_bool,
    parse_dates,
    parse_money,
    parse_number,
    parse_percent,
    read_csv,
)
from salesops.ingest.spec import (
    LEAD_STAGE_ALIASES,
    PERIOD_ALIASES,
    PRESET_NAMES,
    TABLES,
    BadImportOption,
    IngestError,
    TableSpec,
    check_preset,
    check_stage_rules,
    check_table,
    normalise,
    parse_pairs,
    propose_mapping,
    stage_rules,
)
from salesops.store import schema

__all__ = [
    "PRESET_NAMES",
    "TABLES",
    "BadImportOption",
    "ImportRejected",
    "ImportReport",
    "IngestError",
    "Problem",
    "format_report",
    "import_file",
    "import_frame",
    "import_history",
    "propose_mapping",
    "preview",
    "read_csv",
    "stage_summary",
    "validate_file",
    "validate_frame",
]

#: How many problems a report lists one by one; the rest are counted per kind.
MAX_LISTED = 50
#: An amount above this (in currency units) is taken for a mistake (a pasted id, a wrong column).
MAX_AMOUNT = 1_000_000_000
UNASSIGNED_TEAM = ("unassigned", "Unassigned", "Unassigned")

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class Problem:
    """One bad cell or file-level problem. ``row`` counts like a spreadsheet (header = row 1)."""

    row: int | None
    column: str
    value: str
    reason: str
    kind: str


@dataclass(frozen=True)
class ImportReport:
    """What an import (or a dry run) found and did."""

    table: str
    file_name: str | None
    preset: str | None
    rows_read: int
    rows_added: int = 0
    rows_updated: int = 0
    rows_unchanged: int = 0
    rows_rejected: int = 0
    problems: tuple[Problem, ...] = ()  # the first MAX_LISTED, by row
    problem_counts: tuple[tuple[str, int], ...] = ()  # every problem, counted per kind
    mapping: tuple[tuple[str, str], ...] = ()  # (source column, field or '' if ignored)
    stages: tuple[tuple[str, str, int], ...] = ()  # deals: (stage, outcome or '', rows)
    created_teams: tuple[str, ...] = ()
    created_reps: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()  # how the file was read: encoding, date formats, percent columns
    dry_run: bool = False
    written: bool = False
    import_id: int | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problem_counts

    @property
    def problem_total(self) -> int:
        return sum(n for _, n in self.problem_counts)

    def problems_frame(self) -> pd.DataFrame:
        """The listed problems as a frame: row, column, value, reason, kind."""
        return pd.DataFrame(
            [(p.row, p.column, p.value, p.reason, p.kind) for p in self.problems],
            columns=["row", "column", "value", "reason", "kind"],
        ).astype({"row": "Int64"})


class ImportRejected(IngestError):
    """The data has problems; nothing was written. ``report`` lists them."""

    def __init__(self, report: ImportReport) -> None:
        what = report.file_name or f"The {report.table} data"
        kinds = ", ".join(f"{k} {n}" for k, n in report.problem_counts)
        super().__init__(
            f"{what} was not imported: {report.problem_total} problem(s) in "
            f"{report.rows_rejected or 'the'} row(s) ({kinds}).",
            "Nothing was written. Fix the rows listed in the report (or map columns with --map and stages "
            "with --stage) and import again; docs/IMPORT.md lists the fields.",
        )
        self.report = report


# ---- problems -------------------------------------------------------------------------------------


class _Problems:
    """Collects problems as small frames (vectorised: one mask per check)."""

    def __init__(self, rows: pd.Series) -> None:
        self.rows = rows.to_numpy()
        self.parts: list[pd.DataFrame] = []

    def cells(self, kind: str, mask: pd.Series, column: str, values: pd.Series | None, reason) -> None:
        m = np.asarray(pd.Series(mask).fillna(False), dtype=bool)
        if not m.any():
            return
        vals = values if values is not None else pd.Series("", index=mask.index)
        shown = pd.Series(vals.to_numpy()[m]).astype("object").where(lambda v: v.notna(), "").astype(str).str[:80]
        why = reason.to_numpy()[m] if isinstance(reason, pd.Series) else reason
        self.parts.append(
            pd.DataFrame(
                {"row": self.rows[m], "column": column, "value": shown.to_numpy(), "reason": why, "kind": kind}
            )
        )

    def file(self, kind: str, reason: str, column: str = "", value: str = "", row: int | None = None) -> None:
        self.parts.append(
            pd.DataFrame({"row": [row], "column": [column], "value": [value], "reason": [reason], "kind": [kind]})
        )

    def summary(self) -> tuple[tuple[Problem, ...], tuple[tuple[str, int], ...], int]:
        if not self.parts:
            return (), (), 0
        allp = pd.concat(self.parts, ignore_index=True)
        allp["row"] = allp["row"].astype("Int64")
        listed = allp.sort_values("row", na_position="first", kind="stable").head(MAX_LISTED)
        problems = tuple(
            Problem(None if pd.isna(r.row) else int(r.row), str(r.column), str(r.value), str(r.reason), str(r.kind))
            for r in listed.itertuples(index=False)
        )
        counts = allp["kind"].value_counts(sort=False)
        rejected = int(allp["row"].dropna().nunique())
        return problems, tuple((str(k), int(n)) for k, n in counts.items()), rejected


# ---- validation -----------------------------------------------------------------------------------


@dataclass
class _Plan:
    report: ImportReport
    writes: list[tuple[sa.Table, pd.DataFrame, tuple[str, ...], bool]] = field(default_factory=list)


_FIELD_COLUMN = {"amount": "amount_cents", "rep_name": "rep_id", "is_closed": "outcome", "is_won": "outcome"}


def _slug(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "-", str(text).casefold()).strip("-") or "x"


def _norm_names(s: pd.Series) -> pd.Series:
    return s.astype("str").str.casefold().str.replace(r"\s+", " ", regex=True).str.strip()


def _parse_fields(spec, c, src, problems, notes, date_order):
    """Parse every mapped field by kind into ``c`` (in place); report cells that cannot be read."""
    dates = {}
    for f in spec.fields:
        if f.name not in c:
            continue
        col = src[f.name]
        if f.kind == "date":
            dates[f.name] = parse_dates(c[f.name], prefer=date_order)
        elif f.kind == "money":
            r = parse_money(c[f.name])
            problems.cells("bad_number", r.bad, col, c[f.name], "not an amount (digits, an optional . or , and $ € £)")
            if r.note:
                notes.append(f"{col}: read with a decimal comma (1.234,56)")
            c[f.name] = r.values
        elif f.kind == "percent":
            r = parse_percent(c[f.name])
            problems.cells("bad_number", r.bad, col, c[f.name], "not a probability (0..1, 0..100 or 55%)")
            if r.note:
                notes.append(f"{col}: read as a percentage 0..100 and divided by 100")
            vals = pd.Series(r.values, index=c.index)
            out = vals.notna() & ((vals < 0) | (vals > 1))
            problems.cells("bad_probability", out, col, c[f.name], "probability outside 0..100%")
            c[f.name] = vals.astype("Float64")
        elif f.kind in ("int", "float"):
            r = parse_number(c[f.name])
            problems.cells("bad_number", r.bad, col, c[f.name], "not a number")
            c[f.name] = r.values
        elif f.kind == "bool":
            r = parse_bool(c[f.name])
            problems.cells("bad_value", r.bad, col, c[f.name], "not true/false (true, false, yes, no, 1, 0)")
            c[f.name] = r.values
        else:
            c[f.name] = blank_to_na(c[f.name])
            if pd.api.types.is_string_dtype(c[f.name]) or c[f.name].dtype == object:
                c[f.name] = c[f.name].astype("str").mask(c[f.name].isna())
    # Dates: one format per column; an ambiguous column (days and months all <= 12) follows the
    # US/EU order proven by another date column of the same file, else date_order, else US.
    why_order = "as --dates says"
    if date_order is None:
        proven = [d.format for d in dates.values() if d.format and not d.ambiguous and d.format[:2] in ("US", "EU")]
        prefer = proven[0][:2] if proven else None
        dates = {k: (parse_dates(c[k], prefer=prefer) if d.ambiguous else d) for k, d in dates.items()}
        why_order = (
            "like the file's other date columns" if prefer else "month first by default; use --dates eu if day-first"
        )
    for name, d in dates.items():
        col = src[name]
        why = f"not a date in this column's format ({d.format})" if d.format else "not a date (ISO, US or EU format)"
        problems.cells("bad_date", d.bad, col, c[name], why)
        if d.format and d.format != "datetime":
            extra = f" (ambiguous: every day is 12 or less; read {why_order})" if d.ambiguous else ""
            notes.append(f"{col}: dates read as {d.format}{extra}")
        c[name] = d.values


def _resolve_reps(engine, spec, c, src, problems, create_missing, plan_reps):
    """rep_id/rep_name -> the store's rep_id; unknown reps are errors or (create_missing) new reps."""
    reps = store.read_frame(engine, sa.select(schema.reps.c.rep_id, schema.reps.c.name, schema.reps.c.team_id))
    ids = c["rep_id"] if "rep_id" in c else pd.Series(pd.NA, index=c.index, dtype="str")
    names = c["rep_name"] if "rep_name" in c else pd.Series(pd.NA, index=c.index, dtype="str")
    known = set(reps["rep_id"].astype(str))
    resolved = ids.where(ids.isin(known))
    norm = _norm_names(reps["name"]) if len(reps) else pd.Series([], dtype="str")
    counts = norm.value_counts()
    by_name = dict(zip(norm, reps["rep_id"].astype(str)))
    need = resolved.isna() & names.notna()
    if need.any():
        key = _norm_names(names[need])
        hit = key.map(by_name)
        amb = key.map(counts).fillna(0) > 1
        problems.cells(
            "ambiguous_rep",
            amb.reindex(c.index, fill_value=False),
            src.get("rep_name", "rep_name"),
            names,
            "more than one rep has this name; use rep_id",
        )
        resolved = resolved.mask(need, hit.where(~amb).reindex(c.index))
    given = ids.notna() | names.notna()
    if spec.rep_ref == "required":
        problems.cells("missing_value", ~given, src.get("rep_id") or src.get("rep_name"), None, "no rep given")
    unknown = given & resolved.isna()
    if "rep_name" in c:
        unknown &= ~(_norm_names(names.fillna("")).map(counts).fillna(0) > 1)
    team_of = dict(zip(reps["rep_id"].astype(str), reps["team_id"].astype(str)))
    if unknown.any() and create_missing:
        new = pd.DataFrame({"rep_id": ids[unknown], "name": names[unknown]})
        new["rep_id"] = new["rep_id"].fillna("rep-" + new["name"].map(_slug, na_action="ignore"))
        new["name"] = new["name"].fillna(new["rep_id"])
        new = new.drop_duplicates("rep_id")
        resolved = resolved.mask(unknown, ids.where(ids.notna(), "rep-" + names.map(_slug, na_action="ignore")))
        plan_reps.extend(new.itertuples(index=False))
        for rid in new["rep_id"]:
            team_of[rid] = UNASSIGNED_TEAM[0]
    else:
        what = ids.where(ids.notna(), names)
        problems.cells(
            "unknown_rep",
            unknown,
            src.get("rep_id") if "rep_id" in c else src.get("rep_name"),
            what,
            "no rep with this id or name in the store; import reps first or use --create-missing-reps",
        )
    c["rep_id"] = resolved
    return team_of


def _resolve_teams(engine, c, src, problems, new_teams: list) -> pd.Series:
    """A reps file's team columns -> team_id; teams the file describes but the store lacks are created."""
    teams = store.read_frame(engine, sa.select(schema.teams.c.team_id, schema.teams.c.name))
    ids = set(teams["team_id"].astype(str))
    by_name = dict(zip(_norm_names(teams["name"]) if len(teams) else [], teams["team_id"].astype(str)))
    none = pd.Series(pd.NA, index=c.index, dtype="str")
    tid, tname, manager = (c.get(k, none) for k in ("team_id", "team", "manager"))
    region = c.get("region", none).fillna(c.get("office", none))
    # Without a team name, one team per manager: "Team <manager>".
    tname = tname.fillna("Team " + manager)
    team = tid.where(tid.isin(ids))
    described = tname.notna() | region.notna()
    create_by_id = tid.notna() & team.isna() & described
    problems.cells(
        "unknown_team",
        tid.notna() & team.isna() & ~described,
        src.get("team_id", "team_id"),
        tid,
        "no team with this id; import teams first, or add team and region columns to create it",
    )
    team = team.mask(create_by_id, tid)
    by_name_rows = team.isna() & tid.isna() & tname.notna()
    key = _norm_names(tname.fillna(""))
    team = team.mask(by_name_rows, key.map(by_name))
    taken = set(ids)
    for i in c.index[(by_name_rows & team.isna()) | create_by_id]:
        k = key[i]
        if create_by_id[i]:
            new_id = tid[i]
        elif k in by_name:
            new_id = by_name[k]
        else:
            new_id = _slug(tname[i])
            while new_id in taken:
                new_id += "-2"
        if new_id not in taken:
            taken.add(new_id)
            name = tname[i] if pd.notna(tname[i]) else new_id
            new_teams.append(
                (
                    new_id,
                    name,
                    region[i] if pd.notna(region[i]) else "Unassigned",
                    manager[i] if pd.notna(manager[i]) else None,
                )
            )
            by_name.setdefault(_norm_names(pd.Series([name]))[0], new_id)
        team[i] = new_id
    problems.cells("missing_value", team.isna() & tid.isna() & tname.isna(), "team", None, "the rep has no team")
    return team


def _outcomes(spec_stage: pd.Series, c, src, preset, user_rules, problems) -> pd.Series:
    """Deal outcome: user --stage rules, then an outcome column, then IsWon/IsClosed, then preset rules."""
    base = stage_rules(preset)
    key = _norm_names(spec_stage.fillna("")).map(normalise)

    def rule(rules: dict[str, str]) -> pd.Series:
        hit = key.map(rules)
        # HubSpot labels may carry the pipeline: "Closed Won (Sales Pipeline)".
        bare = _norm_names(spec_stage.fillna("")).str.replace(r"\s*\([^)]*\)$", "", regex=True).map(normalise)
        return hit.fillna(bare.map(rules))

    outcome = rule(user_rules) if user_rules else pd.Series(pd.NA, index=c.index, dtype="str")
    if "outcome" in c:
        given = c["outcome"].str.lower()
        bad = given.notna() & ~given.isin(schema.OUTCOMES)
        problems.cells("bad_value", bad, src["outcome"], c["outcome"], "outcome must be open, won or lost")
        outcome = outcome.fillna(given.where(~bad))
    if "is_won" in c and "is_closed" in c:
        flags = pd.Series(
            np.where(c["is_won"].fillna(False), "won", np.where(c["is_closed"].fillna(False), "lost", "open")),
            index=c.index,
        ).where(c["is_closed"].notna() | c["is_won"].notna())
        outcome = outcome.fillna(flags)
    outcome = outcome.fillna(rule(base))
    problems.cells(
        "unmapped_stage",
        spec_stage.notna() & outcome.isna(),
        src.get("stage", "stage"),
        spec_stage,
        'stage has no outcome rule; add one like --stage "<stage>=open|won|lost"',
    )
    return outcome


def _plan(
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
) -> _Plan:
    """Validate ``frame`` for ``table`` and prepare the frames to write (nothing is written here)."""
    t0 = time.perf_counter()
    spec: TableSpec = check_table(table)
    preset = check_preset(preset)
    user_rules = check_stage_rules(stages)
    if date_order is not None and str(date_order).upper() not in ("US", "EU"):
        raise BadImportOption(f"Unknown date order {date_order!r}.", "Use us (month first) or eu (day first).")
    date_order = str(date_order).upper() if date_order else None
    frame = frame if ROW in frame.columns else frame.assign(**{ROW: np.arange(2, len(frame) + 2)})
    columns = [str(col) for col in frame.columns if col != ROW]
    frame.columns = [str(col) for col in frame.columns]
    problems = _Problems(frame[ROW])
    notes: list[str] = []
    ragged = sum(p.kind == "ragged_row" for p in source.problems) if source is not None else 0
    base = dict(table=table, file_name=file_name, preset=preset, rows_read=len(frame) + ragged, dry_run=dry_run)

    if source is not None:
        notes.append(f"encoding {source.encoding}, delimiter {source.delimiter!r}")
        for p in source.problems:
            problems.file(p.kind, p.reason, value=p.value, row=p.row)
        if any(p.kind in ("empty_file", "encoding") for p in source.problems):
            listed, counts, rejected = problems.summary()
            return _Plan(ImportReport(**base, problems=listed, problem_counts=counts, notes=tuple(notes)))
    elif len(frame) == 0:
        problems.file("no_rows", "the data has no rows")

    proposed = propose_mapping(table, columns, preset, mapping)
    norm_cols = {normalise(col) for col in columns}
    for source_col in parse_pairs(mapping, "--map rule"):
        if source_col not in columns and normalise(source_col) not in norm_cols:
            problems.file(
                "missing_column",
                f"--map names the column {source_col!r}, which the file does not have",
                column=source_col,
            )
    src = {f: col for col, f in proposed.items() if f}
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
    if table == "reps" and not {"team_id", "team", "manager"} & set(src):
        problems.file("missing_column", "a reps file needs a team_id or team column (or manager)", column="team_id")

    c = pd.DataFrame({f: frame[col] for f, col in src.items()}, index=frame.index)
    _parse_fields(spec, c, src, problems, notes, date_order)

    # Required values, duplicate ids.
    for f in spec.fields:
        if f.required and f.name in c:
            problems.cells("missing_value", c[f.name].isna(), src[f.name], None, f"{f.name} is empty")
    new_reps: list = []
    new_teams: list = []
    team_of: dict[str, str] = {}
    if spec.rep_ref and ("rep_id" in c or "rep_name" in c):
        team_of = _resolve_reps(engine, spec, c, src, problems, create_missing_reps, new_reps)
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

    out = pd.DataFrame(index=c.index)
    stage_list: tuple = ()
    if table == "teams":
        out["team_id"] = c["team_id"] if "team_id" in c else pd.NA
        out["name"] = c["name"].fillna(c["team_id"]) if "name" in c else out["team_id"]
        out["region"] = c["region"].fillna("Unassigned") if "region" in c else "Unassigned"
        out["manager"] = c.get("manager", pd.Series(pd.NA, index=c.index, dtype="str"))
    elif table == "reps":
        out["rep_id"] = c.get("rep_id")
        out["name"] = c.get("name")
        out["team_id"] = (
            _resolve_teams(engine, c, src, problems, new_teams) if {"team_id", "team", "manager"} & set(c) else pd.NA
        )
        out["role"] = c["role"].fillna("AE") if "role" in c else "AE"
        out["hire_date"] = c["hire_date"] if "hire_date" in c else pd.NaT
        out["ramp_months"] = c["ramp_months"].fillna(0).round().astype("Int64") if "ramp_months" in c else 0
        out["active"] = c["active"].fillna(True) if "active" in c else True
        out["fte"] = c["fte"].fillna(1.0) if "fte" in c else 1.0
        out["email"] = c.get("email", pd.Series(pd.NA, index=c.index, dtype="str"))
    elif table == "quotas":
        pt = c["period_type"].map(normalise, na_action="ignore").map(PERIOD_ALIASES) if "period_type" in c else None
        if pt is not None:
            problems.cells(
                "bad_value",
                c["period_type"].notna() & pt.isna(),
                src["period_type"],
                c["period_type"],
                "period type must be week, month, quarter or year",
            )
            if "period_start" in c:
                d = c["period_start"]
                aligned = (
                    ((pt == "week") & (d.dt.day_of_week == 0))
                    | ((pt == "month") & (d.dt.day == 1))
                    | ((pt == "quarter") & (d.dt.day == 1) & d.dt.month.isin([1, 4, 7, 10]))
                    | ((pt == "year") & (d.dt.day == 1) & (d.dt.month == 1))
                )
                problems.cells(
                    "bad_date",
                    pt.notna() & d.notna() & ~aligned,
                    src["period_start"],
                    frame[src["period_start"]],
                    "not the first day of the period (weeks start on Monday)",
                )
        out["rep_id"] = c.get("rep_id")
        out["period_type"] = pt
        out["period_start"] = c.get("period_start")
        out["amount_cents"] = c.get("amount")
    elif table == "leads":
        stage = (
            c["furthest_stage"].map(normalise, na_action="ignore").map(LEAD_STAGE_ALIASES)
            if "furthest_stage" in c
            else None
        )
        if stage is not None:
            problems.cells(
                "bad_value",
                c["furthest_stage"].notna() & stage.isna(),
                src["furthest_stage"],
                c["furthest_stage"],
                "stage must be lead, mql, sql, opportunity or won",
            )
        out["lead_id"] = c.get("lead_id")
        out["rep_id"] = c.get("rep_id", pd.Series(pd.NA, index=c.index, dtype="str"))
        out["team_id"] = out["rep_id"].map(team_of)
        out["source"] = c.get("source")
        out["created_at"] = c.get("created_at")
        out["furthest_stage"] = stage
    elif table == "deals":
        if "stage" in c:
            outcome = _outcomes(c["stage"], c, src, preset, user_rules, problems)
            summary = pd.DataFrame({"stage": c["stage"], "outcome": outcome.fillna("")}).value_counts(sort=False)
            stage_list = tuple((str(s), str(o), int(n)) for (s, o), n in summary.items())
        else:
            outcome = pd.Series(pd.NA, index=c.index, dtype="str")
        if "created_date" in c and "close_date" in c:
            early = c["close_date"] < c["created_date"]
            problems.cells(
                "close_before_create",
                early,
                src["close_date"],
                frame[src["close_date"]],
                "close date is before the create date",
            )
        closed = outcome.isin(["won", "lost"])
        # A close date that is there but unreadable is already reported as bad_date.
        no_close = closed & (blank_to_na(frame[src["close_date"]]).isna() if "close_date" in c else True)
        problems.cells(
            "missing_value",
            pd.Series(no_close, index=c.index),
            src.get("close_date", "close_date"),
            None,
            "a won or lost deal needs a close date",
        )
        out["deal_id"] = c.get("deal_id")
        for name in ("name", "account", "product", "stage", "forecast_category", "lead_source", "deal_type"):
            out[name] = c[name] if name in c else pd.Series(pd.NA, index=c.index, dtype="str")
        out["rep_id"] = c.get("rep_id")
        out["team_id"] = out["rep_id"].map(team_of)
        out["outcome"] = outcome
        out["amount_cents"] = c["amount"] if "amount" in c else pd.Series(pd.NA, index=c.index, dtype="Int64")
        out["probability"] = (
            c["probability"] if "probability" in c else pd.Series(pd.NA, index=c.index, dtype="Float64")
        )
        out["created_date"] = c.get("created_date")
        out["close_date"] = c["close_date"] if "close_date" in c else pd.NaT
    elif table == "activities":
        out["activity_id"] = c.get("activity_id")
        out["rep_id"] = c.get("rep_id")
        out["team_id"] = out["rep_id"].map(team_of)
        out["type"] = c["type"].str.lower() if "type" in c else pd.NA
        out["occurred_at"] = c.get("occurred_at")
        out["deal_id"] = c.get("deal_id", pd.Series(pd.NA, index=c.index, dtype="str"))

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

    listed, counts, rejected = problems.summary()
    if counts and not rejected and len(frame):
        rejected = len(frame)  # file-level problems reject every row
    provided = tuple(
        sorted({_FIELD_COLUMN.get(f, f) for f in src} & {col.name for col in getattr(schema, table).columns})
    )
    if table == "deals" and "stage" in src:
        provided = tuple(sorted({*provided, "outcome"}))
    if table == "reps" and {"team_id", "team", "manager"} & set(src):
        provided = tuple(sorted({*provided, "team_id"} - {"team", "manager"}))
    if table == "teams":
        provided = tuple(sorted({*provided, "name", "region"}))
    report = ImportReport(
        **base,
        rows_rejected=rejected,
        problems=listed,
        problem_counts=counts,
        mapping=tuple(proposed.items()),
        stages=stage_list,
        created_teams=tuple(f"{t[0]} ({t[1]})" for t in new_teams),
        created_reps=tuple(f"{r.rep_id} ({r.name})" for r in new_reps),
        notes=tuple(notes),
        seconds=time.perf_counter() - t0,
    )
    plan = _Plan(report)
    if counts:
        return plan
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
    plan.writes.append((getattr(schema, table), out.reset_index(drop=True), provided, keep_team))
    return plan


# ---- writing --------------------------------------------------------------------------------------


def _upsert(conn: Connection, table: sa.Table, frame: pd.DataFrame, provided: tuple[str, ...], keep_team: bool):
    """Upsert ``frame`` into ``table`` by its key through a temporary staging table; return (added, updated).

    Rows identical to the stored ones are not touched. On update only the ``provided`` columns
    change; with ``keep_team`` a row keeps its stored team_id unless its rep changed (team_id is
    the team at the time of the deal, not the rep's team today).
    """
    key = [col.name for col in table.primary_key.columns]
    cols = [col.name for col in table.columns]
    stage = sa.Table(
        f"_import_{table.name}",
        sa.MetaData(),
        *[sa.Column(col.name, col.type) for col in table.columns],
        prefixes=["TEMPORARY"],
    )
    stage.create(conn)
    store.bulk_insert(conn, stage, frame)
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
    if added or updated:
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
    conn.execute(sa.text(f"DROP TABLE {stg}"))
    return int(added), int(updated)


def _write(engine: Engine, plan: _Plan, progress: Progress | None) -> ImportReport:
    report = plan.report

    def run(conn: Connection):
        added = updated = 0
        for i, (table, frame, provided, keep_team) in enumerate(plan.writes):
            if progress is not None:
                progress(0.6 + 0.35 * i / len(plan.writes), f"writing {table.name}")
            a, u = _upsert(conn, table, frame, provided, keep_team)
            if table.name == report.table:
                added, updated = a, u
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
        return added, updated, int(import_id)

    added, updated, import_id = store.write(engine, run, f"import {report.table}")
    return replace(
        report,
        rows_added=added,
        rows_updated=updated,
        rows_unchanged=report.rows_read - added - updated,
        written=True,
        import_id=import_id,
    )


# ---- public calls ---------------------------------------------------------------------------------


def _run(engine, table, frame, source, *, dry_run, progress, **options) -> ImportReport:
    t0 = time.perf_counter()
    if progress is not None:
        progress(0.3, "validating")
    plan = _plan(engine, table, frame, source, dry_run=dry_run, **options)
    if not plan.report.ok:
        raise ImportRejected(replace(plan.report, seconds=time.perf_counter() - t0))
    if dry_run:
        return replace(plan.report, seconds=time.perf_counter() - t0)
    report = _write(engine, plan, progress)
    if progress is not None:
        progress(1.0, "done")
    return replace(report, seconds=time.perf_counter() - t0)


def import_frame(
    engine: Engine,
    table: str,
    frame: pd.DataFrame,
    *,
    preset: str | None = None,
    mapping=None,
    stages=None,
    create_missing_reps: bool = False,
    dry_run: bool = False,
    file_name: str | None = None,
    date_order: str | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Validate ``frame`` (columns as in a CRM export) and upsert it into ``table`` in one transaction.

    ``mapping``: ``{"Source column": "field"}`` or ``["Source column=field", …]`` (field '' ignores
    the column); ``stages``: ``{"Stage label": "open|won|lost"}`` or ``["Closed Won=won", …]``;
    ``date_order``: 'us' or 'eu' for columns whose dates read both ways. Raises ImportRejected
    (with ``.report``) on any problem — then nothing is written — and BadImportOption for bad
    options. Returns the report (rows added/updated/unchanged, created reps and teams, notes).
    """
    return _run(
        engine,
        table,
        frame,
        None,
        dry_run=dry_run,
        progress=progress,
        preset=preset,
        mapping=mapping,
        stages=stages,
        create_missing_reps=create_missing_reps,
        file_name=file_name,
        date_order=date_order,
    )


def _read(data: bytes | str | Path, file_name: str | None, progress) -> tuple[SourceFile, str | None]:
    if isinstance(data, (str, Path)):
        path = Path(data)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise BadImportOption(f"Cannot read {path}: {exc.strerror}.", "Check the file's path.") from exc
        return read_csv(raw, progress), file_name or path.name
    return read_csv(data, progress), file_name


def import_file(
    engine: Engine, table: str, data: bytes | str | Path, *, progress=None, dry_run=False, file_name=None, **options
) -> ImportReport:
    """``import_frame`` for a CSV file (a path, or its bytes); same options and errors."""
    source, name = _read(data, file_name, progress)
    return _run(
        engine, table, source.frame, source, dry_run=dry_run, progress=progress, file_name=name, **_defaults(options)
    )


def _defaults(options: dict) -> dict:
    base = dict(preset=None, mapping=None, stages=None, create_missing_reps=False, date_order=None)
    unknown = set(options) - set(base)
    if unknown:
        raise TypeError(f"unknown import options: {sorted(unknown)}")
    return {**base, **options}


def validate_frame(engine: Engine, table: str, frame: pd.DataFrame, **options) -> ImportReport:
    """The dry run: the report of ``import_frame`` without writing and without raising on bad data."""
    file_name = options.pop("file_name", None)
    try:
        return _run(engine, table, frame, None, dry_run=True, progress=None, file_name=file_name, **_defaults(options))
    except ImportRejected as exc:
        return exc.report


def validate_file(engine: Engine, table: str, data: bytes | str | Path, **options) -> ImportReport:
    """The dry run of ``import_file``: a report, never an ImportRejected."""
    file_name = options.pop("file_name", None)
    source, name = _read(data, file_name, None)
    try:
        return _run(
            engine, table, source.frame, source, dry_run=True, progress=None, file_name=name, **_defaults(options)
        )
    except ImportRejected as exc:
        return exc.report


def stage_summary(report: ImportReport) -> pd.DataFrame:
    """A deals report's stages: stage, outcome ('' = no rule), rows."""
    return pd.DataFrame(list(report.stages), columns=["stage", "outcome", "rows"])


def import_history(engine: Engine, limit: int = 50) -> pd.DataFrame:
    """The latest imports, newest first: import_id, imported_at, file_name, table_name, preset,
    rows_added, rows_updated, rows_rejected."""
    log = schema.import_log
    return store.read_frame(engine, sa.select(log).order_by(log.c.import_id.desc()).limit(limit))


def format_report(report: ImportReport) -> str:
    """The report as plain text for the CLI."""
    lines = [
        f"{report.file_name or 'data'} -> {report.table}"
        + (f" (preset {report.preset})" if report.preset else "")
        + f": {report.rows_read:,} row(s) read"
    ]
    mapped = [f"{s} -> {f}" for s, f in report.mapping if f]
    ignored = [s for s, f in report.mapping if not f]
    if mapped:
        lines.append("columns: " + ", ".join(mapped))
    if ignored:
        lines.append("ignored columns: " + ", ".join(ignored))
    lines += [f"note: {n}" for n in report.notes]
    if report.stages:
        lines.append("stages: " + ", ".join(f"{s} = {o or '?'} ({n})" for s, o, n in report.stages))
    if not report.ok:
        lines.append(
            f"REJECTED: {report.problem_total} problem(s) in {report.rows_rejected} row(s); nothing was written."
        )
        lines.append(f"{'row':>7}  {'column':<20} {'value':<24} reason")
        for p in report.problems:
            lines.append(f"{'' if p.row is None else p.row:>7}  {p.column[:20]:<20} {p.value[:24]:<24} {p.reason}")
        if report.problem_total > len(report.problems):
            lines.append(f"… and {report.problem_total - len(report.problems)} more.")
        lines.append("problems by kind: " + ", ".join(f"{k} {n}" for k, n in report.problem_counts))
        return "\n".join(lines)
    if report.created_teams:
        lines.append("created teams: " + ", ".join(report.created_teams))
    if report.created_reps:
        lines.append("created reps: " + ", ".join(report.created_reps))
    if report.written:
        lines.append(
            f"imported: {report.rows_added:,} added, {report.rows_updated:,} updated, "
            f"{report.rows_unchanged:,} unchanged (import #{report.import_id}, {report.seconds:.1f} s)"
        )
    else:
        lines.append(f"dry run: {report.rows_read:,} row(s) valid; nothing was written.")
    return "\n".join(lines)


def preview(data: bytes, table: str, preset: str | None = None, rows: int = 3) -> pd.DataFrame:
    """The file's columns with the proposed field and example values: column, field, example.

    Reads only the first lines, so it is cheap for large files; an unreadable or empty file gives
    an empty frame (the validation report says why).
    """
    try:
        text, _ = decode(data)
    except UnicodeDecodeError:
        text = ""
    source = read_csv("".join(text.splitlines(keepends=True)[: rows + 2]).encode())
    columns = [col for col in source.frame.columns if col != ROW]
    if not columns:
        return pd.DataFrame(columns=["column", "field", "example"])
    mapping = propose_mapping(table, columns, preset)
    examples = [", ".join(v for v in source.frame[col].head(rows).fillna("").astype(str) if v)[:60] for col in columns]
    return pd.DataFrame({"column": columns, "field": [mapping[col] for col in columns], "example": examples})

"""A large CSV imported a chunk at a time: the same checks, the same report, the same rows as read whole.

Three passes over the file (``salesops.ingest.stream``), never more than one chunk in memory:

1. **Profile**: every chunk's distinct values of the fields read per column (dates, amounts,
   percentages) are collected; :class:`Profile` then decides each column's date format, decimal
   mark and percent scale exactly as a whole-file read would (the parsers work on distinct values),
   and keeps each distinct value's reading and problems.
2. **Check and stage**: each chunk is checked like a whole file (``validate.check_rows``; the
   profile's readings stand in for those parsers) and its rows are spooled, bad ones too, to a
   file of their own outside any transaction (``salesops.store.staging.Spool``: DuckDB would hold
   rows appended in an open transaction in memory). Problems are tallied (:class:`Tally`: the first 50 by
   row, every one counted, the rows they touch). Rows keep their file line numbers.
3. **Across rows**: the checks that compare rows (an unusual amount for the team, a duplicate id
   in another chunk) run in SQL over the staged rows, after the per-row checks as a whole read.

Then ONE transaction reads the spooled rows as its stage, runs pass 3 and decides. Any error
rejects the file and the transaction rolls back: nothing is written. Otherwise the staged rows are
upserted, the import logged and the data version bumped in that same transaction. The spool's
files are removed however the import ends (written, rejected, failed or dry run).
"""

from __future__ import annotations

import itertools
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from salesops import store
from salesops.ingest.cells import DECIDED_KINDS, parse_fields
from salesops.ingest.parse import ROW, blank_to_na
from salesops.ingest.report import MAX_LISTED, ImportRejected, ImportReport, ProblemLog, shown
from salesops.ingest.stream import CsvStream
from salesops.ingest.validate import (
    DERIVED_ID,
    UNUSUAL_AMOUNT_FACTOR,
    UNUSUAL_REASON,
    Options,
    Plan,
    _check_source,
    _plan_writes,
    _report,
    check_rows,
    derive_deal_ids,
    map_file_columns,
    provided_columns,
)
from salesops.ingest.write import WARNING_COLUMNS, Progress, warning_frame, write_in, written_report
from salesops.store import schema
from salesops.store.staging import Spool, stage_table

#: Tables a file of which is imported chunk by chunk. Reps, teams and accounts files are read whole:
#: their checks look across all rows (teams created by name, parents named in the file, cycles),
#: and an org has thousands of them, not millions.
CHUNKED_TABLES = ("deals", "leads", "activities", "quotas")


class Profile:
    """The whole file's readings of the fields read per column (see the module docstring)."""

    def __init__(self, opts: Options, src: dict) -> None:
        self.opts, self.src = opts, src
        self.fields = [f.name for f in opts.spec.fields if f.kind in DECIDED_KINDS and f.name in src]
        self.seen: dict[str, dict[str, None]] = {name: {} for name in self.fields}
        self.notes: list[str] = []

    def add(self, frame: pd.DataFrame) -> None:
        for name in self.fields:
            self.seen[name].update(dict.fromkeys(blank_to_na(frame[self.src[name]]).dropna().unique()))

    def decide(self) -> None:
        """Read every distinct value as one column (padded with blanks, which every decision skips)."""
        n = max((len(v) for v in self.seen.values()), default=0) + 1  # the last row is blank in every column
        cols = {name: pd.Series([*v, *[""] * (n - len(v))], dtype="str") for name, v in self.seen.items()}
        frame = pd.DataFrame(cols, index=pd.RangeIndex(n))
        log = ProblemLog(pd.Series(np.arange(n)), strict=self.opts.strict)
        parse_fields(self.opts.spec, frame, self.src, log, self.notes, self.opts.date_order, self.opts.decimal_mark)
        self.blank = n - 1
        self.index = {name: pd.Index(list(v), dtype="object") for name, v in self.seen.items()}
        self.values = {name: frame[name] for name in self.fields}
        self.parts: dict[str, list[tuple[str, np.ndarray, np.ndarray]]] = {}
        for part in log.parts:  # one part per check and column, in the order the checks ran
            column, kind = str(part["column"].iloc[0]), str(part["kind"].iloc[0])
            rows = part["row"].to_numpy(dtype="int64")
            self.parts.setdefault(column, []).append((kind, rows, part["reason"].to_numpy()))
        self.seen = {}

    def apply(self, name: str, c: pd.DataFrame, col: str, problems: ProblemLog) -> None:
        """Read ``c[name]`` (one chunk) with the whole column's readings; report its bad cells."""
        raw = c[name]
        pos = self.index[name].get_indexer(blank_to_na(raw).astype("object"))
        for kind, rows, reasons in self.parts.get(col, []):
            hit = np.isin(pos, rows)
            if not hit.any():
                continue
            why = pd.Series(reasons, index=rows).reindex(pos).to_numpy()
            problems.cells(kind, pd.Series(hit, index=c.index), col, raw, pd.Series(why, index=c.index))
        picked = self.values[name].take(np.where(pos < 0, self.blank, pos))
        c[name] = pd.Series(picked.to_numpy(), index=c.index, dtype=picked.dtype)


class Tally:
    """Problems of every chunk: the first MAX_LISTED by row, every one counted, the rows with errors."""

    def __init__(self, spill: Callable[[pd.DataFrame], object]) -> None:
        self.spill = spill  # stores every warning as it comes (they are recorded per row on write)
        empty = pd.DataFrame(columns=["row", "column", "value", "reason", "kind", "level", "record_id"])
        self.listed = {"error": empty, "warning": empty}
        self.counts: dict[str, Counter] = {"error": Counter(), "warning": Counter()}
        self.error_rows: list[np.ndarray] = []

    def copy(self) -> Tally:
        """A tally that goes on from this one's problems, leaving this one as it is."""
        other = Tally(self.spill)
        other.listed = dict(self.listed)
        other.counts = {level: Counter(c) for level, c in self.counts.items()}
        other.error_rows = list(self.error_rows)
        return other

    def add(self, log: ProblemLog) -> None:
        for level in ("error", "warning"):
            allp = log._all(level)
            if allp.empty:
                continue
            self.counts[level].update(allp["kind"].astype(str))
            both = pd.concat([self.listed[level], allp], ignore_index=True) if len(self.listed[level]) else allp
            self.listed[level] = both.sort_values("row", na_position="first", kind="stable").head(MAX_LISTED)
            if level == "error":
                self.error_rows.append(allp["row"].dropna().to_numpy(dtype="int64"))
            else:
                self.spill(allp)

    def summary(self):
        """As :meth:`ProblemLog.summary`, over every chunk."""
        counts = tuple(sorted((k, int(n)) for k, n in self.counts["error"].items()))
        rows = np.unique(np.concatenate(self.error_rows)) if self.error_rows else np.array([])
        return ProblemLog._listed(self.listed["error"]), counts, len(rows)

    def warnings(self):
        """As :meth:`ProblemLog.warnings`, over every chunk (every warning itself is in the spill)."""
        counts = tuple(sorted((k, int(n)) for k, n in self.counts["warning"].items()))
        return ProblemLog._listed(self.listed["warning"]), counts, self.listed["warning"].iloc[:0]


#: The staged columns besides the table's: the file row, the raw amount and the shown record id.
_EXTRA = ("__row__", "__amount_raw__", "__record__")


def import_chunks(
    engine: Engine,
    stream: CsvStream,
    first_pass: Iterator[pd.DataFrame],
    opts: Options,
    *,
    mapping,
    rows: int,
    file_name: str | None,
    dry_run: bool,
    progress: Progress | None,
) -> ImportReport:
    """Check (and unless ``dry_run`` write) a file read in chunks of ``rows``; raises ImportRejected."""
    t0 = time.perf_counter()
    table = opts.spec.table
    first = next(first_pass)
    columns = [str(col) for col in first.columns if col != ROW]
    _, src = map_file_columns(opts, columns, mapping, ProblemLog(pd.Series([], dtype="int64")), [])
    profile = Profile(opts, src)
    total = 0
    for chunk in itertools.chain([first], first_pass):
        profile.add(chunk)
        total += len(chunk)
    if progress is not None:
        progress(0.2, f"read {total:,} rows; checking")
    profile.decide()
    log0 = ProblemLog(pd.Series([], dtype="int64"), strict=opts.strict)
    notes: list[str] = []
    _check_source(stream.source_file(first), first, log0, notes)
    mapped, src = map_file_columns(opts, columns, mapping, log0, notes)
    notes.extend(profile.notes)
    ragged = sum(p.kind == "ragged_row" for p in stream.problems)
    base: dict[str, Any] = dict(table=table, file_name=file_name, preset=opts.preset, rows_read=total + ragged)
    base.update(dry_run=dry_run, strict=opts.strict)

    rows_def = stage_table(getattr(schema, table), _extra_columns(), loose=True, name="_chunked_")
    with Spool(rows_def) as staged, Spool(_warning_stage()) as warned:
        tally = Tally(lambda found: warned.add(warning_frame(found)))
        tally.add(log0)
        stages, new_reps = _check_chunks(engine, staged, stream, (opts, src, profile), tally, (rows, total), progress)
        checked = len(warned.files)

        def work(conn: Connection) -> ImportReport:
            warned.keep(checked)  # a retried transaction finds the cross-row warnings anew
            run = tally.copy()
            stage = staged.open(conn)
            _check_across(conn, stage, opts, src, run)
            warnings = warned.open(conn)
            report = _report(
                base, run, total, mapped.pairs, tuple((*k, n) for k, n in stages.items()), [], new_reps, notes, t0
            )
            if not report.ok:
                raise ImportRejected(report)
            if dry_run:
                return report
            plan = Plan(report, stage=stage, warning_stage=warnings)
            _plan_writes(engine, plan, table, None, provided_columns(table, src), new_reps, [])
            done = write_in(conn, plan, progress)
            staged.drop(conn)
            warned.drop(conn)
            return written_report(plan.report, *done)

        if dry_run:
            with engine.connect() as conn, conn.begin() as tx:
                report = work(conn)
                tx.rollback()
            return report
        return store.write(engine, work, f"import {table}")


def _warning_stage() -> sa.Table:
    """The stage of the warnings as they are found (a file can have millions)."""
    kinds = {"row_number": sa.BigInteger}
    return sa.Table(
        "_chunked_warnings",
        sa.MetaData(),
        *[sa.Column(name, kinds.get(name, sa.Text)) for name in WARNING_COLUMNS],
        prefixes=["TEMPORARY"],
    )


def _extra_columns() -> tuple[sa.Column, ...]:
    return (sa.Column(_EXTRA[0], sa.BigInteger), sa.Column(_EXTRA[1], sa.Text), sa.Column(_EXTRA[2], sa.Text))


def _check_chunks(engine, staged, stream, checks, tally, sizes, progress):
    """Check every chunk and spool its rows; the merged stage summary and the reps to create."""
    opts, src, profile = checks
    rows, total = sizes
    done = 0
    stages: dict[tuple[str, str], int] = {}
    new_reps: dict[str, tuple] = {}
    key = opts.spec.key[0]
    for frame in stream.chunks(rows):
        if src.get("deal_id") == DERIVED_ID:
            frame = derive_deal_ids(frame, src)
        log = ProblemLog(frame[ROW], strict=opts.strict)
        checked = check_rows(engine, opts, frame, src, log, [], profile)
        tally.add(log)
        for s, o, n in checked.stage_list:
            stages[(s, o)] = stages.get((s, o), 0) + n
        for rep in checked.new_reps:
            new_reps.setdefault(rep.rep_id, rep)
        out = checked.out.reset_index(drop=True)
        out[_EXTRA[0]] = frame[ROW].to_numpy()
        if "amount" in src:
            out[_EXTRA[1]] = frame[src["amount"]].to_numpy()
        if key in src:
            out[_EXTRA[2]] = shown(frame[src[key]]).to_numpy()
        staged.add(out)
        done += len(frame)
        if progress is not None:
            progress(0.2 + 0.4 * done / max(total, 1), f"checked {done:,} of {total:,} rows")
    return stages, list(new_reps.values())


def _check_across(conn: Connection, stage: sa.Table, opts: Options, src: dict, tally: Tally) -> None:
    """The cross-row checks of ``validate.check_cross_rows`` over every staged row, in SQL."""
    stg = f'"{stage.name}"'  # identifiers from the schema, never from the input
    if opts.spec.table == "deals" and "amount" in src:
        found = store.result_frame(
            conn.execute(
                sa.text(
                    f"""SELECT s."__row__" AS r, s."__amount_raw__" AS raw, s."__record__" AS rec
                    FROM {stg} s JOIN (
                        SELECT COALESCE(team_id, '') AS t, COUNT(amount_cents) AS n,
                               percentile_cont(0.5) WITHIN GROUP (ORDER BY CAST(amount_cents AS DOUBLE PRECISION)) AS med
                        FROM {stg} GROUP BY COALESCE(team_id, '')) m ON COALESCE(s.team_id, '') = m.t
                    WHERE m.n >= 5 AND m.med > 0 AND CAST(s.amount_cents AS DOUBLE PRECISION) > :f * m.med
                    ORDER BY s."__row__\""""  # noqa: S608 - schema identifiers only
                ),
                {"f": UNUSUAL_AMOUNT_FACTOR},
            )
        )
        log = ProblemLog(found["r"].astype("int64"), strict=opts.strict)
        log.record_ids = found["rec"].to_numpy()
        log.cells("unusual_amount", pd.Series(True, index=found.index), src["amount"], found["raw"], UNUSUAL_REASON)
        tally.add(log)
    key = list(opts.spec.key)
    if not all(k in stage.c for k in key):
        return
    keys = ", ".join(f'"{k}"' for k in key)
    found = store.result_frame(
        conn.execute(
            sa.text(
                f"""SELECT r, k, f FROM (
                    SELECT "__row__" AS r, "{key[0]}" AS k, MIN("__row__") OVER (PARTITION BY {keys}) AS f
                    FROM {stg} WHERE {" AND ".join(f'"{k}" IS NOT NULL' for k in key)}) d
                WHERE r > f ORDER BY r"""  # noqa: S608 - schema identifiers only
            )
        )
    )
    log = ProblemLog(found["r"].astype("int64"), strict=opts.strict)
    first = found["f"].astype("int64").astype(str)
    log.cells(
        "duplicate_id",
        pd.Series(True, index=found.index),
        src.get(key[0], key[0]),
        found["k"].astype("object"),
        "duplicate id; first seen on row " + first,
    )
    tally.add(log)

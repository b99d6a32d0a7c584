"""Import CRM exports (Salesforce, HubSpot, any CSV) and DataFrames: validated, idempotent, all-or-nothing.

The public calls (re-exported by ``salesops.ingest``):

* ``import_frame(engine, table, frame, *, preset, mapping, stages, create_missing_reps, dry_run,
  file_name, date_order, progress) -> ImportReport`` — validate a DataFrame and, when it has no
  problem, upsert it by id in one transaction (``store.write``: the data version bumps, caches
  refresh) and log the import. Any problem raises :class:`ImportRejected` (carrying the report)
  and writes nothing at all.
* ``import_file(engine, table, data, …)`` — the same for CSV bytes or a path (encodings, empty
  files, ragged rows …, see ``salesops.ingest.parse``).
* ``validate_frame`` / ``validate_file`` — the dry run that never raises for bad data: the app
  shows its report before the user confirms.
* ``import_history(engine)`` — the import log; ``preview(data, table)`` — the proposed mapping.

Fields are data in ``salesops.ingest.spec`` and presets in ``salesops.ingest.presets``; the checks
are in ``salesops.ingest.validate`` and the write in ``salesops.ingest.write``; docs/IMPORT.md
explains them.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import replace
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from salesops import config, store
from salesops.ingest.chunked import CHUNKED_TABLES, import_chunks
from salesops.ingest.parse import ROW, decode, read_csv
from salesops.ingest.presets import propose_mapping
from salesops.ingest.report import ImportRejected, ImportReport
from salesops.ingest.stream import CsvStream, open_csv
from salesops.ingest.validate import check_options, plan_import
from salesops.ingest.write import Progress, write_plan
from salesops.store import schema


def _run(engine, table, frame, source, *, dry_run, progress, **options) -> ImportReport:
    t0 = time.perf_counter()
    if progress is not None:
        progress(0.3, "validating")
    plan = plan_import(engine, table, frame, source, dry_run=dry_run, **options)
    if not plan.report.ok:
        raise ImportRejected(replace(plan.report, seconds=time.perf_counter() - t0))
    if dry_run:
        return replace(plan.report, seconds=time.perf_counter() - t0)
    report = write_plan(engine, plan, progress)
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
    strict: bool = False,
    decimal_mark: str | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Validate ``frame`` (columns as in a CRM export) and upsert it into ``table`` in one transaction.

    ``mapping``: ``{"Source column": "field"}`` or ``["Source column=field", …]`` (field '' ignores
    the column); ``stages``: ``{"Stage label": "open|won|lost"}`` or ``["Closed Won=won", …]``;
    ``date_order``: 'us' or 'eu' for columns whose dates read both ways; ``strict``: warnings
    (questionable CRM data, docs/IMPORT.md) reject the file like errors; ``decimal_mark``: '.' or
    ',' for amounts (default: proven by each column, ambiguous values rejected). Raises ImportRejected
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
        strict=strict,
        decimal_mark=decimal_mark,
    )


def import_file(
    engine: Engine,
    table: str,
    data: bytes | str | Path,
    *,
    progress=None,
    dry_run=False,
    file_name=None,
    chunk_rows: int | None = None,
    **options,
) -> ImportReport:
    """``import_frame`` for a CSV file (a path, or its bytes); same options and errors.

    The file is read ``chunk_rows`` rows at a time (default SALESOPS_IMPORT_CHUNK_ROWS): one that
    fits in a chunk is checked whole; a longer deals, leads, activities or quotas file is checked
    and staged chunk by chunk (``salesops.ingest.chunked``) with the same report and the same rows.
    """
    return _file(engine, table, data, file_name, progress, dry_run, chunk_rows, _defaults(options))


def _file(engine, table, data, file_name, progress, dry_run, chunk_rows, options) -> ImportReport:
    name = file_name or (Path(data).name if isinstance(data, (str, Path)) else None)
    source = open_csv(data)
    if isinstance(source, CsvStream):
        rows = chunk_rows or config.import_chunk_rows()
        if table not in CHUNKED_TABLES:
            rows = 2**62  # read whole: see CHUNKED_TABLES
        reading = None if progress is None else (lambda f, text: progress(0.2 * f, text))
        chunks = source.chunks(rows, reading)
        first = next(chunks)
        second = next(chunks, None)
        if second is not None:
            opts = check_options(table, **{k: v for k, v in options.items() if k not in ("mapping",)})
            first_pass = itertools.chain([first, second], chunks)
            return import_chunks(
                engine,
                source,
                first_pass,
                opts,
                mapping=options["mapping"],
                rows=rows,
                file_name=name,
                dry_run=dry_run,
                progress=progress,
            )
        source = source.source_file(first)
    return _run(engine, table, source.frame, source, dry_run=dry_run, progress=progress, file_name=name, **options)


def _defaults(options: dict) -> dict:
    base = dict(
        preset=None,
        mapping=None,
        stages=None,
        create_missing_reps=False,
        date_order=None,
        strict=False,
        decimal_mark=None,
    )
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
    chunk_rows = options.pop("chunk_rows", None)
    try:
        return _file(engine, table, data, file_name, None, True, chunk_rows, _defaults(options))
    except ImportRejected as exc:
        return exc.report


def import_history(engine: Engine, limit: int = 50) -> pd.DataFrame:
    """The latest imports, newest first: import_id, imported_at, file_name, table_name, preset,
    rows_added, rows_updated, rows_rejected."""
    log = schema.import_log
    return store.read_frame(engine, sa.select(log).order_by(log.c.import_id.desc()).limit(limit))


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

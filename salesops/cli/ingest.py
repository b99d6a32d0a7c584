"""CLI: ``import TABLE FILE`` — load a CRM export (Salesforce, HubSpot, any CSV) into the store."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from salesops import access, audit, config, ingest, store
from salesops.cli import common as cli
from salesops.forecasts import choice, outlook_cache
from salesops.ingest.presets import PRESET_NAMES
from salesops.ingest.spec import TABLES


def register(subs) -> None:
    p = subs.add_parser(
        "import",
        help="import a CSV export into a table (validated; all or nothing; see docs/IMPORT.md)",
        description="Validate a CSV export and upsert it by id in one transaction. Any problem: nothing is "
        "written, the report lists each problem (row, column, value, reason) and the exit code is 2.",
    )
    p.add_argument("table", choices=(*TABLES, "users"), help="the table to import into (users: docs/ACCESS.md)")
    p.add_argument("file", help="the CSV file")
    p.add_argument("--preset", choices=PRESET_NAMES, help="the export's vendor: column names and stage rules")
    p.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="SOURCE=FIELD",
        help='map a file column to a field, e.g. --map "Opportunity Owner=rep_name" (FIELD empty: ignore); repeatable',
    )
    p.add_argument(
        "--stage",
        action="append",
        default=[],
        metavar="LABEL=OUTCOME",
        help='deal stage -> open|won|lost, e.g. --stage "Closed Won=won"; repeatable',
    )
    p.add_argument("--create-missing-reps", action="store_true", help="create reps the file names but the store lacks")
    p.add_argument(
        "--dates", choices=("us", "eu"), help="read ambiguous dates (day and month <= 12) month-first or day-first"
    )
    p.add_argument(
        "--decimal-mark",
        choices=(".", ","),
        help="the amounts' decimal mark: . (1,234.56) or , (1.234,56); default: proven by each column, "
        "ambiguous values (1.500) rejected",
    )
    p.add_argument(
        "--strict",
        action="store_true",
        help="treat warnings (questionable CRM data: close before create, …) as errors that reject the file",
    )
    p.add_argument("--dry-run", action="store_true", help="validate only; write nothing")
    cli.add_db_option(p)
    p.set_defaults(func=run_import)


def run_import(args: argparse.Namespace) -> int:
    engine = store.open_store(args.db)
    if args.table == "users":  # sign-in users, not CRM data: salesops.access checks and writes them
        print(f"Imported {access.import_users(engine, args.file)} users.")
        return 0
    try:
        report = ingest.import_file(
            engine,
            args.table,
            args.file,
            preset=args.preset,
            mapping=args.map,
            stages=args.stage,
            create_missing_reps=args.create_missing_reps,
            date_order=args.dates,
            strict=args.strict,
            decimal_mark=args.decimal_mark,
            dry_run=args.dry_run,
        )
    except ingest.ImportRejected as exc:
        print(ingest.format_report(exc.report), file=sys.stderr)
        raise
    print(ingest.format_report(report))
    if not args.dry_run:
        audit.record(engine, "cli", "import", f"{args.table} from {Path(args.file).name}")
        started = time.perf_counter()
        done = outlook_cache.warm_after_import(engine, args.table, config.today())
        if done:
            print(f"Forecast outlooks computed ahead for {', '.join(done)} ({time.perf_counter() - started:.0f} s).")
            started = time.perf_counter()
            if choice.warm_after_import(engine, args.table, config.today()):
                print(f"Each forecast series' model chosen by backtest ({time.perf_counter() - started:.0f} s).")
    return 0

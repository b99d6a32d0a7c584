"""CLI: ``demo`` (build the demo organisation), ``migrate`` (upgrade the schema), ``backup``
(export a DuckDB store) and ``info``."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from salesops import config, demo, store
from salesops.cli import common as cli
from salesops.cli import review
from salesops.store.backup import export_store


def register(subs) -> None:
    p = subs.add_parser("demo", help="build the demo organisation (replaces the store's contents)")
    p.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    p.add_argument("--scale", choices=demo.SCALES, default="small", help="size (default small)")
    p.add_argument("--if-missing", action="store_true", help="do nothing when the store already has data")
    p.add_argument(
        "--warm",
        choices=("all", "outlooks", "quarter", "none"),
        default="all",
        help="computed ahead: this quarter's and month's outlooks and each series' model choice (all, default; "
        "the choice takes minutes and needs SALESOPS_MODEL_CHOICE=1), both outlooks only, the quarter's, or none "
        "(the Forecasts page then computes the outlooks on first view)",
    )
    cli.add_db_option(p)
    p.set_defaults(func=run_demo)

    p = subs.add_parser("migrate", help="upgrade the store's schema in place to this version (back up first)")
    cli.add_db_option(p)
    p.set_defaults(func=run_migrate)

    p = subs.add_parser("backup", help="export a DuckDB store to a new folder (PostgreSQL: pg_dump)")
    p.add_argument("folder", help="the folder to create (schema + one Parquet file per table)")
    cli.add_db_option(p)
    p.set_defaults(func=run_backup)

    p = subs.add_parser("info", help="the store's URL, schema, data version and row counts")
    cli.add_db_option(p)
    p.set_defaults(func=run_info)


def run_demo(args: argparse.Namespace) -> int:
    with config.build_memory(args.scale):  # the build's own DuckDB default (config.default_duckdb_memory)
        engine = store.open_store(args.db)
        if args.if_missing and store.table_counts(engine)["deals"] > 0:
            print("The store already has data; left as it is.")
            return 0
        summary = demo.build_demo(engine, seed=args.seed, scale=args.scale)
        engine.dispose()
        # The year of review snapshots too, at the build's limit: at the app's (2GB) the medium
        # demo's snapshots peaked at 2.4 GB, at the build's 1GB at 1.3 GB (issue #21's 1.5 GB).
        engine = store.open_store(args.db)
        summary.counts["review_snapshots"] = review.take_demo_history(engine, summary.today)
        engine.dispose()  # connections made later (the outlooks below) take the app's limit
    engine = store.open_store(args.db)
    print(f"Built the {summary.scale} demo (seed {summary.seed}, up to {summary.today}):")
    for table, n in summary.counts.items():
        print(f"  {table:20s} {n:>12,d}")
    if args.warm != "none":
        from salesops.forecasts.outlook_cache import warm_outlooks

        print("Computing the outlooks ahead (docs/FORECASTS.md)…", flush=True)
        kinds = ("quarter",) if args.warm == "quarter" else ("quarter", "month")
        periods = warm_outlooks(engine, summary.today, kinds)
        print(f"  outlooks of {', '.join(periods) or 'nothing (no won deals)'} stored")
        if args.warm == "all" and periods and config.get("SALESOPS_MODEL_CHOICE").strip() != "0":
            from salesops.forecasts.agreement import warm_agreement
            from salesops.forecasts.choice import warm_choices

            print("Choosing each series' model by backtest (Prophet fits; a few minutes)…", flush=True)
            started = time.perf_counter()
            warm_choices(engine, summary.today)
            print(f"  model choice stored ({time.perf_counter() - started:.0f} s)")
            if warm_agreement(engine, summary.today):
                print("  weekly vs monthly views of the quarter compared and stored")
    return 0


def run_migrate(args: argparse.Namespace) -> int:
    before, after = store.migrate_store(args.db)
    if before == after:
        print(f"The store is up to date (schema revision {after}).")
    elif before is None:
        print(f"Created the schema (revision {after}) in the empty database.")
    else:
        print(f"Upgraded the store from schema revision {before} to {after}.")
    return 0


def run_backup(args: argparse.Namespace) -> int:
    engine = store.open_store(args.db)
    folder = export_store(engine, Path(args.folder))
    print(f"Exported the store to {folder} (restore: IMPORT DATABASE '{folder}' in a new DuckDB file).")
    return 0


def run_info(args: argparse.Namespace) -> int:
    engine = store.open_store(args.db)
    out = {
        "url": engine.url.render_as_string(hide_password=True),
        "data_version": store.data_version(engine),
        "last_updated": str(store.last_updated(engine)),
        "counts": store.table_counts(engine),
    }
    print(json.dumps(out, indent=1))
    return 0

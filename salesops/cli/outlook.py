"""CLI: ``outlook`` — what a quarter or month will close (won + pipeline + run-rate, calibrated), and
``outlook-backtest`` — its track record as of past dates against Prophet alone and seasonal naive.

``outlook`` prints one row per series (columns: :data:`salesops.forecasts.outlook.COLUMNS`, money
in cents); ``outlook-backtest`` the accuracy table of docs/FORECASTS.md; ``model-choice`` each
series' model chosen by that backtest (stored for the Forecasts page).
"""

from __future__ import annotations

import argparse
import sys
import time

from salesops import config, export, store
from salesops.cli import common as cli
from salesops.forecasts.outlook import OUTLOOK_BY, outlook


def register(subs) -> None:
    p = subs.add_parser(
        "outlook",
        help="the outlook of a quarter or month: won so far + weighted pipeline + run-rate, P10/P50/P90",
        description="Outlook of a period (cents): expected total, calibrated P10/P50/P90, chance of quota.",
    )
    p.add_argument("--period", required=True, metavar="PERIOD", help="a quarter (2026-Q4) or a month (2026-11)")
    p.add_argument(
        "--by", choices=OUTLOOK_BY, default="company", help="one row for the company, or per region/team/rep"
    )
    p.add_argument("--as-of", metavar="DATE", help="as known on this date, YYYY-MM-DD (default: today)")
    cli.add_db_option(p)
    cli.add_output_options(p)
    p.set_defaults(func=run_outlook)

    b = subs.add_parser(
        "outlook-backtest",
        help="the outlook's track record against Prophet alone and seasonal naive",
        description="Backtest of the quarter outlook as of past dates (start, 1/3, 2/3 into each quarter).",
    )
    b.add_argument("--as-of", metavar="DATE", help="backtest the periods ended by this date (default: today)")
    b.add_argument("--no-prophet", action="store_true", help="skip the Prophet baseline (fast)")
    b.add_argument(
        "--kind",
        choices=("quarter", "month"),
        default="quarter",
        help="quarters (against Prophet alone and seasonal naive, default) or months (the outlook alone)",
    )
    cli.add_db_option(b)
    b.add_argument("--format", choices=("csv", "json", "markdown"), default="csv", help="output format (default csv)")
    b.set_defaults(func=run_backtest)

    c = subs.add_parser(
        "model-choice",
        help="choose each forecast series' model by backtest (outlook, Prophet alone, seasonal naive) and store it",
        description="Scores the three methods per series on the outlook backtest (minutes: Prophet fits on the "
        "worker pool), stores the choice the Forecasts page reads, and prints the table (docs/FORECASTS.md).",
    )
    c.add_argument("--as-of", metavar="DATE", help="as known on this date (default: today)")
    cli.add_db_option(c)
    cli.add_output_options(c)
    c.set_defaults(func=run_model_choice)


def run_outlook(args: argparse.Namespace) -> int:
    as_of = cli.parse_date(args.as_of, "--as-of") or config.today()
    engine = store.open_store(args.db)
    frame = outlook(engine, args.period, args.by, as_of)
    sys.stdout.write(export.render(frame, args.format))
    if args.format == "json":
        sys.stdout.write("\n")
    return 0


def run_model_choice(args: argparse.Namespace) -> int:
    from salesops.forecasts.agreement import warm_agreement
    from salesops.forecasts.choice import warm_choices

    as_of = cli.parse_date(args.as_of, "--as-of") or config.today()
    engine = store.open_store(args.db)
    started = time.perf_counter()
    table = warm_choices(engine, as_of)
    warm_agreement(engine, as_of)  # the page's weekly-vs-monthly line, stored with the choice
    sys.stdout.write(export.render(table, args.format))
    if args.format == "json":
        sys.stdout.write("\n")
    chosen = table.loc[table["chosen"].astype(bool), "method"].value_counts()
    summary = ", ".join(f"{m} {n}" for m, n in chosen.items()) or "no series (no history)"
    print(f"Chosen per series: {summary}; stored ({time.perf_counter() - started:.0f} s).", file=sys.stderr)
    return 0


def run_backtest(args: argparse.Namespace) -> int:
    from salesops.forecasts.scorecard import scorecard, to_markdown

    as_of = cli.parse_date(args.as_of, "--as-of") or config.today()
    engine = store.open_store(args.db)
    table = scorecard(engine, args.kind, as_of, prophet=not args.no_prophet)
    if args.format == "markdown":
        sys.stdout.write(to_markdown(table, "months" if args.kind == "month" else "quarters"))
    else:
        sys.stdout.write(export.render(table, args.format))
    if args.format != "csv":
        sys.stdout.write("\n")
    return 0

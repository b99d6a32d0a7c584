"""CLI: ``snapshot`` (store this week's review figures) and ``digest`` (the review as an e-mail).

This module is the composition layer of the review: it hands the review job the outlook it stores
(``salesops.store.outlook``), so the review package never imports the forecasts package.
"""

from __future__ import annotations

import argparse
from datetime import date, timedelta

from salesops import config, store
from salesops.cli import common as cli
from salesops.errors import InvalidFilter
from salesops.review import snapshots
from salesops.store.outlook import Outlook, pipeline_outlook

#: The outlook every snapshot stores (docs/REVIEW.md, "The outlook").
OUTLOOK: Outlook = pipeline_outlook

#: Weeks of snapshots the demo takes from its own history.
DEMO_WEEKS = 52


def register(subs) -> None:
    p = subs.add_parser(
        "snapshot",
        help="store the weekly review snapshot (figures per company, region, team and rep)",
        description="Store the review snapshot as of a date (default: yesterday, the Sunday when run on Monday).",
    )
    p.add_argument("--as-of", metavar="DATE", help="the last day counted, YYYY-MM-DD (default: yesterday)")
    p.add_argument("--weeks", type=int, default=1, help="also the N−1 weeks before it (default 1: that day only)")
    cli.add_db_option(p)
    p.set_defaults(func=run_snapshot)


def take_weekly(engine, as_of: date, weeks: int, today: date) -> int:
    """Store the snapshots of ``as_of`` and the ``weeks − 1`` weeks before it; return the rows written."""
    dates = [as_of - timedelta(weeks=i) for i in range(max(1, weeks) - 1, -1, -1)]
    return snapshots.take_snapshots(engine, dates, today, OUTLOOK, keep_years=config.snapshot_years())


def take_demo_history(engine, today: date) -> int:
    """A year of weekly snapshots (every Sunday before ``today``) rebuilt from the demo's history."""
    dates = snapshots.weekly_dates(today, DEMO_WEEKS)
    return snapshots.take_snapshots(engine, dates, today, OUTLOOK, keep_years=config.snapshot_years())


def run_snapshot(args: argparse.Namespace) -> int:
    today = config.today()
    as_of = cli.parse_date(args.as_of, "--as-of") or today - timedelta(days=1)
    snapshots.check_as_of(as_of, today)
    if args.weeks < 1:
        raise InvalidFilter(f"--weeks {args.weeks} is not a number of weeks.", "Use --weeks 1 or more.")
    engine = store.open_store(args.db)
    rows = take_weekly(engine, as_of, args.weeks, today)
    print(f"Stored {rows:,} snapshot rows as of {as_of} ({args.weeks} week{'s' if args.weeks > 1 else ''}).")
    return 0

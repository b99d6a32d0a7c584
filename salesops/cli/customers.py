"""CLI: ``customers`` — per period: won revenue new vs existing, active/new/returning/lost customers."""

from __future__ import annotations

import argparse

from salesops import config, customers, export, store
from salesops.cli import common as cli
from salesops.scope import Scope

GRAINS = tuple(customers.TREND_PERIODS)


def register(subs) -> None:
    p = subs.add_parser(
        "customers",
        help="per period: won revenue from new vs existing customers, active/new/returning/lost customers",
        description="Customers and retention per period (definitions: docs/CUSTOMERS.md). Money columns are "
        "integer cents; the current period is partial and counts up to today.",
    )
    p.add_argument("--grain", choices=GRAINS, default="quarter", help="period grain (default quarter)")
    p.add_argument(
        "--by", choices=customers.BY, default="company", help="one row set for the company, or per region / team"
    )
    p.add_argument(
        "--from",
        dest="start",
        metavar="DATE",
        help="first day (YYYY-MM-DD; default: 11 months, 7 quarters or 3 years back)",
    )
    p.add_argument("--to", dest="end", metavar="DATE", help="last day (YYYY-MM-DD; default: today)")
    cli.add_db_option(p)
    cli.add_output_options(p)
    p.set_defaults(func=run_customers)


def run_customers(args: argparse.Namespace) -> int:
    today = config.today()
    end = cli.parse_date(args.end, "--to") or today
    start = cli.parse_date(args.start, "--from")
    # Without --from: the page's default per-period view (customers.trend_scope).
    scope = Scope(start=start or end, end=end, grain=args.grain)
    if start is None:
        scope = customers.trend_scope(scope)
    engine = store.open_store(args.db)
    frame = customers.customer_periods(engine, scope, args.by, today)
    print(export.render(frame, args.format), end="" if args.format == "csv" else "\n")
    return 0

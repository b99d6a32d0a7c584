"""CLI: ``metrics`` — won/lost, revenue, win rate, deal size, cycle, quota and attainment per group and period."""

from __future__ import annotations

import argparse

from salesops import config, export, store
from salesops import performance as metrics
from salesops.cli import common as cli
from salesops.scope import GRAINS, Scope, period_start, shift

#: Periods shown when --from is not given: the current one and the three before it.
DEFAULT_PERIODS = 4


def register(subs) -> None:
    p = subs.add_parser(
        "metrics",
        help="per group and period: won/lost counts, won revenue, win rate, avg deal, cycle, quota, attainment",
        description="Performance per group and period (definitions: docs/METRICS.md). Money columns are "
        "integer cents. Events count inside --from..--to; quota is that of the whole periods touched.",
    )
    p.add_argument(
        "--by", choices=metrics.BY, default="team", help="group by rep, team, region or company (default team)"
    )
    p.add_argument("--grain", choices=GRAINS, default="quarter", help="period grain (default quarter)")
    p.add_argument(
        "--from", dest="start", metavar="DATE", help="first day (YYYY-MM-DD; default: start of 3 periods ago)"
    )
    p.add_argument("--to", dest="end", metavar="DATE", help="last day (YYYY-MM-DD; default: today)")
    cli.add_db_option(p)
    cli.add_output_options(p)
    p.set_defaults(func=run_metrics)


def run_metrics(args: argparse.Namespace) -> int:
    end = cli.parse_date(args.end, "--to") or config.today()
    start = cli.parse_date(args.start, "--from") or shift(
        period_start(end, args.grain), args.grain, -(DEFAULT_PERIODS - 1)
    )
    scope = Scope(start=start, end=end, grain=args.grain)
    engine = store.open_store(args.db)
    frame = metrics.metrics_by_period(engine, scope, args.by)
    print(export.render(frame, args.format), end="" if args.format == "csv" else "\n")
    return 0

"""CLI: ``health`` — what to fix in the CRM: flagged records per check (and team), trust scores (docs/DATA_HEALTH.md)."""

from __future__ import annotations

import argparse

from salesops import config, export, health, store
from salesops.cli import common as cli
from salesops.errors import InvalidFilter


def register(subs) -> None:
    p = subs.add_parser(
        "health",
        help="data health: stale, overdue, pushed, duplicate deals, missing amounts, import warnings, quota gaps",
        description="Counts and value per check (money in cents); --by team adds each team's data-trust score; "
        "--details lists every flagged record to fix in the CRM.",
    )
    p.add_argument("--by", choices=("company", "team"), default="company", help="one row per check, or per team")
    p.add_argument("--details", action="store_true", help="list every flagged record instead of the counts")
    p.add_argument(
        "--stale-days", type=int, default=30, metavar="N", help="an open deal is stale after N days untouched (30)"
    )
    cli.add_output_options(p)
    cli.add_db_option(p)
    p.set_defaults(func=run_health)


def run_health(args: argparse.Namespace) -> int:
    if not 1 <= args.stale_days <= 3650:
        raise InvalidFilter(f"--stale-days {args.stale_days} is out of range.", "Use a number of days from 1 to 3650.")
    engine = store.open_store(args.db)
    settings = health.HealthSettings(today=config.today(), stale_days=args.stale_days)
    if args.details:
        frame = health.find_flags(engine, settings)  # every flagged record: the one list held whole
    else:
        frame = health.flag_counts(engine, settings, by_team=args.by == "team")
        if args.by == "team":
            scores = health.trust_scores(engine, settings, counts=frame)[["team_id", "trust"]]
            frame = frame.merge(scores, on="team_id", how="left")
    print(export.render(frame, args.format), end="")
    return 0

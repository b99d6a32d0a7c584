"""CLI: ``leaderboard`` — the ranked rep or team board as CSV or JSON (docs/LEADERBOARDS.md)."""

from __future__ import annotations

import argparse

from salesops import config, export, store
from salesops import leaderboards as lb
from salesops.cli import common as cli
from salesops.errors import InvalidFilter
from salesops.scope import GRAINS, Scope, period_start

#: Columns written per board (money in cents, rates 0..1); the trend is the metric's last periods.
REP_COLUMNS = [
    "rank",
    "movement",
    "rep_id",
    "name",
    "role",
    "team_id",
    "team_name",
    "cohort",
    "value",
    "attainment",
    "won_cents",
    "quota_cents",
    "win_rate",
    "won_count",
    "lost_count",
    "avg_deal_cents",
    "activities",
    "pipeline_cents",
    "flag",
    "flag_basis",
    "reason",
]
TEAM_COLUMNS = [
    "rank",
    "movement",
    "team_id",
    "team_name",
    "reps",
    "value",
    "attainment",
    "won_cents",
    "quota_cents",
    "win_rate",
    "won_count",
    "lost_count",
    "avg_deal_cents",
    "activities",
    "pipeline_cents",
]


def register(subs) -> None:
    p = subs.add_parser(
        "leaderboard",
        help="rank reps or teams by a metric (attainment, won revenue, win rate, …)",
        description="Rank reps or teams by a metric over a date range, with movement against the previous period.",
    )
    p.add_argument(
        "--metric", default=lb.DEFAULT_METRIC, help=f"one of: {', '.join(lb.METRICS)} (default {lb.DEFAULT_METRIC})"
    )
    p.add_argument("--by", choices=("rep", "team"), default="rep", help="rank reps or teams (default rep)")
    p.add_argument(
        "--from", dest="start", type=cli.date_arg, help="first day, YYYY-MM-DD (default: start of the period)"
    )
    p.add_argument("--to", dest="end", type=cli.date_arg, help="last day, YYYY-MM-DD (default: today)")
    p.add_argument("--grain", choices=GRAINS, default="quarter", help="period for quota and movement (default quarter)")
    p.add_argument("--team", help="only this team id")
    p.add_argument("--region", help="only this region")
    p.add_argument("--cohort", default="all", help=f"one of: {', '.join(lb.COHORTS)} (default all)")
    p.add_argument("--role", default="all", help=f"one of: {', '.join(lb.ROLES)} (default all)")
    p.add_argument("--weights", default="", help="composite weights, e.g. attainment=3,win_rate=1")
    cli.add_db_option(p)
    cli.add_output_options(p)
    p.set_defaults(func=run_leaderboard)


def run_leaderboard(args: argparse.Namespace) -> int:
    lb.check_metric(args.metric)  # before opening the store: a typo is reported at once
    if args.weights and args.metric != "composite":
        raise InvalidFilter(
            "--weights only applies to --metric composite.", "Add --metric composite or drop --weights."
        )
    weights = lb.parse_weights(args.weights) if args.weights else None
    end = args.end or config.today()
    start = args.start or period_start(end, args.grain)
    scope = Scope(start=start, end=end, grain=args.grain, region=args.region, team_id=args.team)
    engine = store.open_store(args.db)
    board = lb.board(engine, scope, args.metric, by=args.by, weights=weights, cohort=args.cohort, role=args.role)
    columns = REP_COLUMNS if args.by == "rep" else TEAM_COLUMNS
    if args.metric != "composite":  # the ranked metric is already one of the columns
        columns = [c for c in columns if c != "value"]
    frame = board[columns].rename(columns={"value": "score"})
    print(export.render(frame, args.format), end="")
    return 0

"""CLI: ``survey-results``, ``survey-open`` (a new round and its links) and ``fairness`` (lead split)."""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta

from salesops import config, export, store
from salesops.cli import common as cli
from salesops.errors import InvalidFilter
from salesops.scope import Scope
from salesops.tools import fairness, results, rounds, survey


def register(subs) -> None:
    p = subs.add_parser("survey-results", help="tool survey scores per round and tool (or per team)")
    p.add_argument("--round", metavar="R", help="one round id (default: every round, oldest first)")
    p.add_argument(
        "--by", choices=("tool", "team"), default="tool", help="tool: per tool; team: per tool and team of the round"
    )
    cli.add_db_option(p)
    cli.add_output_options(p)
    p.set_defaults(func=run_survey_results)

    p = subs.add_parser("survey-open", help="open a survey round and print one link per active rep")
    p.add_argument("--name", required=True, help="the round's name, e.g. 'Tool survey May 2026'")
    p.add_argument("--tools", required=True, help="comma-separated tool ids (see the tools table), e.g. crm,dialer")
    p.add_argument("--opens", type=cli.date_arg, help="first day answers are accepted (default today)")
    p.add_argument("--closes", type=cli.date_arg, help="last day answers are accepted (default opens + 21 days)")
    p.add_argument("--team", action="append", metavar="T", help="invite only this team (repeatable)")
    p.add_argument("--base-url", default="", help="prefix for the links, e.g. https://salesops.example.com")
    cli.add_db_option(p)
    cli.add_output_options(p)
    p.set_defaults(func=run_survey_open)

    p = subs.add_parser("fairness", help="leads per rep against their fair share (or per team with Gini)")
    p.add_argument("--by", choices=("rep", "team", "month"), default="rep", help="rep (default), team, or month trend")
    p.add_argument("--from", dest="start", type=cli.date_arg, help="first day (default: start of the current quarter)")
    p.add_argument("--to", dest="end", type=cli.date_arg, help="last day (default: today)")
    p.add_argument("--team", metavar="T", help="one team id")
    p.add_argument("--weighting", choices=fairness.WEIGHTINGS, default="capacity", help="fair share (default capacity)")
    cli.add_db_option(p)
    cli.add_output_options(p)
    p.set_defaults(func=run_fairness)


def run_survey_results(args: argparse.Namespace) -> int:
    engine = store.open_store(args.db)
    if args.by == "team":
        if not args.round:
            known = rounds.load_rounds(engine)
            if known.empty:
                raise survey.UnknownRound("There are no survey rounds yet.", "Open one with `survey-open`.")
            args.round = known["round_id"].iloc[0]
        results.tool_results(engine, args.round)  # raises UnknownRound for a wrong id
        frame = results.team_breakdown(engine, args.round).assign(round_id=args.round)
    else:
        frame = results.tool_results(engine, args.round)
    sys.stdout.write(export.render(frame, args.format))
    return 0


def run_survey_open(args: argparse.Namespace) -> int:
    engine = store.open_store(args.db)
    opens = args.opens or config.today()
    closes = args.closes or opens + timedelta(days=21)
    opened = rounds.open_round(
        engine,
        name=args.name,
        opens_on=opens,
        closes_on=closes,
        tool_ids=[t.strip() for t in args.tools.split(",") if t.strip()],
        team_ids=args.team,
    )
    links = opened.link_list.assign(link=args.base_url.rstrip("/") + "/?token=" + opened.link_list["token"])
    print(
        f"Opened round {opened.round_id} with {opened.links} links. Keep this list: the links are printed once "
        "and the store cannot tell whose link is whose.",
        file=sys.stderr,
    )
    sys.stdout.write(export.render(links, args.format))
    return 0


def run_fairness(args: argparse.Namespace) -> int:
    engine = store.open_store(args.db)
    start, end = fairness.default_range(config.today())
    start, end = args.start or start, args.end or end
    if end < start:
        raise InvalidFilter(f"--to {end} is before --from {start}.", "Give --to on or after --from.")
    scope = Scope(start=start, end=end, grain="month", team_id=args.team)
    if args.by == "team":
        frame = fairness.team_fairness(engine, scope, args.weighting)
    elif args.by == "month":
        frame = fairness.fairness_trend(engine, scope)
    else:
        frame = fairness.rep_fairness(engine, scope, args.weighting)
    sys.stdout.write(export.render(frame, args.format))
    return 0

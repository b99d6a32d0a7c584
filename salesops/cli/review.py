"""CLI: ``snapshot`` (store this week's review figures) and ``digest`` (the review as an e-mail).

This module is the composition layer of the review: it hands the review job the outlook it stores
(``salesops.store.outlook``), so the review package never imports the forecasts package.
"""

from __future__ import annotations

import argparse
from datetime import date, timedelta
from pathlib import Path

from salesops import config, store
from salesops.cli import common as cli
from salesops.errors import InvalidFilter
from salesops.review import snapshots
from salesops.review.agenda import as_of_for_week, build_agenda, week_label
from salesops.review.digest import DigestNotSent, build_digest, email_message, send
from salesops.store.outlook import Outlook, pipeline_outlook
from salesops.store.sql import load_teams

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

    p = subs.add_parser(
        "digest",
        help="write the weekly review as one HTML file (and e-mail it with --email)",
        description="Write the week's review agenda as a self-contained HTML file; --email sends it via SMTP.",
    )
    p.add_argument("--week", metavar="YYYY-Www", help="ISO week reviewed (default: the latest stored snapshot)")
    p.add_argument("--team", metavar="TEAM", help="one team (id or name) instead of the whole company")
    p.add_argument("--top", type=int, default=10, help="movers listed (default 10)")
    p.add_argument("--show-money", action="store_true", help="name reps beside deal amounts (off by default)")
    p.add_argument("--out", metavar="FILE", required=True, help="the HTML file to write")
    p.add_argument("--email", action="store_true", help="also send it to SALESOPS_DIGEST_TO via SALESOPS_SMTP_URL")
    cli.add_db_option(p)
    p.set_defaults(func=run_digest)


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


def _team(engine, text: str | None) -> tuple[str | None, str | None]:
    """(team_id, name) for --team given as an id or a name; InvalidFilter naming the teams otherwise."""
    if text is None:
        return None, None
    teams = load_teams(engine)
    for tid, name in zip(teams["team_id"], teams["name"]):
        if text in (tid, name):
            return tid, name
    known = ", ".join(f"{t} ({n})" for t, n in zip(teams["team_id"], teams["name"])) or "none"
    raise InvalidFilter(f"--team {text!r} is not a team.", f"Use a team id or name: {known}.")


def _week_as_of(engine, week: str | None, today: date) -> date:
    """The stored snapshot date of ``--week`` (or the latest); InvalidFilter when there is none."""
    dates = snapshots.snapshot_dates(engine)
    if week is None:
        if not dates:
            raise InvalidFilter(
                "There is no weekly snapshot to build the digest from.",
                "Take one first: python -m salesops snapshot (every Monday; the demo takes a year of them).",
            )
        return dates[-1]
    sunday = as_of_for_week(week, today)
    in_week = [d for d in dates if week_label(d) == week_label(sunday)]
    if not in_week:
        raise InvalidFilter(
            f"There is no snapshot of week {week}.",
            f"Take it first: python -m salesops snapshot --as-of {min(sunday, today)}.",
        )
    return in_week[-1]


def run_digest(args: argparse.Namespace) -> int:
    today = config.today()
    engine = store.open_store(args.db)
    as_of = _week_as_of(engine, args.week, today)
    team_id, team_name = _team(engine, args.team)
    if args.top < 1:
        raise InvalidFilter(f"--top {args.top} is not a number of movers.", "Use --top 1 or more.")
    agenda = build_agenda(engine, as_of, team_id, args.top, args.show_money, team_name)
    digest = build_digest(agenda)
    out = Path(args.out)
    try:
        out.write_text(digest.file_html(), encoding="utf-8")
    except OSError as exc:
        raise InvalidFilter(
            f"Cannot write {out}: {exc.strerror}.", "Pick a folder that exists and is writable."
        ) from None
    print(f"Wrote the {agenda.week_label} review ({agenda.scope_label}) to {out}.")
    if args.email:
        to = config.digest_to()
        if not to:
            raise DigestNotSent(
                f"No recipient: the digest was written to {out} but not e-mailed.",
                "Set SALESOPS_DIGEST_TO to one or more comma-separated addresses.",
            )
        try:
            send(email_message(digest, config.digest_from(), to), config.smtp_url())
        except DigestNotSent as exc:
            raise DigestNotSent(f"{exc.message} The digest was written to {out}.", exc.hint) from None
        print(f"E-mailed it to {', '.join(to)}.")
    return 0

"""CLI: ``payouts`` (every rep's pay under a plan, from the store) and ``what-if`` (one scenario).

    python -m salesops payouts --plan PLAN.json [--from DATE --to DATE] [--grain quarter] [--format csv|json]
    python -m salesops what-if --plan PLAN.json --quota 250000 --booked 310000 [--team-attainment 95%]

Amounts on the command line are dollars (exact decimals); output money is integer cents.
"""

from __future__ import annotations

import argparse
import json
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path

from salesops import config, export, store
from salesops.cli import common as cli
from salesops.comp.engine import compute_payout
from salesops.comp.plan import CompPlan, InvalidPlan
from salesops.comp.plan_format import plan_from_json
from salesops.comp.queries import period_fraction, scope_payouts
from salesops.errors import InvalidFilter
from salesops.scope import GRAINS, Scope, period_start

_PERIODS = {"year": Fraction(1), "quarter": Fraction(1, 4), "month": Fraction(1, 12), "week": Fraction(1, 52)}


def register(subs) -> None:
    p = subs.add_parser("payouts", help="every rep's payout under a plan for a period, by component")
    p.add_argument("--plan", required=True, metavar="PLAN.json", help="the plan file (docs/COMP_PLANS.md)")
    p.add_argument(
        "--from", dest="start", metavar="DATE", help="first day (YYYY-MM-DD; default: start of the current period)"
    )
    p.add_argument("--to", dest="end", metavar="DATE", help="last day (YYYY-MM-DD; default: today)")
    p.add_argument("--grain", choices=GRAINS, default="quarter", help="quota periods (default quarter)")
    p.add_argument("--team", metavar="TEAM_ID", help="only this team's reps")
    cli.add_db_option(p)
    cli.add_output_options(p)
    p.set_defaults(func=run_payouts)

    p = subs.add_parser("what-if", help="one rep's payout for a quota and bookings, as JSON")
    p.add_argument("--plan", required=True, metavar="PLAN.json", help="the plan file (docs/COMP_PLANS.md)")
    p.add_argument("--quota", required=True, metavar="DOLLARS", help="the rep's quota for the period, in dollars")
    p.add_argument("--booked", required=True, metavar="DOLLARS", help="the rep's won bookings, in dollars")
    p.add_argument(
        "--team-attainment", metavar="T", help="team won ÷ team quota, as 0.95 or 95%% (default: same as the rep's)"
    )
    p.add_argument(
        "--period", choices=tuple(_PERIODS), default="year", help="pay period the quota is for (default year)"
    )
    p.set_defaults(func=run_what_if)


def read_plan(path_text: str) -> CompPlan:
    """Load a plan file; a missing or unreadable file or a bad plan is an InvalidPlan naming the file."""
    path = Path(path_text)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidPlan(
            f"Plan file {path_text} does not exist.", "Check the path; examples are in docs/plans/."
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidPlan(f"Cannot read plan file {path_text}: {exc}.", "Give a UTF-8 JSON file.") from None
    try:
        return plan_from_json(text, path.name)
    except InvalidPlan as exc:
        if path.name in exc.message:
            raise
        raise InvalidPlan(f"{path.name}: {exc.message}", exc.hint) from None


def parse_dollars(text: str, what: str) -> int:
    """'250000', '250,000.50' or '$1,000' -> integer cents (exact); negative or over a cent's precision is an error."""
    try:
        d = Decimal(text.replace(",", "").replace("$", "").strip())
    except InvalidOperation:
        raise InvalidFilter(
            f"--{what} {text!r} is not an amount in dollars.", "Give a number such as 250000 or 250000.50."
        ) from None
    if not d.is_finite() or d < 0:
        raise InvalidFilter(f"--{what} {text!r} must be zero or more.", "Give a number such as 250000.")
    cents = d * 100
    if cents != cents.to_integral_value():
        raise InvalidFilter(f"--{what} {text!r} has fractions of a cent.", "Give at most two decimals.")
    return int(cents)


def parse_attainment(text: str) -> Fraction:
    """'0.95' or '95%' -> Fraction(19, 20)."""
    raw = text.strip()
    try:
        d = Decimal(raw.rstrip("%")) / (100 if raw.endswith("%") else 1)
    except InvalidOperation:
        raise InvalidFilter(f"--team-attainment {text!r} is not a number.", "Give 0.95 or 95%.") from None
    if not d.is_finite() or d < 0:
        raise InvalidFilter(f"--team-attainment {text!r} must be zero or more.", "Give 0.95 or 95%.")
    return Fraction(d)


def run_payouts(args: argparse.Namespace) -> int:
    plan = read_plan(args.plan)
    today = config.today()
    end = cli.parse_date(args.end, "--to") or today
    start = cli.parse_date(args.start, "--from") or period_start(end, args.grain)
    scope = Scope(start=start, end=end, grain=args.grain, team_id=args.team)
    engine = store.open_store(args.db)
    out = scope_payouts(engine, scope, plan)
    out.insert(0, "period_fraction", str(period_fraction(scope)))
    print(export.render(out, args.format), end="" if args.format == "csv" else "\n")
    return 0


def run_what_if(args: argparse.Namespace) -> int:
    plan = read_plan(args.plan)
    quota = parse_dollars(args.quota, "quota")
    booked = parse_dollars(args.booked, "booked")
    kwargs = {}
    if args.team_attainment is not None:
        kwargs["team_attainment"] = parse_attainment(args.team_attainment)
    payout = compute_payout(
        plan, quota_cents=quota, booked_cents=booked, period_fraction=_PERIODS[args.period], **kwargs
    )
    out = {
        "plan": plan.name,
        "period": args.period,
        "quota_cents": quota,
        "booked_cents": booked,
        **payout.as_dict(),
    }
    print(json.dumps(out, indent=1))
    return 0

"""CLI: ``users add|list|remove`` (who may sign in, and as what) and ``audit`` (the audit trail)."""

from __future__ import annotations

import argparse

from salesops import access, audit, export, store
from salesops.cli import common as cli


def register(subs) -> None:
    p = subs.add_parser("users", help="who may sign in and with which role (docs/ACCESS.md)")
    cli.add_db_option(p)
    users = p.add_subparsers(dest="users_command", metavar="ACTION")
    users.required = True
    a = users.add_parser("add", help="add a user, or replace the one with that e-mail")
    a.add_argument("email")
    a.add_argument("--role", required=True, help=f"one of {', '.join(access.ROLES)}")
    a.add_argument("--rep", metavar="REP_ID", help="the rep this user is (role rep)")
    a.add_argument(
        "--team", metavar="TEAM_ID", action="append", default=[], help="a team they manage (role manager); repeatable"
    )
    cli.add_db_option(a)
    a.set_defaults(func=run_add)
    ls = users.add_parser("list", help="every user")
    cli.add_output_options(ls)
    cli.add_db_option(ls)
    ls.set_defaults(func=run_list)
    r = users.add_parser("remove", help="remove a user")
    r.add_argument("email")
    cli.add_db_option(r)
    r.set_defaults(func=run_remove)

    p = subs.add_parser("audit", help="the audit trail: imports, plan saves, survey rounds, user changes")
    p.add_argument("--limit", type=int, default=500, help="newest entries to print (default 500)")
    cli.add_output_options(p)
    cli.add_db_option(p)
    p.set_defaults(func=run_audit)


def run_add(args: argparse.Namespace) -> int:
    viewer = access.add_user(store.open_store(args.db), args.email, args.role, args.rep, args.team)
    print(f"Added {viewer.label}.")
    return 0


def run_list(args: argparse.Namespace) -> int:
    frame = access.load_users(store.open_store(args.db))
    print(export.render(frame, args.format), end="" if args.format == "csv" else "\n")
    return 0


def run_remove(args: argparse.Namespace) -> int:
    access.remove_user(store.open_store(args.db), args.email)
    print(f"Removed {args.email.strip().lower()}.")
    return 0


def run_audit(args: argparse.Namespace) -> int:
    frame = audit.load_audit(store.open_store(args.db), args.limit)
    print(export.render(frame, args.format), end="" if args.format == "csv" else "\n")
    return 0

"""``python -m salesops …``: scripted use of the library.

Each command lives in the module named after its feature and registers itself through a
``register(subparsers)`` function; this module only builds the parser, opens the store and maps
errors to one clear message and a non-zero exit code (never a traceback).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from salesops import config
from salesops.cli import (
    access,
    comp,
    customers,
    forecasts,
    health,
    ingest,
    leaderboards,
    outlook,
    performance,
    review,
    store,
    tools,
)
from salesops.errors import SalesopsError
from salesops.store import explain_error

#: Job modules that add sub-commands (each has ``register(subparsers)``). Plain imports: a renamed
#: module fails loudly at import instead of silently dropping its commands.
COMMAND_MODULES = (
    store,  # demo, info
    ingest,  # import
    health,  # health
    performance,  # metrics
    leaderboards,  # leaderboard
    forecasts,  # forecast
    outlook,  # outlook, outlook-backtest
    comp,  # payouts, what-if
    tools,  # survey-results, survey-open, fairness
    review,  # snapshot, digest
    customers,  # customers
    access,  # users, audit
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m salesops", description="salesops: the sales-ops cockpit's library."
    )
    subs = parser.add_subparsers(dest="command", metavar="COMMAND")
    subs.required = True
    for module in COMMAND_MODULES:
        module.register(subs)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config.check_settings()  # a bad SALESOPS_… value is named before any work starts
        return int(args.func(args) or 0)
    except SalesopsError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        if exc.hint:
            print(f"hint: {exc.hint}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `… | head` closed the pipe: not an error
        return 0
    except Exception as exc:  # a database error mid-command: name it (damaged, locked …), no SQL
        err = explain_error(exc, url=getattr(args, "db", None))  # the store the command was given
        if err is None:
            raise
        print(f"error: {err.message}", file=sys.stderr)
        print(f"hint: {err.hint}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

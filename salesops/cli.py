"""``python -m salesops …``: scripted use of the library.

Each command lives in the module named after its feature and registers itself through a
``register(subparsers)`` function; this module only builds the parser, opens the store and maps
errors to one clear message and a non-zero exit code (never a traceback).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from salesops.errors import SalesopsError

#: Feature modules that add sub-commands (each has ``register(subparsers)``).
COMMAND_MODULES = (
    "salesops.cli_store",  # demo, info
    "salesops.cli_ingest",  # import
    "salesops.cli_metrics",  # metrics
    "salesops.cli_leaderboard",  # leaderboard
    "salesops.cli_forecast",  # forecast
    "salesops.cli_comp",  # payouts, what-if
    "salesops.cli_tools",  # survey-results, fairness
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m salesops", description="salesops: the sales-ops cockpit's library."
    )
    subs = parser.add_subparsers(dest="command", metavar="COMMAND")
    subs.required = True
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # feature not installed in this checkout
                continue
            raise
        module.register(subs)
    return parser


def add_db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", metavar="URL", help="SQLAlchemy URL of the store (default: SALESOPS_DB_URL)")


def add_output_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("csv", "json"), default="csv", help="output format (default csv)")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except SalesopsError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        if exc.hint:
            print(f"hint: {exc.hint}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `… | head` closed the pipe: not an error
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""What every command shares: the ``--db`` and ``--format`` options and the one date parser."""

from __future__ import annotations

import argparse
from datetime import date

from salesops.errors import InvalidFilter

#: Dates a command accepts; outside this a typo (``9999-12-31``) would overflow date arithmetic.
EARLIEST, LATEST = date(1970, 1, 1), date(2199, 12, 31)


def add_db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", metavar="URL", help="SQLAlchemy URL of the store (default: SALESOPS_DB_URL)")


def add_output_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("csv", "json"), default="csv", help="output format (default csv)")


def parse_date(text: str | None, flag: str) -> date | None:
    """``YYYY-MM-DD`` -> date (None stays None); anything else raises InvalidFilter naming ``flag``."""
    if text is None:
        return None
    try:
        value = date.fromisoformat(text)
    except ValueError:
        raise InvalidFilter(
            f"{flag} {text!r} is not a date.", f"Write {flag} as YYYY-MM-DD, e.g. {flag} 2026-01-01."
        ) from None
    if not EARLIEST <= value <= LATEST:
        raise InvalidFilter(
            f"{flag} {text} is outside the dates salesops handles ({EARLIEST} to {LATEST}).",
            f"Pick a date between {EARLIEST.year} and {LATEST.year}.",
        )
    return value


def date_arg(text: str) -> date:
    """argparse ``type=`` for a required date; the message is argparse's usage error."""
    try:
        value = parse_date(text, "date")
    except InvalidFilter as exc:
        raise argparse.ArgumentTypeError(f"{text!r}: {exc.message} {exc.hint}") from None
    assert value is not None
    return value

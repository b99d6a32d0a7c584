"""Settings: the only module that reads the environment.

Each setting is declared once as data (name, default, help); ``tests/unit/test_config.py`` checks
that every one is documented in README.md.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "SALESOPS_DB_URL",
        "duckdb:///data/salesops.duckdb",
        "SQLAlchemy URL of the store. DuckDB file by default; any SQLAlchemy URL works.",
    ),
    Setting(
        "SALESOPS_TODAY",
        "",
        "Pin 'today' (YYYY-MM-DD) for reproducible screenshots and tests; empty means the real date.",
    ),
    Setting(
        "SALESOPS_MAX_UPLOAD_MB",
        "200",
        "Largest CSV the Data page accepts, in megabytes.",
    ),
    Setting(
        "SALESOPS_FORECAST_WORKERS",
        "2",
        "Processes used to fit many forecast series at once.",
    ),
    Setting(
        "SALESOPS_SNAPSHOT_YEARS",
        "3",
        "Years the weekly review snapshots are kept; older ones are deleted when a new one is taken.",
    ),
    Setting(
        "SALESOPS_SMTP_URL",
        "",
        "Mail server for `digest --email`: smtp://[user:password@]host[:port] (STARTTLS when offered) or smtps://….",
    ),
    Setting(
        "SALESOPS_DIGEST_TO",
        "",
        "Comma-separated addresses `digest --email` sends the weekly review to.",
    ),
    Setting(
        "SALESOPS_DIGEST_FROM",
        "salesops@localhost",
        "The sender address of the digest e-mail.",
    ),
)

_BY_NAME = {s.name: s for s in SETTINGS}


def get(name: str) -> str:
    """Return the setting's value from the environment, or its declared default."""
    setting = _BY_NAME[name]
    return os.environ.get(name, setting.default) or setting.default


def db_url() -> str:
    return get("SALESOPS_DB_URL")


def today() -> date:
    """'Today' for the app: SALESOPS_TODAY when set, otherwise the machine's date."""
    raw = os.environ.get("SALESOPS_TODAY", "").strip()
    if raw:
        return date.fromisoformat(raw)
    return date.today()


def max_upload_mb() -> int:
    return int(get("SALESOPS_MAX_UPLOAD_MB"))


def forecast_workers() -> int:
    return max(1, int(get("SALESOPS_FORECAST_WORKERS")))


def snapshot_years() -> int:
    return max(1, int(get("SALESOPS_SNAPSHOT_YEARS")))


def smtp_url() -> str:
    return get("SALESOPS_SMTP_URL")


def digest_to() -> list[str]:
    return [a.strip() for a in get("SALESOPS_DIGEST_TO").split(",") if a.strip()]


def digest_from() -> str:
    return get("SALESOPS_DIGEST_FROM")

"""Settings: the only module that reads the environment.

Each setting is declared once as data (name, default, help); ``tests/unit/test_config.py`` checks
that every one is documented in README.md.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

from salesops.errors import BadSetting


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "SALESOPS_DB_URL",
        "duckdb:///data/salesops.duckdb",
        "SQLAlchemy URL of the store: a DuckDB file (default) or PostgreSQL 15+ (postgresql+psycopg://…).",
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
        "SALESOPS_IMPORT_CHUNK_ROWS",
        "100000",
        "Rows a CSV import reads, checks and stages at a time: a file of any size imports in bounded memory.",
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
    Setting(
        "SALESOPS_FORECAST_IDLE_S",
        "30",
        "Seconds the forecast worker processes stay alive after their last fit; then they exit.",
    ),
    Setting(
        "SALESOPS_DUCKDB_MEMORY",
        "",
        "DuckDB memory_limit (e.g. 2GB); empty means a sixth of the machine's memory, 512MB to 2GB "
        "(the demo build: a quarter, 512MB to 4GB).",
    ),
    Setting(
        "SALESOPS_DUCKDB_THREADS",
        "",
        "DuckDB threads; empty means the machine's CPU count.",
    ),
    Setting(
        "SALESOPS_WARMUP",
        "1",
        "1: at server start, warm each page's default view and the stored forecast in the background, and "
        "after an import (CLI or Data page) compute the forecast outlooks ahead; 0: off.",
    ),
    Setting(
        "SALESOPS_MODEL_CHOICE",
        "1",
        "1: with SALESOPS_WARMUP on, choose each forecast series' model by backtest ahead (after the demo "
        "build, an import, or at server start when not stored; minutes of Prophet fits on the worker pool); "
        "0: only `salesops model-choice` computes it.",
    ),
    Setting(
        "SALESOPS_LOCK_WAIT",
        "60",
        "Seconds a command or page waits for a DuckDB file that another program is using before saying so.",
    ),
    Setting(
        "SALESOPS_AUTH",
        "local",
        "How a viewer is identified: local (one person, admin, loopback only), proxy (an e-mail header "
        "set by a sign-in proxy) or oidc (Streamlit's st.login). docs/ACCESS.md.",
    ),
    Setting(
        "SALESOPS_AUTH_HEADER",
        "X-Forwarded-Email",
        "The request header that carries the signed-in e-mail in proxy mode.",
    ),
    Setting(
        "SALESOPS_ALLOW_OPEN",
        "0",
        "1 lets local mode (everyone is admin) listen on a non-loopback address; refused otherwise.",
    ),
    Setting(
        "SALESOPS_LEADERBOARD_VISIBILITY",
        "ranks",
        "What a rep sees of other reps on leaderboards: names (name and figures), ranks (rank and "
        "attainment band only) or none (their own row only).",
    ),
)

_BY_NAME = {s.name: s for s in SETTINGS}


def get(name: str) -> str:
    """Return the setting's value from the environment, or its declared default."""
    setting = _BY_NAME[name]
    return os.environ.get(name, setting.default) or setting.default


def db_url() -> str:
    return get("SALESOPS_DB_URL")


#: The dates salesops handles; SALESOPS_TODAY outside them is refused (date arithmetic would overflow).
EARLIEST, LATEST = date(1970, 1, 1), date(2199, 12, 31)


def today() -> date:
    """'Today' for the app: SALESOPS_TODAY when set, otherwise the machine's date. Raises BadSetting."""
    raw = os.environ.get("SALESOPS_TODAY", "").strip()
    if not raw:
        return date.today()
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        raise BadSetting(
            f"SALESOPS_TODAY={raw[:40]!r} is not a date.",
            "Write it as YYYY-MM-DD (e.g. SALESOPS_TODAY=2026-01-31), or unset it to use the real date.",
        ) from None
    if not EARLIEST <= value <= LATEST:
        raise BadSetting(
            f"SALESOPS_TODAY={raw} is outside the dates salesops handles ({EARLIEST} to {LATEST}).",
            "Pick a date in that range, or unset SALESOPS_TODAY.",
        )
    return value


def _whole_number(name: str, low: int, high: int) -> int:
    raw = get(name).strip()
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise BadSetting(
            f"{name}={raw[:40]!r} is not a whole number from {low} to {high}.",
            f"Set {name} to a number such as {_BY_NAME[name].default}, or unset it to use that default.",
        )
    return value


def max_upload_mb() -> int:
    return _whole_number("SALESOPS_MAX_UPLOAD_MB", 1, 100_000)


def import_chunk_rows() -> int:
    return _whole_number("SALESOPS_IMPORT_CHUNK_ROWS", 1, 10_000_000)


def forecast_workers() -> int:
    return _whole_number("SALESOPS_FORECAST_WORKERS", 1, 256)


def snapshot_years() -> int:
    return _whole_number("SALESOPS_SNAPSHOT_YEARS", 1, 100)


def smtp_url() -> str:
    return get("SALESOPS_SMTP_URL")


def digest_to() -> list[str]:
    return [a.strip() for a in get("SALESOPS_DIGEST_TO").split(",") if a.strip()]


def digest_from() -> str:
    return get("SALESOPS_DIGEST_FROM")


def forecast_idle_seconds() -> float:
    return max(0.0, float(get("SALESOPS_FORECAST_IDLE_S")))


def warmup_enabled() -> bool:
    return get("SALESOPS_WARMUP").strip() not in ("0", "false", "no", "off")


def model_choice_ahead() -> bool:
    """Whether the per-series model choice is computed ahead (needs the warm-up on too)."""
    return warmup_enabled() and get("SALESOPS_MODEL_CHOICE").strip() not in ("0", "false", "no", "off")


def _total_memory_bytes() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not POSIX
        return 4 * 1024**3


def duckdb_memory_limit() -> str:
    """DuckDB's ``memory_limit``: the setting, else :func:`default_duckdb_memory`.

    DuckDB's own default is 80%, which leaves the app, its forecast workers and pandas no room (a
    large demo build grew to 24 GB and was killed); past the limit DuckDB spills sorts, joins and
    uncommitted rows to its temp directory instead of growing.
    """
    raw = get("SALESOPS_DUCKDB_MEMORY").strip()
    if raw:
        if not re.fullmatch(r"\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)", raw, flags=re.IGNORECASE):
            raise BadSetting(
                f"SALESOPS_DUCKDB_MEMORY={raw!r} is not a memory size.",
                "Use a number and a unit, such as 2GB or 512MB, or unset it for a sixth of the machine (at most 2GB).",
            )
        return raw.replace(" ", "")
    return default_duckdb_memory()


#: The demo build's DuckDB limit at most, per scale (MB): what its publish needs, the tables' key
#: indexes held whole in memory (about 0.5 GB at medium, 1.4 GB at large), plus room to sort. At
#: medium a 1 GB limit keeps the whole build under its 1.5 GB budget (BENCHMARKS.md, "Memory at
#: scale"); a larger one only lets DuckDB cache more (2.1 GB at 4 GB).
BUILD_CAP_MB = {"small": 1024, "medium": 1024, "large": 4096}


def default_duckdb_memory(build: bool = False, scale: str = "large") -> str:
    """The limit when SALESOPS_DUCKDB_MEMORY is unset: a sixth of the machine between 512MB and 2GB
    for the app, imports and commands (a 10M-row import then peaks under 3 GB in all: issue #21);
    for the demo build (``build``, budget 6 GB at large) a quarter between 512MB and the scale's cap
    (:data:`BUILD_CAP_MB`), since its publish holds the new tables' key indexes in memory and cannot
    spill them."""
    share, cap = (4, BUILD_CAP_MB.get(scale, BUILD_CAP_MB["large"])) if build else (6, 2048)
    return f"{min(cap, max(512, int(_total_memory_bytes() / share / 1024**2)))}MB"


@contextmanager
def build_memory(scale: str = "large") -> Iterator[str]:
    """Inside: the demo build's default DuckDB limit for ``scale`` for connections opened meanwhile,
    unless SALESOPS_DUCKDB_MEMORY is set (the user's value wins); yields the limit in force."""
    if get("SALESOPS_DUCKDB_MEMORY").strip():
        yield duckdb_memory_limit()
        return
    os.environ["SALESOPS_DUCKDB_MEMORY"] = default_duckdb_memory(build=True, scale=scale)
    try:
        yield duckdb_memory_limit()
    finally:
        os.environ.pop("SALESOPS_DUCKDB_MEMORY", None)


def duckdb_threads() -> int:
    raw = get("SALESOPS_DUCKDB_THREADS").strip()
    if not raw:
        return max(1, os.cpu_count() or 1)
    if not raw.isdigit() or int(raw) < 1:
        raise BadSetting(
            f"SALESOPS_DUCKDB_THREADS={raw!r} is not a positive whole number.",
            "Use for example 2, or unset it to use every CPU.",
        )
    return int(raw)


def lock_wait() -> float:
    return max(0.0, float(get("SALESOPS_LOCK_WAIT")))


def check_settings() -> None:
    """Read every setting once; the first unusable one raises BadSetting (the app and CLI show it)."""
    today()
    max_upload_mb()
    import_chunk_rows()
    forecast_workers()
    snapshot_years()
    duckdb_memory_limit()
    duckdb_threads()


AUTH_MODES = ("local", "proxy", "oidc")
VISIBILITIES = ("names", "ranks", "none")


def _choice(name: str, allowed: tuple[str, ...]) -> str:
    from salesops.errors import InvalidSetting

    value = get(name).strip().lower()
    if value not in allowed:
        raise InvalidSetting(
            f"{name}={get(name)!r} is not one of {', '.join(allowed)}.", f"Set {name} to one of: {', '.join(allowed)}."
        )
    return value


def auth_mode() -> str:
    """SALESOPS_AUTH: local, proxy or oidc (anything else raises InvalidSetting)."""
    return _choice("SALESOPS_AUTH", AUTH_MODES)


def auth_header() -> str:
    return get("SALESOPS_AUTH_HEADER").strip()


def allow_open() -> bool:
    return get("SALESOPS_ALLOW_OPEN").strip().lower() in ("1", "true", "yes")


def leaderboard_visibility() -> str:
    """SALESOPS_LEADERBOARD_VISIBILITY: names, ranks or none."""
    return _choice("SALESOPS_LEADERBOARD_VISIBILITY", VISIBILITIES)

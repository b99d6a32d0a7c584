"""Named exceptions. Each carries a message (what is wrong) and a hint (what to do)."""

from __future__ import annotations


class SalesopsError(Exception):
    """Base class: ``str(err)`` is a complete, user-facing sentence pair."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip()


class StoreError(SalesopsError):
    """The store cannot be opened or used."""


class BadDatabaseURL(StoreError):
    """SALESOPS_DB_URL is not a usable SQLAlchemy URL."""


class DatabaseUnavailable(StoreError):
    """The database cannot be reached or opened."""


class DatabaseLocked(StoreError):
    """Another process holds the DuckDB file."""


class SchemaTooNew(StoreError):
    """The database was written by a newer salesops."""


class StoreNeedsMigration(StoreError):
    """The database was written by an older salesops: `python -m salesops migrate` upgrades it."""


class InvalidFilter(SalesopsError):
    """A filter value (grain, metric, date range …) is not allowed."""


class BadSetting(StoreError):
    """A setting (an environment variable such as SALESOPS_DUCKDB_MEMORY) has an unusable value."""


class DuplicateKey(StoreError):
    """Rows written in one go share a key the database does not check itself (see salesops.demo.build)."""


class StoreOutOfMemory(StoreError):
    """The database reached its memory limit (DuckDB: SALESOPS_DUCKDB_MEMORY) and gave up."""


class StoreDamaged(StoreError):
    """The store's file is damaged (a checksum mismatch, a file that is not a database)."""


class InvalidSetting(SalesopsError):
    """An environment setting has a value salesops does not accept."""


class AccessError(SalesopsError):
    """Sign-in or role problems: unknown or malformed e-mail, bad role, refused bind address."""


class NotSignedIn(AccessError):
    """The request carries no e-mail, or one that is not a user."""


class AccessDenied(AccessError):
    """The viewer's role does not see what was asked for."""


class InvalidUser(AccessError):
    """A user record that cannot be stored (bad e-mail, role, rep or team)."""


class OpenBindRefused(AccessError):
    """Local mode (everyone is admin) on an address others can reach."""


class NotComputedYet(SalesopsError):
    """A derived result (an outlook, the model choice) is not stored at this data version yet: it is
    computed apart (salesops.forecasts.apart), never by the app while a page waits."""

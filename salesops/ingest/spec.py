"""What an import may contain: each table's canonical fields, accepted spellings of stages and periods.

Everything here is data (vendor presets and stage rules are in ``salesops.ingest.presets``).
``docs/IMPORT.md`` documents it and ``tests/unit/test_ingest_spec.py`` checks that every field is
documented there.

Column matching: a file column matches a field (or a preset's source column) when the two are
equal after lower-casing and dropping spaces, underscores, dots, dashes and other punctuation
(``Close Date``, ``close_date`` and ``CloseDate`` all match ``close_date``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from salesops.errors import SalesopsError

# ---- errors ---------------------------------------------------------------------------------------


class IngestError(SalesopsError):
    """Something about an import is wrong."""


class BadImportOption(IngestError):
    """An option of the import (table, preset, --map, --stage) is not usable."""


# ---- fields ---------------------------------------------------------------------------------------

#: Field kinds and how their values are read (salesops.ingest.parse).
KINDS = ("text", "date", "money", "percent", "int", "float", "bool")


#: Longest id (any ``*_id`` field, a rep's name used as id) and longest other text, in characters.
MAX_ID_CHARS = 128
MAX_TEXT_CHARS = 1_000


@dataclass(frozen=True)
class Field:
    name: str
    kind: str = "text"
    required: bool = False
    help: str = ""
    bounds: tuple[float, float] | None = None  # numbers: the allowed range, both ends included …
    open_low: bool = False  # … except the low end when True: (0, 1]

    @property
    def is_id(self) -> bool:
        """Ids (and rep names, which resolve to ids) refuse control characters; other text has them stripped."""
        return self.name.endswith("_id") or self.name == "rep_name"

    @property
    def max_chars(self) -> int:
        return MAX_ID_CHARS if self.is_id else MAX_TEXT_CHARS


@dataclass(frozen=True)
class TableSpec:
    """One importable table: its canonical fields and the store columns that identify a row."""

    table: str
    key: tuple[str, ...]  # store key columns (the upsert key)
    fields: tuple[Field, ...]
    rep_ref: str = ""  # "required" / "optional": rows point at a rep by rep_id or rep_name

    def field(self, name: str) -> Field:
        return {f.name: f for f in self.fields}[name]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)


_REP = (
    Field("rep_id", help="the rep's id as in the store (or the CRM's owner id, if reps were imported with it)"),
    Field("rep_name", help="the rep's full name, matched ignoring case and repeated spaces"),
)

SPECS: dict[str, TableSpec] = {
    "teams": TableSpec(
        "teams",
        ("team_id",),
        (
            Field("team_id", required=True, help="the team's id"),
            Field("name", help="display name (default: the id)"),
            Field("region", help="region (default: Unassigned)"),
            Field("manager", help="the manager's name"),
        ),
    ),
    "reps": TableSpec(
        "reps",
        ("rep_id",),
        (
            Field("rep_id", required=True, help="the rep's id (a CRM user id is fine)"),
            Field("name", required=True, help="full name"),
            Field("team_id", help="id of the rep's team; created when the row also names the team/region"),
            Field("team", help="the team's name; matched to an existing team or created"),
            Field("region", help="region of the team created from this row"),
            Field("office", help="same as region (for HR exports that say office)"),
            Field("manager", help="manager of the team; without team columns, one team per manager is created"),
            Field("role", help="AE, SDR, … (default AE)"),
            Field("hire_date", "date", help="first day"),
            Field("ramp_months", "int", help="months of reduced quota after hire, 0 to 24 (default 0)", bounds=(0, 24)),
            Field("active", "bool", help="true/false, yes/no, 1/0 (default true)"),
            Field(
                "fte",
                "float",
                help="capacity, above 0 and at most 1; 1 = full time (default 1)",
                bounds=(0, 1),
                open_low=True,
            ),
            Field("email", help="e-mail address"),
        ),
    ),
    "quotas": TableSpec(
        "quotas",
        ("rep_id", "period_type", "period_start"),
        (
            *_REP,
            Field("period_type", required=True, help="week, month, quarter or year (monthly, quarterly … accepted)"),
            Field("period_start", "date", required=True, help="first day of the period (weeks start on Monday)"),
            Field("amount", "money", required=True, help="the quota in currency units"),
        ),
        rep_ref="required",
    ),
    "leads": TableSpec(
        "leads",
        ("lead_id",),
        (
            Field("lead_id", required=True, help="the lead's id"),
            *_REP,
            Field("source", required=True, help="lead source (Web, Referral, …)"),
            Field("created_at", "date", required=True, help="when the lead was created"),
            Field("furthest_stage", required=True, help="lead, mql, sql, opportunity or won"),
        ),
        rep_ref="optional",
    ),
    "deals": TableSpec(
        "deals",
        ("deal_id",),
        (
            Field("deal_id", required=True, help="the opportunity/deal id"),
            *_REP,
            Field("name", help="deal name"),
            Field("account", help="account (company) name or id"),
            Field("product", help="product"),
            Field("stage", required=True, help="the CRM stage; mapped to an outcome by stage rules"),
            Field("outcome", help="open, won or lost (when the file says it directly)"),
            Field("is_closed", "bool", help="Salesforce IsClosed; with is_won decides the outcome"),
            Field("is_won", "bool", help="Salesforce IsWon"),
            Field("amount", "money", help="amount in currency units; $ € £, thousands separators accepted"),
            Field("probability", "percent", help="0..1, or 0..100 (a column with any value above 1 or a % sign)"),
            Field("forecast_category", help="Pipeline, Best Case, Commit, …"),
            Field("created_date", "date", required=True, help="when the deal was created"),
            Field("close_date", "date", help="actual close (won/lost) or expected close (open)"),
            Field("lead_source", help="lead source"),
            Field("deal_type", help="New Business, Renewal, Expansion or Existing Business (CRM spellings accepted)"),
        ),
        rep_ref="required",
    ),
    "accounts": TableSpec(
        "accounts",
        ("account_id",),
        (
            Field(
                "account_id", help="the CRM's account id (without it, the name is the id: no two rows may share one)"
            ),
            Field("name", required=True, help="the company's name; deals link to it ignoring case and repeated spaces"),
            Field("industry", help="industry"),
            Field("size", help="employees or size band, as the CRM says it"),
            Field("region", help="region or country"),
            Field("owner", help="the account owner's name"),
            Field("parent_id", help="the parent account's id: a subsidiary's purchases count for its parent"),
            Field("parent", help="the parent account's name (or id), when the file has no parent id"),
        ),
    ),
    "activities": TableSpec(
        "activities",
        ("activity_id",),
        (
            Field("activity_id", required=True, help="the activity's id"),
            *_REP,
            Field("type", required=True, help="call, email, meeting, demo, … (stored lower-case)"),
            Field("occurred_at", "date", required=True, help="when it happened"),
            Field("deal_id", help="the deal it belongs to"),
        ),
        rep_ref="required",
    ),
}

TABLES = tuple(SPECS)

# ---- spellings ------------------------------------------------------------------------------------

#: Accepted spellings of the lead funnel stages (normalised) -> schema.LEAD_STAGES value.
LEAD_STAGE_ALIASES = {
    "lead": "lead",
    "new": "lead",
    "mql": "mql",
    "marketingqualifiedlead": "mql",
    "sql": "sql",
    "salesqualifiedlead": "sql",
    "opportunity": "opportunity",
    "opp": "opportunity",
    "won": "won",
    "closedwon": "won",
    "customer": "won",
}

PERIOD_ALIASES = {
    "week": "week",
    "weekly": "week",
    "month": "month",
    "monthly": "month",
    "quarter": "quarter",
    "quarterly": "quarter",
    "year": "year",
    "yearly": "year",
    "annual": "year",
    "annually": "year",
}

_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def normalise(label: str) -> str:
    """Lower-case letters and digits only: 'Close_Date' -> 'closedate', 'Closed Won' -> 'closedwon'."""
    return _NON_ALNUM.sub("", str(label).casefold())


def check_table(table: str) -> TableSpec:
    if table not in SPECS:
        raise BadImportOption(
            f"Cannot import into {table!r}.", f"Choose one of: {', '.join(TABLES)} (see docs/IMPORT.md)."
        )
    return SPECS[table]


def parse_pairs(items, what: str) -> dict[str, str]:
    """``["A=b", …]``, ``{"A": "b"}`` or ``(("A", "b"), …)`` -> dict; raises BadImportOption on a bad item."""
    if items is None:
        return {}
    if isinstance(items, dict):
        return {str(k).strip(): str(v).strip() for k, v in items.items()}
    out: dict[str, str] = {}
    for item in items:
        if isinstance(item, str):
            left, sep, right = item.rpartition("=")
            if not sep or not left.strip():
                raise BadImportOption(
                    f"The {what} {item!r} is not of the form LEFT=RIGHT.",
                    'Write it like --map "Opportunity Owner=rep_name" or --stage "Closed Won=won".',
                )
            out[left.strip()] = right.strip()
        else:
            left, right = item
            out[str(left).strip()] = str(right).strip()
    return out


def parse_map_rules(items) -> list[tuple[str, str]]:
    """``--map`` rules as (source column, field) pairs, in order; one source may feed several fields.

    ``["Name=rep_id", "Name=name"]`` keeps both (a roster naming reps only by name); a dict or
    pairs are accepted as for :func:`parse_pairs`.
    """
    if items is None:
        return []
    if isinstance(items, dict):
        return [(str(k).strip(), str(v).strip()) for k, v in items.items()]
    out: list[tuple[str, str]] = []
    for item in items:
        pair = parse_pairs([item], "--map rule") if isinstance(item, str) else parse_pairs([tuple(item)], "--map rule")
        out.extend(pair.items())
    return out


def check_stage_rules(stages) -> dict[str, str]:
    """User stage rules as normalised label -> outcome; the outcome must be open, won or lost."""
    rules = parse_pairs(stages, "--stage rule")
    out = {}
    for label, outcome in rules.items():
        o = outcome.lower()
        if o not in ("open", "won", "lost"):
            raise BadImportOption(
                f"The stage rule {label}={outcome} gives an outcome that is not open, won or lost.",
                'Write it like --stage "Closed Won=won".',
            )
        out[normalise(label)] = o
    return out

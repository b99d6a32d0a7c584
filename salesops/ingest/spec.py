"""What an import may contain: each table's canonical fields, the vendor presets, stage rules.

Everything here is data. ``docs/IMPORT.md`` documents it and ``tests/unit/test_ingest_spec.py``
checks that every field and preset is documented there.

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


@dataclass(frozen=True)
class Field:
    name: str
    kind: str = "text"
    required: bool = False
    help: str = ""


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
            Field("ramp_months", "int", help="months of reduced quota after hire (default 0)"),
            Field("active", "bool", help="true/false, yes/no, 1/0 (default true)"),
            Field("fte", "float", help="capacity, 1 = full time (default 1)"),
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
            Field("deal_type", help="New Business, Renewal, … (HubSpot: the pipeline when no deal type)"),
        ),
        rep_ref="required",
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

# ---- presets --------------------------------------------------------------------------------------

#: preset -> table -> ((source column, field), …). For a field, the first source present wins.
PRESETS: dict[str, dict[str, tuple[tuple[str, str], ...]]] = {
    "salesforce": {
        "deals": (
            ("Id", "deal_id"),
            ("Opportunity ID", "deal_id"),
            ("Name", "name"),
            ("Opportunity Name", "name"),
            ("Account Name", "account"),
            ("Account.Name", "account"),
            ("AccountId", "account"),
            ("OwnerId", "rep_id"),
            ("Owner.Name", "rep_name"),
            ("Opportunity Owner", "rep_name"),
            ("Owner Name", "rep_name"),
            ("Owner", "rep_name"),
            ("StageName", "stage"),
            ("Stage", "stage"),
            ("Amount", "amount"),
            ("CreatedDate", "created_date"),
            ("CloseDate", "close_date"),
            ("IsClosed", "is_closed"),
            ("Closed", "is_closed"),
            ("IsWon", "is_won"),
            ("Won", "is_won"),
            ("Probability", "probability"),
            ("Probability (%)", "probability"),
            ("ForecastCategoryName", "forecast_category"),
            ("Forecast Category", "forecast_category"),
            ("Type", "deal_type"),
            ("LeadSource", "lead_source"),
            ("Product", "product"),
            ("Product Name", "product"),
        ),
        "reps": (
            ("Id", "rep_id"),
            ("Name", "name"),
            ("Full Name", "name"),
            ("Email", "email"),
            ("IsActive", "active"),
            ("Active", "active"),
            ("Division", "team"),
            ("Department", "team"),
            ("Manager.Name", "manager"),
            ("Manager", "manager"),
            ("Office", "office"),
            ("Title", "role"),
        ),
        "activities": (
            ("Id", "activity_id"),
            ("OwnerId", "rep_id"),
            ("Owner.Name", "rep_name"),
            ("Assigned", "rep_name"),
            ("TaskSubtype", "type"),
            ("Type", "type"),
            ("ActivityDate", "occurred_at"),
            ("WhatId", "deal_id"),
        ),
        "leads": (
            ("Id", "lead_id"),
            ("OwnerId", "rep_id"),
            ("Owner.Name", "rep_name"),
            ("LeadSource", "source"),
            ("CreatedDate", "created_at"),
        ),
    },
    "hubspot": {
        "deals": (
            ("Record ID", "deal_id"),
            ("Deal ID", "deal_id"),
            ("hs_object_id", "deal_id"),
            ("Deal Name", "name"),
            ("dealname", "name"),
            ("Deal Stage", "stage"),
            ("dealstage", "stage"),
            ("Amount", "amount"),
            ("Create Date", "created_date"),
            ("createdate", "created_date"),
            ("Close Date", "close_date"),
            ("closedate", "close_date"),
            ("Deal owner", "rep_name"),
            ("hubspot_owner_id", "rep_id"),
            ("Deal probability", "probability"),
            ("hs_deal_stage_probability", "probability"),
            ("Forecast category", "forecast_category"),
            ("hs_forecast_category", "forecast_category"),
            ("Deal Type", "deal_type"),
            ("dealtype", "deal_type"),
            ("Pipeline", "deal_type"),
            ("Associated Company", "account"),
            ("Associated Company (Primary)", "account"),
            ("Company name", "account"),
            ("Original Source Type", "lead_source"),
            ("Original Traffic Source", "lead_source"),
            ("Product", "product"),
        ),
        "reps": (
            ("User ID", "rep_id"),
            ("Owner ID", "rep_id"),
            ("Name", "name"),
            ("Email", "email"),
            ("Team", "team"),
            ("Primary team", "team"),
        ),
        "activities": (
            ("Record ID", "activity_id"),
            ("Activity type", "type"),
            ("Activity date", "occurred_at"),
            ("Activity assigned to", "rep_name"),
        ),
    },
}

PRESET_NAMES = tuple(PRESETS)

#: Common spellings matched with or without a preset (after the preset's own columns).
ALIASES: dict[str, tuple[tuple[str, str], ...]] = {
    "teams": (("Team", "name"), ("Team Name", "name"), ("Office", "region")),
    "reps": (("Full Name", "name"), ("Rep Name", "name"), ("Team Name", "team"), ("Sales Team", "team")),
    "quotas": (("Rep", "rep_name"), ("Owner", "rep_name"), ("Quota", "amount"), ("Period", "period_type")),
    "leads": (("Owner", "rep_name"), ("Lead Source", "source"), ("Created", "created_at"), ("Stage", "furthest_stage")),
    "deals": (
        ("Owner", "rep_name"),
        ("Deal Owner", "rep_name"),
        ("Rep", "rep_name"),
        ("Rep Name", "rep_name"),
        ("Deal Name", "name"),
        ("Created", "created_date"),
        ("Create Date", "created_date"),
        ("Closed", "close_date"),
    ),
    "activities": (("Owner", "rep_name"), ("Rep", "rep_name"), ("Activity Type", "type"), ("Date", "occurred_at")),
}

#: Stage rules: normalised stage label -> outcome. ``generic`` applies when no preset is given.
STAGE_RULES: dict[str, dict[str, str]] = {
    "salesforce": {
        **dict.fromkeys(
            (
                "Prospecting",
                "Qualification",
                "Needs Analysis",
                "Value Proposition",
                "Id. Decision Makers",
                "Perception Analysis",
                "Proposal/Price Quote",
                "Negotiation/Review",
            ),
            "open",
        ),
        "Closed Won": "won",
        "Closed Lost": "lost",
    },
    "hubspot": {
        **dict.fromkeys(
            (
                "Appointment Scheduled",
                "Qualified To Buy",
                "Presentation Scheduled",
                "Decision Maker Bought-In",
                "Contract Sent",
            ),
            "open",
        ),
        "Closed Won": "won",
        "Closed Lost": "lost",
    },
    "generic": {
        **dict.fromkeys(("Prospecting", "Qualification", "Discovery", "Proposal", "Negotiation"), "open"),
        "Closed Won": "won",
        "Won": "won",
        "Closed Lost": "lost",
        "Lost": "lost",
    },
}

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


def check_preset(preset: str | None) -> str | None:
    if preset in (None, "", "none"):
        return None
    if preset not in PRESETS:
        raise BadImportOption(f"Unknown preset {preset!r}.", f"Choose one of: {', '.join(PRESET_NAMES)}, or none.")
    return preset


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


def stage_rules(preset: str | None) -> dict[str, str]:
    """The built-in rules for ``preset`` (the generic ones without a preset), normalised."""
    return {normalise(k): v for k, v in STAGE_RULES[preset or "generic"].items()}


def propose_mapping(table: str, columns, preset: str | None = None, overrides=None) -> dict[str, str]:
    """Source column -> canonical field ('' = ignored) for every column of the file.

    Order of precedence: ``overrides`` (a dict or ``SOURCE=FIELD`` items; FIELD '' ignores the
    column), then the preset's columns, then the field's own name. A field is taken by at most one
    column; later candidates for a taken field are ignored.
    """
    spec = check_table(table)
    preset = check_preset(preset)
    cols = [str(c) for c in columns]
    user = parse_pairs(overrides, "--map rule")
    for field in user.values():
        if field and field not in spec.names:
            raise BadImportOption(
                f"--map names the field {field!r}, which {table} does not have.",
                f"Fields of {table}: {', '.join(spec.names)}.",
            )
    by_norm: dict[str, str] = {}
    for c in cols:
        by_norm.setdefault(normalise(c), c)
    out = dict.fromkeys(cols, "")
    taken: set[str] = set()
    fixed: set[str] = set()
    for source, field in user.items():
        col = source if source in out else by_norm.get(normalise(source))
        if col is None:
            continue  # reported by the validation as a missing column
        out[col] = field
        fixed.add(col)
        if field:
            taken.add(field)
    candidates = [
        *PRESETS.get(preset or "", {}).get(table, ()),
        *[(f, f) for f in spec.names],
        *ALIASES.get(table, ()),
    ]
    for source, field in candidates:
        col = by_norm.get(normalise(source))
        if col is None or col in fixed or out[col] or field in taken:
            continue
        out[col] = field
        taken.add(field)
    return out

"""Vendor presets: which columns a Salesforce or HubSpot export names each field, and their stage rules.

Everything here is data plus the one function that uses it, :func:`propose_mapping` (file column ->
field). ``docs/IMPORT.md`` documents the presets and ``tests/unit/test_ingest_spec.py`` checks that
every preset is documented there.
"""

from __future__ import annotations

from dataclasses import dataclass

from salesops.ingest.spec import BadImportOption, check_table, normalise, parse_map_rules

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
            ("ForecastCategory", "forecast_category"),
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
        "accounts": (
            ("Id", "account_id"),
            ("Account ID", "account_id"),
            ("Name", "name"),
            ("Account Name", "name"),
            ("Industry", "industry"),
            ("NumberOfEmployees", "size"),
            ("Employees", "size"),
            ("BillingCountry", "region"),
            ("Billing Country", "region"),
            ("Owner.Name", "owner"),
            ("Account Owner", "owner"),
            ("ParentId", "parent_id"),
            ("Parent Account ID", "parent_id"),
            ("Parent.Name", "parent"),
            ("Parent Account", "parent"),
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
        "accounts": (
            ("Record ID", "account_id"),
            ("Company ID", "account_id"),
            ("Company name", "name"),
            ("Name", "name"),
            ("Industry", "industry"),
            ("Number of Employees", "size"),
            ("Country/Region", "region"),
            ("Company owner", "owner"),
            ("Parent Company ID", "parent_id"),
            ("Parent Company", "parent"),
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
    "accounts": (
        ("Account Name", "name"),
        ("Account", "name"),
        ("Company", "name"),
        ("Company Name", "name"),
        ("Account ID", "account_id"),
        ("Parent Account", "parent"),
        ("Parent Account ID", "parent_id"),
        ("Owner", "owner"),
        ("Account Owner", "owner"),
        ("Employees", "size"),
        ("Country", "region"),
    ),
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


def check_preset(preset: str | None) -> str | None:
    if preset in (None, "", "none"):
        return None
    if preset not in PRESETS:
        raise BadImportOption(f"Unknown preset {preset!r}.", f"Choose one of: {', '.join(PRESET_NAMES)}, or none.")
    return preset


def stage_rules(preset: str | None) -> dict[str, str]:
    """The built-in rules for ``preset`` (the generic ones without a preset), normalised."""
    return {normalise(k): v for k, v in STAGE_RULES[preset or "generic"].items()}


@dataclass(frozen=True)
class ColumnMapping:
    """How a file's columns feed a table's fields.

    ``pairs``: (source column, field or '' if ignored), in file order; a column named by several
    ``--map`` rules appears once per field. ``clashes``: (field, column kept, other column) where
    two columns of the file claim one field (``Amount`` and ``amount``) — an error, because the
    second one's values would silently be dropped.
    """

    pairs: tuple[tuple[str, str], ...]
    clashes: tuple[tuple[str, str, str], ...] = ()

    @property
    def source(self) -> dict[str, str]:
        """field -> the file column it is read from."""
        return {f: col for col, f in self.pairs if f}


def map_columns(table: str, columns, preset: str | None = None, overrides=None) -> ColumnMapping:
    """The mapping of every file column to a field (see :func:`propose_mapping` for the precedence).

    Two columns claiming one field is a clash: both named by ``--map``, or two columns whose names
    read the same (``Amount``/``amount``, ``Close Date``/``CloseDate``). Alternatives a preset lists
    for one field (``Opportunity Name`` and ``Name``) are not a clash: the first present wins.
    """
    spec = check_table(table)
    preset = check_preset(preset)
    cols = [str(c) for c in columns]
    user = parse_map_rules(overrides)
    for _, field in user:
        if field and field not in spec.names:
            raise BadImportOption(
                f"--map names the field {field!r}, which {table} does not have.",
                f"Fields of {table}: {', '.join(spec.names)}.",
            )
    by_norm: dict[str, list[str]] = {}
    for c in cols:
        by_norm.setdefault(normalise(c), []).append(c)
    fields_of: dict[str, list[str]] = {c: [] for c in cols}
    owner: dict[str, str] = {}  # field -> column
    clashes: list[tuple[str, str, str]] = []
    fixed: set[str] = set()
    for source, field in user:
        col = source if source in fields_of else next(iter(by_norm.get(normalise(source), [])), None)
        if col is None:
            continue  # reported by the validation as a missing column
        fixed.add(col)
        if not field:
            continue
        if field in owner and owner[field] != col:
            clashes.append((field, owner[field], col))
            continue
        if field not in fields_of[col]:
            fields_of[col].append(field)
        owner[field] = col
    candidates = [
        *PRESETS.get(preset or "", {}).get(table, ()),
        *[(f, f) for f in spec.names],
        *ALIASES.get(table, ()),
    ]
    for source, field in candidates:
        same = [c for c in by_norm.get(normalise(source), []) if c not in fixed]
        if not same:
            continue
        col = same[0]
        if fields_of[col] or field in owner:
            continue
        fields_of[col].append(field)
        owner[field] = col
        clashes.extend((field, col, other) for other in same[1:])
        fixed.update(same)
    pairs = tuple((c, f) for c in cols for f in (fields_of[c] or [""]))
    return ColumnMapping(pairs, tuple(clashes))


def propose_mapping(table: str, columns, preset: str | None = None, overrides=None) -> dict[str, str]:
    """Source column -> canonical field ('' = ignored) for every column of the file.

    Order of precedence: ``overrides`` (a dict or ``SOURCE=FIELD`` items; FIELD '' ignores the
    column), then the preset's columns, then the field's own name. A field is taken by at most one
    column; later candidates for a taken field are ignored. A column that ``--map`` sends to two
    fields shows the first here (:func:`map_columns` has them all).
    """
    out: dict[str, str] = {}
    for col, field in map_columns(table, columns, preset, overrides).pairs:
        out.setdefault(col, field)
    return out

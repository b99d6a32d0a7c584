"""Vendor presets: which columns a Salesforce or HubSpot export names each field, and their stage rules.

Everything here is data plus the one function that uses it, :func:`propose_mapping` (file column ->
field). ``docs/IMPORT.md`` documents the presets and ``tests/unit/test_ingest_spec.py`` checks that
every preset is documented there.
"""

from __future__ import annotations

from salesops.ingest.spec import BadImportOption, check_table, normalise, parse_pairs

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


def check_preset(preset: str | None) -> str | None:
    if preset in (None, "", "none"):
        return None
    if preset not in PRESETS:
        raise BadImportOption(f"Unknown preset {preset!r}.", f"Choose one of: {', '.join(PRESET_NAMES)}, or none.")
    return preset


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

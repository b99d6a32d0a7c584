"""Per-table rows: a file's parsed cells shaped into the table's columns, with that table's own checks.

Each ``_<table>`` function takes the parsed cells ``c`` (by field), ``src`` (field -> the file's
column), the raw ``frame`` (text cells, for showing a bad value as the file had it) and the problem
log, and returns the rows to write. Checks every table shares (required values, duplicate ids)
are in ``salesops.ingest.validate``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesops import config
from salesops.ingest.accounts import account_rows, deal_types, link_accounts
from salesops.ingest.parse import blank_to_na
from salesops.ingest.presets import stage_rules
from salesops.ingest.report import ProblemLog
from salesops.ingest.reps import norm_names, resolve_teams
from salesops.ingest.spec import LEAD_STAGE_ALIASES, PERIOD_ALIASES, normalise
from salesops.store import schema
from salesops.store.probability import to_bp


def _na(c: pd.DataFrame, dtype: str = "str") -> pd.Series:
    return pd.Series(pd.NA, index=c.index, dtype=dtype)


def table_rows(engine, table: str, c, src, frame, problems: ProblemLog, *, team_of, new_teams, preset, user_rules):
    """The rows to write into ``table`` and, for deals, the stage summary ((stage, outcome, rows), …)."""
    if table == "deals":
        out, stage_list = _deals(c, src, frame, problems, team_of, preset, user_rules)
        out["account_id"] = link_accounts(engine, c, src, problems)
        out["deal_type"] = deal_types(c, src, problems)
        return out, stage_list
    if table == "reps":
        return _reps(engine, c, src, problems, new_teams), ()
    if table == "teams":
        return _teams(c), ()
    if table == "accounts":
        return account_rows(engine, c, src, problems), ()
    if table == "quotas":
        return _quotas(c, src, frame, problems), ()
    if table == "leads":
        return _leads(c, src, problems, team_of), ()
    return _activities(c, team_of), ()


def _teams(c) -> pd.DataFrame:
    out = pd.DataFrame(index=c.index)
    out["team_id"] = c["team_id"] if "team_id" in c else pd.NA
    out["name"] = c["name"].fillna(c["team_id"]) if "name" in c else out["team_id"]
    out["region"] = c["region"].fillna("Unassigned") if "region" in c else "Unassigned"
    out["manager"] = c.get("manager", _na(c))
    return out


def _reps(engine, c, src, problems, new_teams) -> pd.DataFrame:
    out = pd.DataFrame(index=c.index)
    out["rep_id"] = c.get("rep_id")
    out["name"] = c.get("name")
    out["team_id"] = (
        resolve_teams(engine, c, src, problems, new_teams) if {"team_id", "team", "manager"} & set(c) else pd.NA
    )
    out["role"] = c["role"].fillna("AE") if "role" in c else "AE"
    out["hire_date"] = c["hire_date"] if "hire_date" in c else pd.NaT
    out["ramp_months"] = c["ramp_months"].fillna(0).round().astype("Int64") if "ramp_months" in c else 0
    out["active"] = c["active"].fillna(True) if "active" in c else True
    out["fte"] = c["fte"].fillna(1.0) if "fte" in c else 1.0
    out["email"] = c.get("email", _na(c))
    return out


def _quotas(c, src, frame, problems) -> pd.DataFrame:
    pt = c["period_type"].map(normalise, na_action="ignore").map(PERIOD_ALIASES) if "period_type" in c else None
    if pt is not None:
        problems.cells(
            "bad_value",
            c["period_type"].notna() & pt.isna(),
            src["period_type"],
            c["period_type"],
            "period type must be week, month, quarter or year",
        )
        if "period_start" in c:
            d = c["period_start"]
            aligned = (
                ((pt == "week") & (d.dt.day_of_week == 0))
                | ((pt == "month") & (d.dt.day == 1))
                | ((pt == "quarter") & (d.dt.day == 1) & d.dt.month.isin([1, 4, 7, 10]))
                | ((pt == "year") & (d.dt.day == 1) & (d.dt.month == 1))
            )
            problems.cells(
                "bad_date",
                pt.notna() & d.notna() & ~aligned,
                src["period_start"],
                frame[src["period_start"]],
                "not the first day of the period (weeks start on Monday)",
            )
    out = pd.DataFrame(index=c.index)
    out["rep_id"] = c.get("rep_id")
    out["period_type"] = pt
    out["period_start"] = c.get("period_start")
    out["amount_cents"] = c.get("amount")
    return out


def _leads(c, src, problems, team_of) -> pd.DataFrame:
    stage = (
        c["furthest_stage"].map(normalise, na_action="ignore").map(LEAD_STAGE_ALIASES)
        if "furthest_stage" in c
        else None
    )
    if stage is not None:
        problems.cells(
            "bad_value",
            c["furthest_stage"].notna() & stage.isna(),
            src["furthest_stage"],
            c["furthest_stage"],
            "stage must be lead, mql, sql, opportunity or won",
        )
    out = pd.DataFrame(index=c.index)
    out["lead_id"] = c.get("lead_id")
    out["rep_id"] = c.get("rep_id", _na(c))
    out["team_id"] = out["rep_id"].map(team_of)
    out["source"] = c.get("source")
    out["created_at"] = c.get("created_at")
    out["furthest_stage"] = stage
    return out


def _deals(c, src, frame, problems, team_of, preset, user_rules) -> tuple[pd.DataFrame, tuple]:
    stage_list: tuple = ()
    if "stage" in c:
        outcome = _outcomes(c["stage"], c, src, preset, user_rules, problems)
        summary = pd.DataFrame({"stage": c["stage"], "outcome": outcome.fillna("")}).value_counts(sort=False)
        stage_list = tuple((str(s), str(o), int(n)) for (s, o), n in summary.items())
    else:
        outcome = _na(c)
    _check_close_dates(c, src, frame, problems, outcome)
    _check_plausibility(c, src, frame, problems, outcome)
    out = pd.DataFrame(index=c.index)
    out["deal_id"] = c.get("deal_id")
    for name in ("name", "account", "product", "stage", "forecast_category", "lead_source", "deal_type"):
        out[name] = c[name] if name in c else _na(c)
    out["rep_id"] = c.get("rep_id")
    out["team_id"] = out["rep_id"].map(team_of)
    out["outcome"] = outcome
    out["amount_cents"] = c["amount"] if "amount" in c else _na(c, "Int64")
    out["probability_bp"] = to_bp(c["probability"]) if "probability" in c else _na(c, "Int64")
    out["created_date"] = c.get("created_date")
    out["close_date"] = c["close_date"] if "close_date" in c else pd.NaT
    return out, stage_list


def _check_close_dates(c, src, frame, problems, outcome) -> None:
    """A close date before the create date, and a won or lost deal without a close date."""
    if "created_date" in c and "close_date" in c:
        early = c["close_date"] < c["created_date"]
        problems.cells(
            "close_before_create",
            early,
            src["close_date"],
            frame[src["close_date"]],
            "close date is before the create date",
        )
    closed = outcome.isin(["won", "lost"])
    # A close date that is there but unreadable is already reported as bad_date.
    no_close = closed & (blank_to_na(frame[src["close_date"]]).isna() if "close_date" in c else True)
    problems.cells(
        "missing_value",
        pd.Series(no_close, index=c.index),
        src.get("close_date", "close_date"),
        None,
        "a won or lost deal needs a close date",
    )


def _check_plausibility(c, src, frame, problems, outcome) -> None:
    """Warnings: closed deals dated after today, open ones past their close date, a probability
    that contradicts the outcome (an amount far beyond the team's usual is checked across all rows,
    ``salesops.ingest.validate.check_cross_rows``)."""
    today = pd.Timestamp(config.today())
    if "close_date" in c:
        raw = frame[src["close_date"]]
        problems.cells(
            "closed_in_future",
            outcome.isin(["won", "lost"]) & (c["close_date"] > today),
            src["close_date"],
            raw,
            f"a won or lost deal with a close date after today ({today:%Y-%m-%d})",
        )
        problems.cells(
            "open_past_close",
            outcome.eq("open") & (c["close_date"] < today),
            src["close_date"],
            raw,
            "an open deal whose expected close date has passed; update it in the CRM",
        )
    if "probability" in c:
        p = c["probability"].astype("Float64")
        odd = (outcome.eq("won") & (p < 1)) | (outcome.eq("lost") & (p > 0))
        problems.cells(
            "probability_vs_outcome",
            odd,
            src["probability"],
            frame[src["probability"]],
            "the probability contradicts the outcome (won below 100 % or lost above 0 %)",
        )


def _activities(c, team_of) -> pd.DataFrame:
    out = pd.DataFrame(index=c.index)
    out["activity_id"] = c.get("activity_id")
    out["rep_id"] = c.get("rep_id")
    out["team_id"] = out["rep_id"].map(team_of)
    out["type"] = c["type"].str.lower() if "type" in c else pd.NA
    out["occurred_at"] = c.get("occurred_at")
    out["deal_id"] = c.get("deal_id", _na(c))
    return out


def _outcomes(spec_stage: pd.Series, c, src, preset, user_rules, problems) -> pd.Series:
    """Deal outcome: user --stage rules, then an outcome column, then IsWon/IsClosed, then preset rules."""
    base = stage_rules(preset)
    key = norm_names(spec_stage.fillna("")).map(normalise)

    def rule(rules: dict[str, str]) -> pd.Series:
        hit = key.map(rules)
        # HubSpot labels may carry the pipeline: "Closed Won (Sales Pipeline)".
        bare = norm_names(spec_stage.fillna("")).str.replace(r"\s*\([^)]*\)$", "", regex=True).map(normalise)
        return hit.fillna(bare.map(rules))

    outcome = rule(user_rules) if user_rules else pd.Series(pd.NA, index=c.index, dtype="str")
    if "outcome" in c:
        given = c["outcome"].str.lower()
        bad = given.notna() & ~given.isin(schema.OUTCOMES)
        problems.cells("bad_value", bad, src["outcome"], c["outcome"], "outcome must be open, won or lost")
        outcome = outcome.fillna(given.where(~bad))
    if "is_won" in c and "is_closed" in c:
        # The documented rule, blanks included: Salesforce writes false as an empty cell, so a row
        # with both flags blank is an open deal.
        flags = pd.Series(
            np.where(c["is_won"].fillna(False), "won", np.where(c["is_closed"].fillna(False), "lost", "open")),
            index=c.index,
        )
        outcome = outcome.fillna(flags)
    outcome = outcome.fillna(rule(base))
    problems.cells(
        "unmapped_stage",
        spec_stage.notna() & outcome.isna(),
        src.get("stage", "stage"),
        spec_stage,
        'stage has no outcome rule; add one like --stage "<stage>=open|won|lost"',
    )
    return outcome

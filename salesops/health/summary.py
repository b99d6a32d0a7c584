"""Data health per team: counts and value per check, the data-trust score, and the flagged share of a pipeline.

**Data-trust score** (0–100, docs/DATA_HEALTH.md): the share of a team's *live* deals (open today,
or closed in the last 365 days) with no deal-level flag (stale, past close, pushed, missing
amount, duplicate, import warning), as a percentage, minus 5 points for each of its active reps
with deals but no quota, floored at 0. A team with no live deals scores None (nothing to trust).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from salesops import store
from salesops.health.checks import CHECKS, DEAL_CHECKS, HealthSettings, find_flags
from salesops.scope import Scope
from salesops.store.sql import scope_filter

#: Points a team loses for each active rep with deals but no quota.
NO_QUOTA_PENALTY = 5
NO_TEAM = "(no team)"


def summarise(flags: pd.DataFrame, by_team: bool = False) -> pd.DataFrame:
    """Counts and value per check (and team): [team_id,] check, what, records, value_cents."""
    keys = ["team_id", "check"] if by_team else ["check"]
    f = flags.assign(team_id=flags["team_id"].fillna(NO_TEAM))
    out = (
        f.groupby(keys, dropna=False)
        .agg(records=("record_id", "nunique"), value_cents=("value_cents", lambda v: int(v.fillna(0).sum())))
        .reset_index()
    )
    out.insert(len(keys), "what", out["check"].map(CHECKS))
    order = {c: i for i, c in enumerate(CHECKS)}
    return out.sort_values(keys, key=lambda s: s.map(order) if s.name == "check" else s).reset_index(drop=True)


def trust_scores(engine: Engine, flags: pd.DataFrame, settings: HealthSettings) -> pd.DataFrame:
    """Per team: team_id, team, live_deals, flagged_deals, reps_without_quota, trust (0–100 or None)."""
    live = store.read_frame(
        engine,
        sa.text(
            """SELECT t.team_id, t.name AS team, d.deal_id FROM teams t
               LEFT JOIN deals d ON d.team_id = t.team_id
                 AND (d.outcome = 'open' OR d.close_date >= :year_ago)"""
        ),
        {"year_ago": settings.today - timedelta(days=365)},
    )
    deal_flags = flags[flags["check"].isin(DEAL_CHECKS)]
    flagged_ids = set(deal_flags["record_id"])
    live["flagged"] = live["deal_id"].isin(flagged_ids)
    per = (
        live.groupby(["team_id", "team"])
        .agg(live_deals=("deal_id", "count"), flagged_deals=("flagged", "sum"))
        .reset_index()
    )
    no_quota = flags[flags["check"] == "no_quota"].groupby("team_id")["record_id"].nunique()
    per["reps_without_quota"] = per["team_id"].map(no_quota).fillna(0).astype(int)
    clean = 100 * (per["live_deals"] - per["flagged_deals"]) / per["live_deals"].where(per["live_deals"] > 0)
    score = (clean - NO_QUOTA_PENALTY * per["reps_without_quota"]).clip(lower=0).round(1)
    per["trust"] = score.astype("Float64")
    per["flagged_deals"] = per["flagged_deals"].astype(int)
    return per.sort_values("trust", na_position="last").reset_index(drop=True)


def flagged_share(engine: Engine, scope: Scope, settings: HealthSettings) -> tuple[float, int]:
    """(share of the scope's open pipeline value that is stale or past its close date, open deals flagged).

    The one-line warning the Home and Team performance pages show ("8 % of this pipeline is stale
    — see Data health"). 0.0 when the scope has no open pipeline.
    """
    where, params = scope_filter(scope, "d")
    flags = find_flags(engine, settings)
    bad = set(flags.loc[flags["check"].isin(["stale", "past_close"]), "record_id"])
    open_deals = store.read_frame(
        engine,
        sa.text(f"SELECT d.deal_id, d.amount_cents FROM deals d WHERE d.outcome = 'open' {where}"),  # noqa: S608 - scope_filter binds its values
        params,
    )
    if open_deals.empty:
        return 0.0, 0
    cents = open_deals["amount_cents"].fillna(0).astype("int64")
    hit = open_deals["deal_id"].isin(bad)
    total = int(cents.sum())
    return (int(cents[hit].sum()) / total if total else 0.0), int(hit.sum())


@dataclass(frozen=True)
class HealthReport:
    """Everything the Data health view shows: the flags, the per-team counts and the trust scores."""

    settings: HealthSettings
    flags: pd.DataFrame  # FLAG_COLUMNS, one row per (check, record)
    by_team: pd.DataFrame  # team_id, check, what, records, value_cents
    trust: pd.DataFrame  # team_id, team, live_deals, flagged_deals, reps_without_quota, trust


def health_report(engine: Engine, today: date, stale_days: int = 30) -> HealthReport:
    """The data-health report as of ``today`` with ``stale_days`` as the stale period."""
    settings = HealthSettings(today=today, stale_days=stale_days)
    flags = find_flags(engine, settings)
    return HealthReport(settings, flags, summarise(flags, by_team=True), trust_scores(engine, flags, settings))


#: The most records of one check the Data health list shows (and downloads) at once.
MAX_LISTED_RECORDS = 2_000


def records_to_fix(report: HealthReport, check: str, limit: int = MAX_LISTED_RECORDS) -> tuple[pd.DataFrame, int]:
    """The first ``limit`` records ``check`` flags (FLAG_COLUMNS plus ``team``, the team's name) and how many
    it flags in all: a check flagging a large store's deals by the hundred thousand lists a page of them."""
    mine = report.flags[report.flags["check"] == check]
    shown = mine.head(limit).merge(report.trust[["team_id", "team"]], on="team_id", how="left")
    return shown.assign(team=shown["team"].fillna("(no team)")), len(mine)


def pipeline_flag_share(engine: Engine, scope: Scope, today: date, stale_days: int = 30) -> tuple[float, int]:
    """:func:`flagged_share` with plain arguments (what a page's cached loader passes)."""
    return flagged_share(engine, scope, HealthSettings(today=today, stale_days=stale_days))

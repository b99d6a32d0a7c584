"""Data health per team: counts and value per check, the data-trust score, and the flagged share of a pipeline.

Everything here is counted in SQL over the checks' union (:func:`~salesops.health.checks.flags_sql`):
a large store flags its deals by the hundred thousand, and a page gets only the counts per team
and one page of records (:func:`records_to_fix`), never every flag.

**Data-trust score** (0–100, docs/DATA_HEALTH.md): the share of a team's *live* deals (open today,
or closed in the last 365 days) with no deal-level flag (stale, past close, pushed, missing
amount, duplicate, import warning), as a percentage, minus 5 points for each of its active reps
with deals but no quota, floored at 0. A team with no live deals scores None (nothing to trust).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from salesops import store
from salesops.health.checks import (
    CHECKS,
    DEAL_CHECKS,
    FLAG_COLUMNS,
    STALE_DAYS,
    HealthSettings,
    flags_sql,
    query_params,
)
from salesops.scope import Scope
from salesops.store.sql import scope_filter

#: Points a team loses for each active rep with deals but no quota.
NO_QUOTA_PENALTY = 5
NO_TEAM = "(no team)"


def flag_counts(engine: Engine, settings: HealthSettings, by_team: bool = False) -> pd.DataFrame:
    """Counts and value per check (and team): [team_id,] check, what, records, value_cents.

    ``records`` counts distinct records; ``value_cents`` sums the money at stake over the flags
    (a deal with two import warnings counts its amount twice). No team reads "(no team)".
    """
    keys = ["team_id", "check"] if by_team else ["check"]
    cols = ", ".join(f'f."{k}"' for k in keys)
    out = store.read_frame(
        engine,
        sa.text(
            f"""SELECT {cols}, COUNT(DISTINCT f.record_id) AS records,
                       CAST(COALESCE(SUM(f.value_cents), 0) AS BIGINT) AS value_cents
                FROM ({flags_sql()}) AS f GROUP BY {cols}"""  # noqa: S608 - fixed SQL and our column names
        ),
        query_params(settings),
    )
    return _counts_frame(out, keys)


def _counts_frame(out: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    if "team_id" in keys:
        out["team_id"] = out["team_id"].astype("object").where(out["team_id"].notna(), NO_TEAM)
    out["records"] = out["records"].astype("int64")
    out["value_cents"] = out["value_cents"].astype("int64")
    out.insert(len(keys), "what", out["check"].map(CHECKS))
    order = {c: i for i, c in enumerate(CHECKS)}
    return out.sort_values(keys, key=lambda s: s.map(order) if s.name == "check" else s).reset_index(drop=True)


def _counts_and_flagged(engine: Engine, settings: HealthSettings) -> tuple[pd.DataFrame, pd.Series]:
    """(:func:`flag_counts` by team, the live deals any deal check flags per team) from one
    evaluation of every check: the per-team figure is a grouping set of the same flags."""
    deal_checks = ", ".join(f"'{c}'" for c in DEAL_CHECKS)
    out = store.read_frame(
        engine,
        sa.text(
            f"""WITH f AS MATERIALIZED ({flags_sql()})
                SELECT f.team_id, f."check", 0 AS per_team, COUNT(DISTINCT f.record_id) AS records,
                       CAST(COALESCE(SUM(f.value_cents), 0) AS BIGINT) AS value_cents, 0 AS flagged_deals
                FROM f GROUP BY f.team_id, f."check"
                UNION ALL
                SELECT f.team_id, NULL, 1, 0, 0, COUNT(DISTINCT f.record_id)
                FROM f WHERE f.live AND f."check" IN ({deal_checks}) GROUP BY f.team_id"""  # noqa: S608 - fixed SQL
        ),
        query_params(settings),
    )
    teams = out[out["per_team"] == 1]
    flagged = teams.set_index("team_id")["flagged_deals"].astype("int64")
    counts = out[out["per_team"] == 0][["team_id", "check", "records", "value_cents"]].reset_index(drop=True)
    return _counts_frame(counts, ["team_id", "check"]), flagged[flagged.index.notna()]


def trust_scores(
    engine: Engine,
    settings: HealthSettings,
    checks: Sequence[str] = DEAL_CHECKS,
    counts: pd.DataFrame | None = None,
    flagged: pd.Series | None = None,
) -> pd.DataFrame:
    """Per team: team_id, team, live_deals, flagged_deals, reps_without_quota, trust (0–100 or None).

    ``checks``: the deal checks that make a deal flagged; ``counts``: :func:`flag_counts` by team
    when the caller has it (its no_quota records are the reps without quota); ``flagged``: the live
    deals ``checks`` flag per team (team_id -> count) when the caller has it.
    """
    unknown = set(checks) - set(DEAL_CHECKS)
    if unknown:
        raise ValueError(f"Not deal checks: {sorted(unknown)}")
    params = query_params(settings)
    if flagged is None:
        # Each check says whether its deal is live (checks.LIVE): the flagged live deals are counted
        # from the flags alone.
        flagged = (
            store.read_frame(
                engine,
                sa.text(
                    f"""SELECT f.team_id, COUNT(DISTINCT f.record_id) AS n FROM ({flags_sql(checks)}) AS f
                        WHERE f.live AND f.team_id IS NOT NULL GROUP BY f.team_id"""  # noqa: S608 - fixed SQL
                ),
                params,
            ).set_index("team_id")["n"]
            if checks
            else pd.Series(dtype="int64")
        )
    # The live deals per team: the stored open deals, and the won and lost deals per close day of
    # the rollups (whole months from rep_months, the first days from rep_days).
    per = store.read_frame(
        engine,
        sa.text(
            """SELECT t.team_id, t.name AS team, COALESCE(l.n, 0) AS live_deals
               FROM teams t LEFT JOIN (
                   SELECT team_id, SUM(n) AS n FROM (
                       SELECT team_id, COUNT(*) AS n FROM open_deal_touches GROUP BY team_id
                       UNION ALL
                       SELECT team_id, SUM(won_count + lost_count) FROM rep_days
                       WHERE day >= :year_ago AND day < :live_month GROUP BY team_id
                       UNION ALL
                       SELECT team_id, SUM(won_count + lost_count) FROM rep_months
                       WHERE month >= :live_month GROUP BY team_id
                   ) x GROUP BY team_id
               ) l ON l.team_id = t.team_id"""
        ),
        {"year_ago": params["year_ago"], "live_month": _first_month_from(params["year_ago"])},
    )
    per["flagged_deals"] = per["team_id"].map(flagged).fillna(0)
    if counts is None:
        counts = flag_counts(engine, settings, by_team=True)
    no_quota = counts[counts["check"] == "no_quota"].set_index("team_id")["records"]
    per["live_deals"] = per["live_deals"].astype(int)
    per["flagged_deals"] = per["flagged_deals"].astype(int)
    per["reps_without_quota"] = per["team_id"].map(no_quota).fillna(0).astype(int)
    clean = 100 * (per["live_deals"] - per["flagged_deals"]) / per["live_deals"].where(per["live_deals"] > 0)
    score = (clean - NO_QUOTA_PENALTY * per["reps_without_quota"]).clip(lower=0).round(1)
    per["trust"] = score.astype("Float64")
    per = per[["team_id", "team", "live_deals", "flagged_deals", "reps_without_quota", "trust"]]
    return per.sort_values(["trust", "team_id"], na_position="last").reset_index(drop=True)


def _first_month_from(day: date) -> date:
    """The first day of the first calendar month that starts on or after ``day``."""
    return day if day.day == 1 else (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def flagged_share(engine: Engine, scope: Scope, settings: HealthSettings) -> tuple[float, int]:
    """(share of the scope's open pipeline value that is stale or past its close date, open deals flagged).

    The one-line warning the Home and Team performance pages show ("8 % of this pipeline is stale
    — see Data health"). 0.0 when the scope has no open pipeline.
    """
    # Read from the stored open deals with their last touch (salesops.store.health_tables): the stale
    # check is "last touch before the stale period", past close "expected close date before today".
    where, params = scope_filter(scope, "t")
    bad = "(t.last_touch < :stale_before OR t.close_date < :today)"
    row = store.read_frame(
        engine,
        sa.text(
            f"""SELECT CAST(COALESCE(SUM(t.amount_cents), 0) AS BIGINT) AS total_cents,
                       CAST(COALESCE(SUM(CASE WHEN {bad} THEN t.amount_cents END), 0) AS BIGINT) AS hit_cents,
                       COUNT(CASE WHEN {bad} THEN 1 END) AS hit
                FROM open_deal_touches t
                WHERE TRUE {where}"""  # noqa: S608 - fixed SQL; scope_filter binds its values
        ),
        {**query_params(settings), **params},
    ).iloc[0]
    total, hit_cents, hit = int(row["total_cents"]), int(row["hit_cents"]), int(row["hit"])
    return (hit_cents / total if total else 0.0), hit


@dataclass(frozen=True)
class HealthReport:
    """What the Data health view shows first: the counts per team and check, and the trust scores.

    The records of a check come a page at a time from :func:`records_to_fix`.
    """

    settings: HealthSettings
    by_team: pd.DataFrame  # team_id, check, what, records, value_cents
    trust: pd.DataFrame  # team_id, team, live_deals, flagged_deals, reps_without_quota, trust

    @property
    def checks(self) -> list[str]:
        """The checks that flag at least one record, in CHECKS order."""
        found = set(self.by_team["check"])
        return [c for c in CHECKS if c in found]


def health_report(engine: Engine, today: date, stale_days: int = STALE_DAYS) -> HealthReport:
    """The data-health report as of ``today`` with ``stale_days`` as the stale period."""
    settings = HealthSettings(today=today, stale_days=stale_days)
    counts, flagged = _counts_and_flagged(engine, settings)
    return HealthReport(settings, counts, trust_scores(engine, settings, counts=counts, flagged=flagged))


#: The most records of one check the Data health list shows (and downloads) at once.
MAX_LISTED_RECORDS = 2_000


def records_to_fix(
    engine: Engine, today: date, stale_days: int, check: str, limit: int = MAX_LISTED_RECORDS
) -> tuple[pd.DataFrame, int]:
    """The first ``limit`` records ``check`` flags, most money at stake first (FLAG_COLUMNS plus
    ``team``, the team's name), and how many it flags in all: cut in SQL, since a check can flag a
    large store's deals by the hundred thousand."""
    if check not in CHECKS:
        raise ValueError(f"Unknown data-health check {check!r}; choose one of {', '.join(CHECKS)}.")
    settings = HealthSettings(today=today, stale_days=stale_days)
    params = {**query_params(settings), "limit": int(limit)}
    one = flags_sql((check,))
    # One evaluation of the check: the full count rides on every listed row (a window over all of
    # them, computed before the cut); no row listed means none flagged.
    shown = store.read_frame(
        engine,
        sa.text(
            f"""SELECT f.*, t.name AS team, COUNT(*) OVER () AS flagged_in_all
                FROM ({one}) AS f LEFT JOIN teams t ON t.team_id = f.team_id
                ORDER BY COALESCE(f.value_cents, 0) DESC, f.record_id, f.detail LIMIT :limit"""  # noqa: S608 - fixed SQL
        ),
        params,
    )
    if len(shown) or limit > 0:
        total = int(shown["flagged_in_all"].iloc[0]) if len(shown) else 0
    else:  # nothing listed on purpose: count apart
        counted = store.read_frame(engine, sa.text(f"SELECT COUNT(*) AS n FROM ({one}) AS f"), params)  # noqa: S608
        total = int(counted["n"].iloc[0])
    shown = shown[[*FLAG_COLUMNS, "team"]]
    shown["value_cents"] = shown["value_cents"].astype("Int64")
    return shown.assign(team=shown["team"].fillna(NO_TEAM)), total


def pipeline_flag_share(engine: Engine, scope: Scope, today: date, stale_days: int = STALE_DAYS) -> tuple[float, int]:
    """:func:`flagged_share` with plain arguments (what a page's cached loader passes)."""
    return flagged_share(engine, scope, HealthSettings(today=today, stale_days=stale_days))

"""Why is a rep behind: funnel stage by stage, time in stage, activity mix, lead quality.

Definitions: docs/LEADERBOARDS.md ("Why behind"). One call, :func:`diagnose`, runs three grouped
queries for one rep and the rest of their current team (same role), over the scope's date range:

* **Funnel**: deals closed (won or lost) in the range, by their stage history. The funnel stages are
  the stages won deals pass through, in the order they reach them (a "Closed Lost" stage that only
  lost deals reach is not a step). Conversion from a stage = deals that reached the next stage ÷
  deals that reached it. Days in stage = days from entering it to entering the next stage; medians.
* **Activity mix**: activities in the range by type, the rep against the average of the rest of
  the team.
* **Leads**: leads created in the range; qualified = reached SQL or further. "Plenty of leads, few
  qualified" is flagged when the rep has at least the company's median lead count per rep (and at
  least :data:`MIN_LEADS`) but qualifies less than half the company's rate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from salesops.errors import InvalidFilter
from salesops.scope import Scope
from salesops.store.engine import result_frame as _frame
from salesops.store.schema import LEAD_STAGES
from salesops.store.sql import viewer_filter

#: Leads below this count are too few to call a lead-quality problem.
MIN_LEADS = 20
#: A stage is a stall when the rep converts this many points below the rest of the team…
STALL_POINTS = 0.10
#: …or sits this many times the team's median days in it; with at least this many deals there.
STALL_DAYS_RATIO = 1.5
MIN_STAGE_DEALS = 5
QUALIFIED_STAGES = LEAD_STAGES[2:]  # sql, opportunity, won


@dataclass(frozen=True)
class Diagnosis:
    """The rep's diagnosis for a scope.

    ``funnel``: stage, reached_rep, reached_team, conv_rep, conv_team (to the next stage, 0..1),
    days_rep, days_team (median days in the stage), stall (bool).
    ``activities``: type, rep, team_avg (per rep), share_rep, share_team.
    ``leads``: one-row frame: leads_rep, qualified_rep, rate_rep, leads_team_avg, rate_team,
    leads_company_median, rate_company, red_flag.
    ``findings``: plain sentences, most telling first.
    """

    rep_id: str
    name: str
    team_id: str
    role: str
    funnel: pd.DataFrame
    activities: pd.DataFrame
    leads: pd.DataFrame
    findings: tuple[str, ...]


_FUNNEL_SQL = """
    WITH peers AS (
        SELECT rep_id FROM reps WHERE team_id = :team AND role = :role AND rep_id <> :rep
    ),
    d AS (
        SELECT deal_id, outcome, created_date, close_date, rep_id = :rep AS is_rep
        FROM deals
        WHERE outcome IN ('won', 'lost') AND close_date BETWEEN :start AND :end
          AND (rep_id = :rep OR (team_id = :team AND rep_id IN (SELECT rep_id FROM peers)))
    ),
    h AS (
        SELECT h.deal_id, h.stage, h.entered_at, d.is_rep, d.outcome, d.created_date, d.close_date
        FROM deal_stage_history h JOIN d ON d.deal_id = h.deal_id
    ),
    stage_order AS (
        SELECT stage,
               AVG(CAST(entered_at - created_date AS DOUBLE PRECISION) / GREATEST(1, close_date - created_date)) AS pos
        FROM h WHERE outcome = 'won' GROUP BY stage
    ),
    steps AS (
        SELECT h.deal_id, h.stage, h.is_rep, o.pos,
               LEAD(h.entered_at) OVER (PARTITION BY h.deal_id ORDER BY h.entered_at, o.pos) - h.entered_at AS days
        FROM h JOIN stage_order o ON o.stage = h.stage
    )
    SELECT stage, MIN(pos) AS pos,
           COUNT(DISTINCT deal_id) FILTER (WHERE is_rep) AS reached_rep,
           COUNT(DISTINCT deal_id) FILTER (WHERE NOT is_rep) AS reached_team,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY days) FILTER (WHERE is_rep) AS days_rep,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY days) FILTER (WHERE NOT is_rep) AS days_team
    FROM steps GROUP BY stage ORDER BY pos
"""

_ACTIVITY_SQL = """
    WITH peers AS (
        SELECT rep_id FROM reps WHERE team_id = :team AND role = :role AND rep_id <> :rep
    )
    SELECT type,
           COUNT(*) FILTER (WHERE rep_id = :rep) AS rep,
           COUNT(*) FILTER (WHERE rep_id <> :rep) AS team,
           (SELECT COUNT(*) FROM peers) AS peers
    FROM activities
    WHERE occurred_at BETWEEN :start AND :end
      AND (rep_id = :rep OR (team_id = :team AND rep_id IN (SELECT rep_id FROM peers)))
    GROUP BY type ORDER BY type
"""

_LEADS_SQL = """
    WITH per_rep AS MATERIALIZED (
        SELECT rep_id, team_id, COUNT(*) AS n,
               COUNT(*) FILTER (WHERE furthest_stage IN (:q0, :q1, :q2)) AS q
        FROM leads
        WHERE created_at BETWEEN :start AND :end AND rep_id IS NOT NULL
        GROUP BY rep_id, team_id
    ),
    peers AS (
        SELECT rep_id FROM reps WHERE team_id = :team AND role = :role AND rep_id <> :rep
    ),
    by_rep AS (SELECT rep_id, SUM(n) AS n, SUM(q) AS q FROM per_rep GROUP BY rep_id),
    company AS (
        SELECT COALESCE(SUM(n) FILTER (WHERE rep_id = :rep), 0) AS leads_rep,
               COALESCE(SUM(q) FILTER (WHERE rep_id = :rep), 0) AS qualified_rep,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY n) AS leads_company_median,
               COALESCE(SUM(n), 0) AS leads_company,
               COALESCE(SUM(q), 0) AS qualified_company
        FROM by_rep
    ),
    team AS (
        SELECT COALESCE(SUM(n), 0) AS leads_team, COALESCE(SUM(q), 0) AS qualified_team
        FROM per_rep WHERE team_id = :team AND rep_id IN (SELECT rep_id FROM peers)
    )
    -- One pass over the leads in range (per_rep is computed once), then one row of figures.
    SELECT company.leads_rep, company.qualified_rep, team.leads_team, team.qualified_team,
           (SELECT COUNT(*) FROM peers) AS peers, company.leads_company_median,
           company.leads_company, company.qualified_company
    FROM company, team
"""


def _rep(conn, rep_id: str, viewer=None) -> dict:
    """The rep's row, if ``viewer`` may see it (a manager their teams' reps, a rep themselves)."""
    view_where, view_params = viewer_filter(viewer)
    row = conn.execute(
        sa.text(f"SELECT rep_id, name, team_id, role FROM reps WHERE rep_id = :rep {view_where}"),  # noqa: S608 - our fragment
        {"rep": rep_id, **view_params},
    ).one_or_none()
    if row is None:
        raise InvalidFilter(f"There is no rep {rep_id!r} in your view.", "Pick a rep from the board.")
    return dict(row._mapping)


def _ratio(a, b):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(np.asarray(b, float) > 0, np.asarray(a, float) / np.asarray(b, float), np.nan)


def funnel_frame(raw: pd.DataFrame) -> pd.DataFrame:
    """Conversions and stalls from the per-stage counts (stage, reached_rep, reached_team, days_rep,
    days_team, in funnel order): conv_* = reached of the next stage ÷ reached of this one."""
    f = raw.reset_index(drop=True).copy()
    for col in ("reached_rep", "reached_team"):
        f[col] = f[col].astype(float)
    f["conv_rep"] = _ratio(f["reached_rep"].shift(-1), f["reached_rep"])
    f["conv_team"] = _ratio(f["reached_team"].shift(-1), f["reached_team"])
    for col in ("days_rep", "days_team"):
        f[col] = pd.to_numeric(f[col], errors="coerce")
    enough = f["reached_rep"] >= MIN_STAGE_DEALS
    slow = (f["days_rep"] >= STALL_DAYS_RATIO * f["days_team"]) & (f["days_team"] > 0)
    leaks = (f["conv_team"] - f["conv_rep"]) >= STALL_POINTS
    f["stall"] = (enough & (slow.fillna(False) | leaks.fillna(False))).astype(bool)
    return f[["stage", "reached_rep", "reached_team", "conv_rep", "conv_team", "days_rep", "days_team", "stall"]]


def _findings(name: str, funnel: pd.DataFrame, acts: pd.DataFrame, leads: pd.Series) -> list[str]:
    out = []
    for row in funnel[funnel["stall"]].itertuples():
        bits = []
        if not np.isnan(row.conv_rep) and not np.isnan(row.conv_team) and row.conv_team - row.conv_rep >= STALL_POINTS:
            bits.append(f"only {row.conv_rep:.0%} of deals move on from {row.stage} (team {row.conv_team:.0%})")
        if (
            not np.isnan(row.days_rep)
            and not np.isnan(row.days_team)
            and row.days_rep >= STALL_DAYS_RATIO * row.days_team
        ):
            bits.append(f"deals sit {row.days_rep:.0f} days in {row.stage} (team median {row.days_team:.0f})")
        if bits:
            out.append(f"Stalls at {row.stage}: " + "; ".join(bits) + ".")
    if len(acts):
        rep_total, team_total = acts["rep"].sum(), acts["team_avg"].sum()
        if team_total > 0 and rep_total < 0.8 * team_total:
            out.append(
                f"{name} logged {rep_total:.0f} activities, {rep_total / team_total - 1:+.0%} against the team's average of {team_total:.0f}."
            )
    if bool(leads["red_flag"]):
        out.append(
            f"Plenty of leads, few qualified: {leads['leads_rep']:.0f} leads (company median {leads['leads_company_median']:.0f} per rep) "
            f"but only {leads['rate_rep']:.0%} reached SQL (company {leads['rate_company']:.0%})."
        )
    return out


def diagnose(engine: Engine, scope: Scope, rep_id: str) -> Diagnosis:
    """The funnel, activity mix and lead quality of ``rep_id`` against the rest of their team."""
    binds = {"start": scope.start, "end": scope.end, "rep": rep_id}
    with engine.connect() as conn:
        rep = _rep(conn, rep_id, scope.viewer)
        binds.update(team=rep["team_id"], role=rep["role"])
        raw = _frame(conn.execute(sa.text(_FUNNEL_SQL), binds))
        acts = _frame(conn.execute(sa.text(_ACTIVITY_SQL), binds))
        qual = {f"q{i}": s for i, s in enumerate(QUALIFIED_STAGES)}
        leads = _frame(conn.execute(sa.text(_LEADS_SQL), {**binds, **qual}))
    funnel = (
        funnel_frame(raw)
        if len(raw)
        else funnel_frame(pd.DataFrame(columns=["stage", "reached_rep", "reached_team", "days_rep", "days_team"]))
    )
    peers = float(acts["peers"].iloc[0]) if len(acts) else 0.0
    mix = pd.DataFrame({"type": acts.get("type", pd.Series(dtype=str))})
    mix["rep"] = acts.get("rep", pd.Series(dtype=float)).astype(float)
    mix["team_avg"] = acts.get("team", pd.Series(dtype=float)).astype(float) / peers if peers else np.nan
    mix["share_rep"] = _ratio(mix["rep"], mix["rep"].sum())
    mix["share_team"] = _ratio(mix["team_avg"], mix["team_avg"].sum())
    row = leads.iloc[0].astype(float)
    lead = pd.Series(
        dtype=object,
        data={
            "leads_rep": row["leads_rep"],
            "qualified_rep": row["qualified_rep"],
            "rate_rep": _ratio(row["qualified_rep"], row["leads_rep"]).item(),
            "leads_team_avg": _ratio(row["leads_team"], row["peers"]).item(),
            "rate_team": _ratio(row["qualified_team"], row["leads_team"]).item(),
            "leads_company_median": row["leads_company_median"],
            "rate_company": _ratio(row["qualified_company"], row["leads_company"]).item(),
        },
    )
    lead["red_flag"] = bool(
        lead["leads_rep"] >= max(MIN_LEADS, np.nan_to_num(lead["leads_company_median"]))
        and lead["rate_rep"] < 0.5 * lead["rate_company"]
    )
    findings = _findings(rep["name"], funnel, mix, lead)
    return Diagnosis(
        rep_id=rep_id,
        name=rep["name"],
        team_id=rep["team_id"],
        role=rep["role"],
        funnel=funnel,
        activities=mix,
        leads=lead.to_frame().T.reset_index(drop=True),
        findings=tuple(findings),
    )

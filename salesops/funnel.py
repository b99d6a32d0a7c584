"""The funnel lead → MQL → SQL → opportunity → won, per team against the company, with flags.

Definitions (docs/METRICS.md, "Funnel"):

* **Count** is a lead cohort: the leads created in the range, counted at every stage they reached
  (a lead whose furthest stage is SQL counts at lead, MQL and SQL).
* **Value**: leads carry no amount, so the lead, MQL and SQL stages have no value (None). The
  opportunity value is the amount of the deals created in the range, and the won value is the
  amount of those same deals that are won — a deal cohort, not the lead cohort.
* Step conversion: count at a stage ÷ count at the stage before; overall: ÷ leads.
* A team's step is flagged when its conversion is below :data:`LOW_FACTOR` × the company's for
  that step and at least :data:`MIN_ENTERING` leads entered the step.
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from salesops.queries import scope_filter
from salesops.schema import LEAD_STAGES
from salesops.scope import Scope

COMPANY = "company"
STAGE_LABELS = {"lead": "Lead", "mql": "MQL", "sql": "SQL", "opportunity": "Opportunity", "won": "Won"}
#: A step converting below this share of the company's rate is abnormally low.
LOW_FACTOR = 0.6
#: Fewer leads entering a step than this are too few to flag.
MIN_ENTERING = 30

#: The flag text per step (the step is named by the stage it leads to).
_FLAG = {
    "mql": "leads not becoming MQLs",
    "sql": "few qualified",
    "opportunity": "qualified leads not becoming opportunities",
    "won": "opportunities not closing",
}

FUNNEL_COLUMNS = [
    "team_id", "team", "stage", "label", "count", "value_cents", "step_conversion",
    "overall_conversion", "company_step_conversion", "flag",
]  # fmt: skip


def funnel(engine: Engine, scope: Scope) -> pd.DataFrame:
    """The funnel of every team in scope plus the whole company (team_id 'company').

    Columns: team_id, team, stage (lead…won), label, count, value_cents (None for lead/MQL/SQL),
    step_conversion, overall_conversion, company_step_conversion, flag (text or ''). The company
    row always covers every team, so a filtered team is still compared with the whole company.
    """
    # A lead counts at every stage up to its furthest: stage i counts leads whose furthest is i or later.
    reached = [", ".join(f"'{later}'" for later in LEAD_STAGES[i:]) for i in range(len(LEAD_STAGES))]
    stage_cases = ", ".join(
        f"COUNT(*) FILTER (WHERE furthest_stage IN ({names})) AS n_{stage}"
        for stage, names in zip(LEAD_STAGES, reached)
    )
    team_where, params = scope_filter(scope, alias="t")
    sql = sa.text(
        f"""
        WITH l AS (
            SELECT COALESCE(team_id, '') AS team_id, {stage_cases}
            FROM leads WHERE created_at BETWEEN :start AND :end
            GROUP BY ROLLUP (COALESCE(team_id, ''))
        ),
        d AS (
            SELECT COALESCE(team_id, '') AS team_id,
                   COALESCE(SUM(amount_cents), 0) AS opp_cents,
                   COALESCE(SUM(amount_cents) FILTER (WHERE outcome = 'won'), 0) AS won_cents
            FROM deals WHERE created_date BETWEEN :start AND :end
            GROUP BY ROLLUP (COALESCE(team_id, ''))
        ),
        x AS (
            SELECT COALESCE(l.team_id, d.team_id) AS team_id, l.n_lead, l.n_mql, l.n_sql, l.n_opportunity,
                   l.n_won, d.opp_cents, d.won_cents
            FROM l FULL OUTER JOIN d ON l.team_id IS NOT DISTINCT FROM d.team_id
        )
        SELECT COALESCE(x.team_id, '{COMPANY}') AS team_id,
               CASE WHEN x.team_id IS NULL THEN 'Company' ELSE COALESCE(t.name, x.team_id) END AS team,
               x.n_lead, x.n_mql, x.n_sql, x.n_opportunity, x.n_won, x.opp_cents, x.won_cents
        FROM x LEFT JOIN teams t ON t.team_id = x.team_id
        WHERE x.team_id IS NULL OR (1 = 1 {team_where})
        ORDER BY x.team_id NULLS FIRST
        """  # noqa: S608 - stage names from schema.LEAD_STAGES, filter from scope_filter, values bound
    )
    with engine.connect() as conn:
        res = conn.execute(sql, {"start": scope.start, "end": scope.end, **params})
        wide = pd.DataFrame(res.fetchall(), columns=list(res.keys()))
    # ROLLUP always yields the company row; with no lead and no deal there is no funnel to show.
    if wide.empty or not (wide["n_lead"].fillna(0).sum() or wide["opp_cents"].fillna(0).sum()):
        return pd.DataFrame(columns=FUNNEL_COLUMNS)
    return _long(wide)


def _long(wide: pd.DataFrame) -> pd.DataFrame:
    """One row per team and stage from the one-row-per-team frame, with conversions and flags."""
    rows = []
    for rec in wide.to_dict("records"):
        prev = None
        for stage in LEAD_STAGES:
            n = int(rec[f"n_{stage}"] or 0)
            value = None
            if stage == "opportunity":
                value = int(rec["opp_cents"] or 0)
            elif stage == "won":
                value = int(rec["won_cents"] or 0)
            lead_n = int(rec["n_lead"] or 0)
            rows.append(
                {
                    "team_id": rec["team_id"],
                    "team": rec["team"],
                    "stage": stage,
                    "label": STAGE_LABELS[stage],
                    "count": n,
                    "value_cents": value,
                    "entering": prev,
                    "step_conversion": (n / prev) if prev else None,
                    "overall_conversion": (n / lead_n) if lead_n else None,
                }
            )
            prev = n
    frame = pd.DataFrame(rows)
    company = frame[frame["team_id"] == COMPANY].set_index("stage")["step_conversion"]
    frame["company_step_conversion"] = frame["stage"].map(company)
    company_leads = frame[(frame["team_id"] == COMPANY) & (frame["stage"] == "lead")]["count"].sum()
    teams = frame[(frame["team_id"] != COMPANY) & (frame["stage"] == "lead")]
    leads_per_team = company_leads / max(1, int((teams["count"] > 0).sum()))
    team_leads = frame[frame["stage"] == "lead"].set_index("team_id")["count"]
    frame["flag"] = [_flag(r, leads_per_team, int(team_leads.get(r["team_id"], 0))) for r in frame.to_dict("records")]
    return frame[FUNNEL_COLUMNS].reset_index(drop=True)


def _flag(r: dict, leads_per_team: float, team_leads: int) -> str:
    if r["team_id"] == COMPANY or r["stage"] == "lead":
        return ""
    step, company = r["step_conversion"], r["company_step_conversion"]
    if step is None or company is None or pd.isna(step) or pd.isna(company) or (r["entering"] or 0) < MIN_ENTERING:
        return ""
    if step >= LOW_FACTOR * company:
        return ""
    text = _FLAG[r["stage"]]
    if r["stage"] in ("mql", "sql") and team_leads >= leads_per_team:
        text = "plenty of leads, few qualified"
    return f"{text}: {step:.0%} vs company {company:.0%}"


def funnel_flags(frame: pd.DataFrame) -> pd.DataFrame:
    """The flagged rows of a :func:`funnel` frame: team_id, team, stage, label, flag."""
    return frame.loc[frame["flag"] != "", ["team_id", "team", "stage", "label", "flag"]].reset_index(drop=True)

"""The funnel lead → MQL → SQL → opportunity → won, per team against the company, with flags.

Definitions (docs/METRICS.md, "Funnel"):

* **Count** is a lead cohort: the leads created in the range, counted at every stage they reached
  (a lead whose furthest stage is SQL counts at lead, MQL and SQL).
* **Value**: leads carry no amount, so the lead, MQL and SQL stages have no value (None). The
  opportunity value is the amount of the deals created in the range, and the won value is the
  amount of those same deals that are won — a deal cohort, not the lead cohort.
* Step conversion: count at a stage ÷ count at the stage before; overall: ÷ leads.
* A team's step is flagged when its conversion is below :data:`LOW_FACTOR` × the company's for
  that step and at least :data:`MIN_ENTERING` leads entered the step. The close step ("not
  closing") must also be below :data:`LOW_FACTOR` × the team's own trailing conversion (the
  :data:`HISTORY_WINDOWS` windows of the same length before the range), when that history has
  :data:`MIN_ENTERING` leads entering: close rates differ by segment, so a team closing at its
  usual rate is not "not closing" however it compares with the company.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from salesops.scope import Scope
from salesops.store.engine import arrow_result_frame
from salesops.store.lead_tables import lead_stage_rows
from salesops.store.period_tables import window_rows
from salesops.store.schema import LEAD_STAGES
from salesops.store.sql import scope_filter

COMPANY = "company"
STAGE_LABELS = {"lead": "Lead", "mql": "MQL", "sql": "SQL", "opportunity": "Opportunity", "won": "Won"}
#: A step converting below this share of the company's rate is abnormally low.
LOW_FACTOR = 0.6
#: Fewer leads entering a step than this are too few to flag.
MIN_ENTERING = 30
#: The team's own history: this many windows of the range's length just before it.
HISTORY_WINDOWS = 4
#: Steps judged against the team's own history as well as the company.
HISTORY_STEPS = ("won",)

#: The flag text per step (the step is named by the stage it leads to).
_FLAG = {
    "mql": "leads not becoming MQLs",
    "sql": "few qualified",
    "opportunity": "qualified leads not becoming opportunities",
    "won": "opportunities not closing",
}

FUNNEL_COLUMNS = [
    "team_id", "team", "stage", "label", "count", "value_cents", "step_conversion",
    "overall_conversion", "company_step_conversion", "history_step_conversion", "flag",
]  # fmt: skip


def funnel(engine: Engine, scope: Scope) -> pd.DataFrame:
    """The funnel of every team in scope plus the whole company (team_id 'company').

    Columns: team_id, team, stage (lead…won), label, count, value_cents (None for lead/MQL/SQL),
    step_conversion, overall_conversion, company_step_conversion, history_step_conversion (the
    team's own step conversion over :func:`history_window`; NaN with fewer than MIN_ENTERING
    entering), flag (text or ''). The company row always covers every team, so a filtered team is
    still compared with the whole company.
    """
    wide = _wide(engine, scope)
    # ROLLUP always yields the company row; with no lead and no deal there is no funnel to show.
    if wide.empty or not (wide["n_lead"].fillna(0).sum() or wide["opp_cents"].fillna(0).sum()):
        return pd.DataFrame(columns=FUNNEL_COLUMNS)
    return _long(wide, _history(wide))


def history_window(scope: Scope) -> tuple[date, date]:
    """The :data:`HISTORY_WINDOWS` windows of the range's length just before it, as (start, end)."""
    days = (scope.end - scope.start).days + 1
    return scope.start - timedelta(days=HISTORY_WINDOWS * days), scope.start - timedelta(days=1)


def _history(wide: pd.DataFrame) -> dict[str, np.ndarray]:
    """team_id -> its step conversions over the history window (NaN where too few entered), from
    the ``h_<stage>`` counts of :func:`_wide`."""
    stages = list(LEAD_STAGES)
    if wide.empty:
        return {}
    counts = np.column_stack([pd.to_numeric(wide[f"h_{st}"]).fillna(0).to_numpy(dtype="int64") for st in stages])
    entering = np.column_stack([np.zeros(len(wide), dtype="int64"), counts[:, :-1]])
    step = np.full(counts.shape, np.nan)
    np.divide(counts, entering, out=step, where=entering >= MIN_ENTERING)
    return dict(zip(wide["team_id"].to_numpy(dtype=object), step))


def _wide(engine: Engine, scope: Scope) -> pd.DataFrame:
    """One row per team in scope plus the company (team_id 'company'): stage counts of the leads
    created in the range (``n_<stage>``) and in its :func:`history_window` (``h_<stage>``), and the
    value of the deals created in the range and of those of them won (the rollups' created_cents
    and created_won_cents over the range, :func:`~salesops.store.period_tables.window_rows`).

    A team is listed when it has leads or deals in the range. The leads of the range and of its
    history are one scan (the two windows are adjacent), grouped by team, furthest stage and window
    before the stages are counted; the long SQL is one statement on purpose.
    """
    # A lead counts at every stage up to its furthest: stage i counts leads whose furthest is i or later.
    reached = [", ".join(f"'{later}'" for later in LEAD_STAGES[i:]) for i in range(len(LEAD_STAGES))]
    stage_sums = ", ".join(
        f"CAST(COALESCE(SUM(n) FILTER (WHERE {when} AND furthest_stage IN ({names})), 0) AS BIGINT) AS {p}_{stage}"
        for p, when in (("n", "cur"), ("h", "NOT cur"))
        for stage, names in zip(LEAD_STAGES, reached)
    )
    team_where, params = scope_filter(scope, alias="t", rep_col=None)
    h_start, h_end = history_window(scope)
    # the range's leads (cur) and its history's, per team and stage, from the monthly lead rollup
    cur, cur_binds = lead_stage_rows(scope.start, scope.end, "fc", "TRUE")
    hist, hist_binds = lead_stage_rows(h_start, h_end, "fh", "FALSE")
    deals, deal_binds = window_rows(scope.start, scope.end, prefix="fd")
    sql = sa.text(
        f"""
        WITH lc AS (
            SELECT COALESCE(team_id, '') AS team_id, furthest_stage, tag AS cur, SUM(sgn * n) AS n
            FROM (SELECT * FROM {cur} c UNION ALL SELECT * FROM {hist} h) x
            GROUP BY 1, 2, 3
            HAVING SUM(sgn * n) > 0
        ),
        la AS (
            SELECT team_id, GROUPING(team_id) AS total, COUNT(*) FILTER (WHERE cur) AS cur_groups, {stage_sums}
            FROM lc
            GROUP BY ROLLUP (team_id)
        ),
        -- the range's leads: the company row and the teams with a lead in the range
        l AS (SELECT * FROM la WHERE total = 1 OR cur_groups > 0),
        -- the deals created in the range per team (those with one: a signed count above 0), from the
        -- rollups: their amount (created_cents) and the amount of those won since (created_won_cents)
        dt AS (
            SELECT team_id, SUM(created_cents) AS opp, SUM(created_won_cents) AS won
            FROM {deals} x
            GROUP BY team_id
            HAVING SUM(created_count) > 0
        ),
        d AS (
            SELECT COALESCE(team_id, '') AS team_id, GROUPING(COALESCE(team_id, '')) AS total,
                   CAST(COALESCE(SUM(opp), 0) AS BIGINT) AS opp_cents,
                   CAST(COALESCE(SUM(won), 0) AS BIGINT) AS won_cents
            FROM dt
            GROUP BY ROLLUP (COALESCE(team_id, ''))
        ),
        x AS (
            SELECT COALESCE(l.team_id, d.team_id) AS team_id, COALESCE(l.total, d.total) AS total,
                   l.n_lead, l.n_mql, l.n_sql, l.n_opportunity, l.n_won, d.opp_cents, d.won_cents
            -- an equi-join (PostgreSQL runs a FULL JOIN only on one): the ROLLUP's company row
            -- (total = 1) meets the other's, a team's row the same team's
            FROM l FULL OUTER JOIN d ON l.total = d.total AND COALESCE(l.team_id, '') = COALESCE(d.team_id, '')
        )
        SELECT COALESCE(x.team_id, '{COMPANY}') AS team_id,
               CASE WHEN x.team_id IS NULL THEN 'Company' ELSE COALESCE(t.name, x.team_id) END AS team,
               x.n_lead, x.n_mql, x.n_sql, x.n_opportunity, x.n_won, x.opp_cents, x.won_cents,
               h.h_lead, h.h_mql, h.h_sql, h.h_opportunity, h.h_won
        FROM x
        LEFT JOIN teams t ON t.team_id = x.team_id
        LEFT JOIN la h ON h.total = x.total AND COALESCE(h.team_id, '') = COALESCE(x.team_id, '')
        WHERE x.team_id IS NULL OR (1 = 1 {team_where})
        ORDER BY x.team_id NULLS FIRST
        """  # noqa: S608 - stage names from schema.LEAD_STAGES, filter from scope_filter, values bound
    )
    with engine.connect() as conn:
        res = conn.execute(sql, {**cur_binds, **hist_binds, **deal_binds, **params})
        return arrow_result_frame(res)  # no DECIMAL column: the sums are BIGINT


def _long(wide: pd.DataFrame, history: dict[str, np.ndarray]) -> pd.DataFrame:
    """One row per team and stage from the one-row-per-team frame, with conversions and flags.

    Column arithmetic over a teams × stages array (no per-row Python: a large org has hundreds of
    teams); only the few flagged rows have their text formatted one by one. The flags are worked
    out on the arrays, and the frame is built once, in FUNNEL_COLUMNS order.
    """
    stages = list(LEAD_STAGES)
    n, k = len(wide), len(stages)
    counts = np.column_stack([pd.to_numeric(wide[f"n_{st}"]).fillna(0).to_numpy(dtype="int64") for st in stages])
    # Count entering each step = count at the stage before (none for the first stage).
    entering = np.column_stack([np.zeros(n, dtype="int64"), counts[:, :-1]])
    step = np.full((n, k), np.nan)
    np.divide(counts, entering, out=step, where=entering > 0)
    step[:, 0] = np.nan
    lead_n = counts[:, :1]
    overall = np.full((n, k), np.nan)
    np.divide(counts, np.broadcast_to(lead_n, (n, k)), out=overall, where=lead_n > 0)
    value = np.full((n, k), np.nan)
    value[:, stages.index("opportunity")] = pd.to_numeric(wide["opp_cents"]).fillna(0).to_numpy(dtype="float64")
    value[:, stages.index("won")] = pd.to_numeric(wide["won_cents"]).fillna(0).to_numpy(dtype="float64")
    team_ids = wide["team_id"].to_numpy(dtype=object)
    is_company = team_ids == COMPANY
    company_step = step[is_company][0] if is_company.any() else np.full(k, np.nan)
    none = np.full(k, np.nan)
    own = np.vstack([history.get(t, none) for t in team_ids])
    stage_col = np.tile(np.array(stages, dtype=object), n)
    step_col, company_col, mine = step.ravel(), np.tile(company_step, n), own.ravel()
    # Flags: a team's step converting below LOW_FACTOR × the company's, with enough leads entering.
    company_leads = counts[is_company, 0].sum()
    teams_with_leads = int(((counts[:, 0] > 0) & ~is_company).sum())
    leads_per_team = company_leads / max(1, teams_with_leads)
    low = (
        np.repeat(~is_company, k)
        & (np.tile(np.arange(k), n) > 0)
        & (entering.ravel() >= MIN_ENTERING)
        & ~np.isnan(step_col)
        & ~np.isnan(company_col)
        & (step_col < LOW_FACTOR * company_col)
    )
    # The close step: also below the team's own trailing conversion (when it has one).
    judged = np.isin(stage_col, HISTORY_STEPS) & ~np.isnan(mine)
    low &= ~judged | (step_col < LOW_FACTOR * np.where(judged, mine, 0))
    flags = np.full(n * k, "", dtype=object)
    team_leads = np.repeat(counts[:, 0], k)
    for i in np.flatnonzero(low):
        flags[i] = _flag_text(stage_col[i], step_col[i], company_col[i], team_leads[i] >= leads_per_team, mine[i])
    return pd.DataFrame(
        {
            "team_id": np.repeat(team_ids, k),
            "team": np.repeat(wide["team"].to_numpy(dtype=object), k),
            "stage": stage_col,
            "label": np.tile(np.array([STAGE_LABELS[st] for st in stages], dtype=object), n),
            "count": counts.ravel(),
            "value_cents": value.ravel(),
            "step_conversion": step_col,
            "overall_conversion": overall.ravel(),
            "company_step_conversion": company_col,
            "history_step_conversion": mine,
            "flag": flags,
        }
    )


def _flag_text(stage: str, step: float, company: float, plenty_of_leads: bool, own: float) -> str:
    text = _FLAG[stage]
    if stage in ("mql", "sql") and plenty_of_leads:
        text = "plenty of leads, few qualified"
    text = f"{text}: {step:.0%} vs company {company:.0%}"
    if np.isnan(own):
        return text + (" (no history of its own to compare with)" if stage in HISTORY_STEPS else "")
    return f"{text} and its own previous {HISTORY_WINDOWS} periods {own:.0%}"


def funnel_flags(frame: pd.DataFrame) -> pd.DataFrame:
    """The flagged rows of a :func:`funnel` frame: team_id, team, stage, label, flag."""
    return frame.loc[frame["flag"] != "", ["team_id", "team", "stage", "label", "flag"]].reset_index(drop=True)

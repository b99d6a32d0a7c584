"""The headline figures of a week as the store knew them then: one set-based query for many dates.

For each date ``as_of`` (the last day counted) and its quarter, per company, region, team and rep:

* ``won_cents`` — deals won in the quarter up to ``as_of``;
* ``quota_cents`` — the whole quarter's quota (:func:`salesops.store.sql.quota_in_window`);
* ``open_cents`` / ``weighted_cents`` / ``var_cents2`` — deals open at ``as_of`` whose expected
  close (an overdue one: ``as_of``) falls in the quarter: amount, amount × probability, and
  amount² × p × (1 − p) (the variance if each deal is won or lost independently);
* ``flow_*`` — the week's moves of won + weighted pipeline, from ``as_of − 7`` to ``as_of`` (see
  :data:`FLOWS`); NULL when ``as_of − 7`` lies in another quarter.

"As the store knew it then" is rebuilt from the history tables: a deal counts once created and until
it closed; its expected close date and amount at a date are the ``old_value`` of the first
``deal_changes`` row after that date (else today's value); its probability at a date is the average
probability of today's open deals in the stage it was in then (``deal_stage_history``), its own
probability when it is still in that stage today, and today's average open probability when nothing
is known. A won deal's close date is its actual close date.

Deals count for the team they carry (deals.team_id) and quota for the rep's team, as on every page.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from salesops.scope import period_end, period_start
from salesops.store.dialect import round_half_up
from salesops.store.engine import fetch_frame
from salesops.store.probability import probability_sql
from salesops.store.sql import prorated_quota, quota_rows

#: The week's moves of (won + weighted pipeline of the quarter), per deal, by what happened to it:
#: new (created in the week: its whole value now), won (open before, won now: its amount minus its
#: weighted value before), lost (minus its weighted value before), pushed (expected close moved out
#: of the quarter: minus its weighted value before), pulled (moved into the quarter: its weighted
#: value now), amount (still open and in the quarter: the amount change × the probability before).
#: What is left of the change (probability and stage moves, the outlook's own re-estimate) is the
#: waterfall's "model change".
FLOWS = ("new", "won", "lost", "pushed", "pulled", "amount")

LEVELS = ("company", "region", "team", "rep")

#: A stage's own win rate is used once this many deals that passed it have closed.
MIN_CLOSED = 20

_DEAL_VALUES = """
WITH wk AS ({asof_rows}),
stage_p AS (
    SELECT stage, AVG({probability}) AS p FROM deals
    WHERE outcome = 'open' AND probability_bp IS NOT NULL GROUP BY stage
),
mean_p AS (
    SELECT COALESCE(AVG({probability}), 0) AS p FROM deals WHERE outcome = 'open' AND probability_bp IS NOT NULL
),
closed AS (
    SELECT d.deal_id, d.close_date, CASE WHEN d.outcome = 'won' THEN 1.0 ELSE 0.0 END AS w
    FROM deals d
    WHERE d.outcome IN ('won', 'lost') AND d.close_date <= (SELECT MAX(as_of) FROM wk)
      AND d.close_date > (SELECT MIN(as_of) FROM wk) - INTERVAL '2 years'
),
closed_day AS (SELECT close_date, COUNT(*) AS n, SUM(w) AS won FROM closed GROUP BY close_date),
closed_stage_day AS (
    SELECT cl.close_date, h.stage, COUNT(*) AS n, SUM(cl.w) AS won
    FROM closed cl JOIN (SELECT DISTINCT deal_id, stage FROM deal_stage_history) h ON h.deal_id = cl.deal_id
    GROUP BY cl.close_date, h.stage
),
stage_w AS (
    SELECT a.as_of, c.stage, SUM(c.won) / SUM(c.n) AS p
    FROM wk a JOIN closed_stage_day c ON c.close_date <= a.as_of AND c.close_date > a.as_of - INTERVAL '2 years'
    GROUP BY a.as_of, c.stage HAVING SUM(c.n) >= {min_closed}
),
all_w AS (
    SELECT a.as_of, SUM(c.won) / SUM(c.n) AS p
    FROM wk a JOIN closed_day c ON c.close_date <= a.as_of AND c.close_date > a.as_of - INTERVAL '2 years'
    GROUP BY a.as_of
),
pool AS (
    SELECT deal_id FROM deals
    WHERE created_date <= (SELECT MAX(as_of) FROM wk) AND (outcome = 'open' OR close_date >= (SELECT MIN(lo) FROM wk))
),
close_chg AS (
    SELECT deal_id, changed_at, CAST(old_value AS DATE) AS v,
           LAG(changed_at) OVER (PARTITION BY deal_id ORDER BY changed_at, old_value) AS after
    FROM deal_changes
    WHERE field = 'close_date' AND changed_at > (SELECT MIN(prev) FROM wk) AND deal_id IN (SELECT deal_id FROM pool)
),
amt_chg AS (
    SELECT deal_id, changed_at, CAST(old_value AS BIGINT) AS v,
           LAG(changed_at) OVER (PARTITION BY deal_id ORDER BY changed_at, old_value) AS after
    FROM deal_changes
    WHERE field = 'amount_cents' AND changed_at > (SELECT MIN(prev) FROM wk) AND deal_id IN (SELECT deal_id FROM pool)
),
hist AS (
    SELECT deal_id, stage, entered_at,
           LAG(entered_at) OVER (PARTITION BY deal_id ORDER BY entered_at DESC, stage) AS until
    FROM deal_stage_history
    WHERE entered_at <= (SELECT MAX(as_of) FROM wk) AND deal_id IN (SELECT deal_id FROM pool)
),
cand AS (
    SELECT a.as_of, a.prev, a.q_start, a.q_end, d.deal_id, d.rep_id, d.team_id, d.created_date,
           d.outcome, d.close_date, COALESCE(d.amount_cents, 0) AS amount, d.stage, {probability_d} AS probability,
           COALESCE(cn.v, d.close_date) AS close_now, COALESCE(cp.v, d.close_date) AS close_prev,
           COALESCE(an.v, d.amount_cents, 0) AS amt_now, COALESCE(ap.v, d.amount_cents, 0) AS amt_prev,
           hn.stage AS stage_now, hp.stage AS stage_prev
    FROM wk a JOIN deals d
      ON d.created_date <= a.as_of AND (d.outcome = 'open' OR d.close_date >= a.lo)
    {value_at}
),
st AS (
    SELECT c.*,
           CASE WHEN c.outcome <> 'open' AND c.close_date <= c.as_of THEN c.outcome ELSE 'open' END AS s_now,
           CASE WHEN c.created_date > c.prev THEN 'none'
                WHEN c.outcome <> 'open' AND c.close_date <= c.prev THEN c.outcome ELSE 'open' END AS s_prev,
           GREATEST(c.close_now, c.as_of) BETWEEN c.q_start AND c.q_end AS inq_now,
           GREATEST(c.close_prev, c.prev) BETWEEN c.q_start AND c.q_end AS inq_prev,
           {prob_now} AS crm_now,
           {cal_now} AS p_now,
           {cal_prev} AS p_prev
    FROM cand c
),
dv AS (
    SELECT st.*,
           CASE WHEN s_now = 'won' AND close_date >= q_start THEN amount ELSE 0 END AS won,
           CASE WHEN s_now = 'open' AND inq_now THEN amt_now ELSE 0 END AS open_amt,
           CASE WHEN s_now = 'open' AND inq_now THEN amt_now * crm_now ELSE 0 END AS crm_w,
           CASE WHEN s_now = 'open' AND inq_now THEN amt_now * p_now ELSE 0 END AS w_now,
           CASE WHEN s_now = 'open' AND inq_now THEN CAST(amt_now AS DOUBLE PRECISION) * amt_now * p_now * (1 - p_now)
                ELSE 0 END AS var_now,
           CASE WHEN s_prev = 'won' AND close_date >= q_start THEN amount
                WHEN s_prev = 'open' AND inq_prev THEN amt_prev * p_prev ELSE 0 END AS v_prev
    FROM st
),
fl AS (
    SELECT dv.*, won + w_now AS v_now,
           CASE WHEN s_prev = 'none' THEN won + w_now ELSE 0 END AS f_new,
           CASE WHEN s_prev = 'open' AND s_now = 'won' THEN won - v_prev ELSE 0 END AS f_won,
           CASE WHEN s_prev = 'open' AND s_now = 'lost' THEN -v_prev ELSE 0 END AS f_lost,
           CASE WHEN s_prev = 'open' AND s_now = 'open' AND inq_prev AND NOT inq_now THEN -v_prev ELSE 0 END AS f_pushed,
           CASE WHEN s_prev = 'open' AND s_now = 'open' AND inq_now AND NOT inq_prev THEN w_now ELSE 0 END AS f_pulled,
           CASE WHEN s_prev = 'open' AND s_now = 'open' AND inq_now AND inq_prev
                THEN (amt_now - amt_prev) * p_prev ELSE 0 END AS f_amount
    FROM dv
),
facts AS (
    SELECT as_of, rep_id, team_id, won, open_amt, crm_w, w_now, var_now,
           f_new, f_won, f_lost, f_pushed, f_pulled, f_amount, 0 AS quota
    FROM fl
    UNION ALL
    SELECT rq.as_of, rq.rep_id, r.team_id, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, rq.quota
    FROM ({quota_sql}) rq JOIN reps r ON r.rep_id = rq.rep_id
)
SELECT f.as_of,
       CASE WHEN GROUPING(f.rep_id) = 0 THEN 'rep' WHEN GROUPING(f.team_id) = 0 THEN 'team'
            WHEN GROUPING(t.region) = 0 THEN 'region' ELSE 'company' END AS level,
       CASE WHEN GROUPING(f.rep_id) = 0 THEN f.rep_id WHEN GROUPING(f.team_id) = 0 THEN f.team_id
            WHEN GROUPING(t.region) = 0 THEN t.region ELSE 'company' END AS entity_id,
       CAST(SUM(f.won) AS BIGINT) AS won_cents, CAST(SUM(f.quota) AS BIGINT) AS quota_cents,
       CAST(SUM(f.open_amt) AS BIGINT) AS open_cents, {weighted_cents} AS weighted_cents,
       SUM(f.won) + SUM(f.w_now) AS expected_cents,
       SUM(f.var_now) AS var_cents2,
       SUM(f.f_new) AS flow_new, SUM(f.f_won) AS flow_won, SUM(f.f_lost) AS flow_lost,
       SUM(f.f_pushed) AS flow_pushed, SUM(f.f_pulled) AS flow_pulled, SUM(f.f_amount) AS flow_amount
FROM facts f LEFT JOIN teams t ON t.team_id = f.team_id
GROUP BY GROUPING SETS ((f.as_of), (f.as_of, t.region), (f.as_of, f.team_id), (f.as_of, f.rep_id))
"""


def _value_at() -> str:
    """The joins that give each (date, deal) its close date, amount and stage at ``as_of`` (``*n``) and
    at ``prev`` (``*p``): the old value of the first change after the date (ties: the old value that
    sorts first as text), and the last stage entered on or before it (ties: the first stage by name). Each change row
    knows the one before it (``after``), each stage row the one entered next (``until``), so exactly
    one row (or none) matches a date."""
    joins = [
        f"LEFT JOIN {table} {alias} ON {alias}.deal_id = d.deal_id AND {alias}.changed_at > {day}"
        f" AND ({alias}.after IS NULL OR {alias}.after <= {day})"
        for alias, table, day in (
            ("cn", "close_chg", "a.as_of"),
            ("cp", "close_chg", "a.prev"),
            ("an", "amt_chg", "a.as_of"),
            ("ap", "amt_chg", "a.prev"),
        )
    ]
    joins += [
        f"LEFT JOIN hist {alias} ON {alias}.deal_id = d.deal_id AND {alias}.entered_at <= {day}"
        f" AND ({alias}.until IS NULL OR {alias}.until > {day})"
        for alias, day in (("hn", "a.as_of"), ("hp", "a.prev"))
    ]
    return "\n    ".join(joins)


def _stage_at(side: str) -> str:
    """The deal's stage at ``as_of`` (side 'now') or ``prev``: from the history, else today's stage
    for a deal still open."""
    return f"COALESCE(c.stage_{side}, CASE WHEN c.outcome = 'open' THEN c.stage END)"


def _calibrated(side: str) -> str:
    """Win chance at a date of a deal in the stage it was in then: the share won of the deals that
    passed that stage and closed in the two years before ``as_of``; the overall win rate then when a
    stage has fewer than MIN_CLOSED such deals."""
    return (
        f"COALESCE((SELECT p FROM stage_w WHERE stage_w.as_of = c.as_of AND stage_w.stage = {_stage_at(side)}),"  # noqa: S608 - our column names
        " (SELECT p FROM all_w WHERE all_w.as_of = c.as_of), 0)"
    )


def _prob(stage: str) -> str:
    """CRM probability at a date of a deal in ``stage`` then (see the module docstring)."""
    own = f"CASE WHEN c.outcome = 'open' AND c.stage = {stage} THEN c.probability END"
    by_stage = f"(SELECT p FROM stage_p WHERE stage_p.stage = {stage})"  # noqa: S608 - our column names
    fallback = "CASE WHEN c.outcome = 'open' THEN c.probability END, (SELECT p FROM mean_p)"
    return f"COALESCE({own}, {by_stage}, {fallback})"


def _asof_rows(as_ofs: Sequence[date]) -> tuple[str, dict]:
    """``SELECT … UNION ALL …`` of (as_of, prev, q_start, q_end, lo) per date, every value bound."""
    parts, params = [], {}
    for i, d in enumerate(as_ofs):
        q_start, q_end = period_start(d, "quarter"), period_end(d, "quarter")
        prev = d - timedelta(days=7)
        parts.append(
            f"SELECT CAST(:a{i} AS DATE) AS as_of, CAST(:p{i} AS DATE) AS prev, CAST(:s{i} AS DATE) AS q_start,"
            f" CAST(:e{i} AS DATE) AS q_end, CAST(:l{i} AS DATE) AS lo"
        )
        params.update({f"a{i}": d, f"p{i}": prev, f"s{i}": q_start, f"e{i}": q_end, f"l{i}": min(q_start, prev)})
    return " UNION ALL ".join(parts), params


def week_figures(engine: Engine, as_ofs: Sequence[date]) -> pd.DataFrame:
    """The figures of every level for each date in ``as_ofs`` (see the module docstring):
    as_of, level, entity_id, won_cents, quota_cents, open_cents, weighted_exact (float),
    var_cents2, flow_new … flow_amount (float; NaN when the week before was another quarter)."""
    dates = sorted(set(as_ofs))
    if not dates:
        return pd.DataFrame()
    asof_sql, params = _asof_rows(dates)
    lo, hi = min(period_start(d, "quarter") for d in dates), max(period_end(d, "quarter") for d in dates)
    quota_sql = f"""
        SELECT a.as_of, q.rep_id,
               {round_half_up(f"SUM({prorated_quota('a.q_start', 'a.q_end', 'q')})")} AS quota
        FROM wk a JOIN ({quota_rows("q_lo", "q_hi")}) q
          ON q.period_end >= a.q_start AND q.period_start <= a.q_end
        GROUP BY a.as_of, q.rep_id
    """  # noqa: S608 - our fragments, values bound
    sql = _DEAL_VALUES.format(
        asof_rows=asof_sql,
        quota_sql=quota_sql,
        value_at=_value_at(),
        prob_now=_prob("c.stage_now"),
        cal_now=_calibrated("now"),
        cal_prev=_calibrated("prev"),
        min_closed=MIN_CLOSED,
        weighted_cents=round_half_up("SUM(f.crm_w)"),
        probability=probability_sql(""),
        probability_d=probability_sql("d"),
    )
    frame = fetch_frame(engine, sa.text(sql), {**params, "q_lo": lo, "q_hi": hi})
    frame = frame[frame["entity_id"].notna()].copy()  # deals or reps without a team or region
    frame["as_of"] = pd.to_datetime(frame["as_of"]).dt.date
    same_quarter = frame["as_of"].map(
        lambda d: period_start(d - timedelta(days=7), "quarter") == period_start(d, "quarter")
    )
    for name in FLOWS:
        frame[f"flow_{name}"] = frame[f"flow_{name}"].astype(float).where(same_quarter)
    return frame.sort_values(["as_of", "level", "entity_id"]).reset_index(drop=True)

"""Performance metrics against quota. Definitions: docs/METRICS.md (the tiles' help uses the same words).

All aggregation runs in the database; functions take the engine and a :class:`Scope` and return a
frozen dataclass or a DataFrame whose columns the docstring names.

Attribution rules (docs/METRICS.md, "Who gets what"):

* deals, leads and activities carry ``team_id`` = the team at the time, so a team's won revenue,
  win rate, pipeline and activities follow that column;
* quota is per rep and follows the rep's *current* team (``reps.team_id``): a rep who changed team
  brings their whole quota to the new team, while their earlier deals stay with the old team;
* a rep's own figures (the rep table, the drill-down) are all of the rep's deals, whatever team.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from salesops.errors import InvalidFilter
from salesops.scope import Scope, period_end, period_label, period_start, shift
from salesops.store.sql import quota_params, scope_filter

#: Attainment buckets (lower bound inclusive): label, lower, upper.
BUCKETS: tuple[tuple[str, float, float], ...] = (
    ("<50%", float("-inf"), 0.5),
    ("50–80%", 0.5, 0.8),
    ("80–100%", 0.8, 1.0),
    ("100–120%", 1.0, 1.2),
    (">120%", 1.2, float("inf")),
)
#: A healthy organisation has roughly this share of reps at or above quota.
HEALTHY_AT_QUOTA = (0.60, 0.70)

#: Months of closed deals before a period's start that give the "historical win rate" for pacing.
HISTORY_MONTHS = 12

#: Step in SQL per grain (allow-list: the grain is checked by Scope, the text is ours).
_STEP = {
    "week": "INTERVAL '7 days'",
    "month": "INTERVAL '1 month'",
    "quarter": "INTERVAL '3 months'",
    "year": "INTERVAL '1 year'",
}

#: A quota row's last day, from its period_type (same rule as queries.QUOTA_IN_WINDOW).
_QUOTA_END = """CAST(CASE q.period_type
        WHEN 'week' THEN q.period_start + INTERVAL '6 days'
        WHEN 'month' THEN q.period_start + INTERVAL '1 month' - INTERVAL '1 day'
        WHEN 'quarter' THEN q.period_start + INTERVAL '3 months' - INTERVAL '1 day'
        ELSE q.period_start + INTERVAL '1 year' - INTERVAL '1 day' END AS DATE)"""

#: A rep is ramping in a window when their ramp (hire_date + ramp_months) overlaps it.
_RAMPING = """(r.ramp_months > 0 AND r.hire_date IS NOT NULL
        AND r.hire_date <= CAST(:q_end AS DATE)
        AND r.hire_date + r.ramp_months * INTERVAL '1 month' > CAST(:q_start AS DATE))"""

#: Quota rows that can overlap a window ending :q_end (hi) and starting :q_start (lo), with their
#: last day. A quota row lasts at most a year, so rows starting 13 months or more before the window
#: cannot reach it: that bound lets the scan skip them before the period arithmetic runs.
_QUOTA_ROWS = f"""
    SELECT q.rep_id, q.period_start, q.amount_cents, {_QUOTA_END} AS q_end
    FROM quotas q
    WHERE q.period_start <= CAST(:{{hi}} AS DATE)
      AND q.period_start > CAST(:{{lo}} AS DATE) - INTERVAL '13 months'
"""  # noqa: S608 - our fragment; the binds' names are filled in by _quota_rows


def _quota_rows(lo: str = "q_start", hi: str = "q_end") -> str:
    """:data:`_QUOTA_ROWS` with its window binds named ``lo`` and ``hi``."""
    return _QUOTA_ROWS.replace("{lo}", lo).replace("{hi}", hi)


def _prorated(qs: str = "q_start", qe: str = "q_end") -> str:
    """A quota row's amount prorated by day onto the window [:qs, :qe] (0 when they don't overlap).

    The same arithmetic as :data:`salesops.store.sql.QUOTA_IN_WINDOW`, on a row of :func:`_quota_rows`.
    """
    return (
        f"CAST(q.amount_cents AS DOUBLE)"
        f" * GREATEST(0, LEAST(q.q_end, CAST(:{qe} AS DATE)) - GREATEST(q.period_start, CAST(:{qs} AS DATE)) + 1)"
        f" / (q.q_end - q.period_start + 1)"
    )


def _overlaps(qs: str = "q_start", qe: str = "q_end") -> str:
    return f"q.period_start <= CAST(:{qe} AS DATE) AND q.q_end >= CAST(:{qs} AS DATE)"


#: Prorated quota per rep for the window [:q_start, :q_end] — QUOTA_IN_WINDOW's result, read with
#: one scan of quotas (no self-join) and rows outside the window skipped first.
_REP_QUOTA = f"""
    SELECT q.rep_id, SUM({_prorated()}) AS quota_cents
    FROM ({_quota_rows()}) q
    WHERE {_overlaps()}
    GROUP BY q.rep_id
"""  # noqa: S608 - our fragments only, values bound


#: The definition of every metric, word for word as in docs/METRICS.md and the tiles' help.
DEFINITIONS: dict[str, str] = {
    "Won revenue": "Amount of deals won with a close date in the range (deals without an amount add nothing).",
    "Quota": "Quota of the reps in scope over the whole period(s) the range touches, prorated by day; ramping reps carry their ramped quota as stored.",
    "Attainment": "Won revenue ÷ quota of the whole period(s) the range touches (ramped quota for new hires).",
    "Win rate": "Won ÷ (won + lost) of deals closed in the range; open deals are excluded.",
    "Average deal size": "Won revenue ÷ number of won deals with a known amount, closed in the range.",
    "Sales cycle": "Average days from created date to close date of the deals won in the range.",
    "Open pipeline": "Amount of the deals open at the end of the range (today's open deals when the range ends today), at their current amount.",
    "Pipeline coverage": "Open pipeline due by the end of the period (expected close on or before it) ÷ remaining quota (quota − won revenue).",
    "Weighted pipeline": "Open pipeline with each deal's amount × its stage probability.",
    "Activities per rep": "Calls, emails, meetings and demos logged in the range ÷ reps (the scope's active reps hired by the range's end, plus anyone who logged an activity for it).",
    "Pacing": "On track when attainment ≥ the share of the period elapsed; projected = won revenue ÷ elapsed share.",
    "Pipeline needed": "Remaining quota ÷ the historical win rate (won ÷ (won + lost) of deals closed in the 12 months before the period); gap = needed − open pipeline due.",
    "Reps at quota": "Share of reps with quota whose attainment is 100 % or more; a healthy organisation has about 60–70 %.",
}


def result_frame(result) -> pd.DataFrame:
    """A query result as a DataFrame, built column by column (pandas reads a list of Row objects
    an order of magnitude slower); an empty result gives an empty frame with the columns."""
    keys = list(result.keys())
    rows = result.fetchall()
    if not rows:
        return pd.DataFrame(columns=keys)
    return pd.DataFrame(dict(zip(keys, map(list, zip(*rows)))))


def _ratio(num, den) -> float | None:
    return float(num) / float(den) if den else None


def _int(x) -> int:
    return 0 if x is None or pd.isna(x) else int(round(float(x)))


def _float(x) -> float | None:
    return None if x is None or pd.isna(x) else float(x)


# ---- headline (home page) and KPI tiles ---------------------------------------------------------


@dataclass(frozen=True)
class Headline:
    """The home page's tiles for one scope. Money in integer cents; rates 0..1 or None."""

    won_cents: int
    quota_cents: int
    attainment: float | None
    won_count: int
    lost_count: int
    win_rate: float | None
    open_pipeline_cents: int


def _closed_cte(where: str) -> str:
    """Won/lost deals with a close date in [:start, :end]: won amount and won/lost counts.

    Grouped by outcome first and picked apart after: grouping on the outcome column is much
    cheaper than testing the text of every row in a FILTER clause.
    """
    return f"""
        SELECT
            COALESCE(SUM(amount) FILTER (WHERE outcome = 'won'), 0) AS won_cents,
            COALESCE(SUM(n) FILTER (WHERE outcome = 'won'), 0) AS won_count,
            COALESCE(SUM(n) FILTER (WHERE outcome = 'lost'), 0) AS lost_count
        FROM (
            SELECT outcome, SUM(amount_cents) AS amount, COUNT(*) AS n
            FROM deals
            WHERE close_date BETWEEN :start AND :end {where}
            GROUP BY outcome
        ) g
    """  # noqa: S608 - `where` is scope_filter()'s text, values bound


#: Deals open at the end of the range: created by then and not closed by then (still open, or
#: closed after it). For a range ending today that is exactly today's open deals.
_OPEN_AT_END = "created_date <= :end AND (outcome = 'open' OR close_date > :end)"


def _quota_cte(rep_where: str) -> str:
    """Total prorated quota of the reps in scope over [:q_start, :q_end] (one scan of quotas)."""
    return f"""
        SELECT COALESCE(SUM({_prorated()}), 0) AS quota_cents
        FROM ({_quota_rows()}) q JOIN reps r ON r.rep_id = q.rep_id
        WHERE {_overlaps()} {rep_where}
    """  # noqa: S608 - our fragments only, values bound


def _closed_by(key: str, where: str) -> str:
    """Won revenue, won and lost counts per ``key`` (rep_id or team_id) of deals closed in
    [:start, :end]: grouped by outcome too (cheap), then each row picked apart."""
    return f"""
            SELECT {key},
                   COALESCE(SUM(amount) FILTER (WHERE outcome = 'won'), 0) AS won_cents,
                   COALESCE(SUM(n) FILTER (WHERE outcome = 'won'), 0) AS won_count,
                   COALESCE(SUM(n) FILTER (WHERE outcome = 'lost'), 0) AS lost_count
            FROM (
                SELECT {key}, outcome, SUM(amount_cents) AS amount, COUNT(*) AS n
                FROM deals
                WHERE close_date BETWEEN :start AND :end {where}
                GROUP BY {key}, outcome
            ) g
            GROUP BY {key}
    """  # noqa: S608 - key is "rep_id" or "team_id" from this module; where from scope_filter


def _binds(scope: Scope) -> tuple[str, str, dict]:
    where, params = scope_filter(scope)
    rep_where, rep_params = scope_filter(scope, alias="r")
    return where, rep_where, {"start": scope.start, "end": scope.end, **params, **rep_params, **quota_params(scope)}


def headline(engine: Engine, scope: Scope) -> Headline:
    """Won revenue, quota, attainment, win rate and open pipeline for the scope (docs/METRICS.md).

    * won revenue: amount of deals won with a close date in the range;
    * quota: quota of the reps in scope over the whole grain periods the range touches;
    * win rate: won ÷ (won + lost) by close date in the range, open deals excluded;
    * open pipeline: amount of the deals open at the end of the range (today's open deals when the
      range ends today).
    """
    where, rep_where, params = _binds(scope)
    sql = sa.text(
        f"""
        WITH closed AS ({_closed_cte(where)}),
        pipe AS (SELECT COALESCE(SUM(amount_cents), 0) AS open_cents FROM deals WHERE {_OPEN_AT_END} {where}),
        quota AS ({_quota_cte(rep_where)})
        SELECT * FROM closed, pipe, quota
        """  # noqa: S608 - our fragments only, values bound
    )
    with engine.connect() as conn:
        row = conn.execute(sql, params).one()
    won, quota = _int(row.won_cents), _int(row.quota_cents)
    return Headline(
        won_cents=won,
        quota_cents=quota,
        attainment=_ratio(won, quota),
        won_count=int(row.won_count),
        lost_count=int(row.lost_count),
        win_rate=_ratio(row.won_count, row.won_count + row.lost_count),
        open_pipeline_cents=_int(row.open_cents),
    )


@dataclass(frozen=True)
class Kpis:
    """The performance page's KPI tiles for one scope (docs/METRICS.md). Money in integer cents."""

    won_cents: int
    won_count: int
    lost_count: int
    win_rate: float | None
    avg_deal_cents: int | None
    avg_cycle_days: float | None
    quota_cents: int
    attainment: float | None
    remaining_quota_cents: int
    open_pipeline_cents: int
    open_due_cents: int
    coverage: float | None
    weighted_pipeline_cents: int
    activities: int
    reps: int
    activities_per_rep: float | None


def kpis(engine: Engine, scope: Scope) -> Kpis:
    """Every KPI tile of the performance page for the scope (docs/METRICS.md)."""
    return _kpis_for(engine, (scope,))[0]


def compare_kpis(engine: Engine, scope: Scope) -> tuple[Kpis, Kpis, Kpis]:
    """:func:`kpis` for the scope, the previous period and the same period last year — one query."""
    now, prev, last_year = _kpis_for(engine, (scope, scope.previous(), scope.last_year()))
    return now, prev, last_year


def _kpis_for(engine: Engine, scopes: tuple[Scope, ...]) -> list[Kpis]:
    """KPIs of several date windows of the same team/region in one statement.

    Every figure is read per window with the window's own dates as plain range filters (closed
    deals, open deals, quota rows, activities), so each scan is pruned to its window; the branches
    are stacked with UNION ALL and grouped by window number. (A range join against a table of
    windows, or one scan over the span of all windows with a FILTER per window, reads and tests
    far more rows.)

    Pipeline figures are the deals open at the end of the range, at their current amount. Their
    probability is the stored one for deals still open; the store keeps no past probabilities, so a
    deal that was open then but has closed since is weighted at the amount-weighted average
    probability of the scope's deals open today (reading the stage history per deal is too slow
    at scale for a tile).
    """
    first = scopes[0]
    where, params = scope_filter(first, alias="d")
    rep_where, rep_params = scope_filter(first, alias="r")
    act_where, act_params = scope_filter(first, alias="a")
    binds: dict = {}
    win, closed, quota, pipe, heads = [], [], [], [], []
    # The branches below splice only window numbers, numbered bind names and our own fragments
    # (scope_filter's clauses, the quota helpers); every value is a bind.
    for i, sc in enumerate(scopes):
        binds.update({f"s{i}": sc.start, f"e{i}": sc.end, f"qs{i}": sc.quota_start, f"qe{i}": sc.quota_end})
        win.append(f"SELECT {i} AS w")
        closed.append(
            f"SELECT {i} AS w, d.outcome, d.amount_cents, d.close_date - d.created_date AS cycle_days FROM deals d "  # noqa: S608 - see above
            f"WHERE d.close_date BETWEEN :s{i} AND :e{i} {where}"
        )
        quota.append(
            f"SELECT {i} AS w, SUM({_prorated(f'qs{i}', f'qe{i}')}) AS quota_cents "  # noqa: S608 - see above
            f"FROM ({_quota_rows(f'qs{i}', f'qe{i}')}) q JOIN reps r ON r.rep_id = q.rep_id "
            f"WHERE {_overlaps(f'qs{i}', f'qe{i}')} {rep_where}"
        )
        # Open at the window's end: created by then and still open, or closed after it (disjoint).
        cols = f"SELECT {i} AS w, d.outcome, d.amount_cents, d.probability, d.close_date <= :qe{i} AS due FROM deals d"  # noqa: S608
        pipe.append(f"{cols} WHERE d.outcome = 'open' AND d.created_date <= :e{i} {where}")
        pipe.append(f"{cols} WHERE d.outcome <> 'open' AND d.close_date > :e{i} AND d.created_date <= :e{i} {where}")
        # Head count: the scope's active reps hired by the window's end (n = 0) and everyone who
        # logged an activity in the window (n = their count).
        heads.append(
            f"SELECT {i} AS w, r.rep_id, 0 AS n FROM reps r "  # noqa: S608 - see above
            f"WHERE r.active AND (r.hire_date IS NULL OR r.hire_date <= :e{i}) {rep_where}"
        )
        heads.append(
            f"SELECT {i} AS w, a.rep_id, COUNT(*) AS n FROM activities a "  # noqa: S608 - see above
            f"WHERE a.occurred_at BETWEEN :s{i} AND :e{i} {act_where} GROUP BY a.rep_id"
        )
    sql = sa.text(
        f"""
        WITH win AS ({" UNION ALL ".join(win)}),
        closed AS (
            -- grouped by window and outcome first (cheap), then each window's row picked apart
            SELECT w,
                   COALESCE(SUM(amount) FILTER (WHERE outcome = 'won'), 0) AS won_cents,
                   COALESCE(SUM(n) FILTER (WHERE outcome = 'won'), 0) AS won_count,
                   COALESCE(SUM(n) FILTER (WHERE outcome = 'lost'), 0) AS lost_count,
                   MAX(avg_amount) FILTER (WHERE outcome = 'won') AS avg_deal_cents,
                   MAX(avg_cycle) FILTER (WHERE outcome = 'won') AS avg_cycle_days
            FROM (
                SELECT w, outcome, SUM(amount_cents) AS amount, COUNT(*) AS n,
                       AVG(amount_cents) AS avg_amount, AVG(cycle_days) AS avg_cycle
                FROM ({" UNION ALL ".join(closed)}) x
                GROUP BY w, outcome
            ) g
            GROUP BY w
        ),
        quota AS ({" UNION ALL ".join(quota)}),
        avg_prob AS (
            SELECT SUM(d.amount_cents * d.probability) / NULLIF(SUM(d.amount_cents), 0) AS p
            FROM deals d
            WHERE d.outcome = 'open' AND d.amount_cents IS NOT NULL AND d.probability IS NOT NULL {where}
        ),
        pipe AS (
            SELECT x.w,
                   COALESCE(SUM(x.amount_cents), 0) AS open_cents,
                   COALESCE(SUM(x.amount_cents) FILTER (WHERE x.due), 0) AS due_cents,
                   COALESCE(SUM(x.amount_cents * CASE WHEN x.outcome = 'open' THEN COALESCE(x.probability, 0)
                                                      ELSE COALESCE(ap.p, 0) END), 0) AS weighted_cents
            FROM ({" UNION ALL ".join(pipe)}) x CROSS JOIN avg_prob ap
            GROUP BY x.w
        ),
        heads AS (
            SELECT w, COUNT(*) AS reps, SUM(n) AS activities
            FROM (SELECT w, rep_id, SUM(n) AS n FROM ({" UNION ALL ".join(heads)}) x GROUP BY w, rep_id) h
            GROUP BY w
        )
        SELECT win.w, COALESCE(c.won_cents, 0) AS won_cents, COALESCE(c.won_count, 0) AS won_count,
               COALESCE(c.lost_count, 0) AS lost_count, c.avg_deal_cents, c.avg_cycle_days,
               COALESCE(qu.quota_cents, 0) AS quota_cents, COALESCE(p.open_cents, 0) AS open_cents,
               COALESCE(p.due_cents, 0) AS due_cents, COALESCE(p.weighted_cents, 0) AS weighted_cents,
               COALESCE(h.reps, 0) AS reps, COALESCE(h.activities, 0) AS activities
        FROM win
        LEFT JOIN closed c ON c.w = win.w
        LEFT JOIN quota qu ON qu.w = win.w
        LEFT JOIN pipe p ON p.w = win.w
        LEFT JOIN heads h ON h.w = win.w
        ORDER BY win.w
        """  # noqa: S608 - numbered binds and window numbers built here; the rest are our fragments
    )
    with engine.connect() as conn:
        rows = conn.execute(sql, {**binds, **params, **rep_params, **act_params}).all()
    return [_kpis_from(row) for row in rows]


def _kpis_from(row) -> Kpis:
    won, quota, due = _int(row.won_cents), _int(row.quota_cents), _int(row.due_cents)
    remaining = max(quota - won, 0)
    reps, activities = int(row.reps), _int(row.activities)
    return Kpis(
        won_cents=won,
        won_count=int(row.won_count),
        lost_count=int(row.lost_count),
        win_rate=_ratio(row.won_count, row.won_count + row.lost_count),
        avg_deal_cents=None if row.avg_deal_cents is None else _int(row.avg_deal_cents),
        avg_cycle_days=_float(row.avg_cycle_days),
        quota_cents=quota,
        attainment=_ratio(won, quota),
        remaining_quota_cents=remaining,
        open_pipeline_cents=_int(row.open_cents),
        open_due_cents=due,
        coverage=_ratio(due, remaining),
        weighted_pipeline_cents=_int(row.weighted_cents),
        activities=activities,
        reps=reps,
        activities_per_rep=_ratio(activities, reps),
    )


# ---- pacing --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pacing:
    """Where the current period stands against the share of it that has elapsed (docs/METRICS.md)."""

    elapsed_share: float
    won_cents: int
    quota_cents: int
    attainment: float | None
    on_track: bool | None
    projected_cents: int | None
    remaining_quota_cents: int
    historical_win_rate: float | None
    pipeline_needed_cents: int | None
    open_due_cents: int
    pipeline_gap_cents: int | None


def pacing(engine: Engine, scope: Scope, today: date) -> Pacing:
    """On track or not, and the pipeline still needed at the historical win rate.

    * elapsed share: days of the quota window (the whole grain periods) up to ``today``;
    * on track: attainment ≥ elapsed share (None without quota);
    * projected: won ÷ elapsed share (the run rate carried to the period's end);
    * historical win rate: won ÷ (won + lost) of deals closed in the 12 months before the window;
    * pipeline needed: remaining quota ÷ historical win rate; gap: needed − open pipeline due.
    """
    where, rep_where, params = _binds(scope)
    hist_start = (pd.Timestamp(scope.quota_start) - pd.DateOffset(months=HISTORY_MONTHS)).date()
    sql = sa.text(
        f"""
        WITH won AS (
            SELECT COALESCE(SUM(amount_cents), 0) AS won_cents FROM deals
            WHERE outcome = 'won' AND close_date BETWEEN :start AND :end {where}
        ),
        hist AS (
            -- closed in the HISTORY_MONTHS before the quota window, grouped by outcome (cheap)
            SELECT COALESCE(SUM(n) FILTER (WHERE outcome = 'won'), 0) AS hist_won,
                   COALESCE(SUM(n) FILTER (WHERE outcome IN ('won', 'lost')), 0) AS hist_closed
            FROM (
                SELECT outcome, COUNT(*) AS n FROM deals
                WHERE close_date >= :h_start AND close_date < :q_start {where}
                GROUP BY outcome
            ) g
        ),
        due AS (
            SELECT COALESCE(SUM(amount_cents), 0) AS due_cents FROM deals
            WHERE {_OPEN_AT_END} AND close_date <= CAST(:q_end AS DATE) {where}
        ),
        quota AS ({_quota_cte(rep_where)})
        SELECT * FROM won, hist, due, quota
        """  # noqa: S608 - our fragments only, values bound
    )
    with engine.connect() as conn:
        row = conn.execute(sql, {**params, "h_start": hist_start}).one()
    won, quota, due = _int(row.won_cents), _int(row.quota_cents), _int(row.due_cents)
    attainment = _ratio(won, quota)
    remaining = max(quota - won, 0)
    win_rate = _ratio(row.hist_won, row.hist_closed)
    elapsed = scope.elapsed_share(today)
    needed = None if not win_rate else int(round(remaining / win_rate))
    return Pacing(
        elapsed_share=elapsed,
        won_cents=won,
        quota_cents=quota,
        attainment=attainment,
        on_track=None if attainment is None else attainment >= elapsed,
        projected_cents=int(round(won / elapsed)) if elapsed > 0 else None,
        remaining_quota_cents=remaining,
        historical_win_rate=win_rate,
        pipeline_needed_cents=needed,
        open_due_cents=due,
        pipeline_gap_cents=None if needed is None else max(needed - due, 0),
    )


# ---- attainment per rep and per team ------------------------------------------------------------

REP_COLUMNS = [
    "rep_id", "name", "team_id", "team", "region", "role", "ramping", "won_cents", "won_count",
    "lost_count", "win_rate", "quota_cents", "attainment", "bucket",
]  # fmt: skip


def bucket_of(attainment: float | None) -> str:
    """The distribution bucket of an attainment (lower bound inclusive); 'no quota' for None."""
    if attainment is None or pd.isna(attainment):
        return "no quota"
    for label, lo, hi in BUCKETS:
        if lo <= attainment < hi:
            return label
    return BUCKETS[-1][0]


def _buckets(attainment: pd.Series) -> pd.Series:
    """:func:`bucket_of` for a whole column at once."""
    a = attainment.to_numpy(dtype="float64", na_value=np.nan)
    conditions = [np.isnan(a)] + [(lo <= a) & (a < hi) for _, lo, hi in BUCKETS]
    labels = ["no quota"] + [b[0] for b in BUCKETS]
    return pd.Series(np.select(conditions, labels, default=BUCKETS[-1][0]), index=attainment.index, dtype="str")


def attainment_by_rep(engine: Engine, scope: Scope) -> pd.DataFrame:
    """Won revenue against quota per rep in scope (by the rep's current team).

    Columns: rep_id, name, team_id, team, region, role, ramping (bool), won_cents, won_count,
    lost_count, win_rate, quota_cents, attainment (None without quota), bucket. Reps with neither
    quota nor a closed deal in the range are left out. A rep's won revenue is all of their deals won
    in the range, whatever team they were in. Sorted by attainment, highest first.
    """
    _, rep_where, params = _binds(scope)
    sql = sa.text(
        f"""
        WITH q AS ({_REP_QUOTA}),
        w AS ({_closed_by("rep_id", "")})
        SELECT r.rep_id, r.name, r.team_id, t.name AS team, t.region, r.role, {_RAMPING} AS ramping,
               COALESCE(w.won_cents, 0) AS won_cents, COALESCE(w.won_count, 0) AS won_count,
               COALESCE(w.lost_count, 0) AS lost_count, COALESCE(q.quota_cents, 0) AS quota_cents
        FROM reps r
        LEFT JOIN teams t ON t.team_id = r.team_id
        LEFT JOIN q ON q.rep_id = r.rep_id
        LEFT JOIN w ON w.rep_id = r.rep_id
        WHERE (COALESCE(q.quota_cents, 0) > 0 OR COALESCE(w.won_count, 0) + COALESCE(w.lost_count, 0) > 0)
              {rep_where}
        """  # noqa: S608 - our fragments only, values bound
    )
    with engine.connect() as conn:
        res = conn.execute(sql, params)
        frame = result_frame(res)
    if frame.empty:
        return pd.DataFrame(columns=REP_COLUMNS)
    frame["ramping"] = frame["ramping"].astype(bool)
    frame["quota_cents"] = frame["quota_cents"].astype(float).round().astype("int64")
    frame["won_cents"] = frame["won_cents"].astype("int64")
    closed = frame["won_count"] + frame["lost_count"]
    frame["win_rate"] = (frame["won_count"] / closed).where(closed > 0)
    frame["attainment"] = (frame["won_cents"] / frame["quota_cents"]).where(frame["quota_cents"] > 0)
    frame["bucket"] = _buckets(frame["attainment"])
    frame = frame.sort_values(["attainment", "won_cents", "rep_id"], ascending=[False, False, True], na_position="last")
    return frame[REP_COLUMNS].reset_index(drop=True)


TEAM_COLUMNS = [
    "team_id", "team", "region", "manager", "won_cents", "won_count", "lost_count", "win_rate",
    "quota_cents", "attainment", "reps_with_quota", "reps_at_quota", "share_at_quota",
]  # fmt: skip


def attainment_by_team(engine: Engine, scope: Scope) -> pd.DataFrame:
    """Won revenue against quota per team in scope.

    Columns: team_id, team, region, manager, won_cents, won_count, lost_count, win_rate,
    quota_cents, attainment, reps_with_quota, reps_at_quota (rep attainment ≥ 100 %),
    share_at_quota. Won figures follow deals.team_id (the team at the time); quota follows the
    reps' current team. Sorted by team_id.
    """
    where, rep_where, params = _binds(scope)
    team_where, team_params = scope_filter(scope, alias="t")
    sql = sa.text(
        f"""
        WITH q AS ({_REP_QUOTA}),
        rep_won AS (
            SELECT rep_id, SUM(amount_cents) AS won_cents FROM deals
            WHERE outcome = 'won' AND close_date BETWEEN :start AND :end GROUP BY rep_id
        ),
        qt AS (
            SELECT r.team_id, SUM(q.quota_cents) AS quota_cents,
                   COUNT(*) FILTER (WHERE q.quota_cents > 0) AS reps_with_quota,
                   COUNT(*) FILTER (WHERE q.quota_cents > 0
                                    AND COALESCE(rw.won_cents, 0) >= q.quota_cents) AS reps_at_quota
            FROM q JOIN reps r ON r.rep_id = q.rep_id
            LEFT JOIN rep_won rw ON rw.rep_id = q.rep_id
            GROUP BY r.team_id
        ),
        w AS ({_closed_by("team_id", where)})
        SELECT t.team_id, t.name AS team, t.region, t.manager,
               COALESCE(w.won_cents, 0) AS won_cents, COALESCE(w.won_count, 0) AS won_count,
               COALESCE(w.lost_count, 0) AS lost_count, COALESCE(qt.quota_cents, 0) AS quota_cents,
               COALESCE(qt.reps_with_quota, 0) AS reps_with_quota, COALESCE(qt.reps_at_quota, 0) AS reps_at_quota
        FROM teams t
        LEFT JOIN qt ON qt.team_id = t.team_id
        LEFT JOIN w ON w.team_id = t.team_id
        WHERE 1 = 1 {team_where}
        ORDER BY t.team_id
        """  # noqa: S608 - our fragments only, values bound
    )
    _ = rep_where
    with engine.connect() as conn:
        res = conn.execute(sql, {**params, **team_params})
        frame = result_frame(res)
    if frame.empty:
        return pd.DataFrame(columns=TEAM_COLUMNS)
    frame["quota_cents"] = frame["quota_cents"].astype(float).round().astype("int64")
    frame["won_cents"] = frame["won_cents"].astype("int64")
    closed = frame["won_count"] + frame["lost_count"]
    frame["win_rate"] = (frame["won_count"] / closed).where(closed > 0)
    frame["attainment"] = (frame["won_cents"] / frame["quota_cents"]).where(frame["quota_cents"] > 0)
    frame["share_at_quota"] = (frame["reps_at_quota"] / frame["reps_with_quota"]).where(frame["reps_with_quota"] > 0)
    return frame[TEAM_COLUMNS]


@dataclass(frozen=True)
class Distribution:
    """How many reps with quota fall in each attainment bucket, against the healthy benchmark."""

    buckets: pd.DataFrame  # bucket, reps, share
    reps_with_quota: int
    at_or_above: int
    share_at_or_above: float | None
    healthy_low: float = HEALTHY_AT_QUOTA[0]
    healthy_high: float = HEALTHY_AT_QUOTA[1]

    @property
    def verdict(self) -> str:
        """'below', 'healthy' or 'above' the 60–70 % benchmark ('n/a' without reps with quota)."""
        s = self.share_at_or_above
        if s is None:
            return "n/a"
        return "below" if s < self.healthy_low else "above" if s > self.healthy_high else "healthy"


def attainment_distribution(reps: pd.DataFrame) -> Distribution:
    """Bucket counts of an :func:`attainment_by_rep` frame (reps without quota left out).

    The frame is already one row per rep (aggregated in SQL); this only counts its buckets.
    """
    labels = [b[0] for b in BUCKETS]
    with_quota = reps[reps["attainment"].notna()] if len(reps) else reps
    counts = with_quota["bucket"].value_counts().reindex(labels, fill_value=0) if len(with_quota) else None
    n = len(with_quota)
    values = [int(counts[b]) if counts is not None else 0 for b in labels]
    frame = pd.DataFrame({"bucket": labels, "reps": values})
    frame["share"] = frame["reps"] / n if n else 0.0
    at_or_above = int(frame.loc[frame["bucket"].isin(["100–120%", ">120%"]), "reps"].sum())
    return Distribution(
        buckets=frame, reps_with_quota=n, at_or_above=at_or_above, share_at_or_above=_ratio(at_or_above, n)
    )


# ---- drill-down ----------------------------------------------------------------------------------

DEAL_COLUMNS = [
    "deal_id", "name", "account", "product", "team_id", "in_range", "stage", "outcome", "amount_cents", "probability",
    "created_date", "close_date", "cycle_days", "forecast_category",
]  # fmt: skip


def rep_deals(engine: Engine, scope: Scope, rep_id: str) -> pd.DataFrame:
    """The deals behind a rep's number: closed (won/lost) in the range, plus those open at its end.

    Columns: deal_id, name, account, product, team_id, in_range (won / lost / open: what the deal
    was in the range — a deal open at its end that has closed since is 'open'), stage, outcome
    (today), amount_cents (None when the amount is unknown), probability, created_date, close_date,
    cycle_days (won/lost only), forecast_category. Sorted by in_range (won, lost, open) then close date.
    """
    in_range = (
        "CASE WHEN outcome IN ('won', 'lost') AND close_date BETWEEN :start AND :end THEN outcome ELSE 'open' END"
    )
    sql = sa.text(
        f"""
        SELECT deal_id, name, account, product, team_id, {in_range} AS in_range, stage, outcome,
               amount_cents, probability, created_date, close_date,
               CASE WHEN outcome IN ('won', 'lost') THEN close_date - created_date END AS cycle_days,
               forecast_category
        FROM deals
        WHERE rep_id = :rep_id
          AND ((outcome IN ('won', 'lost') AND close_date BETWEEN :start AND :end) OR ({_OPEN_AT_END}))
        ORDER BY CASE {in_range} WHEN 'won' THEN 0 WHEN 'lost' THEN 1 ELSE 2 END, close_date, deal_id
        """  # noqa: S608 - our fragment only, values bound
    )
    with engine.connect() as conn:
        res = conn.execute(sql, {"rep_id": rep_id, "start": scope.start, "end": scope.end})
        frame = result_frame(res)
    if frame.empty:
        return pd.DataFrame(columns=DEAL_COLUMNS)
    frame["amount_cents"] = frame["amount_cents"].astype("Int64")
    frame["cycle_days"] = frame["cycle_days"].astype("Int64")
    return frame[DEAL_COLUMNS]


# ---- per-period table (trend, CLI) --------------------------------------------------------------

BY = ("rep", "team", "region", "company")

#: Group expressions per --by (allow-list): on deals (alias d, team at the time), on reps (alias r,
#: current team), and the name lookup.
_GROUP = {
    "rep": ("d.rep_id", "r.rep_id", "LEFT JOIN reps n ON n.rep_id = x.grp", "n.name"),
    "team": ("d.team_id", "r.team_id", "LEFT JOIN teams n ON n.team_id = x.grp", "n.name"),
    "region": ("td.region", "tr.region", "", "x.grp"),
    "company": ("'company'", "'company'", "", "'Company'"),
}

PERIOD_COLUMNS = [
    "group", "name", "period", "period_start", "won_count", "lost_count", "won_cents", "win_rate",
    "avg_deal_cents", "avg_cycle_days", "quota_cents", "attainment",
]  # fmt: skip


def check_by(by: str) -> str:
    if by not in BY:
        raise InvalidFilter(f"Unknown grouping {by!r}.", f"Use --by with one of: {', '.join(BY)}.")
    return by


def metrics_by_period(engine: Engine, scope: Scope, by: str = "company") -> pd.DataFrame:
    """Per group and grain period of the scope: won/lost counts, won revenue, win rate, average deal
    size, average cycle days, quota and attainment — one grouped query.

    Events count inside [scope.start, scope.end] and each period's quota is the whole period's.
    Columns: group, name, period (label), period_start, won_count, lost_count, won_cents, win_rate,
    avg_deal_cents, avg_cycle_days, quota_cents, attainment. ``company`` lists every period (zeros
    when empty); other groupings list the groups with quota or a closed deal in the period.
    """
    check_by(by)
    deal_grp, rep_grp, name_join, name_col = _GROUP[by]
    grain = scope.grain
    where, params = scope_filter(scope, alias="d")
    rep_where, rep_params = scope_filter(scope, alias="r")
    first, last = scope.quota_start, period_start(scope.end, grain)
    keep = "TRUE" if by == "company" else "(x.quota_cents > 0 OR x.won_count + x.lost_count > 0)"
    sql = sa.text(
        f"""
        WITH periods AS (
            SELECT CAST(g.p AS DATE) AS p_start, CAST(g.p + {_STEP[grain]} - INTERVAL '1 day' AS DATE) AS p_end
            FROM generate_series(CAST(:first AS TIMESTAMP), CAST(:last AS TIMESTAMP), {_STEP[grain]}) AS g(p)
        ),
        closed AS (
            SELECT CAST(date_trunc('{grain}', d.close_date) AS DATE) AS p_start, {deal_grp} AS grp,
                   COUNT(*) FILTER (WHERE d.outcome = 'won') AS won_count,
                   COUNT(*) FILTER (WHERE d.outcome = 'lost') AS lost_count,
                   COALESCE(SUM(d.amount_cents) FILTER (WHERE d.outcome = 'won'), 0) AS won_cents,
                   AVG(d.amount_cents) FILTER (WHERE d.outcome = 'won') AS avg_deal_cents,
                   AVG(d.close_date - d.created_date) FILTER (WHERE d.outcome = 'won') AS avg_cycle_days
            FROM deals d LEFT JOIN teams td ON td.team_id = d.team_id
            WHERE d.outcome IN ('won', 'lost') AND d.close_date BETWEEN :start AND :end {where}
            GROUP BY 1, 2
        ),
        quota AS (
            SELECT p.p_start, {rep_grp} AS grp,
                   SUM(CAST(q.amount_cents AS DOUBLE)
                       * GREATEST(0, LEAST(q.q_end, p.p_end) - GREATEST(q.period_start, p.p_start) + 1)
                       / (q.q_end - q.period_start + 1)) AS quota_cents
            FROM (SELECT q.rep_id, q.period_start, q.amount_cents, {_QUOTA_END} AS q_end
                  FROM quotas q WHERE q.period_start <= CAST(:q_end AS DATE)) q
            JOIN periods p ON q.period_start <= p.p_end AND q.q_end >= p.p_start
            JOIN reps r ON r.rep_id = q.rep_id
            LEFT JOIN teams tr ON tr.team_id = r.team_id
            WHERE 1 = 1 {rep_where}
            GROUP BY 1, 2
        ),
        joined AS (
            SELECT COALESCE(c.p_start, qu.p_start) AS p_start, COALESCE(c.grp, qu.grp) AS grp,
                   COALESCE(c.won_count, 0) AS won_count, COALESCE(c.lost_count, 0) AS lost_count,
                   COALESCE(c.won_cents, 0) AS won_cents, c.avg_deal_cents, c.avg_cycle_days,
                   COALESCE(qu.quota_cents, 0) AS quota_cents
            FROM closed c FULL OUTER JOIN quota qu ON qu.p_start = c.p_start AND qu.grp = c.grp
        ),
        x AS (
            SELECT p.p_start, COALESCE(j.grp, {"'company'" if by == "company" else "NULL"}) AS grp,
                   COALESCE(j.won_count, 0) AS won_count, COALESCE(j.lost_count, 0) AS lost_count,
                   COALESCE(j.won_cents, 0) AS won_cents, j.avg_deal_cents, j.avg_cycle_days,
                   COALESCE(j.quota_cents, 0) AS quota_cents
            FROM periods p LEFT JOIN joined j ON j.p_start = p.p_start
        )
        SELECT x.grp AS "group", {name_col} AS name, x.p_start AS period_start, x.won_count, x.lost_count,
               x.won_cents, x.avg_deal_cents, x.avg_cycle_days, x.quota_cents
        FROM x {name_join}
        WHERE x.grp IS NOT NULL AND {keep}
        ORDER BY x.grp, x.p_start
        """  # noqa: S608 - grain, step and group expressions come from allow-lists in this module
    )
    binds = {
        "first": first,
        "last": last,
        "start": scope.start,
        "end": scope.end,
        "q_end": scope.quota_end,
        **params,
        **rep_params,
    }
    with engine.connect() as conn:
        res = conn.execute(sql, binds)
        frame = result_frame(res)
    if frame.empty:
        return pd.DataFrame(columns=PERIOD_COLUMNS)
    frame["period_start"] = pd.to_datetime(frame["period_start"]).dt.date
    frame["period"] = [period_label(p, grain) for p in frame["period_start"]]
    frame["won_cents"] = frame["won_cents"].astype("int64")
    frame["quota_cents"] = frame["quota_cents"].astype(float).round().astype("int64")
    frame["avg_deal_cents"] = frame["avg_deal_cents"].astype(float).round().astype("Int64")
    frame["avg_cycle_days"] = frame["avg_cycle_days"].astype(float)
    closed = frame["won_count"] + frame["lost_count"]
    frame["win_rate"] = (frame["won_count"] / closed).where(closed > 0)
    frame["attainment"] = (frame["won_cents"] / frame["quota_cents"]).where(frame["quota_cents"] > 0)
    return frame[PERIOD_COLUMNS].reset_index(drop=True)


def headline_trend(engine: Engine, scope: Scope, periods: int = 8) -> pd.DataFrame:
    """Won revenue and quota for the last ``periods`` whole grain periods up to the scope's end.

    The same figures as :func:`metrics_by_period` company-wide within the scope's team/region
    (won revenue by close date inside the periods, each period's whole quota), read with only the
    won deals and the quota rows near the periods.
    Columns: period (label), period_start, won_cents, quota_cents, attainment.
    """
    grain = scope.grain
    last = period_start(scope.end, grain)
    first = shift(last, grain, -(periods - 1))
    window = Scope(first, period_end(last, grain), grain, scope.region, scope.team_id)
    where, params = scope_filter(window, alias="d")
    rep_where, rep_params = scope_filter(window, alias="r")
    sql = sa.text(
        f"""
        WITH periods AS (
            SELECT CAST(g.p AS DATE) AS p_start, CAST(g.p + {_STEP[grain]} - INTERVAL '1 day' AS DATE) AS p_end
            FROM generate_series(CAST(:first AS TIMESTAMP), CAST(:last AS TIMESTAMP), {_STEP[grain]}) AS g(p)
        ),
        won AS (
            -- summed per day first: the period arithmetic then runs on a few hundred rows
            SELECT CAST(date_trunc('{grain}', day) AS DATE) AS p_start, SUM(won_cents) AS won_cents
            FROM (
                SELECT d.close_date AS day, SUM(d.amount_cents) AS won_cents
                FROM deals d
                WHERE d.outcome = 'won' AND d.close_date BETWEEN :start AND :end {where}
                GROUP BY d.close_date
            ) daily
            GROUP BY 1
        ),
        quota AS (
            SELECT p.p_start,
                   SUM(CAST(q.amount_cents AS DOUBLE)
                       * GREATEST(0, LEAST(q.q_end, p.p_end) - GREATEST(q.period_start, p.p_start) + 1)
                       / (q.q_end - q.period_start + 1)) AS quota_cents
            FROM ({_quota_rows("first", "q_end")}) q
            JOIN periods p ON q.period_start <= p.p_end AND q.q_end >= p.p_start
            JOIN reps r ON r.rep_id = q.rep_id
            WHERE 1 = 1 {rep_where}
            GROUP BY 1
        )
        SELECT p.p_start AS period_start, COALESCE(w.won_cents, 0) AS won_cents,
               COALESCE(qu.quota_cents, 0) AS quota_cents
        FROM periods p
        LEFT JOIN won w ON w.p_start = p.p_start
        LEFT JOIN quota qu ON qu.p_start = p.p_start
        ORDER BY p.p_start
        """  # noqa: S608 - grain and step come from allow-lists in this module, values bound
    )
    binds = {"first": first, "last": last, "start": window.start, "end": window.end, "q_end": window.quota_end}
    with engine.connect() as conn:
        res = conn.execute(sql, {**binds, **params, **rep_params})
        frame = result_frame(res)
    frame["period_start"] = pd.to_datetime(frame["period_start"]).dt.date
    frame["period"] = [period_label(p, grain) for p in frame["period_start"]]
    frame["won_cents"] = frame["won_cents"].astype("int64")
    frame["quota_cents"] = frame["quota_cents"].astype(float).round().astype("int64")
    frame["attainment"] = (frame["won_cents"] / frame["quota_cents"]).where(frame["quota_cents"] > 0)
    return frame[["period", "period_start", "won_cents", "quota_cents", "attainment"]]

"""Figures per grain period: the per-group period table (CLI, trend) and the home page's trend."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from salesops.errors import InvalidFilter
from salesops.performance.queries import periods_cte, quota_per_period, result_frame
from salesops.scope import Scope, period_end, period_label, period_start, shift
from salesops.store.period_tables import rep_day_rows
from salesops.store.sql import attainment, period_start_sql, scope_filter, win_rate

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


def _period_sql(by: str, grain: str, where: str, rep_where: str) -> str:
    """The statement of :func:`metrics_by_period`: closed deals and quota per period and group,
    joined onto every period (one statement; its CTEs read top to bottom)."""
    deal_grp, rep_grp, name_join, name_col = _GROUP[by]
    keep = "TRUE" if by == "company" else "(x.quota_cents > 0 OR x.won_count + x.lost_count > 0)"
    return f"""
        WITH periods AS ({periods_cte(grain)}),
        closed AS (
            SELECT {period_start_sql("d.close_date", grain)} AS p_start, {deal_grp} AS grp,
                   COUNT(*) FILTER (WHERE d.outcome = 'won') AS won_count,
                   COUNT(*) FILTER (WHERE d.outcome = 'lost') AS lost_count,
                   COALESCE(SUM(d.amount_cents) FILTER (WHERE d.outcome = 'won'), 0) AS won_cents,
                   AVG(d.amount_cents) FILTER (WHERE d.outcome = 'won') AS avg_deal_cents,
                   AVG(d.close_date - d.created_date) FILTER (WHERE d.outcome = 'won') AS avg_cycle_days
            FROM deals d LEFT JOIN teams td ON td.team_id = d.team_id
            WHERE d.outcome IN ('won', 'lost') AND d.close_date BETWEEN :start AND :end {where}
            GROUP BY 1, 2
        ),
        quota AS ({quota_per_period(rep_grp, rep_where, "LEFT JOIN teams tr ON tr.team_id = r.team_id")}),
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
        """  # noqa: S608 - grain, step and group expressions come from allow-lists, values bound


def metrics_by_period(engine: Engine, scope: Scope, by: str = "company") -> pd.DataFrame:
    """Per group and grain period of the scope: won/lost counts, won revenue, win rate, average deal
    size, average cycle days, quota and attainment — one grouped query.

    Events count inside [scope.start, scope.end] and each period's quota is the whole period's.
    Columns: group, name, period (label), period_start, won_count, lost_count, won_cents, win_rate,
    avg_deal_cents, avg_cycle_days, quota_cents, attainment. ``company`` lists every period (zeros
    when empty); other groupings list the groups with quota or a closed deal in the period.
    """
    check_by(by)
    grain = scope.grain
    where, params = scope_filter(scope, alias="d")
    rep_where, rep_params = scope_filter(scope, alias="r")
    binds = {
        "first": scope.quota_start,
        "last": period_start(scope.end, grain),
        "start": scope.start,
        "end": scope.end,
        "q_end": scope.quota_end,
        **params,
        **rep_params,
    }
    with engine.connect() as conn:
        res = conn.execute(sa.text(_period_sql(by, grain, where, rep_where)), binds)
        frame = result_frame(res)
    if frame.empty:
        return pd.DataFrame(columns=PERIOD_COLUMNS)
    frame["period_start"] = pd.to_datetime(frame["period_start"]).dt.date
    frame["period"] = [period_label(p, grain) for p in frame["period_start"]]
    frame["won_cents"] = frame["won_cents"].astype("int64")
    frame["quota_cents"] = frame["quota_cents"].astype(float).round().astype("int64")
    frame["avg_deal_cents"] = frame["avg_deal_cents"].astype(float).round().astype("Int64")
    frame["avg_cycle_days"] = frame["avg_cycle_days"].astype(float)
    frame["win_rate"] = win_rate(frame["won_count"], frame["lost_count"])
    frame["attainment"] = attainment(frame["won_cents"], frame["quota_cents"])
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
    window = Scope(first, period_end(last, grain), grain, scope.region, scope.team_id, scope.viewer)
    where, params = scope_filter(window, alias="d")
    rep_where, rep_params = scope_filter(window, alias="r")
    # rep_days of the periods: whole months from rep_months (a weekly grain: the days)
    days, day_binds = rep_day_rows(window.start, window.end, grain)
    sql = sa.text(
        f"""
        WITH periods AS ({periods_cte(grain)}),
        won AS (
            -- summed per day first: the period arithmetic then runs on a few hundred rows
            SELECT {period_start_sql("day", grain)} AS p_start, SUM(won_cents) AS won_cents
            FROM (
                SELECT d.day, SUM(d.won_cents) AS won_cents
                FROM {days} d
                WHERE d.won_count > 0 {where}
                GROUP BY d.day
            ) daily
            GROUP BY 1
        ),
        quota AS ({quota_per_period("'all'", rep_where)})
        SELECT p.p_start AS period_start, COALESCE(w.won_cents, 0) AS won_cents,
               COALESCE(qu.quota_cents, 0) AS quota_cents
        FROM periods p
        LEFT JOIN won w ON w.p_start = p.p_start
        LEFT JOIN quota qu ON qu.p_start = p.p_start
        ORDER BY p.p_start
        """  # noqa: S608 - grain and step come from allow-lists, values bound
    )
    binds = {"first": first, "last": last, "start": window.start, "end": window.end, "q_end": window.quota_end}
    with engine.connect() as conn:
        res = conn.execute(sql, {**binds, **day_binds, **params, **rep_params})
        frame = result_frame(res)
    frame["period_start"] = pd.to_datetime(frame["period_start"]).dt.date
    frame["period"] = [period_label(p, grain) for p in frame["period_start"]]
    frame["won_cents"] = frame["won_cents"].astype("int64")
    frame["quota_cents"] = frame["quota_cents"].astype(float).round().astype("int64")
    frame["attainment"] = attainment(frame["won_cents"], frame["quota_cents"])
    return frame[["period", "period_start", "won_cents", "quota_cents", "attainment"]]

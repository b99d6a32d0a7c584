"""The review's own SQL for the week: what changed, the deals at risk, and the team notes' counts.

Every function takes the week's last day ``as_of`` (the week is ``as_of − 6`` to ``as_of``) and an
optional team; values are bound, the team filter applies to the team a deal or lead carries.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from salesops.store.engine import fetch_frame

#: Kinds of change step 2 lists, in order.
CHANGE_KINDS = ("won", "lost", "pushed")

#: A deal is stale when nothing happened on it (an activity, a stage change) for this many days.
STALE_DAYS = 30

#: A deal pushed this many times or more is at risk.
PUSHES_AT_RISK = 2

#: Days of leads the funnel and lead-split notes look at.
NOTE_DAYS = 90


def _team(team_id: str | None, alias: str = "d") -> tuple[str, dict]:
    if team_id is None:
        return "", {}
    return f" AND {alias}.team_id = :team_id", {"team_id": team_id}


def week_changes(engine: Engine, as_of: date, team_id: str | None = None) -> pd.DataFrame:
    """Deals won, lost and pushed in the week, biggest first within each kind: kind, deal_id, deal,
    account, team, rep, amount_cents, on (date), days_pushed (pushed deals)."""
    where, params = _team(team_id)
    sql = f"""
        SELECT x.kind, d.deal_id, d.name AS deal, d.account, t.name AS team, r.name AS rep,
               d.amount_cents, x."on", x.days_pushed
        FROM (
            SELECT d.outcome AS kind, d.deal_id, d.close_date AS "on", CAST(NULL AS INTEGER) AS days_pushed
            FROM deals d WHERE d.outcome IN ('won', 'lost') AND d.close_date BETWEEN :start AND :end {where}
            UNION ALL
            SELECT 'pushed', c.deal_id, c.changed_at,
                   CAST(CAST(c.new_value AS DATE) - CAST(c.old_value AS DATE) AS INTEGER)
            FROM deal_changes c JOIN deals d ON d.deal_id = c.deal_id
            WHERE c.field = 'close_date' AND c.changed_at BETWEEN :start AND :end
              AND CAST(c.new_value AS DATE) > CAST(c.old_value AS DATE) {where}
        ) x
        JOIN deals d ON d.deal_id = x.deal_id
        LEFT JOIN teams t ON t.team_id = d.team_id
        LEFT JOIN reps r ON r.rep_id = d.rep_id
        ORDER BY CASE x.kind WHEN 'won' THEN 0 WHEN 'lost' THEN 1 ELSE 2 END,
                 d.amount_cents DESC NULLS LAST, d.deal_id
    """  # noqa: S608 - the team filter is ours, values bound
    frame = fetch_frame(engine, sa.text(sql), {"start": as_of - timedelta(days=6), "end": as_of, **params})
    if len(frame):
        frame["on"] = pd.to_datetime(frame["on"]).dt.date
    return frame


def deals_at_risk(engine: Engine, as_of: date, team_id: str | None = None, limit: int = 8) -> pd.DataFrame:
    """The largest deals open at ``as_of`` that are stale, pushed twice or more, or past their
    expected close date: deal_id, deal, account, team, rep, amount_cents, close (expected, as known
    then), pushes, last_touch, reasons (text)."""
    where, params = _team(team_id)
    sql = f"""
        WITH o AS (
            SELECT d.deal_id, d.name, d.account, d.team_id, d.rep_id, d.amount_cents, d.created_date,
                   COALESCE((SELECT CAST(c.old_value AS DATE) FROM deal_changes c
                             WHERE c.deal_id = d.deal_id AND c.field = 'close_date' AND c.changed_at > :end
                             ORDER BY c.changed_at, c.old_value LIMIT 1), d.close_date) AS close
            FROM deals d
            WHERE d.created_date <= :end AND (d.outcome = 'open' OR d.close_date > :end)
              AND d.amount_cents IS NOT NULL {where}
        ),
        pushes AS (
            SELECT c.deal_id, COUNT(*) AS n FROM deal_changes c JOIN o ON o.deal_id = c.deal_id
            WHERE c.field = 'close_date' AND c.changed_at <= :end
              AND CAST(c.new_value AS DATE) > CAST(c.old_value AS DATE)
            GROUP BY c.deal_id
        ),
        touch AS (
            SELECT x.deal_id, MAX(x.at) AS last_touch FROM (
                SELECT a.deal_id, a.occurred_at AS at FROM activities a JOIN o ON o.deal_id = a.deal_id
                WHERE a.occurred_at <= :end
                UNION ALL
                SELECT h.deal_id, h.entered_at FROM deal_stage_history h JOIN o ON o.deal_id = h.deal_id
                WHERE h.entered_at <= :end
            ) x GROUP BY x.deal_id
        )
        SELECT o.deal_id, o.name AS deal, o.account, t.name AS team, r.name AS rep, o.amount_cents,
               o.close, COALESCE(p.n, 0) AS pushes, COALESCE(tt.last_touch, o.created_date) AS last_touch
        FROM o
        LEFT JOIN pushes p ON p.deal_id = o.deal_id
        LEFT JOIN touch tt ON tt.deal_id = o.deal_id
        LEFT JOIN teams t ON t.team_id = o.team_id
        LEFT JOIN reps r ON r.rep_id = o.rep_id
        WHERE COALESCE(p.n, 0) >= :pushes OR o.close < :end
           OR COALESCE(tt.last_touch, o.created_date) < :stale_before
        ORDER BY o.amount_cents DESC, o.deal_id
        LIMIT :limit
    """  # noqa: S608 - the team filter is ours, values bound
    binds = {
        "end": as_of,
        "pushes": PUSHES_AT_RISK,
        "stale_before": as_of - timedelta(days=STALE_DAYS),
        "limit": int(limit),
        **params,
    }
    frame = fetch_frame(engine, sa.text(sql), binds)
    if frame.empty:
        return frame.assign(reasons=pd.Series(dtype=object))
    for col in ("close", "last_touch"):
        frame[col] = pd.to_datetime(frame[col]).dt.date
    frame["reasons"] = [_reasons(row, as_of) for row in frame.itertuples()]
    return frame


def _reasons(row, as_of: date) -> str:
    out = []
    if row.close < as_of:
        out.append(f"past its close date ({(as_of - row.close).days} days)")
    if row.pushes >= PUSHES_AT_RISK:
        out.append(f"pushed {row.pushes} times")
    idle = (as_of - row.last_touch).days
    if idle > STALE_DAYS:
        out.append(f"no activity for {idle} days")
    return "; ".join(out)


def funnel_by_team(engine: Engine, as_of: date, team_id: str | None = None) -> pd.DataFrame:
    """Leads created in the NOTE_DAYS to ``as_of`` per team and how many reached each stage:
    team_id, team, leads, mql, sql, opportunity, won."""
    where, params = _team(team_id, "l")
    sql = f"""
        SELECT l.team_id, t.name AS team, COUNT(*) AS leads,
               SUM(CASE WHEN l.furthest_stage IN ('mql', 'sql', 'opportunity', 'won') THEN 1 ELSE 0 END) AS mql,
               SUM(CASE WHEN l.furthest_stage IN ('sql', 'opportunity', 'won') THEN 1 ELSE 0 END) AS sql,
               SUM(CASE WHEN l.furthest_stage IN ('opportunity', 'won') THEN 1 ELSE 0 END) AS opportunity,
               SUM(CASE WHEN l.furthest_stage = 'won' THEN 1 ELSE 0 END) AS won
        FROM leads l JOIN teams t ON t.team_id = l.team_id
        WHERE l.created_at BETWEEN :start AND :end {where}
        GROUP BY l.team_id, t.name ORDER BY l.team_id
    """  # noqa: S608 - the team filter is ours, values bound
    return fetch_frame(engine, sa.text(sql), {"start": as_of - timedelta(days=NOTE_DAYS - 1), "end": as_of, **params})


def leads_per_rep(engine: Engine, as_of: date, team_id: str | None = None) -> pd.DataFrame:
    """Leads per active AE of each team in the NOTE_DAYS to ``as_of`` (AEs with none count 0):
    team_id, team, rep_id, leads. Rep ids stay in the library: the notes never name a rep."""
    where, params = _team(team_id, "r")
    sql = f"""
        SELECT r.team_id, t.name AS team, r.rep_id, COUNT(l.lead_id) AS leads
        FROM reps r JOIN teams t ON t.team_id = r.team_id
        LEFT JOIN leads l ON l.rep_id = r.rep_id AND l.team_id = r.team_id AND l.created_at BETWEEN :start AND :end
        WHERE r.active AND r.role = 'AE' AND (r.hire_date IS NULL OR r.hire_date <= :start) {where}
        GROUP BY r.team_id, t.name, r.rep_id ORDER BY r.team_id, r.rep_id
    """  # noqa: S608 - the team filter is ours, values bound
    return fetch_frame(engine, sa.text(sql), {"start": as_of - timedelta(days=NOTE_DAYS - 1), "end": as_of, **params})


def tool_satisfaction(engine: Engine, as_of: date, team_id: str | None = None) -> pd.DataFrame:
    """Mean satisfaction (1–5) per survey round and tool from answers submitted by ``as_of``:
    round_id, opens_on, tool, answers, satisfaction; rounds oldest first."""
    where, params = _team(team_id, "s")
    sql = f"""
        SELECT s.round_id, sr.opens_on, tl.name AS tool, COUNT(*) AS answers, AVG(s.satisfaction) AS satisfaction
        FROM survey_responses s
        JOIN survey_rounds sr ON sr.round_id = s.round_id
        JOIN tools tl ON tl.tool_id = s.tool_id
        WHERE s.submitted_on <= :end {where}
        GROUP BY s.round_id, sr.opens_on, tl.name
        ORDER BY sr.opens_on, s.round_id, tl.name
    """  # noqa: S608 - the team filter is ours, values bound
    return fetch_frame(engine, sa.text(sql), {"end": as_of, **params})

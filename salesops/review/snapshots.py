"""Weekly snapshots: the headline figures per company, region, team and rep, remembered week by week.

A snapshot ``as_of`` a date holds what the store knew at the end of that day (docs/REVIEW.md):
won, quota, attainment, open and weighted pipeline and the quarter outlook, a rank and flags, and
the week's pipeline flows for the forecast waterfall. The weekly job (``python -m salesops
snapshot``, Monday morning) takes it as of the Sunday before; the demo takes a year of Sundays at
once. Taking a snapshot again for the same date replaces it. Snapshots older than the retention
(``SALESOPS_SNAPSHOT_YEARS``, three years by default) are deleted when a new one is taken.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from salesops.errors import InvalidFilter
from salesops.review.figures import FLOWS, week_figures
from salesops.scope import period_end, period_start
from salesops.store.engine import bulk_insert, fetch_frame, write
from salesops.store.outlook import OUTLOOK_COLUMNS, Outlook, pipeline_outlook
from salesops.store.schema import review_snapshots

#: The stored columns, in table order.
COLUMNS = [c.name for c in review_snapshots.columns]

#: Flags a snapshot row can carry (comma-separated in ``flags``).
FLAGS = ("ramping", "behind pace", "no pipeline")

#: "Behind pace": won below this share of the quota pro rata to the days elapsed (from a quarter's
#: third week on, so the first days of a quarter flag nobody).
PACE_SHARE, PACE_FROM_DAY = 0.7, 14


def check_as_of(as_of: date, today: date) -> date:
    """``as_of`` itself, or InvalidFilter when it is after ``today`` (a snapshot cannot see ahead)."""
    if as_of > today:
        raise InvalidFilter(
            f"The snapshot date {as_of} is in the future (today is {today}).",
            "Pick today or an earlier date; the weekly job takes yesterday's.",
        )
    return as_of


def weekly_dates(today: date, weeks: int) -> list[date]:
    """The last ``weeks`` Sundays before ``today`` (the days a Monday job snapshots), oldest first."""
    last = today - timedelta(days=today.weekday() + 1)
    return [last - timedelta(weeks=i) for i in range(weeks - 1, -1, -1)]


def _entities(engine: Engine) -> tuple[pd.DataFrame, pd.DataFrame]:
    reps = fetch_frame(
        engine, sa.text("SELECT rep_id, name, team_id, role, hire_date, ramp_months FROM reps ORDER BY rep_id")
    )
    teams = fetch_frame(engine, sa.text("SELECT team_id, name, region FROM teams ORDER BY team_id"))
    return reps, teams


def _describe(fig: pd.DataFrame, reps: pd.DataFrame, teams: pd.DataFrame) -> pd.DataFrame:
    """Name, team, region and role of every row (reps and teams from the store; a region is its name)."""
    out = fig.copy()
    rep_info = reps.set_index("rep_id")
    team_info = teams.set_index("team_id")
    is_rep, is_team = out["level"] == "rep", out["level"] == "team"
    out["team_id"] = np.where(is_rep, out["entity_id"].map(rep_info["team_id"]), None)
    out.loc[is_team, "team_id"] = out.loc[is_team, "entity_id"]
    out["region"] = out["team_id"].map(team_info["region"])
    out.loc[out["level"] == "region", "region"] = out["entity_id"]
    out["role"] = np.where(is_rep, out["entity_id"].map(rep_info["role"]), None)
    name = pd.Series("Company", index=out.index, dtype=object)
    name[is_rep] = out.loc[is_rep, "entity_id"].map(rep_info["name"])
    name[is_team] = out.loc[is_team, "entity_id"].map(team_info["name"])
    name[out["level"] == "region"] = out.loc[out["level"] == "region", "entity_id"]
    out["name"] = name.fillna(out["entity_id"])  # a rep or team only the deals know
    return out


def _ranks(out: pd.DataFrame) -> pd.Series:
    """Attainment rank among AEs with quota (reps) or among teams with quota, per date; 1 = highest."""
    rank = pd.Series(pd.NA, index=out.index, dtype="Int64")
    ranked = out["attainment"].notna() & (((out["level"] == "rep") & (out["role"] == "AE")) | (out["level"] == "team"))
    sub = out[ranked]
    if len(sub):
        r = sub.groupby(["as_of", "level"])["attainment"].rank(method="min", ascending=False)
        rank[sub.index] = r.astype("int64")
    return rank


def _flags(out: pd.DataFrame, reps: pd.DataFrame) -> pd.Series:
    """Comma-separated FLAGS of each rep and team row ('' for none)."""
    as_of = pd.to_datetime(out["as_of"])
    start = pd.to_datetime(out["period_start"])
    days = (pd.to_datetime(out["period_end"]) - start).dt.days + 1
    elapsed = ((as_of - start).dt.days + 1).clip(lower=0)
    pace = out["quota_cents"] * PACE_SHARE * elapsed / days
    person = out["level"].isin(["rep", "team"]) & (out["quota_cents"] > 0)
    behind = person & (elapsed >= PACE_FROM_DAY) & (out["won_cents"] < pace)
    no_pipe = person & (out["open_cents"] == 0)
    info = reps.set_index("rep_id")
    hire = pd.to_datetime(out["entity_id"].map(info["hire_date"]))
    ramp = out["entity_id"].map(info["ramp_months"]).fillna(0).astype(int)
    ramp_end = pd.Series(
        [h + pd.DateOffset(months=int(m)) if pd.notna(h) else pd.NaT for h, m in zip(hire, ramp)], index=out.index
    )
    ramping = (out["level"] == "rep") & ramp_end.notna() & (as_of < ramp_end)
    parts = [np.where(mask, name, "") for name, mask in zip(FLAGS, (ramping, behind, no_pipe))]
    return pd.Series([", ".join(p for p in row if p) for row in zip(*parts)], index=out.index, dtype=object)


def build_snapshots(
    engine: Engine, as_ofs: Sequence[date], outlook: Outlook = pipeline_outlook, now: datetime | None = None
) -> pd.DataFrame:
    """The snapshot rows for each date in ``as_ofs`` (every column of ``review_snapshots``), not stored."""
    fig = week_figures(engine, as_ofs)
    if fig.empty:
        return pd.DataFrame(columns=COLUMNS)
    reps, teams = _entities(engine)
    out = _describe(fig, reps, teams)
    out["period_start"] = out["as_of"].map(lambda d: period_start(d, "quarter"))
    out["period_end"] = out["as_of"].map(lambda d: period_end(d, "quarter"))
    quota = out["quota_cents"].astype(float)
    out["attainment"] = (out["won_cents"] / quota).where(quota > 0)
    looked = outlook(out[["as_of", "level", "entity_id", "won_cents", "quota_cents", "expected_cents", "var_cents2"]])
    for col in OUTLOOK_COLUMNS:
        out[col] = looked[col]
    out["rank"] = _ranks(out)
    out["flags"] = _flags(out, reps)
    for name in FLOWS:
        out[f"flow_{name}_cents"] = out[f"flow_{name}"].round().astype("Int64")
    out["created_at"] = now or datetime.now()
    return out[COLUMNS].sort_values(["as_of", "level", "entity_id"]).reset_index(drop=True)


def take_snapshots(
    engine: Engine,
    as_ofs: Sequence[date],
    today: date,
    outlook: Outlook = pipeline_outlook,
    keep_years: int = 3,
) -> int:
    """Compute and store the snapshots of ``as_ofs`` (replacing any of the same dates), delete those
    older than ``keep_years`` before ``today``; return the number of rows written. All in one
    transaction: a failure leaves the stored snapshots as they were."""
    for d in as_ofs:
        check_as_of(d, today)
    rows = build_snapshots(engine, as_ofs, outlook)
    cutoff = (pd.Timestamp(today) - pd.DateOffset(years=keep_years)).date()

    def store(conn) -> int:
        if as_ofs:
            conn.execute(sa.delete(review_snapshots).where(review_snapshots.c.as_of.in_(sorted(set(as_ofs)))))
        conn.execute(sa.delete(review_snapshots).where(review_snapshots.c.as_of < cutoff))
        return bulk_insert(conn, review_snapshots, rows)

    return write(engine, store, what=f"review snapshots ({len(set(as_ofs))} dates)")


def snapshot_dates(engine: Engine) -> list[date]:
    """The dates that have a stored snapshot, oldest first."""
    frame = fetch_frame(engine, sa.text("SELECT DISTINCT as_of FROM review_snapshots ORDER BY as_of"))
    return [pd.Timestamp(d).date() for d in frame["as_of"]] if len(frame) else []


def load_snapshot(engine: Engine, as_of: date, level: str | None = None) -> pd.DataFrame:
    """The stored rows of one date (one level when given), sorted by level and entity."""
    stmt = sa.select(review_snapshots).where(review_snapshots.c.as_of == as_of)
    if level is not None:
        stmt = stmt.where(review_snapshots.c.level == level)
    frame = fetch_frame(engine, stmt.order_by(review_snapshots.c.level, review_snapshots.c.entity_id))
    if len(frame):
        for col in ("as_of", "period_start", "period_end"):
            frame[col] = pd.to_datetime(frame[col]).dt.date
    return frame


def load_entity(engine: Engine, level: str, entity_id: str, start: date, end: date) -> pd.DataFrame:
    """One entity's stored rows from ``start`` to ``end``, oldest first."""
    t = review_snapshots.c
    stmt = (
        sa.select(review_snapshots)
        .where(t.level == level, t.entity_id == entity_id, t.as_of >= start, t.as_of <= end)
        .order_by(t.as_of)
    )
    frame = fetch_frame(engine, stmt)
    if len(frame):
        for col in ("as_of", "period_start", "period_end"):
            frame[col] = pd.to_datetime(frame[col]).dt.date
    return frame

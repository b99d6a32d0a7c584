"""Compensation and the store: actual attainment per rep for a scope, and saved plan versions.

Attainment (docs/COMP_PLANS.md):

* a rep's bookings: won deals (outcome 'won', amount known) with close_date in the scope's range,
  whoever's team the deal was booked in; their quota: QUOTA_IN_WINDOW over the scope's whole grain
  periods, rounded to the cent;
* a team's bookings use ``deals.team_id`` (the team at the time of the deal), its quota is the sum
  of the quotas of the reps now in it (``reps.team_id``): team attainment = team won ÷ team quota;
* the reps listed are those in the scope's team/region (by their current team) with a quota or
  bookings in the window.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from fractions import Fraction
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from salesops import audit, store
from salesops.access import Viewer
from salesops.comp.engine import KIND_COLUMNS, compute_payouts
from salesops.comp.plan import CompPlan, InvalidPlan
from salesops.comp.plan_format import plan_from_json, plan_slug, plan_to_json
from salesops.errors import AccessDenied
from salesops.scope import Scope
from salesops.store import schema
from salesops.store.engine import fetch_frame as _fetch
from salesops.store.sql import QUOTA_IN_WINDOW, WON_KINDS, quota_params, scope_filter, viewer_filter

_GRAIN_FRACTION = {"week": Fraction(1, 52), "month": Fraction(1, 12), "quarter": Fraction(1, 4), "year": Fraction(1)}

ATTAINMENT_COLUMNS = [
    "rep_id",
    "name",
    "team_id",
    "quota_cents",
    "booked_cents",
    "team_booked_cents",
    "team_quota_cents",
    *KIND_COLUMNS.values(),
]


def period_fraction(scope: Scope) -> Fraction:
    """The share of a year the scope's quota window covers: whole grain periods × (1/52, 1/12, 1/4, 1)."""
    return len(scope.periods()) * _GRAIN_FRACTION[scope.grain]


def _empty_attainment() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="int64" if c.endswith("cents") else "object") for c in ATTAINMENT_COLUMNS})


def load_attainment(engine: Engine, scope: Scope) -> pd.DataFrame:
    """Per rep in scope: rep_id, name, team_id, quota_cents, booked_cents, team_booked_cents, team_quota_cents,
    and the rep's bookings per deal kind (:data:`salesops.comp.engine.KIND_COLUMNS`).

    All aggregation runs in SQL; money is integer cents. Sorted by team_id, rep_id.

    The scope's viewer (docs/ACCESS.md) restricts the rows returned, not the team figures they
    carry: a rep gets their own row with their whole team's bookings and quota (their team pay
    depends on it), a manager the reps of their teams; the viewer role (screen-share) gets no row,
    since every row is one person's money.
    """
    viewer = scope.viewer
    if viewer is not None and not viewer.sees_individual_money:
        return _empty_attainment()
    rep_where, rep_params = scope_filter(replace(scope, viewer=None), alias="r")
    view_where, view_params = viewer_filter(viewer)
    # One scan of deals (won, per rep and team) serves both the reps' and the teams' bookings; the
    # team quota is a window over the team's reps. The scope filter is by the reps' current team, so
    # it can drop whole teams before anything is summed.
    # Only our own fragments (QUOTA_IN_WINDOW, WON_KINDS, scope_filter's clauses, the kind columns)
    # are spliced; values are binds. Bookings per deal kind: the stored kinds (deal_kinds), for plans
    # with components limited by deal type.
    kind_cols = list(KIND_COLUMNS.values())
    kind_sums = ", ".join(
        f"SUM(CASE WHEN w.kind = '{k}' THEN w.amount_cents ELSE 0 END) AS {c}" for k, c in KIND_COLUMNS.items()
    )
    # The won deals come from the stored kinds (WON_KINDS: a won deal with its kind; one window of
    # row groups of deal_kinds, no join to deals); a won deal of unknown amount adds 0 to every sum.
    sql = sa.text(
        f"""
        WITH won AS (
            SELECT w.rep_id, w.team_id, SUM(w.amount_cents) AS booked_cents, {kind_sums}
            FROM ({WON_KINDS}) w
            WHERE w.close_date BETWEEN :start AND :end
            GROUP BY w.rep_id, w.team_id
        ),
        rep_won AS (
            SELECT rep_id, SUM(booked_cents) AS booked_cents, {", ".join(f"SUM({c}) AS {c}" for c in kind_cols)}
            FROM won GROUP BY rep_id
        ),
        team_won AS (SELECT team_id, SUM(booked_cents) AS team_booked_cents FROM won GROUP BY team_id),
        per_rep AS (
            SELECT r.rep_id, r.name, r.team_id,
                   COALESCE(q.quota_cents, 0) AS quota_cents,
                   COALESCE(w.booked_cents, 0) AS booked_cents,
                   {", ".join(f"COALESCE(w.{c}, 0) AS {c}" for c in kind_cols)}
            FROM reps r
            LEFT JOIN ({QUOTA_IN_WINDOW}) q ON q.rep_id = r.rep_id
            LEFT JOIN rep_won w ON w.rep_id = r.rep_id
            WHERE 1 = 1 {rep_where}
        ),
        with_team AS (
            SELECT p.rep_id, p.name, p.team_id, p.quota_cents, p.booked_cents, {", ".join(f"p.{c}" for c in kind_cols)},
                   COALESCE(tw.team_booked_cents, 0) AS team_booked_cents,
                   SUM(p.quota_cents) OVER (PARTITION BY p.team_id) AS team_quota_cents
            FROM per_rep p LEFT JOIN team_won tw ON tw.team_id = p.team_id
        )
        SELECT rep_id, name, team_id, CAST(quota_cents AS BIGINT) AS quota_cents,
               CAST(booked_cents AS BIGINT) AS booked_cents, CAST(team_booked_cents AS BIGINT) AS team_booked_cents,
               CAST(team_quota_cents AS BIGINT) AS team_quota_cents,
               {", ".join(f"CAST({c} AS BIGINT) AS {c}" for c in kind_cols)}
        FROM with_team
        WHERE (quota_cents > 0 OR booked_cents > 0) {view_where}
        ORDER BY team_id, rep_id
        """  # noqa: S608
    )
    binds = {"start": scope.start, "end": scope.end, **rep_params, **view_params, **quota_params(scope)}
    frame = _fetch(engine, sql, binds)
    if frame.empty:
        return _empty_attainment()
    for col in ATTAINMENT_COLUMNS[3:]:
        frame[col] = frame[col].astype("int64")
    return frame[ATTAINMENT_COLUMNS]


def scope_payouts(engine: Engine, scope: Scope, plan: CompPlan) -> pd.DataFrame:
    """Every in-scope rep's payout under ``plan`` for the scope's period (see compute_payouts)."""
    return compute_payouts(plan, load_attainment(engine, scope), period_fraction(scope))


# ---- plan versions ----------------------------------------------------------------------------------


def save_plan(
    engine: Engine, plan: CompPlan, plan_id: str | None = None, who: str = "cli", viewer: Viewer | None = None
) -> tuple[str, int]:
    """Store ``plan`` as the next version of ``plan_id`` (default: from its name); return (plan_id, version).

    Only admin and ops save plans: another ``viewer`` gets AccessDenied. The save is audited.
    """
    if viewer is not None and not viewer.is_staff:
        raise AccessDenied("Only admin and ops users save plan versions.", "Ask sales ops to save this plan.")
    pid = plan_id or plan_slug(plan.name)
    spec = plan_to_json(plan)

    def insert(conn: Connection) -> tuple[str, int]:
        t = schema.comp_plans
        current = conn.execute(
            sa.select(sa.func.coalesce(sa.func.max(t.c.version), 0)).where(t.c.plan_id == pid)
        ).scalar_one()
        version = int(current) + 1
        conn.execute(
            sa.insert(t).values(plan_id=pid, name=plan.name, version=version, created_at=datetime.now(), spec=spec)
        )
        audit.record(conn, who, "plan saved", f"{pid} version {version} ({plan.name})")
        return pid, version

    return store.write(engine, insert, f"comp plan {pid}")


def list_plans(engine: Engine) -> pd.DataFrame:
    """Saved plan versions, newest first: plan_id, name, version, created_at."""
    t = schema.comp_plans
    stmt = sa.select(t.c.plan_id, t.c.name, t.c.version, t.c.created_at).order_by(
        t.c.created_at.desc(), t.c.version.desc()
    )
    return store.read_frame(engine, stmt)


def load_plan(engine: Engine, plan_id: str, version: int | None = None) -> CompPlan:
    """A saved plan (latest version when ``version`` is None); InvalidPlan when there is none."""
    t = schema.comp_plans
    stmt = sa.select(t.c.spec, t.c.version).where(t.c.plan_id == plan_id)
    stmt = stmt.where(t.c.version == version) if version is not None else stmt.order_by(t.c.version.desc()).limit(1)
    with engine.connect() as conn:
        row = conn.execute(stmt).first()
    if row is None:
        raise InvalidPlan(
            f"No saved plan {plan_id!r}" + (f" version {version}" if version is not None else "") + ".",
            "List the saved plans on the Compensation page, or save this plan first.",
        )
    return plan_from_json(row.spec, f"saved plan {plan_id} v{row.version}")


#: Example plans shipped with salesops (docs/plans/*.json), offered on the page for comparison.
EXAMPLE_PLAN_DIR = Path(__file__).resolve().parents[2] / "docs" / "plans"


def example_plans() -> dict[str, str]:
    """Example plan files by plan name -> their JSON text (empty when the folder is missing)."""
    out = {}
    for path in sorted(EXAMPLE_PLAN_DIR.glob("*.json")):
        text = path.read_text(encoding="utf-8")
        out[plan_from_json(text, path.name).name] = text
    return out

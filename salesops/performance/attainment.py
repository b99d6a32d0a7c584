"""Attainment per rep and per team, and how reps spread over the attainment buckets (docs/METRICS.md)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from salesops.performance.queries import RAMPING, binds, closed_by, scope_quota, window_days
from salesops.scope import Scope
from salesops.store.dialect import code_point_order
from salesops.store.engine import arrow_result_frame
from salesops.store.engine import result_frame as fast_result_frame
from salesops.store.sql import attainment, scope_filter, win_rate

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

REP_COLUMNS = [
    "rep_id", "name", "team_id", "team", "region", "role", "ramping", "won_cents", "won_count",
    "lost_count", "win_rate", "quota_cents", "attainment", "bucket",
]  # fmt: skip

TEAM_COLUMNS = [
    "team_id", "team", "region", "manager", "won_cents", "won_count", "lost_count", "win_rate",
    "quota_cents", "attainment", "reps_with_quota", "reps_at_quota", "share_at_quota",
]  # fmt: skip


def buckets(attainments: pd.Series) -> pd.Series:
    """The distribution bucket of each attainment (lower bound inclusive); 'no quota' for NaN/None."""
    a = pd.to_numeric(attainments, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    conditions = [np.isnan(a)] + [(lo <= a) & (a < hi) for _, lo, hi in BUCKETS]
    labels = ["no quota"] + [b[0] for b in BUCKETS]
    return pd.Series(np.select(conditions, labels, default=BUCKETS[-1][0]), index=attainments.index, dtype="str")


def _ratios(frame: pd.DataFrame) -> pd.DataFrame:
    """Quota to whole cents, then win_rate and attainment from the frame's sums."""
    frame["quota_cents"] = frame["quota_cents"].astype(float).round().astype("int64")
    frame["won_cents"] = frame["won_cents"].astype("int64")
    frame["win_rate"] = win_rate(frame["won_count"], frame["lost_count"])
    frame["attainment"] = attainment(frame["won_cents"], frame["quota_cents"])
    return frame


def rep_order(frame: pd.DataFrame) -> np.ndarray:
    """The row positions of a rep frame in :func:`attainment_by_rep`'s order: attainment highest
    first (none last), then won revenue highest first, then rep_id — the order of
    ``sort_values(["attainment", "won_cents", "rep_id"], ascending=[False, False, True],
    na_position="last")``, from one np.lexsort (its last key sorts first; NaN sorts last)."""
    return np.lexsort(
        (
            frame["rep_id"].to_numpy(dtype=object),
            -frame["won_cents"].to_numpy(dtype="int64"),
            -frame["attainment"].to_numpy(dtype="float64"),
        )
    )


def attainment_by_rep(engine: Engine, scope: Scope) -> pd.DataFrame:
    """Won revenue against quota per rep in scope (by the rep's current team).

    Columns: rep_id, name, team_id, team, region, role, ramping (bool), won_cents, won_count,
    lost_count, win_rate, quota_cents, attainment (None without quota), bucket. Reps with neither
    quota nor a closed deal in the range are left out. A rep's won revenue is all of their deals won
    in the range, whatever team they were in. Sorted by attainment, highest first.
    """
    _, rep_where, params = binds(scope)
    days, day_binds = window_days(scope)
    with engine.connect() as conn:
        # DuckDB hands the whole result over through Arrow (a rep per row: thousands at scale, no
        # Python string per value); the sums are BIGINT so they arrive as int64 on every store
        frame = arrow_result_frame(
            conn.execute(_rep_sql(conn, scope_quota(scope), rep_where, days), {**params, **day_binds})
        )
    if frame.empty:
        return pd.DataFrame(columns=REP_COLUMNS)
    frame["ramping"] = frame["ramping"].astype(bool)
    frame = _ratios(frame)
    frame["bucket"] = frame["bucket"].astype("str")
    frame = frame[REP_COLUMNS]  # already in rep_order's order: sorted in SQL (see _rep_sql)
    if scope.viewer is not None and not scope.viewer.sees_individual_money:
        # The screen-share account: attainment and counts, no one's money.
        frame["won_cents"] = frame["quota_cents"] = pd.NA
        frame[["won_cents", "quota_cents"]] = frame[["won_cents", "quota_cents"]].astype("Int64")
    return frame


def _rep_sql(bind, quota_sql: str, rep_where: str, days: str) -> sa.TextClause:
    """:func:`attainment_by_rep`'s statement: a row per rep in scope with quota or a closed deal, with
    its :func:`buckets` label, in :func:`rep_order`'s order. The attainment both use is the one of
    :func:`_ratios` — the won cents ÷ the quota cents (both BIGINT) as a double where the quota is
    above 0 — so the bucket and the order are those the frame's own columns give (the same IEEE
    division; rep_id by code point, :func:`~salesops.store.dialect.code_point_order`), without
    labelling and reordering thousands of rows in pandas."""
    quota, won = "COALESCE(q.quota_cents, 0)", "CAST(COALESCE(w.won_cents, 0) AS BIGINT)"
    att = f"CASE WHEN {quota} > 0 THEN CAST({won} AS DOUBLE PRECISION) / CAST({quota} AS DOUBLE PRECISION) END"
    labels = " ".join(f"WHEN att < CAST({hi!r} AS DOUBLE PRECISION) THEN '{label}'" for label, _lo, hi in BUCKETS[:-1])
    return sa.text(
        f"""
        WITH q AS ({quota_sql}),
        w AS ({closed_by("rep_id", "", days)}),
        x AS (
            SELECT r.rep_id, r.name, r.team_id, t.name AS team, t.region, r.role, {RAMPING} AS ramping,
                   {won} AS won_cents,
                   CAST(COALESCE(w.won_count, 0) AS BIGINT) AS won_count,
                   CAST(COALESCE(w.lost_count, 0) AS BIGINT) AS lost_count, {quota} AS quota_cents, {att} AS att
            FROM reps r
            LEFT JOIN teams t ON t.team_id = r.team_id
            LEFT JOIN q ON q.rep_id = r.rep_id
            LEFT JOIN w ON w.rep_id = r.rep_id
            WHERE ({quota} > 0 OR COALESCE(w.won_count, 0) + COALESCE(w.lost_count, 0) > 0)
                  {rep_where}
        )
        SELECT rep_id, name, team_id, team, region, role, ramping, won_cents, won_count, lost_count, quota_cents,
               CASE WHEN att IS NULL THEN 'no quota' {labels} ELSE '{BUCKETS[-1][0]}' END AS bucket
        FROM x
        ORDER BY att DESC NULLS LAST, won_cents DESC, {code_point_order(bind, "rep_id")}
        """  # noqa: S608 - our fragments and this module's labels only, values bound
    )


def attainment_by_team(engine: Engine, scope: Scope) -> pd.DataFrame:
    """Won revenue against quota per team in scope.

    Columns: team_id, team, region, manager, won_cents, won_count, lost_count, win_rate,
    quota_cents, attainment, reps_with_quota, reps_at_quota (rep attainment ≥ 100 %),
    share_at_quota. Won figures follow deals.team_id (the team at the time); quota follows the
    reps' current team. Sorted by team_id.
    """
    where, _, params = binds(scope)
    team_where, team_params = scope_filter(scope, alias="t", rep_col=None)
    days, day_binds = window_days(scope)
    sql = sa.text(
        f"""
        WITH q AS ({scope_quota(scope)}),
        rep_won AS (
            SELECT rep_id, SUM(won_cents) AS won_cents FROM {days} x
            GROUP BY rep_id HAVING SUM(won_count) > 0
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
        w AS ({closed_by("team_id", where, days)})
        SELECT t.team_id, t.name AS team, t.region, t.manager,
               CAST(COALESCE(w.won_cents, 0) AS BIGINT) AS won_cents,
               CAST(COALESCE(w.won_count, 0) AS BIGINT) AS won_count,
               CAST(COALESCE(w.lost_count, 0) AS BIGINT) AS lost_count, COALESCE(qt.quota_cents, 0) AS quota_cents,
               COALESCE(qt.reps_with_quota, 0) AS reps_with_quota, COALESCE(qt.reps_at_quota, 0) AS reps_at_quota
        FROM teams t
        LEFT JOIN qt ON qt.team_id = t.team_id
        LEFT JOIN w ON w.team_id = t.team_id
        WHERE 1 = 1 {team_where}
        ORDER BY t.team_id
        """  # noqa: S608 - our fragments only, values bound
    )
    with engine.connect() as conn:
        frame = fast_result_frame(conn.execute(sql, {**params, **team_params, **day_binds}))
    if frame.empty:
        return pd.DataFrame(columns=TEAM_COLUMNS)
    frame = _ratios(frame)
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


def attainment_distribution(reps: pd.DataFrame, elapsed_share: float = 1.0) -> Distribution:
    """Bucket counts of an :func:`attainment_by_rep` frame (reps without quota left out).

    The frame is already one row per rep (aggregated in SQL); this only counts its buckets. For a
    period that is not over, ``elapsed_share`` (0..1) judges each rep on pace: attainment to date ÷
    the elapsed share, so "at quota" means "on pace for quota" and the benchmark stays fair.
    """
    labels = [b[0] for b in BUCKETS]
    with_quota = reps[reps["attainment"].notna()] if len(reps) else reps
    if len(with_quota) and 0 < elapsed_share < 1:
        with_quota = with_quota.assign(bucket=buckets(with_quota["attainment"] / elapsed_share))
    counts = with_quota["bucket"].value_counts().reindex(labels, fill_value=0) if len(with_quota) else None
    n = len(with_quota)
    values = [int(counts[b]) if counts is not None else 0 for b in labels]
    frame = pd.DataFrame({"bucket": labels, "reps": values})
    frame["share"] = frame["reps"] / n if n else 0.0
    at_or_above = int(frame.loc[frame["bucket"].isin(["100–120%", ">120%"]), "reps"].sum())
    return Distribution(
        buckets=frame, reps_with_quota=n, at_or_above=at_or_above, share_at_or_above=at_or_above / n if n else None
    )

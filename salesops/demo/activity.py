"""Demo leads (routed to AEs, with the funnel stage each reached) and activities (calls, emails …)."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from salesops.demo.org import LEAD_SOURCES, LOPSIDED_ROUTING_TEAM, SEASONALITY, STALLED_FUNNEL_TEAM, ScaleSpec
from salesops.store import schema

#: Source quality: multiplier on lead→MQL conversion.
SOURCE_QUALITY = {
    "Web": 0.9,
    "Webinar": 1.0,
    "Referral": 1.6,
    "Partner": 1.3,
    "Outbound": 0.6,
    "Event": 1.1,
}


def build_leads(rng, reps: pd.DataFrame, rep_months: pd.DataFrame, spec: ScaleSpec, today: date) -> pd.DataFrame:
    """Leads routed to AEs, each with its source and the furthest funnel stage reached."""
    t0 = pd.Timestamp(today)
    team_month = rep_months.groupby(["team_id", "month"], as_index=False).agg(fte=("fte", "sum"))
    lam = spec.leads_per_ae_month * team_month["fte"].to_numpy() * SEASONALITY[team_month["month"].dt.month - 1]
    lam = np.where(team_month["team_id"] == STALLED_FUNNEL_TEAM, lam * 1.6, lam)
    counts = rng.poisson(lam)
    idx = np.repeat(np.arange(len(team_month)), counts)
    tm = team_month.iloc[idx].reset_index(drop=True)
    n = len(tm)
    created = tm["month"] + pd.to_timedelta((rng.random(n) * tm["month"].dt.days_in_month).astype(int), unit="D")
    created = created.where(created <= t0, t0)
    # Route each lead to an AE of the team employed that month (weighted by fte).
    pool = rep_months[["team_id", "month", "rep_id", "fte", "ramp"]].copy()
    pool["w"] = pool["fte"] * np.where(pool["ramp"] < 1, 0.5, 1.0)
    lopsided = pool["team_id"] == LOPSIDED_ROUTING_TEAM
    favourites = pool[lopsided].groupby("month")["rep_id"].transform(lambda s: s.rank(method="first") <= 2)
    pool.loc[lopsided, "w"] = np.where(favourites, 6.0, 0.5)
    pool["cum"] = pool.groupby(["team_id", "month"])["w"].cumsum()
    pool["tot"] = pool.groupby(["team_id", "month"])["w"].transform("sum")
    key = tm[["team_id", "month"]].copy()
    key["u"] = rng.random(n)
    key["lead_idx"] = np.arange(n)
    merged = key.merge(pool, on=["team_id", "month"])
    merged = merged[merged["cum"] >= merged["u"] * merged["tot"]]
    pick = merged.sort_values(["lead_idx", "cum"]).groupby("lead_idx").head(1).set_index("lead_idx")["rep_id"]
    source = np.array(LEAD_SOURCES)[rng.choice(len(LEAD_SOURCES), n, p=[0.3, 0.15, 0.1, 0.1, 0.25, 0.1])]
    q = pd.Series(source).map(SOURCE_QUALITY).to_numpy()
    p_mql = np.clip(0.42 * q, 0, 0.95)
    p_sql = np.where(tm["team_id"] == STALLED_FUNNEL_TEAM, 0.10, 0.52)
    u = rng.random((n, 4))
    reach = np.ones(n, dtype=int)
    alive = u[:, 0] < p_mql
    reach += alive
    alive &= u[:, 1] < p_sql
    reach += alive
    alive &= u[:, 2] < 0.6
    reach += alive
    alive &= u[:, 3] < 0.28
    reach += alive
    age = (t0 - created).dt.days.to_numpy()
    reach = np.where(age < 10, np.minimum(reach, 2), reach)  # too young to have gone far
    return pd.DataFrame(
        {
            "rep_id": pick.reindex(np.arange(n)).to_numpy(),
            "team_id": tm["team_id"].to_numpy(),
            "source": source,
            "created_at": created.dt.date,
            "furthest_stage": np.array(schema.LEAD_STAGES)[reach - 1],
        }
    )


def build_activities(rng, reps: pd.DataFrame, today: date, per_week: float) -> pd.DataFrame:
    """Calls, emails, meetings and demos; SDRs call and email, AEs meet and demo."""
    start = pd.Timestamp(today - timedelta(days=3 * 365))
    t0 = pd.Timestamp(today)
    hire = pd.to_datetime(reps["hire_date"]).where(lambda s: s > start, start)
    weeks = np.maximum(0, (t0 - hire).dt.days.to_numpy() / 7.0)
    sdr = (reps["role"] == "SDR").to_numpy()
    lam = weeks * per_week * np.where(sdr, 1.8, 1.0) * reps["fte"].to_numpy()
    lam = np.where(reps["trait"].to_numpy() == "struggler", lam * 0.7, lam)
    counts = rng.poisson(lam)
    idx = np.repeat(np.arange(len(reps)), counts)
    n = len(idx)
    span = (t0 - hire).dt.days.to_numpy()[idx]
    # Days since the rep's (clipped) hire date, as whole days: the dates as one datetime64 column, not
    # a Python date per row (~100M rows at large; the store's DATE column takes them as they are).
    days = (rng.random(n) * span).astype(int)
    when = hire.to_numpy().astype("datetime64[D]")[idx] + days.astype("timedelta64[D]")
    ae_types = np.array(["call", "email", "meeting", "demo"])
    is_sdr = sdr[idx]
    t_ae = rng.choice(4, n, p=[0.3, 0.4, 0.2, 0.1])
    t_sdr = rng.choice(4, n, p=[0.5, 0.45, 0.05, 0.0])
    # Repeated labels as categoricals (codes into the reps' own values): no string per row.
    team_codes, team_names = pd.factorize(reps["team_id"])
    return pd.DataFrame(
        {
            "rep_id": pd.Categorical.from_codes(idx, categories=pd.Index(reps["rep_id"])),
            "team_id": pd.Categorical.from_codes(team_codes[idx], categories=team_names),
            "type": pd.Categorical.from_codes(np.where(is_sdr, t_sdr, t_ae), categories=ae_types),
            "occurred_at": when,
        }
    )


def numbered_ids(prefix: str, start: int, n: int, width: int) -> pd.Series:
    """``n`` ids ``prefix`` + the numbers from ``start`` zero-padded to ``width`` digits (``f"{prefix}{i:0{width}d}"``),
    made by Arrow in one pass instead of a Python string per row."""
    numbers = pc.cast(pa.array(np.arange(start, start + n, dtype=np.int64)), pa.string())
    ids = pc.binary_join_element_wise(prefix, pc.utf8_lpad(numbers, width=width, padding="0"), "")
    return pd.Series(ids, dtype=pd.StringDtype("pyarrow", na_value=np.nan))

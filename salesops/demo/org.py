"""The demo organisation's people: teams, reps (with their planted traits), rep-months and quotas.

The scales, regions, segments and the planted team-level traits are defined here too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from salesops import config

SCALES = ("small", "medium", "large")
REGIONS = ("North America East", "North America West", "EMEA", "APAC")
#: (name, region, segment) of the small organisation's teams; larger scales repeat the pattern.
SMALL_TEAMS = (
    ("Boston Enterprise", "North America East", "Enterprise"),
    ("New York Mid-Market", "North America East", "Mid-Market"),
    ("Atlanta SMB", "North America East", "SMB"),
    ("San Francisco Enterprise", "North America West", "Enterprise"),
    ("Seattle Mid-Market", "North America West", "Mid-Market"),
    ("Austin SMB", "North America West", "SMB"),
    ("London Enterprise", "EMEA", "Enterprise"),
    ("Berlin Mid-Market", "EMEA", "Mid-Market"),
    ("Paris SMB", "EMEA", "SMB"),
    ("Sydney Mid-Market", "APAC", "Mid-Market"),
    ("Singapore SMB", "APAC", "SMB"),
)

#: Team ids of the planted team-level traits (small scale numbering).
STALLED_FUNNEL_TEAM = "T09"  # Paris SMB: plenty of leads, few qualified
LOPSIDED_ROUTING_TEAM = "T05"  # Seattle Mid-Market: two reps get most leads
DISLIKED_TOOL = "dialer"

SEGMENT_AMOUNT = {"Enterprise": 60_000.0, "Mid-Market": 24_000.0, "SMB": 8_000.0}
SEGMENT_CYCLE_DAYS = {"Enterprise": 75.0, "Mid-Market": 45.0, "SMB": 25.0}

LEAD_SOURCES = ("Web", "Webinar", "Referral", "Partner", "Outbound", "Event")

#: Month-of-year multiplier on deal creation: strong Q4, summer dip.
SEASONALITY = np.array([0.85, 0.9, 1.05, 0.95, 1.0, 1.1, 0.8, 0.75, 1.05, 1.1, 1.2, 1.3])

FIRST = (
    "Alex Sam Jordan Taylor Morgan Casey Riley Jamie Avery Quinn Rowan Parker Reese Emery Dana "
    "Priya Mei Hiro Lars Ingrid Sofia Mateo Lucia Omar Leila Kofi Amara Noah Emma Liam Olivia Ethan "
    "Ava Lucas Mia Elena Marco Anna Jonas Clara Felix Nora Hugo Ella Theo Ivy Leo Zoe"
).split()
LAST = (
    "Smith Johnson Lee Brown Garcia Martin Chen Wang Patel Kim Nguyen Muller Schmidt Dubois Rossi "
    "Silva Costa Novak Berg Larsen Okafor Mensah Haddad Tanaka Sato Ivanova Kowalski Jensen Moreau "
    "Fischer Weber Lopez Perez Cohen Walsh Byrne Reid Hughes Price Ward Cole Hayes Fox Grant Stone"
).split()


@dataclass(frozen=True)
class ScaleSpec:
    n_teams: int
    aes_per_team: int
    sdrs_per_team: int
    deals_per_ae_month: float
    activities_per_rep_week: float
    leads_per_ae_month: float


SCALE_SPECS = {
    "small": ScaleSpec(11, 9, 3, 5.0, 14.0, 22.0),
    "medium": ScaleSpec(330, 9, 3, 9.5, 16.0, 10.0),
    # 16.7 activities a rep-week, ~100M activities (issue #21): with activity_id checked by query instead
    # of a key index held in memory while the build publishes (build._KEY_BY_QUERY), the build measured
    # 4,744 MB and 806 s on this 2-core machine (BENCHMARKS.md "Memory at scale", 2026-12-03 16:00).
    "large": ScaleSpec(3300, 9, 3, 9.5, 16.7, 2.0),
}


def _month_starts(start: date, end: date) -> pd.DatetimeIndex:
    return pd.date_range(pd.Timestamp(start).to_period("M").to_timestamp(), end, freq="MS")


def build_teams(spec: ScaleSpec) -> pd.DataFrame:
    rows = []
    for i in range(spec.n_teams):
        name, region, segment = SMALL_TEAMS[i % len(SMALL_TEAMS)]
        if i >= len(SMALL_TEAMS):
            name = f"{name} {i // len(SMALL_TEAMS) + 1}"
        rows.append((f"T{i + 1:02d}", name, region, segment))
    return pd.DataFrame(rows, columns=["team_id", "name", "region", "segment"])


def build_reps(rng: np.random.Generator, teams: pd.DataFrame, spec: ScaleSpec, today: date) -> pd.DataFrame:
    """Reps with hire dates, ramp and the planted traits (win-rate factor, deal-size factor)."""
    history_start = today - timedelta(days=3 * 365)
    rows = []
    n = 0
    for t in teams.itertuples():
        for k in range(spec.aes_per_team + spec.sdrs_per_team):
            n += 1
            role = "AE" if k < spec.aes_per_team else "SDR"
            roll = rng.random()
            if roll < 0.65:  # veterans hired before the history starts
                hire = history_start - timedelta(days=int(rng.integers(30, 2000)))
            elif roll < 0.9:  # hired during the history
                hire = history_start + timedelta(days=int(rng.integers(0, 3 * 365 - 200)))
            else:  # recent hires, some still ramping
                hire = today - timedelta(days=int(rng.integers(20, 200)))
            name = f"{FIRST[(n * 7 + k) % len(FIRST)]} {LAST[(n * 11 + 3 * k) % len(LAST)]}"
            rows.append(
                dict(
                    rep_id=f"R{n:04d}",
                    name=name,
                    team_id=t.team_id,
                    role=role,
                    hire_date=hire,
                    ramp_months=3 if role == "AE" else 2,
                    active=True,
                    fte=1.0,
                    email=f"{name.lower().replace(' ', '.')}.{n}@example.com",
                    segment=t.segment,
                    win_factor=float(rng.normal(1.0, 0.08)),
                    size_factor=float(rng.normal(1.0, 0.08)),
                    trait="",
                )
            )
            if role == "AE" and k == spec.aes_per_team - 1 and rng.random() < 0.2:
                rows[-1]["fte"] = 0.5
    reps = pd.DataFrame(rows)
    reps["manager"] = ""
    # Planted people, chosen by position so the same seed always picks the same names.
    ae_first = reps[reps.role == "AE"].groupby("team_id").head(1).set_index("team_id")["rep_id"]
    ae_second = reps[reps.role == "AE"].groupby("team_id").nth(1).set_index("team_id")["rep_id"]
    veteran = history_start - timedelta(days=900)
    for team in ("T01", "T04", "T07"):
        if team in ae_first.index:
            idx = reps.index[reps.rep_id == ae_first[team]][0]
            reps.loc[idx, ["win_factor", "size_factor", "trait", "hire_date"]] = [1.75, 1.3, "star", veteran]
    for team in ("T02", "T06", "T10"):
        if team in ae_first.index:
            idx = reps.index[reps.rep_id == ae_first[team]][0]
            reps.loc[idx, ["win_factor", "size_factor", "trait", "hire_date"]] = [0.35, 0.9, "struggler", veteran]
    if "T03" in ae_second.index:
        idx = reps.index[reps.rep_id == ae_second["T03"]][0]
        reps.loc[idx, ["hire_date", "trait"]] = [today - timedelta(days=150), "low_volume"]
    if "T08" in ae_second.index:  # moved from T02 to T08 a year ago
        idx = reps.index[reps.rep_id == ae_second["T08"]][0]
        reps.loc[idx, ["trait", "hire_date"]] = ["moved_team", veteran]
    return reps


def _ramp_factor(months_since_hire: np.ndarray, ramp_months: np.ndarray) -> np.ndarray:
    """Linear ramp: a rep in their m-th month (0-based) of a r-month ramp works at (m+1)/(r+1)."""
    ramp = np.maximum(ramp_months, 0)
    f = (months_since_hire + 1) / (ramp + 1)
    return np.clip(np.where(ramp == 0, 1.0, f), 0.0, 1.0)


def build_rep_months(reps: pd.DataFrame, today: date, until: date | None = None) -> pd.DataFrame:
    """One row per (AE, month) the AE was employed up to ``until`` (default today), with the ramp."""
    months = _month_starts(today - timedelta(days=3 * 365), until or today)
    aes = reps[reps.role == "AE"]
    grid = aes[
        ["rep_id", "team_id", "hire_date", "ramp_months", "fte", "segment", "win_factor", "size_factor", "trait"]
    ].merge(pd.DataFrame({"month": months}), how="cross")
    hire = pd.to_datetime(grid["hire_date"])
    grid = grid[grid["month"] >= hire.dt.to_period("M").dt.to_timestamp()].copy()
    hire = pd.to_datetime(grid["hire_date"])
    msh = (grid["month"].dt.year - hire.dt.year) * 12 + (grid["month"].dt.month - hire.dt.month)
    grid["ramp"] = _ramp_factor(msh.to_numpy(), grid["ramp_months"].to_numpy())
    grid["ramping"] = grid["ramp"] < 1.0
    return grid.reset_index(drop=True)


def first_quota_month(reps: pd.DataFrame, today: date) -> pd.Timestamp:
    """The earliest month of :func:`build_rep_months` over all reps (quota growth counts from it)."""
    months = _month_starts(today - timedelta(days=3 * 365), today)
    hired = pd.to_datetime(reps.loc[reps.role == "AE", "hire_date"]).dt.to_period("M").dt.to_timestamp().min()
    return max(months[0], hired)


def build_quotas(
    rep_months: pd.DataFrame, spec: ScaleSpec, base_win: float, first: pd.Timestamp | None = None
) -> pd.DataFrame:
    """Monthly quota per AE: about the average AE's expected bookings, ramped, growing 10%/year.

    Growth counts years from ``first`` (default: the frame's first month); a batch of teams passes
    the whole organisation's first month (:func:`first_quota_month`), so batches add up to the same rows.
    """
    expected = spec.deals_per_ae_month * base_win * rep_months["segment"].map(SEGMENT_AMOUNT) * 1.2
    first = rep_months["month"].min() if first is None else first
    growth = 1.0 + 0.10 * ((rep_months["month"] - first).dt.days // 365)
    amount = expected * growth * rep_months["ramp"] * rep_months["fte"]
    return pd.DataFrame(
        {
            "rep_id": rep_months["rep_id"],
            "period_type": "month",
            "period_start": rep_months["month"].dt.date,
            "amount_cents": (np.round(amount / 100.0) * 10_000).astype(np.int64),  # round to $100
        }
    )


def planted_reps(seed: int = 7, scale: str = "small", today: date | None = None) -> pd.DataFrame:
    """The reps the demo planted a trait on (star, struggler, low_volume, moved_team), by id."""
    today = today or config.today()
    rng = np.random.default_rng(seed)
    spec = SCALE_SPECS[scale]
    reps = build_reps(rng, build_teams(spec), spec, today)
    return reps.loc[reps.trait != "", ["rep_id", "name", "team_id", "trait"]].reset_index(drop=True)

"""The demo organisation: a seeded, deterministic sales org with three years of history.

``build_demo(engine, seed=7, scale="small", today=None)`` is the one builder used by ``make run``,
the tests and the benchmark. Everything is generated with numpy, vectorised per batch of teams,
and bulk-loaded in one transaction. The planted traits (docs/DEMO_DATA.md) are:

* yearly seasonality (strong Q4, summer dip), growth, and end-of-quarter close-date clustering;
* new hires ramping (reduced quota and deal flow for ``ramp_months``);
* stars (high win rate, bigger deals) and strugglers (low win rate, deals stall in Proposal);
* one low-volume new hire with only a handful of deals (must not be flagged);
* a team whose funnel stalls at qualification (plenty of leads, few SQLs);
* a team whose lead routing is lopsided (two reps get most leads);
* a tool reps dislike (the dialer), getting worse each survey round;
* a rep who changed team a year ago (their old deals stay with the old team).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from salesops import config
from salesops.store import schema
from salesops.store.engine import bulk_insert, write

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

#: Deal stages in order with their probability; the last two are terminal.
DEAL_STAGES = (
    ("Prospecting", 0.10),
    ("Qualification", 0.20),
    ("Discovery", 0.40),
    ("Proposal", 0.60),
    ("Negotiation", 0.80),
)
WON_STAGE, LOST_STAGE = "Closed Won", "Closed Lost"
FORECAST_CATEGORY = {
    "Prospecting": "Pipeline",
    "Qualification": "Pipeline",
    "Discovery": "Pipeline",
    "Proposal": "Best Case",
    "Negotiation": "Commit",
}
PRODUCTS = ("Core Platform", "Analytics Add-on", "Integrations", "Premium Support")
LEAD_SOURCES = ("Web", "Webinar", "Referral", "Partner", "Outbound", "Event")
#: Source quality: multiplier on lead→MQL conversion.
SOURCE_QUALITY = {
    "Web": 0.9,
    "Webinar": 1.0,
    "Referral": 1.6,
    "Partner": 1.3,
    "Outbound": 0.6,
    "Event": 1.1,
}

#: Month-of-year multiplier on deal creation: strong Q4, summer dip.
SEASONALITY = np.array([0.85, 0.9, 1.05, 0.95, 1.0, 1.1, 0.8, 0.75, 1.05, 1.1, 1.2, 1.3])

TOOLS = (
    ("crm", "CRM", "CRM"),
    ("email", "Email platform", "Email"),
    ("dialer", "Dialer", "Dialer"),
    ("engagement", "Sales engagement", "Engagement"),
    ("video", "Video meetings", "Meetings"),
    ("cpq", "CPQ / quoting", "Quoting"),
)

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

LIKES = {
    "crm": ["single view of the account", "good reports", "pipeline view is clear", "mobile app works"],
    "email": ["templates save time", "tracking opens", "easy to schedule", "clean inbox integration"],
    "dialer": ["click to call", "local presence numbers", "call recording"],
    "engagement": ["sequences save time", "task list keeps me on track", "good templates"],
    "video": ["reliable calls", "easy screen share", "recording and transcripts"],
    "cpq": ["quotes look professional", "approval flow is clear", "pricing rules are right"],
}
DISLIKES = {
    "crm": ["too many required fields", "slow to load", "duplicate accounts", "reports are hard to build"],
    "email": ["sync breaks sometimes", "templates are hard to find", "tracking is unreliable"],
    "dialer": [
        "calls drop all the time",
        "slow to connect",
        "call quality is poor",
        "does not log calls to the crm",
        "calls drop and it is slow to connect",
    ],
    "engagement": ["too many steps to set up a sequence", "duplicate tasks", "sync with crm is slow"],
    "video": ["audio lags sometimes", "too many logins"],
    "cpq": ["slow to build a quote", "discount approvals take too long", "too many clicks"],
}


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
    "large": ScaleSpec(3300, 9, 3, 9.5, 3.0, 2.0),
}


@dataclass(frozen=True)
class DemoSummary:
    """What build_demo wrote: row counts per table and the 'today' it was built for."""

    seed: int
    scale: str
    today: date
    counts: dict


def _month_starts(start: date, end: date) -> pd.DatetimeIndex:
    return pd.date_range(pd.Timestamp(start).to_period("M").to_timestamp(), end, freq="MS")


def _teams_frame(spec: ScaleSpec) -> pd.DataFrame:
    rows = []
    for i in range(spec.n_teams):
        name, region, segment = SMALL_TEAMS[i % len(SMALL_TEAMS)]
        if i >= len(SMALL_TEAMS):
            name = f"{name} {i // len(SMALL_TEAMS) + 1}"
        rows.append((f"T{i + 1:02d}", name, region, segment))
    return pd.DataFrame(rows, columns=["team_id", "name", "region", "segment"])


def _reps_frame(rng: np.random.Generator, teams: pd.DataFrame, spec: ScaleSpec, today: date) -> pd.DataFrame:
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


def _rep_months(reps: pd.DataFrame, today: date, until: date | None = None) -> pd.DataFrame:
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


def _deals(rng, rep_months: pd.DataFrame, spec: ScaleSpec, today: date, base_win: float, moved: dict):
    """Deals, their stage history and close-date/amount changes for a batch of AEs."""
    t0 = pd.Timestamp(today)
    start = t0 - pd.Timedelta(days=3 * 365)
    years = (rep_months["month"] - start).dt.days / 365.0
    lam = (
        spec.deals_per_ae_month
        * rep_months["ramp"]
        * rep_months["fte"]
        * SEASONALITY[rep_months["month"].dt.month - 1]
        * (1.0 + 0.12 * years)
    )
    lam = np.where(rep_months["trait"] == "low_volume", 1.2, lam)
    counts = rng.poisson(lam.to_numpy() if hasattr(lam, "to_numpy") else lam)
    idx = np.repeat(np.arange(len(rep_months)), counts)
    d = rep_months.iloc[idx].reset_index(drop=True)
    n = len(d)
    month_len = d["month"].dt.days_in_month.to_numpy()
    created = d["month"] + pd.to_timedelta((rng.random(n) * month_len).astype(int), unit="D")
    created = created.where(created <= t0, t0 - pd.to_timedelta(rng.integers(0, 20, n), unit="D"))
    created = created.where(created >= pd.to_datetime(d["hire_date"]), pd.to_datetime(d["hire_date"]))
    seg_cycle = d["segment"].map(SEGMENT_CYCLE_DAYS).to_numpy()
    cycle = np.maximum(3, rng.lognormal(np.log(seg_cycle), 0.5)).astype(int)
    close = created + pd.to_timedelta(cycle, unit="D")
    # End-of-quarter push: many deals are closed in the last days of their quarter.
    q_end = close.dt.to_period("Q").dt.end_time.dt.normalize()
    snap = (rng.random(n) < 0.35) & ((q_end - close).dt.days < 40)
    close = close.where(~snap, q_end - pd.to_timedelta(rng.integers(0, 8, n), unit="D"))
    close = close.where(close > created, created + pd.Timedelta(days=1))

    # Budget flush: deals closing in Q4 win more often, summer deals less.
    close_season = np.array([0.9, 0.9, 1.0, 0.95, 0.95, 1.0, 0.8, 0.8, 1.0, 1.15, 1.25, 1.35])
    win_p = np.clip(base_win * d["win_factor"].to_numpy() * close_season[close.dt.month.to_numpy() - 1], 0.02, 0.9)
    closed = (close <= t0).to_numpy()
    won = closed & (rng.random(n) < win_p)
    outcome = np.where(~closed, "open", np.where(won, "won", "lost"))
    amount = rng.lognormal(np.log(d["segment"].map(SEGMENT_AMOUNT).to_numpy() * d["size_factor"].to_numpy()), 0.55)
    amount_cents = (np.round(amount / 10.0) * 1000).astype(np.int64)  # round to $10

    n_open = len(DEAL_STAGES)
    # Lost deals die somewhere in the middle; strugglers' deals die in Proposal.
    lost_at = rng.integers(1, n_open, n)
    lost_at = np.where(d["trait"].to_numpy() == "struggler", np.minimum(3, lost_at + 1), lost_at)
    progress = np.clip(
        (t0 - created).dt.days.to_numpy() / np.maximum(1, (close - created).dt.days.to_numpy()), 0, 0.999
    )
    open_at = (progress * n_open).astype(int)
    reached = np.where(outcome == "won", n_open, np.where(outcome == "lost", lost_at + 1, open_at + 1))
    stage = np.where(
        outcome == "won",
        WON_STAGE,
        np.where(outcome == "lost", LOST_STAGE, np.array([s for s, _ in DEAL_STAGES])[open_at]),
    )
    prob = np.where(
        outcome == "won", 1.0, np.where(outcome == "lost", 0.0, np.array([p for _, p in DEAL_STAGES])[open_at])
    )
    fc = np.where(
        outcome == "won",
        "Closed",
        np.where(outcome == "lost", "Omitted", pd.Series(stage).map(FORECAST_CATEGORY).to_numpy()),
    )
    team_id = d["team_id"].to_numpy().copy()
    for rep_id, (old_team, moved_on) in moved.items():
        mask = (d["rep_id"].to_numpy() == rep_id) & (created < moved_on).to_numpy()
        team_id[mask] = old_team
    deals = pd.DataFrame(
        {
            "rep_id": d["rep_id"].to_numpy(),
            "team_id": team_id,
            "account": None,
            "product": np.array(PRODUCTS)[rng.integers(0, len(PRODUCTS), n)],
            "stage": stage,
            "outcome": outcome,
            "amount_cents": amount_cents,
            "probability": prob,
            "forecast_category": fc,
            "created_date": created.dt.date,
            "close_date": close.dt.date,
            "lead_source": np.array(LEAD_SOURCES)[rng.integers(0, len(LEAD_SOURCES), n)],
            "deal_type": np.where(rng.random(n) < 0.7, "New Business", "Expansion"),
        }
    )
    # Stage history: one row per stage reached, evenly spaced from create to close (or today);
    # strugglers' deals sit twice as long in Proposal.
    end = np.where(outcome == "open", (t0 - created).dt.days.to_numpy(), (close - created).dt.days.to_numpy())
    rows = np.repeat(np.arange(n), reached)
    pos = np.arange(len(rows)) - np.repeat(np.cumsum(reached) - reached, reached)
    span = np.repeat(end, reached) / np.repeat(np.maximum(reached, 1), reached)
    struggler = np.repeat(d["trait"].to_numpy() == "struggler", reached)
    offset = pos * span * np.where(struggler & (pos >= 4), 1.0, 1.0)
    offset = np.where(struggler & (pos == 4), offset + span * 0.6, offset)
    entered = pd.to_datetime(np.repeat(created.to_numpy(), reached)) + pd.to_timedelta(offset.astype(int), unit="D")
    hist = pd.DataFrame(
        {
            "deal_idx": rows,
            "stage": np.array([s for s, _ in DEAL_STAGES])[np.minimum(pos, n_open - 1)],
            "entered_at": entered.date,
        }
    )
    terminal = outcome != "open"
    term = pd.DataFrame(
        {
            "deal_idx": np.arange(n)[terminal],
            "stage": stage[terminal],
            "entered_at": close[terminal].dt.date.to_numpy(),
        }
    )
    hist = pd.concat([hist, term], ignore_index=True)
    # Close-date pushes and amount changes; a share of them in the last week, for the review.
    push = rng.random(n) < 0.22
    recent = (outcome == "open") & (rng.random(n) < 0.06)
    ch_idx = np.flatnonzero(push | recent)
    last = np.minimum((close - created).dt.days.to_numpy(), (t0 - created).dt.days.to_numpy())[ch_idx]
    when = created.to_numpy()[ch_idx] + pd.to_timedelta(
        (rng.random(len(ch_idx)) * np.maximum(last, 0)).astype(int), unit="D"
    )
    when = np.where(
        recent[ch_idx], np.datetime64(t0) - pd.to_timedelta(rng.integers(0, 7, len(ch_idx)), unit="D"), when
    )
    shift = rng.integers(7, 45, len(ch_idx))
    pulled = rng.random(len(ch_idx)) < 0.2
    old_close = close.to_numpy()[ch_idx] - pd.to_timedelta(np.where(pulled, -shift, shift), unit="D")
    changes = pd.DataFrame(
        {
            "deal_idx": ch_idx,
            "changed_at": pd.to_datetime(when).date,
            "field": "close_date",
            "old_value": pd.to_datetime(old_close).strftime("%Y-%m-%d"),
            "new_value": close.to_numpy()[ch_idx].astype("datetime64[D]").astype(str),
        }
    )
    amt_idx = np.flatnonzero(recent & (rng.random(n) < 0.4))
    amt = pd.DataFrame(
        {
            "deal_idx": amt_idx,
            "changed_at": (t0 - pd.to_timedelta(rng.integers(0, 7, len(amt_idx)), unit="D")).date,
            "field": "amount_cents",
            "old_value": (amount_cents[amt_idx] * rng.uniform(0.7, 1.3, len(amt_idx))).astype(np.int64).astype(str),
            "new_value": amount_cents[amt_idx].astype(str),
        }
    )
    return deals, hist, pd.concat([changes, amt], ignore_index=True)


def _leads(rng, reps: pd.DataFrame, rep_months: pd.DataFrame, spec: ScaleSpec, today: date) -> pd.DataFrame:
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


def _activities(rng, reps: pd.DataFrame, today: date, per_week: float) -> pd.DataFrame:
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
    when = hire.to_numpy()[idx] + pd.to_timedelta((rng.random(n) * span).astype(int), unit="D")
    ae_types = np.array(["call", "email", "meeting", "demo"])
    is_sdr = sdr[idx]
    t_ae = ae_types[rng.choice(4, n, p=[0.3, 0.4, 0.2, 0.1])]
    t_sdr = ae_types[rng.choice(4, n, p=[0.5, 0.45, 0.05, 0.0])]
    return pd.DataFrame(
        {
            "rep_id": reps["rep_id"].to_numpy()[idx],
            "team_id": reps["team_id"].to_numpy()[idx],
            "type": np.where(is_sdr, t_sdr, t_ae),
            "occurred_at": pd.to_datetime(when).date,
        }
    )


def _quotas(rep_months: pd.DataFrame, spec: ScaleSpec, base_win: float) -> pd.DataFrame:
    """Monthly quota per AE: about the average AE's expected bookings, ramped, growing 10%/year."""
    expected = spec.deals_per_ae_month * base_win * rep_months["segment"].map(SEGMENT_AMOUNT) * 1.2
    first = rep_months["month"].min()
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


def _surveys(rng, reps: pd.DataFrame, today: date):
    """Three survey rounds with invites (all used or not) and anonymous answers per tool."""
    rounds, invites, answers = [], [], []
    base = {"crm": 3.9, "email": 4.1, "dialer": 2.8, "engagement": 3.7, "video": 4.3, "cpq": 3.5}
    tool_ids = [t[0] for t in TOOLS]
    for r, days_ago in enumerate((400, 220, 40)):
        opens = today - timedelta(days=days_ago)
        closes = opens + timedelta(days=21)
        rid = f"{opens:%Y}-{'H1' if opens.month <= 6 else 'H2'}"
        rounds.append(
            dict(
                round_id=rid,
                name=f"Tool survey {opens:%B %Y}",
                opens_on=opens,
                closes_on=closes,
                tool_ids=json.dumps(tool_ids),
                anonymous=True,
            )
        )
        current = reps[pd.to_datetime(reps["hire_date"]) <= pd.Timestamp(opens)]
        answered = rng.random(len(current)) < 0.72
        for rep, did in zip(current.itertuples(), answered):
            token = f"{rid}-{rng.integers(0, 16**12):012x}"
            invites.append(dict(token=token, round_id=rid, rep_id=rep.rep_id, team_id=rep.team_id, used=bool(did)))
            if not did:
                continue
            submitted = opens + timedelta(days=int(rng.integers(0, 21)))
            for tool in tool_ids:
                mean = base[tool] - (0.35 * r if tool == DISLIKED_TOOL else 0.05 * r * (tool == "crm"))
                sat = int(np.clip(np.round(rng.normal(mean, 0.8)), 1, 5))
                ease = int(np.clip(np.round(rng.normal(mean + 0.1, 0.8)), 1, 5))
                rec = int(np.clip(np.round(rng.normal(mean * 2 - 0.5, 1.6)), 0, 10))
                answers.append(
                    dict(
                        round_id=rid,
                        tool_id=tool,
                        team_id=rep.team_id,
                        satisfaction=sat,
                        ease=ease,
                        recommend=rec,
                        usage=str(rng.choice(["daily", "daily", "weekly", "monthly", "rarely"])),
                        likes=str(rng.choice(LIKES[tool])) if rng.random() < 0.6 else "",
                        dislikes=str(rng.choice(DISLIKES[tool]))
                        if rng.random() < (0.85 if tool == DISLIKED_TOOL else 0.4)
                        else "",
                        submitted_on=submitted,
                    )
                )
    ans = pd.DataFrame(answers)
    # Answers are stored in a shuffled order with random ids: nothing links them to an invite.
    ans = ans.sample(frac=1.0, random_state=int(rng.integers(0, 2**31))).reset_index(drop=True)
    ans["response_id"] = [f"S{rng.integers(0, 16**12):012x}" for _ in range(len(ans))]
    return pd.DataFrame(rounds), pd.DataFrame(invites), ans


#: Physical order of the big tables: by date, so DuckDB's per-row-group min/max (zone maps) let a
#: date-range filter skip most of a table. Ties broken by id for a repeatable layout.
_SORT_KEYS = {
    "deals": "close_date, deal_id",
    "deal_stage_history": "deal_id, entered_at",  # read per deal (diagnosis joins on deal_id)
    "deal_changes": "changed_at, deal_id",
    "leads": "created_at, lead_id",
    "activities": "occurred_at, activity_id",
}


def _staging(conn: Connection, table: sa.Table) -> sa.Table:
    """On DuckDB, an unconstrained temp twin of ``table`` to collect the batches in; else the table."""
    if conn.dialect.name != "duckdb":
        return table
    twin = sa.Table(
        f"_demo_{table.name}",
        sa.MetaData(),
        *[sa.Column(c.name, c.type) for c in table.columns],
        prefixes=["TEMPORARY"],
    )
    twin.create(conn)
    return twin


def _publish(conn: Connection, table: sa.Table, staged: sa.Table) -> None:
    """Move the staged rows into ``table`` in date order (see _SORT_KEYS), then drop the twin."""
    if staged is table:
        return
    order = _SORT_KEYS[table.name]
    # On the driver connection, fetched: an INSERT run through SQLAlchemy and never fetched can be
    # left pending by duckdb and cut short by the next statement (seen with the 280k activities).
    raw = conn.connection.driver_connection
    raw.execute(f'INSERT INTO "{table.name}" SELECT * FROM "{staged.name}" ORDER BY {order}').fetchall()  # noqa: S608 - schema names
    raw.execute(f'DROP TABLE "{staged.name}"')


def _clear(conn: Connection) -> None:
    for table in reversed(schema.metadata.sorted_tables):
        if table.name not in ("meta", "changes"):
            conn.execute(sa.delete(table))


def build_demo(engine: Engine, seed: int = 7, scale: str = "small", today: date | None = None) -> DemoSummary:
    """Replace the store's contents with the demo organisation; deterministic for (seed, scale, today)."""
    if scale not in SCALE_SPECS:
        raise ValueError(f"Unknown scale {scale!r}; choose one of {', '.join(SCALES)}.")
    spec = SCALE_SPECS[scale]
    today = today or config.today()
    rng = np.random.default_rng(seed)
    base_win = 0.27
    teams = _teams_frame(spec)
    reps = _reps_frame(rng, teams, spec, today)
    managers = {
        t: f"{FIRST[(i * 5) % len(FIRST)]} {LAST[(i * 13 + 4) % len(LAST)]}" for i, t in enumerate(teams.team_id)
    }
    teams["manager"] = teams["team_id"].map(managers)
    moved_on = pd.Timestamp(today - timedelta(days=365))
    moved = {r.rep_id: ("T02", moved_on) for r in reps.itertuples() if r.trait == "moved_team"}
    rep_months = _rep_months(reps, today)
    counts: dict[str, int] = {}

    def load(conn: Connection) -> None:
        _clear(conn)
        counts["teams"] = bulk_insert(conn, schema.teams, teams)
        counts["reps"] = bulk_insert(conn, schema.reps, reps)
        # Quotas are set ahead: through the end of the current year.
        quota_months = _rep_months(reps, today, until=date(today.year, 12, 31))
        counts["quotas"] = bulk_insert(conn, schema.quotas, _quotas(quota_months, spec, base_win))
        counts["tools"] = bulk_insert(conn, schema.tools, pd.DataFrame(TOOLS, columns=["tool_id", "name", "category"]))
        rounds, invites, answers = _surveys(rng, reps, today)
        counts["survey_rounds"] = bulk_insert(conn, schema.survey_rounds, rounds)
        counts["survey_invites"] = bulk_insert(conn, schema.survey_invites, invites)
        counts["survey_responses"] = bulk_insert(conn, schema.survey_responses, answers)
        # Deals, leads and activities in batches of teams, so large scales fit in memory.
        team_ids = teams["team_id"].tolist()
        deal_no = lead_no = act_no = 0
        for c in ("deals", "deal_stage_history", "deal_changes", "leads", "activities"):
            counts[c] = 0
        staged = {name: _staging(conn, schema.metadata.tables[name]) for name in _SORT_KEYS}
        for b in range(0, len(team_ids), 55):
            batch = set(team_ids[b : b + 55])
            rm = rep_months[rep_months.team_id.isin(batch)].reset_index(drop=True)
            deals, hist, changes = _deals(rng, rm, spec, today, base_win, moved)
            ids = np.array([f"D{deal_no + i + 1:07d}" for i in range(len(deals))], dtype=object)
            deal_no += len(deals)
            deals.insert(0, "deal_id", ids)
            deals["name"] = deals["product"] + " – " + pd.Series(ids).str[1:]
            deals["account"] = "Account " + pd.Series(rng.integers(1, 40 * len(batch) * 10, len(deals))).astype(str)
            hist["deal_id"] = ids[hist.pop("deal_idx").to_numpy()]
            changes["deal_id"] = ids[changes.pop("deal_idx").to_numpy()]
            counts["deals"] += bulk_insert(conn, staged["deals"], deals)
            counts["deal_stage_history"] += bulk_insert(
                conn, staged["deal_stage_history"], hist.drop_duplicates(["deal_id", "stage", "entered_at"])
            )
            counts["deal_changes"] += bulk_insert(conn, staged["deal_changes"], changes)
            leads = _leads(rng, reps, rm, spec, today)
            leads.insert(0, "lead_id", [f"L{lead_no + i + 1:08d}" for i in range(len(leads))])
            lead_no += len(leads)
            counts["leads"] += bulk_insert(conn, staged["leads"], leads)
            acts = _activities(
                rng, reps[reps.team_id.isin(batch)].reset_index(drop=True), today, spec.activities_per_rep_week
            )
            acts.insert(
                0,
                "activity_id",
                pd.Series(np.arange(act_no + 1, act_no + 1 + len(acts))).map("A{:09d}".format).to_numpy(),
            )
            act_no += len(acts)
            counts["activities"] += bulk_insert(conn, staged["activities"], acts)
        for name, table in staged.items():
            _publish(conn, schema.metadata.tables[name], table)

    write(engine, load, what=f"demo seed={seed} scale={scale}")
    return DemoSummary(seed=seed, scale=scale, today=today, counts=dict(counts))


def planted_reps(seed: int = 7, scale: str = "small", today: date | None = None) -> pd.DataFrame:
    """The reps the demo planted a trait on (star, struggler, low_volume, moved_team), by id."""
    today = today or config.today()
    rng = np.random.default_rng(seed)
    spec = SCALE_SPECS[scale]
    reps = _reps_frame(rng, _teams_frame(spec), spec, today)
    return reps.loc[reps.trait != "", ["rep_id", "name", "team_id", "trait"]].reset_index(drop=True)

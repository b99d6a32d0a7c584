"""Demo deals: their dates, outcomes, stages, stage history and close-date/amount changes."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from salesops.demo.org import LEAD_SOURCES, SEASONALITY, SEGMENT_AMOUNT, SEGMENT_CYCLE_DAYS, ScaleSpec
from salesops.store.probability import to_bp

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


def build_deals(rng, rep_months: pd.DataFrame, spec: ScaleSpec, today: date, base_win: float, moved: dict):
    """Deals, their stage history and close-date/amount changes for a batch of AEs.

    The steps draw from ``rng`` in a fixed order (dates, outcomes, stages, the deal rows, changes):
    the demo is the same for the same seed only while that order stays as it is.
    """
    t0 = pd.Timestamp(today)
    d, created, close = _dates(rng, rep_months, spec, t0)
    outcome, amount_cents = _outcomes(rng, d, close, t0, base_win)
    reached, stage, prob = _stages(rng, d, created, close, t0, outcome)
    frame = _deal_frame(rng, d, created, close, outcome, amount_cents, stage, prob, moved)
    hist = _stage_history(d, created, close, t0, outcome, stage, reached)
    return frame, hist, _changes(rng, created, close, t0, outcome, amount_cents)


def _dates(rng, rep_months: pd.DataFrame, spec: ScaleSpec, t0: pd.Timestamp):
    """One row per deal (its rep-month's columns), its create date and its close date."""
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
    return d, created, close


def _outcomes(rng, d: pd.DataFrame, close: pd.Series, t0: pd.Timestamp, base_win: float):
    """Each deal's outcome (open until its close date has passed) and amount in cents."""
    n = len(d)
    # Budget flush: deals closing in Q4 win more often, summer deals less.
    close_season = np.array([0.9, 0.9, 1.0, 0.95, 0.95, 1.0, 0.8, 0.8, 1.0, 1.15, 1.25, 1.35])
    win_p = np.clip(base_win * d["win_factor"].to_numpy() * close_season[close.dt.month.to_numpy() - 1], 0.02, 0.9)
    closed = (close <= t0).to_numpy()
    won = closed & (rng.random(n) < win_p)
    outcome = np.where(~closed, "open", np.where(won, "won", "lost"))
    amount = rng.lognormal(np.log(d["segment"].map(SEGMENT_AMOUNT).to_numpy() * d["size_factor"].to_numpy()), 0.55)
    amount_cents = (np.round(amount / 10.0) * 1000).astype(np.int64)  # round to $10
    return outcome, amount_cents


def _stages(rng, d: pd.DataFrame, created: pd.Series, close: pd.Series, t0: pd.Timestamp, outcome: np.ndarray):
    """How many stages each deal reached, its current stage and that stage's probability."""
    n_open = len(DEAL_STAGES)
    # Lost deals die somewhere in the middle; strugglers' deals die in Proposal.
    lost_at = rng.integers(1, n_open, len(d))
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
    return reached, stage, prob


def _deal_frame(rng, d, created, close, outcome, amount_cents, stage, prob, moved: dict) -> pd.DataFrame:
    """The deals table's rows (without deal_id, name and account, which the batch adds)."""
    n = len(d)
    fc = np.where(
        outcome == "won",
        "Closed",
        np.where(outcome == "lost", "Omitted", pd.Series(stage).map(FORECAST_CATEGORY).to_numpy()),
    )
    # A rep who changed team keeps their old deals with the old team.
    team_id = d["team_id"].to_numpy().copy()
    for rep_id, (old_team, moved_on) in moved.items():
        mask = (d["rep_id"].to_numpy() == rep_id) & (created < moved_on).to_numpy()
        team_id[mask] = old_team
    return pd.DataFrame(
        {
            "rep_id": d["rep_id"].to_numpy(),
            "team_id": team_id,
            "account": None,
            "product": np.array(PRODUCTS)[rng.integers(0, len(PRODUCTS), n)],
            "stage": stage,
            "outcome": outcome,
            "amount_cents": amount_cents,
            "probability_bp": to_bp(pd.Series(prob)).array,
            "forecast_category": fc,
            "created_date": created.dt.date,
            "close_date": close.dt.date,
            "lead_source": np.array(LEAD_SOURCES)[rng.integers(0, len(LEAD_SOURCES), n)],
            "deal_type": np.where(rng.random(n) < 0.7, "New Business", "Expansion"),
        }
    )


def _stage_history(d, created, close, t0, outcome, stage, reached) -> pd.DataFrame:
    """One row per stage reached, evenly spaced from create to close (or today); strugglers' deals
    sit longer in Proposal. Closed deals end with their terminal stage on the close date."""
    n, n_open = len(d), len(DEAL_STAGES)
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
    return pd.concat([hist, term], ignore_index=True)


def _changes(rng, created, close, t0, outcome, amount_cents) -> pd.DataFrame:
    """Close-date pushes and amount changes; a share of them in the last week, for the review."""
    n = len(created)
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
    return pd.concat([changes, amt], ignore_index=True)

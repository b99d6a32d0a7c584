"""The run-rate: revenue from deals not yet created that will be created and won inside the period.

Per team, a seasonal mean of the same quantity in past periods (seen from the same point of each
period, :func:`salesops.forecasts.history_asof.runrate_history`):

    point = mean of the team's last ``L`` periods × the company's seasonal index of the period

with ``L`` = 4 quarters or 12 months, and the seasonal index = the company's value one year before
÷ the mean of the company's ``L`` periods ending then (1 when the history is shorter than that).
Its spread: the team's own variation over those periods (coefficient of variation, at least
:data:`MIN_CV`), inflated for the uncertainty of the mean. A rep's share of its team's run-rate is
the rep's share of the team's run-rate over the same periods, so reps add up to their team.
Draws are shared: one company-wide shock (weight :data:`SHARED`) plus one per team, so teams move
together as real quarters do and the company's spread is not understated by independence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

SEASON_LEN = {"quarter": 4, "month": 12}
#: Floor on the run-rate's coefficient of variation, and the share of variance that is company-wide.
MIN_CV = 0.1
SHARED = 0.5
#: Cells whose run-rate draws are made at a time (DRAW_CELLS × sims floats).
DRAW_CELLS = 2000


@dataclass(frozen=True)
class RunRate:
    """Per (team, rep) cell: expected run-rate (cents) and its share of the team's spread."""

    cells: pd.DataFrame  # team_id, rep_id, point, sd
    seasonal_index: float
    periods: int


def _index(company: list[float], length: int) -> float:
    """Seasonal index of the next period from the company's past values (oldest first)."""
    if len(company) < 2 * length:
        return 1.0
    same = company[-length]
    base = float(np.mean(company[-2 * length + 1 : len(company) - length + 1]))
    return float(np.clip(same / base, 0.25, 4.0)) if base > 0 else 1.0


def fit_runrate(history: pd.DataFrame, periods: list[date], kind: str) -> RunRate:
    """The :class:`RunRate` from ``history`` (period, team_id, rep_id, cents) over ``periods`` (latest first)."""
    length = SEASON_LEN[kind]
    empty = pd.DataFrame({"team_id": [], "rep_id": [], "point": [], "sd": []})
    if not periods or len(history) == 0:
        return RunRate(empty, 1.0, len(periods))
    order = sorted(periods)
    comp = history.groupby("period")["cents"].sum().reindex(order, fill_value=0).astype(float).tolist()
    idx = _index(comp, length)
    recent = order[-length:]
    h = history[history["period"].isin(recent)]
    if len(h) == 0:
        return RunRate(empty, idx, len(periods))
    by_team = (
        h.groupby(["team_id", "period"], dropna=False)["cents"]
        .sum()
        .unstack(fill_value=0)
        .reindex(columns=recent, fill_value=0)
    )
    mean = by_team.mean(axis=1)
    cv = (by_team.std(axis=1, ddof=1).fillna(0) / mean.where(mean > 0)).fillna(0).clip(lower=MIN_CV)
    team_point = mean * idx
    team_sd = team_point * cv * np.sqrt(1 + 1 / len(recent))
    cells = h.groupby(["team_id", "rep_id"], dropna=False)["cents"].sum().reset_index()
    team_total = cells.groupby("team_id", dropna=False)["cents"].transform("sum")
    share = (cells["cents"] / team_total.where(team_total > 0)).fillna(0)
    cells["point"] = share.to_numpy() * cells["team_id"].map(team_point).to_numpy(dtype=float)
    cells["sd"] = share.to_numpy() * cells["team_id"].map(team_sd).to_numpy(dtype=float)
    return RunRate(cells[["team_id", "rep_id", "point", "sd"]], idx, len(periods))


def draw_runrate(rr: RunRate, rng: np.random.Generator, sims: int) -> np.ndarray:
    """Draws (cells × sims) of each cell's run-rate, shared within a team, partly across teams."""
    out = np.zeros((len(rr.cells), sims))
    add_runrate_draws(rr, rng, out, np.arange(len(rr.cells)))
    return out


def add_runrate_draws(rr: RunRate, rng: np.random.Generator, into: np.ndarray, codes: np.ndarray) -> None:
    """Add each cell's run-rate draws (as :func:`draw_runrate`) to row ``codes[i]`` of ``into``
    (rows × sims), :data:`DRAW_CELLS` cells at a time: at 40,000 reps a whole cells × sims array is
    640 MB, and its arithmetic made three of them. ``codes`` are distinct, so each row gets one sum."""
    if len(rr.cells) == 0:
        return
    shocks = runrate_shocks(rr, rng, int(into.shape[1]))
    for first in range(0, len(rr.cells), DRAW_CELLS):
        part = np.arange(first, min(len(rr.cells), first + DRAW_CELLS))
        np.add.at(into, codes[part], runrate_values(rr, shocks, part))


@dataclass(frozen=True, eq=False)
class Shocks:
    """The run-rate's standardised draws: one row per team (``z``, teams × sims: a company-wide
    shock shared by every team plus the team's own), and each run-rate cell's team row."""

    z: np.ndarray
    team_of: np.ndarray


def runrate_shocks(rr: RunRate, rng: np.random.Generator, sims: int) -> Shocks:
    """The :class:`Shocks` of ``rr``'s teams, drawn from ``rng`` (what :func:`add_runrate_draws` draws)."""
    teams = pd.Index(pd.unique(rr.cells["team_id"]))
    common = rng.standard_normal(size=(sims,))
    own = rng.standard_normal((len(teams), sims))
    z = np.sqrt(SHARED) * common[None, :] + np.sqrt(1 - SHARED) * own
    return Shocks(z, teams.get_indexer(rr.cells["team_id"]))


def runrate_values(rr: RunRate, shocks: Shocks, rows: np.ndarray) -> np.ndarray:
    """The run-rate draws (len(rows) × sims) of the cells at positions ``rows`` of ``rr.cells``:
    each value is computed on its own, so any subset gives exactly the whole's values."""
    point = rr.cells["point"].to_numpy(dtype=float)[rows, None]
    sd = rr.cells["sd"].to_numpy(dtype=float)[rows, None]
    return np.clip(point + sd * shocks.z[shocks.team_of[rows]], 0, None)

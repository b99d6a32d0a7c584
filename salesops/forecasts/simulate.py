"""The outlook's simulation: won so far + each open deal a Bernoulli draw + the run-rate, bottom-up.

Everything is simulated per (team, rep) *cell* with one :class:`numpy.random.Generator` of its
own (never NumPy's global seed), and a company, region, team or rep total is the sum of its cells'
totals draw by draw. So the draws add up by construction: in every simulated quarter the teams of a
region sum to the region and the regions to the company, and the expected values add up exactly.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd

from salesops.forecasts.history_asof import History, past_periods, runrate_history, training_rows
from salesops.forecasts.runrate import SEASON_LEN, RunRate, Shocks, fit_runrate, runrate_shocks, runrate_values
from salesops.forecasts.winprob import WinModel, fit_win_model
from salesops.store.dialect import let_go
from salesops.store.staging import release_freed_memory

#: Simulated periods per outlook.
SIMS = 2000
#: Open deals drawn at a time: DRAW_ROWS × SIMS floats (32 MB) plus the same as hits × amount.
DRAW_ROWS = 2000
_CELL = ["team_id", "rep_id"]


@dataclass(frozen=True, eq=False)
class Simulation:
    """Per cell (team_id, rep_id): won so far, expected pipeline and run-rate, open deals; and the
    simulated period totals (cells × sims, cents, won so far included), read a range of cells at a
    time with :meth:`rows` (:attr:`draws` makes the whole array: small data only).

    What is held is the simulated pipeline per cell (``pipeline_draws``: whole cents, 32-bit when
    every cell's open amounts fit, half the memory of the totals) and the run-rate's shocks; a
    cell's totals are made from them when read, with the same arithmetic as the whole array had."""

    kind: str
    start: date
    end: date
    as_of: date
    cells: pd.DataFrame  # team_id, rep_id, won, pipeline, runrate, open_deals
    pipeline_draws: np.ndarray  # cells × sims
    closed: bool
    model: WinModel
    runrate: RunRate
    shocks: Shocks | None = None  # the run-rate's (None without run-rate cells)
    runrate_row: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # per cell, or -1

    @property
    def sims(self) -> int:
        return int(self.pipeline_draws.shape[1])

    def rows(self, first: int, last: int) -> np.ndarray:
        """The simulated totals of cells ``first`` … ``last - 1`` (float cents, cells × sims): the
        pipeline's whole cents (exact in a float), plus the run-rate, plus what is already won."""
        out = self.pipeline_draws[first:last].astype(np.float64)
        if self.shocks is not None:
            rr = self.runrate_row[first:last]
            mine = np.flatnonzero(rr >= 0)
            if len(mine):
                out[mine] += runrate_values(self.runrate, self.shocks, rr[mine])
        out += self.cells["won"].to_numpy(dtype=float)[first:last, None]
        return out

    @property
    def draws(self) -> np.ndarray:
        """Every cell's totals at once (tests and small data; the outlook reads :meth:`rows`)."""
        return self.rows(0, len(self.cells))


def _cell_codes(frames: list[pd.DataFrame]) -> pd.DataFrame:
    keys = pd.concat([f[_CELL] for f in frames if len(f)], ignore_index=True) if any(len(f) for f in frames) else None
    if keys is None:
        return pd.DataFrame({"team_id": [], "rep_id": []})
    keys = keys.astype(object).where(keys.notna(), None)
    return keys.drop_duplicates().sort_values(_CELL, na_position="last").reset_index(drop=True)


def _codes(cells: pd.DataFrame, frame: pd.DataFrame) -> np.ndarray:
    index = pd.MultiIndex.from_frame(cells[_CELL].astype(str))
    return index.get_indexer(pd.MultiIndex.from_frame(frame[_CELL].astype(str)))


def _sum_by(codes: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Rows of ``values`` (1-D or 2-D) summed into ``n`` cells by ``codes``."""
    shape = (n,) + values.shape[1:]
    out = np.zeros(shape)
    if len(codes):
        np.add.at(out, codes, values)
    return out


def open_deals_in_play(snap: pd.DataFrame, end: date) -> pd.DataFrame:
    """The snapshot's deals with ``in_period``: expected to close by ``end`` (overdue ones too)."""
    return snap.assign(in_period=(snap["expected_close"] <= pd.Timestamp(end)).to_numpy())


@dataclass
class _Open:
    """The open deals a simulation draws, in deal order, a few numbers each: cell, probability of
    being won inside the period, amount (cents, 0 when unknown); in slices of at most DRAW_ROWS."""

    codes: list[np.ndarray] = field(default_factory=list)
    p: list[np.ndarray] = field(default_factory=list)
    amount: list[np.ndarray] = field(default_factory=list)


def _read_open(chunks: Iterable[pd.DataFrame], cells: pd.DataFrame, end: date, model: WinModel) -> _Open:
    """Every open deal's cell, probability and amount, read before anything is drawn: the store's
    query is done (and its memory let go) before the cells × sims draws are made."""
    out = _Open()
    for chunk in chunks:
        for first in range(0, len(chunk), DRAW_ROWS):
            snap = open_deals_in_play(chunk.iloc[first : first + DRAW_ROWS], end)
            out.p.append(model.predict(snap))
            out.amount.append(snap["amount_cents"].astype("Float64").fillna(0).to_numpy(dtype=float))
            out.codes.append(_codes(cells, snap))
    return out


@dataclass
class _Sums:
    """Per cell, summed a slice of deals at a time: simulated pipeline (cells × sims), expected
    pipeline, open deals. ``np.add.at`` adds row by row in order, so slices sum exactly as the whole."""

    draws: np.ndarray
    pipeline: np.ndarray
    open_deals: np.ndarray


def _draws_dtype(deals: _Open, n: int) -> type:
    """int32 when every amount is whole and each cell's open amounts add up (in absolute value) to
    less than 2^31 cents: then no partial sum of a cell's won pipeline leaves the int32 range, and
    each equals, as a float, the float sum the draws had (whole numbers below 2^53 add exactly)."""
    if not deals.amount:
        return np.int32
    amount = np.concatenate(deals.amount)
    if not np.array_equal(amount, np.round(amount)):
        return np.float64
    totals = np.bincount(np.concatenate(deals.codes), weights=np.abs(amount), minlength=n)
    return np.int32 if totals.max(initial=0.0) < 2**31 - 1 else np.float64


def _draw_pipeline(deals: _Open, n: int, rng: np.random.Generator, sims: int) -> _Sums:
    """Each open deal a Bernoulli draw per simulation, a slice of deals at a time (the draws of a
    slice are ``rows × sims``; the generator's stream is the same however it is sliced)."""
    dtype = _draws_dtype(deals, n)
    out = _Sums(np.zeros((n, sims), dtype=dtype), np.zeros(n), np.zeros(n))
    for codes, p, amount in zip(deals.codes, deals.p, deals.amount, strict=True):
        hits = rng.random((len(p), sims)) < p[:, None]
        np.add.at(out.draws, codes, hits * amount.astype(dtype)[:, None])
        np.add.at(out.pipeline, codes, p * amount)
        np.add.at(out.open_deals, codes, np.ones(len(p)))
    return out


def simulate(
    hist: History, kind: str, start: date, end: date, as_of: date, seed: int = 0, sims: int = SIMS
) -> Simulation:
    """Simulate the period [start, end] as seen on ``as_of`` (see the module docstring)."""
    release_freed_memory()  # the last simulation's arrays: pages the next one's query and draws can use
    rng = np.random.default_rng(seed)
    closed = as_of >= end
    won = hist.won_cells(start, min(as_of, end))
    open_cells = hist.open_cells(as_of) if not closed else pd.DataFrame({"team_id": [], "rep_id": []})
    periods = past_periods(kind, start, as_of)
    same = {p for p in periods if p.month == start.month}
    rows = training_rows(hist, kind, start, as_of) if not closed else pd.DataFrame()
    let_go(hist.engine)  # DuckDB's query memory, before the fit
    release_freed_memory()  # and the snapshot slices' frames
    model = fit_win_model(rows, same)
    del rows
    rr_periods = past_periods(kind, start, as_of, 2 * SEASON_LEN[kind])
    rr = (
        fit_runrate(runrate_history(hist, kind, start, as_of, len(rr_periods)), rr_periods, kind)
        if not closed
        else fit_runrate(pd.DataFrame(), [], kind)
    )
    cells = _cell_codes([won, open_cells, rr.cells])
    n = len(cells)
    deals = _read_open(hist.open_deals(as_of) if not closed else [], cells, end, model)
    let_go(hist.engine)  # and before the draws
    release_freed_memory()  # the slices' frames, before the draws are made
    sums = _draw_pipeline(deals, n, rng, sims)
    del deals
    rr_codes = _codes(cells, rr.cells) if len(rr.cells) else np.zeros(0, dtype=int)
    # The run-rate's shocks are drawn after every deal, as when they were added to the whole array;
    # each cell's run-rate draws are made from them when its totals are read (Simulation.rows).
    shocks = runrate_shocks(rr, rng, sims) if len(rr.cells) else None
    runrate_row = np.full(n, -1, dtype=np.int64)
    runrate_row[rr_codes] = np.arange(len(rr_codes))  # rr cells are distinct: one run-rate row each
    won_cells = _sum_by(_codes(cells, won), won["cents"].to_numpy(dtype=float), n) if len(won) else np.zeros(n)
    frame = cells.assign(
        won=won_cells,
        pipeline=sums.pipeline,
        runrate=_sum_by(rr_codes, rr.cells["point"].to_numpy(dtype=float), n),
        open_deals=sums.open_deals.astype(int),
    )
    return Simulation(kind, start, end, as_of, frame, sums.draws, closed, model, rr, shocks, runrate_row)


def as_of_points(kind: str, start: date, end: date) -> dict[str, date]:
    """The backtest's as-of dates of a period: the day before it starts, one third and two thirds in.

    For a quarter these are month ends, so the monthly baselines see exactly the same actuals.
    """
    days = (end - start).days + 1
    if kind == "quarter":
        m2 = (pd.Timestamp(start) + pd.DateOffset(months=1)).date()
        m3 = (pd.Timestamp(start) + pd.DateOffset(months=2)).date()
        return {
            "start": start - timedelta(days=1),
            "third": m2 - timedelta(days=1),
            "two_thirds": m3 - timedelta(days=1),
        }
    return {
        "start": start - timedelta(days=1),
        "third": start + timedelta(days=days // 3 - 1),
        "two_thirds": start + timedelta(days=2 * days // 3 - 1),
    }

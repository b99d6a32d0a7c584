"""The outlook of a quarter or month: what we will close, as a calibrated predictive distribution.

    outlook(engine, "2026-Q4", by="team", as_of=date(2026, 11, 24)) -> DataFrame

One row per series of ``by`` (company / region / team / rep); money in cents (whole), rates 0..1:

* ``won_to_date_cents``: won inside the period up to ``as_of``;
* ``pipeline_expected_cents``: open deals × their learned probability of being won inside the
  period (:mod:`salesops.forecasts.winprob`); ``open_deals``: how many are open;
* ``runrate_expected_cents``: deals not yet created, expected to be created and won inside the
  period (:mod:`salesops.forecasts.runrate`);
* ``expected_cents``: the sum of the three (adds up exactly from reps to teams, regions, company);
* ``p10_cents``, ``p50_cents``, ``p90_cents``: the calibrated distribution's percentiles (the
  P10–P90 range is widened or narrowed by the backtest's conformal factor ``calibration``);
* ``quota_cents`` and ``chance_of_quota``: P(total ≥ quota) from the same calibrated draws, never
  0 or 1 unless the period is closed or the quota already met (None without a quota);
* ``target_50_cents``, ``target_70_cents``, ``target_90_cents``: totals reached with 50/70/90 %
  probability (suggested targets).

Method and the figures' definitions: docs/FORECASTS.md ("The outlook").
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from salesops import store
from salesops.errors import InvalidFilter
from salesops.forecasts.history_asof import History, label_of, parse_period
from salesops.forecasts.simulate import Simulation, simulate
from salesops.store.sql import QUOTA_IN_WINDOW

OUTLOOK_BY = ("company", "region", "team", "rep")
CONFIDENCES = (0.5, 0.7, 0.9)
COLUMNS = [
    "period",
    "as_of",
    "by",
    "series",
    "label",
    "won_to_date_cents",
    "open_deals",
    "pipeline_expected_cents",
    "runrate_expected_cents",
    "expected_cents",
    "p10_cents",
    "p50_cents",
    "p90_cents",
    "quota_cents",
    "chance_of_quota",
    "target_50_cents",
    "target_70_cents",
    "target_90_cents",
    "calibration",
]


def check_outlook_by(by: str) -> str:
    if by not in OUTLOOK_BY:
        raise InvalidFilter(f"Unknown outlook level {by!r}.", f"Use one of: {', '.join(OUTLOOK_BY)}.")
    return by


def _teams(engine: Engine) -> pd.DataFrame:
    return store.read_frame(engine, sa.text("SELECT team_id, name, region FROM teams"))


def series_keys(cells: pd.DataFrame, by: str, teams: pd.DataFrame) -> pd.Series:
    """Each cell's series under ``by`` (a deal's team at the time decides its team and region)."""
    if by == "company":
        return pd.Series("company", index=cells.index)
    if by == "team":
        return cells["team_id"].fillna("(no team)").astype(str)
    if by == "rep":
        return cells["rep_id"].astype(str)
    region = dict(zip(teams["team_id"], teams["region"]))
    return cells["team_id"].map(region).fillna("(no region)").astype(str)


#: Series whose summed draws are held at a time (SERIES_BLOCK × sims floats, 16 MB at 2,000 sims),
#: and cells read at a time to make them (each read makes its totals and run-rate draws: a few
#: arrays of that size): at 40,000 reps the rep level's whole series × sims array was 640 MB, and
#: calibrating and taking percentiles of it made three more (issue #21).
SERIES_BLOCK = 1000
CELL_CHUNK = 1000


def series_sums(sim: Simulation, by: str, teams: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Per series of ``by`` (sorted): won, pipeline, runrate, open_deals; and each cell's series row."""
    keys = series_keys(sim.cells, by, teams)
    names = sorted(keys.unique())
    codes = pd.Index(names).get_indexer(keys)
    sums = (
        sim.cells.assign(series=keys.to_numpy()).groupby("series")[["won", "pipeline", "runrate", "open_deals"]].sum()
    )
    return sums.reindex(names).reset_index(), codes


def draw_blocks(sim: Simulation, codes: np.ndarray, n: int) -> Iterator[tuple[int, int, np.ndarray]]:
    """(first, last + 1, draws) of the series :data:`SERIES_BLOCK` at a time: each series' draws are
    the sum of its cells' draws in cell order (``np.add.at`` adds row by row, so a block holds exactly
    the rows of the whole sum), made :data:`CELL_CHUNK` cells at a time (:meth:`Simulation.rows`:
    no array of every cell)."""
    sims = sim.sims
    for lo in range(0, n, SERIES_BLOCK):
        hi = min(n, lo + SERIES_BLOCK)
        block = np.zeros((hi - lo, sims))
        for first in range(0, len(codes), CELL_CHUNK):
            part = codes[first : first + CELL_CHUNK]
            mine = (part >= lo) & (part < hi)
            if mine.all():
                np.add.at(block, part - lo, sim.rows(first, first + len(part)))
            elif mine.any():
                np.add.at(block, part[mine] - lo, sim.rows(first, first + len(part))[mine])
        yield lo, hi, block


def aggregate(sim: Simulation, by: str, teams: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Per series of ``by``: won, pipeline, runrate, open_deals (frame) and summed draws (series × sims).

    The whole array at once (tests; the outlook and its backtest read :func:`draw_blocks`)."""
    sums, codes = series_sums(sim, by, teams)
    draws = np.zeros((len(sums), sim.sims))
    for lo, hi, block in draw_blocks(sim, codes, len(sums)):
        draws[lo:hi] = block
    return sums, draws


def _quotas(engine: Engine, by: str, start: date, end: date) -> dict[str, int]:
    sql = sa.text(
        f"SELECT qw.rep_id, r.team_id, t.region, qw.quota_cents FROM ({QUOTA_IN_WINDOW}) qw "  # noqa: S608 - our fragment, values bound
        "JOIN reps r ON r.rep_id = qw.rep_id LEFT JOIN teams t ON t.team_id = r.team_id"
    )
    q = store.read_frame(engine, sql, {"q_start": start, "q_end": end})
    if len(q) == 0:
        return {}
    col = {"company": None, "region": "region", "team": "team_id", "rep": "rep_id"}[by]
    key = pd.Series("company", index=q.index) if col is None else q[col].astype(str)
    return {str(k): int(v) for k, v in q.groupby(key)["quota_cents"].sum().items() if v}


def _labels(engine: Engine, by: str, names: list[str], teams: pd.DataFrame) -> list[str]:
    if by == "company":
        return ["The company"] * len(names)
    if by == "region":
        return [f"Region {n}" for n in names]
    if by == "team":
        team_names = dict(zip(teams["team_id"], teams["name"]))
        return [f"Team {team_names.get(n, n)}" for n in names]
    reps = store.read_frame(engine, sa.text("SELECT rep_id, name FROM reps"))
    rep_names = dict(zip(reps["rep_id"], reps["name"]))
    return [str(rep_names.get(n, n)) for n in names]


def calibrated(draws: np.ndarray, floor: np.ndarray, scale: float) -> np.ndarray:
    """Draws widened (scale > 1) or narrowed around their mean, never below what is already won."""
    mean = draws.mean(axis=1, keepdims=True)
    return np.maximum(mean + scale * (draws - mean), floor[:, None])


def chance(draws: np.ndarray, quota: float, won: float, closed: bool) -> float:
    """P(total ≥ quota): 1 when already met, exact when the period is closed, else kept off 0 and 1
    (Laplace's rule on the draws: a finite simulation cannot show certainty it has not earned)."""
    if won >= quota:
        return 1.0
    if closed:
        return 0.0
    hits = float((draws >= quota).sum())
    return (hits + 1.0) / (len(draws) + 2.0)


def chance_label(p: float | None) -> str:
    """The chance as a reader sees it: whole percent, but never "0%" or "100%" unless it is exactly that
    (">99%", "<1%"), so rounding never shows certainty the draws did not earn."""
    if p is None or pd.isna(p):
        return "no quota"
    if 0.99 < p < 1:
        return ">99%"
    if 0 < p < 0.01:
        return "<1%"
    return f"{p * 100:.0f}%"


def summarise(engine: Engine, sim: Simulation, by: str, scale: float, teams: pd.DataFrame) -> pd.DataFrame:
    """The :data:`COLUMNS` rows of one simulation at level ``by`` with calibration factor ``scale``."""
    sums, codes = series_sums(sim, by, teams)
    names = sums["series"].tolist()
    won = sums["won"].to_numpy(dtype=float)
    quotas = _quotas(engine, by, sim.start, sim.end)
    quota = [quotas.get(n) for n in names]
    pct = np.zeros((6, len(names)))
    chances: list[float | None] = [None] * len(names)
    for lo, hi, block in draw_blocks(sim, codes, len(names)):  # row by row, so blocks give the whole's values
        cal = block if sim.closed else calibrated(block, won[lo:hi], scale)
        pct[:, lo:hi] = np.percentile(cal, [10, 50, 90, 50, 30, 10], axis=1)
        for i in range(lo, hi):
            q = quota[i]
            if q is not None:
                chances[i] = chance(cal[i - lo], q, float(won[i]), sim.closed)
    frame = pd.DataFrame(
        {
            "period": label_of(sim.kind, sim.start),
            "as_of": sim.as_of,
            "by": by,
            "series": names,
            "label": _labels(engine, by, names, teams),
            "won_to_date_cents": sums["won"].round().astype("int64"),
            "open_deals": sums["open_deals"].astype("int64"),
            "pipeline_expected_cents": sums["pipeline"].round().astype("int64"),
            "runrate_expected_cents": sums["runrate"].round().astype("int64"),
            "expected_cents": (sums["won"] + sums["pipeline"] + sums["runrate"]).round().astype("int64"),
            "p10_cents": np.round(pct[0]).astype("int64"),
            "p50_cents": np.round(pct[1]).astype("int64"),
            "p90_cents": np.round(pct[2]).astype("int64"),
            "quota_cents": pd.array(quota, dtype="Int64"),
            "chance_of_quota": chances,
            "target_50_cents": np.round(pct[3]).astype("int64"),
            "target_70_cents": np.round(pct[4]).astype("int64"),
            "target_90_cents": np.round(pct[5]).astype("int64"),
            "calibration": float(scale),
        }
    )
    return frame[COLUMNS]


def outlook(
    engine: Engine,
    period: str,
    by: str = "company",
    as_of: date | None = None,
    *,
    scale: float | None = None,
    seed: int = 0,
    hist: History | None = None,
) -> pd.DataFrame:
    """The outlook of ``period`` ('2026-Q4', '2026-11') per series of ``by`` as seen on ``as_of``.

    ``scale``: the calibration factor of the P10–P90 range; by default the backtest's
    (:func:`salesops.forecasts.calibrate.calibration_for`). Columns: :data:`COLUMNS`.
    """
    return outlooks(engine, period, (by,), as_of, scale=scale, seed=seed, hist=hist)[by]


def outlooks(
    engine: Engine,
    period: str,
    levels: tuple[str, ...],
    as_of: date | None = None,
    *,
    scale: float | None = None,
    seed: int = 0,
    hist: History | None = None,
) -> dict[str, pd.DataFrame]:
    """:func:`outlook` of ``period`` at each of ``levels`` from ONE simulation (each level's rows are
    exactly what :func:`outlook` gives for it alone: the simulation does not depend on the level)."""
    from salesops.forecasts.calibrate import calibrations_for

    for by in levels:
        check_outlook_by(by)
    kind, start, end = parse_period(period)
    as_of = as_of or date.today()
    if as_of < start - pd.Timedelta(days=366).to_pytimedelta():
        raise InvalidFilter(
            f"The outlook of {period} cannot be made as of {as_of}: more than a year before it starts.",
            "Pick an as-of date within the year before the period.",
        )
    hist = hist or History(engine)
    # The calibration first: its backtest (when not stored) simulates 24 past points, and none of them
    # needs to be in memory together with this period's draws (cells × sims: 317 MB at 39,601 cells).
    # One read of the backtest for every level (its stored text is ~106 MB at 10M deals).
    factors = {by: scale for by in levels} if scale is not None else calibrations_for(engine, kind, levels, as_of, hist)
    sim = simulate(hist, kind, start, end, as_of, seed=seed)
    teams = _teams(engine)
    return {by: summarise(engine, sim, by, factors[by], teams) for by in levels}

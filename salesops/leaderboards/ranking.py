"""Rank reps and teams fairly: the board of one scope, ranked by a metric or a composite score.

Definitions: docs/LEADERBOARDS.md. :func:`rank_board` works on the per-rep / per-team rows that
:func:`salesops.leaderboards.data.load_board_data` prepared once per scope, with whole-column numpy
and pandas operations, so changing the metric, the weights or the cohort never touches the
database again and costs a few milliseconds.

* Events count by date inside ``[scope.start, scope.end]``; deals by close date (won/lost),
  pipeline by created date, activities by date. ``deals.team_id`` is the team at the time.
* Quota is :func:`salesops.store.sql.quota_in_window`: the prorated quota of the whole grain periods
  the range touches, for reps whose current team is in scope (as on the home page).
* Ranks are competition ranks (1, 2, 2, 4); movement compares with the same range one grain period
  earlier (:meth:`Scope.previous`), among the same reps.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine

from salesops import config
from salesops.errors import InvalidFilter
from salesops.leaderboards.cohorts import COHORTS, ROLES
from salesops.leaderboards.cubes import cube_columns, cube_sums, trend_cube
from salesops.leaderboards.data import BoardData, board_rows, load_board_data
from salesops.leaderboards.flags import MIN_CLOSED_DEALS, flag_columns, wilson_interval
from salesops.leaderboards.metrics import (
    COMPARE_METRICS,
    DEFAULT_METRIC,
    METRICS,
    SUMS,
    check_metric,
    check_weights,
    derive_arrays,
    trend_metrics,
)
from salesops.leaderboards.movers import competition_rank, movements
from salesops.leaderboards.visibility import visible_board
from salesops.scope import Scope


def percentile_rank(values: pd.Series) -> pd.Series:
    """Percentile rank within the series, 0..1, highest value = 1, ties share the average; NaN -> 0."""
    return values.astype(float).round(9).rank(method="average", pct=True).fillna(0.0)


def composite_score(frame: pd.DataFrame, weights: Mapping[str, float]) -> pd.Series:
    """Weighted mean of the components' percentile ranks within ``frame``, scaled 0..100.

    A rep without a value for a component (no quota, no closed deal) gets 0 for it.
    """
    w = check_weights(weights)
    total = sum(w.values())
    score = pd.Series(0.0, index=frame.index)
    for name, weight in w.items():
        score += weight * percentile_rank(frame[METRICS[name].column])
    return 100.0 * score / total


def _composite_columns(cols: Mapping[str, np.ndarray], w: Mapping[str, float], present: np.ndarray) -> np.ndarray:
    """:func:`composite_score` of every column (period) of 2-D component arrays at once, each
    period among its ``present`` rows only; NaN where a row is not present."""
    total = sum(w.values())
    score = np.zeros(present.shape)
    for name, weight in w.items():
        v = np.where(present, np.round(cols[METRICS[name].column], 9), np.nan)
        pr = pd.DataFrame(v).rank(method="average", pct=True).to_numpy()  # column by column
        score = score + weight * np.nan_to_num(pr, nan=0.0)
    return np.where(present, 100.0 * score / total, np.nan)


def _trend_values(cube: np.ndarray, sums: tuple[str, ...], metric: str, weights: Mapping[str, float]) -> np.ndarray:
    """The metric per row and period from a trend cube holding ``sums`` (NaN = no value)."""
    present = ~np.isnan(cube[:, :, 0])
    d = derive_arrays(cube_columns(cube, sums))
    if metric == "composite":
        return _composite_columns(d, weights, present)
    return np.where(present, d[METRICS[metric].column], np.nan)


def _trend_lists(values: np.ndarray) -> np.ndarray:
    """Rows of a 2-D float array as lists of floats (None for NaN), in an object array."""
    cells = values.astype(object)
    cells[np.isnan(values)] = None
    out = np.empty(len(values), dtype=object)
    for i, row in enumerate(cells.tolist()):
        out[i] = row
    return out


_OUT_METRICS = [
    "attainment",
    "won_cents",
    "quota_cents",
    "win_rate",
    "won_count",
    "lost_count",
    "closed_count",
    "avg_deal_cents",
    "activities",
    "pipeline_cents",
]
#: Cents and counts are whole numbers: shown as Int64 (NA where undefined).
_WHOLE = (
    "won_cents",
    "quota_cents",
    "avg_deal_cents",
    "pipeline_cents",
    "won_count",
    "lost_count",
    "closed_count",
    "activities",
)


def _values(metric: str, cur: dict, prev: dict, w: Mapping[str, float]) -> tuple[np.ndarray, np.ndarray]:
    """The ranking value now and in the previous range (NaN where the row was not there then)."""
    if metric == "composite":
        value = composite_score(pd.DataFrame(cur), w).to_numpy()
        # the previous score is ranked among reps who were there before
        prev_frame = pd.DataFrame(prev)
        return value, composite_score(prev_frame[prev["present"]], w).reindex(prev_frame.index).to_numpy()
    column = METRICS[metric].column
    return cur[column], np.where(prev["present"], prev[column], np.nan)


def _check_options(data: BoardData, metric: str, weights, by: str, cohort: str, role: str, confidence: float) -> dict:
    """:func:`rank_board`'s options checked up front; the composite weights as a dict."""
    check_metric(metric)
    w = check_weights(weights)
    if by not in ("rep", "team"):
        raise InvalidFilter(f"Cannot rank by {by!r}.", "Use by='rep' or by='team'.")
    if cohort not in COHORTS:
        raise InvalidFilter(f"Unknown cohort {cohort!r}.", f"Use one of: {', '.join(COHORTS)}.")
    if role not in ROLES:
        raise InvalidFilter(f"Unknown role {role!r}.", f"Use one of: {', '.join(ROLES)}.")
    if by == "rep":
        wilson_interval([], [], confidence)  # refuse an unknown confidence up front
    missing = set(trend_metrics(metric, w)) - set(data.trend_of)
    if missing:
        raise ValueError(
            f"load_board_data was not asked for the trend of {sorted(missing)}; pass trend_of=trend_metrics(...)"
        )
    return w


# One pass from the prepared rows to the board's columns; its length is mostly the docstring.
def rank_board(
    data: BoardData,
    metric: str = DEFAULT_METRIC,
    *,
    by: str = "rep",
    weights: Mapping[str, float] | Iterable[tuple[str, float]] | None = None,
    cohort: str = "all",
    role: str = "all",
    confidence: float = 0.95,
    min_closed: int = MIN_CLOSED_DEALS,
) -> pd.DataFrame:
    """The ranked board of reps (``by="rep"``) or teams (``by="team"``), best first.

    Columns: rank (Int64, competition ranking, <NA> without a value), movement ('▲3', '▼1', '–',
    'new'), prev_rank, value (the ranking metric; the 0..100 score for "composite"), trend (list of
    the metric over ``data.periods``), the metrics of :data:`_OUT_METRICS` (money in cents, rates
    0..1), and for reps: rep_id, name, role, team_id, team_name, cohort, flag ('top'/'under'/''), flag_basis,
    reason, team_win_rate, win_rate_lo, win_rate_hi; for teams: team_id, team_name, reps.
    ``cohort`` and ``role`` narrow the rep board (ranks are within what is shown); flags always
    compare with the whole team.

    Works on the per-rep / per-team rows :func:`load_board_data` prepared, with whole-column
    numpy and pandas operations only (it runs on every rerun of the page).
    """
    w = _check_options(data, metric, weights, by, cohort, role, confidence)
    rep_rows, team_rows, rep_trend, team_trend, trend_sums = _prepared(data)
    base, cube, key = (rep_rows, rep_trend, "rep_id") if by == "rep" else (team_rows, team_trend, "team_id")
    cur_all = derive_arrays({c: base[f"{c}_c"].to_numpy(dtype=float) for c in SUMS})
    keep = cur_all["present"].copy()
    if by == "rep":
        if cohort != "all":
            keep &= (base["cohort"] == cohort).to_numpy(dtype=bool)
        if role != "all":
            keep &= (base["role"] == role).to_numpy(dtype=bool)
    sel = np.flatnonzero(keep)
    cur = {k: v[sel] for k, v in cur_all.items()}
    prev = derive_arrays({c: base[f"{c}_p"].to_numpy(dtype=float)[sel] for c in SUMS})
    value, prev_values = _values(metric, cur, prev, w)
    rank = competition_rank(pd.Series(value))
    prev_rank = competition_rank(pd.Series(prev_values))
    keys = base[key].iloc[sel].reset_index(drop=True)
    order = (
        pd.DataFrame({"rank": rank, "value": value, key: keys})
        .sort_values(["rank", "value", key], ascending=[True, False, True], na_position="last")
        .index.to_numpy()
    )
    rows = sel[order]
    cols: dict[str, object] = {
        "rank": rank.take(order).reset_index(drop=True),
        # (an empty board's movement column stays float, as it always was)
        "movement": movements(rank, prev_rank)[order] if len(sel) else np.array([], dtype=float),
        "prev_rank": prev_rank.take(order).reset_index(drop=True),
    }
    strings = ["rep_id", "name", "role", "team_id", "team_name", "cohort"] if by == "rep" else ["team_id", "team_name"]
    for col in strings:
        cols[col] = base[col].take(rows).reset_index(drop=True)
    if by == "team":
        cols["reps"] = base["reps"].to_numpy()[rows]
    cols["value"] = value[order]
    for col in _OUT_METRICS:
        v = cur[col][order]
        cols[col] = pd.Series(v).round().astype("Int64") if col in _WHOLE else v
    cols["trend"] = _trend_lists(_trend_values(cube[rows], trend_sums, metric, w))
    if by == "rep":
        cols.update(flag_columns(cur, order, base, rows, confidence, min_closed))
    viewer = data.scope.viewer
    own_team = viewer.team_ids[0] if viewer is not None and viewer.team_ids else None
    money = METRICS[metric].kind == "money"
    return visible_board(pd.DataFrame(cols), viewer, config.leaderboard_visibility(), by, money, own_team)


def _prepared(data: BoardData) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray, np.ndarray, tuple[str, ...]]:
    """The per-rep / per-team rows and trend cubes of ``data``, with the sums the cubes hold
    (computed here if it lacks them)."""
    if data.rep_rows is not None and data.team_rows is not None:
        if data.rep_trend is not None and data.team_trend is not None:
            return data.rep_rows, data.team_rows, data.rep_trend, data.team_trend, data.trend_sums
    if data.stats is None or data.trend is None:
        raise ValueError("a BoardData without its rows needs its answers: load_board_data(..., keep_answers=True)")
    reps, teams = board_rows(data.stats, data.scope)
    n = len(data.periods)
    return (
        reps,
        teams,
        trend_cube(data.trend, "rep_id", reps["rep_id"], n),
        trend_cube(data.trend, "team_id", teams["team_id"], n),
        cube_sums(data.trend),
    )


def board(
    engine: Engine,
    scope: Scope,
    metric: str = DEFAULT_METRIC,
    by: str = "rep",
    weights: tuple[tuple[str, float], ...] | None = None,
    cohort: str = "all",
    role: str = "all",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """:func:`rank_board` of :func:`load_board_data` in one call (CLI, scripts)."""
    check_metric(metric)
    return rank_board(
        load_board_data(engine, scope, trend_metrics(metric, weights)),
        metric,
        by=by,
        weights=weights,
        cohort=cohort,
        role=role,
        confidence=confidence,
    )


def named_reps(ranked: pd.DataFrame) -> pd.DataFrame:
    """The rows of a ranked rep board whose rep the viewer may name (a rep's board under ``ranks``
    blanks the others' ids: they can be neither diagnosed nor compared)."""
    return ranked[ranked["rep_id"].fillna("").astype(str) != ""]


def compare_reps(ranked: pd.DataFrame, rep_ids: Iterable[str]) -> pd.DataFrame:
    """Side by side for 2–4 reps of a ranked rep board (reps the viewer may name: :func:`named_reps`).

    One row per metric key of :data:`COMPARE_METRICS` plus "rank", one column per rep (its name);
    money in cents, rates 0..1.
    """
    ids = list(dict.fromkeys(rep_ids))
    if not 2 <= len(ids) <= 4:
        raise InvalidFilter(f"Side by side compares 2 to 4 reps; {len(ids)} picked.", "Pick 2, 3 or 4 reps.")
    rows = named_reps(ranked).set_index("rep_id")
    missing = [r if r else "a rep shown without a name" for r in ids if r not in rows.index]
    if missing:
        raise InvalidFilter(f"Not on this board: {', '.join(missing)}.", "Pick reps from the board's scope.")
    rows = rows.loc[ids]
    data = {r: [rows.loc[r, METRICS[m].column] for m in COMPARE_METRICS] + [rows.loc[r, "rank"]] for r in ids}
    table = pd.DataFrame(data, index=[*COMPARE_METRICS, "rank"])
    table.columns = [f"{rows.loc[r, 'name']} ({r})" for r in ids]
    return table

"""The board's data for one scope: what the database answered, summed once into per-rep and per-team rows.

:func:`load_board_data` runs the two statements of :mod:`salesops.leaderboards.queries` and sums their
small results into one row per rep and per team (and the trends into arrays) once per scope;
ranking then never touches the database again.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import cast

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from salesops.errors import InvalidFilter
from salesops.leaderboards.cohorts import cohort_of
from salesops.leaderboards.cubes import cube_columns, cube_sums, group_sums, positions, trend_cube
from salesops.leaderboards.metrics import (
    COMPARE_METRICS,
    DEFAULT_METRIC,
    METRICS,
    SUMS,
    TREND_PERIODS_BY_GRAIN,
    derive_arrays,
)
from salesops.leaderboards.queries import parts_of, stats_sql, trend_frame
from salesops.scope import Scope
from salesops.store import parallel
from salesops.store.engine import arrow_result_frame as _frame
from salesops.store.grain_tables import one_period, quota_in_period
from salesops.store.period_tables import ranges_weighted_rows
from salesops.store.sql import quota_params, scope_filter


@dataclass(frozen=True)
class BoardData:
    """What the database answered for one scope; everything else is computed from it.

    ``stats`` and ``trend``, the statements' answers, are kept only when asked (``keep_answers``;
    tests and scripts): the page caches this object pickled, and at tens of thousands of reps they
    were two fifths of it.
    ``stats``: one row per (rep_id, team_id at the time) with ``<sum>_c``/``<sum>_p`` for the
    current and previous range (sums in :data:`SUMS`), and the rep's name, role, hire_date,
    ramp_months, home_team (current team) and team_name/home_team_name.
    ``trend``: one row per (rep_id, team_id, idx) where that rep and team have something in the
    period ``idx`` of the last ``periods`` grain periods up to the scope's end (0 the oldest; the
    last one cut at the scope's end), in no particular order, with the sums the metrics in
    ``trend_of`` need.
    ``rep_rows`` / ``team_rows``: one row per rep (current team, cohort, flag baseline) and per team
    at the time (``reps``), with the summed ``<sum>_c``/``<sum>_p``; ``rep_trend`` / ``team_trend``:
    the trend sums in their row order as arrays (rows, periods, ``trend_sums``: the sums the
    metrics in ``trend_of`` need, in :data:`SUMS` order), NaN where nothing happened (read them
    with :func:`cube_columns`).
    :func:`load_board_data` fills these once per scope; :func:`rank_board` only reads them.
    """

    scope: Scope
    stats: pd.DataFrame | None
    trend: pd.DataFrame | None
    periods: tuple[str, ...]
    trend_of: tuple[str, ...] = (DEFAULT_METRIC,)
    rep_rows: pd.DataFrame | None = None
    team_rows: pd.DataFrame | None = None
    rep_trend: np.ndarray | None = None
    team_trend: np.ndarray | None = None
    trend_sums: tuple[str, ...] = ()


#: What the board statement's part of :func:`load_board_data` gives (its rows summed, or board_rows'
#: error) and the trend statement's.
_Board = tuple[pd.DataFrame, tuple[pd.DataFrame, pd.DataFrame] | None, Exception | None]
_Trend = tuple[pd.DataFrame, tuple[str, ...]]


def load_board_data(
    engine: Engine,
    scope: Scope,
    trend_of: tuple[str, ...] = (DEFAULT_METRIC,),
    periods: int | None = None,
    keep_answers: bool = False,
) -> BoardData:
    """Run the board's two grouped queries for ``scope``: current + previous range per rep, and the
    last ``periods`` grain periods of the sums that the metrics in ``trend_of`` need
    (see :func:`trend_metrics`); ``periods`` defaults to :data:`TREND_PERIODS_BY_GRAIN`.
    The per-rep and per-team rows every ranking starts from are summed here, once per scope; the
    statements' own answers (``stats``, ``trend``) are kept in the result only with ``keep_answers``."""
    periods = periods or TREND_PERIODS_BY_GRAIN[scope.grain]
    if periods < 1:
        raise InvalidFilter(f"A trend of {periods} periods is empty.", "Ask for 1 period or more.")
    parts = parts_of(trend_of)
    # A rep is ranked against everyone: the board is read whole and rank_board masks the others'
    # rows (salesops.leaderboards.visibility). Managers are restricted here, in the queries.
    viewer = scope.viewer
    query_scope = replace(scope, viewer=None) if viewer is not None and viewer.role == "rep" else scope
    where, params = scope_filter(query_scope)
    rep_where, rep_params = scope_filter(query_scope, alias="r")
    prev = query_scope.previous()
    qp = quota_params(prev)
    binds = {
        **quota_params(scope),
        "pq_start": qp["q_start"],
        "pq_end": qp["q_end"],
        **params,
        **rep_params,
    }
    ranges = [(scope.start, scope.end), (prev.start, prev.end)]
    days, day_binds = ranges_weighted_rows(ranges, prefix="st")
    act_days, act_binds = ranges_weighted_rows(ranges, prefix="sa", source="activities")
    kind_days, kind_binds = ranges_weighted_rows(ranges, prefix="sk", source="kinds")
    # a quota window of one whole quarter or year (a period to date) reads the stored quota per period
    windows = ((binds["q_start"], binds["q_end"]), (binds["pq_start"], binds["pq_end"]))
    stored = all(one_period(lo, hi, scope.grain) for lo, hi in windows)
    quotas = (quota_in_period(scope.grain, "q_start"), quota_in_period(scope.grain, "pq_start")) if stored else None

    def board() -> _Board:
        with engine.connect() as conn:
            sql = stats_sql(where, rep_where, days, act_days, kind_days, quotas)
            res = conn.execute(sa.text(sql), {**binds, **day_binds, **act_binds, **kind_binds})
            stats = _frame(res)
        for col in (f"{c}{sfx}" for c in SUMS for sfx in ("_c", "_p")):
            if stats[col].dtype != np.float64:  # DuckDB's DOUBLE is already (a copy costs at scale)
                stats[col] = stats[col].astype(float)
        try:
            return stats, board_rows(stats, scope), None
        except Exception as exc:  # noqa: BLE001 - raised below, after the trend statement's own error
            return stats, None, exc

    def trend() -> _Trend:
        with engine.connect() as conn:
            return trend_frame(conn, query_scope, periods, parts, where, params, rep_where, rep_params)

    # The two statements do not depend on each other: the trend runs on a reader thread and a
    # connection of its own (salesops.store.parallel) while this thread runs the board statement and
    # sums its rows. Errors as when they ran one after the other: the board statement's first, then
    # the trend's, then board_rows'. An in-memory DuckDB (a database per thread): one after the other.
    board_out, trend_out = parallel.run_all(engine, [board, trend])
    stats, rows, failed = cast(_Board, board_out)
    trend_rows, labels = cast(_Trend, trend_out)
    if rows is None:
        raise failed or AssertionError("board_rows gave nothing")
    rep_rows, team_rows = rows
    return BoardData(
        scope=scope,
        stats=stats if keep_answers else None,
        trend=trend_rows if keep_answers else None,
        periods=labels,
        trend_of=tuple(sorted(set(trend_of))),
        rep_rows=rep_rows,
        team_rows=team_rows,
        rep_trend=trend_cube(trend_rows, "rep_id", rep_rows["rep_id"], len(labels)),
        team_trend=trend_cube(trend_rows, "team_id", team_rows["team_id"], len(labels)),
        trend_sums=cube_sums(trend_rows),
    )


def load_rep_trend(engine: Engine, scope: Scope, rep_ids: tuple[str, ...], periods: int | None = None) -> pd.DataFrame:
    """Every metric of the reps ``rep_ids`` over the last ``periods`` grain periods, for side by side.

    Long frame: rep_id, period, metric (a key of :data:`COMPARE_METRICS`), value (NaN = undefined;
    counts and money 0 in a period without events).
    """
    ids = tuple(dict.fromkeys(rep_ids))
    periods = periods or TREND_PERIODS_BY_GRAIN[scope.grain]
    if not ids:
        return pd.DataFrame(columns=["rep_id", "period", "metric", "value"])
    where, params = scope_filter(scope)
    rep_where, rep_params = scope_filter(scope, alias="r")
    marks = ", ".join(f":rid{i}" for i in range(len(ids)))
    params = {**params, **{f"rid{i}": r for i, r in enumerate(ids)}}
    # Bind names generated here; the ids themselves are bound values.
    where += f" AND rep_id IN ({marks})"
    rep_where += f" AND r.rep_id IN ({marks})"
    with engine.connect() as conn:
        parts = parts_of(COMPARE_METRICS)
        trend, labels = trend_frame(conn, scope, periods, parts, where, params, rep_where, {**rep_params, **params})
    cube = trend_cube(trend, "rep_id", pd.Series(ids, dtype=object), len(labels))  # (rep, period, sum)
    d = derive_arrays(cube_columns(cube, cube_sums(trend)))
    counts = {"won_revenue", "deals_won", "activities", "pipeline_created"}
    blocks = []
    for m in COMPARE_METRICS:
        v = d[METRICS[m].column]
        if m in counts:  # a period without events is 0, not undefined
            v = np.where(np.isnan(v), 0.0, v)
        blocks.append(v.ravel())
    n_metrics, n_cells = len(COMPARE_METRICS), len(ids) * len(labels)
    return pd.DataFrame(
        {
            "rep_id": np.tile(np.repeat(np.array(ids, dtype=object), len(labels)), n_metrics),
            "period": np.tile(np.array(labels, dtype=object), len(ids) * n_metrics),
            "metric": np.repeat(np.array(COMPARE_METRICS, dtype=object), n_cells),
            "value": np.concatenate(blocks) if blocks else np.array([], dtype=float),
        }
    )


_BOTH_SUMS = [f"{c}{s}" for c in SUMS for s in ("_c", "_p")]
_REP_ATTRS = ["name", "role", "hire_date", "ramp_months", "home_team", "home_team_name"]


def _rep_blocks(ids: pd.Series) -> np.ndarray | None:
    """Where each rep's block of rows starts if the rows come ordered by rep (no rep missing), else
    None. On Arrow strings (DuckDB's results) by two Arrow comparisons of each row with the next:
    pandas' is_monotonic_increasing and factorize compare them as Python objects, ~3.5 ms at tens of
    thousands of reps."""
    if len(ids) < 2:
        return None if ids.isna().any() else np.arange(len(ids))
    arr = getattr(ids.array, "_pa_array", None)
    if arr is None:
        if ids.isna().any() or not ids.is_monotonic_increasing:
            return None
        codes = pd.factorize(ids)[0]
        return np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    if arr.null_count:
        return None
    n = len(arr)
    prev, following = arr.slice(0, n - 1), arr.slice(1)
    if pc.any(pc.less(following, prev)).as_py():  # binary order, as the statement's ORDER BY and Python's
        return None
    new = pc.not_equal(following, prev).to_numpy(zero_copy_only=False)
    return np.flatnonzero(np.r_[True, new])


def _per_rep(stats: pd.DataFrame, sums: np.ndarray) -> tuple[pd.DataFrame, np.ndarray | None]:
    """Sum the (rep, team-at-the-time) rows into one row per rep (attributes: first non-null); with
    each stats row's rep row where the rows came ordered by rep (None otherwise)."""
    starts = _rep_blocks(stats["rep_id"])
    if starts is None:
        by_rep = stats.groupby("rep_id", sort=True)
        return by_rep[_BOTH_SUMS].sum().join(by_rep[_REP_ATTRS].first()).reset_index(), None
    # The statement orders by rep: a rep's rows are one block. Per column at most one of a rep's
    # rows holds a fraction (quota sits on the current team's row), so this sum is exact.
    codes = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(stats)]))
    # most reps have one row: their sums are that row's (a block of one sums to itself), and where
    # every rep has one row its attributes are the rows' own (no copy taken)
    single = len(starts) == len(sums)
    summed = sums if single else np.add.reduceat(sums, starts, axis=0)

    def firsts(col: str):
        return stats[col].array if single else stats[col].array.take(starts)

    # Built column by column from the first row of each block (a frame of column selections and a
    # concat cost more than the sums at thousands of reps).
    out = pd.DataFrame(
        {
            "rep_id": firsts("rep_id"),
            **{name: summed[:, j] for j, name in enumerate(_BOTH_SUMS)},
            **{col: firsts(col) for col in _REP_ATTRS},
        }
    )
    for col in ("home_team", "home_team_name"):  # differ within a rep only for reps without a team
        if not single and stats[col].isna().any():
            out[col] = stats.groupby("rep_id", sort=True)[col].first().to_numpy()
    return out, codes  # a rep's rows are its block: block k is rep row k


def board_rows(stats: pd.DataFrame, scope: Scope) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rows every ranking starts from: one per rep (current team, cohort, the team win rate
    its flag compares with, its team's median attainment) and one per team at the time (reps)."""
    sums = stats[_BOTH_SUMS].to_numpy(dtype=float).reshape(len(stats), len(_BOTH_SUMS))
    columns = [sums[:, j] for j in range(len(_BOTH_SUMS))]
    at = {name: j for j, name in enumerate(_BOTH_SUMS)}
    rcodes = None  # each stats row's rep row
    if len(stats):
        reps, rcodes = _per_rep(stats, sums)
    else:
        reps = pd.DataFrame(columns=["rep_id", *_BOTH_SUMS, *_REP_ATTRS])
    reps = reps.rename(columns={"home_team": "team_id", "home_team_name": "team_name"})
    reps["cohort"] = cohort_of(reps["hire_date"], reps["ramp_months"], scope.end)
    cur = derive_arrays({c: reps[f"{c}_c"].to_numpy(dtype=float) for c in SUMS})
    # Teams at the time, in id order; each team's rows summed as pandas sums them (group_sums).
    tcodes = pd.factorize(stats["team_id"], sort=True)[0]
    has = tcodes >= 0
    first = np.flatnonzero(has)[np.unique(tcodes[has], return_index=True)[1]]
    every = bool(has.all())
    team_cols = group_sums([c if every else c[has] for c in columns], tcodes if every else tcodes[has], len(first))
    team_sums = np.column_stack(team_cols).reshape(len(first), len(_BOTH_SUMS))
    teams = pd.concat(
        [
            stats[["team_id"]].take(first).reset_index(drop=True),
            pd.DataFrame(team_sums, columns=_BOTH_SUMS),
            stats[["team_name"]].take(first).reset_index(drop=True),
        ],
        axis=1,
    )
    active = has & (sums[:, 0::2].sum(axis=1) > 0)  # the current range's sums; (rep, team) rows are unique
    teams["reps"] = np.bincount(tcodes[active], minlength=len(first)).astype(int)
    # Flag baseline: the other reps' deals in the rep's current team (team at the time of each
    # deal); the rest of the board when that team has none. It does not depend on the confidence.
    home = positions(reps["team_id"], teams["team_id"])
    team_won = np.append(team_sums[:, at["won_count_c"]], 0.0)[home]  # home -1 (no rows): 0
    team_closed = team_won + np.append(team_sums[:, at["lost_count_c"]], 0.0)[home]
    own = (stats["team_id"] == stats["home_team"]).to_numpy(dtype=bool)
    if rcodes is None:
        rcodes = positions(stats["rep_id"], reps["rep_id"])
    own_won = np.bincount(rcodes[own], weights=sums[own, at["won_count_c"]], minlength=len(reps))
    own_lost = np.bincount(rcodes[own], weights=sums[own, at["lost_count_c"]], minlength=len(reps))
    won_rest = team_won - own_won
    closed_rest = team_closed - (own_won + own_lost)
    all_won = float(sums[:, at["won_count_c"]].sum())
    all_closed = all_won + float(sums[:, at["lost_count_c"]].sum())
    use_board = closed_rest <= 0
    won_rest = np.where(use_board, all_won - cur["won_count"], won_rest)
    closed_rest = np.where(use_board, all_closed - cur["closed_count"], closed_rest)
    with np.errstate(divide="ignore", invalid="ignore"):
        reps["team_win_rate"] = np.where(closed_rest > 0, won_rest / closed_rest, np.nan)
    # Distance from the team median of attainment (reps of the same current team on the board).
    # Per code of the current team, not a groupby transform on its strings (~4 ms at tens of
    # thousands of reps); a rep of no team (a deal's rep missing from the roster): NaN and 0.
    tc, team_ids = pd.factorize(reps["team_id"])
    n_teams = len(team_ids)
    att = cur["attainment"]
    valid = (tc >= 0) & ~np.isnan(att)
    medians = pd.Series(att[valid]).groupby(tc[valid]).median().reindex(range(n_teams)).to_numpy(dtype=float)
    reps["team_median_attainment"] = np.append(medians, np.nan)[tc]
    reps["team_attainment_reps"] = np.append(np.bincount(tc[valid], minlength=n_teams), 0)[tc].astype(int)
    return reps, teams

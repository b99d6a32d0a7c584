"""The Leaderboards' trend cubes: the trend statement's rows placed into one array per rep and per
team, and the exact per-group sums and hash positions they (and :mod:`salesops.leaderboards.data`) use.

A cube is (rows, periods, sums): the sums its metrics need (:func:`cube_sums`), NaN where a row has
nothing in a period; :func:`cube_columns` reads every sum of :data:`SUMS` from it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from salesops.leaderboards.metrics import SUMS

#: Below this a column's whole numbers sum exactly in float64 in any order.
_EXACT = float(2**52)


def whole(col: np.ndarray) -> bool:
    """Whether ``col`` holds whole numbers small enough that any order of summing them is exact."""
    return bool(np.array_equal(col, np.trunc(col)) and float(np.abs(col).sum()) < _EXACT)


def group_sums(columns: list[np.ndarray], codes: np.ndarray, n: int) -> list[np.ndarray]:
    """Each column summed per code (0 … ``n`` - 1; 0 where a code has no row): pandas' groupby sum,
    which adds a group's rows in row order with Kahan's compensation. A column of whole numbers
    (counts, cents: every sum but a prorated quota) sums exactly in any order, so np.bincount gives
    the same bits at a fraction of the cost; any other column (a fraction, a NaN) goes to pandas."""
    out: list[np.ndarray] = []
    rest: list[int] = []
    for j, col in enumerate(columns):
        if whole(col):
            out.append(np.bincount(codes, weights=col, minlength=n))
        else:
            out.append(np.empty(0))
            rest.append(j)
    if rest:
        summed = pd.DataFrame({j: columns[j] for j in rest}).groupby(codes, sort=True).sum()
        summed = summed.reindex(range(n), fill_value=0.0)
        for j in rest:
            out[j] = summed[j].to_numpy(dtype=float)
    return out


def positions(values: pd.Series, keys: pd.Series) -> np.ndarray:
    """The position of each of ``values`` in ``keys`` (unique), -1 where absent or missing: pandas'
    get_indexer, hashed by Arrow when both are Arrow strings (DuckDB's results; pandas compares
    those as Python objects, tens of milliseconds at tens of thousands of reps)."""
    va, ka = getattr(values.array, "_pa_array", None), getattr(keys.array, "_pa_array", None)
    if va is not None and ka is not None and not keys.hasnans:
        found = pc.index_in(va, value_set=ka.combine_chunks())  # null where absent or missing
        return pc.fill_null(found, -1).to_numpy().astype(np.int64)
    return pd.Index(keys).get_indexer(values)


def cube_sums(trend: pd.DataFrame) -> tuple[str, ...]:
    """The sums of :data:`SUMS` a trend frame holds (the ones its metrics need), in SUMS order: the
    last axis of its :func:`trend_cube`."""
    return tuple(c for c in SUMS if c in trend.columns)


def cube_columns(cube: np.ndarray, sums: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Every sum of :data:`SUMS` as a (rows, periods) array of a :func:`trend_cube` holding ``sums``:
    its own column where the cube holds it; for the others 0 where the row has something in the
    period and NaN where it has nothing (as if summed over no rows of that part)."""
    got = {c: cube[:, :, j] for j, c in enumerate(sums)}
    if len(got) < len(SUMS):
        blank = np.where(np.isnan(cube[:, :, 0]), np.nan, 0.0) if sums else np.full(cube.shape[:2], np.nan)
        got.update({c: blank for c in SUMS if c not in got})
    return got


def trend_cube(trend: pd.DataFrame, key: str, keys: pd.Series, n_periods: int) -> np.ndarray:
    """The trend sums per ``key`` (rep_id or team_id) in the order of ``keys``: an array
    (keys, periods, :func:`cube_sums` of ``trend``: only the sums its metrics need), NaN where the
    key has nothing in a period. The rows may come in any order (the statement does not sort them:
    at tens of thousands of reps the sort cost more than this whole function)."""
    n = len(keys)
    cols = cube_sums(trend)
    if not len(trend) or not n:
        return np.full((n, n_periods, len(cols)), np.nan)
    pos = positions(trend[key], keys)  # no team -> -1
    ok = pos >= 0
    every = bool(ok.all())  # then no row is left out: the columns as they are, not copies
    idx = trend["idx"].to_numpy(dtype=np.int64)
    flat = pos * n_periods + idx if every else pos[ok] * n_periods + idx[ok]

    def column(col: str) -> np.ndarray:
        values = trend[col].to_numpy(dtype=float)
        return values if every else values[ok]

    if key == "team_id":  # many reps per team: summed per cell as pandas sums them (group_sums)
        values = [column(c) for c in cols]
        if not all(whole(v) for v in values):
            # A fraction (a prorated quota) sums in row order, and the statement's rows come in any
            # order: put them in one (by cell, then rep) so that a view sums to the same bits on
            # every run. Whole numbers (every sum at a quarter or a year of whole monthly quotas)
            # sum exactly in any order and are not sorted.
            ids = trend["rep_id"] if every else trend["rep_id"][ok]
            order = np.lexsort((pd.factorize(ids, sort=True)[0], flat))
            flat, values = flat[order], [v[order] for v in values]
        summed = group_sums(values, flat, n * n_periods)
        filled = np.column_stack(summed).reshape(n * n_periods, len(cols)) if cols else np.zeros((n * n_periods, 0))
        filled[np.bincount(flat, minlength=n * n_periods) == 0] = np.nan
        return filled.reshape(n, n_periods, len(cols))
    # A rep: one row per cell (a rep in one team in the period) but for the few cells of a rep in
    # several teams in the period, whose rows hold integers and at most one fraction per column (the
    # quota sits on the current team's row): any order is exact. Every cell NaN, then each column
    # put in the cells that have rows (0 + v, as summed; every row holds every column), the few
    # shared cells set to 0 and summed (np.add.at).
    counts = np.bincount(flat, minlength=n * n_periods)
    filled = np.full((n * n_periods, len(cols)), np.nan)
    many = counts[flat] > 1
    shared = bool(many.any())
    one = flat[~many] if shared else flat
    for at, col in enumerate(cols):
        got = column(col)
        filled[one, at] = (got[~many] if shared else got) + 0.0
        if shared:
            filled[flat[many], at] = 0.0
            np.add.at(filled[:, at], flat[many], got[many])
    return filled.reshape(n, n_periods, len(cols))

"""The outlook's track record: outlooks made as of past dates, against what then closed.

For each of the last :data:`BACKTEST_PERIODS` periods that had ended by ``as_of``, an outlook is
simulated as of three points (:func:`salesops.forecasts.simulate.as_of_points`: the day before it
starts, one third and two thirds in) from the pipeline known on that date
(:mod:`salesops.forecasts.asof`) and what the model could learn by then, at every level (company,
region, team, rep). Each row is one (period, point, level, series) with the raw simulation's mean
and P10/P50/P90, the actual, and the calibration score (:mod:`salesops.forecasts.calibrate`).

Stored in ``forecast_backtests`` per data version (a plain transaction, like the forecast fits: a
derived result must not bump the data version).
"""

from __future__ import annotations

import json
from datetime import date, datetime

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from salesops import store
from salesops.forecasts.calibrate import scores
from salesops.forecasts.history_asof import History, label_of, past_periods
from salesops.forecasts.simulate import as_of_points, simulate
from salesops.scope import period_end, period_start
from salesops.store.schema import forecast_backtests

BACKTEST_PERIODS = {"quarter": 8, "month": 6}
LEVELS = ("company", "region", "team", "rep")
#: Bump when the backtest's method changes, so stored results from older code are not reused.
BACKTEST_VERSION = 1
POINT_COLUMNS = ["period", "point", "as_of", "by", "series", "won", "mean", "p10", "p50", "p90", "actual", "score"]
#: Backtest rows made JSON at a time when stored (at 10M deals 800k rows: the whole as Python lists was +450 MB).
PAYLOAD_ROWS = 50_000


def _actuals(hist: History, start: date, end: date, by: str, teams: pd.DataFrame) -> pd.Series:
    from salesops.forecasts.outlook import series_keys

    won = hist.won_cells(start, end)
    if len(won) == 0:
        return pd.Series(dtype=float)
    keys = series_keys(won[["team_id", "rep_id"]], by, teams)
    return won["cents"].astype("int64").groupby(keys).sum().astype(float)


def backtest_points(
    hist: History, kind: str, as_of: date, periods: int | None = None, levels: tuple[str, ...] = LEVELS
) -> pd.DataFrame:
    """The backtest rows (:data:`POINT_COLUMNS`) of the periods that had ended by ``as_of``."""
    from salesops.forecasts.outlook import _teams, draw_blocks, series_sums

    teams = _teams(hist.engine)
    current = period_start(as_of, kind)
    rows = []
    for p in past_periods(kind, current, as_of, periods or BACKTEST_PERIODS[kind]):
        end = period_end(p, kind)
        actual = {by: _actuals(hist, p, end, by, teams) for by in levels}
        for point, day in as_of_points(kind, p, end).items():
            # The last point's simulation let go first: its cells × sims draws (317 MB at 39,601 cells)
            # and the next one's are never alive together.
            sim = None
            sim = simulate(hist, kind, p, end, day, seed=p.toordinal())
            if sim.model.rows == 0:  # nothing to learn from yet: not a fair test of the method
                continue
            for by in levels:
                sums, codes = series_sums(sim, by, teams)
                if len(sums) == 0:
                    continue
                pct, mean = np.zeros((3, len(sums))), np.zeros(len(sums))
                for lo, hi, block in draw_blocks(sim, codes, len(sums)):  # row by row: blocks give the whole's values
                    pct[:, lo:hi] = np.percentile(block, [10, 50, 90], axis=1)
                    mean[lo:hi] = block.mean(axis=1)
                rows.append(
                    pd.DataFrame(
                        {
                            "period": label_of(kind, p),
                            "point": point,
                            "as_of": day,
                            "by": by,
                            "series": sums["series"],
                            "won": sums["won"].to_numpy(dtype=float),
                            "mean": mean,
                            "p10": pct[0],
                            "p50": pct[1],
                            "p90": pct[2],
                            "actual": sums["series"].map(actual[by]).fillna(0.0).to_numpy(dtype=float),
                        }
                    )
                )
    if not rows:
        return pd.DataFrame({c: [] for c in POINT_COLUMNS})
    out = pd.concat(rows, ignore_index=True)
    out["score"] = scores(out["actual"], out["mean"], out["p10"], out["p90"])
    return out[POINT_COLUMNS]


def _key(kind: str, as_of: date) -> str:
    return f"outlook-backtest|b{BACKTEST_VERSION}|{kind}|{as_of.isoformat()}"


def payload_json(points: pd.DataFrame) -> str:
    """The stored text of backtest rows: ``json.dumps`` of their columns as lists (``as_of`` as ISO
    dates), the same text made :data:`PAYLOAD_ROWS` rows of a column at a time (a list's JSON is its
    parts' JSON joined by ", "), so the rows are never all Python objects at once."""
    columns = []
    for col in points.columns:
        parts = []
        for lo in range(0, len(points), PAYLOAD_ROWS):
            part = points[col].iloc[lo : lo + PAYLOAD_ROWS]
            values = [d.isoformat() for d in part] if col == "as_of" else part.to_frame().to_dict(orient="list")[col]
            parts.append(json.dumps(values)[1:-1])
        columns.append(f"{json.dumps(col)}: [{', '.join(parts)}]")
    return "{" + ", ".join(columns) + "}"


def backtest_cached(engine: Engine, kind: str, as_of: date, hist: History | None = None) -> pd.DataFrame:
    """:func:`backtest_points` for every level, read from ``forecast_backtests`` when stored at this
    data version (a table of its own: see salesops.store.schema.forecast_backtests)."""
    version = store.data_version(engine)
    key = _key(kind, as_of)
    stmt = sa.select(forecast_backtests.c.payload).where(
        forecast_backtests.c.cache_key == key, forecast_backtests.c.data_version == version
    )
    with engine.connect() as conn:
        payload = conn.execute(stmt).scalar_one_or_none()
    if payload is not None:
        frame = pd.DataFrame(json.loads(payload))
        if len(frame):
            frame["as_of"] = pd.to_datetime(frame["as_of"]).dt.date
            return frame[POINT_COLUMNS]
        return pd.DataFrame({c: [] for c in POINT_COLUMNS})
    points = backtest_points(hist or History(engine), kind, as_of)
    row = {"cache_key": key, "data_version": version, "created_at": datetime.now(), "payload": payload_json(points)}
    try:
        with engine.begin() as conn:
            stale = (forecast_backtests.c.cache_key == key) | (forecast_backtests.c.data_version < version)
            conn.execute(sa.delete(forecast_backtests).where(stale))
            conn.execute(sa.insert(forecast_backtests), [row])
    except DBAPIError:  # read-only store or a concurrent writer: the cache is best effort
        pass
    return points

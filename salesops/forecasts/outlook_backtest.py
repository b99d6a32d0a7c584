"""The outlook's track record: outlooks made as of past dates, against what then closed.

For each of the last :data:`BACKTEST_PERIODS` periods that had ended by ``as_of``, an outlook is
simulated as of three points (:func:`salesops.forecasts.simulate.as_of_points`: the day before it
starts, one third and two thirds in) from the pipeline known on that date
(:mod:`salesops.forecasts.asof`) and what the model could learn by then, at every level (company,
region, team, rep). Each row is one (period, point, level, series) with the raw simulation's mean
and P10/P50/P90, the actual, and the calibration score (:mod:`salesops.forecasts.calibrate`).

Stored in ``forecast_backtests`` per data version (plain transactions, like the forecast fits: a
derived result must not bump the data version), in parts of about :data:`PART_CHARS` characters
(:func:`store_parts`): at 10M deals the payload is ~106 MB of text, and one INSERT of it took DuckDB
~4 times its size in memory (issue #21).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
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
from salesops.scope import period_end, period_start, shift
from salesops.store.dialect import let_go
from salesops.store.schema import forecast_backtests

BACKTEST_PERIODS = {"quarter": 8, "month": 6}
LEVELS = ("company", "region", "team", "rep")
#: Bump when the backtest's method changes, so stored results from older code are not reused.
BACKTEST_VERSION = 1
POINT_COLUMNS = ["period", "point", "as_of", "by", "series", "won", "mean", "p10", "p50", "p90", "actual", "score"]
#: Backtest rows made JSON at a time when stored (at 10M deals 800k rows: the whole as Python lists was +450 MB).
PAYLOAD_ROWS = 50_000
#: Characters of the payload stored per row (:func:`store_parts`).
PART_CHARS = 4_000_000
#: The head row's payload: the number of parts follows (a whole payload, as older code stored it, is JSON).
PARTS_HEAD = "parts:"


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
        sim = None
        # The next (earlier) period learns from the periods before it: this one's predecessor's
        # snapshot counts are not asked for again by this backtest (40 kept at most otherwise).
        hist.forget(shift(p, kind, -1))
    let_go(hist.engine)  # what DuckDB kept from the last queries, before the rows are joined into one frame
    if not rows:
        return pd.DataFrame({c: [] for c in POINT_COLUMNS})
    out = pd.concat(rows, ignore_index=True)
    del rows  # the parts (800k rows at 10M deals), before the score column and the payload are made
    out["score"] = scores(out["actual"], out["mean"], out["p10"], out["p90"])
    return out if list(out.columns) == POINT_COLUMNS else out[POINT_COLUMNS]


def _key(kind: str, as_of: date) -> str:
    return f"outlook-backtest|b{BACKTEST_VERSION}|{kind}|{as_of.isoformat()}"


def payload_pieces(points: pd.DataFrame) -> Iterator[str]:
    """The stored text of backtest rows in pieces (:func:`payload_json` is their concatenation), made
    :data:`PAYLOAD_ROWS` rows of a column at a time, so the rows are never all Python objects at once
    and the whole text need never exist."""
    for i, col in enumerate(points.columns):
        yield ("{" if i == 0 else ", ") + f"{json.dumps(col)}: ["
        for lo in range(0, len(points), PAYLOAD_ROWS):
            part = points[col].iloc[lo : lo + PAYLOAD_ROWS]
            values = [d.isoformat() for d in part] if col == "as_of" else part.to_frame().to_dict(orient="list")[col]
            yield ("" if lo == 0 else ", ") + json.dumps(values)[1:-1]
        yield "]"
    yield "{}" if len(points.columns) == 0 else "}"


def payload_json(points: pd.DataFrame) -> str:
    """The stored text of backtest rows: ``json.dumps`` of their columns as lists (``as_of`` as ISO
    dates), the same text made :data:`PAYLOAD_ROWS` rows of a column at a time (a list's JSON is its
    parts' JSON joined by ", ")."""
    return "".join(payload_pieces(points))


def payload_parts(points: pd.DataFrame, size: int | None = None) -> Iterator[str]:
    """:func:`payload_json` in consecutive parts of at least ``size`` characters (the last may be
    shorter; each at most ``size`` plus one piece of :func:`payload_pieces`, ~1 MB at
    :data:`PAYLOAD_ROWS`; default :data:`PART_CHARS`): their concatenation is the text. At least one part."""
    size = size or PART_CHARS
    buffer: list[str] = []
    held = 0
    for piece in payload_pieces(points):
        buffer.append(piece)
        held += len(piece)
        if held >= size:
            yield "".join(buffer)
            buffer, held = [], 0
    if buffer:
        yield "".join(buffer)


def _part_key(key: str, i: int) -> str:
    return f"{key}|{i:06d}"


def store_parts(engine: Engine, key: str, version: int, parts: Iterable[str]) -> None:
    """Store a payload under ``key`` at data ``version`` as one row per part (``KEY|000000``, …),
    each in a transaction of its own (DuckDB holds a transaction's rows in memory), then the head row
    ``KEY`` saying how many (:data:`PARTS_HEAD`), last: :func:`read_parts` trusts only a complete
    set. Best effort, like every derived cache (a read-only store or a concurrent writer: not stored)."""
    mine = forecast_backtests.c.cache_key.startswith(key + "|", autoescape=True)
    stale = (forecast_backtests.c.cache_key == key) | mine | (forecast_backtests.c.data_version < version)
    try:
        with engine.begin() as conn:
            conn.execute(sa.delete(forecast_backtests).where(stale))
        count = 0
        for i, text in enumerate(parts):
            row = {
                "cache_key": _part_key(key, i),
                "data_version": version,
                "created_at": datetime.now(),
                "payload": text,
            }
            with engine.begin() as conn:
                conn.execute(sa.insert(forecast_backtests), [row])
            count = i + 1
        head = {
            "cache_key": key,
            "data_version": version,
            "created_at": datetime.now(),
            "payload": f"{PARTS_HEAD}{count}",
        }
        with engine.begin() as conn:
            conn.execute(sa.insert(forecast_backtests), [head])
    except DBAPIError:
        pass


def read_parts(engine: Engine, key: str, version: int) -> str | None:
    """The payload stored under ``key`` at data ``version`` (its parts joined; a whole payload stored
    by older code as it is), or None when not stored or incomplete."""
    table = forecast_backtests.c
    with engine.connect() as conn:
        head = conn.execute(
            sa.select(table.payload).where(table.cache_key == key, table.data_version == version)
        ).scalar_one_or_none()
        if head is None or not head.startswith(PARTS_HEAD):
            return head
        count = int(head[len(PARTS_HEAD) :])
        keys = [_part_key(key, i) for i in range(count)]
        found = conn.execute(
            sa.select(table.cache_key, table.payload)
            .where(table.cache_key.in_(keys), table.data_version == version)
            .order_by(table.cache_key)
        ).all()
    if [k for k, _ in found] != keys:
        return None
    return "".join(p for _, p in found)


_DECODER = json.JSONDecoder()
_BLANK = re.compile(r"[ \t\n\r]*")


def _after(text: str, i: int, char: str) -> int:
    """The position after ``char`` at ``i`` (blanks around it skipped); ValueError when another is there."""
    i = _BLANK.match(text, i).end()  # type: ignore[union-attr]  # matches the empty string at least
    if not text.startswith(char, i):
        raise ValueError(f"expected {char!r} at {i} of the stored backtest")
    return _BLANK.match(text, i + 1).end()  # type: ignore[union-attr]


def payload_frame(payload: str) -> pd.DataFrame:
    """``pd.DataFrame(json.loads(payload))`` for a stored payload (a JSON object of equal-length lists),
    the same frame, parsed a column at a time: each column's Python list becomes the frame's column
    before the next is parsed. At 10M deals (800k rows, 106 MB of text) the whole ``json.loads`` held
    ~9.6M Python objects, +700 MB for each read of the backtest (issue #21)."""
    columns: dict[str, pd.Series] = {}
    i = _after(payload, 0, "{")
    if payload.startswith("}", i):
        return pd.DataFrame({})
    while True:
        key, i = _DECODER.raw_decode(payload, i)
        values, i = _DECODER.raw_decode(payload, _after(payload, i, ":"))
        columns[key] = pd.DataFrame({key: values})[key]  # as the whole dict's frame types it
        del values
        i = _BLANK.match(payload, i).end()  # type: ignore[union-attr]
        if payload.startswith("}", i):
            return pd.DataFrame(columns)
        i = _after(payload, i, ",")


def backtest_cached(engine: Engine, kind: str, as_of: date, hist: History | None = None) -> pd.DataFrame:
    """:func:`backtest_points` for every level, read from ``forecast_backtests`` when stored at this
    data version (a table of its own: see salesops.store.schema.forecast_backtests)."""
    version = store.data_version(engine)
    key = _key(kind, as_of)
    payload = read_parts(engine, key, version)
    if payload is not None:
        frame = payload_frame(payload)
        del payload  # the text, before the dates are made
        if len(frame):
            frame["as_of"] = pd.to_datetime(frame["as_of"]).dt.date
            return frame[POINT_COLUMNS]
        return pd.DataFrame({c: [] for c in POINT_COLUMNS})
    points = backtest_points(hist or History(engine), kind, as_of)
    let_go(engine)  # what DuckDB kept from the backtest's queries, before the payload is written
    store_parts(engine, key, version, payload_parts(points))
    return points

"""Outlooks stored per data version, and computed ahead (after the demo build and an import).

:func:`stored_outlook` is what the Forecasts page reads: the rows of
:func:`salesops.forecasts.outlook.outlook` from ``forecast_cache`` when they were stored at the
current data version, else :class:`~salesops.errors.NotComputedYet` (the page then has them
computed in a child process: :mod:`salesops.forecasts.apart`; at 10M deals one outlook needs more
memory than the app's budget). :func:`cached_outlook` computes a missing one in the caller's process
(the CLI, the benchmark). :func:`warm_outlooks` computes the current quarter and month at every level
(one simulation per period; the backtest they are calibrated by comes first, once), so the page only
reads.

Written with a plain transaction, not ``store.write``, for the reason given in
:mod:`salesops.forecasts.cache`: derived data must not bump the data version.
"""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from salesops import config, store
from salesops.access import Viewer, may_see_series
from salesops.errors import NotComputedYet
from salesops.forecasts.cache import read_current, write_current
from salesops.forecasts.history_asof import History, label_of
from salesops.forecasts.outlook import COLUMNS, OUTLOOK_BY, outlook, outlooks
from salesops.forecasts.outlook_backtest import BACKTEST_VERSION
from salesops.scope import period_start

#: Every level: the page shows the level below its view's (a team's reps), so none is computed on demand.
WARM_LEVELS = OUTLOOK_BY


def _key(period: str, by: str, as_of: date) -> str:
    return f"outlook|b{BACKTEST_VERSION}|{period}|{by}|{as_of.isoformat()}"


def _frame(payload: str) -> pd.DataFrame:
    data = json.loads(payload)
    if not data.get("as_of"):
        return pd.DataFrame({c: [] for c in COLUMNS})
    # The dates parsed from the JSON list, before the frame makes them an Arrow text column.
    data["as_of"] = np.array([date.fromisoformat(d[:10]) for d in data["as_of"]], dtype=object)
    frame = pd.DataFrame(data)
    frame["quota_cents"] = frame["quota_cents"].astype("Int64")
    return frame[COLUMNS]


def _write(engine: Engine, key: str, version: int, frame: pd.DataFrame) -> None:
    data = frame.astype(object).where(frame.notna(), None)
    data["as_of"] = [d.isoformat() for d in frame["as_of"]]
    text = json.dumps(data.to_dict(orient="list"), default=lambda o: o.item() if hasattr(o, "item") else str(o))
    write_current(engine, key, version, text)


def cached_outlook(
    engine: Engine,
    period: str,
    by: str,
    as_of: date,
    hist: History | None = None,
    viewer: Viewer | None = None,
) -> pd.DataFrame:
    """:func:`~salesops.forecasts.outlook.outlook` read from the store's cache when stored at this
    data version, with only the rows ``viewer`` may see (:func:`visible_rows`)."""
    key = _key(period, by, as_of)
    stored = read_current(engine, [key])
    if key in stored:
        frame = _frame(stored[key])
    else:
        version = store.data_version(engine)
        frame = outlook(engine, period, by, as_of, hist=hist)
        _write(engine, key, version, frame)
    return visible_rows(engine, frame, by, viewer)


def stored_outlook(engine: Engine, period: str, by: str, as_of: date, viewer: Viewer | None = None) -> pd.DataFrame:
    """The stored rows of :func:`cached_outlook` (only those ``viewer`` may see); raises
    :class:`~salesops.errors.NotComputedYet` when they are not stored at this data version (never
    computes: :func:`salesops.forecasts.apart.start` has them computed in a child process)."""
    key = _key(period, by, as_of)
    stored = read_current(engine, [key])
    if key not in stored:
        raise NotComputedYet(
            f"The {by} outlook of {period} is not computed for this data yet.",
            "It is computed in the background (python -m salesops outlook computes one in the terminal).",
        )
    return visible_rows(engine, _frame(stored[key]), by, viewer)


def missing_outlooks(
    engine: Engine, as_of: date, kinds: tuple[str, ...], levels: tuple[str, ...] = WARM_LEVELS
) -> list[tuple[str, str]]:
    """The (period, level) outlooks of the current ``kinds`` not stored at this data version."""
    wanted = [(current_period(kind, as_of), by) for kind in kinds for by in levels]
    stored = read_current(engine, [_key(p, by, as_of) for p, by in wanted])
    return [(p, by) for p, by in wanted if _key(p, by, as_of) not in stored]


def visible_rows(engine: Engine, frame: pd.DataFrame, by: str, viewer: Viewer | None) -> pd.DataFrame:
    """The outlook rows of level ``by`` that ``viewer`` may see: company, region and team rows as
    :func:`~salesops.access.may_see_series`; rep rows (a rep's own money) for staff, a manager's
    reps, and a rep's own row only — none for the screen-share account."""
    if viewer is None or viewer.is_staff or len(frame) == 0:
        return frame
    if by != "rep":
        keep = [may_see_series(viewer, by, s) for s in frame["series"]]
    elif not viewer.sees_individual_money:
        keep = [False] * len(frame)
    elif viewer.role == "rep":
        keep = list(frame["series"] == viewer.rep_id)
    else:
        teams = store.read_frame(engine, sa.text("SELECT rep_id, team_id FROM reps"))
        team_of = dict(zip(teams["rep_id"], teams["team_id"], strict=True))
        keep = [team_of.get(s) in viewer.team_ids for s in frame["series"]]
    return frame[keep].reset_index(drop=True)


def current_period(kind: str, today: date) -> str:
    """The label of the quarter ('2026-Q4') or month ('2026-11') containing ``today``."""
    return label_of(kind, period_start(today, kind))


def members(engine: Engine, by: str, series: str | None, lower: str) -> list[str]:
    """Series ids of level ``lower`` inside ``series`` of level ``by`` (teams of a region, reps of a team)."""
    if by == "region" and lower == "team":
        sql, params = "SELECT team_id FROM teams WHERE region = :s ORDER BY team_id", {"s": series}
    elif by == "team" and lower == "rep":
        sql, params = "SELECT rep_id FROM reps WHERE team_id = :s ORDER BY rep_id", {"s": series}
    else:
        return []
    return [str(v) for v in store.read_frame(engine, sa.text(sql), params).iloc[:, 0]]


def warm_outlooks(
    engine: Engine,
    as_of: date,
    kinds: tuple[str, ...] = ("quarter", "month"),
    levels: tuple[str, ...] = WARM_LEVELS,
    even_empty: bool = False,
) -> list[str]:
    """Compute and store the current quarter's and month's outlooks at ``levels`` (those not stored
    yet, from one simulation per period); the periods' labels. A store without won deals gets none,
    unless ``even_empty`` (the app's child: the page then reads the empty outlook, as it is)."""
    hist = History(engine)
    if not even_empty and not hist.has_won():
        return []
    done = []
    for kind in kinds:
        period = current_period(kind, as_of)
        missing = tuple(by for p, by in missing_outlooks(engine, as_of, (kind,), levels) if p == period)
        if missing:
            version = store.data_version(engine)
            for by, frame in outlooks(engine, period, missing, as_of, hist=hist).items():
                _write(engine, _key(period, by, as_of), version, frame)
        hist.forget()  # this kind's snapshot counts: the next kind's periods never ask for them
        done.append(period)
    return done


#: Imports that change what the outlooks read (won history, pipeline, quotas, teams).
OUTLOOK_TABLES = ("teams", "reps", "quotas", "deals")


def warm_after_import(engine: Engine, table: str, as_of: date) -> list[str]:
    """After an import of ``table``, compute the outlooks ahead (:func:`warm_outlooks`) when
    SALESOPS_WARMUP is on and the table feeds them; the periods computed (none otherwise)."""
    if table not in OUTLOOK_TABLES or not config.warmup_enabled():
        return []
    return warm_outlooks(engine, as_of)

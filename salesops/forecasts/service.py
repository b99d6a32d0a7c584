"""Forecasts from the store, the entry points pages and the CLI call (each takes the engine first).

* :func:`forecast_series` — one series' forecast + backtest, read from ``forecast_cache`` when a fit
  for (series, grain, horizon, holidays, today, data version) is stored, else fitted and stored;
* :func:`forecast_all` — every series of a kind (all teams …): cached ones read, the rest fitted in
  parallel processes (``SALESOPS_FORECAST_WORKERS``).

The pieces: :mod:`~salesops.forecasts.history` (the won-revenue series SQL),
:mod:`~salesops.forecasts.series` (one fit + backtest), :mod:`~salesops.forecasts.cache` (persisted
fits), :mod:`~salesops.forecasts.pool` (parallel fits), :mod:`~salesops.forecasts.targets` (chance
of quota) and :mod:`~salesops.forecasts.pipeline` (open pipeline by period).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from salesops import store
from salesops.access import Viewer, check_series, may_see_series
from salesops.forecasts.cache import cache_key, decode, read_cached, read_current, write_cached
from salesops.forecasts.history import check_by, load_history, series_label
from salesops.forecasts.model import ForecastSpec, check_country
from salesops.forecasts.pool import fit_many
from salesops.forecasts.series import SeriesForecast, compute_series


def _spec(grain: str, horizon: int, country: str | None) -> ForecastSpec:
    return ForecastSpec(grain=grain, horizon=int(horizon), country=check_country(country))


def forecast_series(
    engine: Engine,
    by: str,
    series: str | None,
    grain: str,
    horizon: int,
    country: str | None,
    today: date,
    viewer: Viewer | None = None,
) -> SeriesForecast:
    """One series' forecast + backtest: from forecast_cache when stored, else fitted and stored.

    Raises :class:`NotEnoughHistory` (before any fit) when the series is too short, AccessDenied
    when ``viewer`` does not see the series (salesops.access.may_see_series).
    """
    check_by(by)
    check_series(viewer, by, None if by == "company" else series)
    spec = _spec(grain, horizon, country)
    series = None if by == "company" else series
    key = cache_key(by, series, spec, today)
    cached = decode(read_current(engine, [key]))
    if key in cached:
        return cached[key]
    version = store.data_version(engine)
    label = series_label(engine, by, series)
    history = load_history(engine, by, grain, today, series)
    history = history.drop(columns="series")
    result = compute_series(history, spec, by, series, label, today)
    write_cached(engine, {key: result}, version)
    return result


@dataclass(frozen=True)
class SeriesFailure:
    """A series of :func:`forecast_all` that could not be forecast, and why."""

    by: str
    series: str
    label: str
    message: str


def forecast_all(
    engine: Engine,
    by: str,
    grain: str,
    horizon: int,
    country: str | None,
    today: date,
    workers: int | None = None,
    viewer: Viewer | None = None,
) -> tuple[SeriesForecast | SeriesFailure, ...]:
    """Every series of kind ``by`` (all teams, all regions, the company), stored fits reused.

    The missing fits run in parallel processes (``workers``, default SALESOPS_FORECAST_WORKERS)
    and are stored. Series with too little history come back as :class:`SeriesFailure`.
    """
    check_by(by)
    spec = _spec(grain, horizon, country)
    version = store.data_version(engine)
    history = load_history(engine, by, grain, today)
    names = {}
    if by == "team":
        teams = store.read_frame(engine, sa.text("SELECT team_id, name FROM teams"))
        names = dict(zip(teams["team_id"], teams["name"]))
    ids = list(dict.fromkeys(history["series"])) if len(history) else []
    ids = [s for s in ids if may_see_series(viewer, by, None if by == "company" else s)]
    keys = {s: cache_key(by, None if by == "company" else s, spec, today) for s in ids}
    labels = {
        s: "the company" if by == "company" else f"region {s}" if by == "region" else f"team {names.get(s, s)}"
        for s in ids
    }
    cached = read_cached(engine, list(keys.values()), version)
    todo = [s for s in ids if keys[s] not in cached]
    tasks = [
        (
            history.loc[history["series"] == s, ["ds", "y"]].reset_index(drop=True),
            spec,
            by,
            None if by == "company" else s,
            labels[s],
            today,
        )
        for s in todo
    ]
    fresh = dict(zip(todo, fit_many(tasks, workers)))
    write_cached(engine, {keys[s]: r for s, r in fresh.items() if isinstance(r, SeriesForecast)}, version)
    out = []
    for s in ids:
        r = cached.get(keys[s]) or fresh[s]
        out.append(r if isinstance(r, SeriesForecast) else SeriesFailure(by, s, labels[s], r[0]))
    return tuple(out)


def accuracy_table(results: tuple[SeriesForecast | SeriesFailure, ...]) -> pd.DataFrame:
    """One row per series: series, label, forecast_cents (sum over the horizon), wape, mape, mase,
    rel_mae, coverage, beats_naive, note."""
    rows: list[tuple] = []
    for r in results:
        if isinstance(r, SeriesFailure):
            rows.append((r.series, r.label, None, None, None, None, None, None, None, r.message))
            continue
        a = r.accuracy
        rows.append(
            (
                r.series or "company",
                r.label,
                float(r.forecast["yhat"].sum()),
                a.wape,
                a.mape,
                a.mase,
                a.rel_mae,
                a.coverage,
                a.beats_naive,
                " ".join(r.notes),
            )
        )
    cols = ["series", "label", "forecast_cents", "wape", "mape", "mase", "rel_mae", "coverage", "beats_naive", "note"]
    return pd.DataFrame(rows, columns=cols)

"""Forecasts from the store: the won-revenue series (SQL), cached fits, parallel fits, targets.

Entry points (each takes the engine first, so pages call them through ``common.load``):

* :func:`load_history` — won revenue per week/month per series, built in SQL on a date spine so
  periods without a sale are zeros, not gaps;
* :func:`forecast_series` — one series' forecast + backtest, read from ``forecast_cache`` when a fit
  for (series, grain, horizon, holidays, today, data version) is stored, else fitted and stored;
* :func:`forecast_all` — every series of a kind (all teams …): cached ones read, the rest fitted in
  parallel processes (``SALESOPS_FORECAST_WORKERS``);
* :func:`target_outlook` — the chance of reaching quota in a quarter/month, the gap, suggested
  targets, and the pipeline-weighted forecast beside it;
* :func:`pipeline_by_period` — open deals × probability by expected close period.

Why the cache is written with a plain transaction and not :func:`salesops.store.engine.write`:
``store.write`` records a new data version, and every page cache keys on the data version, so
storing a fit would invalidate every cached page (and the fit itself). A cached fit is derived
data, not a change to the business data.
"""

from __future__ import annotations

import atexit
import json
import multiprocessing
import sys
import threading
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from importlib.machinery import ModuleSpec

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from salesops import config, store
from salesops.errors import InvalidFilter
from salesops.forecasts.backtest import Accuracy, accuracy, rolling_origin, verdict
from salesops.forecasts.model import (
    MODEL_VERSION,
    ForecastSpec,
    NotEnoughHistory,
    TargetWindow,
    check_country,
    check_forecast_grain,
    first_forecast_period,
    fit_forecast,
    last_complete_period,
    probability_at_least,
    target_windows,
    value_at_confidence,
)
from salesops.scope import Scope, period_end, period_start, shift
from salesops.store.schema import forecast_cache
from salesops.store.sql import QUOTA_IN_WINDOW, quota_params, scope_filter

BY = ("company", "region", "team")

#: Series key per kind, as SQL over deals d LEFT JOIN teams t (allow-list: never user input).
_SERIES_EXPR = {"company": "'company'", "region": "t.region", "team": "d.team_id"}
_KEYS_SQL = {
    "company": "SELECT 'company' AS series",
    "region": "SELECT DISTINCT region AS series FROM teams",
    "team": "SELECT team_id AS series FROM teams",
}
_KEY_FILTER = {"company": "", "region": " WHERE series = :value", "team": " WHERE series = :value"}
_DEAL_FILTER = {"company": "", "region": " AND t.region = :value", "team": " AND d.team_id = :value"}
_STEP = {"week": "INTERVAL '7 days'", "month": "INTERVAL '1 month'"}


def check_by(by: str) -> str:
    if by not in BY:
        raise InvalidFilter(f"Unknown series kind {by!r}.", f"Use one of: {', '.join(BY)}.")
    return by


def series_scope(by: str, value: str | None, start: date, end: date) -> Scope:
    """The Scope (for queries.scope_filter) of one series over [start, end]."""
    return Scope(
        start=start,
        end=end,
        grain="month",
        region=value if by == "region" else None,
        team_id=value if by == "team" else None,
    )


def load_history(engine: Engine, by: str, grain: str, today: date, value: str | None = None) -> pd.DataFrame:
    """Won revenue per period up to the last complete one: columns series, ds (period start), y (cents).

    Deals count when outcome = 'won', by close_date, amount_cents (NULL amounts count as 0). Every
    series gets every period from the first sale (of any series) to the last complete period, zeros
    included. ``value`` restricts to one region / team.
    """
    check_by(by)
    check_forecast_grain(grain)
    last = last_complete_period(today, grain)
    before = first_forecast_period(today, grain)
    key_filter = _KEY_FILTER[by] if value is not None else ""
    deal_filter = _DEAL_FILTER[by] if value is not None else ""
    params = {"before": before, "last": last, "grain": grain}
    if value is not None:
        params["value"] = value
    # Only allow-listed fragments from the dicts above are spliced in; every value is bound.
    sql = sa.text(
        f"""
        WITH won AS (
            SELECT {_SERIES_EXPR[by]} AS series,
                   CAST(date_trunc(:grain, d.close_date) AS DATE) AS ds,
                   SUM(COALESCE(d.amount_cents, 0)) AS y
            FROM deals d LEFT JOIN teams t ON t.team_id = d.team_id
            WHERE d.outcome = 'won' AND d.close_date < :before {deal_filter}
            GROUP BY 1, 2
        ),
        spine AS (
            SELECT CAST(g.ds AS DATE) AS ds
            FROM generate_series(
                CAST((SELECT MIN(ds) FROM won) AS TIMESTAMP), CAST(:last AS TIMESTAMP), {_STEP[grain]}
            ) AS g(ds)
        ),
        keys AS (SELECT series FROM ({_KEYS_SQL[by]}) k {key_filter})
        SELECT k.series, s.ds, CAST(COALESCE(w.y, 0) AS BIGINT) AS y
        FROM keys k CROSS JOIN spine s
        LEFT JOIN won w ON w.series = k.series AND w.ds = s.ds
        ORDER BY k.series, s.ds
        """  # noqa: S608
    )
    frame = store.read_frame(engine, sql, params)
    if len(frame):
        frame["ds"] = pd.to_datetime(frame["ds"]).dt.date
        frame["y"] = frame["y"].astype("int64")
    else:
        frame = pd.DataFrame(
            {"series": pd.Series(dtype=str), "ds": pd.Series(dtype=object), "y": pd.Series(dtype="int64")}
        )
    return frame


def series_label(engine: Engine, by: str, value: str | None) -> str:
    """'the company', 'region EMEA', 'team Seattle Mid-Market'."""
    if by == "company" or value is None:
        return "the company"
    if by == "region":
        return f"region {value}"
    with engine.connect() as conn:
        name = conn.execute(sa.text("SELECT name FROM teams WHERE team_id = :t"), {"t": value}).scalar_one_or_none()
    return f"team {name or value}"


# ---- one series: fit + backtest, as a payload -------------------------------------------------


@dataclass(frozen=True, eq=False)
class SeriesForecast:
    """One series' forecast and track record.

    ``history``: ds, y (cents). ``forecast``: ds, yhat, yhat_lower, yhat_upper (cents, 80%
    interval, clipped at 0). ``backtest``: backtest points (salesops.forecasts.backtest.POINT_COLUMNS).
    ``windows``: quarters/months the horizon covers, with the forecast total's percentiles.
    """

    by: str
    series: str | None
    label: str
    spec: ForecastSpec
    today: date
    history: pd.DataFrame
    forecast: pd.DataFrame
    backtest: pd.DataFrame
    accuracy: Accuracy
    yearly: bool
    notes: tuple[str, ...] = field(default=())
    windows: tuple[TargetWindow, ...] = field(default=())
    from_cache: bool = False

    @property
    def verdict(self) -> str:
        return verdict(self.accuracy, self.label)


def _frame_to_json(frame: pd.DataFrame) -> dict:
    out = {}
    for col in frame.columns:
        values = frame[col].tolist()
        out[col] = [v.isoformat() if isinstance(v, date) else v for v in values]
    return out


def _frame_from_json(data: dict, date_cols: tuple[str, ...]) -> pd.DataFrame:
    frame = pd.DataFrame(data)
    for col in date_cols:
        if col in frame:
            frame[col] = [date.fromisoformat(v) for v in frame[col]]
    return frame


def compute_series(
    history: pd.DataFrame, spec: ForecastSpec, by: str, series: str | None, label: str, today: date
) -> SeriesForecast:
    """Fit and backtest one series (no engine: this is what the worker processes run)."""
    fc = fit_forecast(history, spec, what=label)
    points = rolling_origin(history, spec)
    notes = list(fc.notes)
    if len(points) == 0:
        notes.append(f"Too little history for a backtest of {label}: the track record needs more {spec.grain}s.")
    return SeriesForecast(
        by=by,
        series=series,
        label=label,
        spec=spec,
        today=today,
        history=history[["ds", "y"]].reset_index(drop=True),
        forecast=fc.frame,
        backtest=points,
        accuracy=accuracy(points),
        yearly=fc.yearly,
        notes=tuple(notes),
        windows=target_windows(fc, spec.grain),
    )


def to_payload(result: SeriesForecast) -> str:
    """JSON text of a result, for forecast_cache.payload."""
    acc = result.accuracy
    return json.dumps(
        {
            "model_version": MODEL_VERSION,
            "by": result.by,
            "series": result.series,
            "label": result.label,
            "spec": {
                "grain": result.spec.grain,
                "horizon": result.spec.horizon,
                "country": result.spec.country,
                "seed": result.spec.seed,
                "uncertainty_samples": result.spec.uncertainty_samples,
            },
            "today": result.today.isoformat(),
            "history": _frame_to_json(result.history),
            "forecast": _frame_to_json(result.forecast),
            "backtest": _frame_to_json(result.backtest),
            "accuracy": acc.__dict__,
            "yearly": result.yearly,
            "notes": list(result.notes),
            "windows": [
                {
                    "label": w.label,
                    "start": w.start.isoformat(),
                    "end": w.end.isoformat(),
                    "forecast_from": w.forecast_from.isoformat(),
                    "quantiles": [round(q, 2) for q in w.quantiles],
                }
                for w in result.windows
            ],
        }
    )


def from_payload(text: str) -> SeriesForecast:
    data = json.loads(text)
    backtest = _frame_from_json(data["backtest"], ("cutoff", "ds"))
    if len(backtest) == 0:
        backtest = pd.DataFrame(columns=list(data["backtest"].keys()))
    return SeriesForecast(
        by=data["by"],
        series=data["series"],
        label=data["label"],
        spec=ForecastSpec(**data["spec"]),
        today=date.fromisoformat(data["today"]),
        history=_frame_from_json(data["history"], ("ds",)),
        forecast=_frame_from_json(data["forecast"], ("ds",)),
        backtest=backtest,
        accuracy=Accuracy(**data["accuracy"]),
        yearly=data["yearly"],
        notes=tuple(data["notes"]),
        windows=tuple(
            TargetWindow(
                w["label"],
                date.fromisoformat(w["start"]),
                date.fromisoformat(w["end"]),
                date.fromisoformat(w["forecast_from"]),
                tuple(w["quantiles"]),
            )
            for w in data["windows"]
        ),
        from_cache=True,
    )


# ---- the persisted cache ----------------------------------------------------------------------


def cache_key(by: str, series: str | None, spec: ForecastSpec, today: date) -> str:
    """The forecast_cache key: model version, series, grain, horizon, holidays, seed and 'today'."""
    return "|".join(
        [
            f"m{MODEL_VERSION}",
            by,
            series or "",
            spec.grain,
            str(spec.horizon),
            spec.country or "",
            str(spec.seed),
            str(spec.uncertainty_samples),
            today.isoformat(),
        ]
    )


def read_cached(engine: Engine, keys: list[str], version: int) -> dict[str, SeriesForecast]:
    """Stored fits for ``keys`` made at data ``version`` (older versions are stale and ignored)."""
    if not keys:
        return {}
    stmt = sa.select(forecast_cache.c.cache_key, forecast_cache.c.payload).where(
        forecast_cache.c.cache_key.in_(keys), forecast_cache.c.data_version == version
    )
    with engine.connect() as conn:
        rows = conn.execute(stmt).fetchall()
    out = {}
    for key, payload in rows:
        try:
            out[key] = from_payload(payload)
        except (ValueError, KeyError, TypeError):  # written by older code: refit
            continue
    return out


def write_cached(engine: Engine, results: dict[str, SeriesForecast], version: int) -> None:
    """Store fits, replacing the same keys and dropping fits of older data versions.

    A plain transaction on purpose (not store.write): a cache write must not bump the data version,
    or it would invalidate every page cache. Two sessions storing the same fit at once is harmless:
    the loser's identical fit is dropped.
    """
    if not results:
        return
    rows = [
        {"cache_key": k, "data_version": version, "created_at": datetime.now(), "payload": to_payload(r)}
        for k, r in results.items()
    ]
    try:
        with engine.begin() as conn:
            conn.execute(sa.delete(forecast_cache).where(forecast_cache.c.data_version < version))
            conn.execute(sa.delete(forecast_cache).where(forecast_cache.c.cache_key.in_(list(results))))
            conn.execute(sa.insert(forecast_cache), rows)
    except DBAPIError:  # a concurrent writer (same key, or a read-only store): the cache is best effort
        return


# ---- parallel fits ----------------------------------------------------------------------------

_POOL: ProcessPoolExecutor | None = None
_POOL_WORKERS = 0
_POOL_LOCK = threading.Lock()


@contextmanager
def _main_not_rerun():
    """Keep new worker processes from re-running the parent's main *script*.

    forkserver/spawn workers re-execute ``__main__`` when it was started from a file path. Under
    ``streamlit run`` that is app.py (a whole page run, opening the locked database); in a script
    without an ``if __name__ == "__main__"`` guard it is the script. Giving the main module a spec
    named ``__main__`` while workers start makes multiprocessing skip that step; it is restored at
    once (callers hold _POOL_LOCK, so sessions do not interleave).
    """
    main = sys.modules.get("__main__")
    if main is None or getattr(main, "__spec__", None) is not None:
        yield
        return
    main.__spec__ = ModuleSpec("__main__", None)
    try:
        yield
    finally:
        main.__spec__ = None


def _pool(workers: int) -> Executor:
    """A process pool kept for the life of the process (starting workers costs ~1 s each).

    ``forkserver`` workers: forking a multi-threaded Streamlit server is unsafe; the fork server
    imports this module (and Prophet) once, and workers fork from it cheaply.
    """
    global _POOL, _POOL_WORKERS
    if _POOL is None or _POOL_WORKERS != workers:
        if _POOL is not None:
            _POOL.shutdown(wait=False, cancel_futures=True)
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["salesops.forecasts.service"])
        _POOL = ProcessPoolExecutor(max_workers=workers, mp_context=ctx)
        _POOL_WORKERS = workers
    return _POOL


@atexit.register
def _close_pool() -> None:
    if _POOL is not None:
        _POOL.shutdown(wait=False, cancel_futures=True)


def _fit_task(history: pd.DataFrame, spec: ForecastSpec, by: str, series: str | None, label: str, today: date):
    """Worker entry: a result, or the NotEnoughHistory message (exceptions with hints pickle poorly)."""
    try:
        return compute_series(history, spec, by, series, label, today)
    except NotEnoughHistory as exc:
        return exc.message, exc.hint


def fit_many(
    tasks: list[tuple[pd.DataFrame, ForecastSpec, str, str | None, str, date]], workers: int | None = None
) -> list:
    """Run :func:`compute_series` for each task, in parallel processes when there are several.

    Returns, in task order, a SeriesForecast or a (message, hint) pair for a too-short series.
    """
    workers = workers or config.forecast_workers()
    if workers <= 1 or len(tasks) <= 1:
        return [_fit_task(*t) for t in tasks]
    with _POOL_LOCK, _main_not_rerun():
        pool = _pool(workers)
        futures = [pool.submit(_fit_task, *t) for t in tasks]  # workers start here, in this thread
    return [f.result() for f in futures]


# ---- the entry points pages and the CLI call ----------------------------------------------------


def _spec(grain: str, horizon: int, country: str | None) -> ForecastSpec:
    return ForecastSpec(grain=grain, horizon=int(horizon), country=check_country(country))


def forecast_series(
    engine: Engine, by: str, series: str | None, grain: str, horizon: int, country: str | None, today: date
) -> SeriesForecast:
    """One series' forecast + backtest: from forecast_cache when stored, else fitted and stored.

    Raises :class:`NotEnoughHistory` (before any fit) when the series is too short.
    """
    check_by(by)
    spec = _spec(grain, horizon, country)
    series = None if by == "company" else series
    version = store.data_version(engine)
    key = cache_key(by, series, spec, today)
    cached = read_cached(engine, [key], version)
    if key in cached:
        return cached[key]
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
    coverage, beats_naive, note."""
    rows = []
    for r in results:
        if isinstance(r, SeriesFailure):
            rows.append((r.series, r.label, None, None, None, None, None, None, r.message))
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
                a.coverage,
                a.beats_naive,
                " ".join(r.notes),
            )
        )
    cols = ["series", "label", "forecast_cents", "wape", "mape", "mase", "coverage", "beats_naive", "note"]
    return pd.DataFrame(rows, columns=cols)


# ---- forecast against target ---------------------------------------------------------------


@dataclass(frozen=True)
class TargetOutlook:
    """A quarter or month against its quota, from the forecast distribution (cents; rates 0..1).

    * ``won_to_date_cents``: won in the window before the forecast starts (actuals);
    * ``expected_cents``: won to date + the median forecast of the rest;
    * ``probability``: P(won to date + forecast ≥ quota), None without a quota;
    * ``gap_cents``: quota − expected (positive: short of quota);
    * ``suggested``: (confidence, target) pairs, e.g. (0.9, x): x is reached with 90% probability;
    * ``pipeline_cents``: won to today + open deals × probability expected to close in the window.
    """

    label: str
    start: date
    end: date
    forecast_from: date
    won_to_date_cents: int
    quota_cents: int | None
    expected_cents: float
    probability: float | None
    gap_cents: float | None
    suggested: tuple[tuple[float, float], ...]
    won_to_today_cents: int
    pipeline_weighted_cents: float
    pipeline_cents: float


CONFIDENCES = (0.5, 0.7, 0.9)


def _won_between(engine: Engine, scope: Scope, start: date, end: date) -> int:
    where, params = scope_filter(scope, alias="d")
    sql = sa.text(
        f"SELECT COALESCE(SUM(d.amount_cents), 0) FROM deals d WHERE d.outcome = 'won' AND d.close_date BETWEEN :start AND :end {where}"  # noqa: S608 - scope_filter is ours, values bound
    )
    with engine.connect() as conn:
        return int(conn.execute(sql, {"start": start, "end": end, **params}).scalar_one())


def _quota(engine: Engine, scope: Scope) -> int:
    rep_where, rep_params = scope_filter(scope, alias="r")
    sql = sa.text(
        f"SELECT COALESCE(SUM(qw.quota_cents), 0) FROM ({QUOTA_IN_WINDOW}) qw JOIN reps r USING (rep_id) WHERE 1 = 1 {rep_where}"  # noqa: S608 - our fragments, values bound
    )
    with engine.connect() as conn:
        value = conn.execute(sql, {**quota_params(scope), **rep_params}).scalar_one()  # the window is whole months
    return int(round(value or 0))


def _weighted_open(engine: Engine, scope: Scope, today: date, start: date, end: date) -> float:
    """Open deals × probability whose expected close (overdue ones: today) falls in [start, end]."""
    where, params = scope_filter(scope, alias="d")
    sql = sa.text(
        f"""
        SELECT COALESCE(SUM(CAST(d.amount_cents AS DOUBLE) * COALESCE(d.probability, 0)), 0)
        FROM deals d
        WHERE d.outcome = 'open' AND d.amount_cents IS NOT NULL
          AND GREATEST(COALESCE(d.close_date, :today), :today) BETWEEN :start AND :end {where}
        """  # noqa: S608 - scope_filter is ours, values bound
    )
    with engine.connect() as conn:
        return float(conn.execute(sql, {"today": today, "start": start, "end": end, **params}).scalar_one())


def target_outlook(
    engine: Engine,
    by: str,
    series: str | None,
    grain: str,
    horizon: int,
    country: str | None,
    today: date,
    window: str,
    confidence: float = 0.7,
) -> TargetOutlook:
    """The forecast of quarter/month ``window`` (a label such as '2026-Q4') against its quota.

    Uses the (cached) forecast of the series; see :class:`TargetOutlook` for the figures.
    ``confidence`` adds one more suggested target next to P50/P70/P90.
    """
    result = forecast_series(engine, by, series, grain, horizon, country, today)
    return outlook_for(engine, result, window, today, confidence)


def outlook_for(
    engine: Engine, result: SeriesForecast, window: str, today: date, confidence: float = 0.7
) -> TargetOutlook:
    """:func:`target_outlook` for an already computed forecast (quota, actuals and pipeline from SQL)."""
    chosen = next((w for w in result.windows if w.label == window), None)
    if chosen is None:
        labels = ", ".join(w.label for w in result.windows) or "none"
        raise InvalidFilter(
            f"The forecast does not cover the period {window!r}.",
            f"Pick one of: {labels} (or a longer horizon).",
        )
    scope = series_scope(result.by, result.series, chosen.start, chosen.end)
    won_before = (
        _won_between(engine, scope, chosen.start, chosen.forecast_from - timedelta(days=1))
        if chosen.forecast_from > chosen.start
        else 0
    )
    quota = _quota(engine, scope)
    need = quota - won_before
    median = value_at_confidence(chosen.quantiles, 0.5)
    levels = tuple(sorted({*CONFIDENCES, round(float(confidence), 2)}))
    suggested = tuple((c, won_before + value_at_confidence(chosen.quantiles, c)) for c in levels)
    won_today = _won_between(engine, scope, chosen.start, min(today, chosen.end)) if today >= chosen.start else 0
    weighted = _weighted_open(engine, scope, today, max(today, chosen.start), chosen.end)
    expected = won_before + median
    return TargetOutlook(
        label=chosen.label,
        start=chosen.start,
        end=chosen.end,
        forecast_from=chosen.forecast_from,
        won_to_date_cents=won_before,
        quota_cents=quota or None,
        expected_cents=expected,
        probability=probability_at_least(chosen.quantiles, need) if quota else None,
        gap_cents=(quota - expected) if quota else None,
        suggested=suggested,
        won_to_today_cents=won_today,
        pipeline_weighted_cents=weighted,
        pipeline_cents=won_today + weighted,
    )


def pipeline_by_period(
    engine: Engine, by: str, series: str | None, grain: str, horizon: int, today: date
) -> pd.DataFrame:
    """Open deals × probability by expected close period over the horizon: ds, weighted_cents, open_cents, deals.

    Deals whose expected close date has passed while still open count in the current period.
    """
    check_by(by)
    check_forecast_grain(grain)
    first = first_forecast_period(today, grain)
    last = period_end(shift(first, grain, int(horizon) - 1), grain)
    scope = series_scope(by, None if by == "company" else series, first, last)
    where, params = scope_filter(scope, alias="d")
    sql = sa.text(
        f"""
        SELECT CAST(date_trunc(:grain, GREATEST(COALESCE(d.close_date, :today), :today)) AS DATE) AS ds,
               SUM(CAST(d.amount_cents AS DOUBLE) * COALESCE(d.probability, 0)) AS weighted_cents,
               SUM(d.amount_cents) AS open_cents,
               COUNT(*) AS deals
        FROM deals d
        WHERE d.outcome = 'open' AND d.amount_cents IS NOT NULL
          AND GREATEST(COALESCE(d.close_date, :today), :today) <= :last {where}
        GROUP BY 1 ORDER BY 1
        """  # noqa: S608 - scope_filter is ours, values bound
    )
    frame = store.read_frame(engine, sql, {"grain": grain, "today": today, "last": last, **params})
    if len(frame):
        frame["ds"] = pd.to_datetime(frame["ds"]).dt.date
    spine = pd.DataFrame({"ds": [shift(first, grain, i) for i in range(int(horizon))]})
    out = (
        spine.merge(frame, on="ds", how="left")
        if len(frame)
        else spine.assign(weighted_cents=0.0, open_cents=0, deals=0)
    )
    return out.fillna({"weighted_cents": 0.0, "open_cents": 0, "deals": 0}).astype(
        {"weighted_cents": float, "open_cents": "int64", "deals": "int64"}
    )


def window_labels(result: SeriesForecast) -> list[str]:
    """Labels of the quarters/months the forecast covers, quarters first."""
    return [w.label for w in result.windows]


def default_window(result: SeriesForecast, today: date) -> str | None:
    """The current quarter when the forecast covers it, else the first window."""
    current = period_start(today, "quarter")
    for w in result.windows:
        if w.start == current and w.end == period_end(current, "quarter"):
            return w.label
    return result.windows[0].label if result.windows else None


__all__ = [
    "BY",
    "SeriesFailure",
    "SeriesForecast",
    "TargetOutlook",
    "accuracy_table",
    "forecast_all",
    "forecast_series",
    "load_history",
    "pipeline_by_period",
    "target_outlook",
]

"""Persisted fits: a forecast as JSON in ``forecast_cache``, keyed by what makes it, valid for one data version.

The key holds the model version, series, grain, horizon, holidays, seed and 'today'; a fit stored
at an older data version is stale and ignored.

Why the cache is written with a plain transaction and not :func:`salesops.store.engine.write`:
``store.write`` records a new data version, and every page cache keys on the data version, so
storing a fit would invalidate every cached page (and the fit itself). A cached fit is derived
data, not a change to the business data.
"""

from __future__ import annotations

import json
from datetime import date, datetime

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from salesops.forecasts.backtest import Accuracy
from salesops.forecasts.model import MODEL_VERSION, ForecastSpec, TargetWindow
from salesops.forecasts.series import SeriesForecast
from salesops.store.schema import forecast_cache


def _frame_to_json(frame: pd.DataFrame) -> dict:
    out = {}
    for col in frame.columns:
        values = frame[col].tolist()
        out[col] = [v.isoformat() if isinstance(v, date) else v for v in values]
    return out


def _frame_from_json(data: dict, date_cols: tuple[str, ...]) -> pd.DataFrame:
    # Dates parsed from the JSON lists before the frame exists: parsing a frame's text column meant
    # making it an Arrow string column first and iterating that, most of a stored fit's read.
    dates = {
        col: np.array([date.fromisoformat(v) for v in data[col]], dtype=object) for col in date_cols if col in data
    }
    return pd.DataFrame({**data, **dates})


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


#: The current data version (:func:`salesops.store.data_version`) and the payloads of some keys
#: stored at it: two statements on one connection (a subquery for the version planned slower on
#: DuckDB than the two together), one round trip of the pool for each stored read of the page.
_VERSION = sa.text("SELECT COALESCE(MAX(version), 0) FROM changes")
_AT_VERSION = sa.text(
    "SELECT cache_key, payload FROM forecast_cache WHERE cache_key IN :keys AND data_version = :version"
).bindparams(sa.bindparam("keys", expanding=True))


def read_current(engine: Engine, keys: list[str]) -> dict[str, str]:
    """Stored payloads of ``keys`` written at the current data version (:func:`salesops.store.data_version`)."""
    if not keys:
        return {}
    with engine.connect() as conn:
        version = int(conn.execute(_VERSION).scalar_one())
        return {k: p for k, p in conn.execute(_AT_VERSION, {"keys": list(keys), "version": version})}


def write_current(engine: Engine, key: str, version: int, payload: str) -> None:
    """Store one payload under ``key`` for data version ``version`` (what :func:`read_current` reads back).

    A plain transaction, not ``store.write``: derived data must not bump the data version. Best effort: a
    read-only store or a concurrent writer leaves the cache as it was.
    """
    row = {"cache_key": key, "data_version": version, "created_at": datetime.now(), "payload": payload}
    try:
        with engine.begin() as conn:
            conn.execute(sa.delete(forecast_cache).where(forecast_cache.c.cache_key == key))
            conn.execute(sa.insert(forecast_cache), [row])
    except DBAPIError:
        return


def decode(payloads: dict[str, str]) -> dict[str, SeriesForecast]:
    """:func:`from_payload` of each payload; ones written by older code are left out (refit)."""
    out = {}
    for key, payload in payloads.items():
        try:
            out[key] = from_payload(payload)
        except (ValueError, KeyError, TypeError):
            continue
    return out


def read_cached(engine: Engine, keys: list[str], version: int) -> dict[str, SeriesForecast]:
    """Stored fits for ``keys`` made at data ``version`` (older versions are stale and ignored)."""
    if not keys:
        return {}
    stmt = sa.select(forecast_cache.c.cache_key, forecast_cache.c.payload).where(
        forecast_cache.c.cache_key.in_(keys), forecast_cache.c.data_version == version
    )
    with engine.connect() as conn:
        return decode(dict(conn.execute(stmt).fetchall()))


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

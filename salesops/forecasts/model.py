"""Prophet forecasts of won revenue: one series in, a forecast with an 80% interval out.

Pure functions over frames (no engine, no Streamlit): :func:`fit_forecast` takes a history with
the Prophet column contract (``ds`` = period start, ``y`` = won revenue in cents, one row per
week/month, zeros included) and a :class:`ForecastSpec`, and returns a :class:`Forecast`.
Reading the series from the store, the backtest, the persisted cache and the parallel fits live in
:mod:`salesops.forecasts.backtest` and :mod:`salesops.forecasts.service`. Definitions: docs/FORECASTS.md.

Choices (documented in docs/FORECASTS.md):

* **Never below zero**: Prophet fits the raw series; ``yhat``, ``yhat_lower``, ``yhat_upper`` and
  every predictive sample are clipped at 0 afterwards (revenue cannot be negative; fitting on
  ``log1p`` would turn additive seasonality multiplicative and misbehave on zero-heavy weeks).
* **Guards**: fewer than :data:`MIN_PERIODS` periods (counted from the first sale) or fewer than
  :data:`MIN_NONZERO` periods with a sale raise :class:`NotEnoughHistory`; under two years (730 days from
  the first to the last period) of history the yearly seasonality is switched off and the forecast says so in ``notes``.
* **Holidays**: optional, by country code, from Prophet's own holiday tables
  (``prophet.make_holidays``, the data behind ``add_country_holidays``), moved onto the period
  that contains each holiday so they act on weekly/monthly data. Computed locally, no network.
"""

from __future__ import annotations

import logging
import threading
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd

from salesops.errors import InvalidFilter, SalesopsError
from salesops.scope import period_end, period_label, period_start, shift


def silence_stan() -> None:
    """Mute cmdstanpy's per-fit INFO lines and prophet's "plotly missing" notice.

    cmdstanpy re-configures its logger on the first fit, so a level alone does not hold: add a
    NullHandler, set the level and disable the logger, before the first fit (in every process).
    """
    stan = logging.getLogger("cmdstanpy")
    if not any(isinstance(h, logging.NullHandler) for h in stan.handlers):
        stan.addHandler(logging.NullHandler())
    stan.setLevel(logging.WARNING)
    stan.disabled = True
    logging.getLogger("prophet").setLevel(logging.WARNING)  # "disabling weekly seasonality" and such
    logging.getLogger("prophet.plot").disabled = True


silence_stan()
# Prophet 1.5 calls pandas methods with inplace=True, which pandas 3.1 flags as deprecated on every
# fit: noise for our users, nothing they can act on. Only that message, only from prophet's modules.
warnings.filterwarnings("ignore", message="The inplace keyword", module=r"prophet(\..*)?$")

#: Forecast grains: pandas frequency of the period starts, season length, the guards.
FREQ = {"week": "W-MON", "month": "MS"}
SEASON = {"week": 52, "month": 12}
MIN_PERIODS = {"week": 26, "month": 12}
MIN_NONZERO = {"week": 8, "month": 6}
TWO_YEARS_DAYS = 730
INTERVAL_WIDTH = 0.8
#: Held while a fit uses NumPy's global generator (see :func:`_seeded`).
_GLOBAL_RNG = threading.Lock()
#: Bump when the model or the payload changes, so persisted fits from older code are not reused.
MODEL_VERSION = 2
#: Holiday countries offered on the page (any code from the ``holidays`` package works in the CLI).
COUNTRIES = {"US": "United States", "GB": "United Kingdom", "DE": "Germany", "FR": "France", "AU": "Australia"}


class NotEnoughHistory(SalesopsError):
    """A series is too short (or too empty) to fit a forecast on; ``periods``: how many it has."""

    def __init__(self, message: str, hint: str = "", periods: int = 0) -> None:
        super().__init__(message, hint)
        self.periods = periods


def check_forecast_grain(grain: str) -> str:
    if grain not in FREQ:
        raise InvalidFilter(f"Forecasts are weekly or monthly, not {grain!r}.", "Use --grain week or --grain month.")
    return grain


def check_country(country: str | None) -> str | None:
    """``None``/'' for no holidays, else an upper-case country code the holidays package knows."""
    if not country:
        return None
    import holidays

    code = country.strip().upper()
    if code not in holidays.list_supported_countries():
        raise InvalidFilter(
            f"No holiday calendar for country {country!r}.",
            "Use a two-letter ISO code such as US, GB, DE, FR or AU, or leave holidays off.",
        )
    return code


@dataclass(frozen=True)
class ForecastSpec:
    """How to forecast: grain (week/month), horizon in periods, optional holiday country, seed."""

    grain: str = "week"
    horizon: int = 13
    country: str | None = None
    seed: int = 0
    uncertainty_samples: int = 1000

    def __post_init__(self) -> None:
        check_forecast_grain(self.grain)
        if not 1 <= int(self.horizon) <= 520:
            raise InvalidFilter(
                f"Forecast horizon {self.horizon} is out of range.",
                f"Pick between 1 and 520 {self.grain}s.",
            )


@dataclass(frozen=True, eq=False)
class Forecast:
    """A fitted forecast.

    ``frame``: ds (period start), yhat, yhat_lower, yhat_upper (cents, clipped at 0; the 80%
    interval). ``samples``: predictive samples, shape (horizon, n), clipped at 0 (None when not
    asked for). ``yearly``: whether yearly seasonality was on. ``notes``: sentences for the reader.
    """

    frame: pd.DataFrame
    samples: np.ndarray | None
    yearly: bool
    history_periods: int
    notes: tuple[str, ...] = field(default=())


def default_horizon(today: date, grain: str) -> int:
    """Periods from the one containing ``today`` through the end of the next quarter."""
    check_forecast_grain(grain)
    target_end = period_end(shift(period_start(today, "quarter"), "quarter", 1), "quarter")
    first = period_start(today, grain)
    last = period_start(target_end, grain)
    if grain == "week":
        return (last - first).days // 7 + 1
    return (last.year - first.year) * 12 + last.month - first.month + 1


def trim_history(history: pd.DataFrame) -> pd.DataFrame:
    """The history from its first period with a sale on (leading zeros are "before we sold")."""
    frame = history[["ds", "y"]].reset_index(drop=True)
    nonzero = np.flatnonzero(frame["y"].to_numpy() > 0)
    if len(nonzero) == 0:
        return frame.iloc[0:0]
    return frame.iloc[nonzero[0] :].reset_index(drop=True)


def check_history(history: pd.DataFrame, grain: str, what: str = "this series") -> pd.DataFrame:
    """The trimmed history, or :class:`NotEnoughHistory` saying how much is there and needed."""
    frame = trim_history(history)
    n, sold = len(frame), int((frame["y"] > 0).sum()) if len(frame) else 0
    need, need_sold = MIN_PERIODS[grain], MIN_NONZERO[grain]
    if n < need or sold < need_sold:
        raise NotEnoughHistory(
            f"Not enough history to forecast {what}: {n} {grain}s since the first sale, {sold} with a sale "
            f"(a forecast needs at least {need} {grain}s and {need_sold} with a sale).",
            "Pick a wider series (a region or the whole company), a monthly grain, or wait for more closed deals.",
            periods=n,
        )
    return frame


def uses_yearly(history: pd.DataFrame) -> bool:
    """Yearly seasonality needs two years from the first to the last period (Prophet's own test).

    With less, one year's bump would be copied blindly and Prophet warns the model is under-identified.
    """
    if len(history) < 2:
        return False
    return (pd.Timestamp(history["ds"].iloc[-1]) - pd.Timestamp(history["ds"].iloc[0])).days >= TWO_YEARS_DAYS


def holidays_frame(country: str, first: date, last: date, grain: str) -> pd.DataFrame:
    """Prophet holidays (holiday, ds) of ``country`` between the dates, moved to their period's start."""
    from prophet.make_holidays import make_holidays_df

    years = list(range(first.year, last.year + 2))
    hol = make_holidays_df(year_list=years, country=country)
    hol["ds"] = [pd.Timestamp(period_start(d.date(), grain)) for d in pd.to_datetime(hol["ds"])]
    hol = hol.drop_duplicates(["holiday", "ds"]).reset_index(drop=True)
    hol["lower_window"] = 0
    hol["upper_window"] = 0
    return hol[["holiday", "ds", "lower_window", "upper_window"]]


def build_model(spec: ForecastSpec, yearly: bool, holidays: pd.DataFrame | None = None):
    """The Prophet model with our settings (documented in docs/FORECASTS.md)."""
    from prophet import Prophet

    silence_stan()
    return Prophet(
        interval_width=INTERVAL_WIDTH,
        yearly_seasonality=yearly,
        weekly_seasonality=False,
        daily_seasonality=False,
        uncertainty_samples=spec.uncertainty_samples,
        holidays=holidays,
    )


@contextmanager
def _seeded(seed: int):
    """Seed NumPy's global generator for Prophet's sampling (it takes no Generator), then put the
    caller's global state back: a fit never leaves the process's global seed changed.

    Concurrent fits in one process (Streamlit sessions are threads) hold :data:`_GLOBAL_RNG`, so one
    fit's draws are not interleaved with another's.
    """
    with _GLOBAL_RNG:
        state = np.random.get_state()
        np.random.seed(seed)
        try:
            yield
        finally:
            np.random.set_state(state)


def fit_forecast(
    history: pd.DataFrame, spec: ForecastSpec, what: str = "this series", samples: bool = True
) -> Forecast:
    """Fit Prophet on ``history`` (ds, y in cents; one row per period) and forecast ``spec.horizon`` periods.

    The forecast starts at the period after the last one in ``history``. Raises
    :class:`NotEnoughHistory` when the history is too short. ``samples=False`` skips the
    predictive samples (the backtest does not need them).
    """
    frame = check_history(history, spec.grain, what)
    n = len(frame)
    yearly = uses_yearly(frame)
    notes = []
    if not yearly:
        notes.append(
            f"Yearly seasonality is off: only {n} {spec.grain}s of history since the first sale, "
            "and it needs two full years."
        )
    train = pd.DataFrame({"ds": pd.to_datetime(frame["ds"]), "y": frame["y"].astype(float)})
    hol = None
    if spec.country:
        last_ds = train["ds"].iloc[-1].date()
        hol = holidays_frame(
            spec.country, train["ds"].iloc[0].date(), shift(last_ds, spec.grain, spec.horizon), spec.grain
        )
        notes.append(f"Holidays of {COUNTRIES.get(spec.country, spec.country)} are modelled.")
    model = build_model(spec, yearly, hol)
    model.fit(train)
    future = model.make_future_dataframe(periods=spec.horizon, freq=FREQ[spec.grain], include_history=False)
    with _seeded(spec.seed):  # Prophet draws its interval samples from numpy's global generator
        predicted = model.predict(future)
    out = pd.DataFrame(
        {
            "ds": predicted["ds"].dt.date,
            "yhat": predicted["yhat"].clip(lower=0).to_numpy(),
            "yhat_lower": predicted["yhat_lower"].clip(lower=0).to_numpy(),
            "yhat_upper": predicted["yhat_upper"].clip(lower=0).to_numpy(),
        }
    )
    drawn = None
    if samples:
        with _seeded(spec.seed + 1):
            drawn = np.clip(model.predictive_samples(future)["yhat"], 0, None)
    return Forecast(frame=out, samples=drawn, yearly=yearly, history_periods=n, notes=tuple(notes))


# ---- forecast against a target window -----------------------------------------------------------


@dataclass(frozen=True)
class TargetWindow:
    """A quarter or month the forecast reaches, with the forecast part's distribution.

    ``forecast_from``: first forecast period start; actuals before it (inside the window) are
    added at view time. ``quantiles``: 101 values, the 0th..100th percentile of the forecast
    part's total over the window (cents).
    """

    label: str
    start: date
    end: date
    forecast_from: date
    quantiles: tuple[float, ...]


def period_weights(ds: list[date], grain: str, start: date, end: date) -> np.ndarray:
    """Share of each period's days inside [start, end] (revenue assumed even within a period)."""
    out = []
    for d in ds:
        p_end = period_end(d, grain)
        days = (p_end - d).days + 1
        inside = (min(p_end, end) - max(d, start)).days + 1
        out.append(max(0, inside) / days)
    return np.array(out, dtype=float)


def target_windows(forecast: Forecast, grain: str) -> tuple[TargetWindow, ...]:
    """The quarters and months overlapping the forecast, each with its forecast-total percentiles."""
    if forecast.samples is None or len(forecast.frame) == 0:
        return ()
    ds = list(forecast.frame["ds"])
    first, last = ds[0], period_end(ds[-1], grain)
    windows = []
    for kind in ("quarter", "month"):
        p = period_start(first, kind)
        while p <= last:
            w_end = period_end(p, kind)
            if w_end <= last:  # only windows the horizon covers completely
                weights = period_weights(ds, grain, p, w_end)
                totals = weights @ forecast.samples
                q = np.percentile(totals, np.arange(101))
                windows.append(TargetWindow(period_label(p, kind), p, w_end, first, tuple(float(x) for x in q)))
            p = shift(p, kind, 1)
    return tuple(windows)


def probability_at_least(quantiles: tuple[float, ...] | np.ndarray, need: float) -> float:
    """P(total >= need) read off the 0..100th percentiles by linear interpolation (0..1)."""
    q = np.asarray(quantiles, dtype=float)
    if need <= q[0]:
        return 1.0
    if need > q[-1]:
        return 0.0
    # np.interp wants increasing x: percentiles are non-decreasing; ties take the last level.
    below = float(np.interp(need, q, np.arange(101) / 100.0))
    return max(0.0, min(1.0, 1.0 - below))


def value_at_confidence(quantiles: tuple[float, ...] | np.ndarray, confidence: float) -> float:
    """The total reached with probability ``confidence``: the (1 - confidence) percentile."""
    q = np.asarray(quantiles, dtype=float)
    return float(np.interp((1.0 - confidence) * 100.0, np.arange(101), q))


def first_forecast_period(today: date, grain: str) -> date:
    """The period containing ``today``: the history stops before it, the forecast starts with it."""
    return period_start(today, grain)


def last_complete_period(today: date, grain: str) -> date:
    return period_start(first_forecast_period(today, grain) - timedelta(days=1), grain)

"""Per-series model choice by backtest: the outlook, Prophet alone and seasonal naive, each scored.

For every series the Forecasts page shows (the company, each region, each team, and the reps whose
history allows it), the three forecasts of a quarter's won revenue are scored on the same rows of
the outlook backtest (:mod:`salesops.forecasts.scorecard`: as of the start, one third and two thirds
into each of the last 8 quarters): WAPE at each point, Hyndman's MASE and the 80 % range coverage
(the outlook's after calibration, leave-one-quarter-out). The method with the lowest mean WAPE over
the three points is chosen; ties keep the outlook. Each method's forecast of the current quarter is
stored alongside, so the page shows any of them with one click.

Prophet alone costs a fit per series and month-end in the backtest (~24 per series, ~0.4 s each on a
quiet core), so it is fitted only for series with :data:`MIN_MONTHS` of won history, in
:data:`PROPHET_SERIES` series at most (company, regions, teams, then reps by won revenue), on the
forecast worker pool. The others are scored between the outlook and seasonal naive, and say why.

:func:`compute_choices` computes the whole table (minutes: run ahead, after the demo build and an
import); :func:`stored_choices` only reads it (None until it has been computed at this data version).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from salesops import config, store
from salesops.forecasts import agreement, scorecard
from salesops.forecasts.cache import read_current
from salesops.forecasts.calibrate import loo_coverage
from salesops.forecasts.history_asof import History, parse_period
from salesops.forecasts.outlook_backtest import BACKTEST_VERSION, LEVELS, backtest_cached
from salesops.scope import period_end, period_start
from salesops.store.schema import forecast_cache

#: Bump when the choice's method changes, so stored tables from older code are not reused.
CHOICE_VERSION = 1
METHODS = scorecard.METHODS
#: Prophet alone is fitted for series with at least this many months of won history, at most this many.
MIN_MONTHS = 24
PROPHET_SERIES = 40
COLUMNS = [
    "by",
    "series",
    "method",
    "wape_start",
    "wape_third",
    "wape_two_thirds",
    "wape_mean",
    "mase",
    "coverage_80",
    "quarters",
    "chosen",
    "note",
    "now_p10",
    "now_p50",
    "now_p90",
    "now_chance",
]


def _key(as_of: date, by: str) -> str:
    """One stored row per level, so the page reads its level's series only (not every rep's)."""
    return f"model-choice|c{CHOICE_VERSION}|b{BACKTEST_VERSION}|{as_of.isoformat()}|{by}"


def prophet_series(ys: dict[tuple[str, str], pd.Series], limit: int = PROPHET_SERIES) -> set:
    """The (by, series) pairs Prophet alone is fitted for: enough months of history, company first,
    then regions, teams and reps (each by won revenue, largest first), ``limit`` at most."""
    order = {"company": 0, "region": 1, "team": 2, "rep": 3}
    eligible = [(k, y) for k, y in ys.items() if len(y) >= MIN_MONTHS and (y > 0).mean() >= 0.75]
    eligible.sort(key=lambda kv: (order[kv[0][0]], -float(kv[1].sum())))
    return {k for k, _ in eligible[:limit]}


def prophet_task(
    y: pd.Series, start: date, as_of: date, seed: int, floor: float = 0.0, quota: float | None = None
) -> dict[str, float]:
    """(Worker) Prophet alone's P10/P50/P90 of the quarter from ``start`` seen on ``as_of`` (and the
    chance of ``quota``): :func:`salesops.forecasts.scorecard.baselines`."""
    return scorecard.baselines(y, start, as_of, True, seed, floor, quota)


def run_prophet(tasks: list[tuple], workers: int | None = None) -> list[dict[str, float]]:
    """Prophet tasks on the forecast worker pool (inline with one worker or one task)."""
    from salesops.forecasts.pool import run_batch

    workers = workers or config.forecast_workers()
    if workers <= 1 or len(tasks) <= 1:
        return [prophet_task(*t) for t in tasks]
    return run_batch(prophet_task, tasks, workers)


def _now(as_of: date, won: int, last_year: int) -> tuple[date, dict[str, float]]:
    """This quarter's seasonal naive (``won`` to date + ``last_year``: what was won over the rest of
    the quarter a year earlier, :func:`_last_year_rest`; cents) and the Prophet task's as-of (the end
    of the last complete month: monthly Prophet sees whole months only)."""
    start = period_start(as_of, "quarter")
    month_end = (pd.Timestamp(as_of).to_period("M").to_timestamp() - pd.Timedelta(days=1)).date()
    return max(month_end, start - pd.Timedelta(days=1).to_pytimedelta()), {
        "won": float(won),
        "naive": float(won) + float(last_year),
    }


def _last_year_rest(as_of: date) -> tuple[date, date]:
    """The days a year before the rest of ``as_of``'s quarter: from the day after ``as_of`` a year
    earlier to the quarter's end a year earlier (both included)."""
    end = period_end(period_start(as_of, "quarter"), "quarter")
    return _year_before(as_of) + timedelta(days=1), _year_before(end)


def _year_before(day: date) -> date:
    return (pd.Timestamp(day) - pd.DateOffset(years=1)).date()


def _rows(cells: pd.DataFrame, by: str, names: list[str], regions: dict) -> dict[str, Any]:
    """The positions in ``cells`` (rows per team_id and rep_id) of each series in ``names`` of level
    ``by``, matched as a won deal is: every row for the company, by its team's region, by its team's
    or rep's id as text. A series without a row is left out. Positions, not the rows: at 40,000 reps
    a frame per series took hundreds of MB."""
    if by == "company":
        return dict.fromkeys(names, slice(None))
    if by == "region":
        label = cells["team_id"].map(regions)
    else:
        label = cells[{"team": "team_id", "rep": "rep_id"}[by]].astype(object).astype(str)
    wanted = set(names)
    return {s: pos for s, pos in cells.groupby(label, sort=False).indices.items() if s in wanted}


def series_inputs(
    hist: History, keys: list[tuple[str, str]], regions: dict, as_of: date
) -> tuple[dict[tuple[str, str], pd.Series], dict[tuple[str, str], tuple[date, dict[str, float]]]]:
    """Each series' monthly won revenue (:func:`salesops.forecasts.scorecard.monthly_of`) and this
    quarter's :func:`_now`, in ``keys`` order, from three aggregates the database makes (won revenue
    per team, rep and month; won to date this quarter and over the rest of it a year earlier, per
    team and rep): the memory needed grows with reps × months, not with the won deals (issue #21)."""
    start = period_start(as_of, "quarter")
    months = hist.won_months
    so_far, last_year = hist.won_cells(start, as_of), hist.won_cells(*_last_year_rest(as_of))
    cents = [pd.to_numeric(f["cents"]).to_numpy("int64") for f in (so_far, last_year)]
    ys, now = {}, {}
    for by in dict.fromkeys(k[0] for k in keys):
        names = [k[1] for k in keys if k[0] == by]
        rows = [_rows(f, by, names, regions) for f in (months, so_far, last_year)]
        for name in names:
            pos = rows[0].get(name)
            ys[(by, name)] = scorecard.monthly_of_cells(months.iloc[pos] if pos is not None else months.head(0))
            won, ly = (int(c[r[name]].sum()) if name in r else 0 for c, r in zip(cents, rows[1:], strict=True))
            now[(by, name)] = _now(as_of, won, ly)
    return {k: ys[k] for k in keys}, {k: now[k] for k in keys}


def _score(g: pd.DataFrame, level: pd.DataFrame, with_prophet: bool) -> list[dict]:
    """Rows of :data:`COLUMNS` (without the 'now' figures) for one series' backtest rows ``g``."""
    if with_prophet:
        g = g.dropna(subset=["pr_p50"])
    quarters = int(g["period"].nunique())
    out = scorecard.metrics(g, "p50", "p10", "p90")
    loo = loo_coverage(level[["period", "score"]], level.index.isin(g.index))
    out["coverage_80"] = np.nan if loo is None else loo  # the calibrated range, as the page shows it
    rows: list[dict[str, Any]] = [{"method": "outlook", **out}]
    if with_prophet:
        rows.append({"method": "Prophet alone", **scorecard.metrics(g, "pr_p50", "pr_p10", "pr_p90")})
    rows.append({"method": "seasonal naive", **scorecard.metrics(g, "naive", None, None)})
    for r in rows:
        wapes = [float(r[f"wape_{p}"]) for p in scorecard.POINTS if not np.isnan(r[f"wape_{p}"])]
        r["wape_mean"] = float(np.mean(wapes)) if wapes else np.nan
        r["quarters"] = quarters
    return rows


def _choose(rows: list[dict], note: str) -> list[dict]:
    """Mark the lowest mean WAPE as chosen (the outlook on ties or when nothing is measurable)."""
    scored = [r for r in rows if not np.isnan(r["wape_mean"])]
    best = min(scored, key=lambda r: (r["wape_mean"], METHODS.index(r["method"])))["method"] if scored else "outlook"
    for r in rows:
        r["chosen"] = r["method"] == best
        r["note"] = note
    return rows


def compute_choices(
    engine: Engine, as_of: date, workers: int | None = None, limit: int = PROPHET_SERIES
) -> pd.DataFrame:
    """The choice table (:data:`COLUMNS`) of every series, Prophet fits on the worker pool. Minutes."""
    from salesops.forecasts.outlook import _quotas, _teams

    hist = History(engine)
    bt = backtest_cached(engine, "quarter", as_of, hist=hist)
    if len(bt) == 0:
        return pd.DataFrame({c: [] for c in COLUMNS})
    regions = dict(zip(*_teams(engine)[["team_id", "region"]].T.values))
    keys = list(dict.fromkeys(zip(bt["by"], bt["series"])))
    ys, now = series_inputs(hist, keys, regions, as_of)
    fitted = prophet_series(ys, limit)
    starts = {p: parse_period(p)[1] for p in bt["period"].unique()}
    mine = bt[[k in fitted for k in zip(bt["by"], bt["series"])]]
    tasks: list[tuple] = [
        (ys[(r.by, r.series)], starts[r.period], r.as_of, starts[r.period].toordinal()) for r in mine.itertuples()
    ]
    q_start = period_start(as_of, "quarter")
    quotas = {by: _quotas(engine, by, q_start, period_end(q_start, "quarter")) for by in {k[0] for k in fitted}}
    tasks += [
        (ys[k], q_start, now[k][0], q_start.toordinal(), now[k][1]["won"], quotas[k[0]].get(k[1])) for k in fitted
    ]
    results = run_prophet(tasks, workers)
    prophet = pd.DataFrame(results[: len(mine)], index=mine.index)
    current = dict(zip(fitted, results[len(mine) :], strict=True)) if fitted else {}
    bt = bt.assign(
        naive=[_naive(ys[(r.by, r.series)], starts[r.period], r.as_of, r.won) for r in bt.itertuples()],
        mase_scale=[
            scorecard.mase_scale(ys[(r.by, r.series)], starts[r.period]) if len(ys[(r.by, r.series)]) else np.nan
            for r in bt.itertuples()
        ],
    )
    for col in ("pr_p10", "pr_p50", "pr_p90"):
        bt[col] = prophet[col] if len(prophet) else np.nan
    rows = []
    for (by, series), g in bt.groupby(["by", "series"], sort=False):
        k = (by, series)
        note = "" if k in fitted else _why_not(ys[k], limit)
        scored = _choose(_score(g, bt[bt["by"] == by], k in fitted), note)
        for r in scored:
            r.update(by=by, series=series, now_p10=np.nan, now_p50=np.nan, now_p90=np.nan, now_chance=np.nan)
            if r["method"] == "seasonal naive":
                r["now_p50"] = now[k][1]["naive"]
            elif r["method"] == "Prophet alone":
                r.update({f"now_{c}": current[k][f"pr_{c}"] for c in ("p10", "p50", "p90", "chance")})
        rows.extend(scored)
    return pd.DataFrame(rows)[COLUMNS]


def _naive(y: pd.Series, start: date, as_of: date, won: float) -> float:
    """Seasonal naive of one backtest row (what is won so far when the series never won before)."""
    return scorecard.baselines(y, start, as_of, False, 0)["naive"] if len(y) else won


def _why_not(y: pd.Series, limit: int) -> str:
    """Why a series' Prophet alone was not fitted (its history, or the limit on fitted series)."""
    if len(y) < MIN_MONTHS:
        months = f"{len(y)} month{'s' if len(y) != 1 else ''}"
        return f"Prophet alone not scored: {months} of won history, it needs {MIN_MONTHS}."
    if (y > 0).mean() < 0.75:
        return "Prophet alone not scored: won revenue in fewer than 3 months in 4 (too sparse to fit)."
    if limit == 0:
        return "Prophet alone not scored in this computation."
    return f"Prophet alone scored for the {limit} largest series only."


def stored_choices(engine: Engine, as_of: date, levels: tuple[str, ...] = LEVELS) -> pd.DataFrame | None:
    """The choice table's rows of ``levels`` stored at the current data version, or None when the
    table has not been computed at this version."""
    keys = [_key(as_of, by) for by in levels]
    stored = read_current(engine, keys)
    payloads = [stored[k] for k in keys if k in stored]
    if not payloads:
        return None
    frame = pd.concat([pd.DataFrame(json.loads(p), columns=COLUMNS) for p in payloads], ignore_index=True)
    frame["chosen"] = frame["chosen"].astype(bool)
    return frame.astype({c: float for c in COLUMNS if c.startswith(("wape", "now", "mase", "cov"))})


def warm_choices(engine: Engine, as_of: date, workers: int | None = None, limit: int = PROPHET_SERIES) -> pd.DataFrame:
    """Compute the choice table and store it (one row per level) at the data version it was computed from."""
    version = store.data_version(engine)
    frame = compute_choices(engine, as_of, workers, limit)
    rows = []
    for by in LEVELS:
        part = frame[frame["by"] == by]
        data = part.astype(object).where(part.notna(), None).to_dict(orient="list")
        rows.append(
            {
                "cache_key": _key(as_of, by),
                "data_version": version,
                "created_at": datetime.now(),
                "payload": json.dumps(data),
            }
        )
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.delete(forecast_cache).where(forecast_cache.c.cache_key.in_([r["cache_key"] for r in rows]))
            )
            conn.execute(sa.insert(forecast_cache), rows)
    except DBAPIError:  # read-only store or a concurrent writer: the cache is best effort
        pass
    return frame


_WARM_LOCK = threading.Lock()


def warm_if_missing(engine: Engine, as_of: date) -> bool:
    """Compute and store the choice table unless it is stored at this data version (one at a time:
    a second caller waits, then finds it stored). Whether it computed."""
    with _WARM_LOCK:
        if stored_choices(engine, as_of, ("company",)) is not None:
            return False
        warm_choices(engine, as_of)
        agreement.warm_agreement(engine, as_of)  # the page's weekly-vs-monthly line, computed ahead with it
        return True


def warm_after_import(engine: Engine, table: str, as_of: date) -> bool:
    """After an import of a table the forecasts read, the choice table computed ahead when
    SALESOPS_MODEL_CHOICE (and SALESOPS_WARMUP) are on; whether it computed."""
    from salesops.forecasts.outlook_cache import OUTLOOK_TABLES

    if table not in OUTLOOK_TABLES or not config.model_choice_ahead():
        return False
    return warm_if_missing(engine, as_of)


def series_choice(engine: Engine, as_of: date, by: str, series: str) -> ModelChoice | None:
    """The stored :class:`ModelChoice` of one series (None when not computed yet at this data version)."""
    return choice_for(stored_choices(engine, as_of, (by,)), by, series)


@dataclass(frozen=True)
class ModelChoice:
    """One series' choice: the method chosen, why ("mean WAPE a% (outlook) vs b% (…) … over N quarters"),
    and every method's row."""

    chosen: str
    reason: str
    table: pd.DataFrame  # COLUMNS rows of this series, the chosen method first


def choice_for(table: pd.DataFrame | None, by: str, series: str) -> ModelChoice | None:
    """The :class:`ModelChoice` of one series from :func:`stored_choices` (None when not there)."""
    if table is None:
        return None
    rows = table[(table["by"] == by) & (table["series"] == str(series))]
    if len(rows) == 0:
        return None
    rows = rows.sort_values("chosen", ascending=False, kind="stable").reset_index(drop=True)
    chosen = str(rows.iloc[0]["method"])
    wapes = " vs ".join(f"{_pct(r['wape_mean'])} ({r['method']})" for r in rows.to_dict("records"))
    reason = (
        f"mean WAPE {wapes} over {int(rows.iloc[0]['quarters'])} quarters "
        "(as of the start, one third and two thirds into each)"
    )
    note = str(rows.iloc[0]["note"] or "")
    return ModelChoice(chosen, reason + (f". {note}" if note else ""), rows)


def _pct(v: float) -> str:
    return "–" if v is None or np.isnan(v) else f"{100 * v:.1f}%"

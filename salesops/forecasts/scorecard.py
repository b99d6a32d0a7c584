"""The backtest table: the outlook against Prophet alone and seasonal naive, quarter by quarter.

For each quarter of the outlook backtest (:mod:`salesops.forecasts.outlook_backtest`) and each
as-of point (the day before it starts, the end of its first and of its second month), three
forecasts of the quarter's won revenue, for the company and every team:

* **outlook**: its P50 (and the calibrated P10–P90, coverage measured leave-one-quarter-out);
* **Prophet alone**: won so far + Prophet on monthly won revenue (complete months up to the
  as-of date) over the quarter's remaining months, its 80 % interval from its predictive samples;
* **seasonal naive**: won so far + the same remaining months one year earlier.

Metrics per method and level: WAPE at each point (Σ|actual − forecast| ÷ Σ actual), MASE as
Hyndman defines it (mean |error| ÷ the in-sample MAE of the seasonal-naive forecast of the quarterly
series, lag 4 quarters, over the quarters before the one forecast) and the 80 % range coverage.
The "median team" is the team whose outlook WAPE at two thirds is the median of the teams'.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine

from salesops.forecasts.calibrate import conformal_scale, loo_coverage
from salesops.forecasts.history_asof import History, parse_period
from salesops.forecasts.model import ForecastSpec, NotEnoughHistory, fit_forecast
from salesops.forecasts.outlook_backtest import backtest_cached

POINTS = ("start", "third", "two_thirds")
METHODS = ("outlook", "Prophet alone", "seasonal naive")


def monthly_won(hist: History, series: str, by: str = "team", regions: dict | None = None) -> pd.Series:
    """Won revenue per month (index: month start) of the company ('company'), a team or a region,
    from the won revenue per cell and month summed in the database (:attr:`History.won_months`)."""
    cells = hist.won_months
    if series != "company":
        team_of = cells["team_id"].map(regions or {}) if by == "region" else cells["team_id"]
        cells = cells[team_of == series]
    return monthly_of_cells(cells)


def monthly_of(won: pd.DataFrame) -> pd.Series:
    """Won revenue per month (index: month start, months without a win as 0) of the won deals ``won``."""
    if len(won) == 0:
        return pd.Series(dtype=float)
    months = pd.to_datetime(won["close_date"]).dt.to_period("M").dt.to_timestamp()
    s = won["amount_cents"].groupby(months.to_numpy()).sum().astype(float)
    return s.reindex(pd.date_range(s.index.min(), s.index.max(), freq="MS"), fill_value=0.0)


def monthly_of_cells(cells: pd.DataFrame) -> pd.Series:
    """:func:`monthly_of` of the won deals summed per month in ``cells`` (month, cents: rows of
    :attr:`History.won_months`): the same series, the sums of sums being exact in integer cents."""
    return monthly_of(pd.DataFrame({"close_date": cells["month"], "amount_cents": cells["cents"]}))


def baselines(
    y: pd.Series, start: date, as_of: date, prophet: bool, seed: int, floor: float = 0.0, quota: float | None = None
) -> dict[str, float]:
    """Seasonal-naive total and Prophet's P10/P50/P90 of the quarter from ``start`` seen on ``as_of``.

    Prophet's totals are kept at or above ``floor`` (what is already won); with a ``quota``, also
    ``pr_chance``: P(total ≥ quota) by Laplace's rule on the samples, as the outlook's chance.
    """
    months = pd.date_range(pd.Timestamp(start), periods=3, freq="MS")
    known = months[months <= pd.Timestamp(as_of)]
    rest = months[months > pd.Timestamp(as_of)]
    won = float(y.reindex(known, fill_value=0.0).sum())
    naive = won + float(y.reindex(rest - pd.DateOffset(years=1), fill_value=0.0).sum())
    out = {"naive": naive, "pr_p10": np.nan, "pr_p50": np.nan, "pr_p90": np.nan, "pr_chance": np.nan}
    train = y[y.index < (rest[0] if len(rest) else months[-1] + pd.DateOffset(months=1))]
    if prophet and len(rest):
        try:
            spec = ForecastSpec(grain="month", horizon=len(rest), seed=seed, uncertainty_samples=300)
            fc = fit_forecast(pd.DataFrame({"ds": train.index.date, "y": train.to_numpy()}), spec)
        except NotEnoughHistory:
            return out
        assert fc.samples is not None  # noqa: S101 - asked for above
        totals = np.maximum(won + fc.samples.sum(axis=0), floor)
        if quota:
            out["pr_chance"] = 1.0 if floor >= quota else (float((totals >= quota).sum()) + 1) / (len(totals) + 2)
        out.update(zip(("pr_p10", "pr_p50", "pr_p90"), np.percentile(totals, [10, 50, 90])))
    return out


def mase_scale(y: pd.Series, before: date) -> float:
    """In-sample MAE of the seasonal-naive forecast (lag 4) of the quarterly totals before ``before``."""
    q = y[y.index < pd.Timestamp(before)].resample("QS").sum()
    diffs = (q - q.shift(4)).dropna().abs()
    return float(diffs.mean()) if len(diffs) else np.nan


def comparison_points(
    engine: Engine, as_of: date, prophet: bool = True, levels: tuple[str, ...] = ("company", "team")
) -> pd.DataFrame:
    """One row per (quarter, point, series) at ``levels``: the three methods' forecasts."""
    from salesops.forecasts.outlook import _teams

    hist = History(engine)
    regions = dict(zip(*_teams(engine)[["team_id", "region"]].T.values))
    bt = backtest_cached(engine, "quarter", as_of, hist=hist)
    bt = bt[bt["by"].isin(levels)].reset_index(drop=True)
    keys = list(zip(bt["by"], bt["series"], strict=True))
    ys = {k: monthly_won(hist, k[1], k[0], regions) for k in dict.fromkeys(keys)}
    starts = [parse_period(p)[1] for p in bt["period"]]
    todo = [i for i, k in enumerate(keys) if len(ys[k])]
    if prophet:  # the Prophet fits on the forecast worker pool
        from salesops.forecasts.choice import run_prophet

        done = run_prophet([(ys[keys[i]], starts[i], bt["as_of"].iloc[i], starts[i].toordinal()) for i in todo])
    else:
        done = [baselines(ys[keys[i]], starts[i], bt["as_of"].iloc[i], False, 0) for i in todo]
    base = dict(zip(todo, done, strict=True))
    rows = [
        {
            **base.get(i, {"naive": won}),
            "mase_scale": mase_scale(ys[keys[i]], starts[i]) if len(ys[keys[i]]) else np.nan,
        }
        for i, won in enumerate(bt["won"])
    ]
    extra = pd.DataFrame(rows, index=bt.index, columns=["naive", "pr_p10", "pr_p50", "pr_p90", "mase_scale"])
    return pd.concat([bt, extra], axis=1)


def metrics(g: pd.DataFrame, forecast: str, lo: str | None, hi: str | None) -> dict[str, float]:
    """WAPE at each point, Hyndman MASE and (with a range ``lo``–``hi``) coverage of column ``forecast``."""
    out: dict[str, float] = {}
    for point in POINTS:
        part = g[g["point"] == point]
        err = (part["actual"] - part[forecast]).abs()
        out[f"wape_{point}"] = float(err.sum() / part["actual"].sum()) if part["actual"].sum() else np.nan
    scaled = (g["actual"] - g[forecast]).abs() / g["mase_scale"].where(g["mase_scale"] > 0)
    out["mase"] = float(scaled.mean()) if scaled.notna().any() else np.nan
    out["coverage_80"] = float(((g["actual"] >= g[lo]) & (g["actual"] <= g[hi])).mean()) if lo and hi else np.nan
    return out


def scorecard(engine: Engine, kind: str, as_of: date, prophet: bool = True) -> pd.DataFrame:
    """The table of docs/FORECASTS.md: level, method, WAPE at each point, MASE, 80 % coverage, quarters.

    For months (``kind='month'``) the outlook alone (its baselines are made on quarters): WAPE at each
    point and coverage, raw and calibrated; the count of months in the ``quarters`` column.
    """
    monthly = kind == "month"
    if monthly:
        pts = backtest_cached(engine, "month", as_of).assign(mase_scale=np.nan)
        prophet = False
    else:
        pts = comparison_points(engine, as_of, prophet).dropna(subset=["pr_p50"] if prophet else [])
    rows = []
    teams = pts[pts["by"] == "team"]
    team_wape = {s: metrics(g, "p50", None, None)["wape_two_thirds"] for s, g in teams.groupby("series")}
    median_team = sorted(team_wape, key=lambda s: team_wape[s])[len(team_wape) // 2] if team_wape else None
    for level, g in (
        ("company", pts[pts["by"] == "company"]),
        (f"median team ({median_team})", teams[teams["series"] == median_team]),
    ):
        if len(g) == 0:
            continue
        by = "company" if level == "company" else "team"
        level_pts = pts[pts["by"] == by]
        out = metrics(g, "p50", "p10", "p90")
        loo = loo_coverage(level_pts[["period", "score"]], level_pts.index.isin(g.index))
        out["coverage_80_calibrated"] = np.nan if loo is None else loo
        out["calibration"] = conformal_scale(level_pts["score"].to_numpy())
        rows.append({"level": level, "method": "outlook", **out, "quarters": g["period"].nunique()})
        if prophet:
            rows.append(
                {
                    "level": level,
                    "method": "Prophet alone",
                    **metrics(g, "pr_p50", "pr_p10", "pr_p90"),
                    "quarters": g["period"].nunique(),
                }
            )
        if monthly:
            continue
        rows.append(
            {
                "level": level,
                "method": "seasonal naive",
                **metrics(g, "naive", None, None),
                "quarters": g["period"].nunique(),
            }
        )
    return pd.DataFrame(rows)


def to_markdown(table: pd.DataFrame, unit: str = "quarters") -> str:
    """The table as Markdown, rates in % (what docs/FORECASTS.md shows); ``unit`` names the count column."""
    cols = [c for c in table.columns if c not in ("level", "method", "quarters", "calibration")]
    head = "| level | method | " + " | ".join(cols) + f" | {unit} |\n"
    head += "|" + " --- |" * (len(cols) + 3) + "\n"
    lines = []
    for r in table.to_dict("records"):
        cells = []
        for c in cols:
            v = r.get(c)
            if v is None or (isinstance(v, float) and np.isnan(v)):
                cells.append("–")
            elif c == "mase":
                cells.append(f"{v:.2f}")
            else:
                cells.append(f"{100 * v:.1f} %")
        lines.append(f"| {r['level']} | {r['method']} | " + " | ".join(cells) + f" | {r['quarters']} |")
    return head + "\n".join(lines) + "\n"

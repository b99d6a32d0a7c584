"""Does Prophet earn its place on the outlook's run-rate? The measured comparison of docs/FORECASTS.md.

    python -m bench.runrate_prophet [--db URL] [--as-of 2026-11-24]

For each of the outlook backtest's quarters and as-of points (start, one third, two thirds), the
run-rate (revenue won inside the quarter from deals created after the as-of date) of the company
and of each team is forecast two ways, from what was known then:

* **seasonal mean** — what the outlook uses (:mod:`salesops.forecasts.runrate`);
* **Prophet** — fitted on the same quantity in every earlier quarter (seen from the same point),
  quarterly, yearly seasonality from 8 quarters on, one step ahead (clipped at 0); at least 4
  quarters of history, else the point is left out for both.

It prints the run-rate's own WAPE for both, and the outlook P50's WAPE with its run-rate swapped
for Prophet's (P50 − seasonal mean + Prophet), over all the backtest quarters and over the last
four (where the history behind every forecast is mature). Prophet fits: about 300, minutes.
"""

from __future__ import annotations

import argparse
import logging
from datetime import date, timedelta

import numpy as np
import pandas as pd

from salesops import config, store
from salesops.forecasts.history_asof import History, label_of, past_periods, runrate_history
from salesops.forecasts.outlook_backtest import BACKTEST_PERIODS, backtest_cached
from salesops.forecasts.runrate import SEASON_LEN, fit_runrate
from salesops.forecasts.simulate import as_of_points
from salesops.scope import period_end, period_start

MIN_QUARTERS = 4


def prophet_next(values: pd.Series, nxt: date) -> float:
    """Prophet's one-step-ahead point forecast of a quarterly series (index: quarter starts)."""
    from prophet import Prophet

    df = pd.DataFrame({"ds": pd.to_datetime(list(values.index)), "y": values.to_numpy(float)})
    m = Prophet(
        yearly_seasonality=len(df) >= 8, weekly_seasonality=False, daily_seasonality=False, uncertainty_samples=0
    )
    m.fit(df)
    return max(0.0, float(m.predict(pd.DataFrame({"ds": [pd.Timestamp(nxt)]}))["yhat"].iloc[0]))


def _past(hall: pd.DataFrame, periods: list[date], team: str | None) -> pd.Series:
    """The quarterly run-rate history of the company (team None) or a team, from its first non-zero quarter."""
    h = hall if team is None else hall[hall["team_id"] == team]
    values = h.groupby("period")["cents"].sum().reindex(sorted(periods), fill_value=0.0)
    nonzero = values[values > 0]
    return values[values.index >= nonzero.index.min()] if len(nonzero) else values.iloc[0:0]


def run_rate_points(hist: History, as_of: date) -> pd.DataFrame:
    """One row per (quarter, point, series): actual run-rate, seasonal mean, Prophet (NaN if too short)."""
    rows = []
    current = period_start(as_of, "quarter")
    for q in past_periods("quarter", current, as_of, BACKTEST_PERIODS["quarter"]):
        end = period_end(q, "quarter")
        for point, day in as_of_points("quarter", q, end).items():
            rr_periods = past_periods("quarter", q, day, 2 * SEASON_LEN["quarter"])
            rr = fit_runrate(runrate_history(hist, "quarter", q, day, len(rr_periods)), rr_periods, "quarter")
            mean = rr.cells.groupby("team_id")["point"].sum()
            all_periods = past_periods("quarter", q, day, 40)
            hall = runrate_history(hist, "quarter", q, day, 40)
            won = hist.won_between(max(q, day + timedelta(days=1)), end, created_after=day)
            actual = won.groupby("team_id")["amount_cents"].sum()
            for team in [None, *sorted(hist.won["team_id"].dropna().unique())]:
                past = _past(hall, all_periods, team)
                rows.append(
                    {
                        "period": label_of("quarter", q),
                        "point": point,
                        "series": team or "company",
                        "actual_rr": float(won["amount_cents"].sum() if team is None else actual.get(team, 0.0)),
                        "mean_rr": float(mean.sum() if team is None else mean.get(team, 0.0)),
                        "prophet_rr": prophet_next(past, q) if len(past) >= MIN_QUARTERS else np.nan,
                    }
                )
    return pd.DataFrame(rows)


def _wape(actual: pd.Series, forecast: pd.Series) -> float:
    return float((actual - forecast).abs().sum() / actual.sum()) if actual.sum() else float("nan")


def report(points: pd.DataFrame, backtest: pd.DataFrame) -> str:
    """The comparison table (Markdown) of docs/FORECASTS.md."""
    bt = backtest[backtest["by"].isin(["company", "team"])]
    m = bt.merge(points, on=["period", "point", "series"]).dropna(subset=["prophet_rr"])
    m["p50_prophet"] = m["p50"] - m["mean_rr"] + m["prophet_rr"]
    recent = sorted(m["period"].unique())[-4:]
    lines = [
        "| level | quarters | point | run-rate WAPE: seasonal mean | Prophet | outlook WAPE: as is | with Prophet's run-rate |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for by in ("company", "team"):
        for span, part in (("all", m), ("last 4", m[m["period"].isin(recent)])):
            for point in ("start", "third", "two_thirds"):
                g = part[(part["by"] == by) & (part["point"] == point)]
                cells = [
                    _wape(g["actual_rr"], g["mean_rr"]),
                    _wape(g["actual_rr"], g["prophet_rr"]),
                    _wape(g["actual"], g["p50"]),
                    _wape(g["actual"], g["p50_prophet"]),
                ]
                text = " | ".join(f"{100 * c:.1f} %" for c in cells)
                lines.append(f"| {by} | {span} ({g['period'].nunique()}) | {point} | {text} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=None, help="store URL (default: SALESOPS_DB_URL)")
    parser.add_argument("--as-of", default=None, help="YYYY-MM-DD (default: SALESOPS_TODAY or today)")
    args = parser.parse_args(argv)
    logging.getLogger("cmdstanpy").disabled = True
    engine = store.open_store(args.db or config.db_url())
    as_of = date.fromisoformat(args.as_of) if args.as_of else config.today()
    hist = History(engine)
    print(report(run_rate_points(hist, as_of), backtest_cached(engine, "quarter", as_of, hist=hist)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

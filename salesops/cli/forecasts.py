"""CLI: ``forecast`` — Prophet forecasts of won revenue per company / region / team, with the track record.

Output: one row per series and forecast period: ds, series, yhat, yhat_lower, yhat_upper (cents,
80% interval) and the series' backtest metrics (wape, mape, mase, rel_mae, coverage, beats_naive, baseline)
repeated on each of its rows, so the CSV stays one flat table.
"""

from __future__ import annotations

import argparse
import sys

import pandas as pd

from salesops import config, export, store
from salesops.cli import common as cli
from salesops.forecasts.history import BY
from salesops.forecasts.model import NotEnoughHistory, default_horizon
from salesops.forecasts.series import SeriesForecast
from salesops.forecasts.service import SeriesFailure, forecast_all, forecast_series

COLUMNS = [
    "ds",
    "series",
    "yhat",
    "yhat_lower",
    "yhat_upper",
    "wape",
    "mape",
    "mase",
    "rel_mae",
    "coverage",
    "beats_naive",
    "baseline",
]


def register(subs) -> None:
    p = subs.add_parser(
        "forecast",
        help="Prophet forecast of won revenue with its backtested track record",
        description="Forecast won revenue (cents; 80%% interval) per series, with backtest metrics.",
    )
    p.add_argument("--by", choices=BY, default="company", help="one series for the company, or one per region / team")
    p.add_argument("--grain", choices=("week", "month"), default="week", help="forecast period (default week)")
    p.add_argument(
        "--horizon",
        type=int,
        default=None,
        help="periods ahead, from the current one (default: to the end of next quarter)",
    )
    p.add_argument("--series", metavar="ID", help="only this region name / team id (default: all of --by)")
    p.add_argument("--country", metavar="CODE", help="model this country's holidays (e.g. US, GB, DE)")
    cli.add_db_option(p)
    cli.add_output_options(p)
    p.set_defaults(func=run_forecast)


def _rows(result) -> pd.DataFrame:
    acc = result.accuracy
    frame = result.forecast.copy()
    for col in ("yhat", "yhat_lower", "yhat_upper"):
        frame[col] = frame[col].round().astype("int64")
    return frame.assign(
        series=result.series or "company",
        wape=acc.wape,
        mape=acc.mape,
        mase=acc.mase,
        rel_mae=acc.rel_mae,
        coverage=acc.coverage,
        beats_naive=acc.beats_naive,
        baseline=acc.baseline,
    )[COLUMNS]


def run_forecast(args: argparse.Namespace) -> int:
    engine = store.open_store(args.db)
    today = config.today()
    horizon = args.horizon or default_horizon(today, args.grain)
    if args.series or args.by == "company":
        results: list[SeriesForecast | SeriesFailure] = [
            forecast_series(engine, args.by, args.series, args.grain, horizon, args.country, today)
        ]
    else:
        results = list(forecast_all(engine, args.by, args.grain, horizon, args.country, today))
    fitted = [r for r in results if not isinstance(r, SeriesFailure)]
    for r in results:
        if isinstance(r, SeriesFailure):
            print(f"note: {r.label}: {r.message}", file=sys.stderr)
    if not fitted:
        raise NotEnoughHistory(
            f"No {args.by} series has enough history to forecast.",
            "Load more data (python -m salesops demo builds three years) or use --grain month.",
        )
    frame = pd.concat([_rows(r) for r in fitted], ignore_index=True)
    sys.stdout.write(export.render(frame, args.format))
    if args.format == "json":
        sys.stdout.write("\n")
    return 0

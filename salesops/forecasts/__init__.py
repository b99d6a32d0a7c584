"""Forecasting: Prophet per series, the backtest, the cache and worker pool, targets (docs/FORECASTS.md)."""

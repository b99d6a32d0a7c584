"""Comparison: fair rankings, cohorts, movers, flags and why a rep is behind (docs/LEADERBOARDS.md).

- :mod:`~salesops.leaderboards.metrics` — the rankable metrics, composite weights, derived ratios;
- :mod:`~salesops.leaderboards.queries` — the board's SQL (current/previous sums, trend sums);
- :mod:`~salesops.leaderboards.data` — :func:`load_board_data`: one scope's sums per rep and team;
- :mod:`~salesops.leaderboards.ranking` — :func:`rank_board`, :func:`board`, side by side;
- :mod:`~salesops.leaderboards.movers`, :mod:`~salesops.leaderboards.cohorts`,
  :mod:`~salesops.leaderboards.flags` — ranks and movement, tenure cohorts, top/under performers;
- :mod:`~salesops.leaderboards.diagnosis` — why a rep is behind.
"""

from salesops.leaderboards.cohorts import COHORTS, ROLES, cohort_of
from salesops.leaderboards.data import BoardData, load_board_data, load_rep_trend
from salesops.leaderboards.flags import (
    CONFIDENCES,
    FLAG_LINES,
    FLAG_RULE,
    MIN_CLOSED_DEALS,
    flag_lines,
    performers,
    wilson_interval,
)
from salesops.leaderboards.metrics import (
    COMPARE_METRICS,
    COMPONENTS,
    DEFAULT_METRIC,
    DEFAULT_WEIGHTS,
    METRICS,
    TREND_PERIODS,
    TREND_PERIODS_BY_GRAIN,
    Metric,
    check_metric,
    check_weights,
    derive,
    parse_weights,
    trend_metrics,
)
from salesops.leaderboards.movers import competition_rank, movements
from salesops.leaderboards.queries import trend_periods
from salesops.leaderboards.ranking import (
    board,
    compare_reps,
    composite_score,
    named_reps,
    percentile_rank,
    rank_board,
)

__all__ = [
    "COHORTS",
    "COMPARE_METRICS",
    "COMPONENTS",
    "CONFIDENCES",
    "DEFAULT_METRIC",
    "DEFAULT_WEIGHTS",
    "FLAG_LINES",
    "FLAG_RULE",
    "METRICS",
    "MIN_CLOSED_DEALS",
    "ROLES",
    "TREND_PERIODS",
    "TREND_PERIODS_BY_GRAIN",
    "BoardData",
    "Metric",
    "board",
    "check_metric",
    "check_weights",
    "cohort_of",
    "compare_reps",
    "named_reps",
    "competition_rank",
    "composite_score",
    "derive",
    "flag_lines",
    "load_board_data",
    "load_rep_trend",
    "movements",
    "parse_weights",
    "percentile_rank",
    "performers",
    "rank_board",
    "trend_metrics",
    "trend_periods",
    "wilson_interval",
]

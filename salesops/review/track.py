"""The outlook's track record, measured on the stored snapshots of quarters that have ended.

For every stored row of a level whose quarter is over: did the final won of that quarter fall in
the row's P10–P90 range, how far was the P50 from it, and how often was quota reached against the
chance the row gave. Shown beside the figures, so a range on screen says how often it held.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from salesops.store.engine import fetch_frame


@dataclass(frozen=True)
class TrackRecord:
    """``weeks`` stored rows of ``quarters`` finished quarters; rates 0..1 (None without rows)."""

    level: str
    weeks: int
    quarters: int
    coverage: float | None  # share of rows whose P10–P90 held the final result
    mean_abs_error: float | None  # mean |P50 − final| ÷ final
    chance_said: float | None  # mean chance of quota given (rows with quota)
    quota_hit: float | None  # share of those rows whose quarter reached quota


_SQL = """
WITH fin AS (
    SELECT s.p10_cents, s.p50_cents, s.p90_cents, s.chance_of_quota, s.quota_cents, s.period_start,
           (SELECT COALESCE(SUM(d.amount_cents), 0) FROM deals d
            WHERE d.outcome = 'won' AND d.close_date BETWEEN s.period_start AND s.period_end
              AND (s.level = 'company'
                   OR (s.level = 'team' AND d.team_id = s.entity_id)
                   OR (s.level = 'rep' AND d.rep_id = s.entity_id)
                   OR (s.level = 'region' AND d.team_id IN (SELECT team_id FROM teams WHERE region = s.entity_id)))
           ) AS final
    FROM review_snapshots s
    WHERE s.level = :level AND s.period_end < :today AND s.p50_cents IS NOT NULL
)
SELECT COUNT(*) AS weeks, COUNT(DISTINCT period_start) AS quarters,
       AVG(CASE WHEN final BETWEEN p10_cents AND p90_cents THEN 1.0 ELSE 0.0 END) AS coverage,
       AVG(CASE WHEN final > 0 THEN ABS(p50_cents - final) * 1.0 / final END) AS mean_abs_error,
       AVG(CASE WHEN quota_cents > 0 THEN chance_of_quota END) AS chance_said,
       AVG(CASE WHEN quota_cents > 0 THEN CASE WHEN final >= quota_cents THEN 1.0 ELSE 0.0 END END) AS quota_hit
FROM fin
"""


def track_record(engine: Engine, level: str, today: date) -> TrackRecord:
    """The track record of every stored row of ``level`` whose quarter ended before ``today``."""
    row = fetch_frame(engine, sa.text(_SQL), {"level": level, "today": today}).iloc[0]

    def rate(v) -> float | None:
        return None if v is None or v != v else float(v)  # noqa: PLR0124 - v != v is the NaN test

    return TrackRecord(
        level=level,
        weeks=int(row["weeks"]),
        quarters=int(row["quarters"]),
        coverage=rate(row["coverage"]),
        mean_abs_error=rate(row["mean_abs_error"]),
        chance_said=rate(row["chance_said"]),
        quota_hit=rate(row["quota_hit"]),
    )

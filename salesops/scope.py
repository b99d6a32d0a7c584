"""The filtered scope every page and CLI command works on, and period arithmetic.

A :class:`Scope` is a date range, a grain (week/month/quarter/year), and optionally a region and a
team. Conventions (docs/METRICS.md):

* ``start``/``end`` are inclusive dates. Events (won deals, activities …) count when their date is
  inside the range.
* Quota for a scope is the quota of the *whole* grain periods the range touches
  (:meth:`Scope.quota_start`/:meth:`Scope.quota_end`), so quarter-to-date is measured against the
  full quarter's quota and pacing says whether that is on track.
* The previous period is the same range shifted back by one grain period; "last year" shifts it
  back twelve months. Quarter-to-date is thus compared with the previous quarter to the same day.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import TYPE_CHECKING

import pandas as pd

from salesops.errors import InvalidFilter

if TYPE_CHECKING:
    from salesops.access import Viewer

GRAINS = ("week", "month", "quarter", "year")

_MONTHS = {"month": 1, "quarter": 3, "year": 12}


def period_start(day: date, grain: str) -> date:
    """First day of the grain period containing ``day`` (weeks start on Monday)."""
    check_grain(grain)
    if grain == "week":
        return day - timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    if grain == "quarter":
        return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return date(day.year, 1, 1)


def period_end(day: date, grain: str) -> date:
    """Last day of the grain period containing ``day``."""
    start = period_start(day, grain)
    return shift(start, grain, 1) - timedelta(days=1)


def shift(day: date, grain: str, n: int) -> date:
    """``day`` moved by ``n`` grain periods (month arithmetic clamps to the month's end)."""
    check_grain(grain)
    if grain == "week":
        return day + timedelta(weeks=n)
    return (pd.Timestamp(day) + pd.DateOffset(months=_MONTHS[grain] * n)).date()


def check_grain(grain: str) -> str:
    if grain not in GRAINS:
        raise InvalidFilter(f"Unknown period grain {grain!r}.", f"Use one of: {', '.join(GRAINS)}.")
    return grain


def period_label(start: date, grain: str) -> str:
    """Human label of the period starting at ``start``: 2026-W48, Nov 2026, 2026-Q4, 2026."""
    if grain == "week":
        iso = start.isocalendar()
        return f"{iso.year}-W{iso.week:02d}"
    if grain == "month":
        return start.strftime("%b %Y")
    if grain == "quarter":
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    return str(start.year)


@dataclass(frozen=True)
class Scope:
    """What to look at: an inclusive date range, a grain, an optional region and team, and who looks.

    ``viewer`` (a :class:`salesops.access.Viewer`, None = no restriction) travels with the scope
    into every query: :func:`salesops.store.sql.scope_filter` adds the viewer's row restriction to
    the region/team one, and ``previous()``/``last_year()`` keep it.
    """

    start: date
    end: date
    grain: str = "quarter"
    region: str | None = None
    team_id: str | None = None
    viewer: Viewer | None = None

    def __post_init__(self) -> None:
        check_grain(self.grain)
        if self.end < self.start:
            raise InvalidFilter(
                f"The date range ends ({self.end}) before it starts ({self.start}).",
                "Pick an end date on or after the start date.",
            )

    @classmethod
    def current(cls, today: date, grain: str = "quarter", **kw) -> Scope:
        """The grain period containing ``today``, to date."""
        return cls(start=period_start(today, grain), end=today, grain=grain, **kw)

    @property
    def quota_start(self) -> date:
        return period_start(self.start, self.grain)

    @property
    def quota_end(self) -> date:
        return period_end(self.end, self.grain)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Scope:
        """The same range one grain period earlier (a whole period maps to the whole previous one)."""
        end = shift(self.end, self.grain, -1)
        if self.end == period_end(self.end, self.grain):
            end = period_end(end, self.grain)  # 30 Jun -> 31 Mar, not 30 Mar
        return replace(self, start=shift(self.start, self.grain, -1), end=end)

    def last_year(self) -> Scope:
        """The same range twelve months earlier (a range ending on a month's last day keeps doing so)."""
        end = (pd.Timestamp(self.end) - pd.DateOffset(years=1)).date()
        if self.end == period_end(self.end, "month"):
            end = period_end(end, "month")  # 29 Feb 2028 -> 28 Feb 2027, 28 Feb 2029 -> 29 Feb 2028
        return replace(self, start=(pd.Timestamp(self.start) - pd.DateOffset(years=1)).date(), end=end)

    def elapsed_share(self, today: date) -> float:
        """Share of the quota window elapsed at ``today`` (0..1), for pacing."""
        total = (self.quota_end - self.quota_start).days + 1
        done = (min(max(today, self.quota_start - timedelta(days=1)), self.quota_end) - self.quota_start).days + 1
        return max(0.0, min(1.0, done / total))

    def elapsed_days(self, today: date) -> tuple[int, int]:
        """(days elapsed at ``today``, days in the quota window): (1, 31) on the first day of a month."""
        total = (self.quota_end - self.quota_start).days + 1
        done = (min(max(today, self.quota_start - timedelta(days=1)), self.quota_end) - self.quota_start).days + 1
        return max(0, min(done, total)), total

    def is_partial(self, today: date) -> bool:
        """True while the quota window is not over at ``today``."""
        done, total = self.elapsed_days(today)
        return done < total

    def periods(self) -> list[tuple[date, date]]:
        """The grain periods overlapping the range, as (start, end) pairs."""
        out = []
        p = period_start(self.start, self.grain)
        while p <= self.end:
            nxt = shift(p, self.grain, 1)
            out.append((p, nxt - timedelta(days=1)))
            p = nxt
        return out

    def label(self) -> str:
        where = self.team_id or self.region or "All teams"
        return f"{where}, {self.start:%d %b %Y} – {self.end:%d %b %Y}"

"""A window of days as signed pieces of the rollups' levels: whole years and quarters (the period
tables of :mod:`salesops.store.grain_tables`), whole months (the month tables), days (the day tables).

:func:`signed_cover` picks the fewest rows: a period cut at the window's edge is read whole less its
days outside where that reads fewer rows (a quarter to date: the quarter less December and the days
still to come). :mod:`salesops.store.period_tables` turns the pieces into SQL over the tables.
"""

from __future__ import annotations

import functools
from datetime import date, timedelta

from salesops.scope import period_start

#: The levels a window is read at, coarsest first: the stored years and quarters
#: (:mod:`salesops.store.grain_tables`), the month tables, the day tables.
LEVELS = ("year", "quarter", "month", "day")
#: (sign, level, first, last): the rows of one level's table from ``first`` to ``last`` (period
#: starts for a year, quarter or month; days for a day), added (1) or taken away (-1).
Piece = tuple[int, str, date, date]


def _cost(pieces: list[Piece]) -> int:
    """Rows read per rep and team, about: one per period of a year, quarter or month piece, one per day."""
    return sum((hi - lo).days + 1 if level == "day" else _periods(level, lo, hi) for _, level, lo, hi in pieces)


def _periods(level: str, lo: date, hi: date) -> int:
    months = (hi.year - lo.year) * 12 + hi.month - lo.month
    return months // _MONTHS[level] + 1


_MONTHS = {"year": 12, "quarter": 3, "month": 1}


def _moved(first: date, level: str, n: int) -> date:
    """The first day of the ``level`` period ``n`` periods after the one starting ``first`` (date
    arithmetic: scope.shift's pandas offsets cost a tenth of a millisecond per call)."""
    months = first.year * 12 + first.month - 1 + n * _MONTHS[level]
    return date(months // 12, months % 12 + 1, 1)


def next_unit(level: str, unit: date) -> date:
    return unit + timedelta(days=1) if level == "day" else _moved(unit, level, 1)


def units_of(level: str, lo: date, hi: date) -> list[date]:
    """The periods' first days (the days, for a day piece) of the piece ``level`` [lo, hi]."""
    out = [lo]
    while out[-1] < hi:
        out.append(next_unit(level, out[-1]))
    return out


def _negated(pieces: list[Piece]) -> list[Piece]:
    return [(-sign, level, lo, hi) for sign, level, lo, hi in pieces]


def _cover(start: date, end: date, at: int) -> list[Piece]:
    """The fewest rows (:func:`_cost`) that sum to the days [start, end], at levels from LEVELS[at] down."""
    if start > end:
        return []
    level = LEVELS[at]
    if level == "day":
        return [(1, "day", start, end)]
    first, last = period_start(start, level), period_start(end, level)
    last_end = _moved(last, level, 1) - timedelta(days=1)
    finer = lambda lo, hi: _cover(lo, hi, at + 1)  # noqa: E731 - a local shorthand
    if first == last:  # inside one period: its days, or the whole period less the days outside
        inside = finer(start, end)
        whole = [(1, level, first, first), *_negated(finer(first, start - timedelta(days=1)))]
        whole += _negated(finer(end + timedelta(days=1), last_end))
        return whole if _cost(whole) <= _cost(inside) else inside  # a tie reads the coarser rows
    pieces: list[Piece] = []
    lo, hi = first, last  # the periods read whole
    if start > first:  # the first period is cut: its days inside, or the period less those before
        inside, before = (
            finer(start, _moved(first, level, 1) - timedelta(days=1)),
            finer(first, start - timedelta(days=1)),
        )
        if 1 + _cost(before) <= _cost(inside):
            pieces += _negated(before)
        else:
            pieces += inside
            lo = _moved(first, level, 1)
    if end < last_end:  # the last period is cut
        inside, after = finer(last, end), finer(end + timedelta(days=1), last_end)
        if 1 + _cost(after) <= _cost(inside):
            pieces += _negated(after)
        else:
            pieces += inside
            hi = _moved(last, level, -1)
    if lo <= hi:
        pieces.append((1, level, lo, hi))
    return pieces


@functools.lru_cache(maxsize=256)
def signed_cover(start: date, end: date, top: str = "year") -> tuple[Piece, ...]:
    """The days [start, end] as signed pieces of the rollups' levels from ``top`` down (a grain of
    week: days alone): whole years and quarters from the period tables, whole months from the month
    tables, days from the day tables, a cut period read whole less its days outside where that reads
    fewer rows (a quarter to date: the quarter less the days still to come, usually none). Per rep
    and team, the pieces' rows summed with their signs are the day table's sums over [start, end];
    no piece straddles a ``top`` period. In level and date order."""
    pieces = [(1, "day", start, end)] if top == "week" else _cover(start, end, LEVELS.index(top))
    return tuple(sorted(pieces, key=lambda p: (LEVELS.index(p[1]), p[2], p[3], p[0])))

"""What the outlook learns from: past periods seen from the same point in the period, known as of a date.

For an outlook of period ``P`` made on ``A``, every earlier period ``P'`` of the same kind that
had ended by ``A`` gives one training snapshot, taken at the same point of ``P'``
(:func:`snapshot_date`): the pipeline open then (:func:`salesops.forecasts.asof.open_pipeline_asof`) with,
for each deal, whether it was won inside ``P'``; and the run-rate of ``P'``: revenue won inside
``P'`` from deals created after the snapshot. Only outcomes known on ``A`` are used (``P'`` ended
by ``A``), so a backtest made of these sees no future.

:class:`History` reads all of it as aggregates in the database (won revenue per team and rep over a
date range) or a slice of deals at a time (the open pipeline), and keeps only each past snapshot's
labelled counts, so a backtest that makes many outlooks reads each snapshot once and the memory it
needs does not grow with the number of deals (issue #21: at 10M deals the whole-deal version held 17 GB).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from salesops import store
from salesops.errors import InvalidFilter
from salesops.forecasts.asof import open_cells, open_pipeline_chunks
from salesops.forecasts.winprob import age_bucket
from salesops.scope import period_end, period_label, period_start, shift

#: Period kinds an outlook is made for.
KINDS = ("quarter", "month")
#: Past periods (at most) an outlook learns from.
TRAIN_PERIODS = {"quarter": 8, "month": 12}

_OUTCOMES_SQL = sa.text(
    "SELECT deal_id, rep_id, team_id, outcome, amount_cents, created_date, close_date FROM deals WHERE outcome = 'won'"
)
_HAS_WON_SQL = sa.text("SELECT 1 FROM deals WHERE outcome = 'won' LIMIT 1")
_WON_MONTHS_SQL = sa.text(
    "SELECT team_id, rep_id, CAST(date_trunc('month', close_date) AS DATE) AS month, "
    "CAST(SUM(COALESCE(amount_cents, 0)) AS BIGINT) AS cents FROM deals "
    "WHERE outcome = 'won' AND close_date IS NOT NULL "
    "GROUP BY team_id, rep_id, CAST(date_trunc('month', close_date) AS DATE) ORDER BY month, team_id, rep_id"
)
_WON_CELLS_SQL = sa.text(
    "SELECT team_id, rep_id, CAST(SUM(COALESCE(amount_cents, 0)) AS BIGINT) AS cents FROM deals "
    "WHERE outcome = 'won' AND close_date >= :lo AND close_date <= :hi GROUP BY team_id, rep_id"
)
#: Snapshots' labelled counts kept by a History (see History.snapshot_groups).
GROUPS_KEPT = 40
#: What a snapshot's deals are counted by for the win model (winprob reads nothing finer).
GROUP_KEYS = ["team_id", "rep_id", "in_period", "stage", "age"]


def parse_period(text: str) -> tuple[str, date, date]:
    """'2026-Q4' → ('quarter', 2026-10-01, 2026-12-31); '2026-11' → ('month', 2026-11-01, 2026-11-30)."""
    value = str(text).strip().upper()
    try:
        if "-Q" in value:
            year, q = value.split("-Q")
            if not 1 <= int(q) <= 4:
                raise ValueError(q)
            start = date(int(year), 3 * (int(q) - 1) + 1, 1)
            return "quarter", start, period_end(start, "quarter")
        year, month = value.split("-")
        start = date(int(year), int(month), 1)
        return "month", start, period_end(start, "month")
    except ValueError:
        raise InvalidFilter(
            f"Cannot read the period {text!r}.",
            "Write a quarter as 2026-Q4 or a month as 2026-11.",
        ) from None


def label_of(kind: str, start: date) -> str:
    return period_label(start, kind) if kind == "quarter" else start.strftime("%Y-%m")


@dataclass
class History:
    """What the outlook learns from, read from the store as aggregates (bounded at any size).

    Won revenue per (team, rep) cell over a date range (:meth:`won_cells`, :meth:`runrate_cells`),
    the deals open on a date a slice at a time (:meth:`open_deals`), and per past snapshot the
    labelled counts the win model learns from (:meth:`snapshot_groups`, the last
    :data:`GROUPS_KEPT` kept: a backtest's outlooks reuse each past snapshot, and the month backtest
    cycles through 39 of them).
    """

    engine: Engine
    _groups: OrderedDict[tuple[date, date, date], tuple[pd.DataFrame, pd.DataFrame]] = field(
        default_factory=OrderedDict, init=False
    )

    @cached_property
    def won(self) -> pd.DataFrame:
        """Every won deal, read on first use (not bounded: one row a won deal, for bench scripts);
        the outlook, the scorecard and the model choice read aggregates (:attr:`won_months`)."""
        won = store.read_frame(self.engine, _OUTCOMES_SQL)
        if len(won):
            won["close_date"] = pd.to_datetime(won["close_date"])
            won["created_date"] = pd.to_datetime(won["created_date"])
            won["amount_cents"] = pd.to_numeric(won["amount_cents"]).fillna(0).astype("int64")
            for col in ("deal_id", "rep_id", "team_id"):
                won[col] = won[col].astype(object)
        return won

    @cached_property
    def won_months(self) -> pd.DataFrame:
        """Revenue won per (team, rep) cell and calendar month, read on first use: team_id, rep_id,
        month (the month's first day, a Timestamp), cents (int64: the won deals' amounts, a missing
        amount as 0; deals without a close date left out). One GROUP BY in the database: reps ×
        months rows however many deals (the monthly series of the model choice and the scorecard)."""
        cells = store.fetch_frame(self.engine, _WON_MONTHS_SQL)
        ids = {c: cells[c].astype(object).where(cells[c].notna(), np.nan) for c in ("team_id", "rep_id")}
        return pd.DataFrame(
            {
                **ids,  # objects, a missing id as NaN (as in :attr:`won`)
                "month": pd.to_datetime(cells["month"]),
                "cents": pd.to_numeric(cells["cents"]).astype("int64"),
            }
        )

    def won_between(self, start: date, end: date, created_after: date | None = None) -> pd.DataFrame:
        """Won deals closed in [start, end] (and created after ``created_after`` when given), from :attr:`won`."""
        w = self.won
        if len(w) == 0:
            return w
        mask = (w["close_date"] >= pd.Timestamp(start)) & (w["close_date"] <= pd.Timestamp(end))
        if created_after is not None:
            mask &= w["created_date"] > pd.Timestamp(created_after)
        return w[mask]

    def has_won(self) -> bool:
        with self.engine.connect() as conn:
            return conn.execute(_HAS_WON_SQL).first() is not None

    def won_cells(self, start: date, end: date) -> pd.DataFrame:
        """Revenue won (closed in [start, end]) per cell: team_id, rep_id, cents."""
        return store.read_frame(self.engine, _WON_CELLS_SQL, {"lo": start, "hi": end})

    def runrate_cells(self, ranges: list[tuple[date, date, date, date]]) -> pd.DataFrame:
        """Per (period, lo, hi, after) range: revenue won (closed in [lo, hi]) from deals created
        after ``after``, per cell: period, team_id, rep_id, cents. One query for all ranges."""
        if not ranges:
            return pd.DataFrame({"period": [], "team_id": [], "rep_id": [], "cents": []})
        rows = " UNION ALL ".join(
            f"SELECT CAST(:p{i} AS DATE) AS period, CAST(:lo{i} AS DATE) AS lo, CAST(:hi{i} AS DATE) AS hi, "
            f"CAST(:af{i} AS DATE) AS after_day"
            for i in range(len(ranges))
        )
        sql = sa.text(
            f"WITH r AS ({rows}) SELECT r.period, d.team_id, d.rep_id, "  # noqa: S608 - our fragments, values bound
            "CAST(SUM(COALESCE(d.amount_cents, 0)) AS BIGINT) AS cents FROM r JOIN deals d "
            "ON d.outcome = 'won' AND d.close_date >= r.lo AND d.close_date <= r.hi AND d.created_date > r.after_day "
            "GROUP BY r.period, d.team_id, d.rep_id ORDER BY r.period, d.team_id, d.rep_id"
        )
        params = {f"{k}{i}": v for i, r in enumerate(ranges) for k, v in zip(("p", "lo", "hi", "af"), r, strict=True)}
        return store.read_frame(self.engine, sql, params)

    def open_deals(self, as_of: date) -> Iterator[pd.DataFrame]:
        """The deals open on ``as_of`` as known then, a slice at a time in deal order."""
        return open_pipeline_chunks(self.engine, as_of)

    def open_cells(self, as_of: date) -> pd.DataFrame:
        return open_cells(self.engine, as_of)

    def forget(self, periods_from: date | None = None) -> None:
        """Let go of the kept snapshot counts of the periods starting on or after ``periods_from``
        (every one when None): what a backtest will not ask for again (each is read again if asked)."""
        for key in [k for k in self._groups if periods_from is None or k[1] >= periods_from]:
            del self._groups[key]

    def snapshot_groups(self, snap: date, period: date, end: date, as_of: date) -> pd.DataFrame:
        """The deals open on ``snap``, labelled for the period [period, end] and counted by
        :data:`GROUP_KEYS`: n, won_in_period (won in [max(period, snap + 1), end]) and won_later
        (won after ``end``, by ``as_of``)."""
        key = (snap, period, end)
        if key in self._groups:
            self._groups.move_to_end(key)
        else:
            self._groups[key] = count_snapshot(self.open_deals(snap), max(period, snap + timedelta(days=1)), end)
            if len(self._groups) > GROUPS_KEPT:
                self._groups.popitem(last=False)
        groups, late = self._groups[key]
        known = late["group"].to_numpy()[late["close"].to_numpy() <= np.datetime64(as_of)]
        return groups.assign(won_later=np.bincount(known, minlength=len(groups)).astype("int64"))


def count_snapshot(chunks: Iterable[pd.DataFrame], lo: date, end: date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Snapshot slices counted by :data:`GROUP_KEYS` (n, won_in_period), and the deals won after
    ``end`` as (group, close): their group's row in the counts and their close date."""
    parts, lates = [], []
    for chunk in chunks:
        won = (chunk["outcome"] == "won").to_numpy()
        close = chunk["close_date"]
        frame = pd.DataFrame(
            {
                "team_id": chunk["team_id"].to_numpy(),
                "rep_id": chunk["rep_id"].to_numpy(),
                "in_period": (chunk["expected_close"] <= pd.Timestamp(end)).to_numpy(),
                "stage": chunk["stage"].to_numpy(),
                "age": age_bucket(chunk["age_in_stage"].fillna(0)),
                "n": 1,
                "won_in_period": (won & (close >= pd.Timestamp(lo)) & (close <= pd.Timestamp(end))).to_numpy(int),
            }
        )
        parts.append(frame.groupby(GROUP_KEYS, dropna=False, sort=False)[["n", "won_in_period"]].sum().reset_index())
        later = won & (close > pd.Timestamp(end)).to_numpy()
        lates.append(frame.loc[later, GROUP_KEYS].assign(close=close[later].to_numpy()))
    if not parts:
        empty = pd.DataFrame({"group": np.zeros(0, "int64"), "close": np.zeros(0, "datetime64[ns]")})
        return pd.DataFrame(columns=[*GROUP_KEYS, "n", "won_in_period"]), empty
    groups = pd.concat(parts, ignore_index=True).groupby(GROUP_KEYS, dropna=False)[["n", "won_in_period"]].sum()
    late = pd.concat(lates, ignore_index=True)
    position = pd.Series(np.arange(len(groups)), index=groups.index)
    group = position.reindex(pd.MultiIndex.from_frame(late[GROUP_KEYS])).to_numpy() if len(late) else []
    return _compact(groups.reset_index()), pd.DataFrame({"group": np.asarray(group, "int64"), "close": late["close"]})


def _compact(groups: pd.DataFrame) -> pd.DataFrame:
    """Kept counts as categories and 32-bit integers (a snapshot of 10M deals has ~10^5 groups)."""
    cats = {c: groups[c].astype("category") for c in ("team_id", "rep_id", "stage", "age")}
    return groups.assign(**cats, n=groups["n"].astype("int32"), won_in_period=groups["won_in_period"].astype("int32"))


def snapshot_date(kind: str, start: date, as_of: date, period: date) -> date:
    """The day of ``period`` at the same point as ``as_of`` is in the period starting ``start``.

    Calendar arithmetic (a month end maps to a month end, so the backtest's month-end points line
    up across quarters), capped at the period's end; ``as_of`` before ``start`` maps to the same
    number of days before ``period``.
    """
    if as_of < start:
        return period - (start - as_of)
    months = (start.year - period.year) * 12 + start.month - period.month
    shifted = (pd.Timestamp(as_of) - pd.DateOffset(months=months)).date()
    if (as_of + timedelta(days=1)).day == 1:  # a month end stays a month end
        shifted = period_end(shifted, "month")
    return min(shifted, period_end(period, kind))


def past_periods(kind: str, start: date, as_of: date, count: int | None = None) -> list[date]:
    """Starts of the periods before ``start`` that had ended by ``as_of``, latest first."""
    out: list[date] = []
    p = shift(start, kind, -1)
    limit = count or TRAIN_PERIODS[kind]
    while len(out) < limit and p >= date(1990, 1, 1):
        if period_end(p, kind) <= as_of:
            out.append(p)
        p = shift(p, kind, -1)
    return out


def training_rows(hist: History, kind: str, start: date, as_of: date) -> pd.DataFrame:
    """Snapshot deals of past periods, labelled and counted: :data:`GROUP_KEYS` + period, n (deals),
    won_in_period and won_later (won after the period ended, by ``as_of``)."""
    parts = []
    for p in past_periods(kind, start, as_of):
        s, end = snapshot_date(kind, start, as_of, p), period_end(p, kind)
        groups = hist.snapshot_groups(s, p, end, as_of)
        if len(groups):
            parts.append(groups.assign(period=p))
    if not parts:
        return pd.DataFrame()
    rows = pd.concat(parts, ignore_index=True)
    cats = {c: rows[c].astype(object) for c in ("team_id", "rep_id", "stage", "age")}  # as one row a deal has them
    return rows.assign(**cats)


def runrate_history(hist: History, kind: str, start: date, as_of: date, count: int | None = None) -> pd.DataFrame:
    """Per past period and (team, rep): revenue won inside it from deals created after its snapshot.

    Columns: period, team_id, rep_id, cents; every past period appears (zero rows keep their place
    through an all-periods index in the caller).
    """
    ranges = []
    for p in past_periods(kind, start, as_of, count):
        s = snapshot_date(kind, start, as_of, p)
        ranges.append((p, max(p, s + timedelta(days=1)), period_end(p, kind), s))
    return hist.runrate_cells(ranges)[["period", "team_id", "rep_id", "cents"]]


def period_of(day: date, kind: str) -> date:
    return period_start(day, kind)

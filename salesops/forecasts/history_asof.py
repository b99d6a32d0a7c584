"""What the outlook learns from: past periods seen from the same point in the period, known as of a date.

For an outlook of period ``P`` made on ``A``, every earlier period ``P'`` of the same kind that
had ended by ``A`` gives one training snapshot, taken at the same point of ``P'``
(:func:`snapshot_date`): the pipeline open then (:func:`salesops.forecasts.asof.open_pipeline_asof`) with,
for each deal, whether it was won inside ``P'``; and the run-rate of ``P'``: revenue won inside
``P'`` from deals created after the snapshot. Only outcomes known on ``A`` are used (``P'`` ended
by ``A``), so a backtest made of these sees no future.

:class:`History` keeps the store's deal outcomes and a per-date snapshot cache, so a backtest that
makes many outlooks rebuilds each snapshot once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from salesops import store
from salesops.errors import InvalidFilter
from salesops.forecasts.asof import open_pipeline_asof
from salesops.scope import period_end, period_label, period_start, shift

#: Period kinds an outlook is made for.
KINDS = ("quarter", "month")
#: Past periods (at most) an outlook learns from.
TRAIN_PERIODS = {"quarter": 8, "month": 12}

_OUTCOMES_SQL = sa.text(
    "SELECT deal_id, rep_id, team_id, outcome, amount_cents, created_date, close_date FROM deals WHERE outcome = 'won'"
)


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
    """The store's won deals (to label snapshots) and a cache of as-of snapshots by date."""

    engine: Engine
    won: pd.DataFrame = field(init=False)
    _snapshots: dict[date, pd.DataFrame] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        won = store.read_frame(self.engine, _OUTCOMES_SQL)
        if len(won):
            won["close_date"] = pd.to_datetime(won["close_date"])
            won["created_date"] = pd.to_datetime(won["created_date"])
            won["amount_cents"] = pd.to_numeric(won["amount_cents"]).fillna(0).astype("int64")
            for col in ("deal_id", "rep_id", "team_id"):
                won[col] = won[col].astype(object)
        self.won = won

    def snapshot(self, as_of: date) -> pd.DataFrame:
        if as_of not in self._snapshots:
            self._snapshots[as_of] = open_pipeline_asof(self.engine, as_of)
        return self._snapshots[as_of]

    def won_between(self, start: date, end: date, created_after: date | None = None) -> pd.DataFrame:
        """Won deals closed in [start, end] (and created after ``created_after`` when given)."""
        w = self.won
        if len(w) == 0:
            return w
        mask = (w["close_date"] >= pd.Timestamp(start)) & (w["close_date"] <= pd.Timestamp(end))
        if created_after is not None:
            mask &= w["created_date"] > pd.Timestamp(created_after)
        return w[mask]


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
    """Snapshot deals of past periods, labelled: the snapshot columns + period, in_period,
    won_in_period and won_later (won after the period ended, by ``as_of``)."""
    parts = []
    for p in past_periods(kind, start, as_of):
        s, end = snapshot_date(kind, start, as_of, p), period_end(p, kind)
        snap = hist.snapshot(s)
        if len(snap) == 0:
            continue
        won_ids = hist.won_between(max(p, s + timedelta(days=1)), end)["deal_id"].to_numpy()
        later_ids = hist.won_between(end + timedelta(days=1), as_of)["deal_id"].to_numpy()
        part = snap.assign(
            period=p,
            in_period=(snap["expected_close"] <= pd.Timestamp(end)).to_numpy(),
            won_in_period=snap["deal_id"].isin(won_ids).to_numpy(),
            won_later=snap["deal_id"].isin(later_ids).to_numpy(),
        )
        parts.append(part)
    if not parts:
        return pd.DataFrame()
    return pd.concat(parts, ignore_index=True)


def runrate_history(hist: History, kind: str, start: date, as_of: date, count: int | None = None) -> pd.DataFrame:
    """Per past period and (team, rep): revenue won inside it from deals created after its snapshot.

    Columns: period, team_id, rep_id, cents; every past period appears (zero rows keep their place
    through an all-periods index in the caller).
    """
    rows = []
    for p in past_periods(kind, start, as_of, count):
        s = snapshot_date(kind, start, as_of, p)
        won = hist.won_between(max(p, s + timedelta(days=1)), period_end(p, kind), created_after=s)
        if len(won):
            g = won.groupby(["team_id", "rep_id"], dropna=False)["amount_cents"].sum().reset_index()
            rows.append(g.assign(period=p))
    if not rows:
        return pd.DataFrame({"period": [], "team_id": [], "rep_id": [], "cents": []})
    out = pd.concat(rows, ignore_index=True).rename(columns={"amount_cents": "cents"})
    return out[["period", "team_id", "rep_id", "cents"]]


def period_of(day: date, kind: str) -> date:
    return period_start(day, kind)

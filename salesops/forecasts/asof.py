"""The open pipeline as it was known on a past date, rebuilt from ``deals``, ``deal_stage_history``
and ``deal_changes`` (docs/FORECASTS.md, "As of a past date").

On an as-of date ``A`` a deal is in the pipeline when it was created by ``A`` and not closed by
``A`` (still open, or won/lost after ``A``). What was known of it on ``A``:

* **stage**: the last stage-history row entered on or before ``A`` (a deal with no such row keeps
  its current stage while it is still open, else ``Unknown``); **age in stage**: days from that
  row's ``entered_at`` to ``A``;
* **amount** and **expected close**: the current value, unless a ``deal_changes`` row dated after
  ``A`` changed it: then the ``old_value`` of the first such change (what the CRM said on ``A``);
* nothing that happened after ``A`` (the deal's outcome, its later stages) is in the result.

One SQL statement (standard window functions, runs on DuckDB and PostgreSQL); the change values are
text in the store, parsed here, and a value that does not parse falls back to the current one.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from salesops import store

UNKNOWN_STAGE = "Unknown"

ASOF_COLUMNS = [
    "deal_id",
    "rep_id",
    "team_id",
    "region",
    "stage",
    "stage_entered",
    "age_in_stage",
    "amount_cents",
    "expected_close",
    "created_date",
]

_SQL = sa.text(
    """
    WITH d AS (
        SELECT deal_id, rep_id, team_id, stage, outcome, amount_cents, close_date, created_date
        FROM deals
        WHERE created_date <= :as_of AND (outcome = 'open' OR close_date > :as_of)
    ),
    st AS (
        SELECT h.deal_id, h.stage, h.entered_at,
               ROW_NUMBER() OVER (PARTITION BY h.deal_id ORDER BY h.entered_at DESC, h.stage DESC) AS rn
        FROM deal_stage_history h JOIN d ON d.deal_id = h.deal_id
        WHERE h.entered_at <= :as_of
    ),
    ch AS (
        SELECT c.deal_id, c.field, c.old_value,
               ROW_NUMBER() OVER (PARTITION BY c.deal_id, c.field ORDER BY c.changed_at, c.old_value) AS rn
        FROM deal_changes c JOIN d ON d.deal_id = c.deal_id
        WHERE c.changed_at > :as_of AND c.field IN ('close_date', 'amount_cents')
    )
    SELECT d.deal_id, d.rep_id, d.team_id, t.region, d.outcome,
           COALESCE(st.stage, CASE WHEN d.outcome = 'open' THEN d.stage ELSE :unknown END) AS stage,
           COALESCE(st.entered_at, d.created_date) AS stage_entered,
           d.amount_cents, d.close_date, d.created_date,
           cc.deal_id IS NOT NULL AS close_changed, cc.old_value AS close_then,
           ca.deal_id IS NOT NULL AS amount_changed, ca.old_value AS amount_then
    FROM d
    LEFT JOIN teams t ON t.team_id = d.team_id
    LEFT JOIN st ON st.deal_id = d.deal_id AND st.rn = 1
    LEFT JOIN ch cc ON cc.deal_id = d.deal_id AND cc.field = 'close_date' AND cc.rn = 1
    LEFT JOIN ch ca ON ca.deal_id = d.deal_id AND ca.field = 'amount_cents' AND ca.rn = 1
    ORDER BY d.deal_id
    """
)


_CELLS_SQL = sa.text(
    "SELECT DISTINCT team_id, rep_id FROM deals "
    "WHERE created_date <= :as_of AND (outcome = 'open' OR close_date > :as_of)"
)
#: Deals per slice read by :func:`open_pipeline_chunks`.
CHUNK_ROWS = 20_000


def _stamps(values: pd.Series) -> pd.Series:
    """datetime64 (NaT when missing or unreadable) from dates, timestamps or ISO text."""
    return pd.to_datetime(values.astype(object), errors="coerce")


def open_pipeline_asof(engine: Engine, as_of: date) -> pd.DataFrame:
    """The deals open on ``as_of`` as known then (columns :data:`ASOF_COLUMNS`; dates as datetime64).

    ``amount_cents`` is nullable (amount unknown); ``expected_close`` may be before ``as_of`` (an
    overdue deal) or missing; ``region`` is missing for a deal whose team is not in ``teams``.
    Every deal at once: :func:`open_pipeline_chunks` reads them a slice at a time.
    """
    raw = store.read_frame(engine, _SQL, {"as_of": as_of, "unknown": UNKNOWN_STAGE})
    return known_then(raw, as_of)[ASOF_COLUMNS]


def open_pipeline_chunks(engine: Engine, as_of: date, rows: int = CHUNK_ROWS) -> Iterator[pd.DataFrame]:
    """:func:`open_pipeline_asof` in slices of at most ``rows`` deals, in deal order, each with two more
    columns for labelling: ``outcome`` and ``close_date`` (today's, datetime64)."""
    with engine.connect() as conn:
        result = conn.execute(_SQL, {"as_of": as_of, "unknown": UNKNOWN_STAGE})
        keys = list(result.keys())
        while batch := result.fetchmany(rows):
            raw = pd.DataFrame([tuple(r) for r in batch], columns=keys)
            yield known_then(raw, as_of)


def known_then(raw: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """The rows of :data:`_SQL` as known on ``as_of``: :data:`ASOF_COLUMNS` + outcome, close_date.

    Row by row (no value depends on another row), so slices give the same values as the whole.
    """
    if len(raw) == 0:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in [*ASOF_COLUMNS, "outcome", "close_date"]})
    close_now = _stamps(raw["close_date"])
    close_then = _stamps(raw["close_then"])
    changed = raw["close_changed"].astype(bool) & close_then.notna()
    amount_then = pd.to_numeric(raw["amount_then"], errors="coerce")
    amount_now = pd.to_numeric(raw["amount_cents"], errors="coerce")
    amount_changed = raw["amount_changed"].astype(bool) & (amount_then.notna() | raw["amount_then"].isna())
    entered = _stamps(raw["stage_entered"])
    return pd.DataFrame(
        {
            "deal_id": raw["deal_id"].astype(str).astype(object),
            "rep_id": raw["rep_id"].astype(str).astype(object),
            "team_id": raw["team_id"].astype(object),
            "region": raw["region"].astype(object),
            "stage": raw["stage"].astype(str).astype(object),
            "stage_entered": entered,
            "age_in_stage": (pd.Timestamp(as_of) - entered).dt.days.fillna(0).astype(int),
            "amount_cents": amount_then.where(amount_changed, amount_now).round().astype("Int64"),
            "expected_close": close_then.where(changed, close_now),
            "created_date": _stamps(raw["created_date"]),
            "outcome": raw["outcome"].astype(object),
            "close_date": close_now,
        }
    )


def open_cells(engine: Engine, as_of: date) -> pd.DataFrame:
    """The (team_id, rep_id) pairs of the deals open on ``as_of`` (the cells a simulation draws into)."""
    cells = store.read_frame(engine, _CELLS_SQL, {"as_of": as_of})
    if len(cells):  # as the snapshot has them (see known_then)
        cells["rep_id"] = cells["rep_id"].astype(str).astype(object)
    return cells

"""An activities import writes the same rows into a table without its key as into one with it (#21).

The DuckDB demo build makes ``activities`` without its primary key (``salesops.demo.build._KEY_BY_QUERY``);
a store built before keeps it. ``merge_stage`` upserts on the key where the table has one, else
updates the changed rows and inserts the new ones: the same rows, counts, log and rollup either way.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from salesops import ingest, store
from salesops.demo.build import _recreate_without_key
from salesops.errors import DuplicateKey
from salesops.ingest.write import has_key, upsert
from salesops.store import schema

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
ANA, BEN, CHLOE = "005Hs00000AnaAlIAA", "005Hs00000BenBrIAA", "005Hs00000ChlDuIAA"
WEST, PARIS = "west-enterprise", "paris-smb"
COLUMNS = ["activity_id", "rep_id", "type", "occurred_at"]


@pytest.fixture(params=["keyed", "keyless"])
def shaped(request, empty_engine):
    """An empty store with the three reps of tests/fixtures/reps.csv (Ana and Ben in west-enterprise,
    Chloé in paris-smb) whose activities table has its key (as a new store) or not (as the DuckDB build makes it)."""
    ingest.import_file(empty_engine, "reps", FIXTURES / "reps.csv")
    if request.param == "keyless":
        store.write(empty_engine, lambda conn: _recreate_without_key(conn, schema.activities), "test: no key")
    with empty_engine.connect() as conn:
        assert has_key(conn, schema.activities) == (request.param == "keyed")
    return empty_engine, request.param


def _csv(*rows: tuple) -> bytes:
    return pd.DataFrame(list(rows), columns=COLUMNS).to_csv(index=False).encode()


def _counts(report: ingest.ImportReport) -> tuple[int, int, int]:
    return report.rows_added, report.rows_updated, report.rows_unchanged


def _read(engine, sql: str) -> list[list]:
    frame = store.read_frame(engine, sa.text(sql))
    return [[str(v) for v in row] for row in frame.itertuples(index=False)]


@pytest.mark.parametrize("chunk_rows", [None, 2], ids=["whole", "chunked"])
def test_an_activities_import_adds_updates_and_keeps_alike_with_or_without_the_key(shaped, chunk_rows):
    """By hand: three activities added; Ana then moves to paris-smb; a second file changes A1's type
    (same rep: A1 keeps west-enterprise, the team at the time), gives A2 to Chloé (new rep: her team),
    leaves A3 as it is and adds A4 (Ana's team now): 1 added, 2 updated, 1 unchanged. The same file
    again changes nothing. Rows, counts, import log and the activity rollup are the same for both shapes."""
    engine, shape = shaped

    def load(data: bytes) -> tuple[int, int, int]:
        return _counts(ingest.import_file(engine, "activities", data, file_name="acts.csv", chunk_rows=chunk_rows))

    first = _csv(
        ("A1", ANA, "call", "2025-01-06"),
        ("A2", BEN, "email", "2025-01-07"),
        ("A3", CHLOE, "meeting", "2025-01-08"),
    )
    assert load(first) == (3, 0, 0)
    moved = pd.DataFrame({"rep_id": [ANA], "name": ["Ana Alvarez"], "team_id": [PARIS]})
    assert ingest.import_frame(engine, "reps", moved).rows_updated == 1
    second = _csv(
        ("A1", ANA, "demo", "2025-01-06"),
        ("A2", CHLOE, "email", "2025-01-07"),
        ("A3", CHLOE, "meeting", "2025-01-08"),
        ("A4", ANA, "call", "2025-01-09"),
    )
    assert load(second) == (1, 2, 1)
    assert load(second) == (0, 0, 4)
    want = [
        ["A1", ANA, WEST, "demo", "2025-01-06"],
        ["A2", CHLOE, PARIS, "email", "2025-01-07"],
        ["A3", CHLOE, PARIS, "meeting", "2025-01-08"],
        ["A4", ANA, PARIS, "call", "2025-01-09"],
    ]
    assert _read(engine, "SELECT activity_id, rep_id, team_id, type, occurred_at FROM activities ORDER BY 1") == want
    # The rollup was rewritten for the touched days: one activity a day, each under its row's rep and team.
    days = _read(engine, "SELECT day, rep_id, team_id, activities FROM rep_activity_days ORDER BY day")
    assert days == [
        ["2025-01-06", ANA, WEST, "1"],
        ["2025-01-07", CHLOE, PARIS, "1"],
        ["2025-01-08", CHLOE, PARIS, "1"],
        ["2025-01-09", ANA, PARIS, "1"],
    ]
    log = _read(
        engine, "SELECT rows_added, rows_updated FROM import_log WHERE table_name = 'activities' ORDER BY 1 DESC"
    )
    assert log == [["3", "0"], ["1", "2"], ["0", "0"]]
    with engine.connect() as conn:
        assert has_key(conn, schema.activities) == (shape == "keyed")  # an import leaves the table's shape as it is


def test_two_staged_rows_with_one_id_are_refused_without_the_key(empty_engine):
    """A stage holding one id twice (an import refuses such a file before it writes) is not written
    into a table without its key: merge_stage's own check raises DuplicateKey and the table stays empty."""
    ingest.import_file(empty_engine, "reps", FIXTURES / "reps.csv")
    store.write(empty_engine, lambda conn: _recreate_without_key(conn, schema.activities), "test: no key")
    rows = pd.DataFrame(
        {
            "activity_id": ["A1", "A1"],
            "rep_id": [ANA, BEN],
            "team_id": [WEST, WEST],
            "type": ["call", "email"],
            "occurred_at": pd.to_datetime(["2025-01-06", "2025-01-07"]).date,
            "deal_id": [None, None],
        }
    )
    provided = ("occurred_at", "rep_id", "type")
    with pytest.raises(DuplicateKey, match=r"same key \(A1\)"):
        store.write(empty_engine, lambda conn: upsert(conn, schema.activities, rows, provided, True), "test")
    assert _read(empty_engine, "SELECT COUNT(*) FROM activities") == [["0"]]

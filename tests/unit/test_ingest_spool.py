"""A chunked import's spool (its checked rows in files outside the transaction) leaves nothing behind."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from salesops import ingest, store
from salesops.ingest import chunked
from salesops.store import open_store, schema
from salesops.store.staging import Spool, stage_table

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
ANA = "005Hs00000AnaAlIAA"
HEADER = "deal_id,rep_id,stage,amount,created_date,close_date"


@pytest.fixture
def scratch(tmp_path, monkeypatch) -> Path:
    """The temporary directory the spools are made in, private to the test."""
    where = tmp_path / "scratch"
    where.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(where))
    return where


@pytest.fixture
def engine(new_store_url):
    """An empty store of the test's kind holding the reps of tests/fixtures/reps.csv."""
    eng = open_store(new_store_url("spool"))
    ingest.import_file(eng, "reps", FIXTURES / "reps.csv")
    yield eng
    eng.dispose()


def _csv(path: Path, rows: list[str]) -> Path:
    path.write_text(HEADER + "\n" + "\n".join(rows) + "\n")
    return path


def _deals(first: int, n: int, amount=lambda i: 100) -> list[str]:
    return [f"D{i},{ANA},Closed Won,{amount(i)},2025-01-0{1 + i % 9},2025-02-28" for i in range(first, first + n)]


def _state(eng) -> tuple:
    deals = store.read_frame(eng, sa.select(schema.deals.c.deal_id).order_by(schema.deals.c.deal_id))
    warned = store.read_frame(eng, sa.select(schema.import_warnings.c.record_id))
    return tuple(deals.deal_id), len(warned), store.data_version(eng)


def test_a_written_import_leaves_no_scratch_and_the_next_one_works(engine, scratch, tmp_path):
    """Two chunked imports in a row on one store both write, and no spool file or directory is left."""
    ingest.import_file(engine, "deals", _csv(tmp_path / "a.csv", _deals(1, 5)), chunk_rows=2)
    ingest.import_file(engine, "deals", _csv(tmp_path / "b.csv", _deals(6, 3)), chunk_rows=2)
    assert _state(engine)[0] == tuple(f"D{i}" for i in range(1, 9))
    assert list(scratch.iterdir()) == []


def test_a_rejected_file_and_a_dry_run_leave_no_scratch(engine, scratch, tmp_path):
    """A file rejected for a bad date in its last chunk, and a dry run, write nothing and leave no spool behind."""
    before = _state(engine)
    bad = _csv(tmp_path / "bad.csv", [*_deals(1, 4), f"D9,{ANA},Closed Won,100,2025-13-45,2025-02-28"])
    with pytest.raises(ingest.ImportRejected):
        ingest.import_file(engine, "deals", bad, chunk_rows=2)
    report = ingest.validate_file(engine, "deals", _csv(tmp_path / "ok.csv", _deals(1, 5)), chunk_rows=2)
    assert report.ok and not report.written
    assert _state(engine) == before
    assert list(scratch.iterdir()) == []


def test_a_failure_while_writing_writes_nothing_and_leaves_no_scratch(engine, scratch, tmp_path, monkeypatch):
    """An error after the staged rows were merged rolls the whole import back; the same file then imports."""
    real = chunked.write_in

    def fail(conn, plan, progress):
        real(conn, plan, progress)
        raise RuntimeError("disk full")

    monkeypatch.setattr(chunked, "write_in", fail)
    before = _state(engine)
    path = _csv(tmp_path / "ok.csv", _deals(1, 5))
    with pytest.raises(RuntimeError, match="disk full"):
        ingest.import_file(engine, "deals", path, chunk_rows=2)
    assert _state(engine) == before
    assert list(scratch.iterdir()) == []
    monkeypatch.setattr(chunked, "write_in", real)
    assert ingest.import_file(engine, "deals", path, chunk_rows=2).rows_added == 5


def test_a_retried_transaction_records_each_cross_row_warning_once(engine, scratch, tmp_path, monkeypatch):
    """A write conflict on the first try re-runs the transaction; the unusual amount is warned and stored once."""
    real, calls = chunked.write_in, []

    def conflict_once(conn, plan, progress):
        calls.append(1)
        if len(calls) == 1:
            raise sa.exc.DBAPIError("INSERT", {}, Exception("write-write conflict"))
        return real(conn, plan, progress)

    monkeypatch.setattr(chunked, "write_in", conflict_once)
    path = _csv(tmp_path / "big.csv", _deals(1, 6, lambda i: 10_000 if i == 6 else 100 + i))
    report = ingest.import_file(engine, "deals", path, chunk_rows=2)
    assert len(calls) == 2
    assert [(w.row, w.kind) for w in report.warnings] == [(7, "unusual_amount")]
    assert dict(report.warning_counts) == {"unusual_amount": 1}
    assert _state(engine)[1] == 1
    assert list(scratch.iterdir()) == []


def test_a_spool_gives_back_its_kept_batches_typed_as_the_stage(new_store_url, scratch):
    """Batches spooled and read back in a transaction are the rows given, typed; forgotten ones are gone."""
    eng = open_store(new_store_url("spool_rows"))
    definition = stage_table(schema.quotas, loose=True, name="_t_")
    one = pd.DataFrame(
        {"rep_id": ["R1", "R2"], "period_type": "month", "period_start": pd.to_datetime(["2025-01-01", "2025-02-01"])}
    )
    one["amount_cents"] = [100, None]
    two = pd.DataFrame({"rep_id": ["R3"], "period_type": "month", "period_start": pd.to_datetime(["2025-03-01"])})
    with Spool(definition) as spool:
        spool.add(one)
        spool.add(two)
        spool.add(two)
        spool.keep(2)  # the third batch is forgotten
        assert len(list(next(scratch.iterdir()).iterdir())) == 2
        with eng.connect() as conn:
            stage = spool.open(conn)
            got = store.result_frame(conn.execute(sa.select(stage).order_by(stage.c.rep_id)))
            spool.drop(conn)
    eng.dispose()
    assert got.rep_id.tolist() == ["R1", "R2", "R3"]
    assert [pd.Timestamp(d).date().isoformat() for d in got.period_start] == ["2025-01-01", "2025-02-01", "2025-03-01"]
    assert got.amount_cents.iloc[0] == 100 and pd.isna(got.amount_cents.iloc[1]) and pd.isna(got.amount_cents.iloc[2])
    assert list(scratch.iterdir()) == []


def test_a_batch_that_cannot_be_typed_raises_its_own_error_and_the_spool_goes_on(scratch):
    """A text in an integer column fails with DuckDB's conversion error (not a later "transaction aborted"); the next batch spools."""
    definition = stage_table(schema.quotas, name="_t_")
    good = pd.DataFrame({"rep_id": ["R1"], "period_type": "month", "period_start": pd.to_datetime(["2025-01-01"])})
    with Spool(definition) as spool:
        with pytest.raises(Exception) as err:  # noqa: PT011 - the driver's own conversion error
            spool.add(good.assign(amount_cents=["lots"]))
        assert "aborted" not in str(err.value) and "lots" in str(err.value)
        spool.add(good.assign(amount_cents=[5]))
        assert len(spool.files) == 1

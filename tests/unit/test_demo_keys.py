"""The demo build's keys after its publish, and the customer book holding one batch at a time (#21)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
import sqlalchemy as sa
from psycopg.errors import UniqueViolation

from salesops.demo.activity import numbered_ids
from salesops.demo.build import _check_key, _recreate_without_key
from salesops.demo.customers import CustomerBook
from salesops.errors import DuplicateKey
from salesops.store import schema

#: Table -> its key column, each checked by the database after the demo's publish (activities on
#: PostgreSQL only: on DuckDB the build checks its key, see test_the_build_refuses_a_duplicate_activity_id).
KEYED = {"deals": "deal_id", "activities": "activity_id", "leads": "lead_id", "accounts": "account_id"}


@pytest.mark.parametrize("table", sorted(KEYED))
def test_a_duplicate_id_is_refused_after_the_publish(demo_engine, table):
    """Copying an existing row of a published big table again fails on its primary key, on either store."""
    if table == "activities" and demo_engine.dialect.name == "duckdb":
        pytest.skip("DuckDB's activities have no key index: the build checks their ids (test below)")
    key = KEYED[table]
    copy = sa.text(f"INSERT INTO {table} SELECT * FROM {table} WHERE {key} = (SELECT MIN({key}) FROM {table})")  # noqa: S608
    with pytest.raises(sa.exc.DBAPIError, match="(?i)duplicate|unique|primary key"):
        with demo_engine.begin() as conn:
            conn.execute(copy)
    with demo_engine.connect() as conn:
        n = conn.execute(sa.text(f"SELECT COUNT(*) - COUNT(DISTINCT {key}) FROM {table}")).scalar_one()  # noqa: S608
    assert n == 0


def _key(engine: sa.Engine, table: str) -> list[str]:
    """The primary key columns of ``table`` as the database has them (duckdb_engine cannot reflect them)."""
    if engine.dialect.name != "duckdb":
        return sa.inspect(engine).get_pk_constraint(table)["constrained_columns"]
    sql = "SELECT constraint_column_names FROM duckdb_constraints() WHERE table_name = :t AND constraint_type = 'PRIMARY KEY'"
    with engine.connect() as conn:
        found = conn.execute(sa.text(sql), {"t": table}).scalar()
    return list(found or [])


#: The tables the DuckDB build publishes without their key, and their key columns.
CHECKED = {"deal_stage_history": ["deal_id", "stage", "entered_at"], "activities": ["activity_id"]}


@pytest.mark.parametrize("table", sorted(CHECKED))
def test_the_big_keys_are_checked_by_the_build_on_duckdb(demo_engine, table):
    """On DuckDB deal_stage_history and activities have no key index after the build (PostgreSQL keeps
    it), and no duplicates."""
    expected = [] if demo_engine.dialect.name == "duckdb" else CHECKED[table]
    assert _key(demo_engine, table) == expected
    keys = ", ".join(CHECKED[table])
    with demo_engine.connect() as conn:
        dup = conn.execute(
            sa.text(f"SELECT COUNT(*) FROM (SELECT {keys} FROM {table} GROUP BY {keys} HAVING COUNT(*) > 1) AS d")  # noqa: S608
        ).scalar_one()
        total = conn.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar_one()  # noqa: S608
    assert dup == 0 and total > 0


def test_the_build_refuses_a_duplicate_activity_id(empty_engine, monkeypatch):
    """A generator bug giving two activities one id stops the build and writes nothing: on DuckDB the
    build's own check (DuplicateKey naming the id), on PostgreSQL the table's key."""
    from salesops import demo
    from salesops.demo import build

    def repeating(prefix: str, start: int, n: int, width: int) -> pd.Series:
        ids = numbered_ids(prefix, start, n, width)
        if start == 1 and n > 1:  # the first batch: its last activity gets its first one's id
            ids.iloc[-1] = ids.iloc[0]
        return ids

    monkeypatch.setattr(build, "numbered_ids", repeating)
    expected = (
        pytest.raises(DuplicateKey, match=r"2 rows of activities with the same key \(A000000001\)")
        if empty_engine.dialect.name == "duckdb"
        else pytest.raises((sa.exc.IntegrityError, UniqueViolation), match=r"(?i)duplicate key.*activities_pkey")
    )
    with expected:
        demo.build_demo(empty_engine, seed=7, scale="small", today=date(2026, 11, 24))
    with empty_engine.connect() as conn:
        left = {t: conn.execute(sa.text(f"SELECT COUNT(*) FROM {t}")).scalar_one() for t in ("activities", "deals")}  # noqa: S608
    assert left == {"activities": 0, "deals": 0}
    assert _key(empty_engine, "activities") == ["activity_id"]  # a new store's table, as it was


@pytest.mark.store("duckdb")
def test_the_key_check_names_the_duplicate_and_writes_nothing(empty_engine):
    """Two stage-history rows with one key make _check_key raise DuplicateKey naming it; the write rolls back."""
    table = schema.deal_stage_history
    row = {"deal_id": "D0000001", "stage": "Discovery", "entered_at": date(2026, 1, 5)}
    with pytest.raises(DuplicateKey, match=r"2 rows of deal_stage_history with the same key \(D0000001, Discovery"):
        with empty_engine.begin() as conn:
            _recreate_without_key(conn, table)
            conn.execute(table.insert(), [row, row, {**row, "stage": "Proposal"}])
            _check_key(conn, table)
    with empty_engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM deal_stage_history")).scalar_one() == 0
    assert _key(empty_engine, "deal_stage_history") == ["deal_id", "stage", "entered_at"]  # rolled back too


def test_the_customer_book_keeps_nothing_across_batches():
    """take() hands over the accounts made since the last take and empties the book; ids keep counting."""
    teams = pd.DataFrame({"team_id": ["T01"], "segment": ["SMB"], "region": ["EMEA"]})
    reps = pd.DataFrame({"rep_id": ["R0001"], "name": ["Alex Smith"]})

    def deals(n: int) -> pd.DataFrame:
        days = pd.date_range("2025-01-01", periods=n, freq="7D")
        return pd.DataFrame(
            {"team_id": "T01", "rep_id": "R0001", "outcome": "won", "product": "Core Platform", "close_date": days}
        )

    book = CustomerBook(seed=7)
    first = book.assign(deals(5), teams, reps, batch=0)
    taken = book.take()
    assert set(first.account_id) <= set(taken.account_id) and book.rows == [] and book.names == {}
    assert book.take().empty
    second = book.assign(deals(3), teams, reps, batch=1)
    later = book.take()
    assert later.account_id.min() > taken.account_id.max()  # numbered on from the first batch
    assert set(second.account_id) <= set(later.account_id) and second.account.notna().all()


@pytest.mark.store("duckdb")
def test_a_failure_in_the_derived_tables_leaves_an_empty_store_on_duckdb(empty_engine, monkeypatch):
    """DuckDB commits the sources first; when the derived tables then fail, the store is emptied and the error raised."""
    from salesops import demo
    from salesops.demo import build

    def fail(conn):
        raise RuntimeError("derived tables failed")

    monkeypatch.setattr(build, "refresh_derived", fail)
    with pytest.raises(RuntimeError, match="derived tables failed"):
        demo.build_demo(empty_engine, seed=7, scale="small", today=date(2026, 11, 24))
    with empty_engine.connect() as conn:
        left = {
            t: conn.execute(sa.text(f"SELECT COUNT(*) FROM {t}")).scalar_one() for t in ("deals", "reps", "accounts")
        }  # noqa: S608
    assert left == {"deals": 0, "reps": 0, "accounts": 0}

"""The store: engine from a URL, schema on first use, data version, and clear errors."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
import sqlalchemy as sa

from salesops import store
from salesops.errors import BadDatabaseURL, DatabaseLocked, DatabaseUnavailable, SchemaTooNew, StoreOutOfMemory
from salesops.store import schema


def test_open_store_creates_every_table_and_records_the_schema_version(tmp_path):
    """A new file gets all tables of the design and the current schema version."""
    engine = store.open_store(f"duckdb:///{tmp_path / 'a.duckdb'}")
    names = set(sa.inspect(engine).get_table_names())
    for table in (
        "teams",
        "reps",
        "quotas",
        "leads",
        "deals",
        "deal_stage_history",
        "activities",
        "comp_plans",
        "tools",
        "survey_responses",
        "import_log",
    ):
        assert table in names
    with engine.connect() as conn:
        v = conn.execute(sa.select(schema.meta.c.value).where(schema.meta.c.key == "schema_version")).scalar_one()
    assert int(v) == schema.SCHEMA_VERSION


def test_open_store_creates_the_folder_of_a_duckdb_file(tmp_path):
    """A DuckDB path in a folder that does not exist yet works (the folder is created)."""
    engine = store.open_store(f"duckdb:///{tmp_path / 'new' / 'dir' / 'x.duckdb'}")
    assert store.data_version(engine) == 0


def test_every_write_bumps_the_data_version(empty_engine):
    """data_version grows with each write, and a failed write leaves it (and the data) alone."""
    v0 = store.data_version(empty_engine)
    store.write(
        empty_engine, lambda c: c.execute(sa.insert(schema.tools).values(tool_id="x", name="X", category="c")), "t"
    )
    v1 = store.data_version(empty_engine)
    assert v1 > v0

    def broken(conn):
        conn.execute(sa.insert(schema.tools).values(tool_id="y", name="Y", category="c"))
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        store.write(empty_engine, broken, "t")
    assert store.data_version(empty_engine) == v1
    assert store.table_counts(empty_engine)["tools"] == 1
    assert store.last_updated(empty_engine) is not None


def test_concurrent_writes_from_threads_all_land(empty_engine):
    """Twenty threads writing at once (as Streamlit sessions would) all succeed, none lost."""
    from concurrent.futures import ThreadPoolExecutor

    def one(i):
        store.write(
            empty_engine,
            lambda c: c.execute(sa.insert(schema.tools).values(tool_id=f"t{i}", name="T", category="c")),
            "t",
        )

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(one, range(20)))
    assert store.table_counts(empty_engine)["tools"] == 20
    assert store.data_version(empty_engine) == 20


@pytest.mark.parametrize("url", ["not a url", "nosuchdialect://x/y"])
def test_a_malformed_url_gets_a_clear_message(url):
    """A URL that is not a SQLAlchemy URL (or names no known driver) says what to use instead."""
    with pytest.raises(BadDatabaseURL) as err:
        store.open_store(url)
    assert "duckdb:///" in err.value.hint


def test_an_unreachable_database_gets_a_clear_message(tmp_path):
    """A path that cannot be a database file (a folder) is explained, not a traceback."""
    folder = tmp_path / "afolder.duckdb"
    folder.mkdir()
    with pytest.raises(DatabaseUnavailable) as err:
        store.open_store(f"duckdb:///{folder}")
    assert "SALESOPS_DB_URL" in err.value.hint


def test_a_file_that_is_not_duckdb_is_explained(tmp_path):
    """A text file where the database should be is named as such."""
    bad = tmp_path / "bad.duckdb"
    bad.write_text("hello, not a database")
    with pytest.raises(DatabaseUnavailable) as err:
        store.open_store(f"duckdb:///{bad}")
    assert "not a DuckDB database" in err.value.message


def test_a_database_written_by_a_newer_schema_is_refused(new_store_url):
    """A schema revision this code does not know stops with 'upgrade salesops', and nothing is changed."""
    url = new_store_url("newer")
    engine = store.open_store(url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0999'"))
    engine.dispose()
    with pytest.raises(SchemaTooNew) as err:
        store.open_store(url)
    assert "newer salesops" in err.value.message and "Upgrade" in err.value.hint


def test_a_file_locked_by_another_process_is_explained(tmp_path, monkeypatch):
    """While another process holds the DuckDB file past the wait, opening it says who holds it and what to do."""
    monkeypatch.setenv("SALESOPS_LOCK_WAIT", "0.5")
    path = tmp_path / "locked.duckdb"
    store.open_store(f"duckdb:///{path}").dispose()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
            import duckdb, sys, time
            c = duckdb.connect({str(path)!r})
            print("ready", flush=True)
            time.sleep(30)
        """),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(DatabaseLocked) as err:
            store.open_store(f"duckdb:///{path}")
        assert "locked by another program" in err.value.message
        assert "make run" in err.value.hint
    finally:
        holder.kill()
        holder.wait()


def test_a_write_past_the_memory_limit_names_the_limit_and_writes_nothing(tmp_path, monkeypatch):
    """DuckDB gives up on a statement that needs more than SALESOPS_DUCKDB_MEMORY and cannot spill
    (here one 40M-item list): the error names the limit and the setting, not the SQL, and the rows
    written before it in the same transaction are gone."""
    monkeypatch.setenv("SALESOPS_DUCKDB_MEMORY", "64MB")
    engine = store.open_store(f"duckdb:///{tmp_path / 'small.duckdb'}")
    version = store.data_version(engine)

    def too_big(conn):
        conn.execute(sa.insert(schema.teams).values(team_id="T1", name="North", region="East"))
        conn.exec_driver_sql("SELECT list(i) FROM range(40000000) t(i)").fetchall()

    with pytest.raises(Exception) as raw:
        store.write(engine, too_big, "too big")
    err = store.explain_error(raw.value, engine)
    assert isinstance(err, StoreOutOfMemory)
    assert "ran out of memory" in err.message and "64MB (SALESOPS_DUCKDB_MEMORY)" in err.message
    assert "SALESOPS_DUCKDB_MEMORY=" in err.hint and "nothing is half-written" in err.hint
    assert "SELECT" not in str(err) and "range(" not in str(err)
    assert store.table_counts(engine)["teams"] == 0
    assert store.data_version(engine) == version


def test_the_cli_prints_one_clear_line_not_a_traceback(tmp_path):
    """`python -m salesops info --db <bad>` exits 2 with 'error:' and 'hint:' lines only."""
    res = subprocess.run([sys.executable, "-m", "salesops", "info", "--db", "bogus"], capture_output=True, text=True)
    assert res.returncode == 2
    assert res.stderr.startswith("error: ") and "hint: " in res.stderr
    assert "Traceback" not in res.stderr


def test_bulk_insert_and_read_frame_round_trip(empty_engine):
    """A frame bulk-loaded into a table reads back the same."""
    import pandas as pd

    frame = pd.DataFrame({"tool_id": ["a", "b"], "name": ["A", "B"], "category": ["x", "y"]})
    store.write(empty_engine, lambda c: store.bulk_insert(c, schema.tools, frame), "t")
    back = store.read_frame(empty_engine, sa.select(schema.tools).order_by(schema.tools.c.tool_id))
    pd.testing.assert_frame_equal(back, frame)


def test_readers_are_safe_while_a_writer_writes(demo_url, tmp_path):
    """Threads reading KPIs while another thread writes never fail and never see half a write."""
    from concurrent.futures import ThreadPoolExecutor
    from datetime import date

    from salesops.performance import headline
    from salesops.scope import Scope

    engine = store.open_store(demo_url)
    scope = Scope(date(2026, 1, 1), date(2026, 6, 30), "quarter")
    expected = headline(engine, scope)

    def writer(i):
        store.write(
            engine, lambda c: c.execute(sa.insert(schema.tools).values(tool_id=f"rw{i}", name="T", category="c")), "t"
        )
        store.write(engine, lambda c: c.execute(sa.delete(schema.tools).where(schema.tools.c.tool_id == f"rw{i}")), "t")

    def reader(_):
        return headline(engine, scope)

    with ThreadPoolExecutor(6) as pool:
        writes = [pool.submit(writer, i) for i in range(10)]
        reads = [pool.submit(reader, i) for i in range(30)]
        assert all(f.result() == expected for f in reads)
        for f in writes:
            f.result()


def test_a_cli_import_waits_for_the_app_to_hand_the_file_over(tmp_path):
    """An app-like engine that just read the file releases it when idle; a CLI import started
    meanwhile waits for its turn and succeeds, and the engine then sees the new rows."""
    from pathlib import Path

    url = f"duckdb:///{tmp_path / 'shared.duckdb'}"
    engine = store.open_store(url)
    assert store.table_counts(engine)["reps"] == 0  # the pool now holds the file
    reps_csv = Path(__file__).resolve().parents[1] / "fixtures" / "reps.csv"
    done = subprocess.run(
        [sys.executable, "-m", "salesops", "import", "reps", str(reps_csv), "--db", url],
        capture_output=True,
        text=True,
        timeout=120,
        env={**__import__("os").environ, "SALESOPS_LOCK_WAIT": "60"},
    )
    assert done.returncode == 0, done.stderr
    assert store.table_counts(engine)["reps"] == 3
    engine.dispose()


def test_let_go_closes_a_duckdb_files_connections_and_leaves_other_stores_alone(new_store_url, store_kind):
    """let_go (before the outlook's long computations) closes a DuckDB file's pooled connections,
    and the next query opens it again; PostgreSQL's pool and an in-memory DuckDB (its data lives
    in the connection) are left as they are."""
    from salesops.store.dialect import let_go

    engine = store.open_store(new_store_url())
    memory = sa.create_engine("duckdb:///:memory:")
    with memory.connect() as conn:
        conn.execute(sa.text("CREATE TABLE t AS SELECT 1 AS x"))
        conn.commit()
    version = store.data_version(engine)
    let_go(engine)
    let_go(memory)
    assert (engine.pool.checkedin() == 0) == (store_kind == "duckdb")
    assert store.data_version(engine) == version
    with memory.connect() as conn:
        assert conn.execute(sa.text("SELECT x FROM t")).scalar_one() == 1
    engine.dispose()


def _real_duckdb_conflicts(tmp_path) -> list[BaseException]:
    """The errors DuckDB itself raises when two transactions meet: the same row updated, the same
    row deleted, the same table created, the same key inserted (this one at the second commit)."""
    import duckdb

    db = duckdb.connect(str(tmp_path / "conflicts.duckdb"))
    db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)")
    db.execute("INSERT INTO t VALUES (1, 1), (2, 2)")
    a, b = db.cursor(), db.cursor()
    steps = [
        ("UPDATE t SET v = 9 WHERE id = 1", "UPDATE t SET v = 8 WHERE id = 1"),
        ("DELETE FROM t WHERE id = 2", "DELETE FROM t WHERE id = 2"),
        ("CREATE TABLE u (x INTEGER)", "CREATE TABLE u (x INTEGER)"),
        ("INSERT INTO t VALUES (5, 1)", "INSERT INTO t VALUES (5, 2)"),
    ]
    errors: list[BaseException] = []
    for first, second in steps:
        a.execute("BEGIN")
        b.execute("BEGIN")
        a.execute(first)
        try:
            b.execute(second)
            a.execute("COMMIT")
            b.execute("COMMIT")
        except duckdb.Error as exc:
            errors.append(exc)
            for cur in (a, b):
                try:
                    cur.execute("ROLLBACK")
                except duckdb.Error:
                    pass
        else:  # pragma: no cover - DuckDB always refuses one of the two
            pytest.fail(f"no conflict for {second}")
    db.close()
    return errors


def test_real_write_conflicts_are_retried_and_other_failed_commits_are_not(tmp_path):
    """Every conflict DuckDB raises between two writers is worth one more try; a commit that failed
    for another reason (out of memory, a full disk) — also a "TransactionContext Error" — is not."""
    from salesops.store import dialect

    conflicts = _real_duckdb_conflicts(tmp_path)
    assert len(conflicts) == 4
    assert all("TransactionContext Error" in str(exc) for exc in conflicts)
    assert all(dialect.is_retryable(exc) for exc in conflicts), [str(e) for e in conflicts]
    for text in (
        "TransactionContext Error: Failed to commit: Out of Memory Error: could not allocate block of size 256.0 KiB",
        "TransactionContext Error: Failed to commit: IO Error: No space left on device",
        "TransactionContext Error: Current transaction is aborted (please ROLLBACK)",
    ):
        assert not dialect.is_retryable(Exception(text)), text
    # PostgreSQL's own conflict messages stay retryable.
    assert dialect.is_retryable(Exception("could not serialize access due to concurrent update"))
    assert dialect.is_retryable(Exception("deadlock detected"))


def test_a_commit_that_fails_for_want_of_memory_runs_once_and_writes_nothing(empty_engine):
    """The whole write is not run again (a build would take its full time once more, then fail on the
    keys the first try left in memory); the error reaches the caller and nothing lands."""
    calls = []
    version = store.data_version(empty_engine)

    def failing_commit(conn):
        calls.append(1)
        conn.execute(sa.insert(schema.tools).values(tool_id="x", name="X", category="c"))
        raise sa.exc.DBAPIError(
            "COMMIT",
            {},
            Exception("TransactionContext Error: Failed to commit: Out of Memory Error: could not allocate"),
        )

    with pytest.raises(sa.exc.DBAPIError):
        store.write(empty_engine, failing_commit, "t")
    assert calls == [1]
    assert store.table_counts(empty_engine)["tools"] == 0
    assert store.data_version(empty_engine) == version


def test_a_real_update_conflict_is_retried_until_it_lands(tmp_path):
    """Two sessions read one row, then both update it (DuckDB): the loser's conflict is retried, it
    reads the winner's value, and both updates land."""
    import threading

    engine = store.open_store(f"duckdb:///{tmp_path / 'conflict.duckdb'}")
    store.write(engine, lambda c: c.execute(sa.insert(schema.tools).values(tool_id="x", name="0", category="c")), "t")
    barrier = threading.Barrier(2)
    attempts: dict[str, int] = {}

    def bump(conn):
        me = threading.current_thread().name
        attempts[me] = attempts.get(me, 0) + 1
        current = conn.execute(sa.select(schema.tools.c.name).where(schema.tools.c.tool_id == "x")).scalar_one()
        if attempts[me] == 1:
            barrier.wait(timeout=10)  # both have read "0" before either writes
        conn.execute(sa.update(schema.tools).where(schema.tools.c.tool_id == "x").values(name=str(int(current) + 1)))

    threads = [threading.Thread(target=store.write, args=(engine, bump, "t"), name=f"s{i}") for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    with engine.connect() as conn:
        assert conn.execute(sa.select(schema.tools.c.name)).scalar_one() == "2"
    assert sum(attempts.values()) >= 3
    engine.dispose()

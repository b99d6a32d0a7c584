"""Taking turns at a DuckDB file: a program that yields (the outlook child) lets the file go when
another one waits for it, at its next connection's checkout, instead of holding it for its whole run."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import pytest
import sqlalchemy as sa

from salesops import store
from salesops.store import turns

# The holder: back-to-back work on the file, each step a connection held 0.3 s (a query and its
# fetch), never idle long enough for the idle release (1 s). It counts its steps into the file
# itself, so the steps done are read back after it ends.
HOLDER = textwrap.dedent(
    """
    import sys, time
    import sqlalchemy as sa
    from salesops import store
    from salesops.store import turns
    url, steps, yields = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1"
    engine = store.open_store(url)
    if yields:
        turns.yield_when_wanted(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE steps (i INTEGER, done_at DOUBLE)"))
    print("ready", flush=True)
    for i in range(steps):
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO steps VALUES (:i, :at)"), {"i": i, "at": time.time()})
            time.sleep(0.3)
    engine.dispose()
    print("done", time.time(), flush=True)
    """
)


def _holder(url: str, steps: int, yields: bool) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", HOLDER, url, str(steps), "1" if yields else "0"],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "SALESOPS_LOCK_WAIT": "120"},
    )


def _waiter_turn(url: str, holder: subprocess.Popen) -> tuple[float, int]:
    """Open the file while the holder works: when this process got in, and the holder's steps then."""
    assert holder.stdout.readline().strip() == "ready"
    time.sleep(0.5)  # the holder is into its steps
    engine = store.open_store(url)
    with engine.connect() as conn:
        got_in = time.time()
        steps_then = conn.execute(sa.text("SELECT COUNT(*) FROM steps")).scalar_one()
    engine.dispose()
    return got_in, steps_then


@pytest.mark.parametrize("yields", [True, False])
def test_a_yielding_holder_lets_a_waiting_program_in_at_its_next_checkout(tmp_path, monkeypatch, yields):
    """With the yield, the waiter gets the file within a step or two of asking, while the holder is
    still at work, and the holder then finishes every step (each step's row written once). Without
    it (the control), the waiter gets in only when the holder has ended: the holder never idles."""
    monkeypatch.setenv("SALESOPS_LOCK_WAIT", "120")
    url = f"duckdb:///{tmp_path / 'turns.duckdb'}"
    store.open_store(url).dispose()
    steps = 30  # ~9 s of back-to-back work
    holder = _holder(url, steps, yields)
    try:
        got_in, steps_then = _waiter_turn(url, holder)
        out, _ = holder.communicate(timeout=120)
    finally:
        holder.kill()
        holder.wait()
    assert holder.returncode == 0
    done_at = float(out.split()[-1])
    if yields:
        assert got_in < done_at  # in while the holder was still working
        assert 0 < steps_then < steps
    else:
        assert steps_then == steps  # only after the last step
    engine = store.open_store(url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT COUNT(*), COUNT(DISTINCT i) FROM steps")).one()
    engine.dispose()
    assert tuple(rows) == (steps, steps)
    assert not turns.wanted_by_other(turns.wanted_path(sa.create_engine(url)), time.time() + 10)


def test_the_wanted_file_counts_only_a_recent_touch_by_another_process(tmp_path):
    """A touch by this process (the yielder's own wait) or an old one does not count; a fresh one by
    another process does; no file or an unreadable one: nobody waits."""
    wanted = tmp_path / "x.duckdb.wanted"
    assert not turns.wanted_by_other(wanted)
    wanted.write_text(str(os.getpid()))
    assert not turns.wanted_by_other(wanted)
    wanted.write_text(str(os.getpid() + 1))
    touched = wanted.stat().st_mtime
    assert turns.wanted_by_other(wanted, touched + turns.WANTED_FRESH_SECONDS / 2)
    assert not turns.wanted_by_other(wanted, touched + turns.WANTED_FRESH_SECONDS + 0.01)
    assert turns.wanted_path(sa.create_engine(f"duckdb:///{tmp_path / 'x.duckdb'}")) == wanted


def test_yield_when_wanted_adds_its_listener_to_a_duckdb_file_only(new_store_url, store_kind):
    """Only a DuckDB file has turns to take: its engine gets the checkout listener, PostgreSQL's and an
    in-memory DuckDB's none; each still answers queries."""
    engine = store.open_store(new_store_url())
    memory = sa.create_engine("duckdb:///:memory:")
    before = len(engine.pool.dispatch.checkout), len(memory.pool.dispatch.checkout)
    turns.yield_when_wanted(engine)
    turns.yield_when_wanted(memory)
    after = len(engine.pool.dispatch.checkout), len(memory.pool.dispatch.checkout)
    assert after == (before[0] + (store_kind == "duckdb"), before[1])
    for e in (engine, memory):
        with e.connect() as conn:
            assert conn.execute(sa.text("SELECT 1")).scalar_one() == 1
        e.dispose()

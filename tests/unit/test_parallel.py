"""A page's independent reads run at once on a bounded pool (salesops.store.parallel, loaders.prefetch)."""

from __future__ import annotations

import threading
import time
from datetime import date

import pytest
import sqlalchemy as sa

from salesops.scope import Scope
from salesops.store import parallel

#: run_all splits work only over connections that share one database: a DuckDB file (never opened
#: here: the jobs below do not read it) or PostgreSQL, not an in-memory DuckDB.
FILE = sa.create_engine("duckdb:////nonexistent-dir/parallel.duckdb")


def test_run_all_gives_each_result_in_order_and_runs_them_at_once():
    # Three jobs that each wait for the other two: one after the other, the barrier would break.
    meet = threading.Barrier(3, timeout=10)

    def job(value):
        def run():
            meet.wait()
            return value

        return run

    assert parallel.run_all(FILE, [job("a"), job("b"), job("c")]) == ["a", "b", "c"]
    assert parallel.run_all(FILE, []) == []


def test_run_all_raises_the_first_failure_in_order_once_every_job_has_ended():
    ended = []

    def slow():
        time.sleep(0.3)
        ended.append("slow")
        return 1

    def fails(exc):
        def run():
            raise exc

        return run

    with pytest.raises(ValueError, match="second"):
        parallel.run_all(FILE, [slow, fails(ValueError("second")), fails(KeyError("third"))])
    assert ended == ["slow"]  # not left running behind the caller
    with pytest.raises(KeyError, match="first"):
        parallel.run_all(FILE, [fails(KeyError("first")), slow])
    assert ended == ["slow", "slow"]


def test_the_pool_runs_at_most_its_readers_at_once():
    running, most = [0], [0]
    lock = threading.Lock()

    def job():
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.05)
        with lock:
            running[0] -= 1

    for future in parallel.start([job] * (parallel.READERS + 4)):
        future.result(timeout=10)
    assert most[0] == parallel.READERS


def test_prefetch_fills_the_cache_entry_the_page_then_reads(monkeypatch, demo_url):
    """The page's own call after a prefetch is a cache hit: the library function ran once, with the
    viewer of the run and the same arguments."""
    import streamlit as st

    from pages.ui import loaders

    monkeypatch.setenv("SALESOPS_DB_URL", demo_url)
    calls = []

    def probe_for_prefetch(engine, scope, n, viewer=None):
        calls.append((scope, n, viewer))
        return n * 2

    loader = loaders.cached(probe_for_prefetch)
    scope = Scope.current(date(2026, 11, 24), "quarter")
    st.cache_data.clear()
    futures = loaders.prefetch((loader, (scope, 3)))
    assert [f.result(timeout=60) for f in futures] == [6]
    assert loader(scope, 3) == 6
    assert calls == [(scope, 3, loaders.current_viewer())]
    assert loader(scope, 4) == 8  # other arguments: another entry, computed by the call itself
    assert len(calls) == 2


def test_run_all_takes_back_the_jobs_no_reader_has_started():
    """With every reader busy, run_all runs its queued jobs on the caller instead of waiting; and a
    reader calling run_all (the pool waiting on itself) still finishes."""
    release = threading.Event()
    busy = parallel.start([release.wait] * parallel.READERS)
    try:
        ran_on = []

        def where():
            ran_on.append(threading.current_thread().name)
            return len(ran_on)

        out: list = []
        caller = threading.Thread(target=lambda: out.append(parallel.run_all(FILE, [where, where, where])), daemon=True)
        caller.start()
        caller.join(10)  # waiting on the queue would hang here: fail instead
        assert out == [[1, 2, 3]]
        assert set(ran_on) == {caller.name}
    finally:
        release.set()
    for future in busy:
        future.result(timeout=10)
    nested = parallel.start([lambda: sum(parallel.run_all(FILE, [lambda: 1] * 5))] * (parallel.READERS + 1))
    assert [f.result(timeout=30) for f in nested] == [5] * (parallel.READERS + 1)


def test_an_in_memory_duckdb_runs_every_job_on_the_caller():
    """Each connection to an in-memory DuckDB is a database of its own: a reader would read an empty one."""
    memory = sa.create_engine("duckdb:///:memory:")
    names = parallel.run_all(memory, [lambda: threading.current_thread().name] * 3)
    assert names == [threading.current_thread().name] * 3
    names = parallel.run_all(FILE, [lambda: threading.current_thread().name] * 3)
    assert names[0] == threading.current_thread().name
    assert all(n.startswith("salesops-read") or n == names[0] for n in names[1:])


def test_a_rerun_of_the_same_view_prefetches_nothing_again(monkeypatch, demo_url):
    """A widget below the prefetch reruns the page with the same view: its reads are cached, so the
    session queues none of them again; another view (other arguments) is prefetched."""
    import streamlit as st

    from pages.ui import loaders

    monkeypatch.setenv("SALESOPS_DB_URL", demo_url)
    ran = []

    def probe_for_rerun(engine, scope, n):
        ran.append(n)
        return n

    loader = loaders.cached(probe_for_rerun)
    scope = Scope.current(date(2026, 11, 24), "quarter")
    st.cache_data.clear()
    first = loaders.prefetch((loader, (scope, 5)))
    assert [f.result(timeout=60) for f in first] == [5]
    assert loaders.prefetch((loader, (scope, 5))) == []
    other = loaders.prefetch((loader, (scope, 6)))
    assert [f.result(timeout=60) for f in other] == [6]
    assert ran == [5, 6]

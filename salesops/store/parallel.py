"""A page's independent reads at once, on a small bounded pool of reader threads.

A page like Team performance makes seven reads that do not depend on one another. One after the
other, each waits for the last, although most of them barely use the machine: DuckDB plans a
statement on one thread, and a scan of a few tens of thousands of rollup rows is one row group, so
one thread. Run at once, each on its own connection from the engine's pool (the same DuckDB
instance, or another PostgreSQL session), they overlap: at large scale the page's reads took
~330 ms one after the other and ~225 ms at once on this 2-core machine (BENCHMARKS.md).

The pool is the process's, shared by every session and bounded (:data:`READERS` threads), so twenty
sessions opening pages add at most that many concurrent reads to their own. A page starts its later
reads here (:func:`start`) and then reads as before: a read already done is taken from its cache, one
still queued is computed by the page itself (the queued job then finds it cached), so a page never
waits for the pool. A library call made of independent reads runs them with :func:`run_all`, which
takes back a read no reader has started: so it never waits on a busy pool either, and a reader may
call it (it then runs most of the reads itself) without the pool waiting on itself.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from sqlalchemy.engine import Engine

from salesops.store.dialect import shared_across_connections

T = TypeVar("T")

#: Reader threads in the process: with the page's own thread, four reads at once — on 2 cores the
#: measured gain stops there (3 → 4 readers: within the noise), and twenty sessions stay bounded.
READERS = 3

_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def pool() -> ThreadPoolExecutor:
    """The process's reader pool (made on first use; its threads are daemon threads that end with it)."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(max_workers=READERS, thread_name_prefix="salesops-read")
        return _POOL


def start(jobs: Iterable[Callable[[], object]]) -> list[Future]:
    """Queue each job on the reader pool; returns their futures (a job's error stays in its future)."""
    readers = pool()
    return [readers.submit(job) for job in jobs]


def run_all(engine: Engine, jobs: Sequence[Callable[[], T]]) -> list[T]:
    """Every job's result, in order (each job reads ``engine``): the first runs on the calling thread
    while the others are queued on the pool. An engine whose connections do not share one database
    (an in-memory DuckDB: a database per connection) runs them one after the other on the caller. Once its own job is done the caller takes back, and runs itself, each job no reader
    has started yet (a busy pool — other sessions' reads, or a reader calling this — never leaves the
    caller waiting on a queue). When a job fails, the first failure in the jobs' order is raised once
    all have ended (none is left running behind the caller's back)."""
    if not jobs:
        return []
    futures: list[Future | None] = [*start(jobs[1:])] if shared_across_connections(engine) else [None] * (len(jobs) - 1)
    results: list[T] = []
    first_error: BaseException | None = None

    def settle(run: Callable[[], T]) -> None:
        nonlocal first_error
        try:
            results.append(run())
        except BaseException as exc:  # noqa: BLE001 - the first one is raised below
            first_error = first_error or exc
            results.append(None)  # type: ignore[arg-type]

    settle(jobs[0])
    for job, future in zip(jobs[1:], futures):
        settle(job if future is None or future.cancel() else future.result)
    if first_error is not None:
        raise first_error
    return results

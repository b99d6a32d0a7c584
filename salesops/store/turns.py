"""Taking turns at a DuckDB file between the app and the outlook child (docs/FORECASTS.md).

DuckDB lets one process have a file at a time. A program waiting for the file touches
``<file>.wanted`` (:func:`salesops.store.dialect._duckdb_connect_waiting`); a program that yields
(:func:`yield_when_wanted`, the outlook child) lets the file go when it sees someone else's touch.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine


def wanted_path(engine: Engine) -> Path:
    """The file a program waiting for the DuckDB file touches while it waits: ``<file>.wanted``. A
    program that yields (:func:`yield_when_wanted`, the outlook child) lets the file go when it sees
    someone else's touch there."""
    return Path(f"{engine.url.database}.wanted")


#: A touch of the wanted-file this recent (seconds) means a program is waiting now: the waiting loop
#: touches it every 0.2 s, so it goes stale within this once the waiter has the file.
WANTED_FRESH_SECONDS = 0.6


def wanted_by_other(wanted: Path, now: float | None = None) -> bool:
    """Whether another process is waiting for the file now: ``wanted`` touched within
    WANTED_FRESH_SECONDS by a process other than this one."""
    try:
        touched = wanted.stat().st_mtime
        pid = wanted.read_text().strip()
    except OSError:
        return False
    fresh = (time.time() if now is None else now) - touched < WANTED_FRESH_SECONDS
    return fresh and pid != str(os.getpid())


#: The longest a yielding program waits for a waiter to take its turn before it goes on.
YIELD_WAIT_SECONDS = 30.0


def yield_when_wanted(engine: Engine) -> None:
    """Make ``engine`` (a DuckDB file's; the outlook child's) let the file go whenever another program
    waits for it: at each connection's checkout, when the wanted-file was touched by someone else
    and no other connection of this process is out, its connections are closed (DuckDB frees the
    file with its last one) until the waiter has the file, then it opens the file again, waiting its
    own turn. A page thus waits for one of the child's queries, not its whole run. It yields at the
    start of a connection's use only, never inside a transaction; once per checkout."""
    from salesops.store import dialect

    if engine.dialect.name != dialect.DUCKDB or not dialect._is_duckdb_file(engine):
        return
    release = next((r for r in dialect._IDLE_RELEASES if r.engine is engine), None)
    wanted = wanted_path(engine)
    state = {"yielded": False}

    def checkout(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
        if state["yielded"]:  # the retry after a yield: go on, whoever touched since
            state["yielded"] = False
            return
        if (release is not None and release.out) or not wanted_by_other(wanted):
            return
        dbapi_conn.close()
        engine.pool.dispose()  # the idle ones too: DuckDB keeps the file while any is open
        give_up = time.monotonic() + YIELD_WAIT_SECONDS
        while wanted_by_other(wanted) and time.monotonic() < give_up:
            time.sleep(0.1)
        state["yielded"] = True
        # The pool drops this (closed) connection and opens a new one: the file once the waiter's done.
        raise sa.exc.DisconnectionError("yielded the DuckDB file to a waiting program")

    # First among the checkout listeners, so the idle-release count sees only the checkout that stays.
    sa.event.listen(engine, "checkout", checkout, insert=True)

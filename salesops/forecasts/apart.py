"""Outlooks and the model choice computed in a child process: the app only reads them (issue #21).

At 10M deals one outlook needs more than a gigabyte and a quarter's outlooks take many minutes,
while the app (one process; every session is a thread of it) keeps under 1 GB. So the app never
computes them itself. When the Forecasts page finds an outlook missing at the current data version
(:class:`~salesops.errors.NotComputedYet`), :func:`start` starts ONE child process per store,

    python -c "from salesops.forecasts import apart; apart.run_child()" URL AS_OF KINDS CHOICE

which stores every level of the current period(s) of ``KINDS``
(:func:`~salesops.forecasts.outlook_cache.warm_outlooks`, the first kind first) and, with ``CHOICE``
= 1, each series' model choice (:func:`~salesops.forecasts.choice.warm_if_missing`), then exits.
The page shows the :class:`Job` (:func:`Job.message`: started when, about how long) and reruns
when the result is stored. The warm-up at server start and an import on the Data page start the
same child. The CLI and the benchmark compute in their own process
(:func:`~salesops.forecasts.outlook_cache.cached_outlook`): they are such a child already.

On DuckDB the child and the app take turns at the file (one process at a time, each lets it go
after a second idle: :mod:`salesops.store.dialect`; the child yields to a waiting page at its next
checkout, :mod:`salesops.store.turns`): while the child reads a snapshot, a page waits
up to SALESOPS_LOCK_WAIT seconds for its turn. On PostgreSQL they run side by side.
"""

from __future__ import annotations

import atexit
import hashlib
import math
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from salesops import config, store
from salesops.store import turns

#: What the child runs (its arguments: URL AS_OF KINDS CHOICE).
CHILD_CODE = "from salesops.forecasts import apart; apart.run_child()"
#: Seconds between two looks of a waiting page at whether its result is stored.
POLL_SECONDS = 5
#: The child's DuckDB memory limit when SALESOPS_DUCKDB_MEMORY is unset: DuckDB spills past it, and
#: the child's own arrays need the rest of its budget. At 10M deals one outlook (every level, one
#: simulation) peaked at 1,216 MB with 768MB and 1,072 MB with 512MB, in the same time (217 and 221 s
#: side by side): DuckDB fills its limit on the as-of pipeline's window over 47M stage-history rows.
#: 256MB with one thread (below): the quarter's outlooks with their backtest at 10M deals had
#: peaked at 1,335 MB with 512MB and two threads (docs/FORECASTS.md, "Computed apart from the app").
CHILD_DUCKDB_MEMORY = "256MB"
#: The child's DuckDB threads when SALESOPS_DUCKDB_THREADS is unset: one, so DuckDB's per-thread
#: buffers do not add to its limit, and the app (which has every CPU) keeps one core for its pages.
CHILD_DUCKDB_THREADS = "1"
#: The child waits this long (at least) for its turn at a DuckDB file the app is using.
CHILD_LOCK_WAIT = 600
#: The estimate shown while waiting: seconds per period kind, fixed and per million deals, and the
#: model choice's (Prophet fits). Measured on the bench machine (2 cores, busy), a quarter's outlooks
#: at every level: 10 s at 18k deals, 350-680 s at 985k, about 30 min at 9.8M (docs/FORECASTS.md).
SECONDS_PER_KIND = 20.0
SECONDS_PER_KIND_PER_MILLION_DEALS = 240.0
CHOICE_SECONDS = 300.0


@dataclass(eq=False)
class Job:
    """One child computing a store's outlooks (and model choice) at data version ``version``;
    ``gave_up`` says why a child that exited cleanly left the result missing."""

    url: str
    kinds: tuple[str, ...]
    choice: bool
    version: int
    minutes: int
    deals: int
    started: float  # time.monotonic() at the start
    process: subprocess.Popen
    log: Path
    gave_up: str = ""

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    @property
    def failed(self) -> bool:
        """Ended with an error (a finished job whose result is still missing is treated the same)."""
        return self.process.poll() not in (None, 0) or (bool(self.gave_up) and not self.running)

    def error(self) -> str:
        """The last line the child wrote (its exception), or its exit code."""
        if self.gave_up:
            return self.gave_up
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            text = ""
        text = text.split("\nnanobind:", 1)[0]  # DuckDB's binding lists its leaks at exit: not the error
        lines = [x.strip() for x in text.splitlines() if x.strip()]
        named = [x for x in lines if re.match(r"^[A-Za-z_][\w.]*: ", x)]  # "salesops.errors.InvalidFilter: …"
        return (named or lines or [f"exit {self.process.poll()}"])[-1][:300]

    def message(self, what: str) -> str:
        """What a waiting page says about ``what`` ('The 2026-Q4 outlook'): a sentence, no figure made up."""
        if self.running:
            waited = int(time.monotonic() - self.started)
            so_far = f"{waited // 60} min {waited % 60:02d} s" if waited >= 60 else f"{waited} s"
            unit = "minute" if self.minutes == 1 else "minutes"
            if waited > self.minutes * 60:  # a busy machine (other work, a large store): say so, not a stale figure
                return (
                    f"{what} is being computed in the background, apart from the app. It is taking longer than "
                    f"the usual {self.minutes} {unit} for {self.deals:,} deals (running for {so_far}): the "
                    "machine is busy or slower than the one it was measured on. It goes on; this part of the "
                    "page refreshes when it is ready."
                )
            return (
                f"{what} is being computed in the background, apart from the app: about {self.minutes} {unit} "
                f"for {self.deals:,} deals (running for {so_far}). This part of the page refreshes when it is ready."
            )
        return f"{what} could not be computed: {self.error()}"

    def wait(self, timeout: float | None = None) -> int:
        """Until the child has exited (its exit code)."""
        return self.process.wait(timeout)


_JOBS: dict[str, Job] = {}
_LOCK = threading.Lock()


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def estimate_minutes(deals: int, kinds: tuple[str, ...], choice: bool) -> int:
    """Whole minutes (at least 1) the child should take for a store of ``deals`` deals."""
    seconds = len(kinds) * (SECONDS_PER_KIND + SECONDS_PER_KIND_PER_MILLION_DEALS * deals / 1e6)
    return max(1, math.ceil((seconds + (CHOICE_SECONDS if choice else 0.0)) / 60))


def missing(engine: Engine, as_of: date, kinds: tuple[str, ...], choice: bool) -> bool:
    """Whether any outlook of the current ``kinds`` (or, with ``choice``, the model choice) is not
    stored at this data version."""
    from salesops.forecasts import choice as choice_mod
    from salesops.forecasts.outlook_cache import missing_outlooks

    if missing_outlooks(engine, as_of, kinds):
        return True
    return choice and choice_mod.stored_choices(engine, as_of, ("company",)) is None


def current(engine: Engine) -> Job | None:
    """The store's last job started by this process (running or ended), if any."""
    return _JOBS.get(_url(engine))


def start(
    engine: Engine, as_of: date, kinds: tuple[str, ...] = ("quarter",), choice: bool = False, *, code: str = CHILD_CODE
) -> Job | None:
    """Have the missing outlooks of ``kinds`` (and the model choice, with ``choice``) computed in a
    child process (``python -c code``, :data:`CHILD_CODE`); the job, or None when nothing is missing
    (or the store has no deals to compute from).

    One child per store at a time: while one runs it is returned (a kind it does not cover is started
    after it, by the next call). A child that ended without storing the result at this data version
    is not started again at that version (its :meth:`Job.message` says why), so a page polling for it
    never loops.
    """
    url = _url(engine)
    with _LOCK:
        job = _JOBS.get(url)
        if job is not None and job.running:
            return job
        version = store.data_version(engine)
        if not missing(engine, as_of, kinds, choice):
            return None
        if job is not None and job.version == version and set(kinds) <= set(job.kinds):
            if not job.failed:
                job.gave_up = "the computation ended without storing it (python -m salesops outlook shows why)"
            return job
        with engine.connect() as conn:
            deals = int(conn.execute(sa.text("SELECT COUNT(*) FROM deals")).scalar_one())
        if deals == 0:
            return None  # nothing to compute from: the page shows the empty state
        job = _spawn(url, as_of, kinds, choice, version, deals, code)
        _JOBS[url] = job
        return job


def _spawn(url: str, as_of: date, kinds: tuple[str, ...], choice: bool, version: int, deals: int, code: str) -> Job:
    env = dict(os.environ)
    if not env.get("SALESOPS_DUCKDB_MEMORY", "").strip():
        env["SALESOPS_DUCKDB_MEMORY"] = CHILD_DUCKDB_MEMORY
    if not env.get("SALESOPS_DUCKDB_THREADS", "").strip():
        env["SALESOPS_DUCKDB_THREADS"] = CHILD_DUCKDB_THREADS
    env["SALESOPS_LOCK_WAIT"] = str(max(CHILD_LOCK_WAIT, config.lock_wait()))
    name = hashlib.sha1(url.encode()).hexdigest()[:12]
    log = Path(tempfile.gettempdir()) / f"salesops-forecasts-{name}.log"
    args = [sys.executable, "-c", code, url, as_of.isoformat(), ",".join(kinds), "1" if choice else "0"]
    root = Path(__file__).resolve().parents[2]  # where `salesops` is importable from, as in the app
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - our own module, arguments built here
            args,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=root,
            start_new_session=True,  # a group of its own: stopping it stops its Prophet workers too
        )
    minutes = estimate_minutes(deals, kinds, choice)
    return Job(url, tuple(kinds), choice, version, minutes, deals, time.monotonic(), process, log)


def run_child(argv: list[str] | None = None) -> int:
    """(The child) store the outlooks of KINDS and, with CHOICE = 1, the model choice; exit code 0."""
    from salesops.forecasts import choice as choice_mod
    from salesops.forecasts.outlook_cache import warm_outlooks

    url, as_of_text, kinds_text, with_choice = argv if argv is not None else sys.argv[1:]
    as_of = date.fromisoformat(as_of_text)
    if hasattr(os, "nice"):
        os.nice(5)  # the app's pages come first on a shared machine
    engine = store.open_store(url)
    # On DuckDB the app and the child take turns at the file: the child lets it go whenever a page
    # waits (at its next query), so a page waits for one of its queries, not for the whole run.
    turns.yield_when_wanted(engine)
    try:
        warm_outlooks(engine, as_of, tuple(kinds_text.split(",")), even_empty=True)
        if with_choice == "1":
            choice_mod.warm_if_missing(engine, as_of)
    finally:
        engine.dispose()
    return 0


@atexit.register
def _stop_children() -> None:
    """The app stopping stops its children (a restarted app starts them again when needed)."""
    for job in list(_JOBS.values()):
        if job.running:
            try:  # the child and the forecast worker pool it started (orphans otherwise)
                os.killpg(job.process.pid, signal.SIGTERM)
            except (OSError, AttributeError):  # gone meanwhile, or no process groups (Windows)
                job.process.terminate()

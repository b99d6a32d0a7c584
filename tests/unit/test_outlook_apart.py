"""Outlooks computed apart: the app only reads them, a child process computes and stores the missing ones."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from salesops.errors import NotComputedYet
from salesops.forecasts import apart
from salesops.forecasts.outlook import OUTLOOK_BY, outlook, outlooks
from salesops.forecasts.outlook_cache import missing_outlooks, stored_outlook
from tests.unit.test_outlook import org  # noqa: F401 - the hand-sized organisation, a fixture

AS_OF = date(2026, 11, 24)


def test_outlooks_of_several_levels_from_one_simulation_are_each_levels_outlook(org):  # noqa: F811 - the fixture imported above
    """outlooks(levels) gives, per level, exactly outlook(level) (the warm path stores the first)."""
    together = outlooks(org, "2026-Q4", OUTLOOK_BY, AS_OF)
    for by in OUTLOOK_BY:
        pd.testing.assert_frame_equal(together[by], outlook(org, "2026-Q4", by, AS_OF))


def test_a_missing_outlook_is_computed_in_a_child_process_and_read_back(org):  # noqa: F811 - the fixture imported above
    """Missing: stored_outlook raises NotComputedYet; start() runs one child, which stores every level
    of the quarter exactly as outlook() computes it; then nothing is missing and start() returns None."""
    with pytest.raises(NotComputedYet, match="not computed for this data yet"):
        stored_outlook(org, "2026-Q4", "company", AS_OF)
    job = apart.start(org, AS_OF, ("quarter",))
    assert job is not None and apart.start(org, AS_OF, ("quarter",)) is job  # one child at a time
    assert "being computed in the background" in job.message("The 2026-Q4 outlook") or not job.running
    assert job.wait(240) == 0, job.error()
    assert missing_outlooks(org, AS_OF, ("quarter",)) == []
    for by in OUTLOOK_BY:
        pd.testing.assert_frame_equal(stored_outlook(org, "2026-Q4", by, AS_OF), outlook(org, "2026-Q4", by, AS_OF))
    assert apart.start(org, AS_OF, ("quarter",)) is None


#: A child that fails as a real one does: an exception's traceback, then DuckDB's exit noise.
FAILING = (
    "import sys; sys.stderr.write('Traceback (most recent call last):\\n  ...\\n"
    "salesops.errors.StoreOutOfMemory: The database reached its memory limit.\\n"
    "nanobind: leaked 3 instances!\\n'); sys.exit(1)"
)


def test_a_child_that_fails_is_reported_and_not_started_again_at_the_same_data_version(org):  # noqa: F811 - the fixture imported above
    """A child exiting with an error: the job says why (its exception's line, not the exit noise), and
    start() returns that job again rather than starting another child at this data version."""
    job = apart.start(org, AS_OF, ("month",), code=FAILING)
    assert job is not None and job.wait(60) == 1
    assert job.failed and job.error() == "salesops.errors.StoreOutOfMemory: The database reached its memory limit."
    assert apart.start(org, AS_OF, ("month",)) is job
    assert job.message("The 2026-11 outlook") == (
        "The 2026-11 outlook could not be computed: salesops.errors.StoreOutOfMemory: The database reached its "
        "memory limit."
    )


#: A child that prints the DuckDB settings it would open the store with.
SETTINGS = "from salesops import config; print(config.duckdb_memory_limit(), config.duckdb_threads())"


@pytest.mark.parametrize(
    ("memory", "threads", "expected"),
    [("", "", "256MB 1"), ("1GB", "", "1GB 1"), ("", "2", "256MB 2"), ("768MB", "3", "768MB 3")],
)
def test_the_child_opens_duckdb_with_256mb_and_one_thread_unless_set(tmp_path, monkeypatch, memory, threads, expected):
    """The child's DuckDB limit and threads: 256MB and 1 when SALESOPS_DUCKDB_MEMORY/THREADS are unset
    (the quarter's outlooks at 10M deals then stay under the 1 GB budget), the user's values when set."""
    monkeypatch.setenv("SALESOPS_DUCKDB_MEMORY", memory)
    monkeypatch.setenv("SALESOPS_DUCKDB_THREADS", threads)
    monkeypatch.setattr(apart.tempfile, "gettempdir", lambda: str(tmp_path))
    job = apart._spawn("duckdb:///x.duckdb", AS_OF, ("quarter",), False, 1, 10, SETTINGS)
    assert job.wait(60) == 0, job.log.read_text()
    assert job.log.read_text().split("\n")[0] == expected


@pytest.mark.parametrize(
    ("deals", "kinds", "choice", "minutes"),
    [(18_000, ("quarter",), False, 1), (985_000, ("quarter",), False, 5), (9_800_000, ("quarter", "month"), True, 85)],
)
def test_the_wait_is_estimated_in_whole_minutes_from_the_store_size(deals, kinds, choice, minutes):
    """estimate_minutes: at least one minute, growing with the deals, the kinds and the model choice."""
    assert apart.estimate_minutes(deals, kinds, choice) == minutes


def _running_job(tmp_path, minutes: int, waited: float) -> apart.Job:
    import subprocess
    import sys
    import time

    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    return apart.Job(
        url="duckdb:///x.duckdb",
        kinds=("quarter",),
        choice=False,
        version=1,
        minutes=minutes,
        deals=985_000,
        started=time.monotonic() - waited,
        process=process,
        log=tmp_path / "child.log",
    )


@pytest.mark.parametrize(
    ("waited", "expected"),
    [
        (
            125,
            "The 2026-Q4 outlook is being computed in the background, apart from the app: about 5 minutes for "
            "985,000 deals (running for 2 min 05 s). This part of the page refreshes when it is ready.",
        ),
        (
            301,
            "The 2026-Q4 outlook is being computed in the background, apart from the app. It is taking longer "
            "than the usual 5 minutes for 985,000 deals (running for 5 min 01 s): the machine is busy or slower "
            "than the one it was measured on. It goes on; this part of the page refreshes when it is ready.",
        ),
    ],
)
def test_a_wait_past_its_estimate_says_it_is_taking_longer(tmp_path, waited, expected):
    """Within the estimate the page gives it; past it (a busy machine: 37 min for a 30 min estimate at
    10M deals), it says the run takes longer than usual rather than showing an estimate already passed."""
    job = _running_job(tmp_path, 5, waited)
    try:
        assert job.message("The 2026-Q4 outlook") == expected
    finally:
        job.process.kill()
        job.process.wait()

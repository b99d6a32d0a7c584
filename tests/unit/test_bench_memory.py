"""bench/memory.py's child runner: a chatty child never stalls, and each run keeps its own log."""

from __future__ import annotations

import sys

from bench import memory

CHATTY = "import sys; sys.stderr.write('batch done\\n' * 20000); print('{\"peak_mb\": 1.5}')"


def test_a_child_logging_more_than_a_pipe_holds_finishes_and_its_log_is_kept():
    """200 KB of progress on stderr (a large build logs every batch): read only at the end through a
    pipe, the child would block on its 64 KB buffer until the timeout stopped it."""
    result = memory._run_logged([sys.executable, "-c", CHATTY], "chatty", timeout=60)
    assert result == {"peak_mb": 1.5}


def test_two_runs_write_two_logs_and_a_failure_names_its_own():
    """Two runs of one command at once must not mix their logs: each failure points at its own file,
    which holds that run's traceback."""
    failing = [sys.executable, "-c", "import sys; sys.stderr.write('step 1\\n'); raise ValueError('bad batch')"]
    first = memory._run_logged(failing, "build", timeout=60)
    second = memory._run_logged(failing, "build", timeout=60)
    assert "ValueError: bad batch" in first["error"] and "exit 1" in first["error"]
    log_1 = first["error"].split("(log: ")[1].rstrip(")")
    log_2 = second["error"].split("(log: ")[1].rstrip(")")
    assert log_1 != log_2
    with open(log_1) as f:
        text = f.read()
    assert text.startswith("step 1\n") and "ValueError: bad batch" in text

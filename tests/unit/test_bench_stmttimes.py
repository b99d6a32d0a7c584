"""bench/stmttimes.py refuses a store that is not there instead of creating an empty one."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def test_a_missing_store_or_help_is_refused_and_no_file_is_created(tmp_path):
    """`--help` prints the usage and a path with no file says so; neither leaves a file behind (an empty
    DuckDB file named `--help` was once committed at the top level this way)."""
    for args, said in (
        (["--help"], "python bench/stmttimes.py STORE"),
        ([str(tmp_path / "nope.duckdb")], "no such store file"),
    ):
        done = subprocess.run(
            [sys.executable, str(ROOT / "bench/stmttimes.py"), *args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 1 and said in done.stderr
    assert list(tmp_path.iterdir()) == []

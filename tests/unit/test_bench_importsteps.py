"""bench/importsteps.py: a real import with each derived-table step timed, and its peaks honest."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import sqlalchemy as sa

from salesops import store
from tests.conftest import ROOT

STEP = re.compile(r"^(\S+)\s+([\d.]+) s  peak\s+([\d,]+) MB  now\s+([\d,]+) MB$")


def test_an_accounts_import_prints_each_step_and_writes_the_accounts(new_store_url, tmp_path):
    """Two accounts (one the other's parent) into a new store: the command succeeds, the accounts are
    stored, every derived step an accounts import rewrites prints a line, and the outer step's peak
    (refresh_derived) is at least each inner step's (an inner step resets the kernel's peak)."""
    url = new_store_url("steps")
    store.migrate_store(url)
    csv = tmp_path / "accounts.csv"
    csv.write_text("account_id,name,parent_id\nZZ-1,Zeta One,\nZZ-2,Zeta Two,ZZ-1\n")
    done = subprocess.run(
        [sys.executable, "bench/importsteps.py", "accounts", str(csv), url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "SALESOPS_WARMUP": "0"},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    steps = {}
    for line in done.stdout.splitlines():
        if m := STEP.match(line):
            steps[m[1]] = int(m[3].replace(",", ""))
    assert {"accounts._check_cycles", "derived.refresh_account_roots", "derived.refresh_derived"} <= set(steps)
    inner = [
        peak
        for name, peak in steps.items()
        if name.startswith("derived.refresh_") and name != "derived.refresh_derived"
    ]
    assert inner and steps["derived.refresh_derived"] >= max(inner)
    assert re.search(r"^exit 0 in [\d.]+ s", done.stdout, re.M)
    engine = store.open_store(url)
    with engine.connect() as conn:
        got = conn.execute(sa.text("SELECT account_id, parent_id FROM accounts ORDER BY account_id")).fetchall()
    engine.dispose()
    assert [tuple(r) for r in got] == [("ZZ-1", None), ("ZZ-2", "ZZ-1")]

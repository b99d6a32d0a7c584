"""Warm medians of every page's data calls for one checkout, to compare two trees on one machine.

    python bench/basebench.py ROOT STORE

ROOT is a checkout of salesops (this one, or an older commit's worktree); STORE a medium store file
for it (built there when missing, migrated when older). Run two trees alternately (old, new, old,
new) so the machine's load weighs on both alike; bench/run.py remains the benchmark of record.
"""

from __future__ import annotations

import os
import sys
from datetime import date
from pathlib import Path


def main(root: str, db: str) -> None:
    sys.path.insert(0, root)
    os.chdir(root)
    os.environ.setdefault("SALESOPS_TODAY", "2026-11-24")
    import bench.run as br  # the tree's own bench, imported from ROOT
    from bench import workloads

    engine, _url = br.prepare_store("medium", Path(db))
    for page, calls in workloads.page_calls(engine, date(2026, 11, 24)).items():
        _first, median, _max = br.timed(lambda calls=calls: [c() for c in calls.values()], 5)
        print(f"{page:34s} warm {median:8.1f} ms", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

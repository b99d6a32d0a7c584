"""Many at once on PostgreSQL: 20 app sessions read the pages' data while a CLI import of 100k deals,
a survey round of 50 submissions and a plan save run — no error, no lost or duplicated row, and every
read sees the data before or after the import, never part of it."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from salesops import performance as metrics
from salesops import store
from salesops.comp import queries as comp_store
from salesops.comp.plan_format import plan_from_json
from salesops.comp.queries import example_plans
from salesops.demo import build_demo
from salesops.leaderboards import load_board_data
from salesops.scope import Scope
from salesops.tools import answers, rounds
from salesops.tools.survey import Answer
from tests.conftest import ROOT, SEED, TODAY

IMPORTED = 100_000
#: The imported deals all close as won in 2019, before the demo's history: a scope of 2019 sees
#: either none of them or all of them.
Y2019 = Scope(start=date(2019, 1, 1), end=date(2019, 12, 31), grain="year")
READERS = 20
DEADLINE_S = 300


def _import_file(path, rep_ids: list[str]) -> int:
    """A deals CSV of IMPORTED won deals in 2019 over the given reps; returns their total in cents."""
    rng = np.random.default_rng(3)
    cents = rng.integers(1_000, 5_000_000, IMPORTED)
    created = pd.Timestamp("2019-01-01") + pd.to_timedelta(rng.integers(0, 200, IMPORTED), unit="D")
    frame = pd.DataFrame(
        {
            "deal_id": [f"IMP{i:07d}" for i in range(IMPORTED)],
            "rep_id": np.array(rep_ids)[rng.integers(0, len(rep_ids), IMPORTED)],
            "stage": "Closed Won",
            "outcome": "won",
            "amount": [f"{c // 100}.{c % 100:02d}" for c in cents],
            "created_date": created.strftime("%Y-%m-%d"),
            "close_date": (created + pd.Timedelta(days=60)).strftime("%Y-%m-%d"),
        }
    )
    frame.to_csv(path, index=False)
    return int(cents.sum())


def _survey_round(engine) -> list[str]:
    """Open a round on two tools with 50 links; return the tokens."""
    opened = rounds.open_round(
        engine,
        name="Load test",
        opens_on=TODAY - timedelta(days=1),
        closes_on=TODAY + timedelta(days=5),
        tool_ids=["crm", "dialer"],
    )
    tokens = list(opened.link_list["token"])  # the links come back once, when the round opens
    assert len(tokens) >= 50
    return tokens[:50]


@pytest.mark.store("postgresql")
@pytest.mark.slow
def test_twenty_readers_while_an_import_a_survey_round_and_a_plan_save_run(new_store_url, tmp_path):
    """Readers see the 2019 total as before or after the 100k-row import, and every write lands once."""
    url = new_store_url("many")
    engine = store.open_store(url)
    build_demo(engine, seed=SEED, scale="small", today=TODAY)
    with engine.connect() as conn:
        rep_ids = [r[0] for r in conn.execute(sa.text("SELECT rep_id FROM reps WHERE role = 'AE' ORDER BY rep_id"))]
    csv_path = tmp_path / "deals_2019.csv"
    imported_cents = _import_file(csv_path, rep_ids)
    tokens = _survey_round(engine)
    before = store.table_counts(engine)
    version_before = store.data_version(engine)
    old_won = metrics.headline(engine, Y2019).won_cents
    seen: set[int] = set()
    errors: list[BaseException] = []
    reads = [0]
    stop = threading.Event()
    quarter = Scope.current(TODAY, "quarter")

    def reader() -> None:
        while not stop.is_set():
            try:
                seen.add(int(metrics.headline(engine, Y2019).won_cents))
                metrics.attainment_by_team(engine, quarter)
                load_board_data(engine, quarter, ("attainment",))
                comp_store.list_plans(engine)
                reads[0] += 1
            except BaseException as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)
                return

    def submit(token: str) -> None:
        try:
            base = dict(satisfaction=4, ease=3, recommend=8, usage="daily", likes="", dislikes="")
            answers.submit(engine, token, [Answer(tool_id="crm", **base), Answer(tool_id="dialer", **base)])
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    readers = [threading.Thread(target=reader) for _ in range(READERS)]
    for t in readers:
        t.start()
    cli = subprocess.Popen(
        [sys.executable, "-m", "salesops", "import", "deals", str(csv_path), "--db", url],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    submitters = [threading.Thread(target=submit, args=(t,)) for t in tokens]
    for t in submitters:
        t.start()
    plan = plan_from_json(next(iter(example_plans().values())))
    plan_id, plan_version = comp_store.save_plan(engine, plan)
    for t in submitters:
        t.join(timeout=DEADLINE_S)
    out, err = cli.communicate(timeout=DEADLINE_S)
    time.sleep(0.5)  # let every reader see the new version at least once
    stop.set()
    for t in readers:
        t.join(timeout=DEADLINE_S)

    assert cli.returncode == 0, err
    assert errors == [], errors[:3]
    assert reads[0] >= READERS
    assert seen <= {old_won, old_won + imported_cents}, seen
    assert old_won + imported_cents in seen
    after = store.table_counts(engine)
    assert after["deals"] == before["deals"] + IMPORTED
    assert after["survey_responses"] == before["survey_responses"] + 2 * len(tokens)
    assert after["comp_plans"] == before["comp_plans"] + 1
    assert after["import_log"] == before["import_log"] + 1
    with engine.connect() as conn:
        distinct = conn.execute(sa.text("SELECT COUNT(DISTINCT deal_id) FROM deals")).scalar_one()
        used = conn.execute(
            sa.text("SELECT COUNT(*) FROM survey_invites WHERE used AND token IN :tokens").bindparams(
                sa.bindparam("tokens", expanding=True)
            ),
            {"tokens": tokens},
        ).scalar_one()
        versions = conn.execute(
            sa.text("SELECT COUNT(*), COUNT(DISTINCT version) FROM changes WHERE version > :v"), {"v": version_before}
        ).one()
    assert distinct == after["deals"]
    assert used == len(tokens)
    assert versions[0] == versions[1] == 1 + len(tokens) + 1  # the import, each submission, the plan
    assert comp_store.load_plan(engine, plan_id, plan_version) == plan
    engine.dispose()

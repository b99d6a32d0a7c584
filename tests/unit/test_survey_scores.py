"""survey_team_scores (revision 0030) equals the answers counted per round, tool and team — computed
here in pandas, apart from the SQL that fills it — after answers are stored, submitted through a
link, added and deleted, and after the migration that creates it; the scores read from it are the
averages over the answers."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa
from alembic import command

from salesops import store
from salesops.store import derived, migrate, schema
from salesops.tools import answers, results
from tests.builders import insert, survey_answer
from tests.unit.test_survey_submit import _answers, open_engine  # noqa: F401 - the fixture

_KEY = ["round_id", "tool_id", "team_id"]
_SUMS = ["answers", "satisfied", "promoters", "detractors", "satisfaction", "ease"]


def _answer(i: int, round_id: str, tool: str, team: str | None, sat: int, ease: int, rec: int) -> dict:
    return survey_answer(f"S{round_id}{i:03d}", round_id, tool, team, sat, ease, rec)


def _old_answers(n: int, offset: int = 0) -> list[dict]:
    teams = ["T1", "T2", None]
    return [
        _answer(offset + i, "old", ("crm", "dialer")[i % 2], teams[i % 3], 1 + i % 5, 1 + (i * 3) % 5, (i * 7) % 11)
        for i in range(n)
    ]


def _assert_current(engine) -> None:
    got = store.read_frame(engine, sa.text("SELECT * FROM survey_team_scores"))
    raw = store.read_frame(engine, sa.select(schema.survey_responses))
    raw = raw.assign(
        answers=1,
        satisfied=(raw["satisfaction"] >= 4).astype(int),
        promoters=(raw["recommend"] >= 9).astype(int),
        detractors=(raw["recommend"] <= 6).astype(int),
    )
    want = raw.groupby(_KEY, dropna=False, as_index=False)[_SUMS].sum()

    def norm(frame: pd.DataFrame) -> pd.DataFrame:
        out = frame[_KEY + _SUMS].astype({c: "int64" for c in _SUMS})
        out = out.astype({c: object for c in _KEY})
        out["team_id"] = out["team_id"].where(out["team_id"].notna(), "")
        return out.sort_values(_KEY).reset_index(drop=True)

    pd.testing.assert_frame_equal(norm(got), norm(want))


def test_stored_submitted_added_and_deleted_answers_keep_the_counts_equal_to_the_answers(open_engine):  # noqa: F811
    e = open_engine
    insert(e, schema.survey_responses, _old_answers(40))
    _assert_current(e)
    assert answers.submit(e, "tok01", _answers()) == 2
    assert answers.submit(e, "tok02", _answers(satisfaction=2, recommend=3)) == 2
    _assert_current(e)
    insert(e, schema.survey_responses, _old_answers(9, offset=40))
    _assert_current(e)
    # the scores summed from the counts are the averages over the answers
    raw = store.read_frame(e, sa.select(schema.survey_responses).where(schema.survey_responses.c.round_id == "old"))
    crm = raw[raw["tool_id"] == "crm"]
    row = results.tool_results(e, "old").set_index("tool_id").loc["crm"]
    assert row["answers"] == len(crm)
    assert float(row["csat"]) == pytest.approx((crm["satisfaction"] >= 4).mean(), rel=1e-12)
    assert float(row["mean_ease"]) == pytest.approx(crm["ease"].mean(), rel=1e-12)
    nps = 100.0 * ((crm["recommend"] >= 9).mean() - (crm["recommend"] <= 6).mean())
    assert float(row["nps"]) == pytest.approx(nps, rel=1e-12, abs=1e-9)
    by_team = results.team_breakdown(e, "old").set_index(["tool_id", "team_id"])
    assert by_team.loc[("crm", "T1"), "answers"] == int((crm["team_id"] == "T1").sum())

    def delete(conn) -> None:
        conn.execute(sa.text("DELETE FROM survey_responses WHERE round_id = 'old' AND team_id = 'T2'"))
        derived.refresh_derived(conn, {"survey_responses"})

    store.write(e, delete, "test")
    _assert_current(e)


def test_migration_0030_creates_and_fills_the_counts_of_an_existing_store(new_store_url):
    engine = store.open_store(new_store_url("at0029"))
    insert(engine, schema.survey_responses, _old_answers(12))
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE survey_team_scores"))
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0029'"))
        assert migrate.status(conn).state == "behind"
    with engine.begin() as conn:
        command.upgrade(migrate._config(conn), "head")
    _assert_current(engine)
    engine.dispose()

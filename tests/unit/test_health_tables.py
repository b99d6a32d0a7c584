"""The data-health tables (open_deal_touches, deal_duplicates, deal_pushes) equal their definition —
computed here in pandas, apart from the SQL that fills them — after the demo build, a deals import, an
activities import (which rewrites only the deals it touches), change-log writes and deletes, a refused
import and the migrations that create them for an existing store; and their rows by hand on a small
organisation."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
import sqlalchemy as sa
from alembic import command

from salesops import ingest, store
from salesops.store import derived, health_tables, migrate, schema
from tests.builders import deal, insert, rep

_TOUCH = [
    "deal_id", "team_id", "rep_id", "label", "amount_cents", "close_date", "last_touch", "created_date",
    "probability_bp",
]  # fmt: skip
_DUP = ["deal_id", "team_id", "rep_id", "label", "amount_cents", "others", "outcome", "close_date"]
_PUSH = ["deal_id", "team_id", "rep_id", "label", "amount_cents", "outcome", "close_date", "pushes"]


def _read(engine, sql: str) -> pd.DataFrame:
    return store.read_frame(engine, sa.text(sql))


def _norm(frame: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    """Rows sorted by deal id; dates as ISO text, missing values as '' / -1, amounts as int."""
    out = frame[cols].copy()
    for col in cols:
        if col in ("close_date", "last_touch", "created_date"):
            out[col] = pd.to_datetime(out[col]).dt.strftime("%Y-%m-%d").fillna("")
        elif col in ("amount_cents", "others", "pushes", "probability_bp"):
            out[col] = pd.to_numeric(out[col]).astype("Int64").fillna(-1).astype("int64")
        else:
            out[col] = out[col].astype(object).where(out[col].notna(), "")
    return out.sort_values("deal_id").reset_index(drop=True)


def _expected_pushes(engine, deals: pd.DataFrame) -> pd.DataFrame:
    """deal_pushes from the raw change log and deals, in pandas: close dates changed to a later one."""
    log = _read(engine, "SELECT deal_id, field, old_value, new_value FROM deal_changes")
    later = log[(log["field"] == "close_date") & (log["new_value"].astype(str) > log["old_value"].astype(str))]
    later = later[later["new_value"].notna() & later["old_value"].notna()]
    counts = later.groupby("deal_id").size().rename("pushes")
    return _norm(deals.join(counts, on="deal_id", how="inner"), _PUSH)


def _expected(engine) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Both tables from the raw deals, stage history and activities, in pandas."""
    deals = _read(
        engine,
        "SELECT deal_id, team_id, rep_id, name, account, amount_cents, outcome, created_date, close_date, "
        "probability_bp FROM deals",
    )
    deals["label"] = deals["name"].where(deals["name"].notna(), deals["account"])
    deals["label"] = deals["label"].where(deals["label"].notna(), deals["deal_id"])
    stages = _read(engine, "SELECT deal_id, entered_at AS at FROM deal_stage_history")
    acts = _read(engine, "SELECT deal_id, occurred_at AS at FROM activities WHERE deal_id IS NOT NULL")
    touched = pd.concat([stages, acts, deals[["deal_id"]].assign(at=deals["created_date"])], ignore_index=True)
    touched["at"] = pd.to_datetime(touched["at"])
    last = touched.groupby("deal_id")["at"].max().rename("last_touch")
    open_deals = deals[deals["outcome"] == "open"].join(last, on="deal_id")
    keyed = deals.dropna(subset=["account", "amount_cents", "close_date"])
    month = pd.to_datetime(keyed["close_date"]).dt.to_period("M")
    sizes = keyed.groupby([keyed["account"], keyed["amount_cents"], month])["deal_id"].transform("size")
    dups = keyed.assign(others=sizes - 1)[sizes > 1]
    return _norm(open_deals, _TOUCH), _norm(dups, _DUP)


def _assert_current(engine) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The three tables equal their definition in pandas; returns the first two (normalised)."""
    touches = _norm(_read(engine, "SELECT * FROM open_deal_touches"), _TOUCH)
    dups = _norm(_read(engine, "SELECT * FROM deal_duplicates"), _DUP)
    want_touches, want_dups = _expected(engine)
    pd.testing.assert_frame_equal(touches, want_touches)
    pd.testing.assert_frame_equal(dups, want_dups)
    _assert_pushes(engine)
    return touches, dups


def _assert_pushes(engine) -> pd.DataFrame:
    """deal_pushes equals its definition in pandas; returns it (normalised)."""
    deals = _read(
        engine, "SELECT deal_id, team_id, rep_id, name, account, amount_cents, outcome, close_date FROM deals"
    )
    deals["label"] = deals["name"].where(deals["name"].notna(), deals["account"])
    deals["label"] = deals["label"].where(deals["label"].notna(), deals["deal_id"])
    pushes = _norm(_read(engine, "SELECT * FROM deal_pushes"), _PUSH)
    pd.testing.assert_frame_equal(pushes, _expected_pushes(engine, deals))
    return pushes


def test_the_demo_build_fills_the_health_tables_with_their_definition(demo_engine):
    """After the demo build: every open deal with its last touch, the planted duplicate pair, and the
    planted deal pushed three times."""
    touches, dups = _assert_current(demo_engine)
    pushes = _assert_pushes(demo_engine)
    assert (pushes["pushes"] >= 3).any() and len(pushes) > 10
    opened = _read(demo_engine, "SELECT COUNT(*) AS n FROM deals WHERE outcome = 'open'")["n"].iloc[0]
    assert len(touches) == opened > 0
    assert {"D0002089", "D0018365"} <= set(dups["deal_id"])


def _org(engine) -> None:
    insert(engine, schema.teams, [dict(team_id="T1", name="One", region="North")])
    insert(engine, schema.reps, [rep("R1", "T1"), rep("R2", "T1")])


def _deals_file(*rows: tuple) -> pd.DataFrame:
    cols = ["deal_id", "rep_id", "account", "stage", "outcome", "amount", "created_date", "close_date"]
    return pd.DataFrame(list(rows), columns=cols)


def _acts_file(*rows: tuple) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=["activity_id", "rep_id", "type", "occurred_at", "deal_id"])


def _touch(touches: pd.DataFrame, deal_id: str) -> str:
    return touches.set_index("deal_id").loc[deal_id, "last_touch"]


def test_imports_keep_the_health_tables_equal_to_their_definition(empty_engine, monkeypatch):
    """By hand: open D1 (created 1 Mar) and D2 (created 5 Mar), duplicates D3/D4 (Acme, $10, March);
    activities touch D1 on 10 Mar then move to D2 on 20 Mar, rewriting only those deals; winning D1
    drops it; a new amount for D4 ends the duplicate pair."""
    _org(empty_engine)
    ingest.import_frame(
        empty_engine,
        "deals",
        _deals_file(
            ("D1", "R1", "Beta", "Prospect", "open", "100", "2025-03-01", "2025-06-30"),
            ("D2", "R2", "Gamma", "Prospect", "open", "200", "2025-03-05", "2025-06-30"),
            ("D3", "R1", "Acme", "Closed Won", "won", "10", "2025-01-01", "2025-03-02"),
            ("D4", "R2", "Acme", "Closed Won", "won", "10", "2025-01-01", "2025-03-28"),
        ),
    )
    touches, dups = _assert_current(empty_engine)
    assert (_touch(touches, "D1"), _touch(touches, "D2")) == ("2025-03-01", "2025-03-05")
    assert list(touches["label"]) == ["Beta", "Gamma"] and list(dups["others"]) == [1, 1]
    noted: list[bool] = []
    real = health_tables.touches_sql
    monkeypatch.setattr(health_tables, "touches_sql", lambda only=False: noted.append(only) or real(only))
    ingest.import_frame(empty_engine, "activities", _acts_file(("A1", "R1", "call", "2025-03-10", "D1")))
    touches, _ = _assert_current(empty_engine)
    assert _touch(touches, "D1") == "2025-03-10" and noted == [True]  # the touched deal alone
    ingest.import_frame(empty_engine, "activities", _acts_file(("A1", "R2", "call", "2025-03-20", "D2")))
    touches, _ = _assert_current(empty_engine)
    assert (_touch(touches, "D1"), _touch(touches, "D2")) == ("2025-03-01", "2025-03-20") and noted == [True, True]
    ingest.import_frame(
        empty_engine,
        "deals",
        _deals_file(
            ("D1", "R1", "Beta", "Closed Won", "won", "100", "2025-03-01", "2025-03-25"),
            ("D4", "R2", "Acme", "Closed Won", "won", "12", "2025-01-01", "2025-03-28"),
        ),
    )
    touches, dups = _assert_current(empty_engine)
    # the imported deals alone (salesops.store.deal_notes)
    assert list(touches["deal_id"]) == ["D2"] and dups.empty and noted[-1] is True


def test_a_refused_import_leaves_the_health_tables_as_they_were(empty_engine):
    """An activities file naming an unknown rep is refused whole: both tables keep their rows."""
    _org(empty_engine)
    insert(empty_engine, schema.deals, [deal(1, "R1", "T1", "open", 500, date(2025, 6, 1), created=date(2025, 1, 1))])
    before = _assert_current(empty_engine)
    with pytest.raises(ingest.ImportRejected):
        ingest.import_frame(empty_engine, "activities", _acts_file(("A9", "NOBODY", "call", "2025-01-02", "D001")))
    after = _assert_current(empty_engine)
    for old, new in zip(before, after):
        pd.testing.assert_frame_equal(old, new)
    assert _touch(after[0], "D001") == "2025-01-01"


def test_stage_history_and_deletes_rewrite_the_touches(empty_engine):
    """A stage change on 2 Feb is D001's last touch; deleting it and the deal's activity (by hand,
    then the refresh every writer runs) brings it back to the activity, then to the created date."""
    _org(empty_engine)
    insert(empty_engine, schema.deals, [deal(1, "R1", "T1", "open", 500, date(2025, 6, 1), created=date(2025, 1, 1))])
    insert(
        empty_engine,
        schema.activities,
        [dict(activity_id="A1", rep_id="R1", team_id="T1", type="call", occurred_at=date(2025, 1, 20), deal_id="D001")],
    )
    insert(empty_engine, schema.deal_stage_history, [dict(deal_id="D001", stage="Demo", entered_at=date(2025, 2, 2))])
    assert _touch(_assert_current(empty_engine)[0], "D001") == "2025-02-02"

    def delete(table: str):
        def run(conn) -> None:
            conn.execute(sa.text(f"DELETE FROM {table}"))  # noqa: S608 - a test's own table names
            derived.refresh_derived(conn, {table})

        return run

    store.write(empty_engine, delete("deal_stage_history"), "test delete")
    assert _touch(_assert_current(empty_engine)[0], "D001") == "2025-01-20"
    store.write(empty_engine, delete("activities"), "test delete")
    assert _touch(_assert_current(empty_engine)[0], "D001") == "2025-01-01"


def test_migration_0017_creates_and_fills_the_health_tables_of_an_existing_store(new_store_url):
    """A store at revision 0018 (the one before 0017) with an open deal touched by an activity and a
    duplicate pair gets both tables filled by revision 0017."""
    engine = store.open_store(new_store_url("at0018"))
    _org(engine)
    rows = [
        deal(1, "R1", "T1", "open", 500, date(2025, 6, 1), created=date(2025, 1, 1)),
        deal(2, "R1", "T1", "won", 9, date(2025, 1, 2)),
        deal(3, "R2", "T1", "won", 9, date(2025, 1, 30)),
    ]
    for r in rows:
        r["account"] = "Acme"
    insert(engine, schema.deals, rows)
    insert(
        engine,
        schema.activities,
        [dict(activity_id="A1", rep_id="R1", team_id="T1", type="call", occurred_at=date(2025, 2, 3), deal_id="D001")],
    )
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE open_deal_touches"))
        conn.execute(sa.text("DROP TABLE deal_duplicates"))
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0018'"))
        assert migrate.status(conn).state == "behind"
    with engine.begin() as conn:
        command.upgrade(migrate._config(conn), "head")
    touches, dups = _assert_current(engine)
    assert _touch(touches, "D001") == "2025-02-03" and list(dups["deal_id"]) == ["D002", "D003"]
    engine.dispose()


def _change(deal_id: str, day: int, old: str, new: str, field: str = "close_date") -> dict:
    return dict(deal_id=deal_id, changed_at=date(2025, 2, day), field=field, old_value=old, new_value=new)


def test_change_log_writes_and_deals_imports_keep_the_pushes_equal_to_their_definition(empty_engine):
    """By hand: D1's close date pushed three times (a pull-in and an amount change not counted), D2
    pushed once; a deals import winning D1 updates its copied outcome, amount and date; deleting the
    log (then the refresh every writer runs) empties the table."""
    _org(empty_engine)
    ingest.import_frame(
        empty_engine,
        "deals",
        _deals_file(
            ("D1", "R1", "Beta", "Prospect", "open", "100", "2025-01-01", "2025-06-30"),
            ("D2", "R2", "Gamma", "Prospect", "open", "200", "2025-01-05", "2025-05-31"),
        ),
    )
    log = [
        _change("D1", 1, "2025-03-31", "2025-04-30"),
        _change("D1", 2, "2025-04-30", "2025-04-15"),  # pulled in
        _change("D1", 3, "2025-04-15", "2025-05-31"),
        _change("D1", 4, "2025-05-31", "2025-06-30"),
        _change("D1", 5, "10000", "12000", "amount_cents"),
        _change("D2", 6, "2025-04-30", "2025-05-31"),
    ]
    insert(empty_engine, schema.deal_changes, log)
    pushes = _assert_pushes(empty_engine).set_index("deal_id")
    assert list(pushes["pushes"]) == [3, 1] and list(pushes["outcome"]) == ["open", "open"]
    ingest.import_frame(
        empty_engine, "deals", _deals_file(("D1", "R1", "Beta", "Closed Won", "won", "150", "2025-01-01", "2025-07-02"))
    )
    pushes = _assert_pushes(empty_engine).set_index("deal_id")
    assert pushes.loc["D1", ["outcome", "amount_cents", "close_date"]].tolist() == ["won", 15000, "2025-07-02"]

    def delete(conn) -> None:
        conn.execute(sa.delete(schema.deal_changes))
        derived.refresh_derived(conn, {"deal_changes"})

    store.write(empty_engine, delete, "test delete")
    assert _assert_pushes(empty_engine).empty


def test_migration_0021_adds_the_pushes_and_the_duplicates_outcome_to_an_existing_store(new_store_url):
    """A store at revision 0016 (before 0021: no deal_pushes, duplicates without outcome and close
    date) with a pushed deal and a duplicate pair gets both filled by revision 0021."""
    engine = store.open_store(new_store_url("at0016"))
    _org(engine)
    rows = [deal(2, "R1", "T1", "won", 9, date(2025, 1, 2)), deal(3, "R2", "T1", "lost", 9, date(2025, 1, 30))]
    for r in rows:
        r["account"] = "Acme"
    insert(engine, schema.deals, rows)
    insert(engine, schema.deal_changes, [_change("D002", 1, "2024-12-31", "2025-01-02")])
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE deal_pushes"))
        conn.execute(sa.text("ALTER TABLE deal_duplicates DROP COLUMN outcome"))
        conn.execute(sa.text("ALTER TABLE deal_duplicates DROP COLUMN close_date"))
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0016'"))
        assert migrate.status(conn).state == "behind"
    with engine.begin() as conn:
        command.upgrade(migrate._config(conn), "head")
    _, dups = _assert_current(engine)
    assert list(dups["outcome"]) == ["won", "lost"] and list(_assert_pushes(engine)["deal_id"]) == ["D002"]
    engine.dispose()

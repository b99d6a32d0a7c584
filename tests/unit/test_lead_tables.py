"""The lead rollups (lead_months, lead_source_days, lead_stage_months) equal their definition — the leads counted here
in pandas, apart from the SQL that fills them — after the demo build, leads imports (new leads, and
leads moved to another rep, month and stage), a refused import, deletes and the migration that creates
them for an existing store; and their rows by hand on a small organisation."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
import sqlalchemy as sa
from alembic import command

from salesops import ingest, store
from salesops.store import derived, lead_tables, migrate, schema
from tests.builders import insert, rep

_MONTHS = ["month", "rep_id", "team_id", "leads"]
_SOURCES = ["day", "source", "leads", "won"]
_STAGES = ["month", "team_id", "furthest_stage", "leads"]


def _read(engine, sql: str, binds: dict | None = None) -> pd.DataFrame:
    return store.read_frame(engine, sa.text(sql), binds)


def _norm(frame: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    """Rows sorted by their keys; dates as ISO text, a missing team as '', counts as int."""
    out = frame[cols].copy()
    for col in cols:
        if col in ("month", "day"):
            out[col] = pd.to_datetime(out[col]).dt.strftime("%Y-%m-%d")
        elif col in ("leads", "won"):
            out[col] = out[col].astype("int64")
        else:
            out[col] = out[col].astype(object).where(out[col].notna(), "")
    keys = [c for c in cols if c not in ("leads", "won")]
    return out.sort_values(keys).reset_index(drop=True)


def _assert_current(engine) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The three tables equal the leads counted in pandas; returns lead_months and lead_source_days
    (normalised)."""
    leads = _read(engine, "SELECT rep_id, team_id, source, created_at, furthest_stage FROM leads")
    leads["team_id"] = leads["team_id"].astype(object).where(leads["team_id"].notna(), "")
    created = pd.to_datetime(leads["created_at"])
    with_rep = leads[leads["rep_id"].notna()].assign(month=created.dt.to_period("M").dt.to_timestamp())
    months = with_rep.groupby(["month", "rep_id", "team_id"]).size().rename("leads").reset_index()
    days = leads.assign(day=created, won=leads["furthest_stage"].eq("won").astype(int))
    sources = days.groupby(["day", "source"]).agg(leads=("won", "size"), won=("won", "sum")).reset_index()
    got_months = _norm(_read(engine, "SELECT * FROM lead_months"), _MONTHS)
    got_sources = _norm(_read(engine, "SELECT * FROM lead_source_days"), _SOURCES)
    pd.testing.assert_frame_equal(got_months, _norm(months, _MONTHS))
    pd.testing.assert_frame_equal(got_sources, _norm(sources, _SOURCES))
    stages = leads.assign(month=created.dt.to_period("M").dt.to_timestamp())
    stages = stages.groupby(["month", "team_id", "furthest_stage"]).size().rename("leads").reset_index()
    got_stages = _norm(_read(engine, "SELECT * FROM lead_stage_months"), _STAGES)
    pd.testing.assert_frame_equal(got_stages, _norm(stages, _STAGES))
    return got_months, got_sources


def test_the_demo_build_fills_the_lead_rollups_with_their_definition(demo_engine):
    """After the demo build: every lead with a rep is in lead_months, every lead in lead_source_days."""
    months, sources = _assert_current(demo_engine)
    counts = _read(demo_engine, "SELECT COUNT(*) AS n, COUNT(rep_id) AS with_rep FROM leads").iloc[0]
    assert sources["leads"].sum() == counts["n"] > 0 and months["leads"].sum() == counts["with_rep"]


def _org(engine) -> None:
    insert(engine, schema.teams, [dict(team_id="T1", name="One", region="North")])
    insert(engine, schema.teams, [dict(team_id="T2", name="Two", region="South")])
    insert(engine, schema.reps, [rep("R1", "T1"), rep("R2", "T2")])


def _leads_file(*rows: tuple) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=["lead_id", "rep_id", "source", "created_at", "furthest_stage"])


def test_leads_imports_and_deletes_keep_the_lead_rollups_equal_to_their_definition(empty_engine):
    """By hand: R1 gets 2 leads in January (one won) and 1 in February, R2 1 in January; a re-import
    moves L3 to R2 in March and wins it; a lead without a rep counts per source only; deleting
    January's leads (then the refresh every writer runs) leaves February and March."""
    _org(empty_engine)
    ingest.import_frame(
        empty_engine,
        "leads",
        _leads_file(
            ("L1", "R1", "Web", "2025-01-05", "won"),
            ("L2", "R1", "Web", "2025-01-05", "mql"),
            ("L3", "R1", "Referral", "2025-02-10", "sql"),
            ("L4", "R2", "Web", "2025-01-20", "lead"),
            ("L5", None, "Event", "2025-02-10", "lead"),
        ),
    )
    months, sources = _assert_current(empty_engine)
    assert months.values.tolist() == [
        ["2025-01-01", "R1", "T1", 2],
        ["2025-01-01", "R2", "T2", 1],
        ["2025-02-01", "R1", "T1", 1],
    ]
    assert sources.values.tolist() == [
        ["2025-01-05", "Web", 2, 1],
        ["2025-01-20", "Web", 1, 0],
        ["2025-02-10", "Event", 1, 0],
        ["2025-02-10", "Referral", 1, 0],
    ]
    ingest.import_frame(empty_engine, "leads", _leads_file(("L3", "R2", "Referral", "2025-03-03", "won")))
    months, sources = _assert_current(empty_engine)
    assert months.values.tolist()[-1] == ["2025-03-01", "R2", "T2", 1] and len(months) == 3
    assert sources.values.tolist()[-1] == ["2025-03-03", "Referral", 1, 1]

    def delete(conn) -> None:
        conn.execute(sa.delete(schema.leads).where(schema.leads.c.created_at < date(2025, 2, 1)))
        derived.refresh_derived(conn, {"leads"})

    store.write(empty_engine, delete, "test delete")
    months, sources = _assert_current(empty_engine)
    assert months.values.tolist() == [["2025-03-01", "R2", "T2", 1]] and len(sources) == 2


def test_a_refused_leads_import_leaves_the_lead_rollups_as_they_were(empty_engine):
    """A leads file naming an unknown rep is refused whole: both tables keep their rows."""
    _org(empty_engine)
    ingest.import_frame(empty_engine, "leads", _leads_file(("L1", "R1", "Web", "2025-01-05", "won")))
    before = _assert_current(empty_engine)
    with pytest.raises(ingest.ImportRejected):
        ingest.import_frame(empty_engine, "leads", _leads_file(("L2", "NOBODY", "Web", "2025-01-06", "won")))
    after = _assert_current(empty_engine)
    for old, new in zip(before, after):
        pd.testing.assert_frame_equal(old, new)


def test_a_window_binds_its_whole_months_and_the_days_after_them():
    """By hand: Dec–24 Nov is Dec..Oct plus 1–24 Nov; Jan–Mar (whole) has no edge; 1–10 Mar no month."""
    binds = lead_tables.month_and_edge_binds
    assert binds(date(2025, 12, 1), date(2026, 11, 24), "x") == {
        "x_m0": date(2025, 12, 1),
        "x_m1": date(2026, 10, 1),
        "x_e0": date(2026, 11, 1),
        "x_e1": date(2026, 11, 24),
    }
    whole = binds(date(2026, 1, 1), date(2026, 3, 31), "x")
    assert (whole["x_m0"], whole["x_m1"]) == (date(2026, 1, 1), date(2026, 3, 1)) and whole["x_e0"] > whole["x_e1"]
    part = binds(date(2026, 3, 1), date(2026, 3, 10), "x")
    assert (part["x_e0"], part["x_e1"]) == (date(2026, 3, 1), date(2026, 3, 10)) and part["x_m0"] > part["x_m1"]
    with pytest.raises(ValueError):
        binds(date(2026, 3, 2), date(2026, 3, 10), "x")


def test_migration_0022_creates_and_fills_the_lead_rollups_of_an_existing_store(new_store_url):
    """A store at revision 0019 (before 0022) with two leads gets both tables filled by revision 0022."""
    engine = store.open_store(new_store_url("at0019"))
    _org(engine)
    leads = [
        dict(lead_id="L1", rep_id="R1", team_id="T1", source="Web", created_at=date(2025, 1, 5), furthest_stage="won"),
        dict(lead_id="L2", rep_id=None, team_id=None, source="Web", created_at=date(2025, 1, 5), furthest_stage="mql"),
    ]
    insert(engine, schema.leads, leads)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE lead_months"))
        conn.execute(sa.text("DROP TABLE lead_source_days"))
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0019'"))
        assert migrate.status(conn).state == "behind"
    with engine.begin() as conn:
        command.upgrade(migrate._config(conn), "head")
    months, sources = _assert_current(engine)
    assert months.values.tolist() == [["2025-01-01", "R1", "T1", 1]]
    assert sources.values.tolist() == [["2025-01-05", "Web", 2, 1]]
    engine.dispose()


def test_the_stage_months_by_hand_and_a_window_read_from_them(empty_engine):
    """By hand: T1 has 2 January leads (won, mql) and 1 on 10 Feb (sql), T2 1 January lead; the rows
    of 6 Jan – 10 Feb read January less 1–5 Jan, plus 1–10 Feb from the leads: per team and stage,
    the window's counts (L1 and L2 on 5 Jan are out)."""
    _org(empty_engine)
    ingest.import_frame(
        empty_engine,
        "leads",
        _leads_file(
            ("L1", "R1", "Web", "2025-01-05", "won"),
            ("L2", "R1", "Web", "2025-01-05", "mql"),
            ("L3", "R1", "Referral", "2025-02-10", "sql"),
            ("L4", "R2", "Web", "2025-01-20", "lead"),
        ),
    )
    _assert_current(empty_engine)
    stages = _norm(_read(empty_engine, "SELECT * FROM lead_stage_months"), _STAGES)
    assert stages.values.tolist() == [
        ["2025-01-01", "T1", "mql", 1],
        ["2025-01-01", "T1", "won", 1],
        ["2025-01-01", "T2", "lead", 1],
        ["2025-02-01", "T1", "sql", 1],
    ]
    rows, binds = lead_tables.lead_stage_rows(date(2025, 1, 6), date(2025, 2, 10), "w", "0")
    got = _read(
        empty_engine,
        f"SELECT team_id, furthest_stage, SUM(sgn * n) AS n FROM {rows} x GROUP BY 1, 2 HAVING SUM(sgn * n) > 0",
        binds,
    ).sort_values(["team_id", "furthest_stage"])
    assert got.astype({"n": "int64"}).values.tolist() == [["T1", "sql", 1], ["T2", "lead", 1]]


def test_migration_0026_creates_and_fills_the_lead_stage_months_of_an_existing_store(new_store_url):
    """A store at revision 0025 (no lead_stage_months) with two leads gets the table filled by 0026."""
    engine = store.open_store(new_store_url("at0025"))
    _org(engine)
    leads = [
        dict(lead_id="L1", rep_id="R1", team_id="T1", source="Web", created_at=date(2025, 1, 5), furthest_stage="won"),
        dict(lead_id="L2", rep_id=None, team_id=None, source="Web", created_at=date(2025, 1, 9), furthest_stage="won"),
    ]
    insert(engine, schema.leads, leads)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE lead_stage_months"))
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0025'"))
        assert migrate.status(conn).state == "behind"
    with engine.begin() as conn:
        command.upgrade(migrate._config(conn), "head")
    _assert_current(engine)
    stages = _norm(_read(engine, "SELECT * FROM lead_stage_months"), _STAGES)
    assert stages.values.tolist() == [["2025-01-01", "", "won", 1], ["2025-01-01", "T1", "won", 1]]
    engine.dispose()

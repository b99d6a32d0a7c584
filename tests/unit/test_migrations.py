"""Migrations: a store from the previous schema is refused, upgraded in place with its data, and
schema.py never drifts from the revisions."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from salesops import store
from salesops.cli.main import main
from salesops.demo import build_demo
from salesops.errors import SchemaTooNew, StoreNeedsMigration
from salesops.store import migrate, schema
from tests.conftest import SEED, TODAY


def _legacy_store(url: str) -> dict[str, int]:
    """A store as the salesops just before migrations wrote it (schema_version 2, no
    alembic_version: the baseline tables plus import_warnings, review_snapshots — its ratios 4-byte
    floats on DuckDB — accounts and deals.account_id), with the small demo in it; returns its row counts."""
    engine = store.make_engine(url)
    with engine.begin() as conn:
        command.upgrade(migrate._config(conn), migrate.BASELINE)
        conn.execute(sa.text("DROP TABLE alembic_version"))
        conn.execute(sa.text("ALTER TABLE deals ADD COLUMN account_id VARCHAR"))
        conn.execute(sa.text("UPDATE meta SET value = '2' WHERE key = 'schema_version'"))
        then = sa.MetaData()
        for name in (
            "import_warnings",
            "review_snapshots",
            "accounts",
            "users",
            "audit_log",
            "deal_kinds",
            "customer_days",
            "open_renewals",
            "account_roots",
            "rep_days",
            "rep_activity_days",
            "forecast_backtests",
            "customer_years",
            "cohort_quarters",
            "customer_keys",
            "open_deal_touches",
            "deal_duplicates",
            "deal_pushes",
            "lead_months",
            "lead_source_days",
            "rep_months",
            "deal_change_days",
            "customer_flows",
            "customer_deal_ids",
            "rep_activity_months",
            "cohort_years",
            "customer_risk_spans",
            "deal_event_days",
            "lead_stage_months",
            "rep_periods",
            "rep_activity_periods",
            "rep_period_quotas",
            "rep_kind_periods",
            "survey_team_scores",
        ):  # users, audit_log and the derived tables: the demo writes them (forecast_backtests: counted)
            table = schema.metadata.tables[name].to_metadata(then)
            for column in table.columns:
                if isinstance(column.type, sa.Double):
                    column.type = sa.Float()
            table.create(conn)
        # The demo writes basis points (revision 0008): a temporary column, copied to the old 0..1 one.
        conn.execute(sa.text("ALTER TABLE deals ADD COLUMN probability_bp INTEGER"))
        conn.execute(sa.text("ALTER TABLE quotas ADD COLUMN period_end DATE"))  # the demo sets it (0016): dropped below
    build_demo(engine, seed=SEED, scale="small", today=TODAY)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE deals SET probability = CAST(probability_bp AS DOUBLE PRECISION) / 10000"))
        conn.execute(sa.text("ALTER TABLE deals DROP COLUMN probability_bp"))
        conn.execute(sa.text("ALTER TABLE quotas DROP COLUMN period_end"))
    counts = store.table_counts(engine)
    engine.dispose()
    return counts


def test_a_store_from_the_previous_schema_is_refused_with_the_command(new_store_url):
    """Opening a pre-migration store says it needs migrating and names `python -m salesops migrate`."""
    url = new_store_url("legacy")
    _legacy_store(url)
    with pytest.raises(StoreNeedsMigration) as err:
        store.open_store(url)
    assert "older schema" in err.value.message and "python -m salesops migrate" in err.value.hint


def test_migrate_upgrades_a_previous_store_in_place_and_keeps_every_row(new_store_url, capsys):
    """`salesops migrate` brings a pre-migration store with the demo in it to head; no row is lost."""
    url = new_store_url("legacy")
    before = _legacy_store(url)
    assert before["deals"] > 1000
    legacy = store.make_engine(url)
    probs = store.read_frame(legacy, sa.text("SELECT deal_id, probability FROM deals"))
    legacy.dispose()
    assert main(["migrate", "--db", url]) == 0
    assert f"from schema revision {migrate.BASELINE} to {migrate.head()}" in capsys.readouterr().out
    engine = store.open_store(url)
    assert store.table_counts(engine) == before
    bp = store.read_frame(engine, sa.text("SELECT deal_id, probability_bp FROM deals"))
    expected = dict(zip(probs.deal_id, (probs.probability * 10_000).round().astype("Int64")))
    assert dict(zip(bp.deal_id, bp.probability_bp.astype("Int64"))) == expected  # 0.1 -> 1,000 basis points
    with engine.connect() as conn:
        assert migrate.status(conn).state == "current"
        version = conn.execute(sa.text("SELECT value FROM meta WHERE key = 'schema_version'")).scalar_one()
    assert int(version) == schema.SCHEMA_VERSION
    engine.dispose()
    assert main(["migrate", "--db", url]) == 0
    assert "up to date" in capsys.readouterr().out


def test_revision_0015_moves_the_stored_outlook_backtests_out_of_forecast_cache(new_store_url):
    """A store just before 0015 with a stored backtest and outlook: after 0015 the backtest row (same
    payload and version) is in forecast_backtests only, and the outlook stays in forecast_cache, still valid."""
    url = new_store_url("r0015")
    store.open_store(url).dispose()  # a new store at head, set back to before 0015 (no forecast_backtests)
    engine = store.make_engine(url)
    rows = [
        {"cache_key": "outlook-backtest|b1|quarter|2026-11-24", "data_version": 4, "payload": '{"big": [1, 2]}'},
        {"cache_key": "outlook|b1|2026-Q4|company|2026-11-24", "data_version": 4, "payload": '{"small": []}'},
    ]
    insert = sa.text(
        "INSERT INTO forecast_cache (cache_key, data_version, created_at, payload) "
        "VALUES (:cache_key, :data_version, TIMESTAMP '2026-11-24 08:00:00', :payload)"
    )
    read = "SELECT cache_key, data_version, payload FROM {} ORDER BY cache_key"
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE forecast_backtests"))
        config = migrate._config(conn)
        command.stamp(config, ScriptDirectory.from_config(config).get_revision("0015").down_revision)
        conn.execute(insert, rows)
    with engine.begin() as conn:
        command.upgrade(migrate._config(conn), "0015")
    with engine.connect() as conn:
        cache = [tuple(r) for r in conn.execute(sa.text(read.format("forecast_cache")))]
        backtests = [tuple(r) for r in conn.execute(sa.text(read.format("forecast_backtests")))]
    engine.dispose()
    assert backtests == [("outlook-backtest|b1|quarter|2026-11-24", 4, '{"big": [1, 2]}')]
    assert cache == [("outlook|b1|2026-Q4|company|2026-11-24", 4, '{"small": []}')]


def test_migrate_refuses_a_store_from_a_newer_salesops(new_store_url, capsys):
    """A store at a revision this code does not know is left alone, with 'upgrade salesops'."""
    url = new_store_url("newer")
    store.open_store(url).dispose()
    engine = store.make_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0999'"))
    engine.dispose()
    with pytest.raises(SchemaTooNew):
        store.migrate_store(url)
    assert main(["migrate", "--db", url]) == 2
    assert "hint: Upgrade salesops" in capsys.readouterr().err


@pytest.mark.store("postgresql")
def test_schema_py_and_the_revisions_agree(new_store_url):
    """A store built by replaying the revisions has exactly schema.py's tables, columns, types and
    indexes, as a new store gets them (a table added to schema.py without a revision fails here)."""
    engine = store.make_engine(new_store_url("drift"))
    with engine.begin() as conn:
        command.upgrade(migrate._config(conn), "head")  # every revision replayed, not create_all
    with engine.connect() as conn:
        assert migrate.status(conn).state == "current"
        version = conn.execute(sa.text("SELECT value FROM meta WHERE key = 'schema_version'")).scalar_one()
        assert int(version) == schema.SCHEMA_VERSION
        diffs = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), schema.metadata)
    engine.dispose()
    assert diffs == []

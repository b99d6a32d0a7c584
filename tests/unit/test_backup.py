"""`salesops backup`: a DuckDB store exported whole and read back; PostgreSQL pointed at pg_dump."""

from __future__ import annotations

import duckdb
import pytest

from salesops import store
from salesops.cli.main import main
from salesops.store.backup import BackupError, export_store


@pytest.mark.store("duckdb")
def test_a_duckdb_backup_restores_every_row(demo_url, tmp_path, capsys):
    """The export of the demo store, imported into a new file, has the same rows in every table."""
    folder = tmp_path / "export"
    assert main(["backup", str(folder), "--db", demo_url]) == 0
    assert "IMPORT DATABASE" in capsys.readouterr().out
    restored = tmp_path / "restored.duckdb"
    with duckdb.connect(str(restored)) as conn:
        conn.execute(f"IMPORT DATABASE '{folder}'")
    engine = store.open_store(demo_url)
    expected = store.table_counts(engine)
    engine.dispose()
    back = store.open_store(f"duckdb:///{restored}")
    assert store.table_counts(back) == expected
    back.dispose()
    assert main(["backup", str(folder), "--db", demo_url]) == 2
    assert "already exists" in capsys.readouterr().err


@pytest.mark.store("postgresql")
def test_a_postgresql_store_is_pointed_at_pg_dump(empty_engine, tmp_path):
    """On PostgreSQL the backup command says to use pg_dump instead of writing anything."""
    with pytest.raises(BackupError) as err:
        export_store(empty_engine, tmp_path / "x")
    assert "pg_dump" in err.value.hint
    assert not (tmp_path / "x").exists()

"""PostgreSQL bad input: unreachable server, unknown user, missing database, a connection dropped in
the middle of an import — each a clear message, and the import rolled back."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from salesops import ingest, store
from salesops.cli.main import main
from salesops.errors import DatabaseUnavailable

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def test_an_unreachable_server_is_explained(pg_cluster, capsys):
    """A port nobody listens on: 'cannot reach the database server', with host/port in the hint."""
    from tests.pg import _free_port

    url = f"postgresql+psycopg://postgres@127.0.0.1:{_free_port()}/salesops"
    with pytest.raises(DatabaseUnavailable) as err:
        store.open_store(url)
    assert "Cannot reach the database server" in err.value.message
    assert "host and port" in err.value.hint
    assert main(["info", "--db", url]) == 2
    assert capsys.readouterr().err.startswith("error: Cannot reach")


def test_an_unknown_user_is_explained(pg_cluster):
    """A user the server does not know is refused with 'user name or password'."""
    url = f"postgresql+psycopg://nobody_here@127.0.0.1:{pg_cluster.port}/postgres"
    with pytest.raises(DatabaseUnavailable) as err:
        store.open_store(url)
    assert "refused the user name or password" in err.value.message


def test_a_missing_database_is_explained(pg_cluster):
    """A database name that does not exist says so and how to create it."""
    with pytest.raises(DatabaseUnavailable) as err:
        store.open_store(pg_cluster.url("no_such_db"))
    assert "does not exist" in err.value.message and "CREATE DATABASE" in err.value.hint


def test_an_empty_database_gets_the_schema(pg_cluster):
    """A new, empty PostgreSQL database is given every table on first open."""
    engine = store.open_store(pg_cluster.create_database("fresh"))
    assert store.table_counts(engine)["deals"] == 0 and store.data_version(engine) == 0
    engine.dispose()


def test_a_connection_dropped_mid_import_rolls_back_and_says_so(pg_cluster):
    """The server drops the importing connection between two tables: a clear error, nothing written."""
    engine = store.open_store(pg_cluster.create_database("drop"))
    ingest.import_file(engine, "reps", FIXTURES / "reps.csv")
    before, version = store.table_counts(engine), store.data_version(engine)
    killer = sa.create_engine(pg_cluster.url("postgres"), isolation_level="AUTOCOMMIT")
    database = engine.url.database

    def progress(_share: float, what: str) -> None:
        if what.startswith("writing"):
            with killer.connect() as conn:
                conn.execute(
                    sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :db"),
                    {"db": database},
                )

    with pytest.raises(DatabaseUnavailable) as err:
        ingest.import_file(
            engine, "deals", FIXTURES / "salesforce_opportunities.csv", preset="salesforce", progress=progress
        )
    assert "connection to the database was lost" in err.value.message and "nothing was written" in err.value.message
    killer.dispose()
    assert store.table_counts(engine) == before
    assert store.data_version(engine) == version
    engine.dispose()

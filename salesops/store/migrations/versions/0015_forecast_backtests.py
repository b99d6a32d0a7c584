"""The outlook backtests in a table of their own (forecast_backtests), apart from forecast_cache.

Revision ID: 0015
Revises: 0013
Create Date: 2026-12-02

A stored outlook backtest is megabytes of JSON. Kept in forecast_cache beside the small rows the
Forecasts page reads (stored outlooks, fits, the weekly-vs-monthly comparison), it made each of
those reads decompress it on DuckDB (~30 ms per read at 1M deals instead of ~1 ms). This revision
creates the table, moves the stored backtests into it and rewrites forecast_cache's remaining rows
so none of them sits behind a moved one. Nothing is recomputed: the stored outlooks stay valid.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0013"
branch_labels = None
depends_on = None

_MOVE = (
    "DELETE FROM forecast_backtests WHERE cache_key IN "
    "(SELECT cache_key FROM forecast_cache WHERE cache_key LIKE 'outlook-backtest|%')",
    "INSERT INTO forecast_backtests (cache_key, data_version, created_at, payload) "
    "SELECT cache_key, data_version, created_at, payload FROM forecast_cache WHERE cache_key LIKE 'outlook-backtest|%'",
    # The remaining rows written anew: a delete alone leaves them beside the moved text until the
    # storage is compacted.
    "CREATE TEMPORARY TABLE forecast_cache_kept AS SELECT cache_key, data_version, created_at, payload "
    "FROM forecast_cache WHERE cache_key NOT LIKE 'outlook-backtest|%'",
    "DELETE FROM forecast_cache",
    "INSERT INTO forecast_cache (cache_key, data_version, created_at, payload) "
    "SELECT cache_key, data_version, created_at, payload FROM forecast_cache_kept",
    "DROP TABLE forecast_cache_kept",
)


def upgrade() -> None:
    bind = op.get_bind()
    if "forecast_backtests" not in set(sa.inspect(bind).get_table_names()):
        op.create_table(
            "forecast_backtests",
            sa.Column("cache_key", sa.String(), nullable=False),
            sa.Column("data_version", sa.BigInteger(), nullable=False),
            sa.Column("created_at", sa.DateTime(), nullable=False),
            sa.Column("payload", sa.Text(), nullable=False),
            sa.PrimaryKeyConstraint("cache_key"),
        )
    for statement in _MOVE:
        bind.execute(sa.text(statement))


def downgrade() -> None:
    op.get_bind().execute(
        sa.text(
            "INSERT INTO forecast_cache (cache_key, data_version, created_at, payload) "
            "SELECT cache_key, data_version, created_at, payload FROM forecast_backtests"
        )
    )
    op.drop_table("forecast_backtests")

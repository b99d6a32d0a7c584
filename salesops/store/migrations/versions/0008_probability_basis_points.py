"""deals.probability (a 0..1 double) becomes deals.probability_bp, integer basis points (0..10,000).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01

Money × probability must be exact (a $1,000,000,000 deal at 10 % weighs $100,000,000.00, not a
float's approximation): the column is renamed and converted in place, each value rounded half up to
the basis point (0.1 → 1,000; a NULL stays NULL). Readers and writers go through
salesops.store.probability. The same two statements run on DuckDB and PostgreSQL.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    found = op.get_bind().execute(  # information_schema: the inspector's get_columns fails on DuckDB
        sa.text("SELECT column_name FROM information_schema.columns WHERE table_name = 'deals'")
    )
    columns = {r[0] for r in found}
    if "probability_bp" in columns:  # a store created with the column already (as 0005 finds its tables)
        return
    op.execute("ALTER TABLE deals RENAME COLUMN probability TO probability_bp")
    op.execute(
        "ALTER TABLE deals ALTER COLUMN probability_bp SET DATA TYPE INTEGER "
        "USING CAST(FLOOR(probability_bp * 10000 + 0.5) AS INTEGER)"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE deals RENAME COLUMN probability_bp TO probability")
    op.execute(
        "ALTER TABLE deals ALTER COLUMN probability SET DATA TYPE DOUBLE PRECISION "
        "USING CAST(probability AS DOUBLE PRECISION) / 10000"
    )

"""deals.probability and reps.fte as double precision on DuckDB too.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01

SQLAlchemy's ``Float`` is a 4-byte REAL on DuckDB but a double on PostgreSQL, so a probability of
0.1 was 0.10000000149 on DuckDB and the weighted pipeline differed between the stores by cents.
Both columns become DOUBLE; the stored values are rounded back to what was written (6 decimals for
a probability, 4 for an FTE — float32 keeps about 7 significant digits). PostgreSQL: nothing to do.
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

#: (table, column, decimals kept)
COLUMNS = (("deals", "probability", 6), ("reps", "fte", 4))


def upgrade() -> None:
    if op.get_bind().dialect.name != "duckdb":
        return
    for table, column, decimals in COLUMNS:
        op.execute(
            f'ALTER TABLE "{table}" ALTER COLUMN "{column}" SET DATA TYPE DOUBLE '  # noqa: S608 - constants above
            f'USING ROUND(CAST("{column}" AS DOUBLE), {decimals})'
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "duckdb":
        return
    for table, column, _decimals in COLUMNS:
        op.execute(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" SET DATA TYPE FLOAT')  # noqa: S608 - constants

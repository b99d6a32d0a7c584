"""import_warnings (import health) and review_snapshots (the weekly review), created where missing.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

Both tables reached salesops just before migrations did, so a store may already have them
(written by that version with ``create_all``): each is created only when it is not there, and on
DuckDB an existing review_snapshots gets its two ratios as DOUBLE (they were 4-byte REAL there).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _create_import_warnings() -> None:
    op.create_table(
        "import_warnings",
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("table_name", sa.String(), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=True),
        sa.Column("record_id", sa.String(), nullable=True),
        sa.Column("column_name", sa.String(), nullable=False),
        sa.Column("value", sa.String(), nullable=True),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
    )


def _create_review_snapshots() -> None:
    money = ("won_cents", "quota_cents")
    op.create_table(
        "review_snapshots",
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("level", sa.String(), nullable=False),
        sa.Column("entity_id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("team_id", sa.String(), nullable=True),
        sa.Column("region", sa.String(), nullable=True),
        sa.Column("role", sa.String(), nullable=True),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        *[sa.Column(c, sa.BigInteger(), nullable=False) for c in money],
        sa.Column("attainment", sa.Double(), nullable=True),
        sa.Column("open_cents", sa.BigInteger(), nullable=False),
        sa.Column("weighted_cents", sa.BigInteger(), nullable=False),
        sa.Column("p10_cents", sa.BigInteger(), nullable=True),
        sa.Column("p50_cents", sa.BigInteger(), nullable=True),
        sa.Column("p90_cents", sa.BigInteger(), nullable=True),
        sa.Column("chance_of_quota", sa.Double(), nullable=True),
        sa.Column("rank", sa.Integer(), nullable=True),
        sa.Column("flags", sa.String(), nullable=False),
        *[
            sa.Column(f"flow_{c}_cents", sa.BigInteger(), nullable=True)
            for c in ("new", "won", "lost", "pushed", "pulled", "amount")
        ],
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("as_of", "level", "entity_id"),
    )


def upgrade() -> None:
    bind = op.get_bind()
    names = set(sa.inspect(bind).get_table_names())
    if "import_warnings" not in names:
        _create_import_warnings()
    if "review_snapshots" not in names:
        _create_review_snapshots()
    elif bind.dialect.name == "duckdb":
        for column in ("attainment", "chance_of_quota"):
            op.execute(
                f'ALTER TABLE review_snapshots ALTER COLUMN "{column}" SET DATA TYPE DOUBLE '  # noqa: S608 - constants
                f'USING ROUND(CAST("{column}" AS DOUBLE), 6)'
            )


def downgrade() -> None:
    op.drop_table("review_snapshots")
    op.drop_table("import_warnings")

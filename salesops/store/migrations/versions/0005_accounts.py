"""Customer accounts: the accounts table and deals.account_id, where missing.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01

Accounts reached salesops just before migrations did (its schema_version 2 added them in place),
so a store may have them already: the table is created and the column added only when missing.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if "accounts" not in set(sa.inspect(bind).get_table_names()):
        op.create_table(
            "accounts",
            sa.Column("account_id", sa.String(), nullable=False),
            sa.Column("name", sa.String(), nullable=False),
            sa.Column("name_key", sa.String(), nullable=False),
            sa.Column("industry", sa.String(), nullable=True),
            sa.Column("size", sa.String(), nullable=True),
            sa.Column("region", sa.String(), nullable=True),
            sa.Column("owner", sa.String(), nullable=True),
            sa.Column("parent_id", sa.String(), nullable=True),
            sa.PrimaryKeyConstraint("account_id"),
        )
    has_column = bind.execute(
        sa.text(
            "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = current_schema()"
            " AND table_name = 'deals' AND column_name = 'account_id'"
        )
    ).scalar_one()
    if not has_column:
        op.add_column("deals", sa.Column("account_id", sa.String(), nullable=True))


def downgrade() -> None:
    op.drop_column("deals", "account_id")
    op.drop_table("accounts")

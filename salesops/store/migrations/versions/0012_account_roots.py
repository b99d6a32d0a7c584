"""Derived top-level accounts: the account_roots table (each top-level account with its first won
day), from which the Customers page counts its prospects without joining every account.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01

The table is derived (salesops.store.derived.ACCOUNT_ROOTS, over the accounts and customer_days):
this revision creates it where missing and fills it from the store's rows.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from salesops.store.derived import refresh_account_roots

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if "account_roots" not in set(sa.inspect(bind).get_table_names()):
        op.create_table(
            "account_roots",
            sa.Column("account_id", sa.String(), nullable=False),
            sa.Column("first_won_day", sa.Date(), nullable=True),
            sa.PrimaryKeyConstraint("account_id"),
        )
    refresh_account_roots(bind)


def downgrade() -> None:
    op.drop_table("account_roots")

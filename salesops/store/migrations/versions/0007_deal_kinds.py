"""Derived deal kinds: the deal_kinds table (each deal's customer and won kind), filled from the
stored deals and accounts.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01

The table is the stored result of salesops.store.sql.WON_KINDS_CTE, rewritten by every write that
can change it (salesops.store.derived); this revision creates it and fills it for the store's
existing deals, so a migrated store reads the same customers as before. Where the table exists
already it is only refilled.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from salesops.store.sql import WON_KINDS_CTE

# The table's columns at this revision (0010 adds copied deal columns and refills it with
# salesops.store.derived.refresh_deal_kinds).
_FILL = f"""INSERT INTO deal_kinds (deal_id, customer_id, kind)
{WON_KINDS_CTE}
SELECT dc.deal_id, dc.customer_id, wk.kind
FROM deal_customers dc LEFT JOIN won_kinds wk ON wk.deal_id = dc.deal_id
"""  # noqa: S608 - our fragments only


def refresh_deal_kinds(bind) -> None:
    """Rewrite the table as it is at this revision."""
    bind.execute(sa.text("DELETE FROM deal_kinds"))
    bind.execute(sa.text(_FILL))


revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if "deal_kinds" in set(sa.inspect(bind).get_table_names()):
        # A store from before migrations (schema_version 1 or 2) starts at the baseline and may
        # have been written by a salesops that has the table (as 0005 and 0006 allow): fill it only.
        refresh_deal_kinds(bind)
        return
    op.create_table(
        "deal_kinds",
        sa.Column("deal_id", sa.String(), nullable=False),
        sa.Column("customer_id", sa.String(), nullable=True),
        sa.Column("kind", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("deal_id"),
    )
    refresh_deal_kinds(bind)


def downgrade() -> None:
    op.drop_table("deal_kinds")

"""Sign-in users and the audit trail (docs/ACCESS.md): the users and audit_log tables.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "users" not in existing:
        op.create_table(
            "users",
            sa.Column("email", sa.String(), nullable=False),
            sa.Column("role", sa.String(), nullable=False),
            sa.Column("rep_id", sa.String(), nullable=True),
            sa.Column("team_ids", sa.Text(), nullable=False),
            sa.Column("added_on", sa.Date(), nullable=False),
            sa.PrimaryKeyConstraint("email"),
        )
    if "audit_log" not in existing:
        op.execute(sa.schema.CreateSequence(sa.Sequence("audit_log_id_seq"), if_not_exists=True))
        op.create_table(
            "audit_log",
            sa.Column("entry_id", sa.Integer(), nullable=False),
            sa.Column("logged_at", sa.DateTime(), nullable=False),
            sa.Column("who", sa.String(), nullable=False),
            sa.Column("what", sa.String(), nullable=False),
            sa.Column("details", sa.Text(), nullable=False),
            sa.PrimaryKeyConstraint("entry_id"),
        )


def downgrade() -> None:
    op.drop_table("audit_log")
    op.drop_table("users")
    op.execute(sa.schema.DropSequence(sa.Sequence("audit_log_id_seq")))

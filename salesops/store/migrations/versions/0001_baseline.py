"""Baseline: the schema as it stood when migrations were introduced (meta.schema_version 1).

Revision ID: 0001
Revises:
Create Date: 2026-12-01

A store written before migrations has exactly these tables; ``salesops migrate`` records it at this
revision without touching it, then applies the later ones.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(sa.schema.CreateSequence(sa.Sequence("change_version_seq")))
    op.execute(sa.schema.CreateSequence(sa.Sequence("import_log_id_seq")))
    op.create_table(
        "activities",
        sa.Column("activity_id", sa.String(), nullable=False),
        sa.Column("rep_id", sa.String(), nullable=False),
        sa.Column("team_id", sa.String(), nullable=True),
        sa.Column("type", sa.String(), nullable=False),
        sa.Column("occurred_at", sa.Date(), nullable=False),
        sa.Column("deal_id", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("activity_id"),
    )
    op.create_table(
        "changes",
        sa.Column("version", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.Column("what", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("version"),
    )
    op.create_table(
        "comp_plans",
        sa.Column("plan_id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("spec", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("plan_id", "version"),
    )
    op.create_table(
        "deal_changes",
        sa.Column("deal_id", sa.String(), nullable=False),
        sa.Column("changed_at", sa.Date(), nullable=False),
        sa.Column("field", sa.String(), nullable=False),
        sa.Column("old_value", sa.String(), nullable=True),
        sa.Column("new_value", sa.String(), nullable=True),
    )
    op.create_table(
        "deal_stage_history",
        sa.Column("deal_id", sa.String(), nullable=False),
        sa.Column("stage", sa.String(), nullable=False),
        sa.Column("entered_at", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("deal_id", "stage", "entered_at"),
    )
    op.create_table(
        "deals",
        sa.Column("deal_id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=True),
        sa.Column("rep_id", sa.String(), nullable=False),
        sa.Column("team_id", sa.String(), nullable=True),
        sa.Column("account", sa.String(), nullable=True),
        sa.Column("product", sa.String(), nullable=True),
        sa.Column("stage", sa.String(), nullable=False),
        sa.Column("outcome", sa.String(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=True),
        sa.Column("probability", sa.Float(), nullable=True),
        sa.Column("forecast_category", sa.String(), nullable=True),
        sa.Column("created_date", sa.Date(), nullable=False),
        sa.Column("close_date", sa.Date(), nullable=True),
        sa.Column("lead_source", sa.String(), nullable=True),
        sa.Column("deal_type", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("deal_id"),
    )
    op.create_table(
        "forecast_cache",
        sa.Column("cache_key", sa.String(), nullable=False),
        sa.Column("data_version", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("cache_key"),
    )
    op.create_table(
        "import_log",
        sa.Column("import_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.Column("file_name", sa.String(), nullable=True),
        sa.Column("table_name", sa.String(), nullable=False),
        sa.Column("preset", sa.String(), nullable=True),
        sa.Column("rows_added", sa.Integer(), nullable=False),
        sa.Column("rows_updated", sa.Integer(), nullable=False),
        sa.Column("rows_rejected", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("import_id"),
    )
    op.create_table(
        "leads",
        sa.Column("lead_id", sa.String(), nullable=False),
        sa.Column("rep_id", sa.String(), nullable=True),
        sa.Column("team_id", sa.String(), nullable=True),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("created_at", sa.Date(), nullable=False),
        sa.Column("furthest_stage", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("lead_id"),
    )
    op.create_table(
        "meta",
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("value", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "quotas",
        sa.Column("rep_id", sa.String(), nullable=False),
        sa.Column("period_type", sa.String(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("rep_id", "period_type", "period_start"),
    )
    op.create_table(
        "reps",
        sa.Column("rep_id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("team_id", sa.String(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("hire_date", sa.Date(), nullable=True),
        sa.Column("ramp_months", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("fte", sa.Float(), nullable=False),
        sa.Column("email", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("rep_id"),
    )
    op.create_table(
        "survey_invites",
        sa.Column("token", sa.String(), nullable=False),
        sa.Column("round_id", sa.String(), nullable=False),
        sa.Column("rep_id", sa.String(), nullable=True),
        sa.Column("team_id", sa.String(), nullable=True),
        sa.Column("used", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("token"),
    )
    op.create_table(
        "survey_responses",
        sa.Column("response_id", sa.String(), nullable=False),
        sa.Column("round_id", sa.String(), nullable=False),
        sa.Column("tool_id", sa.String(), nullable=False),
        sa.Column("team_id", sa.String(), nullable=True),
        sa.Column("satisfaction", sa.Integer(), nullable=False),
        sa.Column("ease", sa.Integer(), nullable=False),
        sa.Column("recommend", sa.Integer(), nullable=False),
        sa.Column("usage", sa.String(), nullable=True),
        sa.Column("likes", sa.Text(), nullable=True),
        sa.Column("dislikes", sa.Text(), nullable=True),
        sa.Column("submitted_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("response_id"),
    )
    op.create_table(
        "survey_rounds",
        sa.Column("round_id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("opens_on", sa.Date(), nullable=False),
        sa.Column("closes_on", sa.Date(), nullable=False),
        sa.Column("tool_ids", sa.Text(), nullable=False),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("round_id"),
    )
    op.create_table(
        "teams",
        sa.Column("team_id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("region", sa.String(), nullable=False),
        sa.Column("manager", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("team_id"),
    )
    op.create_table(
        "tools",
        sa.Column("tool_id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("category", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("tool_id"),
    )
    meta = sa.table("meta", sa.column("key", sa.String), sa.column("value", sa.String))
    op.bulk_insert(meta, [{"key": "schema_version", "value": "1"}])


def downgrade() -> None:
    raise NotImplementedError("The baseline is not undone: drop the database instead.")

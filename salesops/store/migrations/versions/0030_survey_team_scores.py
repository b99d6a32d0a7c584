"""Sales tools speed: the derived table survey_team_scores (the survey answers counted per round, tool
and team), from which the page's scores are summed instead of from every answer.

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-03

Derived (salesops.store.survey_tables.SURVEY_TEAM_SCORES), rewritten by the demo build and for its
round by every submitted survey: this revision creates the table where missing and fills it from the
store's answers, so a migrated store shows the same scores as before.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from salesops.store.survey_tables import refresh_survey_scores

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if "survey_team_scores" not in set(sa.inspect(bind).get_table_names()):
        op.create_table(
            "survey_team_scores",
            sa.Column("round_id", sa.String(), nullable=False),
            sa.Column("tool_id", sa.String(), nullable=False),
            sa.Column("team_id", sa.String(), nullable=True),
            *(
                sa.Column(c, sa.BigInteger(), nullable=False)
                for c in ("answers", "satisfied", "promoters", "detractors", "satisfaction", "ease")
            ),
        )
    refresh_survey_scores(bind)


def downgrade() -> None:
    op.drop_table("survey_team_scores")

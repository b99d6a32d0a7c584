"""The survey answers counted per round, tool and team (revision 0030): ``survey_team_scores``, the
stored result of :data:`SURVEY_TEAM_SCORES` over ``survey_responses``, so the Sales tools page's
scores (:mod:`salesops.tools.results`: every round's results, a round's team breakdown, a group of
teams) sum a few rows per tool and team instead of reading every answer.

Each row holds counts and integer sums only (answers; of them satisfaction 4-5, recommend 9-10 and
0-6; the sums of satisfaction and ease), from which every score is the same division as the
average over the answers (:data:`SCORES_FROM_COUNTS`). Rewritten whole by the demo build
(:func:`salesops.store.derived.refresh_derived`) and for its round by every submitted survey
(:func:`salesops.tools.answers.submit_answers`, which rewrites the round's answers). No answer is
linked to anyone: the table is per team, like the answers themselves.

tests/unit/test_survey_scores.py checks it equals its definition after the demo build, submitted
answers, a deleted round and the migration.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import BigInteger, Column, String, Table
from sqlalchemy.engine import Connection

from salesops.store import schema
from salesops.store.dialect import counted
from salesops.store.rollups import rewrite

survey_team_scores = Table(
    "survey_team_scores",
    schema.metadata,
    Column("round_id", String, nullable=False),
    Column("tool_id", String, nullable=False),
    Column("team_id", String),
    Column("answers", BigInteger, nullable=False),
    Column("satisfied", BigInteger, nullable=False),  # satisfaction 4-5
    Column("promoters", BigInteger, nullable=False),  # recommend 9-10
    Column("detractors", BigInteger, nullable=False),  # recommend 0-6
    Column("satisfaction", BigInteger, nullable=False),  # sum of satisfaction
    Column("ease", BigInteger, nullable=False),  # sum of ease
)

COLUMNS = "round_id, tool_id, team_id, answers, satisfied, promoters, detractors, satisfaction, ease"
#: The one definition of ``survey_team_scores``: the answers counted per round, tool and team.
SURVEY_TEAM_SCORES = """
SELECT round_id, tool_id, team_id, COUNT(*) AS answers,
       COUNT(CASE WHEN satisfaction >= 4 THEN 1 END) AS satisfied,
       COUNT(CASE WHEN recommend >= 9 THEN 1 END) AS promoters,
       COUNT(CASE WHEN recommend <= 6 THEN 1 END) AS detractors,
       SUM(satisfaction) AS satisfaction, SUM(ease) AS ease
FROM survey_responses {where}
GROUP BY round_id, tool_id, team_id
"""

#: The scores of a group of ``survey_team_scores`` rows ``s``, as the averages over its answers gave
#: them, value for value: the share of 1.0/0.0 answers as the DECIMAL sum over the count (what
#: AVG of a DECIMAL divides), the means of the DOUBLE values as their sum over the count.
SCORES_FROM_COUNTS = """
           CAST(SUM(s.answers) AS BIGINT) AS answers,
           CAST(SUM(s.satisfied) AS DECIMAL(38, 1)) / SUM(s.answers) AS csat,
           100.0 * (CAST(SUM(s.promoters) AS DECIMAL(38, 1)) / SUM(s.answers)
                    - CAST(SUM(s.detractors) AS DECIMAL(38, 1)) / SUM(s.answers)) AS nps,
           CAST(SUM(s.satisfaction) AS DOUBLE PRECISION) / CAST(SUM(s.answers) AS DOUBLE PRECISION)
               AS mean_satisfaction,
           CAST(SUM(s.ease) AS DOUBLE PRECISION) / CAST(SUM(s.answers) AS DOUBLE PRECISION) AS mean_ease"""


def refresh_survey_scores(conn: Connection, round_id: str | None = None) -> int:
    """Rewrite ``survey_team_scores`` from the answers (only the round ``round_id``'s rows when given),
    in the caller's transaction, in round, tool and team order; return the table's rows."""
    if round_id is None:
        return rewrite(
            conn, "survey_team_scores", COLUMNS, SURVEY_TEAM_SCORES.format(where=""), "round_id, tool_id, team_id"
        )
    conn.execute(sa.text("DELETE FROM survey_team_scores WHERE round_id = :r"), {"r": round_id})
    select = SURVEY_TEAM_SCORES.format(where="WHERE round_id = :r")
    conn.execute(
        sa.text(f"INSERT INTO survey_team_scores ({COLUMNS}) {select} ORDER BY round_id, tool_id, team_id"),  # noqa: S608
        {"r": round_id},
    )
    return counted(conn, "survey_team_scores")

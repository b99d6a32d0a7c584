"""Answering a survey: the form a link shows, validated answers, one transaction per link.

:func:`submit` stores one link's answers in one transaction: the link must exist, be unused and its
round open today; it is marked used with ``UPDATE … WHERE used = false`` that must touch exactly one
row, so a second submission of the same link is refused, even at the same instant. A response row
holds the round, the tool, the team and the date, with a random id never derived from the token.
Each submission rewrites its round's answers in a random order, and the change log records the day
of a submission only (docs/ACCESS.md, "Surveys").
"""

from __future__ import annotations

import json
import re
import secrets
import unicodedata
from collections.abc import Iterable
from datetime import date

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from salesops import config, store
from salesops.store import schema
from salesops.store.survey_tables import refresh_survey_scores
from salesops.tools.survey import (
    MAX_TEXT,
    USAGE,
    Answer,
    InvalidAnswer,
    LinkAlreadyUsed,
    LinkNotFound,
    RoundNotOpen,
    SurveyForm,
    Tool,
)

# Any HTML/XML-looking tag: "<" followed by a letter, "/" or "!" up to the next ">".
# "a < b" and "3<5" stay as typed.
_TAG = re.compile(r"<[/!]?[A-Za-z][^<>]*>|<!--.*?-->", re.S)


def clean_text(value: str | None, field: str = "comment") -> str:
    """Plain text from a free-text answer: tags removed, control characters dropped, trimmed.

    Newlines and tabs become spaces (a comment is one line). Raises :class:`InvalidAnswer` when the
    cleaned text is longer than :data:`MAX_TEXT` characters.
    """
    if value is None:
        return ""
    text = _TAG.sub(" ", str(value))
    text = "".join(" " if ch in "\t\r\n" else ch for ch in text if ch in "\t\r\n" or unicodedata.category(ch)[0] != "C")
    text = re.sub(r" {2,}", " ", text).strip()
    if len(text) > MAX_TEXT:
        raise InvalidAnswer(
            f"The {field} is {len(text)} characters long; the limit is {MAX_TEXT}.",
            "Shorten it and submit again.",
        )
    return text


def _check_int(value, low: int, high: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidAnswer(
            f"{what} must be a whole number from {low} to {high}, not {value!r}.", "Pick a value on the scale."
        )
    return value


def validate_answer(answer: Answer, tool_name: str | None = None) -> Answer:
    """The answer with its text cleaned, or :class:`InvalidAnswer` naming the tool and the field."""
    name = tool_name or answer.tool_id
    usage = (answer.usage or "").strip().lower()
    if usage not in USAGE:
        raise InvalidAnswer(
            f"How often you use {name} must be one of {', '.join(USAGE)}, not {answer.usage!r}.",
            "Pick one of the options.",
        )
    return Answer(
        tool_id=answer.tool_id,
        satisfaction=_check_int(answer.satisfaction, 1, 5, f"Satisfaction with {name}"),
        ease=_check_int(answer.ease, 1, 5, f"Ease of use of {name}"),
        recommend=_check_int(answer.recommend, 0, 10, f"Would you recommend {name}"),
        usage=usage,
        likes=clean_text(answer.likes, f"'what you like' about {name}"),
        dislikes=clean_text(answer.dislikes, f"'what you dislike' about {name}"),
    )


def _round_tools(conn: Connection, tool_ids_json: str) -> tuple[Tool, ...]:
    ids = json.loads(tool_ids_json)
    rows = conn.execute(sa.select(schema.tools).where(schema.tools.c.tool_id.in_(ids))).fetchall()
    by_id = {r.tool_id: Tool(r.tool_id, r.name, r.category) for r in rows}
    return tuple(by_id[t] for t in ids if t in by_id)


def _invite(conn: Connection, token: str, today: date):
    """The link's invite joined to its round, checked: exists, unused, round open today."""
    row = conn.execute(
        sa.text(
            """
            SELECT i.token, i.round_id, i.team_id, i.used, r.name, r.opens_on, r.closes_on, r.tool_ids
            FROM survey_invites i JOIN survey_rounds r USING (round_id)
            WHERE i.token = :t
            """
        ),
        {"t": token},
    ).first()
    if row is None:
        raise LinkNotFound(
            "This survey link is not valid.", "Check that the whole link was copied, or ask sales ops for a new one."
        )
    if row.used:
        raise LinkAlreadyUsed("This link was already used: the answers for it are in.", "Thank you for taking part.")
    if today < row.opens_on:
        raise RoundNotOpen(f"This survey opens on {row.opens_on:%d %b %Y}.", "Come back then.")
    if today > row.closes_on:
        raise RoundNotOpen(
            f"This survey closed on {row.closes_on:%d %b %Y}.", "Answers can no longer be added to this round."
        )
    return row


def form_for_token(engine: Engine, token: str) -> SurveyForm:
    """The form a link shows, or LinkNotFound / LinkAlreadyUsed / RoundNotOpen."""
    token = (token or "").strip()
    with engine.connect() as conn:
        row = _invite(conn, token, config.today())
        return SurveyForm(
            token=token,
            round_id=row.round_id,
            round_name=row.name,
            closes_on=row.closes_on,
            tools=_round_tools(conn, row.tool_ids),
        )


def submit(engine: Engine, token: str, answers: Iterable[Answer]) -> int:
    """Store one link's answers (one row per tool) and mark the link used, in one transaction.

    Returns the number of answers stored. Refuses an unknown or used link, a round that is not
    open today, an answer about a tool the round does not ask about, two answers about one tool,
    and invalid values (:class:`InvalidAnswer`). Nothing is stored when anything is refused.
    """
    token = (token or "").strip()
    answers = list(answers)
    today = config.today()

    def tx(conn: Connection) -> int:
        row = _invite(conn, token, today)
        tools = {t.tool_id: t for t in _round_tools(conn, row.tool_ids)}
        seen: set[str] = set()
        clean = []
        for a in answers:
            if a.tool_id not in tools:
                raise InvalidAnswer(f"This survey does not ask about {a.tool_id!r}.", "Answer only the tools shown.")
            if a.tool_id in seen:
                raise InvalidAnswer(f"{tools[a.tool_id].name} is answered twice.", "Answer each tool once.")
            seen.add(a.tool_id)
            clean.append(validate_answer(a, tools[a.tool_id].name))
        if not clean:
            raise InvalidAnswer("No tool was rated.", "Rate at least one tool before submitting.")
        used = conn.execute(
            sa.text("UPDATE survey_invites SET used = true WHERE token = :t AND used = false"), {"t": token}
        ).rowcount
        if used != 1:  # another session used the link between our read and this update
            raise LinkAlreadyUsed(
                "This link was already used: the answers for it are in.", "Thank you for taking part."
            )
        _lock_round(conn, row.round_id)
        conn.execute(
            sa.insert(schema.survey_responses),
            [
                {
                    # Random, never derived from the token: nothing links an answer to its link.
                    "response_id": "S" + secrets.token_hex(8),
                    "round_id": row.round_id,
                    "tool_id": a.tool_id,
                    "team_id": row.team_id,
                    "satisfaction": a.satisfaction,
                    "ease": a.ease,
                    "recommend": a.recommend,
                    "usage": a.usage,
                    "likes": a.likes,
                    "dislikes": a.dislikes,
                    "submitted_on": today,
                }
                for a in clean
            ],
        )
        _shuffle_round(conn, row.round_id)
        return len(clean)

    # Submissions of one round take turns (the round's rows are rewritten), so allow more retries
    # than a usual write; the change log keeps the day of the answer, not its time.
    return store.write(engine, tx, "survey answer", retries=200, day_only=True)


def _lock_round(conn: Connection, round_id: str) -> None:
    """Hold the round's row until commit, so the round's answers are rewritten by one submission at a
    time (PostgreSQL waits here; DuckDB reports a conflict that :func:`store.write` retries)."""
    conn.execute(sa.text("UPDATE survey_rounds SET anonymous = anonymous WHERE round_id = :r"), {"r": round_id})


def _shuffle_round(conn: Connection, round_id: str) -> None:
    """Rewrite the round's answers in a random order, so the order rows are stored in (what a query
    without ORDER BY returns) says nothing about the order they were submitted in."""
    responses = schema.survey_responses
    where = responses.c.round_id == round_id
    rows = [dict(r._mapping) for r in conn.execute(sa.select(responses).where(where))]
    secrets.SystemRandom().shuffle(rows)
    conn.execute(sa.delete(responses).where(where))
    conn.execute(sa.insert(responses), rows)
    refresh_survey_scores(conn, round_id)  # the round's counts per tool and team, in the same transaction

"""Tool satisfaction surveys: rounds and links, validated anonymous answers, results and themes.

Definitions, privacy rules and choices: docs/TOOLS.md.

* A **round** asks about some tools between two dates; every invited rep gets one **link** (a
  random token). The link knows the rep (so ops can send it); the answers do not: a response row
  holds the round, the tool, the team and the date, with a random id never derived from the token.
* :func:`submit` stores one link's answers in one transaction: the link must exist, be unused and
  its round open today; it is marked used with ``UPDATE … WHERE used = false`` that must touch
  exactly one row, so a second submission of the same link is refused, even at the same instant.
* Results per tool: CSAT (% of satisfaction 4–5), NPS (% 9–10 minus % 0–6 of "would recommend"),
  mean ease, answers and response rate (answers ÷ links sent). Privacy: fewer than
  :data:`MIN_ANSWERS` answers show no scores, comments need :data:`MIN_COMMENTS`, and team
  breakdowns use complementary suppression (:func:`suppress`).
"""

from __future__ import annotations

import json
import re
import secrets
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from salesops import config, store
from salesops.errors import SalesopsError
from salesops.scope import Scope
from salesops.store import schema
from salesops.store.engine import fetch_frame as _fetch
from salesops.store.sql import QUOTA_IN_WINDOW, quota_params, scope_filter
from salesops.store.sql import attainment as attainment_of
from salesops.store.sql import win_rate as win_rate_of

#: A group (a tool, a team within a tool) needs this many answers before any score is shown.
MIN_ANSWERS = 5
#: Comments (themes, examples) of a group are shown only from this many comments on.
MIN_COMMENTS = 10
#: Longest free-text answer accepted, in characters (after cleaning).
MAX_TEXT = 1000
#: "How often do you use it?" answers, in order.
USAGE = ("daily", "weekly", "monthly", "rarely")
#: A tool is flagged as falling when, against its previous round, mean satisfaction lost this much …
FALL_MEAN = 0.2
#: … or CSAT lost this share (10 percentage points).
FALL_CSAT = 0.10


class SurveyError(SalesopsError):
    """A survey operation was refused."""


class LinkNotFound(SurveyError):
    """The survey link's token is unknown."""


class LinkAlreadyUsed(SurveyError):
    """The survey link was already used to answer."""


class RoundNotOpen(SurveyError):
    """The round has not opened yet or has closed."""


class InvalidAnswer(SurveyError):
    """An answer is out of range, too long or names an unknown tool."""


class InvalidRound(SurveyError):
    """A new round's dates, tools or name are not usable."""


class UnknownRound(SurveyError):
    """No round has that id."""


# ---- value objects ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Tool:
    tool_id: str
    name: str
    category: str


@dataclass(frozen=True)
class SurveyForm:
    """What a link shows: the round and its tools (never the rep)."""

    token: str
    round_id: str
    round_name: str
    closes_on: date
    tools: tuple[Tool, ...]


@dataclass(frozen=True)
class Answer:
    """One rep's answer about one tool (free text is cleaned by :func:`clean_text`)."""

    tool_id: str
    satisfaction: int
    ease: int
    recommend: int
    usage: str
    likes: str = ""
    dislikes: str = ""


@dataclass(frozen=True)
class RoundOpened:
    round_id: str
    links: int


# ---- validation ------------------------------------------------------------------------------

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


# ---- rounds and links ------------------------------------------------------------------------


def load_tools(engine: Engine) -> pd.DataFrame:
    """All tools: tool_id, name, category (sorted by name)."""
    return store.read_frame(engine, sa.select(schema.tools).order_by(schema.tools.c.name))


def load_rounds(engine: Engine) -> pd.DataFrame:
    """Rounds, newest first: round_id, name, opens_on, closes_on, tools (count), links, answered, status."""
    sql = sa.text(
        """
        SELECT r.round_id, r.name, r.opens_on, r.closes_on, r.tool_ids,
               COUNT(i.token) AS links,
               COUNT(i.token) FILTER (WHERE i.used) AS answered
        FROM survey_rounds r LEFT JOIN survey_invites i USING (round_id)
        GROUP BY r.round_id, r.name, r.opens_on, r.closes_on, r.tool_ids
        ORDER BY r.opens_on DESC, r.round_id DESC
        """
    )
    frame = store.read_frame(engine, sql)
    today = config.today()
    frame["tools"] = [len(json.loads(t)) for t in frame.pop("tool_ids")]
    frame["status"] = [
        "upcoming" if o > today else "closed" if c < today else "open"
        for o, c in zip(frame["opens_on"], frame["closes_on"])
    ]
    return frame


def open_round(
    engine: Engine,
    *,
    name: str,
    opens_on: date,
    closes_on: date,
    tool_ids: Sequence[str],
    team_ids: Sequence[str] | None = None,
    round_id: str | None = None,
) -> RoundOpened:
    """Create a round and one link per active rep (of ``team_ids``, default all teams)."""
    name = clean_text(name, "round name")
    if not name:
        raise InvalidRound("The round has no name.", "Give it a name such as 'Tool survey May 2026'.")
    if closes_on < opens_on:
        raise InvalidRound(
            f"The round closes ({closes_on}) before it opens ({opens_on}).", "Pick a close date after the open date."
        )
    tool_ids = list(dict.fromkeys(tool_ids))
    if not tool_ids:
        raise InvalidRound("The round asks about no tool.", "Pick at least one tool.")
    known = set(load_tools(engine)["tool_id"])
    unknown = [t for t in tool_ids if t not in known]
    if unknown:
        raise InvalidRound(
            f"Unknown tool(s): {', '.join(unknown)}.", f"Use tool ids from the tools table: {', '.join(sorted(known))}."
        )
    rid = round_id or f"R{opens_on:%Y%m%d}-{secrets.token_hex(3)}"

    def tx(conn: Connection) -> RoundOpened:
        if conn.execute(
            sa.select(schema.survey_rounds.c.round_id).where(schema.survey_rounds.c.round_id == rid)
        ).first():
            raise InvalidRound(f"A round with id {rid!r} already exists.", "Pick another id or leave it empty.")
        conn.execute(
            sa.insert(schema.survey_rounds).values(
                round_id=rid,
                name=name,
                opens_on=opens_on,
                closes_on=closes_on,
                tool_ids=json.dumps(tool_ids),
                anonymous=True,
            )
        )
        q = sa.select(schema.reps.c.rep_id, schema.reps.c.team_id).where(schema.reps.c.active.is_(True))
        if team_ids:
            q = q.where(schema.reps.c.team_id.in_(list(team_ids)))
        reps = conn.execute(q.order_by(schema.reps.c.rep_id)).fetchall()
        if not reps:
            raise InvalidRound("No active rep to invite in the chosen teams.", "Pick other teams or load reps first.")
        invites = pd.DataFrame(
            {
                "token": [secrets.token_urlsafe(16) for _ in reps],
                "round_id": rid,
                "rep_id": [r.rep_id for r in reps],
                "team_id": [r.team_id for r in reps],
                "used": False,
            }
        )
        store.bulk_insert(conn, schema.survey_invites, invites)
        return RoundOpened(round_id=rid, links=len(invites))

    return store.write(engine, tx, f"survey round {rid} opened")


def round_links(engine: Engine, round_id: str) -> pd.DataFrame:
    """The round's links for ops to send: rep_id, rep, team_id, token, used."""
    sql = sa.text(
        """
        SELECT i.rep_id, r.name AS rep, i.team_id, i.token, i.used
        FROM survey_invites i LEFT JOIN reps r USING (rep_id)
        WHERE i.round_id = :round
        ORDER BY i.team_id, r.name, i.rep_id
        """
    )
    return store.read_frame(engine, sql, {"round": round_id})


# ---- answering -------------------------------------------------------------------------------


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
        return len(clean)

    return store.write(engine, tx, "survey answer")


# ---- results ---------------------------------------------------------------------------------

_SCORES = ("csat", "nps", "mean_satisfaction", "mean_ease")

#: Per (round, tool[, team]) aggregates. {team_col}/{team_group} are our own fragments.
_AGG = """
    SELECT s.round_id, s.tool_id{team_col},
           COUNT(*) AS answers,
           AVG(CASE WHEN s.satisfaction >= 4 THEN 1.0 ELSE 0.0 END) AS csat,
           100.0 * (AVG(CASE WHEN s.recommend >= 9 THEN 1.0 ELSE 0.0 END)
                    - AVG(CASE WHEN s.recommend <= 6 THEN 1.0 ELSE 0.0 END)) AS nps,
           AVG(CAST(s.satisfaction AS DOUBLE)) AS mean_satisfaction,
           AVG(CAST(s.ease AS DOUBLE)) AS mean_ease
    FROM survey_responses s
    WHERE (CAST(:round AS VARCHAR) IS NULL OR s.round_id = :round)
    GROUP BY s.round_id, s.tool_id{team_group}
"""

_RESULT_COLUMNS = [
    "round_id",
    "round",
    "opens_on",
    "tool_id",
    "tool",
    "category",
    "answers",
    "links",
    "response_rate",
    *_SCORES,
    "satisfaction_change",
    "csat_change",
    "nps_change",
    "fell",
    "shown",
    "note",
]

#: Every round's per-tool scores (hidden below MIN_ANSWERS) with the change against the tool's
#: previous round, all in one statement (the trend is a window over the rounds in date order).
_RESULTS_SQL = f"""
    WITH agg AS ({_AGG.format(team_col="", team_group="")}),
    links AS (SELECT round_id, COUNT(*) AS links FROM survey_invites GROUP BY round_id),
    base AS (
        SELECT a.round_id, r.name AS round, r.opens_on, a.tool_id, t.name AS tool, t.category,
               a.answers, COALESCE(l.links, 0) AS links, a.answers >= :min_answers AS shown,
               CASE WHEN a.answers >= :min_answers THEN a.csat END AS csat,
               CASE WHEN a.answers >= :min_answers THEN a.nps END AS nps,
               CASE WHEN a.answers >= :min_answers THEN a.mean_satisfaction END AS mean_satisfaction,
               CASE WHEN a.answers >= :min_answers THEN a.mean_ease END AS mean_ease
        FROM agg a JOIN tools t USING (tool_id) LEFT JOIN links l USING (round_id)
        JOIN survey_rounds r ON r.round_id = a.round_id
    ),
    trend AS (
        SELECT *,
               csat - LAG(csat) OVER w AS csat_change,
               nps - LAG(nps) OVER w AS nps_change,
               mean_satisfaction - LAG(mean_satisfaction) OVER w AS satisfaction_change
        FROM base
        WINDOW w AS (PARTITION BY tool_id ORDER BY opens_on, round_id, tool)
    )
    SELECT round_id, round, opens_on, tool_id, tool, category, CAST(answers AS BIGINT) AS answers,
           CAST(links AS BIGINT) AS links,
           CAST(answers AS DOUBLE) / CASE WHEN links > 0 THEN links END AS response_rate,
           csat, nps, mean_satisfaction, mean_ease, satisfaction_change, csat_change, nps_change,
           COALESCE(satisfaction_change <= :fall_mean, false) OR COALESCE(csat_change <= :fall_csat, false) AS fell,
           shown,
           CASE WHEN shown THEN '' ELSE :hidden_note END AS note
    FROM trend
    ORDER BY opens_on, round_id, tool
"""  # noqa: S608 - only our own fragments are spliced in; every value is bound


def _as_dates(column: pd.Series) -> pd.Series:
    """Dates as datetime.date objects (as a plain-tuple read gives them)."""
    if pd.api.types.is_datetime64_any_dtype(column):
        return pd.Series(column.dt.date, index=column.index, dtype=object)
    return column


def _rounds_order(engine: Engine) -> pd.DataFrame:
    return store.read_frame(
        engine, sa.text("SELECT round_id, name AS round, opens_on FROM survey_rounds ORDER BY opens_on, round_id")
    )


def tool_results(engine: Engine, round_id: str | None = None) -> pd.DataFrame:
    """Per round and tool: the scores, with the trend against the tool's previous round.

    Columns: round_id, round, opens_on, tool_id, tool, category, answers, links, response_rate,
    csat (0..1), nps (-100..100), mean_satisfaction, mean_ease, satisfaction_change, csat_change,
    nps_change, fell
    (bool), shown (bool), note. Rounds oldest first. Scores, changes and ``fell`` are empty where
    the group has fewer than MIN_ANSWERS answers (``shown`` False). ``round_id`` None: all rounds.
    """
    frame = _fetch(
        engine,
        sa.text(_RESULTS_SQL),
        {
            "round": None,
            "min_answers": MIN_ANSWERS,
            # A small epsilon so a drop of exactly the threshold counts despite float rounding.
            "fall_mean": -FALL_MEAN + 1e-9,
            "fall_csat": -FALL_CSAT + 1e-9,
            "hidden_note": f"fewer than {MIN_ANSWERS} answers: scores hidden",
        },
    )
    if round_id is not None and round_id not in set(frame["round_id"]):
        rounds = _rounds_order(engine)
        if round_id not in set(rounds["round_id"]):
            raise UnknownRound(
                f"No survey round {round_id!r}.", f"Known rounds: {', '.join(rounds['round_id']) or 'none yet'}."
            )
    if frame.empty:
        return pd.DataFrame(columns=_RESULT_COLUMNS)
    frame["opens_on"] = _as_dates(frame["opens_on"])
    frame["shown"] = frame["shown"].astype(bool)
    frame["fell"] = frame["fell"].astype(bool)
    if round_id is not None:
        frame = frame[frame["round_id"] == round_id].reset_index(drop=True)
    return frame[_RESULT_COLUMNS]


def suppress(answers: Sequence[int], minimum: int = MIN_ANSWERS) -> list[str]:
    """Which groups of one breakdown to hide, given each group's answer count.

    Returns, per group, "" (shown), "small" (fewer than ``minimum`` answers) or "complementary"
    (hidden only so that a small group cannot be worked out by subtracting the shown groups from
    the total). Rule: hide every small group; then, while the hidden groups are exactly one, or
    together hold fewer than ``minimum`` answers, also hide the smallest group still shown.
    """
    status = ["small" if n < minimum else "" for n in answers]
    order = sorted(range(len(answers)), key=lambda i: (answers[i], i))
    while True:
        hidden = [i for i, s in enumerate(status) if s]
        if not hidden or (len(hidden) >= 2 and sum(answers[i] for i in hidden) >= minimum):
            return status
        shown = [i for i in order if not status[i]]
        if not shown:
            return status
        status[shown[0]] = "complementary"


_BREAKDOWN_COLUMNS = ["tool_id", "tool", "team_id", "team", "answers", *_SCORES, "shown", "note"]

#: Per tool and team of one round, with :func:`suppress` applied per tool in SQL. Sorted by
#: (answers, row order), the small groups come first and every complementary one follows them, so
#: the hidden groups are the first h: h = 0 without a small group, else the first rank from the
#: number of small groups on at which 2 or more groups holding ``minimum`` answers are hidden (or
#: all of them).
_BREAKDOWN_SQL = f"""
    WITH agg AS ({_AGG.format(team_col=", s.team_id", team_group=", s.team_id")}),
    named AS (
        SELECT a.tool_id, t.name AS tool, a.team_id, COALESCE(tm.name, a.team_id, 'no team') AS team,
               a.answers, a.csat, a.nps, a.mean_satisfaction, a.mean_ease,
               ROW_NUMBER() OVER (PARTITION BY a.tool_id ORDER BY a.answers, a.team_id) AS rk,
               SUM(a.answers) OVER (
                   PARTITION BY a.tool_id ORDER BY a.answers, a.team_id ROWS UNBOUNDED PRECEDING
               ) AS cum,
               COUNT(*) FILTER (WHERE a.answers < :min_answers) OVER (PARTITION BY a.tool_id) AS small,
               COUNT(*) OVER (PARTITION BY a.tool_id) AS n
        FROM agg a JOIN tools t USING (tool_id) LEFT JOIN teams tm USING (team_id)
    ),
    cut AS (
        SELECT *,
               CASE WHEN small = 0 THEN 0
                    ELSE COALESCE(MIN(CASE WHEN rk >= small AND rk >= 2 AND cum >= :min_answers THEN rk END)
                                  OVER (PARTITION BY tool_id), n) END AS hidden
        FROM named
    )
    SELECT tool_id, tool, team_id, team, CAST(answers AS BIGINT) AS answers,
           CASE WHEN rk > hidden THEN csat END AS csat,
           CASE WHEN rk > hidden THEN nps END AS nps,
           CASE WHEN rk > hidden THEN mean_satisfaction END AS mean_satisfaction,
           CASE WHEN rk > hidden THEN mean_ease END AS mean_ease,
           rk > hidden AS shown,
           CASE WHEN rk > hidden THEN '' WHEN answers < :min_answers THEN :small_note ELSE :complement_note END
               AS note
    FROM cut
"""  # noqa: S608 - only our own fragments are spliced in; the round is bound

_BREAKDOWN_PARAMS = {
    "min_answers": MIN_ANSWERS,
    "small_note": f"fewer than {MIN_ANSWERS} answers: hidden",
    "complement_note": "hidden so a small team cannot be worked out from the total",
}


def team_breakdown(engine: Engine, round_id: str) -> pd.DataFrame:
    """Per tool and team of one round: scores with small and complementary suppression applied.

    Columns: tool_id, tool, team_id, team, answers, csat, nps, mean_satisfaction, mean_ease,
    shown (bool), note. Suppression is decided per tool over all its teams (:func:`suppress`).
    """
    sql = sa.text(f"{_BREAKDOWN_SQL} ORDER BY tool, team_id")  # noqa: S608 - our own constant SQL
    frame = _fetch(engine, sql, {"round": round_id, **_BREAKDOWN_PARAMS})
    if frame.empty:
        return pd.DataFrame(columns=_BREAKDOWN_COLUMNS)
    frame["shown"] = frame["shown"].astype(bool)
    return frame[_BREAKDOWN_COLUMNS]


# ---- themes ----------------------------------------------------------------------------------

STOPWORDS = frozenset(
    """
    a about above after again all also am an and any are as at be because been before being below
    between both but by can cannot could did do does doing don't down during each few for from
    further get gets got had has have having he her here hers him his how i i'm if in into is it
    it's its itself just me more most much my no nor not of off on once only or other our ours out
    over own really same she should so some such than that the their theirs them then there these
    they this those through to too under until up very was we were what when where which while who
    whom why will with would you your yours lot lots thing things one sometimes always often time times
    """.split()
)

_WORD = re.compile(r"[a-z0-9][a-z0-9'+-]*")


def _terms(comment: str) -> set[str]:
    """Words and phrases (2–3 words) of a comment that neither start nor end with a stopword."""
    words = _WORD.findall(comment.lower())
    out: set[str] = set()
    for n in (1, 2, 3):
        for i in range(len(words) - n + 1):
            gram = words[i : i + n]
            if gram[0] in STOPWORDS or gram[-1] in STOPWORDS or (n == 1 and len(gram[0]) < 2):
                continue
            out.add(" ".join(gram))
    return out


def themes(comments: Sequence[str], top: int = 8, examples: int = 3) -> pd.DataFrame:
    """Frequent words and phrases across ``comments`` with example comments.

    Columns: theme, mentions (comments containing it), share (of the comments), examples (up to
    ``examples`` distinct comments, shortest first, joined with " | "). Terms found in exactly the
    same comments are one theme named by the longest of them; a term is dropped when a longer
    kept theme containing it covers at least 60 % of its mentions ("calls drop" is not also
    listed as "calls"). Only terms in 2 or more comments count. Returns an empty frame when
    fewer than MIN_COMMENTS comments are given.
    """
    texts = [c.strip() for c in comments if c and c.strip()]
    return _themes(Counter(texts), top, examples)


def _themes(counts: Mapping[str, int], top: int = 8, examples: int = 3) -> pd.DataFrame:
    """:func:`themes` of comments given as distinct (stripped, non-empty) text -> how many times it was given.

    Identical comments contain the same terms, so each distinct text is split into terms once and
    counts for all its copies (a survey round repeats many short comments).
    """
    cols = ["theme", "mentions", "share", "examples"]
    total = sum(counts.values())
    if total < MIN_COMMENTS:
        return pd.DataFrame(columns=cols)
    texts = list(counts)
    weight = [counts[t] for t in texts]
    where: dict[str, set[int]] = {}
    for i, text in enumerate(texts):
        for term in _terms(text):
            where.setdefault(term, set()).add(i)
    mentions = {term: sum(weight[i] for i in docs) for term, docs in where.items()}
    groups: dict[frozenset[int], str] = {}
    for term, docs in where.items():
        if mentions[term] < 2:
            continue
        key = frozenset(docs)
        best = groups.get(key)
        if best is None or (len(term.split()), best) > (len(best.split()), term):
            groups[key] = term
    kept = {term: docs for docs, term in groups.items()}
    final = {}
    for term, docs in kept.items():
        padded = f" {term} "
        if any(other != term and padded in f" {other} " and mentions[other] >= 0.6 * mentions[term] for other in kept):
            continue
        final[term] = docs
    ranked = sorted(final.items(), key=lambda kv: (-mentions[kv[0]], -len(kv[0].split()), kv[0]))[:top]
    rows = []
    for term, docs in ranked:
        hits = sorted((texts[i] for i in docs), key=lambda s: (len(s), s))
        rows.append((term, mentions[term], mentions[term] / total, " | ".join(hits[:examples])))
    return pd.DataFrame(rows, columns=cols)


def _comments(
    engine: Engine, round_id: str, kind: str, tool_id: str | None, team_id: str | None, distinct: bool = False
) -> pd.DataFrame:
    """The round's non-empty comments of ``kind``: tool_id, comment (``distinct``: comment, n = copies)."""
    column = {"likes": "likes", "dislikes": "dislikes"}.get(kind)
    if column is None:
        raise InvalidAnswer(f"Unknown comment kind {kind!r}.", "Use likes or dislikes.")
    select = f"{column} AS comment, COUNT(*) AS n" if distinct else f"tool_id, {column} AS comment"
    sql = sa.text(
        f"""
        SELECT {select} FROM survey_responses
        WHERE round_id = :round AND COALESCE({column}, '') <> ''
          AND (CAST(:tool AS VARCHAR) IS NULL OR tool_id = :tool)
          AND (CAST(:team AS VARCHAR) IS NULL OR team_id = :team)
        {"GROUP BY 1" if distinct else ""}
        """  # noqa: S608 - column comes from the allow-list above; values are bound
    )
    return store.read_frame(engine, sql, {"round": round_id, "tool": tool_id, "team": team_id})


def tool_themes(
    engine: Engine, round_id: str, tool_id: str, kind: str = "dislikes", team_id: str | None = None
) -> pd.DataFrame:
    """:func:`themes` of one tool's likes or dislikes in a round (optionally one team's).

    Empty when the group has fewer than MIN_COMMENTS comments of that kind.
    """
    frame = _comments(engine, round_id, kind, tool_id, team_id, distinct=True)
    counts: Counter[str] = Counter()
    for comment, n in zip(frame["comment"], frame["n"]):
        if comment and comment.strip():
            counts[comment.strip()] += int(n)
    return _themes(counts)


def all_themes(engine: Engine, round_id: str, kind: str = "dislikes", team_id: str | None = None) -> pd.DataFrame:
    """Themes for every tool of a round: tool_id, tool, comments, theme, mentions, share, examples.

    Tools with fewer than MIN_COMMENTS comments of that kind are left out.
    """
    frame = _comments(engine, round_id, kind, None, team_id)
    names = dict(zip(*load_tools(engine)[["tool_id", "name"]].to_dict("list").values()))
    parts = []
    for tool_id, comments in frame.groupby("tool_id")["comment"]:
        th = themes(comments.tolist())
        if len(th):
            parts.append(th.assign(tool_id=tool_id, tool=names.get(tool_id, tool_id), comments=len(comments)))
    cols = ["tool_id", "tool", "comments", "theme", "mentions", "share", "examples"]
    return pd.concat(parts, ignore_index=True)[cols] if parts else pd.DataFrame(columns=cols)


# ---- tools and performance -------------------------------------------------------------------


def tools_vs_performance(engine: Engine, scope: Scope, round_id: str) -> pd.DataFrame:
    """Per tool and team: the round's satisfaction beside the team's attainment and win rate.

    Columns: tool_id, tool, team_id, team, answers, mean_satisfaction, csat, shown, won_cents,
    quota_cents, attainment, win_rate. Survey scores follow :func:`team_breakdown` (suppression
    included); performance is the scope's (won deals by close date in the range, by the deal's
    team; quota of the team's current reps over the scope's quota window). Correlation, not cause.
    One statement: the breakdown, the closed deals (one scan) and the quota, joined by team.
    """
    where, params = scope_filter(scope, alias="d")
    rep_where, rep_params = scope_filter(scope, alias="r")
    scoped = bool(scope.team_id or scope.region)
    sql = sa.text(
        f"""
        WITH bd AS ({_BREAKDOWN_SQL}),
        closed AS (
            SELECT d.team_id,
                   COALESCE(SUM(CASE WHEN d.outcome = 'won' THEN d.amount_cents END), 0) AS won_cents,
                   COUNT(*) FILTER (WHERE d.outcome = 'won') AS won,
                   COUNT(*) FILTER (WHERE d.outcome = 'lost') AS lost
            FROM deals d
            WHERE d.outcome IN ('won', 'lost') AND d.close_date BETWEEN :start AND :end {where}
            GROUP BY d.team_id
        ),
        quota AS (
            SELECT r.team_id, SUM(qw.quota_cents) AS quota_cents
            FROM ({QUOTA_IN_WINDOW}) qw JOIN reps r USING (rep_id)
            WHERE 1 = 1 {rep_where}
            GROUP BY r.team_id
        ),
        perf AS (
            SELECT COALESCE(c.team_id, q.team_id) AS team_id, CAST(COALESCE(c.won_cents, 0) AS BIGINT) AS won_cents,
                   COALESCE(c.won, 0) AS won, COALESCE(c.lost, 0) AS lost,
                   CAST(COALESCE(q.quota_cents, 0) AS DOUBLE) AS quota_cents
            FROM closed c FULL OUTER JOIN quota q USING (team_id)
        )
        SELECT bd.tool_id, bd.tool, bd.team_id, bd.team, bd.answers, bd.mean_satisfaction, bd.csat, bd.shown,
               p.won_cents, p.quota_cents, CAST(p.won AS DOUBLE) AS won, CAST(p.lost AS DOUBLE) AS lost
        FROM bd LEFT JOIN perf p ON p.team_id IS NOT DISTINCT FROM bd.team_id
        WHERE NOT :scoped OR bd.team_id IN (SELECT team_id FROM perf)
        ORDER BY bd.tool, bd.team_id
        """  # noqa: S608 - only our own SQL fragments are spliced in; every value is bound
    )
    binds = {"start": scope.start, "end": scope.end, "round": round_id, "scoped": scoped, **_BREAKDOWN_PARAMS}
    out = _fetch(engine, sql, {**binds, **params, **rep_params, **quota_params(scope)})
    cols = [
        "tool_id",
        "tool",
        "team_id",
        "team",
        "answers",
        "mean_satisfaction",
        "csat",
        "shown",
        "won_cents",
        "quota_cents",
        "attainment",
        "win_rate",
    ]
    if out.empty:
        return pd.DataFrame(columns=cols)
    won_cents = out["won_cents"].fillna(0).to_numpy().astype("int64")
    quota = np.round(out["quota_cents"].fillna(0).to_numpy(float)).astype("int64")
    won = out["won"].to_numpy(float)
    lost = np.nan_to_num(out["lost"].to_numpy(float), nan=0.0)
    attainment, win_rate = attainment_of(won_cents, quota), win_rate_of(won, lost)
    out["shown"] = out["shown"].astype(bool)
    out["won_cents"], out["quota_cents"] = won_cents, quota
    out["attainment"], out["win_rate"] = attainment, win_rate
    return out[cols]


def satisfaction_correlation(frame: pd.DataFrame) -> pd.DataFrame:
    """Per tool, Pearson correlation across teams of mean satisfaction with attainment and win rate.

    ``frame`` is :func:`tools_vs_performance`'s output; only shown (unsuppressed) teams count, and a
    tool needs 3 such teams (else the correlations are empty). Columns: tool_id, tool, teams,
    r_attainment, r_win_rate.
    """
    rows = []
    for (tool_id, tool), g in frame[frame["shown"].astype(bool)].groupby(["tool_id", "tool"]):
        g = g.astype({"mean_satisfaction": float, "attainment": float, "win_rate": float})
        enough = len(g) >= 3
        rows.append(
            (
                tool_id,
                tool,
                len(g),
                g["mean_satisfaction"].corr(g["attainment"]) if enough else None,
                g["mean_satisfaction"].corr(g["win_rate"]) if enough else None,
            )
        )
    return pd.DataFrame(rows, columns=["tool_id", "tool", "teams", "r_attainment", "r_win_rate"])

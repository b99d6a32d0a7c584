"""Tool satisfaction surveys: the shared vocabulary (limits, errors, value objects) and the design.

Definitions, privacy rules and choices: docs/TOOLS.md. The work is in :mod:`salesops.tools.rounds`
(rounds and links), :mod:`salesops.tools.answers` (the form, validation and submission),
:mod:`salesops.tools.results` (scores, suppression, tools beside performance) and
:mod:`salesops.tools.themes` (comment themes).

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

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from salesops.errors import SalesopsError

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
    """A round just opened: its id, the number of links, and the links themselves (rep_id, rep,
    team_id, token) — handed out once, here: the store keeps a link's team but not its rep."""

    round_id: str
    links: int
    link_list: Any = field(default=None, compare=False, repr=False)

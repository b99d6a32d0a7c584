"""Survey rounds and links: a round asks about some tools between two dates; each invited rep gets a link.

The link (a random token) knows the rep, so ops can send it; the answers do not (see
:mod:`salesops.tools.answers`).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from datetime import date

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from salesops import audit, config, store
from salesops.store import schema
from salesops.tools.answers import clean_text
from salesops.tools.survey import InvalidRound, RoundOpened


def load_tools(engine: Engine) -> pd.DataFrame:
    """All tools: tool_id, name, category (sorted by name)."""
    return store.read_frame(engine, sa.select(schema.tools).order_by(schema.tools.c.name))


def load_rounds(engine: Engine) -> pd.DataFrame:
    """Rounds, newest first: round_id, name, opens_on, closes_on, tools (count), links, answered, status.

    Newest means the latest opening day, then, for rounds opening the same day, the one opened last
    (the data version its opening wrote; a round id's random part says nothing about order).
    """
    # The invites counted per round first, the openings' versions joined (not selected: dropping a
    # column from the frame afterwards cost more than the query).
    sql = sa.text(
        """
        SELECT r.round_id, r.name, r.opens_on, r.closes_on, r.tool_ids,
               COALESCE(i.links, 0) AS links, COALESCE(i.answered, 0) AS answered
        FROM survey_rounds r
        LEFT JOIN (
            SELECT round_id, COUNT(token) AS links, COUNT(token) FILTER (WHERE used) AS answered
            FROM survey_invites GROUP BY round_id
        ) i ON i.round_id = r.round_id
        LEFT JOIN (
            SELECT what, MAX(version) AS opened_version FROM changes WHERE what LIKE 'survey round %' GROUP BY what
        ) c ON c.what = 'survey round ' || r.round_id || ' opened'
        ORDER BY r.opens_on DESC, c.opened_version DESC NULLS LAST, r.round_id DESC
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
    who: str = "cli",
) -> RoundOpened:
    """Create a round and one link per active rep (of ``team_ids``, default all teams).

    The links come back once, in :attr:`RoundOpened.link_list`; the store cannot list them again.
    """
    name, tool_ids = _check_round(engine, name, opens_on, closes_on, tool_ids)
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
        q = sa.select(schema.reps.c.rep_id, schema.reps.c.name, schema.reps.c.team_id).where(
            schema.reps.c.active.is_(True)
        )
        if team_ids:
            q = q.where(schema.reps.c.team_id.in_(list(team_ids)))
        reps = conn.execute(q.order_by(schema.reps.c.rep_id)).fetchall()
        if not reps:
            raise InvalidRound("No active rep to invite in the chosen teams.", "Pick other teams or load reps first.")
        # A link is stored with its team (for response rates) but not its rep: once the list below
        # is handed out, no one — admins included — can tell whose link was used.
        invites = pd.DataFrame(
            {
                "token": [secrets.token_urlsafe(16) for _ in reps],
                "round_id": rid,
                "rep_id": None,
                "team_id": [r.team_id for r in reps],
                "used": False,
            }
        )
        store.bulk_insert(conn, schema.survey_invites, invites)
        audit.record(conn, who, "survey round opened", f"{rid} ({name}), {len(invites)} links")
        link_list = pd.DataFrame(
            {
                "rep_id": [r.rep_id for r in reps],
                "rep": [r.name for r in reps],
                "team_id": [r.team_id for r in reps],
                "token": invites["token"],
            }
        ).sort_values(["team_id", "rep", "rep_id"], ignore_index=True)
        return RoundOpened(round_id=rid, links=len(invites), link_list=link_list)

    return store.write(engine, tx, f"survey round {rid} opened")


def _check_round(engine: Engine, name: str, opens_on: date, closes_on: date, tool_ids: Sequence[str]):
    """The cleaned name and the distinct tool ids, or :class:`InvalidRound` saying what is wrong."""
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
    return name, tool_ids

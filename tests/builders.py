"""Small hand-built rows for unit tests: reps, deals, monthly quotas, and one way to write them.

Each builder returns a plain dict (one row of its table) with defaults a test can override by
keyword, so a fixture reads as the organisation it describes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import pandas as pd

from salesops import store
from salesops.store import derived


def insert(engine, table, rows: Iterable[dict] | pd.DataFrame) -> None:
    """Write ``rows`` (dicts or a frame) into ``table`` in one transaction; deals, accounts and
    activities refresh the derived tables in it, as every writer of theirs does."""
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))

    def run(conn) -> None:
        store.bulk_insert(conn, table, frame)
        if table.name in derived.SOURCES:
            derived.refresh_derived(conn, {table.name})

    store.write(engine, run, "test")


def rep(
    rep_id: str,
    team: str,
    role: str = "AE",
    hire: date = date(2020, 1, 1),
    ramp: int = 3,
    *,
    fte: float = 1.0,
    active: bool = True,
) -> dict:
    """A reps row named "Rep <id>"."""
    return dict(
        rep_id=rep_id,
        name=f"Rep {rep_id}",
        team_id=team,
        role=role,
        hire_date=hire,
        ramp_months=ramp,
        active=active,
        fte=fte,
    )


def deal(
    n: int, rep: str, team: str, outcome: str, amount: int | None, close: date, created: date | None = None
) -> dict:
    """A deals row D<nnn> (amount in cents; created on its close date unless given; stage from outcome)."""
    return dict(
        deal_id=f"D{n:03d}",
        rep_id=rep,
        team_id=team,
        stage={"won": "Closed Won", "lost": "Closed Lost"}.get(outcome, "Proposal"),
        outcome=outcome,
        amount_cents=amount,
        created_date=created or close,
        close_date=close,
    )


def monthly_quota(rep_id: str, months: Iterable[int], cents: int = 10_000, year: int = 2026) -> list[dict]:
    """Quotas rows: ``cents`` for each of ``months`` of ``year``."""
    return [dict(rep_id=rep_id, period_type="month", period_start=date(year, m, 1), amount_cents=cents) for m in months]


def survey_answer(
    response_id: str, round_id: str, tool: str, team: str | None, sat: int, ease: int, rec: int, likes="", dislikes=""
) -> dict:
    """A survey_responses row: one answer about ``tool`` from ``team`` (satisfaction, ease 1-5; recommend 0-10)."""
    return dict(
        response_id=response_id,
        round_id=round_id,
        tool_id=tool,
        team_id=team,
        satisfaction=sat,
        ease=ease,
        recommend=rec,
        usage="daily",
        likes=likes,
        dislikes=dislikes,
        submitted_on=date(2026, 5, 2),
    )


def invites(engine, round_id: str) -> pd.DataFrame:
    """A round's stored links (token, team_id, used) read straight from the store, for tests only:
    the library hands links out once, when the round opens (salesops.tools.rounds.open_round)."""
    import sqlalchemy as sa

    sql = "SELECT token, team_id, used FROM survey_invites WHERE round_id = :r ORDER BY team_id, token"
    return store.read_frame(engine, sa.text(sql), {"r": round_id})

"""The audit trail: who did what, when (imports, plan saves, survey rounds opened, user changes).

:func:`record` appends one entry, inside the caller's transaction when given a connection (so the
entry lands with the change it describes, or not at all) or in its own when given an engine.
Entries are never updated or deleted by salesops. Details are plain text (shown as text).
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from salesops.store.schema import audit_log, audit_log_id

#: What an entry can say happened (``what`` column).
ACTIONS = ("import", "plan saved", "survey round opened", "user added", "user removed", "users imported")


def record(target: Engine | Connection, who: str, what: str, details: str = "") -> None:
    """Append one audit entry now, by ``who`` (an e-mail, "local" or "cli")."""
    if what not in ACTIONS:
        raise ValueError(f"unknown audit action {what!r}")  # a programming error, not user input
    stmt = sa.insert(audit_log).values(
        entry_id=audit_log_id.next_value(),
        logged_at=datetime.now().replace(microsecond=0),
        who=who,
        what=what,
        details=details,
    )
    if isinstance(target, Connection):
        target.execute(stmt)
    else:
        with target.begin() as conn:
            conn.execute(stmt)


def load_audit(engine: Engine, limit: int = 500) -> pd.DataFrame:
    """The newest ``limit`` entries first: at, who, what, details."""
    stmt = (
        sa.select(audit_log.c.logged_at.label("at"), audit_log.c.who, audit_log.c.what, audit_log.c.details)
        .order_by(audit_log.c.entry_id.desc())
        .limit(limit)
    )
    with engine.connect() as conn:
        rows = conn.execute(stmt).fetchall()
    return pd.DataFrame([tuple(r) for r in rows], columns=["at", "who", "what", "details"])

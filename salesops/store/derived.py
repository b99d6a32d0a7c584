"""Derived tables: stored results of a definition, rewritten in the transaction of every write
that can change them, so readers get them without recomputing.

* :func:`refresh_deal_kinds` — ``deal_kinds``: each deal's customer and, for a won deal, its kind
  (:data:`salesops.store.sql.WON_KINDS_CTE`). Any deal or account can change any other deal's row
  (a parent link moves a subsidiary's deals to another customer; an earlier win makes a later one
  existing business), so the table is rewritten whole; that runs the definition once per write
  instead of once per page call.

Writers that must call it: the demo build, and every import that writes deals or accounts
(:func:`salesops.ingest.write.write_plan`). Tests that insert deals or accounts by hand go through
``tests.builders.insert``, which calls it too.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from salesops.store.sql import WON_KINDS_CTE

#: Tables whose rows the deal kinds are computed from.
SOURCES = frozenset({"deals", "accounts"})

_FILL = f"""INSERT INTO deal_kinds (deal_id, customer_id, kind)
{WON_KINDS_CTE}
SELECT dc.deal_id, dc.customer_id, wk.kind
FROM deal_customers dc LEFT JOIN won_kinds wk ON wk.deal_id = dc.deal_id
"""  # noqa: S608 - our fragments only


def refresh_deal_kinds(conn: Connection) -> int:
    """Rewrite ``deal_kinds`` from the deals and accounts, in the caller's transaction; return its rows."""
    conn.execute(sa.text("DELETE FROM deal_kinds"))
    conn.execute(sa.text(_FILL))
    if conn.dialect.name == "postgresql":
        # Fresh statistics of the rewritten table and its sources, in the same transaction: without
        # them the planner guesses their sizes until autovacuum runs (the first page calls after a
        # demo build took 2.8-4.6 s instead of 0.6 s).
        conn.execute(sa.text("ANALYZE deals, accounts, deal_kinds"))
    return int(conn.execute(sa.text("SELECT COUNT(*) FROM deal_kinds")).scalar_one())

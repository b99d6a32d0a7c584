"""The demo's planted data-health flaws: a few records a CRM typically gets wrong (docs/DEMO_DATA.md).

A separate step at the end of the build, drawing nothing from the seeded generator: every generated
row stays as it was, and the flaws are new records added on top, so Data health (salesops.health)
has one of each thing it looks for:

* a new hire (joined three weeks ago) whose quota was not entered yet — *a rep with deals but no
  quota* — and whose first deal has *no amount* yet;
* an open deal whose expected close date passed 18 days ago (*past close*);
* an open deal whose close date was *pushed* three times;
* a second entry of an open deal (same account, amount and close date: a *likely duplicate*);
* monthly quotas of this quarter for a rep id the roster does not have (*a quota with no rep*):
  the figures join quotas to reps, so this quota counts nowhere but in Data health.

Templates are the first open deals (by id) of teams T02–T05 that close at least two weeks after
'today', so the same seed, scale and today always plant the same rows.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from salesops.store import schema
from salesops.store.engine import bulk_insert

#: The planted new hire (no quota yet); the rep id is the next free one.
NEW_HIRE = {"name": "Ines Okonkwo", "team_id": "T03", "role": "AE"}
#: Which team's template deal each flaw copies.
TEMPLATE_TEAMS = {"missing_amount": "T03", "duplicate": "T02", "past_close": "T04", "pushed": "T05"}


def _templates(conn: Connection, deals: sa.Table, today: date) -> dict[str, dict]:
    """Per flaw, the first open deal (by id) of its team closing two weeks or more after today."""
    d = deals.c
    rows = (
        conn.execute(
            sa.select(deals)
            .where(d.outcome == "open", d.close_date >= today + timedelta(days=14), d.amount_cents.is_not(None))
            .where(d.team_id.in_(sorted(set(TEMPLATE_TEAMS.values()))))
            .order_by(d.team_id, d.deal_id)
        )
        .mappings()
        .all()
    )  # fetched whole: DuckDB refuses the next statement while a result is pending
    first: dict[str, dict] = {}
    for row in rows:
        first.setdefault(row["team_id"], dict(row))
    return {flaw: first[team] for flaw, team in TEMPLATE_TEAMS.items() if team in first}


def _next_id(conn: Connection, table: sa.Table, column: str, prefix: str) -> int:
    """One more than the largest number in the ids ``<prefix><digits>`` of ``table.column``.

    Compared as numbers: as text "D9999999" sorts after "D10000000", and a large demo (over ten
    million deals) then planted its flaws on ids it already had.
    """
    col = table.c[column]
    number = sa.cast(sa.func.substr(col, len(prefix) + 1), sa.BigInteger)
    top = conn.execute(sa.select(sa.func.max(number)).where(col.like(f"{prefix}%"))).all()[0][0]
    return int(top) + 1 if top else 1


def plant_flaws(
    conn: Connection, staged: dict[str, sa.Table], today: date, stage: Callable[[str, pd.DataFrame], int]
) -> dict[str, int]:
    """Add the flawed records to the staged deals, stage history and changes, and to reps and quotas.

    ``staged`` maps deals to the table the build collects them in (published in date order
    afterwards); ``stage(table name, rows)`` adds rows of deals, deal_stage_history or deal_changes
    there and returns their count. Returns the rows added per table.
    """
    templates = _templates(conn, staged["deals"], today)
    if len(templates) < len(TEMPLATE_TEAMS):  # a store too small for the plant (no such team)
        return {}
    deal_no = _next_id(conn, staged["deals"], "deal_id", "D")
    rep_no = _next_id(conn, schema.reps, "rep_id", "R")
    width = max(4, len(str(rep_no + 1)))
    hire_id, ghost_id = f"R{rep_no:0{width}d}", f"R{rep_no + 1:0{width}d}"
    deals: list[dict] = []
    history: list[dict] = []
    changes: list[dict] = []

    def add(flaw: str, **over) -> dict:
        row = {**templates[flaw], **over}
        row["deal_id"] = f"D{deal_no + len(deals):07d}"
        if "name" not in over:  # the generator's naming: product – number
            row["name"] = f"{row['product']} – {row['deal_id'][1:]}"
        deals.append(row)
        history.append({"deal_id": row["deal_id"], "stage": row["stage"], "entered_at": row["created_date"]})
        return row

    add("missing_amount", rep_id=hire_id, amount_cents=None, created_date=today - timedelta(days=12))
    dup = templates["duplicate"]
    add("duplicate", name=dup["name"], created_date=dup["created_date"] + timedelta(days=1))
    add("past_close", created_date=today - timedelta(days=120), close_date=today - timedelta(days=18))
    closes = [today + timedelta(days=n) for n in (-90, -30, 15, 60)]
    pushed = add("pushed", created_date=today - timedelta(days=150), close_date=closes[-1])
    for at, old, new in zip((120, 80, 45), closes, closes[1:]):
        changes.append(
            {
                "deal_id": pushed["deal_id"],
                "changed_at": today - timedelta(days=at),
                "field": "close_date",
                "old_value": old.isoformat(),
                "new_value": new.isoformat(),
            }
        )
    counts = {
        "deals": stage("deals", pd.DataFrame(deals, columns=[c.name for c in schema.deals.c])),
        "deal_stage_history": stage("deal_stage_history", pd.DataFrame(history)),
        "deal_changes": stage("deal_changes", pd.DataFrame(changes)),
    }
    hire = {
        **NEW_HIRE,
        "rep_id": hire_id,
        "hire_date": today - timedelta(days=21),
        "ramp_months": 3,
        "active": True,
        "fte": 1.0,
        "email": f"{NEW_HIRE['name'].lower().replace(' ', '.')}.{rep_no}@example.com",
    }
    counts["reps"] = bulk_insert(conn, schema.reps, pd.DataFrame([hire]))
    quarter = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    months = [(quarter + timedelta(days=32 * k)).replace(day=1) for k in range(3)]
    ghost = [{"rep_id": ghost_id, "period_type": "month", "period_start": m, "amount_cents": 6_000_000} for m in months]
    counts["quotas"] = bulk_insert(conn, schema.quotas, pd.DataFrame(ghost))
    return counts

"""The demo's planted flaws get ids after every generated one, however many digits the ids have."""

from __future__ import annotations

from datetime import date

from salesops.demo.flaws import _next_id
from salesops.store import schema
from tests.builders import deal, insert, rep


def test_the_next_deal_id_counts_past_ten_million(empty_engine):
    """With D9999999 and D10000000 stored, the next id is 10000001 (as text D9999999 sorts last)."""
    insert(empty_engine, schema.teams, [dict(team_id="A", name="Team A", region="R")])
    insert(empty_engine, schema.reps, [rep("R0001", "A")])
    rows = [deal(1, "R0001", "A", "won", 100, date(2026, 1, 5)), deal(2, "R0001", "A", "won", 100, date(2026, 1, 6))]
    rows[0]["deal_id"], rows[1]["deal_id"] = "D9999999", "D10000000"
    insert(empty_engine, schema.deals, rows)
    with empty_engine.connect() as conn:
        assert _next_id(conn, schema.deals, "deal_id", "D") == 10_000_001
        assert _next_id(conn, schema.reps, "rep_id", "R") == 2
        assert _next_id(conn, schema.leads, "lead_id", "L") == 1  # an empty table starts at 1

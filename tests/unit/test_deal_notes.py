"""A deals import rewrites the deal-keyed derived tables for the deals it writes alone
(salesops.store.deal_notes), and each table then equals a whole rewrite: after new deals, moves
between days, months, quarters, reps and teams, duplicate groups joined and left, an open deal won,
a deal that stays the same, and a chunked import; a refused import leaves them as they were."""

from __future__ import annotations

import pandas as pd
import pytest

from salesops import ingest, store
from salesops.store import deal_notes, derived, health_tables, rollups, schema
from tests.builders import insert, rep

#: The tables a deals import rewrites for its deals alone.
SCOPED = (
    "deal_kinds",
    "customer_deal_ids",
    "rep_days",
    "rep_months",
    "rep_periods",
    "deal_event_days",
    "deal_duplicates",
    "deal_change_days",
    "deal_pushes",
    "open_deal_touches",
)
_COLS = ["deal_id", "rep_id", "account", "stage", "outcome", "amount", "created_date", "close_date"]


def _org(engine) -> None:
    insert(
        engine,
        schema.teams,
        [dict(team_id="T1", name="One", region="North"), dict(team_id="T2", name="Two", region="South")],
    )
    insert(engine, schema.reps, [rep("R1", "T1"), rep("R2", "T2"), rep("R3", "T1")])


def _file(*rows: tuple) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=_COLS)


def _tables(engine) -> dict[str, pd.DataFrame]:
    out = {}
    with engine.connect() as conn:
        for table in SCOPED:
            frame = pd.read_sql_query(f"SELECT * FROM {table}", conn)  # noqa: S608 - our names
            frame = frame.astype(str)  # dates, NULLs and numbers compared as the store gives them
            out[table] = frame.sort_values(list(frame.columns)).reset_index(drop=True)
    return out


def _assert_equal_to_whole(engine) -> dict[str, pd.DataFrame]:
    """The tables as the imports left them equal the same tables rewritten whole."""
    scoped = _tables(engine)
    store.write(engine, lambda conn: derived.refresh_derived(conn, {"deals", "accounts"}), "test: whole rewrite")
    whole = _tables(engine)
    for table in SCOPED:
        pd.testing.assert_frame_equal(scoped[table], whole[table], obj=table)
    return whole


@pytest.fixture
def engine(empty_engine, monkeypatch):
    """An organisation whose deals imports must not rewrite the deal-keyed tables whole."""
    _org(empty_engine)
    calls: list[str] = []
    for mod, name in (
        (derived, "refresh_deal_kinds"),
        (derived, "refresh_customer_deal_ids"),
        (rollups, "refresh_rep_days"),
        (health_tables, "refresh_duplicates"),
        (health_tables, "refresh_pushes"),
    ):
        real = getattr(mod, name)
        monkeypatch.setattr(mod, name, lambda conn, _r=real, _n=name: calls.append(_n) or _r(conn))
    empty_engine.whole_calls = calls
    return empty_engine


def _import(engine, frame: pd.DataFrame) -> None:
    engine.whole_calls.clear()
    ingest.import_frame(engine, "deals", frame)
    assert engine.whole_calls == [], "a deals import rewrote a deal-keyed table whole"


def test_a_deals_import_rewrites_its_deals_alone_and_equals_a_whole_rewrite(engine):
    _import(
        engine,
        _file(
            ("D1", "R1", "Acme", "Closed Won", "won", "1000", "2025-01-01", "2025-01-10"),
            ("D2", "R1", "Acme", "Closed Won", "won", "1000", "2025-01-03", "2025-01-20"),  # D1's duplicate
            ("D3", "R1", "Hooli", "Closed Lost", "lost", "300", "2025-01-01", "2025-01-10"),
            ("D4", "R2", "Initech", "Prospect", "open", "700", "2025-01-05", "2025-03-31"),
            ("D5", "R3", "Umbrella", "Closed Won", "won", "", "2025-02-01", "2025-02-10"),
            ("D6", "R2", "Umbrella", "Closed Won", "won", "500", "2025-02-02", "2025-02-11"),
        ),
    )
    whole = _assert_equal_to_whole(engine)
    assert set(whole["deal_duplicates"]["deal_id"]) == {"D1", "D2"}
    assert set(whole["open_deal_touches"]["deal_id"]) == {"D4"}
    # D1 leaves its group for April (another month, quarter and day); D3 moves to R2 (team T2);
    # D4 is won; D5 gets D6's amount (a new group); D6 unchanged; D7 is new, in 2026 (another year).
    _import(
        engine,
        _file(
            ("D1", "R1", "Acme", "Closed Won", "won", "1000", "2025-01-01", "2025-04-02"),
            ("D3", "R2", "Hooli", "Closed Lost", "lost", "300", "2025-01-01", "2025-01-10"),
            ("D4", "R2", "Initech", "Closed Won", "won", "900", "2025-01-05", "2025-03-15"),
            ("D5", "R3", "Umbrella", "Closed Won", "won", "500", "2025-02-01", "2025-02-10"),
            ("D6", "R2", "Umbrella", "Closed Won", "won", "500", "2025-02-02", "2025-02-11"),
            ("D7", "R3", "Acme", "Prospect", "open", "250", "2026-01-05", "2026-02-01"),
        ),
    )
    whole = _assert_equal_to_whole(engine)
    assert set(whole["deal_duplicates"]["deal_id"]) == {"D5", "D6"}
    assert set(whole["open_deal_touches"]["deal_id"]) == {"D7"}
    days = whole["rep_days"]
    assert set(days[days["day"] == "2025-01-10"]["rep_id"]) == {"R2"}  # D1 left, D3 moved to R2
    assert set(days[days["day"] == "2025-01-10"]["team_id"]) == {"T2"}


def test_a_chunked_deals_import_equals_a_whole_rewrite(engine, tmp_path):
    path = tmp_path / "deals.csv"
    _file(
        *(
            (
                f"D{i}",
                f"R{1 + i % 3}",
                f"Acct {i % 2}",
                "Closed Won",
                "won",
                "400",
                "2025-03-01",
                f"2025-03-{1 + i:02d}",
            )
            for i in range(7)
        )
    ).to_csv(path, index=False)
    engine.whole_calls.clear()
    ingest.import_file(engine, "deals", path, chunk_rows=2)
    assert engine.whole_calls == []
    _assert_equal_to_whole(engine)


def test_a_deals_import_that_fails_after_the_scoped_rewrite_leaves_everything_and_no_note(engine, monkeypatch):
    """The scoped rewrite runs in the import's transaction: a failure after it rolls back the deals,
    the tables and the note alike."""
    _import(engine, _file(("D1", "R1", "Acme", "Closed Won", "won", "1000", "2025-01-01", "2025-01-10")))
    before = _tables(engine)
    real = deal_notes.refresh_noted

    def fail_after(conn, *args):
        real(conn, *args)
        raise RuntimeError("disk full")

    monkeypatch.setattr(deal_notes, "refresh_noted", fail_after)
    with pytest.raises(RuntimeError, match="disk full"):
        ingest.import_frame(
            engine, "deals", _file(("D1", "R2", "Acme", "Closed Won", "won", "1000", "2025-01-01", "2025-02-10"))
        )
    after = _tables(engine)
    for table in SCOPED:
        pd.testing.assert_frame_equal(before[table], after[table], obj=table)
    with engine.connect() as conn:
        assert not deal_notes.noted(conn)
        assert conn.exec_driver_sql("SELECT rep_id FROM deals").scalar_one() == "R1"


def _kinds(engine) -> dict[str, str]:
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT deal_id, kind FROM deal_kinds WHERE kind IS NOT NULL").all()
    return dict(rows)


def test_a_deal_moving_to_another_customer_rewrites_both_customers_kinds(engine):
    """By hand: Acme wins D1 (Jan) then D2 (Mar): new business, then existing. D1 moves to Hooli: D2
    becomes Acme's first win (new business) and D1 Hooli's first, before Hooli's D3 (existing)."""
    ingest.import_frame(engine, "accounts", pd.DataFrame({"account_id": ["A1", "A2"], "name": ["Acme", "Hooli"]}))
    _import(
        engine,
        _file(
            ("D1", "R1", "Acme", "Closed Won", "won", "100", "2025-01-01", "2025-01-10"),
            ("D2", "R1", "Acme", "Closed Won", "won", "200", "2025-02-01", "2025-03-10"),
            ("D3", "R2", "Hooli", "Closed Won", "won", "300", "2025-02-01", "2025-02-10"),
        ),
    )
    assert _kinds(engine) == {"D1": "new_business", "D2": "existing", "D3": "new_business"}
    _assert_equal_to_whole(engine)
    _import(engine, _file(("D1", "R1", "Hooli", "Closed Won", "won", "100", "2025-01-01", "2025-01-10")))
    assert _kinds(engine) == {"D1": "new_business", "D2": "new_business", "D3": "existing"}
    _assert_equal_to_whole(engine)


def _customers(engine) -> dict[str, tuple[str, str]]:
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT deal_id, customer_id, kind FROM deal_kinds").all()
    return {d: (c, k) for d, c, k in rows}


def _import_accounts(engine, **columns) -> None:
    engine.whole_calls.clear()
    ingest.import_frame(engine, "accounts", pd.DataFrame(columns))
    assert engine.whole_calls == [], "an accounts import rewrote the deal kinds whole"
    _assert_equal_to_whole(engine)


def test_an_accounts_import_rewrites_the_kinds_of_the_deals_it_relinks_alone(engine):
    """By hand, deals imported before any account (linked later by id or name): Acme wins D1 (Jan)
    and D4 (Apr), "A2" D2 (Feb), Globex D3, Initech D5. Each accounts import below changes the
    customers and kinds as commented, and the tables equal a whole rewrite without one."""
    _import(
        engine,
        _file(
            ("D1", "R1", "Acme", "Closed Won", "won", "100", "2025-01-01", "2025-01-10"),
            ("D2", "R1", "A2", "Closed Won", "won", "200", "2025-01-01", "2025-02-10"),
            ("D3", "R2", "Globex", "Closed Won", "won", "300", "2025-01-01", "2025-03-10"),
            ("D4", "R2", "Acme", "Closed Won", "won", "400", "2025-01-01", "2025-04-10"),
            ("D5", "R3", "Initech", "Closed Won", "won", "500", "2025-01-01", "2025-05-10"),
        ),
    )
    nb, ex = "new_business", "existing"
    assert _customers(engine) == {
        "D1": ("name:acme", nb), "D2": ("name:a2", nb), "D3": ("name:globex", nb), "D4": ("name:acme", ex),
        "D5": ("name:initech", nb),
    }  # fmt: skip
    # New accounts: D1 and D4 link by name, D2 by id, D3 by name, D5 to Initech (its parent A9 missing).
    _import_accounts(
        engine,
        account_id=["A1", "A2", "A3", "A6"],
        name=["Acme", "Hooli", "Globex", "Initech"],
        parent_id=[None, None, None, "A9"],
    )
    assert _customers(engine) == {
        "D1": ("A1", nb), "D2": ("A2", nb), "D3": ("A3", nb), "D4": ("A1", ex), "D5": ("A6", nb),
    }  # fmt: skip
    # Acme moves under Hooli: its January win is Hooli's first, so D2 (February) becomes existing.
    _import_accounts(engine, account_id=["A1"], name=["Acme"], parent_id=["A2"])
    assert _customers(engine) == {
        "D1": ("A2", nb), "D2": ("A2", ex), "D3": ("A3", nb), "D4": ("A2", ex), "D5": ("A6", nb),
    }  # fmt: skip
    # A second "acme" account: the name no longer links D1 and D4 (ambiguous), so D2 is Hooli's first again.
    _import_accounts(engine, account_id=["A5"], name=["ACME "], parent_id=[None])
    assert _customers(engine) == {
        "D1": ("name:acme", nb), "D2": ("A2", nb), "D3": ("A3", nb), "D4": ("name:acme", ex), "D5": ("A6", nb),
    }  # fmt: skip
    # Initech's missing parent arrives (D5 counts for it) and Globex is renamed (D3 no longer links).
    _import_accounts(engine, account_id=["A9", "A3"], name=["Initech Holdings", "Globex Corp"], parent_id=[None, None])
    assert _customers(engine) == {
        "D1": ("name:acme", nb), "D2": ("A2", nb), "D3": ("name:globex", nb), "D4": ("name:acme", ex),
        "D5": ("A9", nb),
    }  # fmt: skip
    # An industry alone changes no customer: the note is empty, nothing is rewritten, nothing is left.
    _import_accounts(engine, account_id=["A2"], name=["Hooli"], industry=["Software"])
    with engine.connect() as conn:
        assert not deal_notes.accounts_noted(conn)

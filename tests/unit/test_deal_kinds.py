"""The derived tables equal their one definition after every write that can change them: the stored
deal kinds (deal_kinds) equal WON_KINDS_CTE, and the customers' purchase days (customer_days) equal
CUSTOMER_DAYS over it, after the demo build, a deals import, an accounts import that re-links deals,
a refused import, and the migrations that create the tables for an existing store; so do the
customers' numbers, years, the cohort grid's quarters and the per-period flows (customer_keys,
customer_years, cohort_quarters, customer_flows) over customer_days."""

from __future__ import annotations

from datetime import date

import pandas as pd
import sqlalchemy as sa
from alembic import command

from salesops import ingest, store
from salesops.store import migrate, schema
from salesops.store.customer_tables import (
    COHORT_QUARTERS,
    COHORT_YEAR_COLUMNS,
    COHORT_YEARS,
    CUSTOMER_DEAL_IDS,
    CUSTOMER_FLOWS,
    CUSTOMER_KEYS,
    CUSTOMER_RISK_SPANS,
    CUSTOMER_YEARS,
    FLOW_COLUMNS,
    KEY_COLUMNS,
    QUARTER_COLUMNS,
    RISK_SPAN_COLUMNS,
    YEAR_COLUMNS,
)
from salesops.store.derived import ACCOUNT_ROOTS, CUSTOMER_DAYS, DAY_COLUMNS, OPEN_RENEWALS, RENEWAL_COLUMNS
from salesops.store.sql import WON_KINDS_CTE
from tests.builders import deal, insert, rep

_DEFINED = f"""{WON_KINDS_CTE}
SELECT dc.deal_id, dc.customer_id, wk.kind
FROM deal_customers dc LEFT JOIN won_kinds wk ON wk.deal_id = dc.deal_id"""  # noqa: S608 - our fragments
#: deal_kinds' copies of the deal's columns (revision 0010), as the deals table has them.
_COPIED = "SELECT deal_id, rep_id, team_id, close_date, amount_cents, account FROM {table}"


def _frame(engine, sql: str, key: tuple[str, ...] = ("deal_id",)) -> pd.DataFrame:
    frame = store.read_frame(engine, sa.text(sql)).astype(object)
    return frame.where(frame.notna(), None).sort_values(list(key), na_position="first").reset_index(drop=True)


def _texts(frame: pd.DataFrame, *cols: str) -> list[tuple[str, ...]]:
    """The rows of ``cols`` as text, a missing value as "None"."""
    return [tuple("None" if pd.isna(v) else str(v) for v in row) for row in frame[list(cols)].itertuples(index=False)]


def _assert_days_current(engine) -> pd.DataFrame:
    """customer_days equals CUSTOMER_DAYS computed from the definition itself (not from deal_kinds)."""
    key = ("customer_id", "day")
    stored = _frame(engine, f"SELECT {DAY_COLUMNS} FROM customer_days", key)  # noqa: S608 - constant
    defined = _frame(engine, f"{WON_KINDS_CTE}{CUSTOMER_DAYS}", key)
    pd.testing.assert_frame_equal(stored, defined[stored.columns])
    return stored


def _stored(engine) -> pd.DataFrame:
    return _frame(engine, "SELECT deal_id, customer_id, kind FROM deal_kinds")


def _assert_renewals_current(engine) -> pd.DataFrame:
    """open_renewals equals OPEN_RENEWALS evaluated now."""
    stored = _frame(engine, f"SELECT {RENEWAL_COLUMNS} FROM open_renewals")  # noqa: S608 - constant
    pd.testing.assert_frame_equal(stored, _frame(engine, OPEN_RENEWALS))
    return stored


def _assert_roots_current(engine) -> pd.DataFrame:
    """account_roots equals ACCOUNT_ROOTS evaluated now."""
    key = ("account_id",)
    stored = _frame(engine, "SELECT account_id, first_won_day FROM account_roots", key)
    pd.testing.assert_frame_equal(stored, _frame(engine, ACCOUNT_ROOTS, key))
    return stored


def _assert_years_current(engine) -> pd.DataFrame:
    """customer_years equals CUSTOMER_YEARS evaluated now (over customer_days, checked above)."""
    key = ("customer_id", "year")
    stored = _frame(engine, f"SELECT {YEAR_COLUMNS} FROM customer_years", key)  # noqa: S608 - constant
    pd.testing.assert_frame_equal(stored, _frame(engine, CUSTOMER_YEARS, key)[stored.columns])
    return stored


def _assert_keys_current(engine) -> pd.DataFrame:
    """customer_keys equals CUSTOMER_KEYS evaluated now (over customer_days, checked above): one row
    per customer, numbered 1, 2, ... in customer id order."""
    key = ("customer_key",)
    stored = _frame(engine, f"SELECT {KEY_COLUMNS} FROM customer_keys", key)  # noqa: S608 - constant
    pd.testing.assert_frame_equal(stored, _frame(engine, CUSTOMER_KEYS, key)[stored.columns])
    assert list(stored["customer_key"]) == list(range(1, len(stored) + 1))
    assert stored["customer_id"].is_unique
    return stored


def _assert_cohort_years_current(engine) -> pd.DataFrame:
    """cohort_years equals COHORT_YEARS evaluated now (over customer_years, checked above)."""
    key = ("cohort", "year")
    stored = _frame(engine, f"SELECT {COHORT_YEAR_COLUMNS} FROM cohort_years", key)  # noqa: S608 - constant
    pd.testing.assert_frame_equal(stored, _frame(engine, COHORT_YEARS, key)[stored.columns])
    return stored


def _assert_risk_spans_current(engine) -> pd.DataFrame:
    """customer_risk_spans equals CUSTOMER_RISK_SPANS evaluated now (over customer_days, checked above)."""
    key = ("customer_key", "valid_from")
    stored = _frame(engine, f"SELECT {RISK_SPAN_COLUMNS} FROM customer_risk_spans", key)  # noqa: S608 - constant
    pd.testing.assert_frame_equal(stored, _frame(engine, CUSTOMER_RISK_SPANS, key)[stored.columns])
    return stored


def _assert_deal_ids_current(engine) -> pd.DataFrame:
    """customer_deal_ids equals CUSTOMER_DEAL_IDS evaluated now (over deal_kinds, checked above)."""
    key = ("customer_id", "deal_id")
    stored = _frame(engine, "SELECT customer_id, deal_id FROM customer_deal_ids", key)
    pd.testing.assert_frame_equal(stored, _frame(engine, CUSTOMER_DEAL_IDS, key))
    return stored


def _assert_flows_current(engine) -> pd.DataFrame:
    """customer_flows equals CUSTOMER_FLOWS evaluated now (over customer_days, checked above)."""
    key = ("grain", "period_start")
    stored = _frame(engine, f"SELECT {FLOW_COLUMNS} FROM customer_flows", key)  # noqa: S608 - constant
    pd.testing.assert_frame_equal(stored, _frame(engine, CUSTOMER_FLOWS, key)[stored.columns])
    return stored


def _assert_quarters_current(engine) -> pd.DataFrame:
    """cohort_quarters equals COHORT_QUARTERS evaluated now (over customer_days, checked above)."""
    key = ("cohort", "quarter")
    stored = _frame(engine, f"SELECT {QUARTER_COLUMNS} FROM cohort_quarters", key)  # noqa: S608 - constant
    pd.testing.assert_frame_equal(stored, _frame(engine, COHORT_QUARTERS, key)[stored.columns])
    return stored


def _assert_current(engine) -> pd.DataFrame:
    stored, defined = _stored(engine), _frame(engine, _DEFINED)
    pd.testing.assert_frame_equal(stored, defined)
    _assert_deal_ids_current(engine)
    _assert_days_current(engine)
    _assert_keys_current(engine)
    _assert_flows_current(engine)
    _assert_years_current(engine)
    _assert_cohort_years_current(engine)
    _assert_risk_spans_current(engine)
    _assert_quarters_current(engine)
    _assert_renewals_current(engine)
    _assert_roots_current(engine)
    columns = store.read_frame(
        engine, sa.text("SELECT column_name FROM information_schema.columns WHERE table_name = 'deal_kinds'")
    )
    if "rep_id" in set(columns["column_name"]):  # from revision 0010 on
        copied = _frame(engine, _COPIED.format(table="deal_kinds"))
        pd.testing.assert_frame_equal(copied, _frame(engine, _COPIED.format(table="deals")))
    return stored.set_index("deal_id")


def test_the_demo_build_stores_the_defined_kinds_of_every_deal(demo_engine):
    """After the demo build every deal has its row, equal to the definition, and the demo's three typed kinds occur."""
    stored = _assert_current(demo_engine)
    assert len(stored) == store.table_counts(demo_engine)["deals"]
    assert {"new_business", "renewal", "expansion"} <= set(stored["kind"].dropna())


def _org(engine) -> None:
    insert(engine, schema.teams, [dict(team_id="T1", name="One", region="North")])
    insert(engine, schema.reps, [rep("R1", "T1")])


def _deals_file(*rows: tuple) -> pd.DataFrame:
    cols = ["deal_id", "rep_id", "stage", "outcome", "amount", "created_date", "close_date", "account"]
    return pd.DataFrame([(*r[:2], "Closed Won", "won", *r[2:]) for r in rows], columns=cols)


def test_imports_rewrite_the_kinds_and_an_accounts_import_relinks_deals(empty_engine):
    """Deals import: Acme Labs is its own new customer. Accounts import (Labs' parent is Acme): the
    Labs deal becomes Acme's later purchase, existing business; the table follows both writes."""
    _org(empty_engine)
    ingest.import_frame(
        empty_engine,
        "deals",
        _deals_file(
            ("D1", "R1", "1000", "2025-01-01", "2025-01-10", "Acme"),
            ("D2", "R1", "300", "2025-02-01", "2025-03-01", "acme  LABS"),
        ),
    )
    first = _assert_current(empty_engine)
    assert first.loc["D2", "customer_id"] == "name:acme labs" and first.loc["D2", "kind"] == "new_business"
    years = _texts(_assert_years_current(empty_engine), "customer_id", "year", "won_cents", "base_cents")
    assert years == [("name:acme", "2025", "100000", "100000"), ("name:acme labs", "2025", "30000", "30000")]
    assert _texts(_assert_keys_current(empty_engine), "customer_key", "customer_id", "customer", "first_day") == [
        ("1", "name:acme", "Acme", "2025-01-10"), ("2", "name:acme labs", "acme  LABS", "2025-03-01"),
    ]  # fmt: skip
    ingest.import_frame(
        empty_engine,
        "accounts",
        pd.DataFrame({"account_id": ["A", "L"], "name": ["Acme", "Acme Labs"], "parent_id": [None, "A"]}),
    )
    after = _assert_current(empty_engine)
    assert after.loc["D1", "customer_id"] == after.loc["D2", "customer_id"] == "A"
    assert (after.loc["D1", "kind"], after.loc["D2", "kind"]) == ("new_business", "existing")
    assert _texts(_assert_roots_current(empty_engine), "account_id", "first_won_day") == [("A", "2025-01-10")]
    days = _assert_days_current(empty_engine)
    cols = ("customer_id", "day", "prev_day", "next_day", "won_cents", "existing_cents", "cycle_days", "customer")
    assert _texts(days, *cols) == [
        ("A", "2025-01-10", "None", "2025-03-01", "100000", "0", "None", "Acme"),
        ("A", "2025-03-01", "2025-01-10", "None", "30000", "30000", "50.0", "Acme"),
    ]  # fmt: skip
    # One customer from 2025 (1,300 in it); its days in 2025 Q1, its first spell ending on its second
    # day (Q1) and its last 12 months on (1 Mar 2026, Q1 2026).
    years = _texts(_assert_years_current(empty_engine), "customer_id", "year", "cohort", "won_cents", "base_cents")
    assert years == [("A", "2025", "2025", "130000", "130000")]
    quarters = _texts(_assert_quarters_current(empty_engine), "cohort", "quarter", "firsts", "starts", "untils")
    assert quarters == [("2025-01-01", "2025-01-01", "1", "2", "1"), ("2025-01-01", "2026-01-01", "0", "0", "1")]
    assert _texts(_assert_keys_current(empty_engine), *KEY_COLUMNS.split(", ")) == [("1", "A", "Acme", "2025-01-10")]


def test_a_rejected_import_leaves_the_stored_kinds_alone(empty_engine):
    """An accounts file with a parent cycle is refused whole: deal_kinds, customer_years and
    cohort_quarters keep their rows."""
    _org(empty_engine)
    insert(empty_engine, schema.deals, [{**deal(1, "R1", "T1", "won", 500, date(2025, 1, 1)), "account": "Acme"}])
    before = _assert_current(empty_engine)
    years, quarters = _assert_years_current(empty_engine), _assert_quarters_current(empty_engine)
    bad = pd.DataFrame({"account_id": ["A", "B"], "name": ["Acme", "Beta"], "parent_id": ["B", "A"]})
    try:
        ingest.import_frame(empty_engine, "accounts", bad)
    except ingest.ImportRejected:
        pass
    pd.testing.assert_frame_equal(_assert_current(empty_engine), before)
    pd.testing.assert_frame_equal(_assert_years_current(empty_engine), years)
    pd.testing.assert_frame_equal(_assert_quarters_current(empty_engine), quarters)


def test_migration_0007_creates_and_fills_the_table_for_an_existing_store(new_store_url):
    """A store at revision 0006 with deals gets deal_kinds filled to the definition by revision 0007."""
    engine = store.open_store(new_store_url("at0006"))
    _org(engine)
    insert(engine, schema.accounts, [dict(account_id="A", name="Acme", name_key="acme")])
    insert(
        engine,
        schema.deals,
        [
            {**deal(1, "R1", "T1", "won", 500, date(2025, 1, 1)), "account": "Acme"},
            {**deal(2, "R1", "T1", "won", 700, date(2025, 5, 1)), "account_id": "A"},
            {**deal(3, "R1", "T1", "lost", 900, date(2025, 6, 1)), "account": "Other"},
        ],
    )
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE deal_kinds"))
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0006'"))
        assert migrate.status(conn).state == "behind"
    with engine.begin() as conn:  # only 0007: the later revisions expect a store of their time
        command.upgrade(migrate._config(conn), "0007")
        assert migrate.current(conn) == "0007"
    stored = _assert_current(engine)
    assert stored["kind"].to_dict() == {"D001": "new_business", "D002": "existing", "D003": None}
    assert stored.loc["D003", "customer_id"] == "name:other"
    engine.dispose()


def test_migration_0009_creates_and_fills_the_customer_tables_of_an_existing_store(new_store_url):
    """A store at revision 0008 with won deals (one with no account) gets customer_days filled to the
    definition by revision 0009 (one row per customer and day, the no-account revenue in a row of its
    own), and open_renewals with its open renewal."""
    engine = store.open_store(new_store_url("at0008"))
    _org(engine)
    insert(
        engine,
        schema.deals,
        [
            {**deal(1, "R1", "T1", "won", 500, date(2025, 1, 1)), "account": "Acme"},
            {**deal(2, "R1", "T1", "won", 700, date(2025, 1, 1)), "account": "ACME"},
            {**deal(3, "R1", "T1", "won", 900, date(2025, 6, 1)), "account": "Acme"},
            {**deal(4, "R1", "T1", "won", 50, date(2025, 6, 1))},
            {**deal(5, "R1", "T1", "open", 400, date(2026, 1, 1)), "account": "Acme", "deal_type": "Renewal"},
        ],
    )
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE customer_days"))
        conn.execute(sa.text("DROP TABLE open_renewals"))
        conn.execute(sa.text("DROP TABLE account_roots"))
        conn.execute(sa.text("DROP TABLE customer_years"))
        conn.execute(sa.text("DROP TABLE cohort_quarters"))
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0008'"))
    with engine.begin() as conn:  # through 0009 (creates them) to the head (0011 adds and fills cycle_days)
        command.upgrade(migrate._config(conn), "head")
    days = _assert_days_current(engine)
    assert _texts(days, "customer_id", "day", "first_day", "won_cents", "existing_cents", "deals", "customer") == [
        ("None", "2025-06-01", "None", "50", "0", "1", "None"),
        ("name:acme", "2025-01-01", "2025-01-01", "1200", "0", "2", "ACME"),
        ("name:acme", "2025-06-01", "2025-01-01", "900", "900", "1", "ACME"),
    ]
    renewals = _assert_renewals_current(engine)
    assert _texts(renewals, "deal_id", "customer_id", "amount_cents", "last_change") == [
        ("D005", "name:acme", "400", "None")
    ]
    engine.dispose()


def test_migration_0011_adds_and_fills_the_usual_cycles(new_store_url):
    """A store at 0010 whose customer_days has no cycle_days gets it from 0011: the median gap between
    purchase days so far (none on the first day; gaps 10 and 30 days: 10, then 20)."""
    engine = store.open_store(new_store_url("at0010"))
    _org(engine)
    days = [date(2025, 1, 1), date(2025, 1, 11), date(2025, 2, 10)]
    insert(
        engine, schema.deals, [{**deal(n, "R1", "T1", "won", 100, d), "account": "Acme"} for n, d in enumerate(days)]
    )
    with engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE customer_days DROP COLUMN cycle_days"))
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0010'"))
    with engine.begin() as conn:
        command.upgrade(migrate._config(conn), "0011")
    got = _assert_days_current(engine)
    assert _texts(got, "day", "cycle_days") == [("2025-01-01", "None"), ("2025-01-11", "10.0"), ("2025-02-10", "20.0")]
    engine.dispose()


def test_migration_0014_creates_and_fills_the_year_and_quarter_tables(new_store_url):
    """A store at 0015 (the revision before 0014) with Acme buying on 10 Nov 2024 (500), 5 Feb 2025
    (300) and 20 Mar 2025 (200), and Beta on 1 Jan 2025 (900), gets customer_years and
    cohort_quarters from 0014: Acme's 2024 cohort (base 500, 500 in 2025), Beta's 2025; the grid's
    days, first days and spell ends by hand."""
    engine = store.open_store(new_store_url("at0015"))
    _org(engine)
    rows = [
        ("Acme", 500, date(2024, 11, 10)), ("Acme", 300, date(2025, 2, 5)), ("Acme", 200, date(2025, 3, 20)),
        ("Beta", 900, date(2025, 1, 1)),
    ]  # fmt: skip
    insert(
        engine,
        schema.deals,
        [{**deal(n, "R1", "T1", "won", cents, day), "account": name} for n, (name, cents, day) in enumerate(rows)],
    )
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE customer_years"))
        conn.execute(sa.text("DROP TABLE cohort_quarters"))
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0015'"))
    with engine.begin() as conn:
        command.upgrade(migrate._config(conn), "head")
    years = _texts(_assert_years_current(engine), "customer_id", "year", "cohort", "won_cents", "base_cents")
    assert years == [
        ("name:acme", "2024", "2024", "500", "500"), ("name:acme", "2025", "2024", "500", "500"),
        ("name:beta", "2025", "2025", "900", "900"),
    ]  # fmt: skip
    # Acme (Q4 2024): a day in Q4 2024, two in Q1 2025; spells end on 5 Feb (Q1), 20 Mar (Q1) and
    # 20 Mar 2026 (Q1 2026). Beta (Q1 2025): its day, its spell ending 1 Jan 2026.
    quarters = _texts(_assert_quarters_current(engine), "cohort", "quarter", "firsts", "starts", "untils")
    assert quarters == [
        ("2024-10-01", "2024-10-01", "1", "1", "0"), ("2024-10-01", "2025-01-01", "0", "2", "2"),
        ("2024-10-01", "2026-01-01", "0", "0", "1"), ("2025-01-01", "2025-01-01", "1", "1", "0"),
        ("2025-01-01", "2026-01-01", "0", "0", "1"),
    ]  # fmt: skip
    engine.dispose()


def test_migration_0018_numbers_the_customers_of_an_existing_store(new_store_url):
    """A store at 0014 whose customer_days has no customer_key and no customer_keys or customer_flows
    table gets them from 0018: Acme (two days), Beta and Cede numbered 1, 2, 3 in id order on every
    day, no number on the no-account day; customer_keys one row each with name and first day; the
    quarters' flows by hand; the tables derived from customer_days equal their definitions."""
    engine = store.open_store(new_store_url("at0014"))
    _org(engine)
    rows = [
        ("Cede", 100, date(2025, 3, 1)), ("Acme", 500, date(2025, 1, 10)), ("Beta", 900, date(2025, 2, 1)),
        ("Acme", 200, date(2025, 4, 2)), (None, 50, date(2025, 4, 2)),
    ]  # fmt: skip
    insert(
        engine,
        schema.deals,
        [{**deal(n, "R1", "T1", "won", cents, day), "account": name} for n, (name, cents, day) in enumerate(rows)],
    )
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE customer_keys"))
        conn.execute(sa.text("DROP TABLE customer_flows"))
        conn.execute(sa.text("ALTER TABLE customer_days DROP COLUMN customer_key"))
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0014'"))
    with engine.begin() as conn:
        command.upgrade(migrate._config(conn), "head")
    _assert_current(engine)
    days = _assert_days_current(engine)
    days = _texts(days.assign(customer_key=days["customer_key"].astype("Int64")), "customer_id", "day", "customer_key")
    assert days == [
        ("None", "2025-04-02", "None"), ("name:acme", "2025-01-10", "1"), ("name:acme", "2025-04-02", "1"),
        ("name:beta", "2025-02-01", "2"), ("name:cede", "2025-03-01", "3"),
    ]  # fmt: skip
    assert _texts(_assert_keys_current(engine), "customer_key", "customer_id", "customer", "first_day") == [
        ("1", "name:acme", "Acme", "2025-01-10"), ("2", "name:beta", "Beta", "2025-02-01"),
        ("3", "name:cede", "Cede", "2025-03-01"),
    ]  # fmt: skip
    # Per quarter: Q1 2025 three first days (1,500); Q2 Acme's second day (200, existing) and the
    # no-account 50, Acme's first spell ends; Beta and Cede lost in Q1 2026 (12 months on), Acme in Q2 2026.
    flows = _assert_flows_current(engine)
    quarters = _texts(flows[flows["grain"] == "quarter"], *FLOW_COLUMNS.split(", ")[1:])
    assert quarters == [
        ("2025-01-01", "1500", "0", "3", "0", "0", "3", "0"), ("2025-04-01", "250", "200", "0", "0", "0", "1", "1"),
        ("2026-01-01", "0", "0", "0", "0", "2", "0", "2"), ("2026-04-01", "0", "0", "0", "0", "1", "0", "1"),
    ]  # fmt: skip
    assert set(flows["grain"]) == {"month", "quarter", "year"}
    engine.dispose()


def test_migration_0023_stores_each_customers_deals_and_the_renewals_customer_numbers(new_store_url):
    """A store at 0021 with no customer_deal_ids and no open_renewals.customer_key gets both from 0023:
    Acme's two deals and its open renewal, Beta's deal, none for the deal with no account; Acme's open
    renewal carries Acme's number 1, Cede's (who never won) none."""
    engine = store.open_store(new_store_url("at0021"))
    _org(engine)
    insert(
        engine,
        schema.deals,
        [
            {**deal(1, "R1", "T1", "won", 500, date(2025, 1, 1)), "account": "Acme"},
            {**deal(2, "R1", "T1", "won", 900, date(2025, 2, 1)), "account": "Beta"},
            {**deal(3, "R1", "T1", "lost", 300, date(2025, 3, 1)), "account": "Acme"},
            {**deal(4, "R1", "T1", "won", 50, date(2025, 4, 1))},
            {**deal(5, "R1", "T1", "open", 400, date(2026, 1, 1)), "account": "Acme", "deal_type": "Renewal"},
            {**deal(6, "R1", "T1", "open", 100, date(2026, 1, 1)), "account": "Cede", "deal_type": "Renewal"},
        ],
    )
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE customer_deal_ids"))
        conn.execute(sa.text("ALTER TABLE open_renewals DROP COLUMN customer_key"))
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0021'"))
    with engine.begin() as conn:
        command.upgrade(migrate._config(conn), "head")
    _assert_current(engine)
    assert _texts(_assert_deal_ids_current(engine), "customer_id", "deal_id") == [
        ("name:acme", "D001"), ("name:acme", "D003"), ("name:acme", "D005"), ("name:beta", "D002"),
        ("name:cede", "D006"),
    ]  # fmt: skip
    renewals = _assert_renewals_current(engine)
    renewals = renewals.assign(customer_key=renewals["customer_key"].astype("Int64"))
    assert _texts(renewals, "deal_id", "customer_id", "customer_key") == [
        ("D005", "name:acme", "1"), ("D006", "name:cede", "None"),
    ]  # fmt: skip
    engine.dispose()


def test_migration_0024_sums_retention_per_cohort_and_year(new_store_url):
    """A store at 0022 with no cohort_years gets it from 0024: Acme (500 in 2024, 800 in 2025) and Beta
    (1,000 in 2024, 200 in 2025) make cohort 2024: 2 customers, base 1,500; in 2025 revenue 1,000 of
    which 700 kept (Acme capped at its 500); Cede (300 in 2025) cohort 2025."""
    engine = store.open_store(new_store_url("at0022"))
    _org(engine)
    rows = [
        ("Acme", 500, date(2024, 3, 1)), ("Acme", 800, date(2025, 3, 1)), ("Beta", 1000, date(2024, 6, 1)),
        ("Beta", 200, date(2025, 6, 1)), ("Cede", 300, date(2025, 7, 1)),
    ]  # fmt: skip
    insert(
        engine,
        schema.deals,
        [{**deal(n, "R1", "T1", "won", cents, day), "account": name} for n, (name, cents, day) in enumerate(rows)],
    )
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE cohort_years"))
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0022'"))
    with engine.begin() as conn:
        command.upgrade(migrate._config(conn), "head")
    _assert_current(engine)
    assert _texts(_assert_cohort_years_current(engine), *COHORT_YEAR_COLUMNS.split(", ")) == [
        ("2024", "2024", "2", "1500", "1500", "1500"), ("2024", "2025", "2", "1500", "1000", "700"),
        ("2025", "2025", "1", "300", "300", "300"),
    ]  # fmt: skip
    engine.dispose()


def test_the_risk_spans_move_a_leap_day_purchase_when_the_binds_do(empty_engine):
    """Acme buys 500 on 29 Feb 2024 and 100 on 1 Sep 2024: its spans by hand (the leap day moves to
    the prior 12 months on 1 Mar 2025, as 28 Feb 2025 - 12 months is 28 Feb 2024, and leaves on
    1 Mar 2026; the last span ends when the September purchase leaves), and the accounts at risk
    read from them equal the pandas reference on the days around each change."""
    from salesops import customers
    from salesops.customers import fast_risk
    from salesops.scope import Scope

    _org(empty_engine)
    rows = [(500, date(2024, 2, 29)), (100, date(2024, 9, 1))]
    insert(
        empty_engine,
        schema.deals,
        [{**deal(n, "R1", "T1", "won", cents, day), "account": "Acme"} for n, (cents, day) in enumerate(rows)],
    )
    spans = _assert_risk_spans_current(empty_engine)
    cols = RISK_SPAN_COLUMNS.split(", ")[1:]
    gap = f"{(date(2024, 9, 1) - date(2024, 2, 29)).days}.0"  # the usual cycle: days, as a float
    assert _texts(spans, *cols) == [
        ("2024-02-29", "2024-09-01", "500", "0", "2024-02-29", "None"),
        ("2024-09-01", "2025-03-01", "600", "0", "2024-09-01", gap),
        ("2025-03-01", "2025-09-01", "100", "500", "2024-09-01", gap),
        ("2025-09-01", "2026-03-01", "0", "600", "2024-09-01", gap),
        ("2026-03-01", "2026-09-01", "0", "100", "2024-09-01", gap),
    ]  # fmt: skip
    days = [
        date(2025, 2, 28),
        date(2025, 3, 1),
        date(2025, 9, 1),
        date(2026, 2, 28),
        date(2026, 3, 1),
        date(2026, 9, 1),
    ]
    for as_of in days:
        scope = Scope(start=date(as_of.year, 1, 1), end=as_of)
        want = customers.accounts_at_risk(
            customers.load_won(empty_engine, scope), customers.open_renewals(empty_engine, scope), as_of
        )
        got = fast_risk.accounts_at_risk_sql(empty_engine, scope, as_of)
        pd.testing.assert_frame_equal(got, want, check_dtype=False, obj=str(as_of))
    assert (
        len(
            fast_risk.accounts_at_risk_sql(
                empty_engine, Scope(start=date(2025, 1, 1), end=date(2025, 9, 1)), date(2025, 9, 1)
            )
        )
        == 1
    )


def test_a_store_without_the_flows_table_gets_it_on_its_next_write(empty_engine):
    """A store migrated by the first version of revision 0018 (no customer_flows) gets the table,
    equal to its definition, from the next write of deals."""
    _org(empty_engine)
    with empty_engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE customer_flows"))
    insert(empty_engine, schema.deals, [{**deal(1, "R1", "T1", "won", 500, date(2025, 1, 1)), "account": "Acme"}])
    flows = _assert_flows_current(empty_engine)
    assert _texts(flows[flows["grain"] == "year"], "period_start", "won_cents", "firsts", "lost") == [
        ("2025-01-01", "500", "1", "0"), ("2026-01-01", "0", "0", "1"),
    ]  # fmt: skip


def test_an_import_that_changes_no_deal_does_not_rewrite_the_kinds(empty_engine, monkeypatch):
    """Importing the same deals file twice rewrites deal_kinds once (the second changes no row);
    a changed amount rewrites it again."""
    from salesops.store import deal_notes, derived

    calls = []
    real = derived.refresh_deal_kinds
    monkeypatch.setattr(derived, "refresh_deal_kinds", lambda conn: calls.append(1) or real(conn))
    real_noted = deal_notes.refresh_noted_kinds  # an import rewrites the kinds of its deals' customers
    monkeypatch.setattr(deal_notes, "refresh_noted_kinds", lambda conn: calls.append(1) or real_noted(conn))
    _org(empty_engine)
    first = _deals_file(("D1", "R1", "1000", "2025-01-01", "2025-01-10", "Acme"))
    ingest.import_frame(empty_engine, "deals", first)
    ingest.import_frame(empty_engine, "deals", first)
    assert len(calls) == 1
    ingest.import_frame(empty_engine, "deals", first.assign(amount="1200"))
    assert len(calls) == 2
    _assert_current(empty_engine)

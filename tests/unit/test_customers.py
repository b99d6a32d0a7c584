"""Customers and retention, against a store small enough to work out by hand (docs/CUSTOMERS.md)."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest
import sqlalchemy as sa

from salesops import customers, store
from salesops.cli.main import main
from salesops.scope import Scope
from salesops.store import schema
from salesops.store.sql import name_key
from tests.builders import deal, insert, rep

AS_OF = date(2025, 12, 31)


def _account(account_id: str, name: str, parent: str | None = None) -> dict:
    return dict(account_id=account_id, name=name, name_key=name_key(name), parent_id=parent, region="North")


def _deal(n, team, outcome, amount, close, *, account=None, account_id=None, deal_type=None) -> dict:
    row = deal(n, "R1" if team == "T1" else "R2", team, outcome, amount, close)
    return {**row, "account": account, "account_id": account_id, "deal_type": deal_type}


@pytest.fixture
def engine(empty_engine):
    """Acme (A) with a subsidiary (S), Beta (B) lost and won back, Gamma linked by name only."""
    insert(empty_engine, schema.teams, [dict(team_id="T1", name="One", region="North"),
                                        dict(team_id="T2", name="Two", region="South")])  # fmt: skip
    insert(empty_engine, schema.reps, [rep("R1", "T1"), rep("R2", "T2")])
    insert(
        empty_engine, schema.accounts, [_account("A", "Acme"), _account("S", "Acme Labs", "A"), _account("B", "Beta")]
    )
    insert(
        empty_engine,
        schema.deals,
        [
            _deal(1, "T1", "won", 1000, date(2024, 1, 10), account="Acme", account_id="A"),
            _deal(2, "T1", "won", 500, date(2024, 1, 20), account="Acme", account_id="A", deal_type="Renewal"),
            _deal(3, "T1", "won", 300, date(2024, 6, 1), account="Acme Labs", account_id="S"),
            _deal(4, "T1", "won", 2000, date(2024, 3, 1), account="Beta", account_id="B"),
            _deal(5, "T1", "won", 2500, date(2025, 6, 1), account="Beta", account_id="B"),
            _deal(6, "T2", "won", 400, date(2024, 2, 15), account="  gamma   CORP "),
            _deal(7, "T2", "won", 100, date(2024, 8, 1), account="Gamma Corp", deal_type="Expansion"),
            _deal(8, "T1", "won", 50, date(2024, 1, 5)),
            _deal(9, "T1", "lost", 700, date(2024, 2, 1), account="Acme", account_id="A"),
            {**_deal(10, "T1", "open", 2600, date(2025, 11, 30), account="Beta", account_id="B", deal_type="Renewal")},
        ],
    )
    return empty_engine


def _months(engine, start=date(2023, 11, 1), by="company"):
    frame = customers.customer_periods(engine, Scope(start=start, end=AS_OF, grain="month"), by)
    return frame.set_index(["group", "period"]) if by != "company" else frame.set_index("period")


def test_a_subsidiary_counts_for_its_parent_and_names_link_ignoring_case_and_spaces(engine):
    """D003 (Acme Labs) belongs to customer Acme; both Gamma spellings are one customer; D008 has none."""
    won = customers.load_won(engine, Scope(start=date(2024, 1, 1), end=AS_OF)).set_index("deal_id")
    assert won.loc["D003", "customer_id"] == "A" and won.loc["D003", "customer"] == "Acme"
    assert won.loc["D006", "customer_id"] == won.loc["D007", "customer_id"] == "name:gamma corp"
    assert pd.isna(won.loc["D008", "customer_id"])
    assert "D009" not in won.index  # lost deals are no purchase


def test_deal_kinds_follow_the_type_and_else_the_first_won_day(engine):
    """Untyped: first won day new, later existing; typed deals keep their type; no account is new."""
    won = customers.load_won(engine, Scope(start=date(2024, 1, 1), end=AS_OF)).set_index("deal_id")
    assert won["kind"].to_dict() == {
        "D001": "new_business", "D002": "renewal", "D003": "existing", "D004": "new_business",
        "D005": "existing", "D006": "new_business", "D007": "expansion", "D008": "new_business",
    }  # fmt: skip


def test_a_renewal_in_the_same_month_as_the_new_purchase_splits_the_revenue(engine):
    """Jan 2024: 1000 (Acme new) + 50 (no account) new, 500 renewal existing; one new customer."""
    jan = _months(engine).loc["Jan 2024"]
    assert (jan.won_cents, jan.new_cents, jan.existing_cents) == (1550, 1050, 500)
    assert jan.existing_share == pytest.approx(500 / 1550)
    assert (jan.active, jan.new, jan.returning, jan.lost) == (1, 1, 0, 0)


def test_a_customer_lost_and_won_back(engine):
    """Beta lapses on 1 Mar 2025 (12 months after its purchase) and returns on 1 Jun 2025."""
    m = _months(engine)
    assert (m.loc["Feb 2025", "active"], m.loc["Mar 2025", "lost"], m.loc["Mar 2025", "active"]) == (3, 1, 2)
    jun = m.loc["Jun 2025"]
    # Acme's last purchase (the subsidiary's, 1 Jun 2024) lapses the same day Beta returns.
    assert (jun.returning, jun.lost, jun.active, jun.new) == (1, 1, 2, 0)
    assert (m.loc["Aug 2025", "lost"], m.loc["Dec 2025", "active"]) == (1, 1)
    assert m["new"].sum() == 3


def test_active_customers_add_up_from_the_flows(engine):
    """Active at a month's end = the month before + new + returning − lost, every month."""
    m = _months(engine)
    flow = m["new"] + m["returning"] - m["lost"]
    assert (m["active"].diff().iloc[1:] == flow.iloc[1:]).all()


def test_a_period_with_no_customers_is_zeros(engine, empty_engine):
    """Nov 2023 has no purchase: zero revenue and customers, and no share from existing."""
    nov = _months(engine).loc["Nov 2023"]
    assert (nov.won_cents, nov.active, nov.new, nov.returning, nov.lost) == (0, 0, 0, 0, 0)
    assert pd.isna(nov.existing_share)


def test_per_team_figures_count_the_deals_booked_there(engine):
    """Gamma bought from T2 only; T1's figures leave it out."""
    m = _months(engine, by="team")
    assert m.loc[("T2", "Feb 2024"), "new"] == 1 and m.loc[("T1", "Feb 2024"), "new"] == 0
    assert m.loc[("T1", "Aug 2024"), "active"] == 2 and m.loc[("T2", "Aug 2024"), "active"] == 1


def test_revenue_retention_by_yearly_cohort(engine):
    """Cohort 2024: 2024 = 1800 + 2000 + 500; 2025 (year 2) = Beta's 2500, of which 2000 is kept."""
    won = customers.load_won(engine, Scope(start=date(2024, 1, 1), end=AS_OF))
    ret = customers.revenue_retention(won, AS_OF).set_index(["cohort", "year"])
    y2 = ret.loc[(2024, 2)]
    assert (y2.customers, y2.base_cents, y2.revenue_cents, y2.kept_cents) == (3, 4300, 2500, 2000)
    assert y2.nrr == pytest.approx(2500 / 4300) and y2.grr == pytest.approx(2000 / 4300)
    assert y2.complete  # 2025 is over on 31 Dec 2025
    assert (
        not customers.revenue_retention(won, date(2025, 12, 30)).set_index(["cohort", "year"]).loc[(2024, 2)].complete
    )
    assert (2024, 3) not in ret.index  # 2026 has not begun


def test_cohort_grid_shares_active_per_first_won_quarter(engine):
    """2024-Q1 cohort: Acme, Beta, Gamma; in 2025-Q1 Beta (bought 1 Mar 2024) is no longer active."""
    won = customers.load_won(engine, Scope(start=date(2024, 1, 1), end=AS_OF))
    grid = customers.cohort_grid(won, AS_OF).set_index(["cohort", "quarter"])
    assert grid.loc[("2024-Q1", "2024-Q1"), "customers"] == 3
    assert grid.loc[("2024-Q1", "2025-Q1"), "active"] == 2  # Acme (Jun 2024) and Gamma (Aug 2024)
    # 30 Jun 2025: Beta is back (1 Jun 2025), Gamma still active (1 Aug 2024), Acme lapsed on 1 Jun.
    assert grid.loc[("2024-Q1", "2025-Q2"), "share"] == pytest.approx(2 / 3)


def test_concentration_is_the_top_customers_share_of_all_won_revenue(engine):
    """2024: 4350 won, of which Acme 1800, Beta 2000, Gamma 500 (50 had no account)."""
    won = customers.load_won(engine, Scope(start=date(2024, 1, 1), end=AS_OF))
    c = customers.concentration(won, date(2024, 1, 1), date(2024, 12, 31))
    assert (c.total_cents, c.top_cents, c.customers) == (4350, 4300, 3)
    assert c.top_share == pytest.approx(4300 / 4350)
    assert customers.concentration(won, date(2024, 1, 1), date(2024, 12, 31), n=1).top_share == pytest.approx(
        2000 / 4350
    )
    assert customers.concentration(won, date(2023, 1, 1), date(2023, 12, 31)).top_share is None


def test_accounts_at_risk_name_their_reasons(engine):
    """Beta: stale renewal; Acme and Gamma: spend fell to nothing and overdue; largest stake first."""
    scope = Scope(start=date(2024, 1, 1), end=AS_OF)
    won = customers.load_won(engine, scope)
    risk = customers.accounts_at_risk(won, customers.open_renewals(engine, scope), AS_OF)
    assert list(risk["customer_id"]) == ["B", "A", "name:gamma corp"]
    assert risk.loc[0, "reasons"] == "stale renewal" and risk.loc[0, "stale_renewal_cents"] == 2600
    acme = risk.loc[1]
    assert (acme.last_12m_cents, acme.prior_12m_cents, acme.usual_cycle_days, acme.days_since) == (0, 1800, 71.5, 578)
    assert acme.reasons == "spend fell 100%; overdue (578 days)"


def test_the_page_lists_the_accounts_most_at_stake_and_counts_them_all(engine):
    """Stakes by hand: Beta 2,500 + 2,600 stale = 5,100; Acme 1,800; Cede 1,800 (a tie, cut by id:
    A before C); Gamma 500. The top n are the full list's first n; the count is always 4."""
    from salesops.customers import fast_risk

    insert(engine, schema.accounts, [_account("C", "Cede")])
    insert(engine, schema.deals, [_deal(11, "T1", "won", 1800, date(2024, 3, 1), account="Cede", account_id="C")])
    scope = Scope(start=date(2024, 1, 1), end=AS_OF)
    every = fast_risk.accounts_at_risk_sql(engine, scope, AS_OF)
    assert list(every["customer_id"]) == ["B", "A", "C", "name:gamma corp"]
    for n, ids in [(1, ["B"]), (2, ["B", "A"]), (3, ["B", "A", "C"]), (9, list(every["customer_id"]))]:
        top, total = fast_risk.accounts_at_risk_top_sql(engine, scope, AS_OF, n)
        assert (list(top["customer_id"]), total) == (ids, 4)
        pd.testing.assert_frame_equal(top, every.head(n), check_dtype=False)
    view = customers.customer_view(engine, scope, AS_OF)
    assert view.risk_total == 4 and len(view.risk) == 4  # under RISK_SHOWN: all of them


def test_no_account_at_risk_counts_zero(engine):
    """Before any purchase nobody is at risk: no rows, a count of 0."""
    from salesops.customers import fast_risk

    top, total = fast_risk.accounts_at_risk_top_sql(
        engine, Scope(start=date(2023, 1, 1), end=date(2023, 6, 30)), date(2023, 6, 30), 5
    )
    assert top.empty and list(top.columns) == customers.RISK_COLUMNS and total == 0


@pytest.mark.parametrize("by", ["company", "team", "region"])
@pytest.mark.parametrize("grain", ["month", "quarter", "year"])
def test_the_database_figures_equal_the_pandas_reference(engine, by, grain):
    """customer_periods (SQL) equals the pandas reference over load_won, for every grain and split."""
    scope = Scope(start=date(2023, 11, 1), end=AS_OF, grain=grain)
    fast = customers.customer_periods(engine, scope, by)
    ref = customers.retention.customer_periods_reference(engine, scope, by)
    pd.testing.assert_frame_equal(fast, ref, check_dtype=False)


def test_the_page_view_equals_the_pandas_reference(engine):
    """Retention, the cohort grid, concentration, risk and the drill-down agree with the references."""
    from salesops.customers import fast, fast_cohorts, fast_risk

    scope = Scope(start=date(2024, 1, 1), end=AS_OF, grain="quarter")
    won = customers.load_won(engine, scope)
    check = pd.testing.assert_frame_equal
    check(
        fast_cohorts.revenue_retention_sql(engine, scope, AS_OF),
        customers.revenue_retention(won, AS_OF),
        check_dtype=False,
    )
    check(fast_cohorts.cohort_grid_sql(engine, scope, AS_OF), customers.cohort_grid(won, AS_OF), check_dtype=False)
    risk = customers.accounts_at_risk(won, customers.open_renewals(engine, scope), AS_OF)
    check(fast_risk.accounts_at_risk_sql(engine, scope, AS_OF), risk, check_dtype=False)
    conc, no_account = fast_risk.concentration_sql(engine, scope, AS_OF)
    ref = customers.concentration(won, scope.start, AS_OF)
    assert (conc.top_share, conc.total_cents, conc.customers, no_account) == (ref.top_share, ref.total_cents, 3, 50)
    for figure in customers.FIGURES:
        got = fast.accounts_behind_sql(engine, scope, date(2025, 4, 1), date(2025, 6, 30), AS_OF, figure)
        check(
            got, customers.accounts_behind(won, date(2025, 4, 1), date(2025, 6, 30), AS_OF, figure), check_dtype=False
        )


def test_the_drill_down_lists_the_accounts_that_won_most_and_counts_them_all(engine):
    """Each figure of 2024-2025: its first n accounts are the full list's first n (most won in the
    period first), and its count is the full list's length, for n = 1 and n past the end."""
    from salesops.customers import fast

    scope = Scope(start=date(2024, 1, 1), end=AS_OF)
    for figure in customers.FIGURES:
        every = fast.accounts_behind_sql(engine, scope, date(2024, 1, 1), AS_OF, AS_OF, figure)
        assert len(every) > 0, figure
        for n in (1, len(every) + 3):
            top, total = fast.accounts_behind_top_sql(engine, scope, date(2024, 1, 1), AS_OF, AS_OF, figure, n)
            assert total == len(every), figure
            pd.testing.assert_frame_equal(top, every.head(n), check_dtype=False)


def test_the_drill_down_names_who_was_lost_and_who_came_back(engine):
    """Jun 2025: Beta is the returning customer, Acme the lost one (its last purchase, via the subsidiary)."""
    won = customers.load_won(engine, Scope(start=date(2024, 1, 1), end=AS_OF))
    back = customers.accounts_behind(won, date(2025, 6, 1), date(2025, 6, 30), AS_OF, "returning")
    lost = customers.accounts_behind(won, date(2025, 6, 1), date(2025, 6, 30), AS_OF, "lost")
    assert list(back["customer"]) == ["Beta"] and back.loc[0, "won_cents"] == 2500
    assert list(lost["customer"]) == ["Acme"] and lost.loc[0, "last_purchase"] == date(2024, 6, 1)


def test_the_cli_prints_what_the_library_computes(engine, tmp_path, capsys):
    """`customers --format json` gives the customer_periods rows."""
    url = str(engine.url)
    code = main(["customers", "--db", url, "--grain", "quarter", "--from", "2024-01-01", "--to", "2025-12-31",
                 "--by", "team", "--format", "json"])  # fmt: skip
    assert code == 0
    rows = json.loads(capsys.readouterr().out)
    lib = customers.customer_periods(engine, Scope(start=date(2024, 1, 1), end=AS_OF, grain="quarter"), "team")
    assert [r["new"] for r in rows] == lib["new"].tolist()
    assert [r["won_cents"] for r in rows] == lib["won_cents"].tolist()


def test_an_unknown_grouping_is_refused(engine):
    """--by must be company, region or team."""
    with pytest.raises(customers.queries.InvalidFilter, match="Unknown grouping"):
        customers.customer_periods(engine, Scope(start=date(2024, 1, 1), end=AS_OF), "rep")


def test_an_older_store_gains_the_account_column(tmp_path):
    """A schema-1 database (no accounts, no deals.account_id) is refused until `migrate` adds them."""
    from salesops.errors import StoreNeedsMigration

    url = f"duckdb:///{tmp_path / 'old.duckdb'}"
    engine = store.open_store(url)
    with engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE deals DROP COLUMN account_id"))
        conn.execute(sa.text("DROP TABLE accounts"))
        conn.execute(sa.text("DROP TABLE alembic_version"))
        conn.execute(sa.text("ALTER TABLE deals RENAME COLUMN probability_bp TO probability"))  # before 0008
        conn.execute(sa.text("ALTER TABLE deals ALTER COLUMN probability SET DATA TYPE DOUBLE"))
        conn.execute(sa.update(schema.meta).values(value="1"))
    engine.dispose()
    with pytest.raises(StoreNeedsMigration):
        store.open_store(url)
    store.migrate_store(url)
    engine = store.open_store(url)
    with engine.connect() as conn:
        cols = [
            r[0]
            for r in conn.execute(
                sa.text("SELECT column_name FROM information_schema.columns WHERE table_name = 'deals'")
            )
        ]
        version = conn.execute(sa.select(schema.meta.c.value)).scalar_one()
    assert "account_id" in cols and version == str(schema.SCHEMA_VERSION)
    assert store.table_counts(engine)["accounts"] == 0
    engine.dispose()


def test_team_performance_splits_each_teams_revenue_like_the_customers_page(engine):
    """2024: T1 won 3850 (new 1000 + 50 + 2000, existing 500 + 300), T2 won 500 (new 400, existing 100)."""
    from salesops import performance

    frame = performance.business_by_team(engine, Scope(start=date(2024, 1, 1), end=date(2024, 12, 31)))
    got = frame.set_index("team_id")
    assert got.loc["T1", ["won_cents", "new_cents", "existing_cents"]].tolist() == [3850, 3050, 800]
    assert got.loc["T2", ["won_cents", "new_cents", "existing_cents"]].tolist() == [500, 400, 100]
    year = customers.customer_periods(
        engine, Scope(start=date(2024, 1, 1), end=date(2024, 12, 31), grain="year"), "team"
    )
    assert year.set_index("group").loc["T1", "existing_cents"] == got.loc["T1", "existing_cents"]


@pytest.mark.parametrize("as_of", [date(2026, 11, 24), date(2025, 8, 14)])
def test_the_stored_purchase_days_give_the_figures_of_the_deals(demo_engine, monkeypatch, as_of):
    """On the demo, every company-wide figure read from customer_days equals the same figure computed
    from the deals (today, and mid-history where later purchases must not count), the drill-down's
    accounts behind each customer count too."""
    from salesops.customers import fast, view

    scope = Scope(start=date(as_of.year, 1, 1), end=as_of, grain="quarter")
    stored = view.customer_view(demo_engine, scope, as_of)
    stored_months = customers.customer_periods(demo_engine, customers.trend_scope(scope), "company", as_of)
    assert stored.periods["won_cents"].sum() > 0 and len(stored.risk) > 0
    monkeypatch.setattr(fast, "_stored", lambda scope, by: False)
    live = view.customer_view(demo_engine, scope, as_of)
    check = pd.testing.assert_frame_equal
    check(customers.customer_periods(demo_engine, customers.trend_scope(scope), "company", as_of), stored_months)
    for name in ("periods", "in_range", "retention", "grid", "risk"):
        check(getattr(stored, name), getattr(live, name), check_dtype=False, obj=name)
    check(stored.concentration.top, live.concentration.top, check_dtype=False)
    assert stored.concentration.top_share == live.concentration.top_share
    assert stored.no_account_cents == live.no_account_cents
    start, end = stored.trend.periods()[-2]
    for figure in ("active", "new", "returning", "lost"):  # the counts the drill-down reads stored
        monkeypatch.undo()
        read = customers.period_accounts(demo_engine, stored.trend, start, end, as_of, figure)
        monkeypatch.setattr(fast, "_stored", lambda scope, by: False)
        check(read, customers.period_accounts(demo_engine, stored.trend, start, end, as_of, figure), obj=figure)


def test_prospects_are_top_level_accounts_with_no_won_deal(engine):
    """Acme (with Acme Labs), Beta: customers. Added: Delta with subsidiary Delta West (no deals), Echo
    (only a lost deal): 2 prospects at the end of 2025 (Delta West counts with Delta). On 1 Feb 2024
    Beta (first won 1 Mar 2024) is a prospect too: 3; before any deal, all 4 top-level accounts."""
    from salesops.customers.fast import prospects_sql

    insert(engine, schema.accounts, [_account("D", "Delta"), _account("DW", "Delta West", "D"), _account("E", "Echo")])
    insert(engine, schema.deals, [_deal(20, "T1", "lost", 900, date(2025, 3, 1), account="Echo", account_id="E")])
    assert prospects_sql(engine, AS_OF) == 2
    assert prospects_sql(engine, date(2024, 2, 1)) == 3
    assert prospects_sql(engine, date(2023, 12, 31)) == 4
    assert (
        customers.customer_view(engine, Scope(start=date(2025, 1, 1), end=AS_OF, grain="quarter"), AS_OF).prospects == 2
    )


def test_the_drill_down_deals_are_cut_at_the_limit_and_counted_in_full(engine):
    """Acme has four deals (its own and its subsidiary's): a limit of 2 lists the two newest and counts 4."""
    scope = Scope(start=date(2020, 1, 1), end=AS_OF)
    listed = customers.customer_deals_listed(engine, ["A"], scope, limit=2)
    assert listed.total == 4
    assert list(pd.to_datetime(listed.rows["close_date"]).dt.date) == [date(2024, 6, 1), date(2024, 2, 1)]
    whole = customers.customer_deals(engine, ["A"], scope)
    assert len(whole) == 4 and list(whole.columns) == list(listed.rows.columns)
    assert customers.customer_deals_listed(engine, [], scope).total == 0


def test_the_drill_down_deals_read_by_key_equal_the_joined_ones(engine, monkeypatch):
    """A few deals are read by the deals' primary key, more through the join: the same rows and
    counts, with and without a limit, for one customer, several, one asked twice and an unknown one."""
    from salesops.customers import queries

    scope = Scope(start=date(2020, 1, 1), end=AS_OF)
    asks = [["A"], ["A", "B"], ["B", "A", "S"], ["A", "A"], ["Z"], ["A", "Z"]]
    by_key = [customers.customer_deals_listed(engine, ids, scope, limit) for ids in asks for limit in (2, None)]
    monkeypatch.setattr(queries, "LOOKUP_MAX", 0)
    joined = [customers.customer_deals_listed(engine, ids, scope, limit) for ids in asks for limit in (2, None)]
    for got, ref in zip(by_key, joined, strict=True):
        assert got.total == ref.total
        pd.testing.assert_frame_equal(got.rows, ref.rows)
    assert [d.total for d in by_key] == [4, 4, 7, 7, 7, 7, 4, 4, 0, 0, 4, 4]


def test_retention_measured_before_the_last_purchase_day_equals_the_pandas_reference(engine):
    """Measured on each day from before the first purchase to after the last (stored purchase days
    after it: the stored year taken back to that day for the customers who bought after it, e.g.
    Beta alone in its cohort's second year, Acme before and after the day in it, capped at its first
    year's 1,800 only by the end of it), retention equals the reference."""
    from datetime import timedelta

    from salesops.customers import fast_cohorts

    acme = [_deal(n, "T1", "won", cents, close, account="Acme", account_id="A")
            for n, cents, close in ((21, 1200, date(2025, 2, 1)), (22, 900, date(2025, 5, 1)))]  # fmt: skip
    insert(engine, schema.deals, acme)
    assert fast_cohorts.revenue_retention_sql(engine, Scope(start=AS_OF, end=AS_OF), date(2025, 3, 1)).loc[
        0, ["customers", "revenue_cents", "kept_cents"]
    ].tolist() == [3, 1200, 1200]
    day = date(2023, 12, 20)
    while day <= date(2025, 6, 10):
        scope = Scope(start=date(2023, 1, 1), end=day, grain="quarter")
        ref = customers.revenue_retention(customers.load_won(engine, scope), day)
        pd.testing.assert_frame_equal(fast_cohorts.revenue_retention_sql(engine, scope, day), ref, check_dtype=False)
        day += timedelta(days=3)


def test_the_drill_downs_first_active_accounts_read_from_the_buyers_equal_the_computed_ones(demo_engine, monkeypatch):
    """On the demo, the first 5 and 50 active customers of the last two quarters (by revenue in the
    quarter: read from the quarter's buyers when enough of them bought) and their count equal those
    computed from the deals; with more rows asked for than buyers, the same."""
    from salesops.customers import fast

    as_of = date(2026, 11, 24)
    trend = customers.trend_scope(Scope(start=date(2026, 1, 1), end=as_of, grain="quarter"))
    for start, end in trend.periods()[-2:]:
        for n in (5, 50, 100_000):
            monkeypatch.undo()
            read = fast.accounts_behind_top_sql(demo_engine, trend, start, end, as_of, "active", n)
            monkeypatch.setattr(fast, "_stored", lambda scope, by: False)
            live = fast.accounts_behind_top_sql(demo_engine, trend, start, end, as_of, "active", n)
            pd.testing.assert_frame_equal(read[0], live[0], obj=f"{start} top {n}")
            assert read[1] == live[1] > len(read[0]) or n == 100_000

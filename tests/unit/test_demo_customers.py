"""The demo's customers: repeat purchases, yearly renewals, churn by segment, the planted retention team."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
import sqlalchemy as sa

from salesops import customers, store
from salesops.demo.customers import RETENTION_TEAM
from salesops.scope import Scope

YEAR_2025 = Scope(start=date(2025, 1, 1), end=date(2025, 12, 31), grain="year")


@pytest.fixture(scope="module")
def per_team(demo_engine) -> pd.DataFrame:
    """2025's customer figures per team, with each team's segment (the last word of its name)."""
    frame = customers.customer_periods(demo_engine, YEAR_2025, "team")
    teams = store.read_frame(demo_engine, sa.text("SELECT team_id, name FROM teams"))
    seg = {t: n.split()[-1] for t, n in zip(teams["team_id"], teams["name"])}
    start = customers.customer_periods(
        demo_engine, Scope(start=date(2024, 12, 1), end=date(2024, 12, 31), grain="month"), "team"
    ).set_index("group")["active"]
    frame["segment"] = frame["group"].map(seg)
    frame["churn"] = frame["lost"] / frame["group"].map(start)
    return frame.set_index("group")


def test_every_deal_has_a_stored_account_and_some_accounts_have_a_parent(demo_engine):
    """Deals link by id to the accounts table; Enterprise subsidiaries point at their parent."""
    with demo_engine.connect() as conn:
        unlinked = conn.execute(
            sa.text("SELECT COUNT(*) FROM deals d LEFT JOIN accounts a USING (account_id) WHERE a.account_id IS NULL")
        ).scalar_one()
        parents = conn.execute(sa.text("SELECT COUNT(*) FROM accounts WHERE parent_id IS NOT NULL")).scalar_one()
        types = {r[0] for r in conn.execute(sa.text("SELECT DISTINCT deal_type FROM deals"))}
    assert unlinked == 0 and parents > 0
    assert types == {"New Business", "Renewal", "Expansion"}


def test_renewals_come_a_year_after_the_subscription_they_renew(demo_engine):
    """Every won renewal closes 330–365 days after its account's previous subscription purchase."""
    gaps = store.read_frame(
        demo_engine,
        sa.text(
            """SELECT r.close_date - MAX(p.close_date) AS gap
               FROM deals r JOIN deals p ON p.account_id = r.account_id AND p.outcome = 'won'
                    AND p.product IN ('Core Platform', 'Premium Support') AND p.close_date < r.close_date
               WHERE r.deal_type = 'Renewal' AND r.outcome = 'won'
               GROUP BY r.deal_id, r.close_date"""
        ),
    )["gap"]
    days = pd.to_timedelta(gaps).dt.days if not pd.api.types.is_integer_dtype(gaps) else gaps
    assert len(days) > 300
    assert days.between(330, 365).all()


def test_customers_buy_again(demo_engine):
    """More than a third of the customers have more than one won deal."""
    won = customers.load_won(demo_engine, Scope(start=date(2023, 1, 1), end=date(2026, 11, 24)))
    deals_per = won.groupby("customer_id").size()
    assert (deals_per > 1).mean() > 1 / 3


def test_churn_differs_by_segment(per_team):
    """2025's lost ÷ active at the start: SMB teams above Enterprise teams (the planted team aside)."""
    churn = per_team.drop(index=RETENTION_TEAM).groupby("segment")["churn"].mean()
    assert churn["SMB"] > churn["Mid-Market"] > churn["Enterprise"]


def test_the_planted_team_has_a_retention_problem(per_team):
    """Berlin Mid-Market (T08) loses the largest share of its customers and has the lowest share
    of revenue from existing customers of all teams in 2025."""
    assert per_team["churn"].idxmax() == RETENTION_TEAM
    assert per_team["existing_share"].idxmin() == RETENTION_TEAM

"""Metrics against a small hand-built organisation whose every figure is computed by hand below.

The organisation (Q2 2026 = 1 Apr – 30 Jun, 91 days):

* teams T1 (East) and T2 (West);
* reps: A (T1, $10k/month quota), B (T1, hired 15 Mar 2026 with a 3-month ramp, $5k/month),
  C (now T2, $10k/month; moved from T1 — deal 5 still carries T1), D (T2, SDR, no quota);
* deals (amounts in dollars; cents = × 100):

  ==  ===  ====  =======  ======  ==========  ==========  =====
  id  rep  team  outcome  amount  created     close       prob
  ==  ===  ====  =======  ======  ==========  ==========  =====
  1   A    T1    won      20,000  2026-03-02  2026-04-11
  2   A    T1    won      NULL    2026-04-01  2026-05-01
  3   A    T1    lost     5,000   2026-04-05  2026-05-10
  4   B    T1    won      6,000   2026-05-01  2026-06-10
  5   C    T1    won      10,000  2026-03-01  2026-04-20
  6   C    T2    won      30,000  2026-05-01  2026-06-30
  7   C    T2    lost     8,000   2026-04-15  2026-06-01
  8   A    T1    open     40,000  2026-06-01  2026-06-25  0.5
  9   C    T2    open     10,000  2026-06-15  2026-08-15  0.2
  10  D    T2    won      1,000   2026-04-01  2026-04-30
  11  A    T1    won      7,000   2026-06-01  2026-07-05
  12  A    T1    won      10,000  2025-09-01  2025-10-10
  13  A    T1    lost     1,000   2025-09-01  2025-11-01
  14  A    T1    lost     1,000   2025-09-01  2025-12-01
  ==  ===  ====  =======  ======  ==========  ==========  =====
"""

from __future__ import annotations

import dataclasses
from datetime import date
from fractions import Fraction

import pandas as pd
import pytest
import sqlalchemy as sa

from salesops import performance as metrics
from salesops import store
from salesops.errors import InvalidFilter
from salesops.scope import Scope
from salesops.store import derived, schema
from tests.builders import deal, insert, rep

Q2 = Scope(date(2026, 4, 1), date(2026, 6, 30), "quarter")

DEALS = [
    # id, rep, team, outcome, amount_dollars, created, close, probability
    ("1", "A", "T1", "won", 20_000, "2026-03-02", "2026-04-11", 1.0),
    ("2", "A", "T1", "won", None, "2026-04-01", "2026-05-01", 1.0),
    ("3", "A", "T1", "lost", 5_000, "2026-04-05", "2026-05-10", 0.0),
    ("4", "B", "T1", "won", 6_000, "2026-05-01", "2026-06-10", 1.0),
    ("5", "C", "T1", "won", 10_000, "2026-03-01", "2026-04-20", 1.0),
    ("6", "C", "T2", "won", 30_000, "2026-05-01", "2026-06-30", 1.0),
    ("7", "C", "T2", "lost", 8_000, "2026-04-15", "2026-06-01", 0.0),
    ("8", "A", "T1", "open", 40_000, "2026-06-01", "2026-06-25", 0.5),
    ("9", "C", "T2", "open", 10_000, "2026-06-15", "2026-08-15", 0.2),
    ("10", "D", "T2", "won", 1_000, "2026-04-01", "2026-04-30", 1.0),
    ("11", "A", "T1", "won", 7_000, "2026-06-01", "2026-07-05", 1.0),
    ("12", "A", "T1", "won", 10_000, "2025-09-01", "2025-10-10", 1.0),
    ("13", "A", "T1", "lost", 1_000, "2025-09-01", "2025-11-01", 0.0),
    ("14", "A", "T1", "lost", 1_000, "2025-09-01", "2025-12-01", 0.0),
]


def _d(s: str) -> date:
    return date.fromisoformat(s)


def build_org(engine) -> None:
    """Write the hand-built organisation of this module's docstring into ``engine``."""
    teams = pd.DataFrame(
        {"team_id": ["T1", "T2"], "name": ["East One", "West Two"], "region": ["East", "West"], "manager": ["M1", "M2"]}
    )
    reps = pd.DataFrame(
        {
            "rep_id": ["A", "B", "C", "D"],
            "name": ["Ann", "Ben", "Cat", "Dan"],
            "team_id": ["T1", "T1", "T2", "T2"],
            "role": ["AE", "AE", "AE", "SDR"],
            "hire_date": [_d("2020-01-01"), _d("2026-03-15"), _d("2020-01-01"), _d("2020-01-01")],
            "ramp_months": [3, 3, 3, 2],
            "active": [True, True, True, True],
            "fte": [1.0, 1.0, 1.0, 1.0],
        }
    )
    months = [_d("2026-04-01"), _d("2026-05-01"), _d("2026-06-01")]
    quotas = pd.DataFrame(
        [
            (rep, "month", m, cents)
            for rep, cents in (("A", 1_000_000), ("B", 500_000), ("C", 1_000_000))
            for m in months
        ],
        columns=["rep_id", "period_type", "period_start", "amount_cents"],
    )
    deals = pd.DataFrame(
        [
            {
                "deal_id": i,
                "name": f"Deal {i}",
                "rep_id": rep,
                "team_id": team,
                "account": f"Acct {i}",
                "stage": {"won": "Closed Won", "lost": "Closed Lost"}.get(outcome, "Proposal"),
                "outcome": outcome,
                "amount_cents": None if amount is None else amount * 100,
                "probability_bp": None if prob is None else round(prob * 10_000),
                "created_date": _d(created),
                "close_date": _d(close),
            }
            for i, rep, team, outcome, amount, created, close, prob in DEALS
        ]
    )
    deals["amount_cents"] = deals["amount_cents"].astype("Int64")
    activities = pd.DataFrame(
        {
            "activity_id": [f"a{i}" for i in range(7)],
            "rep_id": ["A", "A", "A", "B", "C", "C", "A"],
            "team_id": ["T1", "T1", "T1", "T1", "T1", "T2", "T1"],
            "type": ["call"] * 7,
            "occurred_at": [
                _d(s)
                for s in (
                    "2026-04-02",
                    "2026-05-02",
                    "2026-06-02",
                    "2026-05-05",
                    "2026-04-03",
                    "2026-06-03",
                    "2026-03-03",
                )
            ],
        }
    )

    def fill(conn):
        store.bulk_insert(conn, schema.teams, teams)
        store.bulk_insert(conn, schema.reps, reps)
        store.bulk_insert(conn, schema.quotas, quotas)
        store.bulk_insert(conn, schema.deals, deals)
        store.bulk_insert(conn, schema.activities, activities)
        derived.refresh_derived(conn)  # as every writer of deals and activities does

    store.write(engine, fill, "test org")


@pytest.fixture
def org(empty_engine):
    """The hand-built organisation in a fresh store."""
    build_org(empty_engine)
    return empty_engine


def test_kpis_of_the_company_match_the_hand_computed_values(org):
    """Company KPIs for Q2: NULL amounts count as wins but add no money; open deals stay out of the win rate."""
    k = metrics.kpis(org, Q2)
    # won in Q2: deals 1, 2 (NULL), 4, 5, 6, 10 -> 6 wins; 20k + 6k + 10k + 30k + 1k = $67,000
    assert k.won_count == 6 and k.won_cents == 6_700_000
    assert k.lost_count == 2 and k.win_rate == pytest.approx(6 / 8)  # deals 3 and 7 lost
    assert k.avg_deal_cents == 6_700_000 // 5  # five wins with a known amount
    # cycles: 40, 30, 40, 50, 60, 29 days -> 249 / 6
    assert k.avg_cycle_days == pytest.approx(41.5)
    assert k.quota_cents == 7_500_000  # A 3×$10k + B 3×$5k + C 3×$10k; D has none
    assert k.attainment == pytest.approx(67 / 75)
    assert k.remaining_quota_cents == 800_000
    # open at 30 Jun: deals 8 ($40k), 9 ($10k) and 11 ($7k, closed 5 Jul) -> $57,000
    assert k.open_pipeline_cents == 5_700_000
    assert k.open_due_cents == 4_000_000  # only deal 8 expects to close by 30 Jun
    assert k.coverage == pytest.approx(4_000_000 / 800_000)
    # weighted: 40k×0.5 + 10k×0.2 + 7k × (today's average probability (20k+2k)/50k = 0.44)
    assert k.weighted_pipeline_cents == 2_000_000 + 200_000 + 308_000
    # 6 activities in Q2 over reps A, B, C, D (all active and hired before 30 Jun)
    assert (k.activities, k.reps) == (6, 4) and k.activities_per_rep == pytest.approx(1.5)


def test_the_head_count_takes_each_rep_once_whether_hired_active_or_logging(org):
    """Reps per window = the scope's active reps hired by its end, plus anyone who logged an activity
    in it, each once. Added to the organisation: E (T2, inactive) logs 2 calls in Q2, G (T2, hired
    1 Aug 2026) logs 1 in Q2, F (T1, hired 15 Jul 2026) logs none.

    * Q2 2026: A, B, C, D hired and active (A, B, C also logged) + E + G = 6 reps; 6 + 2 + 1 = 9
      activities. T2: C, D (current team) + E, G (their calls carry T2) = 4; C's T2 call a5, E's 2,
      G's 1 = 4 activities (C's a4 carries T1).
    * Q1 2026 (the previous window): A, B (hired 15 Mar), C, D = 4; A's a6 (3 Mar) = 1 activity; T2:
      C, D = 2 reps, none.
    * Q2 2025 (last year): A, C, D hired by 30 Jun 2025 = 3 reps, no activity; T2: C, D = 2.
    """
    insert(
        org,
        schema.reps,
        [
            rep("E", "T2", active=False),
            rep("F", "T1", hire=date(2026, 7, 15)),
            rep("G", "T2", hire=date(2026, 8, 1)),
        ],
    )
    calls = [("e1", "E", "2026-05-10"), ("e2", "E", "2026-06-11"), ("g1", "G", "2026-06-20")]
    insert(
        org,
        schema.activities,
        [dict(activity_id=i, rep_id=r, team_id="T2", type="call", occurred_at=_d(day)) for i, r, day in calls],
    )
    heads = [(k.reps, k.activities) for k in metrics.compare_kpis(org, Q2)]
    assert heads == [(6, 9), (4, 1), (3, 0)]
    t2 = metrics.compare_kpis(org, Scope(Q2.start, Q2.end, "quarter", team_id="T2"))
    assert [(k.reps, k.activities) for k in t2] == [(4, 4), (2, 0), (2, 0)]
    assert t2[0].activities_per_rep == pytest.approx(1.0)


def test_a_team_counts_deals_by_the_team_at_the_time_and_quota_by_the_current_team(org):
    """T1 keeps the moved rep C's old deal 5 but not C's quota, which follows C to T2."""
    t1 = metrics.kpis(org, Scope(Q2.start, Q2.end, "quarter", team_id="T1"))
    assert t1.won_cents == 2_000_000 + 600_000 + 1_000_000  # deals 1, 2 (NULL), 4, 5
    assert t1.quota_cents == 4_500_000  # A + B
    # T1 activities: A's three, B's one and C's April call made while in T1; reps A, B + C (activity)
    assert (t1.activities, t1.reps) == (5, 3)
    t2 = metrics.kpis(org, Scope(Q2.start, Q2.end, "quarter", team_id="T2"))
    assert t2.won_cents == 3_100_000 and t2.quota_cents == 3_000_000  # deals 6, 10; C's quota


def test_headline_agrees_with_the_kpis(org):
    """The home page's headline and the performance tiles share their definitions."""
    h, k = metrics.headline(org, Q2), metrics.kpis(org, Q2)
    assert (h.won_cents, h.quota_cents, h.won_count, h.lost_count) == (k.won_cents, k.quota_cents, 6, 2)
    assert h.open_pipeline_cents == k.open_pipeline_cents == 5_700_000


def test_compare_headline_is_the_headline_of_each_window(org, demo_engine):
    """The home page's one statement for three windows gives each window's own headline, and agrees with the
    KPI tiles of the previous period and last year (Q1 2026: $30k open at its end, no closed deal)."""
    now, prev, last_year = metrics.compare_headline(org, Q2)
    assert (now, prev, last_year) == tuple(metrics.headline(org, s) for s in (Q2, Q2.previous(), Q2.last_year()))
    k_prev = metrics.compare_kpis(org, Q2)[1]
    assert (prev.won_cents, prev.open_pipeline_cents) == (k_prev.won_cents, k_prev.open_pipeline_cents)
    for grain in ("week", "month", "quarter", "year"):
        scope = Scope.current(date(2026, 11, 24), grain, team_id="T05")
        expected = tuple(metrics.headline(demo_engine, s) for s in (scope, scope.previous(), scope.last_year()))
        assert metrics.compare_headline(demo_engine, scope) == expected


def test_compare_kpis_gives_the_previous_period_and_last_year(org):
    """Q1 2026 has no closed deal but $30k open at its end (deals 1 and 5); Q2 2025 is empty."""
    now, prev, last_year = metrics.compare_kpis(org, Q2)
    assert now == metrics.kpis(org, Q2)
    assert (prev.won_count, prev.won_cents, prev.win_rate, prev.avg_deal_cents) == (0, 0, None, None)
    assert prev.open_pipeline_cents == 3_000_000
    assert prev.weighted_pipeline_cents == 1_320_000  # both closed since: 0.44 × $30k
    assert prev.quota_cents == 0 and prev.attainment is None and prev.coverage is None
    assert last_year.won_cents == 0 and last_year.open_pipeline_cents == 0


def test_open_pipeline_at_a_past_end_counts_the_deals_closed_since_and_never_one_closed_before_created(org):
    """By hand, 1-15 Mar 2026 (its quota window March): open at its end were deals 1 ($20k) and 5 ($10k),
    both closed in April, and deal 16 ($3k, created 5 Mar, won 25 Mar: due by 31 Mar); deal 17 ($2k,
    lost on 10 Mar but created on 20 Mar, a flaw) was never open and takes nothing away. All three
    have closed since, so they weigh the open deals' average probability today, 0.44: $14,520. At
    25 Mar deal 16 has closed (on that day): $30k open, none of it due in March."""
    insert(
        org,
        schema.deals,
        [
            deal(16, "B", "T1", "won", 300_000, date(2026, 3, 25), created=date(2026, 3, 5)),
            deal(17, "A", "T1", "lost", 200_000, date(2026, 3, 10), created=date(2026, 3, 20)),
        ],
    )
    k = metrics.kpis(org, Scope(date(2026, 3, 1), date(2026, 3, 15), "month"))
    assert (k.open_pipeline_cents, k.open_due_cents, k.weighted_pipeline_cents) == (3_300_000, 300_000, 1_452_000)
    assert metrics.headline(org, Scope(date(2026, 3, 1), date(2026, 3, 15), "month")).open_pipeline_cents == 3_300_000
    for end in (date(2026, 3, 20), date(2026, 3, 24)):  # deal 17's created day counts nothing either
        assert metrics.kpis(org, Scope(date(2026, 3, 1), end, "month")).open_pipeline_cents == 3_300_000
    k = metrics.kpis(org, Scope(date(2026, 3, 1), date(2026, 3, 25), "month"))
    assert (k.open_pipeline_cents, k.open_due_cents) == (3_000_000, 0)
    t2 = metrics.kpis(org, Scope(date(2026, 3, 1), date(2026, 3, 15), "month", team_id="T2"))
    assert t2.open_pipeline_cents == 0  # deals 1, 5 and 16 were T1's


def test_open_deals_summed_per_probability_keep_each_deals_amount_probability_and_missing_values(org):
    """The still-open half is summed per probability and window test, then multiplied (tiles._open_sums):
    by hand, Q2 with two more deals at 0.5 (deal 8's), one without an amount (0.3), one without a
    probability (due 28 Jun) and one created after the quarter. Open at 30 Jun: 8, 9, 20, 21 (no
    money), 22 and 11 (closed since: today's average probability, over every open deal with one)."""
    extra = [
        (20, "A", "T1", 1_234_567, date(2026, 9, 1), date(2026, 5, 1), 5000),
        (21, "A", "T1", None, date(2026, 6, 20), date(2026, 5, 1), 3000),
        (22, "C", "T2", 300_000, date(2026, 6, 28), date(2026, 6, 10), None),
        (23, "C", "T2", 100_100, date(2026, 7, 10), date(2026, 7, 1), 3333),
        (24, "B", "T1", 55_555, date(2026, 8, 1), date(2026, 6, 2), 5000),
    ]
    rows = []
    for n, rep_id, team, cents, close, created, bp in extra:
        row = deal(n, rep_id, team, "open", cents, close, created=created)
        rows.append({**row, "probability_bp": bp})
    insert(org, schema.deals, rows)
    k = metrics.kpis(org, Q2)
    assert k.open_pipeline_cents == 4_000_000 + 1_000_000 + 1_234_567 + 300_000 + 55_555 + 700_000
    assert k.open_due_cents == 4_000_000 + 300_000  # deals 8 and 22 (21 has no amount)
    num = 4_000_000 * 5000 + 1_000_000 * 2000 + (1_234_567 + 55_555) * 5000 + 100_100 * 3333
    den = 4_000_000 + 1_000_000 + 1_234_567 + 55_555 + 100_100  # 21 adds no money, 22 no probability
    still_open = 4_000_000 * 5000 + 1_000_000 * 2000 + (1_234_567 + 55_555) * 5000
    exact = (Fraction(still_open) + Fraction(700_000 * num, den)) / 10_000
    assert k.weighted_pipeline_cents == int(exact + Fraction(1, 2))  # half up
    assert metrics.compare_kpis(org, Q2)[0] == k
    t2 = metrics.kpis(org, dataclasses.replace(Q2, team_id="T2"))  # 9 and 22: 0.2 and none
    assert (t2.open_pipeline_cents, t2.open_due_cents, t2.weighted_pipeline_cents) == (1_300_000, 300_000, 200_000)
    early = metrics.kpis(org, Scope(date(2025, 1, 1), date(2025, 1, 31), "month"))  # no deal open yet
    assert (early.open_pipeline_cents, early.open_due_cents, early.weighted_pipeline_cents) == (0, 0, 0)


@pytest.mark.parametrize("end", [date(2024, 12, 31), date(2025, 8, 24), date(2025, 11, 24), date(2026, 2, 14)])
@pytest.mark.parametrize("team", [None, "T05"])
def test_the_open_and_due_pipeline_at_an_end_are_the_deals_open_then(demo_engine, end, team):
    """On the demo, the tiles' open pipeline and its part due by the quota end equal the deals open at
    the end (open_at, summed over the deals themselves) — the closed half read from the rollups'
    closed pipeline — for a month to date, its previous month and the same month last year."""
    sql = """SELECT COALESCE(SUM(amount_cents), 0) AS open_cents,
                    COALESCE(SUM(amount_cents) FILTER (WHERE close_date <= :qe), 0) AS due_cents
             FROM deals WHERE created_date <= :e AND (outcome = 'open' OR close_date > :e)
                  AND (CAST(:team AS VARCHAR) IS NULL OR team_id = :team)"""
    scope = Scope(date(end.year, end.month, 1), end, "month", team_id=team)
    tiles = metrics.compare_kpis(demo_engine, scope)
    heads = metrics.compare_headline(demo_engine, scope)
    for sc, k, h in zip((scope, scope.previous(), scope.last_year()), tiles, heads):
        raw = store.read_frame(demo_engine, sa.text(sql), {"e": sc.end, "qe": sc.quota_end, "team": team}).iloc[0]
        assert (k.open_pipeline_cents, k.open_due_cents) == (int(raw["open_cents"]), int(raw["due_cents"]))
        assert h.open_pipeline_cents == int(raw["open_cents"]) > 0


def test_attainment_by_rep_labels_ramping_reps_and_reps_without_quota(org):
    """Per rep: all of the rep's wins against their quota; B is ramping; D has no quota."""
    reps = metrics.attainment_by_rep(org, Q2).set_index("rep_id")
    assert reps.loc["A", "won_cents"] == 2_000_000 and reps.loc["A", "attainment"] == pytest.approx(2 / 3)
    assert reps.loc["A", "won_count"] == 2 and reps.loc["A", "lost_count"] == 1
    assert reps.loc["B", "attainment"] == pytest.approx(0.4) and bool(reps.loc["B", "ramping"])
    assert not reps.loc["A", "ramping"]
    # C moved: deal 5 (T1) and deal 6 (T2) are both C's -> $40k against $30k
    assert reps.loc["C", "won_cents"] == 4_000_000 and reps.loc["C", "bucket"] == ">120%"
    assert reps.loc["C", "team_id"] == "T2"
    assert pd.isna(reps.loc["D", "attainment"]) and reps.loc["D", "bucket"] == "no quota"
    assert list(reps.index) == ["C", "A", "B", "D"]  # highest attainment first, no quota last


def test_attainment_by_team_and_the_share_of_reps_at_quota(org):
    """T1 $36k of $45k (80 %, nobody at quota); T2 $31k of $30k with C at quota."""
    teams = metrics.attainment_by_team(org, Q2).set_index("team_id")
    assert teams.loc["T1", "won_cents"] == 3_600_000 and teams.loc["T1", "attainment"] == pytest.approx(0.8)
    assert (teams.loc["T1", "reps_with_quota"], teams.loc["T1", "reps_at_quota"]) == (2, 0)
    assert teams.loc["T2", "attainment"] == pytest.approx(31 / 30)
    assert teams.loc["T2", "share_at_quota"] == pytest.approx(1.0)
    assert teams["won_cents"].sum() == metrics.kpis(org, Q2).won_cents  # teams add up to the company
    only_west = metrics.attainment_by_team(org, Scope(Q2.start, Q2.end, "quarter", region="West"))
    assert list(only_west["team_id"]) == ["T2"]


def test_a_window_cut_before_its_months_end_leaves_out_the_days_after_it(org):
    """1–29 Apr is read as April from the month rollups less 30 Apr: D's only deal (won 30 Apr, $1k)
    is out of every figure, and D (no quota) is not listed."""
    april = Scope(date(2026, 4, 1), date(2026, 4, 29), "month")
    k = metrics.kpis(org, april)
    assert (k.won_count, k.won_cents, k.lost_count) == (2, 3_000_000, 0)  # deals 1 and 5
    assert (k.activities, k.reps) == (2, 4)  # a0 (A, 2 Apr) and a4 (C, 3 Apr); all four reps hired
    assert "D" not in set(metrics.attainment_by_rep(org, april)["rep_id"])
    teams = metrics.attainment_by_team(org, april).set_index("team_id")
    assert teams.loc["T1", "won_cents"] == 3_000_000 and teams.loc["T2", "won_count"] == 0
    assert metrics.pacing(org, april, date(2026, 4, 29)).won_cents == 3_000_000


def test_the_attainment_distribution_counts_reps_with_quota_only(org):
    """A (67 %), B (40 %) and C (133 %) fall in three buckets; one of three at quota is below 60–70 %."""
    dist = metrics.attainment_distribution(metrics.attainment_by_rep(org, Q2))
    assert dict(zip(dist.buckets["bucket"], dist.buckets["reps"])) == {
        "<50%": 1,
        "50–80%": 1,
        "80–100%": 0,
        "100–120%": 0,
        ">120%": 1,
    }
    assert (dist.reps_with_quota, dist.at_or_above) == (3, 1)
    assert dist.share_at_or_above == pytest.approx(1 / 3) and dist.verdict == "below"


def test_attainment_by_rep_labels_the_bucket_edges_and_orders_ties_by_code_point(empty_engine):
    """attainment_by_rep's buckets and order, by hand, where a change to how they are computed (in
    pandas or in the store) could slip: quotas of $1,000 a month (Q2: $3,000) and wins set on the
    buckets' edges, ties on attainment and won, and ids whose code-point order ("B" < "a") is not a
    dictionary's. Z 120 %, y 100 %, g 80 %, then c, B, a at 50 % (c won $3,000, B and a $1,500:
    "B" before "a"), h 0 % (one loss), then the reps without quota by won: f, then d and e.
    """
    insert(empty_engine, schema.teams, [dict(team_id="T1", name="One", region="East", manager="M")])
    ids = ["Z", "y", "g", "c", "B", "a", "h", "f", "d", "e"]
    insert(empty_engine, schema.reps, [rep(r, "T1") for r in ids])
    quota = {"Z": 100_000, "y": 100_000, "g": 100_000, "c": 200_000, "B": 100_000, "a": 100_000, "h": 100_000}
    months = [date(2026, 4, 1), date(2026, 5, 1), date(2026, 6, 1)]
    insert(
        empty_engine,
        schema.quotas,
        [dict(rep_id=r, period_type="month", period_start=m, amount_cents=c) for r, c in quota.items() for m in months],
    )
    won = {"Z": 360_000, "y": 300_000, "g": 240_000, "c": 300_000, "B": 150_000, "a": 150_000}
    won |= {"f": 90_000, "d": 50_000, "e": 50_000}
    rows = [deal(i, r, "T1", "won", c, date(2026, 5, 1 + i)) for i, (r, c) in enumerate(won.items())]
    insert(empty_engine, schema.deals, [*rows, deal(20, "h", "T1", "lost", 10_000, date(2026, 5, 20))])
    frame = metrics.attainment_by_rep(empty_engine, Q2)
    assert frame["rep_id"].tolist() == ["Z", "y", "g", "c", "B", "a", "h", "f", "d", "e"]
    assert frame["bucket"].tolist() == [">120%", "100–120%", "80–100%"] + ["50–80%"] * 3 + ["<50%"] + ["no quota"] * 3
    assert frame["attainment"].tolist()[:7] == [1.2, 1.0, 0.8, 0.5, 0.5, 0.5, 0.0]
    assert frame["bucket"].tolist() == metrics.buckets(frame["attainment"]).tolist()
    assert metrics.rep_order(frame).tolist() == list(range(len(ids)))
    assert str(frame["bucket"].dtype) == "str"


def test_the_rep_order_is_attainment_then_won_then_rep_id_with_no_quota_last():
    """Hand-built ties: b, c and e at 50 % (c won most; b and e tie on won too, so b before e), a at 120 %
    first, z without quota last."""
    frame = pd.DataFrame(
        {
            "rep_id": pd.Series(["b", "z", "c", "a", "e"], dtype="str"),
            "won_cents": [10, 0, 20, 5, 10],
            "attainment": [0.5, float("nan"), 0.5, 1.2, 0.5],
        }
    )
    assert list(frame["rep_id"].iloc[metrics.rep_order(frame)]) == ["a", "c", "b", "e", "z"]


def test_the_rep_order_is_the_order_of_sorting_by_the_three_columns():
    """On many ties, NaN attainments and shuffled ids, rep_order gives sort_values' order exactly."""
    import numpy as np

    rng = np.random.default_rng(7)
    n = 400
    attainment = rng.choice([0.0, 0.25, 0.5, 1.0, 1.5, float("nan")], n)
    frame = pd.DataFrame(
        {
            "rep_id": pd.Series([f"R{i:03d}" for i in rng.permutation(n)], dtype="str"),
            "won_cents": rng.choice([0, 100, 250, 1_000], n).astype("int64"),
            "attainment": attainment,
        }
    )
    expected = frame.sort_values(
        ["attainment", "won_cents", "rep_id"], ascending=[False, False, True], na_position="last"
    ).index.to_numpy()
    assert metrics.rep_order(frame).tolist() == expected.tolist()


@pytest.mark.parametrize(
    ("attainment", "bucket"),
    [
        (None, "no quota"),
        (0.0, "<50%"),
        (0.4999, "<50%"),
        (0.5, "50–80%"),
        (0.8, "80–100%"),
        (1.0, "100–120%"),
        (1.2, ">120%"),
        (3.0, ">120%"),
    ],
)
def test_bucket_bounds_include_their_lower_edge(attainment, bucket):
    """Each bucket includes its lower bound: exactly 100 % is at quota."""
    assert metrics.buckets(pd.Series([attainment], dtype=object)).tolist() == [bucket]


def test_pacing_mid_quarter_is_behind_and_says_how_much_pipeline_is_needed(org):
    """On 15 May, 45 of 91 days have passed but only 41 % of quota is won: behind."""
    scope = Scope(date(2026, 4, 1), date(2026, 5, 15), "quarter")
    p = metrics.pacing(org, scope, date(2026, 5, 15))
    assert p.elapsed_share == pytest.approx(45 / 91)
    assert p.won_cents == 3_100_000  # deals 1, 2 (NULL), 5, 10
    assert p.attainment == pytest.approx(31 / 75) and p.on_track is False
    assert p.projected_cents == round(3_100_000 * 91 / 45)
    assert p.remaining_quota_cents == 4_400_000
    assert p.historical_win_rate == pytest.approx(1 / 3)  # deals 12 won, 13 and 14 lost in the year before
    assert p.pipeline_needed_cents == 13_200_000
    # open on 15 May and expected by 30 Jun: deals 4 ($6k), 6 ($30k), 7 ($8k)
    assert p.open_due_cents == 4_400_000 and p.pipeline_gap_cents == 8_800_000


def test_pacing_from_the_tiles_equals_pacing_on_its_own(org):
    """The page hands pacing the range's tiles (compare_kpis' first): the same won revenue, quota and
    due pipeline as pacing reads itself, so the same result, for a range to date, a whole past period
    and a cut month; a tile with other figures would show (so the figures are the tiles', not re-read)."""
    today = date(2026, 5, 15)
    for scope in (
        Scope(date(2026, 4, 1), date(2026, 5, 15), "quarter"),
        Scope(date(2026, 1, 1), date(2026, 3, 31), "quarter"),
        Scope(date(2026, 4, 1), date(2026, 4, 29), "month"),
        Scope(date(2026, 4, 1), date(2026, 5, 15), "quarter", region="West"),
    ):
        now = metrics.compare_kpis(org, scope)[0]
        assert metrics.pacing(org, scope, today, now) == metrics.pacing(org, scope, today)
    scope = Scope(date(2026, 4, 1), date(2026, 5, 15), "quarter")
    other = dataclasses.replace(metrics.kpis(org, scope), won_cents=0, quota_cents=7_500_000, open_due_cents=0)
    p = metrics.pacing(org, scope, today, other)
    assert (p.won_cents, p.remaining_quota_cents, p.open_due_cents) == (0, 7_500_000, 0)
    assert p.historical_win_rate == pytest.approx(1 / 3) and p.pipeline_needed_cents == 22_500_000


def test_rep_deals_lists_the_deals_behind_the_number(org):
    """A's drill-down: wins 1 and 2, loss 3, and deals 8 and 11 open at the end of Q2."""
    deals = metrics.rep_deals(org, Q2, "A")
    assert list(deals["deal_id"]) == ["1", "2", "3", "8", "11"]
    assert pd.isna(deals.set_index("deal_id").loc["2", "amount_cents"])
    assert deals.set_index("deal_id").loc["1", "cycle_days"] == 40
    assert metrics.rep_deals(org, Q2, "nobody").empty


def test_metrics_by_period_lists_a_period_with_no_deals_with_zeros(org):
    """By company and quarter over Jan–Sep 2026: Q1 has nothing, Q2 the figures above, Q3 deal 11."""
    frame = metrics.metrics_by_period(org, Scope(date(2026, 1, 1), date(2026, 9, 30), "quarter"), "company")
    assert list(frame["period"]) == ["2026-Q1", "2026-Q2", "2026-Q3"]
    q1, q2, q3 = (r for _, r in frame.iterrows())
    assert (q1.won_count, q1.lost_count, q1.won_cents, q1.quota_cents) == (0, 0, 0, 0)
    assert pd.isna(q1.attainment) and pd.isna(q1.win_rate)
    assert (q2.won_count, q2.lost_count, q2.won_cents, q2.quota_cents) == (6, 2, 6_700_000, 7_500_000)
    assert q2.avg_deal_cents == 1_340_000 and q2.avg_cycle_days == pytest.approx(41.5)
    assert q3.won_cents == 700_000 and pd.isna(q3.attainment)  # no Q3 quota stored


def test_metrics_by_period_by_team_and_rep_and_region(org):
    """Grouped Q2 rows agree with the per-team and per-rep tables."""
    by_team = metrics.metrics_by_period(org, Q2, "team").set_index("group")
    assert by_team.loc["T1", "won_cents"] == 3_600_000 and by_team.loc["T1", "quota_cents"] == 4_500_000
    assert by_team.loc["T2", "name"] == "West Two"
    by_rep = metrics.metrics_by_period(org, Q2, "rep").set_index("group")
    assert by_rep.loc["D", "won_cents"] == 100_000 and pd.isna(by_rep.loc["D", "attainment"])
    # the rep grouping follows deals.rep_id; C's wins in both teams add up
    assert by_rep.loc["C", "won_cents"] == 4_000_000
    by_region = metrics.metrics_by_period(org, Q2, "region").set_index("group")
    assert by_region.loc["East", "won_cents"] == 3_600_000


def test_metrics_by_period_by_month_splits_quota_and_wins(org):
    """By month, April has deals 1, 5, 10 ($31k) against $25k of quota."""
    frame = metrics.metrics_by_period(org, Q2.__class__(Q2.start, Q2.end, "month"), "company")
    april = frame.set_index("period").loc["Apr 2026"]
    assert april.won_cents == 3_100_000 and april.quota_cents == 2_500_000


def test_headline_trend_is_one_row_per_period(org):
    """The home trend lists the last periods oldest first, with zero rows for empty ones."""
    trend = metrics.headline_trend(org, Q2, 3)
    assert list(trend["period"]) == ["2025-Q4", "2026-Q1", "2026-Q2"]
    assert list(trend["won_cents"]) == [1_000_000, 0, 6_700_000]


def test_an_unknown_grouping_is_refused_with_a_hint(org):
    """--by accepts only rep, team, region, company."""
    with pytest.raises(InvalidFilter, match="Unknown grouping 'planet'"):
        metrics.metrics_by_period(org, Q2, "planet")


def test_an_empty_store_gives_zeros_and_empty_tables(empty_engine):
    """No data: zero KPIs, None rates, empty frames with their columns."""
    k = metrics.kpis(empty_engine, Q2)
    assert k.won_cents == 0 and k.win_rate is None and k.activities_per_rep is None
    assert list(metrics.attainment_by_rep(empty_engine, Q2).columns) == metrics.REP_COLUMNS
    assert metrics.attainment_by_team(empty_engine, Q2).empty
    assert metrics.attainment_distribution(metrics.attainment_by_rep(empty_engine, Q2)).verdict == "n/a"
    assert metrics.pacing(empty_engine, Q2, date(2026, 5, 1)).on_track is None


def test_every_definition_is_in_the_metrics_doc():
    """docs/METRICS.md carries each tile's help text word for word."""
    from tests.conftest import ROOT

    doc = (ROOT / "docs" / "METRICS.md").read_text()
    for name, text in metrics.DEFINITIONS.items():
        assert text in doc, name

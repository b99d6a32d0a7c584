"""Leaderboards: ranking, ties, movement, composite weights, the small-sample rule, cohorts, trends."""

from __future__ import annotations

import threading
from datetime import date

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from salesops import leaderboards as lb
from salesops.errors import InvalidFilter
from salesops.leaderboards.metrics import SUMS
from salesops.scope import Scope
from salesops.store import schema
from tests.builders import deal, insert, monthly_quota, rep

Q2 = Scope(date(2026, 4, 1), date(2026, 6, 30), "quarter")  # previous: 2026-Q1


@pytest.fixture
def small(empty_engine):
    """Four AEs and one SDR in two teams; quota $100/month each (D only from April).

    Q2 (current) won: A 30000, B 30000, C 15000 (+1 lost), D 60000 -> attainment 1.0, 1.0, 0.5, 2.0
    against a quarter quota of 3 x 10000 = 30000. Q1 (previous) won: A 60000 (2.0), C 30000 (1.0),
    B none but one lost (0.0); D absent (no quota, no deals) -> new. (Scope.previous() of Q2 ends on
    30 March, the same day three months earlier, so Q1's deals close before then.)
    """
    insert(
        empty_engine,
        schema.teams,
        [dict(team_id="T1", name="East team", region="East"), dict(team_id="T2", name="West team", region="West")],
    )
    insert(
        empty_engine,
        schema.reps,
        [
            rep("A", "T1"),
            rep("B", "T1"),
            rep("C", "T1"),
            rep("D", "T2", hire=date(2026, 4, 1)),
            rep("S", "T1", "SDR"),
        ],
    )
    insert(
        empty_engine,
        schema.quotas,
        monthly_quota("A", [1, 2, 3, 4, 5, 6])
        + monthly_quota("B", [1, 2, 3, 4, 5, 6])
        + monthly_quota("C", [1, 2, 3, 4, 5, 6])
        + monthly_quota("D", [4, 5, 6]),
    )
    insert(
        empty_engine,
        schema.deals,
        [
            deal(1, "A", "T1", "won", 30_000, date(2026, 5, 10)),
            deal(2, "B", "T1", "won", 30_000, date(2026, 6, 30)),
            deal(3, "C", "T1", "won", 15_000, date(2026, 4, 1)),
            deal(4, "C", "T1", "lost", 9_000, date(2026, 4, 2)),
            deal(5, "D", "T2", "won", 60_000, date(2026, 6, 1)),
            deal(6, "A", "T1", "won", 60_000, date(2026, 2, 1)),
            deal(7, "C", "T1", "won", 30_000, date(2026, 3, 20)),
            deal(8, "B", "T1", "lost", 5_000, date(2026, 1, 15)),
            deal(9, "A", "T1", "open", 70_000, date(2026, 9, 1), created=date(2026, 5, 1)),
        ],
    )
    acts = [
        dict(activity_id=f"A{i}", rep_id="S", team_id="T1", type="call", occurred_at=date(2026, 5, 1)) for i in range(5)
    ]
    insert(empty_engine, schema.activities, acts)
    return empty_engine


def test_ties_share_a_rank_and_the_next_rank_skips():
    """Equal values share the best rank and the next one skips (1, 2, 2, 4); no value stays unranked."""
    ranks = lb.competition_rank(pd.Series([2.0, 1.0, 1.0, 0.5, np.nan]))
    assert ranks.tolist() == [1, 2, 2, 4, pd.NA]


def test_float_noise_does_not_split_a_tie():
    """0.1 + 0.2 and 0.3 are the same value for ranking."""
    assert lb.competition_rank(pd.Series([0.1 + 0.2, 0.3])).tolist() == [1, 1]


@pytest.mark.parametrize(
    ("rank", "prev", "label"),
    [(2, 5, "▲3"), (4, 3, "▼1"), (2, 2, "–"), (1, None, "new"), (None, 3, "")],
)
def test_movement_labels_read_like_a_league_table(rank, prev, label):
    """Up three places is ▲3, down one ▼1, unchanged –, not ranked before 'new'."""
    ranks = pd.Series([rank], dtype="Int64")
    prevs = pd.Series([prev], dtype="Int64")
    assert lb.movements(ranks, prevs).tolist() == [label]


def test_the_board_ranks_attainment_with_ties_and_movement(small):
    """Q2 attainment D 200%, A 100%, B 100%, C 50%: ranks 1, 2, 2, 4; moves against Q1's A, C, B."""
    board = lb.board(small, Q2)
    got = board.set_index("rep_id")
    assert got.loc[["D", "A", "B", "C"], "rank"].tolist() == [1, 2, 2, 4]
    assert got.loc["A", "attainment"] == pytest.approx(30_000 / 30_000)
    assert got.loc["C", "attainment"] == pytest.approx(15_000 / 30_000)
    # Q1 ranks: A 1 (200%), C 2 (100%), B 3 (0%); D was not there.
    assert got.loc[["D", "A", "B", "C"], "movement"].tolist() == ["new", "▼1", "▲1", "▼2"]
    # The SDR has no quota: on the board, unranked, at the bottom.
    assert pd.isna(got.loc["S", "rank"]) and board["rep_id"].iloc[-1] == "S"
    assert got.loc["C", "win_rate"] == pytest.approx(0.5)
    assert got.loc["A", "pipeline_cents"] == 30_000 + 70_000  # deals created in Q2: the won one and the open one


def test_other_metrics_rank_by_their_own_column(small):
    """By won revenue: D 60000 first, A and B tie at 30000, C 15000, the SDR 0 last."""
    board = lb.board(small, Q2, "won_revenue").set_index("rep_id")
    assert board.loc[["D", "A", "B", "C", "S"], "rank"].tolist() == [1, 2, 2, 4, 5]
    by_acts = lb.board(small, Q2, "activities").set_index("rep_id")
    assert by_acts.loc["S", "rank"] == 1 and by_acts.loc["S", "activities"] == 5


def test_the_team_board_uses_the_team_at_the_time_and_the_samemonthly_quota(small):
    """T1: 75000 won of 90000 quota = 83%; T2: 60000 of 30000 = 200%, new this quarter."""
    teams = lb.board(small, Q2, by="team").set_index("team_id")
    assert teams.loc["T1", "attainment"] == pytest.approx(75_000 / 90_000)
    assert teams.loc["T2", "attainment"] == pytest.approx(2.0)
    assert teams.loc[["T2", "T1"], "rank"].tolist() == [1, 2]
    assert teams.loc[["T2", "T1"], "movement"].tolist() == ["new", "▼1"]
    assert teams.loc["T1", "reps"] == 4


def test_a_team_filter_keeps_only_that_teams_reps(small):
    """Scope team T2 leaves only D."""
    board = lb.board(small, Scope(Q2.start, Q2.end, "quarter", team_id="T2"))
    assert board["rep_id"].tolist() == ["D"]


def test_the_trend_ends_with_the_boards_value_for_a_whole_period(small):
    """The sparkline's last point is the same attainment as the board (same quota definition)."""
    board = lb.board(small, Q2).set_index("rep_id")
    assert board.loc["A", "trend"][-2:] == pytest.approx([2.0, 1.0])  # Q1 200%, Q2 100%
    assert board.loc["D", "trend"][-2:] == [None, pytest.approx(2.0)]


def test_composite_weights_use_percentile_ranks():
    """Weights 3:1 on won revenue and win rate; percentile ranks 0.25..1 -> scores 43.75..81.25."""
    frame = pd.DataFrame({"won_cents": [100, 200, 300, 400], "win_rate": [0.4, 0.3, 0.2, 0.1]})
    # won pct: .25 .5 .75 1; win-rate pct: 1 .75 .5 .25; score = 100 * (3*won + 1*win) / 4
    score = lb.composite_score(frame, {"won_revenue": 3, "win_rate": 1})
    assert score.tolist() == pytest.approx([43.75, 56.25, 68.75, 81.25])
    even = lb.composite_score(frame, {"won_revenue": 1, "win_rate": 1})
    assert even.tolist() == pytest.approx([62.5] * 4)  # (pct_won + pct_win) / 2 = 1.25 / 2


def test_a_missing_component_counts_as_the_bottom():
    """A rep without a quota gets 0 for attainment in the composite."""
    frame = pd.DataFrame({"attainment": [1.0, np.nan]})
    assert lb.composite_score(frame, {"attainment": 1}).tolist() == [100.0, 0.0]


def test_the_composite_board_ranks_by_score(small):
    """Composite of attainment only orders the reps like attainment (ties share the score)."""
    board = lb.board(small, Q2, "composite", weights=(("attainment", 1.0),)).set_index("rep_id")
    assert board.loc[["D", "A", "B", "C"], "rank"].tolist() == [1, 2, 2, 4]


def _flag_data(engine) -> None:
    """One team: X 3 of 3 won, Y 20 of 20, Z 2 of 40."""
    insert(engine, schema.teams, [dict(team_id="T1", name="One", region="East")])
    insert(engine, schema.reps, [rep("X", "T1"), rep("Y", "T1"), rep("Z", "T1")])
    rows, n = [], 0
    for rep_id, won, lost in (("X", 3, 0), ("Y", 20, 0), ("Z", 2, 38)):
        for i in range(won + lost):
            n += 1
            rows.append(deal(n, rep_id, "T1", "won" if i < won else "lost", 1_000, date(2026, 5, 1)))
    insert(engine, schema.deals, rows)


def test_flags_need_a_ci_beyond_the_team_and_enough_deals(empty_engine):
    """Y (20/20, 95% Wilson low 0.839 > rest 5/43) is top; Z (2/40, high 0.165 < rest 23/23) is under;
    X (3/3) has too few closed deals to be flagged."""
    _flag_data(empty_engine)
    board = lb.board(empty_engine, Q2, "win_rate").set_index("rep_id")
    assert board.loc["Y", "flag"] == "top"
    assert board.loc["Z", "flag"] == "under"
    assert board.loc["X", "flag"] == ""
    assert board.loc["Y", "team_win_rate"] == pytest.approx(5 / 43)
    assert board.loc["Y", "win_rate_lo"] == pytest.approx(0.8389, abs=1e-4)
    assert board.loc["Z", "win_rate_hi"] == pytest.approx(0.1650, abs=1e-3)
    assert "win rate 5% vs team 100%" in board.loc["Z", "reason"]
    assert "20 closed deals" in board.loc["Y", "reason"]


def test_the_minimum_sample_is_what_keeps_a_three_deal_rep_unflagged(empty_engine):
    """With the minimum lowered to 3, X (3/3, Wilson low 0.4385 > rest 22/60 = 0.367) would be flagged."""
    _flag_data(empty_engine)
    data = lb.load_board_data(empty_engine, Q2, ("win_rate",))
    board = lb.rank_board(data, "win_rate", min_closed=3).set_index("rep_id")
    assert board.loc["X", "flag"] == "top"


def test_wilson_interval_matches_the_textbook_value():
    """5 of 10 at 95%: (0.2366, 0.7634); no trials gives no interval."""
    lo, hi = lb.wilson_interval([5, 0], [10, 0], 0.95)
    assert lo[0] == pytest.approx(0.2366, abs=1e-4) and hi[0] == pytest.approx(0.7634, abs=1e-4)
    assert np.isnan(lo[1]) and np.isnan(hi[1])


def test_cohorts_follow_hire_date_and_ramp_at_the_scopes_end():
    """At 2026-06-30: hired in May with a 3-month ramp is ramping; hired 2025-09 first year; 2020 veteran."""
    hire = pd.Series([date(2026, 5, 1), date(2025, 9, 1), date(2020, 1, 1), None])
    ramp = pd.Series([3, 3, 3, 3])
    assert lb.cohort_of(hire, ramp, date(2026, 6, 30)).tolist() == ["ramping", "first_year", "veteran", "veteran"]


def test_a_cohort_filter_ranks_within_the_cohort(small):
    """D (hired 2026-04-01, 3-month ramp) is the only ramping rep at 2026-06-30: rank 1 of 1."""
    board = lb.board(small, Q2, cohort="ramping")
    assert board["rep_id"].tolist() == ["D"] and board["rank"].tolist() == [1]
    vets = lb.board(small, Q2, cohort="veteran", role="AE")
    assert vets["rep_id"].tolist() == ["A", "B", "C"] and vets["rank"].tolist() == [1, 1, 3]


def test_an_unknown_metric_names_the_allowed_ones():
    """A metric not on the allow-list is refused with the list of allowed metrics."""
    with pytest.raises(InvalidFilter) as err:
        lb.check_metric("revenue; DROP TABLE deals")
    assert "won_revenue" in err.value.hint and "attainment" in err.value.hint


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("attainment=x", "Cannot read"),
        ("bogus=1", "cannot weigh"),
        ("attainment=-1", "weight of"),
        ("attainment=0", "zero"),
    ],
)
def test_bad_weights_are_refused_with_a_reason(text, problem):
    """Weights must be metric=number pairs over known metrics, not negative, not all zero."""
    with pytest.raises(InvalidFilter, match=problem):
        lb.parse_weights(text)


def test_bad_board_options_are_refused(small):
    """An unknown cohort, role or grouping is a named error."""
    data = lb.load_board_data(small, Q2)
    for kwargs in ({"cohort": "old"}, {"role": "CEO"}, {"by": "region"}):
        with pytest.raises(InvalidFilter):
            lb.rank_board(data, **kwargs)


def test_side_by_side_needs_two_to_four_reps_from_the_board(small):
    """Comparing A and D gives one column each; one rep or an unknown rep is refused."""
    board = lb.board(small, Q2)
    table = lb.compare_reps(board, ["A", "D"])
    assert list(table.columns) == ["Rep A (A)", "Rep D (D)"]
    assert table.loc["attainment"].tolist() == pytest.approx([1.0, 2.0])
    with pytest.raises(InvalidFilter):
        lb.compare_reps(board, ["A"])
    with pytest.raises(InvalidFilter):
        lb.compare_reps(board, ["A", "nobody"])


def test_the_rep_trend_for_side_by_side_has_every_metric(small):
    """The long trend has each compared metric for each period; won revenue is 0, not missing, without wins."""
    long = lb.load_rep_trend(small, Q2, ("A", "D"), periods=2)
    assert set(long["metric"]) == set(lb.COMPARE_METRICS)
    a = long[(long.rep_id == "A") & (long.metric == "won_revenue")]["value"].tolist()
    assert a == [60_000, 30_000]
    d = long[(long.rep_id == "D") & (long.metric == "won_revenue")]["value"].tolist()
    assert d == [0, 60_000]


def test_an_empty_store_gives_an_empty_board(empty_engine):
    """No data: both boards are empty frames with their columns."""
    reps = lb.board(empty_engine, Q2)
    teams = lb.board(empty_engine, Q2, by="team")
    assert reps.empty and "rank" in reps.columns
    assert teams.empty and "team_id" in teams.columns


@pytest.fixture
def kinds(empty_engine):
    """A and B in one team, each quota $100/month. Q2 won: A 10000 Acme (its first purchase: new
    business), 4000 Acme Expansion, 5000 Acme untyped (a later purchase: existing); B 20000 Beta
    Renewal, 7000 Gamma Expansion. Q1 won: B 6000 Delta (new business)."""
    insert(empty_engine, schema.teams, [dict(team_id="T1", name="East team", region="East")])
    insert(empty_engine, schema.reps, [rep("A", "T1"), rep("B", "T1")])
    insert(empty_engine, schema.quotas, monthly_quota("A", range(1, 7)) + monthly_quota("B", range(1, 7)))
    rows = [
        (1, "A", 10_000, date(2026, 4, 10), "Acme", None),
        (2, "A", 4_000, date(2026, 5, 10), "Acme", "Expansion"),
        (3, "A", 5_000, date(2026, 6, 15), "Acme", None),
        (4, "B", 20_000, date(2026, 5, 1), "Beta", "Renewal"),
        (5, "B", 7_000, date(2026, 6, 1), "Gamma", "Expansion"),
        (6, "B", 6_000, date(2026, 2, 1), "Delta", None),
    ]
    insert(
        empty_engine,
        schema.deals,
        [{**deal(n, r, "T1", "won", c, d), "account": a, "deal_type": t} for n, r, c, d, a, t in rows],
    )
    return empty_engine


def test_the_board_ranks_by_new_logo_revenue_from_the_stored_deal_kinds(kinds):
    """New-logo revenue in Q2: A 10000 (the untyped later Acme deal is existing), B 0 (a renewal and an
    expansion): A first; in Q1 only B had new-logo revenue (6000), so A moves up one and B down one."""
    board = lb.board(kinds, Q2, "new_logo_revenue").set_index("rep_id")
    assert board.loc[["A", "B"], "value"].tolist() == [10_000, 0]
    assert board.loc[["A", "B"], "rank"].tolist() == [1, 2]
    assert board.loc[["A", "B"], "movement"].tolist() == ["▲1", "▼1"]
    assert board.loc[["A", "B"], "won_cents"].tolist() == [19_000, 27_000]
    assert board.loc["B", "trend"][-2:] == [6_000, 0]  # Q1, Q2
    team = lb.board(kinds, Q2, "new_logo_revenue", by="team").set_index("team_id")
    assert team.loc["T1", "value"] == 10_000


def test_the_board_ranks_by_expansion_revenue(kinds):
    """Expansion revenue in Q2: B 7000 (Gamma), A 4000 (Acme); renewals are not expansion."""
    board = lb.board(kinds, Q2, "expansion_revenue").set_index("rep_id")
    assert board.loc[["B", "A"], "value"].tolist() == [7_000, 4_000]
    assert board.loc[["B", "A"], "rank"].tolist() == [1, 2]
    assert lb.METRICS["expansion_revenue"].kind == "money"


def _combined_data(engine) -> None:
    """One team, quota $300 a quarter each: X 3/3 won ($300), Y 20/20 ($300), Z 2/40 ($280), U 8/16 ($60)."""
    insert(engine, schema.teams, [dict(team_id="T1", name="One", region="East")])
    insert(engine, schema.reps, [rep(r, "T1") for r in "XYZU"])
    insert(engine, schema.quotas, [q for r in "XYZU" for q in monthly_quota(r, [4, 5, 6])])
    rows, n = [], 0
    for rep_id, won, lost, amount in (("X", 3, 0, 10_000), ("Y", 20, 0, 1_500), ("Z", 2, 38, 14_000), ("U", 8, 8, 750)):
        for i in range(won + lost):
            n += 1
            rows.append(deal(n, rep_id, "T1", "won" if i < won else "lost", amount, date(2026, 5, 1)))
    insert(engine, schema.deals, rows)


def test_flags_combine_win_rate_and_attainment_and_name_the_trigger(empty_engine):
    """Attainments X 100 %, Y 100 %, Z 93 %, U 20 %; team median (93.3 + 100) / 2 = 96.7 %.

    Z (2/40, Wilson high 0.165 < rest 31/39) is under on win rate only: 93 % is not below half the
    median (48.3 %). U (8/16, interval 28 %–72 % holds the rest's 25/63 = 40 %) is under on
    attainment only: 20 % < 48.3 % and below quota. Y (20/20 vs rest 13/59) is top on win rate;
    100 % is not above twice the median. X (3 closed deals) is too few to judge on either.
    """
    _combined_data(empty_engine)
    board = lb.board(empty_engine, Q2, "attainment").set_index("rep_id")
    assert board.loc[["X", "Y", "Z", "U"], "attainment"].tolist() == pytest.approx([1.0, 1.0, 28 / 30, 0.2])
    assert board.loc[["X", "Y", "Z", "U"], "flag"].tolist() == ["", "top", "under", "under"]
    assert board.loc[["X", "Y", "Z", "U"], "flag_basis"].tolist() == ["", "win rate", "win rate", "attainment"]
    assert board.loc["Z", "reason"].startswith("low win rate: win rate 5% vs team 79%")
    assert board.loc["Z", "reason"].endswith("attainment 93% vs team median 97% (-3 pts), not behind")
    assert board.loc["U", "reason"] == (
        "behind quota: win rate 50% vs team 40% (+10 pts; 95% CI 28%–72%, 16 closed deals), within noise of the team; "
        "attainment 20% vs team median 97% (-77 pts)"
    )
    assert board.loc["Y", "reason"].startswith("high win rate: win rate 100% vs team 22%")


def test_a_rep_low_on_both_signals_says_so(empty_engine):
    """On _flag_data with $100 a month quotas ($200 for Z): Z ($20 of $600: 3.3 %) is below half the team
    median (X: $30 of $300, 10 %) and 2/40 is a low win rate: "low win rate and behind quota"."""
    _flag_data(empty_engine)
    quotas = monthly_quota("X", [4, 5, 6]) + monthly_quota("Y", [4, 5, 6]) + monthly_quota("Z", [4, 5, 6], 20_000)
    insert(empty_engine, schema.quotas, quotas)
    board = lb.board(empty_engine, Q2, "win_rate").set_index("rep_id")
    assert board.loc["Z", "flag"] == "under"
    assert board.loc["Z", "flag_basis"] == "win rate and attainment"
    assert board.loc["Z", "reason"].startswith("low win rate and behind quota: ")
    assert board.loc["Z", "reason"].endswith("attainment 3% vs team median 10% (-7 pts)")


def test_the_attainment_signal_thresholds():
    """Ahead: above twice the team median and at least 100 %; behind: below half of it and below
    100 %; not judged with fewer than 3 reps in the team or too few closed deals."""
    from salesops.leaderboards.flags import attainment_signal

    signals = attainment_signal(
        [2.1, 2.0, 0.45, 0.5, 0.3, 0.3, 1.5],
        [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.7],
        [3, 3, 3, 3, 2, 3, 3],
        [True, True, True, True, True, False, True],
    )
    assert signals.tolist() == [1, 0, -1, 0, 0, 0, 1]


def test_a_few_deals_are_not_judged_on_attainment_either(small):
    """In the small fixture C is at 50 % against a team median of 100 % but has 1 closed deal: no flag."""
    board = lb.board(small, Q2).set_index("rep_id")
    assert (board.flag != "").sum() == 0


def test_a_rep_or_team_missing_from_the_tables_is_shown_by_its_id(small):
    """A won deal of rep X (not in reps) in team T9 (not in teams), and one of A in T9: X's row has
    its id as name, role "", no hire date, ramp 0 and T9 as its current team; T9 is named by its id."""
    insert(
        small,
        schema.deals,
        [deal(20, "X", "T9", "won", 1_000, date(2026, 5, 2)), deal(21, "A", "T9", "won", 2_000, date(2026, 5, 3))],
    )
    stats = lb.load_board_data(small, Q2, keep_answers=True).stats.set_index(["rep_id", "team_id"])
    x = stats.loc[("X", "T9")]
    assert (x["name"], x["role"], x["ramp_months"], x["home_team"], x["team_name"], x["home_team_name"]) == (
        "X",
        "",
        0,
        "T9",
        "T9",
        "T9",
    )
    assert pd.isna(x["hire_date"]) and x["won_cents_c"] == 1_000
    a = stats.loc[("A", "T9")]
    assert (a["name"], a["home_team"], a["team_name"], a["home_team_name"]) == ("Rep A", "T1", "T9", "East team")
    assert a["won_cents_c"] == 2_000 and stats.loc[("A", "T1"), "won_cents_c"] == 30_000
    assert stats.index.tolist() == sorted(stats.index.tolist())


def test_the_deals_and_activities_of_no_team_are_one_row_of_the_rep(small):
    """A's won deal of 4,000 and three activities, all with no team, are one (A, no team) row holding
    both; S's one activity of no team is a row of its own beside S's five in T1 (the board's parts
    are put side by side on the rep and team, and no team meets no team)."""
    insert(small, schema.deals, [deal(40, "A", None, "won", 4_000, date(2026, 5, 4))])
    acts = [
        dict(activity_id=f"N{i}", rep_id="A", team_id=None, type="call", occurred_at=date(2026, 5, 5)) for i in range(3)
    ]
    acts.append(dict(activity_id="N9", rep_id="S", team_id=None, type="call", occurred_at=date(2026, 5, 6)))
    insert(small, schema.activities, acts)
    stats = lb.load_board_data(small, Q2, keep_answers=True).stats
    cols = ["won_cents_c", "won_count_c", "activities_c", "quota_cents_c"]
    no_team = stats[stats["team_id"].isna()].set_index("rep_id")
    assert sorted(no_team.index) == ["A", "S"]
    assert no_team.loc["A", cols].tolist() == [4_000, 1, 3, 0]
    assert no_team.loc["S", cols].tolist() == [0, 0, 1, 0]
    keyed = stats[stats["team_id"].notna()].set_index(["rep_id", "team_id"])
    assert keyed.loc[("S", "T1"), "activities_c"] == 5 and keyed.loc[("A", "T1"), cols].tolist() == [
        30_000,
        1,
        0,
        30_000,
    ]
    assert len(stats) == len(stats.drop_duplicates(["rep_id", "team_id"]))


def test_the_quota_stands_beside_the_deals_of_the_reps_current_team(small):
    """The board's sums put the quota (on the rep's current team) beside the summed deals, so each
    (rep, team at the time) keeps its own row; computed by hand from ``small`` plus: A wins 2,000 in
    T2 (not A's team) and Q (T2) has a quota of $100 a month in Q2 and no deals.

    Q2: (A, T1) won 30,000 against 30,000 (Q1's quota 30,000 too); (A, T2) won 2,000 with no quota;
    (Q, T2) a quota of 30,000 and nothing won. The trend's last period (Q2) holds the same, and its
    Q1 has B's one lost deal beside B's quota of 30,000 and no row of Q."""
    insert(small, schema.reps, [rep("Q", "T2")])
    insert(small, schema.quotas, monthly_quota("Q", [4, 5, 6]))
    insert(small, schema.deals, [deal(30, "A", "T2", "won", 2_000, date(2026, 5, 3))])
    data = lb.load_board_data(small, Q2, keep_answers=True)
    stats = data.stats.set_index(["rep_id", "team_id"])
    cols = ["won_cents_c", "won_count_c", "quota_cents_c", "quota_cents_p"]
    assert stats.loc[("A", "T1"), cols].tolist() == [30_000, 1, 30_000, 30_000]
    assert stats.loc[("A", "T2"), cols].tolist() == [2_000, 1, 0, 0]
    assert stats.loc[("Q", "T2"), cols].tolist() == [0, 0, 30_000, 0]
    last, q1 = len(data.periods) - 1, len(data.periods) - 2
    trend = data.trend.set_index(["rep_id", "team_id", "idx"])[["won_cents", "won_count", "lost_count", "quota_cents"]]
    assert trend.loc[("A", "T1", last)].tolist() == [30_000, 1, 0, 30_000]
    assert trend.loc[("A", "T2", last)].tolist() == [2_000, 1, 0, 0]
    assert trend.loc[("Q", "T2", last)].tolist() == [0, 0, 0, 30_000]
    assert trend.loc[("B", "T1", q1)].tolist() == [0, 0, 1, 30_000]
    assert ("Q", "T2", q1) not in trend.index
    assert trend.index.is_unique


def test_the_trend_cubes_sum_a_reps_two_teams_and_leave_empty_periods_undefined(small):
    """The per-rep and per-team trend arrays, by hand from ``small`` plus: A wins 2,000 in T2 (not
    A's team) in Q2 and Q (T2) has a quota of $100 a month in Q2 and no deals.

    Q2 (the last period): A 30,000 in T1 + 2,000 in T2 = 32,000 from 2 won deals against A's quota
    30,000; Q nothing won against 30,000; team T2: A's 2,000 + D's 60,000 against D's and Q's quotas
    (60,000). Q1: Q has no row (NaN everywhere); B one lost deal against 30,000. Sums the board's
    metric does not need (pipeline, activities, kinds) are not in the cubes: read through
    cube_columns, they are 0 where the rep or team has a row and NaN where it has none."""
    insert(small, schema.reps, [rep("Q", "T2")])
    insert(small, schema.quotas, monthly_quota("Q", [4, 5, 6]))
    insert(small, schema.deals, [deal(30, "A", "T2", "won", 2_000, date(2026, 5, 3))])
    data = lb.load_board_data(small, Q2)
    sums = data.trend_sums
    assert sums == ("won_cents", "won_count", "lost_count", "quota_cents")  # what attainment needs
    last, q1 = len(data.periods) - 1, len(data.periods) - 2
    reps = data.rep_rows["rep_id"].tolist()
    teams = data.team_rows["team_id"].tolist()

    def at(cube, row, period):
        return dict(zip(sums, cube[row, period].tolist(), strict=True))

    zero = dict.fromkeys(sums, 0.0)
    a_q2 = at(data.rep_trend, reps.index("A"), last)
    assert a_q2 == {**zero, "won_cents": 32_000, "won_count": 2, "quota_cents": 30_000}
    assert at(data.rep_trend, reps.index("Q"), last) == {**zero, "quota_cents": 30_000}
    assert np.isnan(data.rep_trend[reps.index("Q"), q1]).all()
    assert at(data.rep_trend, reps.index("B"), q1) == {**zero, "lost_count": 1, "quota_cents": 30_000}
    t2_q2 = at(data.team_trend, teams.index("T2"), last)
    assert t2_q2 == {**zero, "won_cents": 62_000, "won_count": 2, "quota_cents": 60_000}
    assert data.rep_trend.shape == (len(reps), len(data.periods), len(sums))
    assert data.team_trend.shape == (len(teams), len(data.periods), len(sums))
    full = lb.cubes.cube_columns(data.rep_trend, sums)
    assert set(full) == set(SUMS)
    assert full["activities"][reps.index("A"), last] == 0.0 and np.isnan(full["activities"][reps.index("Q"), q1])
    assert np.isnan(full["won_cents"][reps.index("Q"), q1]) and full["pipeline_cents"][reps.index("B"), q1] == 0.0


def _fail_in_trend(calls: list):
    """A trend_frame that records the thread it ran in and fails on the database."""

    def failing(conn, *_args):
        calls.append(threading.current_thread())
        conn.execute(sa.text("SELECT * FROM no_such_trend_table"))

    return failing


def test_the_trend_statements_error_reaches_the_page_as_it_did_before(small, monkeypatch):
    """The trend statement runs on a connection of its own on a reader thread (a store file or
    PostgreSQL: every connection reads the same data; salesops.store.parallel); its database error
    is raised by load_board_data and explained to the page exactly as when the two statements ran
    one after the other, and no connection is left checked out."""
    from salesops.leaderboards import data as lbdata
    from salesops.store import parallel as parallel_mod
    from salesops.store.engine import explain_error

    assert parallel_mod.shared_across_connections(small)
    shown = {}
    for parallel in (True, False):
        calls: list = []
        monkeypatch.setattr(lbdata, "trend_frame", _fail_in_trend(calls))
        monkeypatch.setattr(parallel_mod, "shared_across_connections", lambda _engine, parallel=parallel: parallel)
        with pytest.raises(sa.exc.DBAPIError) as err:
            lb.load_board_data(small, Q2)
        assert "no_such_trend_table" in str(err.value) and calls
        explained = explain_error(err.value, small)
        shown[parallel] = (type(explained), str(explained))
        assert small.pool.checkedout() == 0
    assert shown[True] == shown[False]


def test_the_board_statements_error_is_the_one_shown_when_both_fail(small, monkeypatch):
    """When the board statement fails, its error is raised (as when it ran first), whatever the
    trend statement does beside it; the trend's connection goes back to the pool."""
    from salesops.leaderboards import data as lbdata

    calls: list = []
    monkeypatch.setattr(lbdata, "trend_frame", _fail_in_trend(calls))
    monkeypatch.setattr(lbdata, "stats_sql", lambda *_args: "SELECT * FROM no_such_board_table")
    with pytest.raises(sa.exc.DBAPIError, match="no_such_board_table"):
        lb.load_board_data(small, Q2)
    assert small.pool.checkedout() == 0


def test_board_rows_error_comes_after_the_trend_statements(small, monkeypatch):
    """board_rows ran after both statements: its error is raised when the trend statement went well,
    the trend statement's when both failed."""
    from salesops.leaderboards import data as lbdata

    def broken(*_args):
        raise ValueError("board_rows failed")

    monkeypatch.setattr(lbdata, "board_rows", broken)
    with pytest.raises(ValueError, match="board_rows failed"):
        lb.load_board_data(small, Q2)
    monkeypatch.setattr(lbdata, "trend_frame", _fail_in_trend([]))
    with pytest.raises(sa.exc.DBAPIError, match="no_such_trend_table"):
        lb.load_board_data(small, Q2)


def test_an_in_memory_duckdb_runs_both_statements_on_one_connection():
    """An in-memory DuckDB gives each thread a database of its own: the board's two statements run
    one after the other on the caller's connection there."""
    from salesops.store.dialect import shared_across_connections
    from salesops.store.engine import make_engine, open_store

    assert not shared_across_connections(make_engine("duckdb:///:memory:"))
    engine = open_store("duckdb:///:memory:")
    data = lb.load_board_data(engine, Q2, keep_answers=True)
    assert data.stats.empty and data.rep_trend.shape == (0, len(data.periods), len(data.trend_sums))


def test_the_flag_lines_are_the_first_of_each_flag_and_the_rest_is_counted():
    """Five top performers and two who need help, two lines per flag: the first two of each in their
    order (ranks 1, 2 and 8, 9), and three left for the table."""
    flagged = pd.DataFrame(
        {
            "name": list("ABCDEFG"),
            "flag": ["top"] * 5 + ["under"] * 2,
            "rank": [1, 2, 3, 4, 5, 8, 9],
        }
    )
    lines, more = lb.flag_lines(flagged, 2)
    assert lines["name"].tolist() == ["A", "B", "F", "G"]
    assert more == 3
    lines, more = lb.flag_lines(flagged, lb.FLAG_LINES)  # ten a flag: every one is a line
    assert lines["name"].tolist() == list("ABCDEFG") and more == 0
    lines, more = lb.flag_lines(flagged.iloc[:0], 2)
    assert lines.empty and more == 0
    with pytest.raises(ValueError, match="per_flag"):
        lb.flag_lines(flagged, -1)


def test_the_board_keeps_the_statements_answers_only_when_asked(small):
    """By default the cached board holds its summed rows and cubes, not the statements' answers; kept
    or not, the ranking is the same, and a board with neither says what it lacks."""
    from dataclasses import replace

    lean, kept = lb.load_board_data(small, Q2), lb.load_board_data(small, Q2, keep_answers=True)
    assert lean.stats is None and lean.trend is None
    assert kept.stats is not None and len(kept.stats) > 0 and kept.trend is not None
    pd.testing.assert_frame_equal(lb.rank_board(lean, "attainment"), lb.rank_board(kept, "attainment"))
    pd.testing.assert_frame_equal(
        lb.rank_board(replace(kept, rep_rows=None), "attainment"), lb.rank_board(kept, "attainment")
    )
    with pytest.raises(ValueError, match="keep_answers"):
        lb.rank_board(replace(lean, rep_rows=None), "attainment")


def test_group_sums_add_whole_numbers_by_count_and_the_rest_as_pandas_does():
    """Codes 0, 1, 0, 2 of four groups: whole numbers 1, 2, 3, 4 give 4, 2, 4 and 0 for the empty
    group; fractions with a NaN give what pandas' groupby sum gives (NaN skipped, 0.1 + 0.3 in row
    order), bit for bit."""
    from salesops.leaderboards.cubes import group_sums

    codes = np.array([0, 1, 0, 2])
    whole = np.array([1.0, 2.0, 3.0, 4.0])
    frac = np.array([0.1, 0.2, 0.3, np.nan])
    got_whole, got_frac = group_sums([whole, frac], codes, 4)
    assert got_whole.tolist() == [4.0, 2.0, 4.0, 0.0]
    expected = pd.Series(frac).groupby(codes).sum().reindex(range(4), fill_value=0.0).to_numpy()
    assert got_frac.tolist() == expected.tolist() == [0.1 + 0.3, 0.2, 0.0, 0.0]


def test_the_team_trend_sums_the_same_bits_whatever_order_the_trend_rows_come_in(small):
    """Weekly quotas are prorated (fractions, summed in row order) and the trend statement does not
    sort its rows: the team cube puts them in one order first, so any order gives the same bits."""
    week = Scope(date(2026, 6, 22), date(2026, 6, 28), "week")
    data = lb.load_board_data(small, week, keep_answers=True)
    trend, teams, n = data.trend, data.team_rows["team_id"], len(data.periods)
    assert not np.array_equal(trend["quota_cents"], np.trunc(trend["quota_cents"]))  # there are fractions
    cube = lb.cubes.trend_cube(trend, "team_id", teams, n)
    np.testing.assert_array_equal(cube, data.team_trend)
    for seed in range(5):
        shuffled = trend.sample(frac=1, random_state=seed).reset_index(drop=True)
        assert np.array_equal(lb.cubes.trend_cube(shuffled, "team_id", teams, n), cube, equal_nan=True)
        assert np.array_equal(
            lb.cubes.trend_cube(shuffled, "rep_id", data.rep_rows["rep_id"], n), data.rep_trend, equal_nan=True
        )
    # by hand: T1 (A, B, C: $100 a month each) in the week of June 22-28, 7 of June's 30 days
    t1 = cube[teams.tolist().index("T1"), n - 1, data.trend_sums.index("quota_cents")]
    assert t1 == pytest.approx(3 * 10_000 * 7 / 30)


def test_rep_blocks_are_found_on_arrow_and_object_strings_and_refused_out_of_order():
    blocks = lb.data._rep_blocks
    for dtype in ("string[pyarrow]", object):
        assert blocks(pd.Series(["A", "A", "B", "C", "C", "C"], dtype=dtype)).tolist() == [0, 2, 3]
        assert blocks(pd.Series(["A", "C", "B"], dtype=dtype)) is None  # not ordered: pandas' groupby
        assert blocks(pd.Series(["A", None, "B"], dtype=dtype)) is None  # a missing rep
        assert blocks(pd.Series(["A"], dtype=dtype)).tolist() == [0]
        assert blocks(pd.Series([], dtype=dtype)).tolist() == []


def test_a_rep_of_no_team_has_no_team_median_and_no_team_reps(small):
    """A deal of a rep missing from the roster, with no team: a board row of no team (it used to
    stop the board: a count of NaN cast to int)."""
    insert(small, schema.deals, [deal(31, "GHOST", None, "won", 5_000, date(2026, 5, 3))])
    reps = lb.load_board_data(small, Q2).rep_rows.set_index("rep_id")
    ghost = reps.loc["GHOST"]
    assert pd.isna(ghost["team_id"]) and np.isnan(ghost["team_median_attainment"])
    assert ghost["team_attainment_reps"] == 0
    # the others are as by hand: T1's attainments 1.0, 1.0, 0.5 -> median 1.0 over 3 reps
    assert reps.loc["A", "team_median_attainment"] == 1.0 and reps.loc["A", "team_attainment_reps"] == 3

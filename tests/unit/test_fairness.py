"""Lead fairness: Gini, fair shares (equal and capacity), quality adjustment, flags, trend, CLI, the demo."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pandas as pd
import pytest

from salesops import store
from salesops.cli import main as cli
from salesops.errors import InvalidFilter
from salesops.scope import Scope
from salesops.store import derived, schema
from salesops.tools import fairness

JAN = Scope(start=date(2026, 1, 1), end=date(2026, 1, 10), grain="month")  # 10 days


def _insert(engine, table, rows):
    """Insert rows by hand, then the refresh of the derived tables every writer runs (the lead rollups)."""

    def run(conn) -> None:
        store.bulk_insert(conn, table, pd.DataFrame(rows))
        derived.refresh_derived(conn, {table.name})

    store.write(engine, run, "test")


def _rep(rep_id, team, fte=1.0, hired=date(2020, 1, 1), ramp=0, role="AE", active=True):
    return dict(
        rep_id=rep_id,
        name=f"Rep {rep_id}",
        team_id=team,
        role=role,
        hire_date=hired,
        ramp_months=ramp,
        fte=fte,
        active=active,
    )


def _leads(rep_id, team, n, source="Web", day=date(2026, 1, 5), stage="lead"):
    return [
        dict(
            lead_id=f"L{rep_id}{source}{day}{stage}{i}",
            rep_id=rep_id,
            team_id=team,
            source=source,
            created_at=day,
            furthest_stage=stage,
        )
        for i in range(n)
    ]


@pytest.fixture
def leads_engine(empty_engine):
    """T1: A (fte 1), B (fte 0.5), C (hired 6 Jan) get 10/6/4 leads; T2: D ramping; T3: X, Y get 4 Referral / 4 Web;
    T4: three reps, one gets all 60; an SDR in T1 gets none (SDRs receive no leads, so not eligible)."""
    e = empty_engine
    _insert(e, schema.teams, [dict(team_id=t, name=f"Team {t}", region="R") for t in ("T1", "T2", "T3", "T4")])
    reps = [
        _rep("A", "T1"),
        _rep("B", "T1", fte=0.5),
        _rep("C", "T1", hired=date(2026, 1, 6)),  # available 6..10 Jan: 5 of 10 days
        _rep("S", "T1", role="SDR"),
        _rep("D", "T2", hired=date(2025, 12, 6), ramp=1),  # ramp ends 6 Jan: 5 ramp days of 10
        _rep("E", "T2"),
        _rep("X", "T3"),
        _rep("Y", "T3"),
        _rep("P", "T4"),
        _rep("Q", "T4"),
        _rep("R", "T4"),
    ]
    _insert(e, schema.reps, reps)
    rows = _leads("A", "T1", 10) + _leads("B", "T1", 6) + _leads("C", "T1", 4, day=date(2026, 1, 8))
    rows += _leads("D", "T2", 7) + _leads("E", "T2", 7)
    rows += _leads("X", "T3", 4, "Referral") + _leads("Y", "T3", 4, "Web")
    rows += _leads("P", "T4", 60)
    # History before the period: Referral 2 of 4 won (50 %), Web 1 of 4 won (25 %); overall 3/8.
    old = date(2025, 6, 1)
    rows += _leads("A", "T1", 2, "Referral", old, "won") + _leads("A", "T1", 2, "Referral", old, "mql")
    rows += _leads("A", "T1", 1, "Web", old, "won") + _leads("A", "T1", 3, "Web", old, "mql")
    _insert(e, schema.leads, rows)
    return e


def test_gini_of_equal_counts_is_zero():
    """Everyone has the same number of leads: perfectly even."""
    assert fairness.gini([5, 5, 5, 5]) == pytest.approx(0.0)


@pytest.mark.parametrize("n", [2, 3, 4, 9])
def test_gini_when_one_rep_has_every_lead_is_n_minus_one_over_n(n):
    """One rep with all the leads among n reps: (n−1)/n."""
    assert fairness.gini([0] * (n - 1) + [12]) == pytest.approx((n - 1) / n)


def test_gini_of_one_two_three_four_is_a_quarter():
    """Σ|xi−xj| over ordered pairs = 20; 20 / (2·n²·mean) = 20 / (2·16·2.5) = 0.25."""
    assert fairness.gini([4, 1, 3, 2]) == pytest.approx(0.25)
    assert fairness.gini([]) is None and fairness.gini([0, 0]) == 0.0


def test_gini_refuses_negative_values():
    """Counts cannot be negative; the error says what to pass."""
    with pytest.raises(InvalidFilter, match="non-negative"):
        fairness.gini([1, -1])


def test_gini_by_group_matches_gini_per_group():
    """The vectorised per-group Gini equals the plain one for each group."""
    frame = pd.DataFrame({"g": ["a"] * 4 + ["b"] * 3, "x": [4, 1, 3, 2, 0, 0, 9]})
    out = fairness.gini_by_group(frame, ["g"], "x").set_index("g")
    assert out.loc["a", "gini"] == pytest.approx(0.25) and out.loc["b", "gini"] == pytest.approx(2 / 3)


def test_capacity_fair_share_weighs_fte_and_days_available(leads_engine):
    """T1: weights A 1, B 0.5 (fte), C 0.5 (5 of 10 days) of 20 leads: fair shares 10, 5, 5."""
    r = fairness.rep_fairness(leads_engine, JAN).set_index("rep_id")
    assert "S" not in r.index  # SDRs get no leads here, so they are not in the split
    assert r.loc[["A", "B", "C"], "weight"].tolist() == pytest.approx([1.0, 0.5, 0.5])
    assert r.loc[["A", "B", "C"], "fair_share"].tolist() == pytest.approx([10.0, 5.0, 5.0])
    assert r.loc[["A", "B", "C"], "ratio"].tolist() == pytest.approx([1.0, 1.2, 0.8])
    assert r.loc["C", "days_available"] == 5


def test_ramping_reps_count_at_half_weight_while_they_ramp(leads_engine):
    """D ramps until 6 Jan: 5 ramp days at half weight → (10 − 0.5·5)/10 = 0.75; 14 leads × 0.75/1.75 = 6."""
    r = fairness.rep_fairness(leads_engine, JAN).set_index("rep_id")
    assert bool(r.loc["D", "ramping"]) and r.loc["D", "ramp_days"] == 5
    assert r.loc["D", "weight"] == pytest.approx(0.75)
    assert r.loc["D", "fair_share"] == pytest.approx(14 * 0.75 / 1.75)
    assert not r.loc["E", "ramping"]


def test_equal_fair_share_ignores_capacity(leads_engine):
    """With equal weighting every T1 rep's fair share is 20/3."""
    r = fairness.rep_fairness(leads_engine, JAN, "equal").set_index("rep_id")
    assert r.loc[["A", "B", "C"], "fair_share"].tolist() == pytest.approx([20 / 3] * 3)


def test_quality_adjustment_reveals_an_even_count_of_uneven_leads(leads_engine):
    """T3: 4 leads each, but X's are Referral (50 % won before, weight 0.5/0.375) and Y's Web (0.25/0.375)."""
    r = fairness.rep_fairness(leads_engine, JAN).set_index("rep_id")
    assert r.loc["X", "ratio"] == pytest.approx(1.0) and r.loc["Y", "ratio"] == pytest.approx(1.0)
    assert r.loc["X", "quality_leads"] == pytest.approx(4 * 0.5 / 0.375)  # 5.333
    assert r.loc["Y", "quality_leads"] == pytest.approx(4 * 0.25 / 0.375)  # 2.667
    assert r.loc["X", "quality_ratio"] == pytest.approx(4 / 3) and r.loc["Y", "quality_ratio"] == pytest.approx(2 / 3)
    t = fairness.team_fairness(leads_engine, JAN).set_index("team_id")
    assert t.loc["T3", "gini"] == pytest.approx(0.0)
    assert t.loc["T3", "quality_gini"] == pytest.approx(1 / 6)  # x = [8/3, 16/3]: 2·(40/3)/16 − 3/2


def test_reps_far_from_their_fair_share_are_flagged_and_small_gaps_are_not(leads_engine):
    """T4: P got all 60 (fair 20 each): P too many, Q and R too few; T1's 12/6/4 split is within noise."""
    r = fairness.rep_fairness(leads_engine, JAN).set_index("rep_id")
    assert r.loc[["P", "Q", "R"], "flag"].tolist() == ["too many", "too few", "too few"]
    assert not r.loc[["A", "B", "C", "D", "E", "X", "Y"], "flagged"].any()


def test_team_summary_ranks_the_most_uneven_team_first(leads_engine):
    """T4 (one rep has all: Gini 2/3) comes first, with its 3 flagged reps and a top share of 100 %."""
    t = fairness.team_fairness(leads_engine, JAN)
    top = t.iloc[0]
    assert top["team_id"] == "T4" and top["gini"] == pytest.approx(2 / 3)
    assert top["flagged"] == 3 and top["top_share"] == pytest.approx(1.0)
    # T1 counts 10, 6, 4: sorted i·x = 4 + 12 + 30 = 46; 2·46/(3·20) − 4/3 = 0.2
    assert t.set_index("team_id").loc["T1", "gini"] == pytest.approx(0.2)
    # T1 against capacity: ratios 1, 1.2, 0.8 → Gini 2·(0.8 + 2 + 3.6)/(3·3) − 4/3 = 0.0889
    assert t.set_index("team_id").loc["T1", "capacity_gini"] == pytest.approx(2 * 6.4 / 9 - 4 / 3)


def test_the_scope_team_filter_keeps_one_team(leads_engine):
    """A team scope returns that team's reps only."""
    r = fairness.rep_fairness(leads_engine, Scope(start=JAN.start, end=JAN.end, grain="month", team_id="T4"))
    assert set(r["team_id"]) == {"T4"} and len(r) == 3


def test_an_unknown_weighting_is_refused(leads_engine):
    """Only capacity and equal weightings exist."""
    with pytest.raises(InvalidFilter, match="capacity, equal"):
        fairness.rep_fairness(leads_engine, JAN, "seniority")


def test_no_leads_in_the_period_gives_empty_frames(leads_engine):
    """A period without leads gives empty frames with the documented columns."""
    empty = Scope(start=date(2024, 1, 1), end=date(2024, 1, 31), grain="month")
    assert fairness.rep_fairness(leads_engine, empty).empty
    assert "gini" in fairness.team_fairness(leads_engine, empty).columns
    assert fairness.fairness_trend(leads_engine, empty, months=1).empty


def test_the_trend_gives_a_gini_per_team_and_month(leads_engine):
    """January: T4's Gini is 2/3 over its 3 eligible reps; June 2025 has only A's historical leads."""
    tr = fairness.fairness_trend(leads_engine, JAN, months=12)
    jan = tr[tr["month"] == date(2026, 1, 1)].set_index("team_id")
    assert jan.loc["T4", "gini"] == pytest.approx(2 / 3) and jan.loc["T4", "reps"] == 3
    assert jan.loc["T1", "leads"] == 20
    assert set(tr["month"]) >= {date(2025, 6, 1), date(2026, 1, 1)}


def test_the_trend_of_a_few_teams_is_their_rows_of_the_whole_trend(leads_engine, demo_engine):
    """The page reads the trend of the five most uneven teams only: the same rows as the whole trend's for
    those teams (eligible roles still from every team), whatever teams are asked, none or unknown ones."""
    for engine, scope in ((leads_engine, JAN), (demo_engine, Scope.current(date(2026, 11, 24), "quarter"))):
        whole = fairness.fairness_trend(engine, scope)
        top = fairness.most_uneven(fairness.team_fairness(engine, scope))
        assert len(top) == min(fairness.TREND_TEAMS, whole["team_id"].nunique())
        for ids in (top, top[-2:], (top[0], "no such team")):
            expected = whole[whole["team_id"].isin(ids)].reset_index(drop=True)
            got = fairness.fairness_trend(engine, scope, fairness.TREND_MONTHS, ids)
            pd.testing.assert_frame_equal(got, expected, check_exact=True)
        assert fairness.fairness_trend(engine, scope, fairness.TREND_MONTHS, ()).empty


def test_the_demo_lopsided_team_shows_with_its_two_favourite_reps(demo_engine):
    """T05 Seattle Mid-Market: highest Gini this quarter, and two reps flagged with too many leads."""
    scope = Scope.current(date(2026, 11, 24), "quarter")
    teams = fairness.team_fairness(demo_engine, scope)
    assert teams.iloc[0]["team_id"] == "T05" and teams.iloc[0]["gini"] > 0.4
    assert teams.set_index("team_id").drop("T05")["gini"].max() < 0.25
    reps = fairness.rep_fairness(demo_engine, scope)
    t05 = reps[reps["team_id"] == "T05"]
    assert (t05["flag"] == "too many").sum() == 2
    trend = fairness.fairness_trend(demo_engine, scope)
    assert (trend[trend["team_id"] == "T05"]["gini"] > 0.4).all()


def test_fairness_cli_by_rep_team_and_month(demo_url, capsys):
    """`fairness` prints reps (csv), teams with Gini (json) and the monthly trend; bad dates exit 2."""
    assert cli.main(["fairness", "--db", demo_url, "--team", "T05"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("team_id,team,rep_id") and len(lines) == 10  # header + 9 AEs
    assert cli.main(["fairness", "--db", demo_url, "--by", "team", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["team_id"] == "T05" and len(rows) == 11
    args = ["fairness", "--db", demo_url, "--by", "month", "--from", "2026-01-01", "--to", "2026-06-30"]
    assert cli.main(args) == 0
    assert "2026-06-01,T05" in capsys.readouterr().out
    assert cli.main(["fairness", "--db", demo_url, "--from", "2026-06-01", "--to", "2026-01-01"]) == 2
    assert "before --from" in capsys.readouterr().err


def test_default_range_is_the_current_quarter_to_date():
    """The CLI's default period runs from the quarter's first day to today."""
    assert fairness.default_range(date(2026, 11, 24)) == (date(2026, 10, 1), date(2026, 11, 24))
    assert date(2026, 11, 24) - timedelta(days=54) == date(2026, 10, 1)

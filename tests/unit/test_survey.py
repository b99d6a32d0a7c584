"""Survey results: CSAT, NPS, ease, response rate, trend, suppression, themes, text cleaning, CLI."""

from __future__ import annotations

import itertools
import json
import random
from dataclasses import replace
from datetime import date

import pandas as pd
import pytest

from salesops.cli import main as cli
from salesops.scope import Scope
from salesops.store import schema
from salesops.tools import answers, results, suppression, themes
from salesops.tools.survey import Answer, InvalidAnswer, UnknownRound
from tests.builders import insert, survey_answer

_IDS = (f"{i:06d}" for i in itertools.count())


def _insert(engine, table, rows):
    insert(engine, table, pd.DataFrame(rows))  # answers refresh their counts (survey_team_scores)


def _answer(round_id, tool, team, sat, ease, rec, likes="", dislikes=""):
    return survey_answer("S" + next(_IDS), round_id, tool, team, sat, ease, rec, likes, dislikes)


@pytest.fixture
def survey_engine(empty_engine):
    """Two rounds: 'A' (older) and 'B'; tool crm answered 6 times in B, dialer 4 times in B."""
    e = empty_engine
    _insert(e, schema.teams, [dict(team_id=t, name=f"Team {t}", region="R") for t in ("T1", "T2", "T3")])
    _insert(
        e,
        schema.tools,
        [dict(tool_id="crm", name="CRM", category="CRM"), dict(tool_id="dialer", name="Dialer", category="Dialer")],
    )
    _insert(
        e,
        schema.survey_rounds,
        [
            dict(
                round_id="A",
                name="Round A",
                opens_on=date(2025, 11, 1),
                closes_on=date(2025, 11, 20),
                tool_ids='["crm", "dialer"]',
                anonymous=True,
            ),
            dict(
                round_id="B",
                name="Round B",
                opens_on=date(2026, 5, 1),
                closes_on=date(2026, 5, 20),
                tool_ids='["crm", "dialer"]',
                anonymous=True,
            ),
        ],
    )
    _insert(
        e,
        schema.survey_invites,
        [dict(token=f"b{i}", round_id="B", rep_id=f"R{i}", team_id="T1", used=i < 6) for i in range(8)],
    )
    _insert(
        e,
        schema.survey_invites,
        [dict(token=f"a{i}", round_id="A", rep_id=f"R{i}", team_id="T1", used=True) for i in range(5)],
    )
    rows = []
    # Round B, crm: satisfaction 5,4,3,2,1,4; ease 1,2,3,4,5,5; recommend 10,9,9,8,3,0.
    for sat, ease, rec in zip([5, 4, 3, 2, 1, 4], [1, 2, 3, 4, 5, 5], [10, 9, 9, 8, 3, 0]):
        rows.append(_answer("B", "crm", "T1", sat, ease, rec))
    for _ in range(4):  # dialer in B: only 4 answers
        rows.append(_answer("B", "dialer", "T1", 2, 2, 2))
    # Round A, crm: satisfaction 5,4,4,3,4 (mean 4.0, CSAT 4/5 = 80 %), recommend all 9 (NPS 100).
    for sat in [5, 4, 4, 3, 4]:
        rows.append(_answer("A", "crm", "T1", sat, 4, 9))
    _insert(e, schema.survey_responses, rows)
    return e


def test_csat_nps_ease_and_response_rate_match_the_hand_computed_values(survey_engine):
    """CRM in round B: CSAT 3/6, NPS (3−2)/6, mean ease 20/6, response rate 6 answers ÷ 8 links."""
    r = results.tool_results(survey_engine, "B").set_index("tool_id")
    crm = r.loc["crm"]
    assert crm["answers"] == 6 and crm["links"] == 8
    assert crm["response_rate"] == pytest.approx(0.75)
    assert crm["csat"] == pytest.approx(3 / 6)  # 5, 4, 4 are 4–5
    assert crm["nps"] == pytest.approx(100 * (3 - 2) / 6)  # promoters 10,9,9; detractors 3,0
    assert crm["mean_ease"] == pytest.approx(20 / 6)  # 1+2+3+4+5+5
    assert crm["mean_satisfaction"] == pytest.approx(19 / 6)  # 5+4+3+2+1+4


def test_a_tool_with_fewer_than_five_answers_shows_no_scores(survey_engine):
    """The dialer has 4 answers in round B: its scores are empty and the note says why."""
    dialer = results.tool_results(survey_engine, "B").set_index("tool_id").loc["dialer"]
    assert dialer["answers"] == 4 and not dialer["shown"]
    assert all(pd.isna(dialer[c]) for c in ("csat", "nps", "mean_satisfaction", "mean_ease"))
    assert "fewer than 5" in dialer["note"]


def test_a_tool_whose_scores_fell_between_rounds_is_flagged(survey_engine):
    """CRM fell from mean 4.0 / CSAT 80 % (A) to 19/6 / 50 % (B): flagged in B, not in A."""
    r = results.tool_results(survey_engine)
    crm = r[r["tool_id"] == "crm"].set_index("round_id")
    assert list(crm.index) == ["A", "B"]  # oldest first
    assert not crm.loc["A", "fell"] and crm.loc["B", "fell"]
    assert crm.loc["B", "csat_change"] == pytest.approx(0.5 - 0.8)
    assert crm.loc["B", "satisfaction_change"] == pytest.approx(19 / 6 - 4.0)


def test_one_round_taken_from_every_round_is_the_round_asked_for(survey_engine):
    """of_round(tool_results(all), B) is tool_results(B) (what the page shows from its one read); None keeps all."""
    every = results.tool_results(survey_engine)
    pd.testing.assert_frame_equal(results.of_round(every, "B"), results.tool_results(survey_engine, "B"))
    assert list(results.of_round(every, "A")["round_id"].unique()) == ["A"]
    assert results.of_round(every, None) is every


def test_an_unknown_round_is_refused_with_the_known_ones(survey_engine):
    """Asking for a round that does not exist names the rounds that do."""
    with pytest.raises(UnknownRound, match="Known rounds: A, B"):
        results.tool_results(survey_engine, "Z")


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ([6, 7, 8], ["", "", ""]),  # nobody small: all shown
        ([10, 3, 12], ["complementary", "small", ""]),  # one small team: the next-smallest hides too
        ([2, 2, 9, 9], ["small", "small", "complementary", ""]),  # two small teams hold 4 < 5 together
        ([1, 1, 1, 1, 1, 20], ["small"] * 5 + [""]),  # five small teams hold 5 together: enough
        ([3, 20], ["small", "complementary"]),  # two teams, one small: both hidden
        ([3], ["small"]),  # one team, small
        ([4, 9, 9], ["small", "complementary", ""]),  # ties: the first of the smallest shown hides
    ],
)
def test_suppression_hides_small_groups_and_their_complements(answers, expected):
    """Every rule of suppress(): small groups, a lone hidden group, hidden groups too small together."""
    assert results.suppress(answers) == expected


def test_no_small_group_can_be_worked_out_by_subtracting_from_the_total():
    """For many random breakdowns, the hidden groups are never exactly one and hold at least 5 together."""
    rng = random.Random(3)
    for _ in range(2000):
        answers = [rng.randint(0, 12) for _ in range(rng.randint(1, 8))]
        status = results.suppress(answers)
        hidden = [n for n, s in zip(answers, status) if s]
        shown = [n for n, s in zip(answers, status) if not s]
        assert all(n >= 5 for n in shown)
        if hidden and shown:  # total − shown = the hidden groups together: never one, never small
            assert len(hidden) >= 2 and sum(hidden) >= 5, answers


def test_the_breakdowns_vectorised_suppression_is_suppress_per_tool():
    """For many random breakdowns of several tools (ties, a group without a team, tools in any order), the rows
    team_breakdown hides are exactly those suppress() hides per tool, its groups listed by team id (no team last)."""
    rng = random.Random(11)
    for _ in range(500):
        rows = []
        for tool in rng.sample(["crm", "dialer", "email", "notes"], rng.randint(1, 4)):
            teams = rng.sample([f"T{i}" for i in range(9)], rng.randint(1, 8)) + ([None] if rng.random() < 0.3 else [])
            rows += [(tool, team, rng.randint(1, 12)) for team in teams]
        rng.shuffle(rows)
        frame = pd.DataFrame(rows, columns=["tool_id", "team_id", "answers"])
        hidden = suppression.hidden_by_suppression(frame["tool_id"], frame["team_id"], frame["answers"].to_numpy())
        for _tool, g in frame.assign(hidden=hidden).groupby("tool_id"):
            g = g.assign(key=g["team_id"].fillna("\uffff")).sort_values("key")
            expected = [s != "" for s in results.suppress(g["answers"].tolist())]
            assert g["hidden"].tolist() == expected, g


def test_team_breakdown_applies_complementary_suppression_to_the_subtraction_case(empty_engine):
    """CRM answered by T1 (6), T2 (7) and T3 (3): T3 hidden as small and T1 as its complement, so
    total − T2 gives only T1+T3 together (9 answers), never T3 alone."""
    e = empty_engine
    _insert(e, schema.teams, [dict(team_id=t, name=f"Team {t}", region="R") for t in ("T1", "T2", "T3")])
    _insert(e, schema.tools, [dict(tool_id="crm", name="CRM", category="CRM")])
    _insert(
        e,
        schema.survey_rounds,
        [
            dict(
                round_id="B",
                name="B",
                opens_on=date(2026, 5, 1),
                closes_on=date(2026, 5, 9),
                tool_ids='["crm"]',
                anonymous=True,
            )
        ],
    )
    rows = [_answer("B", "crm", team, 4, 4, 9) for team, n in (("T1", 6), ("T2", 7), ("T3", 3)) for _ in range(n)]
    _insert(e, schema.survey_responses, rows)
    b = results.team_breakdown(e, "B").set_index("team_id")
    assert b["shown"].to_dict() == {"T1": False, "T2": True, "T3": False}
    assert "small team" in b.loc["T1", "note"] and "fewer than 5" in b.loc["T3", "note"]
    assert pd.isna(b.loc["T1", "csat"]) and pd.isna(b.loc["T3", "nps"])
    assert b.loc["T2", "csat"] == 1.0
    # The overall figure stays visible (16 answers), yet T3 cannot be derived from it.
    assert results.tool_results(e, "B").iloc[0]["answers"] == 16


def test_themes_group_frequent_phrases_and_give_example_comments():
    """Ten dislikes: 'calls drop' in 5, 'slow to connect' in 4, 'great' in 2; stopwords never a theme."""
    comments = ["calls drop all the time"] * 4 + ["slow to connect"] * 3
    comments += ["calls drop and it is slow to connect", "great", "great"]
    th = themes.themes(comments)
    assert list(zip(th["theme"], th["mentions"])) == [("calls drop", 5), ("slow to connect", 4), ("great", 2)]
    assert th.iloc[0]["share"] == pytest.approx(0.5)
    assert th.iloc[0]["examples"] == "calls drop all the time | calls drop and it is slow to connect"


def test_themes_need_at_least_ten_comments():
    """Nine comments give no themes at all (no examples either): too few to stay anonymous."""
    assert themes.themes(["calls drop"] * 9).empty
    assert not themes.themes(["calls drop"] * 10).empty


def test_tool_themes_respect_the_comment_minimum_per_group(survey_engine):
    """Round B's CRM has 6 answers and no comments: no themes, not an error."""
    assert themes.tool_themes(survey_engine, "B", "crm", "dislikes").empty
    assert themes.all_themes(survey_engine, "B", "likes").empty


def test_clean_text_strips_tags_and_control_characters_but_keeps_comparisons():
    """Tags and control characters go, newlines become spaces, 'a < b' stays as typed."""
    assert answers.clean_text("<b>great</b>  tool\x00\x07") == "great tool"
    assert answers.clean_text("slow\nto\tload ") == "slow to load"
    assert answers.clean_text("a < b and c > d") == "a < b and c > d"
    assert answers.clean_text('<img src=x onerror="alert(1)">ok<!-- hidden -->') == "ok"
    assert answers.clean_text(None) == ""


def test_clean_text_refuses_text_over_the_length_limit():
    """1000 characters pass; 1001 are refused with the limit in the message."""
    assert len(answers.clean_text("x" * 1000)) == 1000
    with pytest.raises(InvalidAnswer, match="limit is 1000"):
        answers.clean_text("x" * 1001)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (dict(satisfaction=6), "Satisfaction with CRM must be a whole number from 1 to 5"),
        (dict(satisfaction=0), "from 1 to 5"),
        (dict(ease=2.5), "Ease of use of CRM"),
        (dict(recommend=11), "from 0 to 10"),
        (dict(recommend=-1), "from 0 to 10"),
        (dict(recommend=True), "from 0 to 10"),
        (dict(usage="hourly"), "must be one of daily, weekly, monthly, rarely"),
    ],
)
def test_out_of_range_answers_are_refused_naming_the_tool_and_field(change, message):
    """Each rating is checked against its scale; usage against the allow-list."""
    base = dict(tool_id="crm", satisfaction=4, ease=4, recommend=9, usage="daily")
    with pytest.raises(InvalidAnswer, match=message):
        answers.validate_answer(Answer(**{**base, **change}), "CRM")


def test_survey_results_cli_prints_csv_and_json_and_refuses_an_unknown_round(demo_url, capsys):
    """`survey-results` lists every tool of a round; json works; a bad round exits 2 with a hint."""
    assert cli.main(["survey-results", "--db", demo_url, "--round", "2026-H2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("round_id,round,opens_on,tool_id") and out.count("\n") == 7  # header + 6 tools
    assert cli.main(["survey-results", "--db", demo_url, "--by", "team", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["round_id"] for r in rows} == {"2026-H2"} and len(rows) == 6 * 11
    assert cli.main(["survey-results", "--db", demo_url, "--round", "1999"]) == 2
    assert "No survey round '1999'" in capsys.readouterr().err


def test_the_demo_dialer_is_the_least_liked_tool_and_is_flagged_as_falling(demo_engine):
    """The planted disliked tool: lowest CSAT in every round, flagged in the later rounds, dropped calls as a theme."""
    r = results.tool_results(demo_engine)
    worst = r.loc[r.groupby("round_id")["csat"].idxmin(), "tool_id"]
    assert set(worst) == {"dialer"}
    assert r[(r["tool_id"] == "dialer")]["fell"].tolist() == [False, True, True]
    found = themes.tool_themes(demo_engine, "2026-H2", "dialer", "dislikes")
    assert {"calls drop", "slow to connect"} <= set(found["theme"])


def test_group_results_add_teams_up_and_hide_a_group_that_would_give_a_team_away(empty_engine):
    """CRM: T1 6 answers (sat 5, rec 10), T2 7 (sat 3, rec 5), T3 3 (sat 4, rec 9), T4 8 (sat 4, rec 9);
    the team view hides T3 (small) and T1 (its complement). {T1, T2, T3} holds both hidden teams: shown,
    CSAT 9/16, NPS 100 × (9 − 7)/16 = 12.5, satisfaction 63/16. {T1, T2} holds one hidden team (it would
    be the group minus T2): hidden; {T3} has 3 answers: hidden."""
    e = empty_engine
    _insert(e, schema.teams, [dict(team_id=t, name=f"Team {t}", region="R") for t in ("T1", "T2", "T3", "T4")])
    _insert(e, schema.tools, [dict(tool_id="crm", name="CRM", category="CRM")])
    _insert(
        e,
        schema.survey_rounds,
        [
            dict(
                round_id="B",
                name="B",
                opens_on=date(2026, 5, 1),
                closes_on=date(2026, 5, 9),
                tool_ids='["crm"]',
                anonymous=True,
            )
        ],
    )
    plan = (("T1", 6, 5, 10), ("T2", 7, 3, 5), ("T3", 3, 4, 9), ("T4", 8, 4, 9))
    _insert(e, schema.survey_responses, [_answer("B", "crm", t, s, 4, r) for t, n, s, r in plan for _ in range(n)])
    assert results.team_breakdown(e, "B").set_index("team_id")["shown"].to_dict() == {
        "T1": False,
        "T2": True,
        "T3": False,
        "T4": True,
    }
    north = results.group_results(e, "B", ["T1", "T2", "T3"]).iloc[0]
    assert north["shown"] and north["answers"] == 16 and north["teams"] == 3
    assert north["csat"] == pytest.approx(9 / 16) and north["nps"] == pytest.approx(12.5)
    assert north["mean_satisfaction"] == pytest.approx(63 / 16) and north["mean_ease"] == pytest.approx(4.0)
    south = results.group_results(e, "B", ["T4"]).iloc[0]  # the rest hides T1 and T3 together: safe
    assert south["shown"] and south["csat"] == 1.0 and south["answers"] == 8
    leaky = results.group_results(e, "B", ["T1", "T2"]).iloc[0]
    assert not leaky["shown"] and pd.isna(leaky["csat"]) and "worked out" in leaky["note"]
    small = results.group_results(e, "B", ["T3"]).iloc[0]
    assert not small["shown"] and "fewer than 5" in small["note"]


def test_tools_beside_performance_for_one_team_are_that_teams_rows_of_the_company_view(demo_engine):
    """The page joins its cached breakdown to the scope's team figures: a team's view is exactly its rows of the
    company view (scores and money alike), and the team figures read alone are the same numbers."""
    from salesops.scope import Scope

    company = Scope.current(date(2026, 11, 24), "quarter")
    everyone = results.tools_vs_performance(demo_engine, company, "2026-H2")
    team = everyone["team_id"].dropna().iloc[0]
    scope = Scope.current(date(2026, 11, 24), "quarter", team_id=team)
    mine = results.tools_vs_performance(demo_engine, scope, "2026-H2")
    expected = everyone[everyone["team_id"] == team].reset_index(drop=True)
    pd.testing.assert_frame_equal(mine, expected, check_exact=True)
    perf = results.team_performance(demo_engine, scope)
    assert perf["team_id"].tolist() == [team]
    assert int(perf["won_cents"].iloc[0]) == int(expected["won_cents"].iloc[0])
    page = results.beside_performance(results.team_breakdown(demo_engine, "2026-H2"), perf, scope)
    pd.testing.assert_frame_equal(page, mine, check_exact=True)


def _breakdown_rows(teams):
    """A team_breakdown frame by hand: tool crm, one row per team (None: answers of no team)."""
    n = len(teams)
    return pd.DataFrame(
        {
            "tool_id": ["crm"] * n,
            "tool": ["CRM"] * n,
            "team_id": list(teams),
            "team": [t or "no team" for t in teams],
            "answers": [6, 7, 8, 9][:n],
            "csat": [0.5, 0.25, 0.75, 1.0][:n],
            "nps": [0.0] * n,
            "mean_satisfaction": [3.5, 3.0, 4.0, 4.5][:n],
            "mean_ease": [3.0] * n,
            "shown": [True, True, False, True][:n],
            "note": [""] * n,
        }
    )


def test_tools_beside_performance_joins_each_team_by_hand():
    """T1 won 300.00 of a 600.00 quota (won 3, lost 1); T2 has no performance row (no deal closed, no
    quota): 0 cents, attainment and win rate empty; T3 a quota of 200.40 cents (rounded to 200), nothing
    won or lost (win rate empty); the answers of no team take the no-team row (won 1 of 2, no quota).
    Scoped to a team, only the teams the performance frame lists; a performance frame with no team twice
    (a no-team row from the closed deals and one from the quota) repeats the no-team breakdown row."""
    breakdown = _breakdown_rows(["T1", "T2", "T3", None])
    perf = pd.DataFrame(
        {
            "team_id": ["T3", "T1", None],
            "won_cents": [0, 30_000, 500],
            "quota_cents": [200.4, 60_000.0, 0.0],
            "won": [0.0, 3.0, 1.0],
            "lost": [0.0, 1.0, 1.0],
        }
    )
    company = Scope.current(date(2026, 11, 24), "quarter")
    out = results.beside_performance(breakdown, perf, company)
    assert list(out.columns) == results._TOOLS_VS_PERFORMANCE_COLUMNS
    assert out["team_id"].tolist()[:3] == ["T1", "T2", "T3"] and pd.isna(out["team_id"].iloc[3])
    assert out["won_cents"].tolist() == [30_000, 0, 0, 500] and out["won_cents"].dtype == "int64"
    assert out["quota_cents"].tolist() == [60_000, 0, 200, 0] and out["quota_cents"].dtype == "int64"
    att, win = out["attainment"].tolist(), out["win_rate"].tolist()
    assert att[0] == 0.5 and pd.isna(att[1]) and att[2] == 0.0 and pd.isna(att[3])
    assert win[0] == 0.75 and pd.isna(win[1]) and pd.isna(win[2]) and win[3] == 0.5
    assert out["shown"].tolist() == [True, True, False, True] and out["answers"].tolist() == [6, 7, 8, 9]
    one = results.beside_performance(breakdown, perf.iloc[1:2], replace(company, team_id="T1"))
    assert one["team_id"].tolist() == ["T1"] and one["won_cents"].tolist() == [30_000]
    twice = pd.concat([perf, perf.iloc[2:]], ignore_index=True).assign(won_cents=[0, 30_000, 500, 0])
    repeated = results.beside_performance(breakdown, twice, company)
    assert len(repeated) == 5 and repeated["won_cents"].tolist() == [30_000, 0, 0, 500, 0]
    assert repeated["answers"].tolist() == [6, 7, 8, 9, 9]
    empty = results.beside_performance(breakdown, perf.iloc[:0], replace(company, team_id="T9"))
    assert empty.empty and list(empty.columns) == results._TOOLS_VS_PERFORMANCE_COLUMNS


def test_the_results_open_on_the_newest_round_with_scores_to_show():
    """Newest first: a newer round with fewer than five answers is passed over for one with five; with none
    at five, the newest answered round; with no answer at all (or no round), none."""
    rounds = pd.DataFrame({"round_id": ["R3", "R2", "R1"], "answered": [4, 5, 9]})
    assert results.default_round(rounds) == "R2"
    assert results.default_round(rounds.assign(answered=[0, 3, 2])) == "R2"
    assert results.default_round(rounds.assign(answered=[0, 0, 0])) is None
    assert results.default_round(rounds.iloc[:0]) is None


def test_the_least_liked_tool_has_the_lowest_mean_satisfaction_and_an_unscored_one_comes_last():
    """The comments open on the lowest mean satisfaction; a hidden (NaN) score never wins."""
    scores = pd.DataFrame({"tool_id": ["crm", "dialer", "video"], "mean_satisfaction": [float("nan"), 3.4, 2.9]})
    assert results.least_liked(scores) == "video"
    assert results.least_liked(scores.iloc[:2]) == "dialer"
    assert results.least_liked(scores.iloc[:1]) == "crm"


def test_team_performance_sums_the_closed_deals_and_quota_of_each_team_by_hand(empty_engine):
    """T1: R1 won 100.00 on 5 Oct and 50.00 on 20 Nov, R3 lost one on 24 Nov, R2 won 30.00 for T1 on
    10 Oct (the deal's team counts), R1 won 999.00 on 25 Nov (after the range, inside the quarter: read
    as the quarter less its days to come); T2: R2 won on 30 Sep and lost on 2 Dec (both outside).
    Quota of the reps' current team: R1 100.00 a month Oct–Dec, R3 100.00 in November, R2 900.00 for
    the quarter. Quarter to 24 Nov: T1 180.00 won, 3 won, 1 lost, quota 400.00; T2 nothing closed,
    quota 900.00. The whole quarter adds the 25 Nov win and T2's December loss. 15 Oct–24 Nov by month
    (quota window Oct–Nov, prorated): T1 50.00, 1 won, 1 lost, quota 300.00; T2 quota 900.00 × 61/92
    = 596.7391… -> 596.74."""
    from salesops.scope import Scope
    from tests.builders import deal, insert, monthly_quota, rep

    e = empty_engine
    insert(e, schema.teams, [dict(team_id=t, name=f"Team {t}", region="R") for t in ("T1", "T2")])
    insert(e, schema.reps, [rep("R1", "T1"), rep("R2", "T2"), rep("R3", "T1")])
    insert(
        e,
        schema.deals,
        [
            deal(1, "R1", "T1", "won", 10_000, date(2026, 10, 5)),
            deal(2, "R1", "T1", "won", 5_000, date(2026, 11, 20)),
            deal(3, "R3", "T1", "lost", 7_000, date(2026, 11, 24)),
            deal(4, "R1", "T1", "won", 99_900, date(2026, 11, 25)),
            deal(5, "R2", "T2", "won", 4_000, date(2026, 9, 30)),
            deal(6, "R2", "T2", "lost", 6_000, date(2026, 12, 2)),
            deal(7, "R2", "T1", "won", 3_000, date(2026, 10, 10)),
        ],
    )
    insert(
        e,
        schema.quotas,
        [
            *monthly_quota("R1", (10, 11, 12)),
            *monthly_quota("R3", (11,)),
            dict(rep_id="R2", period_type="quarter", period_start=date(2026, 10, 1), amount_cents=90_000),
        ],
    )

    def perf(scope: Scope) -> list[list]:
        out = results.team_performance(e, scope).sort_values("team_id")
        return [[t, int(w), float(q), float(n), float(lost)] for t, w, q, n, lost in out.itertuples(index=False)]

    assert perf(Scope.current(date(2026, 11, 24), "quarter")) == [
        ["T1", 18_000, 40_000.0, 3.0, 1.0],
        ["T2", 0, 90_000.0, 0.0, 0.0],
    ]
    assert perf(Scope(date(2026, 10, 1), date(2026, 12, 31), "quarter")) == [
        ["T1", 117_900, 40_000.0, 4.0, 1.0],
        ["T2", 0, 90_000.0, 0.0, 1.0],
    ]
    assert perf(Scope(date(2026, 10, 15), date(2026, 11, 24), "month")) == [
        ["T1", 5_000, 30_000.0, 1.0, 1.0],
        ["T2", 0, 59_674.0, 0.0, 0.0],
    ]

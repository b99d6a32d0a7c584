"""The agenda's steps 2–5 on the hand-built organisation of test_review_snapshots, each by hand:
what changed, movers, deals at risk and the team notes (week of Mon 9 – Sun 15 Nov 2026)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from salesops.review import agenda, queries, snapshots
from salesops.store import schema
from tests.builders import deal, insert, rep
from tests.unit.test_review_snapshots import AS_OF, org  # noqa: F401 - the fixture


def test_what_changed_lists_won_lost_and_pushed_biggest_first(org):  # noqa: F811
    """Deal 2 won, deal 3 lost, deal 6 pushed by 41 days (10 Dec -> 20 Jan); deal 7's pull-in is not listed."""
    frame = queries.week_changes(org, AS_OF)
    assert list(zip(frame["kind"], frame["deal_id"])) == [("won", "D002"), ("lost", "D003"), ("pushed", "D006")]
    assert int(frame.loc[frame["kind"] == "pushed", "days_pushed"].iloc[0]) == 41


def test_counts_per_kind_and_no_rep_without_money(org):  # noqa: F811
    """Step 2 counts one deal of each kind with its amount; the rep column is dropped unless money is on."""
    a = agenda.build_agenda(org, AS_OF)
    assert a.change_counts.set_index("kind")["amount_cents"].to_dict() == {
        "won": 600_000,
        "lost": 300_000,
        "pushed": 900_000,
    }
    assert "rep" not in a.changes.columns and "rep" not in a.at_risk.columns
    shown = agenda.build_agenda(org, AS_OF, show_money=True)
    assert set(shown.changes["rep"]) == {"Rep A", "Rep B"}


def test_deals_at_risk_are_the_largest_stale_ones(org):  # noqa: F811
    """Open on 15 Nov: deals 4 (900k, untouched for 36 days), 6 (900k, 45 days) and 7 (300k) are stale;
    deal 5 is three days old. A call on deal 7 on 14 Nov takes it off the list."""
    risk = queries.deals_at_risk(org, AS_OF)
    assert risk["deal_id"].tolist() == ["D004", "D006", "D007"]
    assert risk["reasons"].iloc[0] == "no activity for 36 days"
    insert(
        org,
        schema.activities,
        [dict(activity_id="A1", rep_id="A", team_id="T1", type="call", occurred_at=date(2026, 11, 14), deal_id="D007")],
    )
    assert queries.deals_at_risk(org, AS_OF)["deal_id"].tolist() == ["D004", "D006"]


def test_a_deal_past_its_close_date_or_pushed_twice_is_at_risk(org):  # noqa: F811
    """Deal 8: expected 10 Nov and still open on 15 Nov, pushed twice before that, touched yesterday."""
    insert(org, schema.deals, [deal(8, "B", "T2", "open", 50_000, date(2026, 11, 10), date(2026, 11, 1))])
    insert(org, schema.deal_changes, [
        dict(deal_id="D008", changed_at=date(2026, 11, 3), field="close_date", old_value="2026-11-05", new_value="2026-11-08"),
        dict(deal_id="D008", changed_at=date(2026, 11, 7), field="close_date", old_value="2026-11-08", new_value="2026-11-10"),
    ])  # fmt: skip
    insert(
        org,
        schema.activities,
        [
            dict(
                activity_id="A2", rep_id="B", team_id="T2", type="email", occurred_at=date(2026, 11, 14), deal_id="D008"
            )
        ],
    )
    row = queries.deals_at_risk(org, AS_OF).set_index("deal_id").loc["D008"]
    assert row["reasons"] == "past its close date (5 days); pushed 2 times"


def test_movers_celebrate_who_climbed_and_never_who_fell(org):  # noqa: F811
    """B wins 4M on 14 Nov: 67% of quota beats A's 60%, so B climbs from #2 to #1; A, who fell, is not listed."""
    insert(org, schema.deals, [deal(9, "B", "T2", "won", 4_000_000, date(2026, 11, 14), date(2026, 11, 1))])
    snapshots.take_snapshots(org, [AS_OF - timedelta(days=7), AS_OF], today=date(2026, 11, 16))
    movers, message = agenda._movers(org, AS_OF, None, 10)
    assert message is None
    assert movers.to_dict("records") == [{"name": "Rep B", "team": "Team Two", "places": 1, "rank": "#1"}]


def test_movers_without_a_week_before_say_so(org):  # noqa: F811
    """Only this week's snapshot: the first-week message, no list."""
    snapshots.take_snapshots(org, [AS_OF], today=date(2026, 11, 16))
    movers, message = agenda._movers(org, AS_OF, None, 10)
    assert movers.empty and message == "First week: no comparison yet."


@pytest.fixture
def notes_org(org):  # noqa: F811
    """Leads of the last 90 days (T1: 40 to SQL, all to rep A; T2: 40 MQLs of which 4 reach SQL, rep B),
    a second AE in T1 with no lead, and two survey rounds where the dialer fell from 4 to 3."""
    insert(org, schema.reps, [rep("A2", "T1")])
    leads = [
        dict(
            lead_id=f"L1{i:02d}",
            rep_id="A",
            team_id="T1",
            source="web",
            created_at=date(2026, 10, 1),
            furthest_stage="sql",
        )
        for i in range(40)
    ]
    leads += [
        dict(
            lead_id=f"L2{i:02d}",
            rep_id="B",
            team_id="T2",
            source="web",
            created_at=date(2026, 10, 1),
            furthest_stage="sql" if i < 4 else "mql",
        )
        for i in range(40)
    ]
    insert(org, schema.leads, leads)
    insert(org, schema.tools, [dict(tool_id="dialer", name="Dialer", category="dialer")])
    insert(org, schema.survey_rounds, [
        dict(round_id="R1", name="Spring", opens_on=date(2026, 4, 1), closes_on=date(2026, 4, 20), tool_ids='["dialer"]', anonymous=True),
        dict(round_id="R2", name="Autumn", opens_on=date(2026, 10, 1), closes_on=date(2026, 10, 20), tool_ids='["dialer"]', anonymous=True),
    ])  # fmt: skip
    answers = [
        dict(response_id=f"{r}-{i}", round_id=r, tool_id="dialer", team_id="T1", satisfaction=s, ease=3, recommend=5, submitted_on=d)
        for r, s, d in (("R1", 4, date(2026, 4, 5)), ("R2", 3, date(2026, 10, 5)))
        for i in range(5)
    ]  # fmt: skip
    insert(org, schema.survey_responses, answers)
    return org


def test_team_notes_by_hand(notes_org):
    """T2 turns 10% of MQLs into SQLs against 55% for all teams; T1's busiest AE got 2.0× an even share;
    the dialer fell from 4.0 to 3.0. No rep is named."""
    notes = agenda.team_notes(notes_org, AS_OF)
    assert notes == (
        "Funnel stall — Team Two: 10% of MQLs reach SQL, all teams 55% (leads of the last 90 days).",
        "Lead split — Team One: the busiest AE got 2.0× an even share of the team's 40 leads (last 90 days).",
        "Tool satisfaction — Dialer: fell from 4.0 to 3.0 (of 5) between the R1 and R2 surveys.",
    )
    assert not any("Rep " in n for n in notes)


def test_a_team_review_keeps_its_own_notes_compared_with_all_teams(notes_org):
    """For T1 alone: no funnel stall (its 100% beats 55%), its lead split, and its own survey answers."""
    notes = agenda.team_notes(notes_org, AS_OF, "T1")
    assert [n.split(" — ")[0] for n in notes] == ["Lead split", "Tool satisfaction"]


class _Viewer:
    """A stand-in for the signed-in person (role, teams) the app hands the agenda."""

    def __init__(self, role: str, team_ids: tuple[str, ...] = ()) -> None:
        self.role, self.team_ids = role, team_ids
        self.sees_individual_money = role != "viewer"


@pytest.mark.parametrize(
    ("role", "teams", "asked", "expected"),
    [
        ("admin", (), None, (None, True, True)),
        ("viewer", (), "T1", ("T1", False, True)),
        ("manager", ("T2",), None, ("T2", True, True)),
        ("manager", ("T2",), "T1", ("T2", True, True)),
        ("rep", ("T1",), None, ("T1", False, False)),
    ],
)
def test_what_each_viewer_may_see(role, teams, asked, expected):
    """Staff all; the screen-share viewer no individual money; managers and reps their own team; reps no movers."""
    assert agenda.restrict(_Viewer(role, teams), asked, True) == expected


def test_a_viewer_without_a_team_is_told_so():
    """A manager assigned to no team gets a clear message, not the company."""
    from salesops.errors import InvalidFilter

    with pytest.raises(InvalidFilter, match="no team"):
        agenda.restrict(_Viewer("manager"), None, False)


def test_the_screen_share_viewer_never_gets_rep_names_beside_amounts(org):  # noqa: F811
    """Even asking for money, the role viewer's agenda has no rep column."""
    a = agenda.build_agenda(org, AS_OF, show_money=True, viewer=_Viewer("viewer"))
    assert not a.show_money and "rep" not in a.changes.columns

"""Data health on a hand-built organisation: each check finds exactly its records; trust scores by hand."""

from __future__ import annotations

from datetime import date

import pytest

from salesops import health
from salesops.cli.main import main
from salesops.scope import Scope
from salesops.store import schema
from tests.builders import deal, insert, monthly_quota, rep

TODAY = date(2026, 6, 30)


@pytest.fixture
def org(empty_engine):
    """Team A: 2 reps (A2 without quota), 6 deals, one of each flaw; team B: 1 clean deal; a quota for a ghost rep."""
    e = empty_engine
    insert(
        e, schema.teams, [dict(team_id="A", name="Team A", region="R"), dict(team_id="B", name="Team B", region="R")]
    )
    insert(e, schema.reps, [rep("A1", "A"), rep("A2", "A"), rep("B1", "B")])
    insert(
        e,
        schema.quotas,
        monthly_quota("A1", range(1, 7)) + monthly_quota("B1", range(1, 7)) + monthly_quota("GHOST", [6], 5_000),
    )
    rows = [
        deal(1, "A1", "A", "open", 100_00, date(2026, 9, 30), created=date(2026, 1, 10)),  # stale (no touch since Jan)
        deal(2, "A1", "A", "open", 200_00, date(2026, 5, 31), created=date(2026, 6, 20)),  # past close (not stale)
        deal(3, "A1", "A", "open", None, date(2026, 8, 31), created=date(2026, 6, 25)),  # missing amount
        deal(4, "A2", "A", "won", 300_00, date(2026, 4, 10)),  # duplicate of 5
        deal(5, "A2", "A", "won", 300_00, date(2026, 4, 20)),  # duplicate of 4
        deal(6, "A1", "A", "open", 400_00, date(2026, 12, 31), created=date(2026, 6, 1)),  # pushed 3 times
        deal(7, "B1", "B", "won", 500_00, date(2026, 5, 5)),
    ]
    for r in rows:
        r["account"] = "Acme" if r["deal_id"] in ("D004", "D005") else f"Acct {r['deal_id']}"
    insert(e, schema.deals, rows)
    insert(
        e,
        schema.activities,
        [dict(activity_id="X1", rep_id="A1", team_id="A", type="call", occurred_at=date(2026, 6, 28), deal_id="D006")],
    )
    pushes = [("2026-09-30", "2026-10-31"), ("2026-10-31", "2026-11-30"), ("2026-11-30", "2026-12-31")]
    insert(
        e,
        schema.deal_changes,
        [
            dict(deal_id="D006", changed_at=date(2026, 6, 2 + i), field="close_date", old_value=o, new_value=n)
            for i, (o, n) in enumerate(pushes)
        ],
    )
    insert(
        e,
        schema.import_warnings,
        [
            dict(
                import_id=1,
                table_name="deals",
                row_number=8,
                record_id="D007",
                column_name="close_date",
                value="2026-05-05",
                kind="close_before_create",
                reason="close date is before the create date",
            )
        ],
    )
    return e


def test_each_check_finds_exactly_its_records(org):
    """Stale D001, past close D002, missing amount D003, duplicates D004+D005, pushed D006, warning D007, A2 no quota, ghost quota."""
    flags = health.find_flags(org, health.HealthSettings(today=TODAY, stale_days=30))
    got = {(c, r) for c, r in zip(flags["check"], flags["record_id"])}
    assert got == {
        ("stale", "D001"),
        ("past_close", "D002"),
        ("missing_amount", "D003"),
        ("duplicate", "D004"),
        ("duplicate", "D005"),
        ("pushed", "D006"),
        ("import_warning", "D007"),
        ("no_quota", "A2"),
        ("quota_no_rep", "GHOST month 2026-06-01"),
    }


def test_counts_and_value_per_team(org):
    """Team A's duplicates: 2 records worth $600.00; the ghost quota sits under '(no team)'."""
    flags = health.find_flags(org, health.HealthSettings(today=TODAY))
    by = health.summarise(flags, by_team=True).set_index(["team_id", "check"])
    assert (by.loc[("A", "duplicate"), "records"], by.loc[("A", "duplicate"), "value_cents"]) == (2, 600_00)
    assert by.loc[("(no team)", "quota_no_rep"), "value_cents"] == 5_000


def test_trust_scores_follow_the_documented_formula(org):
    """A: 6 live deals, 6 flagged -> 0 %, minus 5 for A2 -> floored at 0; B: 1 live deal flagged by a warning -> 0."""
    settings = health.HealthSettings(today=TODAY)
    flags = health.find_flags(org, settings)
    trust = health.trust_scores(org, flags, settings).set_index("team_id")
    assert trust.loc["A", "live_deals"] == 6 and trust.loc["A", "flagged_deals"] == 6
    assert trust.loc["A", "reps_without_quota"] == 1 and trust.loc["A", "trust"] == 0
    assert trust.loc["B", "trust"] == 0
    clean = health.trust_scores(org, flags[flags["check"] != "import_warning"], settings).set_index("team_id")
    assert clean.loc["B", "trust"] == 100


def test_the_flagged_share_of_a_pipeline(org):
    """Team A's open pipeline: $100 stale + $200 past close of $700 (D003 has no amount) -> 3/7."""
    share, deals = health.flagged_share(
        org, Scope(start=date(2026, 1, 1), end=TODAY, team_id="A"), health.HealthSettings(today=TODAY)
    )
    assert deals == 2 and share == pytest.approx(300 / 700)


def test_the_cli_prints_counts_by_team_and_details(org, capsys, monkeypatch):
    """`health --by team` and `--details --format json` list the flags; a bad --stale-days is an error with a hint."""
    monkeypatch.setenv("SALESOPS_TODAY", TODAY.isoformat())
    url = org.url.render_as_string(hide_password=False)
    org.dispose()
    assert main(["health", "--by", "team", "--db", url]) == 0
    out = capsys.readouterr().out
    assert out.startswith("team_id,check,what,records,value_cents,trust") and "A,duplicate," in out
    assert main(["health", "--details", "--format", "json", "--db", url]) == 0
    assert '"record_id": "D006"' in capsys.readouterr().out
    assert main(["health", "--stale-days", "0", "--db", url]) == 2
    assert "hint:" in capsys.readouterr().err


def test_the_demo_has_something_for_data_health(demo_engine):
    """The demo (seed 7): stale open deals occur naturally; three import warnings are planted."""
    flags = health.find_flags(demo_engine, health.HealthSettings(today=date(2026, 11, 24)))
    counts = flags["check"].value_counts()
    assert counts["import_warning"] == 3 and counts["stale"] > 0

"""Data health on a hand-built organisation: each check finds exactly its records; trust scores by hand."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from salesops import health, store
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
    """Team A's duplicates: 2 records worth $600.00; the ghost quota sits under '(no team)'; company-wide 9 checks."""
    settings = health.HealthSettings(today=TODAY)
    by = health.flag_counts(org, settings, by_team=True).set_index(["team_id", "check"])
    assert (by.loc[("A", "duplicate"), "records"], by.loc[("A", "duplicate"), "value_cents"]) == (2, 600_00)
    assert by.loc[("(no team)", "quota_no_rep"), "value_cents"] == 5_000
    company = health.flag_counts(org, settings).set_index("check")
    assert list(company.index) == list(health.CHECKS)  # every check flags one record here, in CHECKS order
    assert company.loc["import_warning", "records"] == 1 and company.loc["import_warning", "value_cents"] == 500_00


def test_the_records_to_fix_are_cut_at_the_limit_and_counted_in_full(org):
    """Two duplicates: a limit of 1 lists D004 (tied on $300, first by id; Team A's name) and counts 2; the ghost quota lists '(no team)'."""
    shown, total = health.records_to_fix(org, TODAY, 30, "duplicate", limit=1)
    assert total == 2 and list(shown["record_id"]) == ["D004"] and list(shown["team"]) == ["Team A"]
    ghost, n = health.records_to_fix(org, TODAY, 30, "quota_no_rep")
    assert n == 1 and list(ghost["team"]) == ["(no team)"]
    none, n = health.records_to_fix(org, TODAY, 30, "duplicate", limit=0)  # none listed, both counted
    assert none.empty and n == 2 and list(none.columns) == [*health.FLAG_COLUMNS, "team"]
    clean, n = health.records_to_fix(org, date(2026, 1, 15), 30, "stale")  # nothing stale yet in January
    assert clean.empty and n == 0
    with pytest.raises(ValueError, match="Unknown data-health check"):
        health.records_to_fix(org, TODAY, 30, "stale; DROP TABLE deals")


def test_the_records_to_fix_list_the_most_money_first(org):
    """By the end of the year four open deals are stale; they are listed most money first, the one without an amount last."""
    late = health.HealthSettings(today=date(2026, 12, 31), stale_days=30)  # D001, D002, D003, D006 untouched by then
    shown, total = health.records_to_fix(org, late.today, late.stale_days, "stale")
    assert total == 4 and list(shown["record_id"]) == ["D006", "D002", "D001", "D003"]  # $400, $200, $100, no amount


def test_trust_scores_follow_the_documented_formula(org):
    """A: 6 live deals, 6 flagged -> 0 %, minus 5 for A2 -> floored at 0; B: 1 live deal flagged by a warning -> 0."""
    settings = health.HealthSettings(today=TODAY)
    trust = health.trust_scores(org, settings).set_index("team_id")
    assert trust.loc["A", "live_deals"] == 6 and trust.loc["A", "flagged_deals"] == 6
    assert trust.loc["A", "reps_without_quota"] == 1 and trust.loc["A", "trust"] == 0
    assert trust.loc["B", "trust"] == 0
    checks = [c for c in health.checks.DEAL_CHECKS if c != "import_warning"]
    clean = health.trust_scores(org, settings, checks=checks).set_index("team_id")
    assert clean.loc["B", "trust"] == 100
    assert clean.loc["A", "flagged_deals"] == 6  # D001-D006 are flagged by the other checks too


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


def test_the_sql_counts_agree_with_every_flag_on_the_demo(demo_engine):
    """On the demo, the counts per team, the trust scores and each check's total counted in SQL equal
    those computed from every flag in memory (find_flags, the CLI's list)."""
    today = date(2026, 11, 24)
    settings = health.HealthSettings(today=today)
    flags = health.find_flags(demo_engine, settings)
    f = flags.assign(team_id=flags["team_id"].fillna("(no team)"), v=flags["value_cents"].fillna(0).astype("int64"))
    expected = f.groupby(["team_id", "check"]).agg(records=("record_id", "nunique"), value_cents=("v", "sum"))
    got = health.flag_counts(demo_engine, settings, by_team=True).set_index(["team_id", "check"])
    assert got[["records", "value_cents"]].sort_index().equals(expected.sort_index())
    report = health.health_report(demo_engine, today)
    assert report.checks == [c for c in health.CHECKS if c in set(flags["check"])]
    flagged = set(flags.loc[flags["check"].isin(health.checks.DEAL_CHECKS), "record_id"])
    live = store.read_frame(
        demo_engine,
        sa.select(schema.deals.c.team_id, schema.deals.c.deal_id).where(
            (schema.deals.c.outcome == "open") | (schema.deals.c.close_date >= date(2025, 11, 24))
        ),
    )
    per_team = live.assign(hit=live["deal_id"].isin(flagged)).groupby("team_id")["hit"].agg(["size", "sum"])
    trust = report.trust.set_index("team_id")
    assert (trust["live_deals"].reindex(per_team.index) == per_team["size"]).all()
    assert (trust["flagged_deals"].reindex(per_team.index) == per_team["sum"]).all()
    for check in report.checks:
        shown, total = health.records_to_fix(demo_engine, today, 30, check, limit=5)
        mine = flags[flags["check"] == check]
        assert total == len(mine) and len(shown) == min(5, len(mine))
        assert shown["value_cents"].fillna(0).iloc[0] == mine["value_cents"].fillna(0).max()


def test_health_on_the_demo_finds_each_planted_flaw(demo_url, capsys):
    """`salesops health --details` on the demo (seed 7) lists exactly the planted records of each check (docs/DEMO_DATA.md)."""
    import csv
    import io

    assert main(["health", "--details", "--format", "csv", "--db", demo_url]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    found: dict[str, set[str]] = {}
    for r in rows:
        found.setdefault(r["check"], set()).add(r["record_id"])
    assert found["missing_amount"] == {"D0018364"}  # the new hire's first deal, no amount yet
    assert found["no_quota"] == {"R0133"}  # the new hire: a deal, no quota
    assert found["duplicate"] == {"D0002089", "D0018365"}  # an open deal and its second entry
    assert found["past_close"] == {"D0018366"}  # expected to close 18 days ago
    assert found["pushed"] == {"D0018367"}
    assert found["quota_no_rep"] == {f"R0134 month 2026-{m}-01" for m in ("10", "11", "12")}
    assert found["import_warning"] == {"D0000001", "D0001908", "D0003521"}
    assert len(found["stale"]) > 0  # stale deals occur naturally
    assert set(found) == set(health.CHECKS)
    pushed = next(r for r in rows if r["check"] == "pushed")
    assert pushed["detail"] == "close date pushed 3 times" and pushed["team_id"] == "T05"
    ghost = next(r for r in rows if r["check"] == "quota_no_rep")
    assert ghost["label"] == "Rep not in the store" and ghost["value_cents"] == "6000000"


def test_a_new_rep_with_only_an_open_deal_has_no_quota(empty_engine):
    """A rep hired last month, no quota yet, one open deal created 10 days ago closing next quarter: flagged no_quota."""
    insert(empty_engine, schema.teams, [dict(team_id="A", name="Team A", region="R")])
    insert(empty_engine, schema.reps, [rep("N1", "A")])
    insert(
        empty_engine, schema.deals, [deal(1, "N1", "A", "open", 100_00, date(2026, 9, 30), created=date(2026, 6, 20))]
    )
    flags = health.find_flags(empty_engine, health.HealthSettings(today=TODAY))
    assert set(zip(flags["check"], flags["record_id"])) == {("no_quota", "N1")}

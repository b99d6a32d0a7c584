"""`python -m salesops metrics`: per group and period, csv or json, clean errors."""

from __future__ import annotations

import json

import pytest

from salesops.cli import main as cli
from tests.unit.test_metrics import build_org


@pytest.fixture
def url(empty_engine):
    """URL of a store holding the hand-built metrics organisation (engine closed for the CLI)."""
    build_org(empty_engine)
    u = empty_engine.url.render_as_string(hide_password=False)
    empty_engine.dispose()
    return u


def test_metrics_by_team_as_json_prints_the_hand_computed_quarter(url, capsys):
    """--by team --grain quarter over Q2 prints T1 $36k of $45k and T2 $31k of $30k."""
    rc = cli.main(
        [
            "metrics",
            "--db",
            url,
            "--by",
            "team",
            "--grain",
            "quarter",
            "--from",
            "2026-04-01",
            "--to",
            "2026-06-30",
            "--format",
            "json",
        ]
    )
    assert rc == 0
    rows = {r["group"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["T1"]["won_cents"] == 3_600_000 and rows["T1"]["quota_cents"] == 4_500_000
    assert rows["T1"]["attainment"] == pytest.approx(0.8)
    assert rows["T2"]["won_count"] == 2 and rows["T2"]["lost_count"] == 1
    assert set(rows["T1"]) >= {
        "won_count",
        "lost_count",
        "won_cents",
        "win_rate",
        "avg_deal_cents",
        "avg_cycle_days",
        "quota_cents",
        "attainment",
        "period",
    }


def test_metrics_by_company_as_csv_has_one_line_per_period(url, capsys):
    """--by company --grain month over Q2 prints a header and three months."""
    rc = cli.main(
        ["metrics", "--db", url, "--by", "company", "--grain", "month", "--from", "2026-04-01", "--to", "2026-06-30"]
    )
    assert rc == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("group,name,period,")
    assert [line.split(",")[2] for line in lines[1:]] == ["Apr 2026", "May 2026", "Jun 2026"]


def test_a_bad_date_is_a_clean_error(url, capsys):
    """A malformed --from says what is wrong and how to write it, with exit code 2."""
    rc = cli.main(["metrics", "--db", url, "--from", "2026-13-01"])
    err = capsys.readouterr().err
    assert rc == 2 and "error: --from '2026-13-01' is not a date." in err and "hint:" in err


def test_a_reversed_range_is_a_clean_error(url, capsys):
    """--to before --from is refused with a hint."""
    rc = cli.main(["metrics", "--db", url, "--from", "2026-06-01", "--to", "2026-05-01"])
    assert rc == 2 and "ends (2026-05-01) before it starts" in capsys.readouterr().err


def test_an_unknown_grouping_is_refused_by_the_parser(url, capsys):
    """--by only takes rep, team, region or company."""
    with pytest.raises(SystemExit) as exc:
        cli.main(["metrics", "--db", url, "--by", "planet"])
    assert exc.value.code == 2 and "invalid choice" in capsys.readouterr().err

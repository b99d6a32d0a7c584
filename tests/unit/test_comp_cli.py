"""CLI: `payouts` and `what-if` print the engine's numbers; bad plan files give one clear error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from salesops.cli.main import main
from salesops.comp.plan import standard_plan
from salesops.comp.plan_format import plan_to_json

PLANS = Path(__file__).resolve().parents[2] / "docs" / "plans"


@pytest.fixture
def plan_file(tmp_path) -> Path:
    """The standard plan (TV $90k, base $90k, 75/25, ×1.5 above quota, cap 300 %) as a file."""
    path = tmp_path / "plan.json"
    path.write_text(plan_to_json(standard_plan()))
    return path


def test_what_if_prints_each_component_as_json(plan_file, capsys):
    """Quota $1M, booked $1.3M, team 90 %: individual $97,875, team $20,250 (hand arithmetic)."""
    rc = main(
        ["what-if", "--plan", str(plan_file), "--quota", "1,000,000", "--booked", "1300000", "--team-attainment", "90%"]
    )
    out = json.loads(capsys.readouterr().out)
    assert rc == 0
    # individual: $67,500 × (1 + 0.3 × 1.5) = $97,875; team: $22,500 × 0.9 = $20,250
    assert (out["individual_cents"], out["team_cents"], out["variable_cents"]) == (9_787_500, 2_025_000, 11_812_500)
    assert out["attainment"] == "1.3" and out["team_attainment"] == "0.9"


def test_what_if_for_a_quarter_prorates_the_plan(plan_file, capsys):
    """--period quarter: TV $22,500; at 100 % with the team at 100 % pays exactly that."""
    main(["what-if", "--plan", str(plan_file), "--quota", "250000", "--booked", "250000", "--period", "quarter"])
    out = json.loads(capsys.readouterr().out)
    assert out["variable_cents"] == 2_250_000 and out["base_cents"] == 2_250_000


def test_payouts_lists_every_rep_with_components(plan_file, demo_url, capsys):
    """payouts on the demo gives one row per rep with quota, as JSON with the component columns."""
    rc = main(
        [
            "payouts",
            "--plan",
            str(plan_file),
            "--db",
            demo_url,
            "--from",
            "2026-07-01",
            "--to",
            "2026-09-30",
            "--format",
            "json",
        ]
    )
    rows = json.loads(capsys.readouterr().out)
    assert rc == 0 and len(rows) > 50
    first = rows[0]
    assert first["period_fraction"] == "1/4"
    assert (
        first["variable_cents"]
        == first["individual_cents"] + first["team_cents"] + first["team_bonus_cents"] + first["cap_adjustment_cents"]
    )


def test_payouts_as_csv_has_a_header(plan_file, demo_url, capsys):
    """The default format is CSV with the rep and money columns."""
    main(["payouts", "--plan", str(PLANS / "split-75-25.json"), "--db", demo_url])
    header = capsys.readouterr().out.splitlines()[0]
    assert "rep_id" in header and "variable_cents" in header


@pytest.mark.parametrize(
    "content,message",
    [
        (None, "Plan file {path} does not exist."),
        ('{"name": ', "plan.json is not valid JSON (line 1"),
        (
            '{"name": "x", "base_salary_cents": 1, "target_variable_cents": 1, "components": []}',
            "plan.json: Invalid plan: components: a plan needs at least one component",
        ),
    ],
    ids=["missing file", "broken JSON", "invalid plan"],
)
def test_a_bad_plan_file_gives_one_clear_error(tmp_path, capsys, content, message):
    """Missing, unparsable or invalid plan files exit 2 with an error naming the file and the problem."""
    path = tmp_path / "plan.json"
    if content is not None:
        path.write_text(content)
    rc = main(["what-if", "--plan", str(path), "--quota", "1", "--booked", "1"])
    err = capsys.readouterr().err
    assert rc == 2
    assert message.format(path=path) in err and "hint:" in err and "Traceback" not in err


@pytest.mark.parametrize(
    "args,message",
    [
        (["--quota", "lots", "--booked", "1"], "--quota 'lots' is not an amount in dollars"),
        (["--quota", "-5", "--booked", "1"], "--quota '-5' must be zero or more"),
        (["--quota", "1", "--booked", "0.001"], "--booked '0.001' has fractions of a cent"),
        (["--quota", "1", "--booked", "1", "--team-attainment", "x"], "--team-attainment 'x' is not a number"),
    ],
    ids=["not a number", "negative", "fraction of a cent", "bad team attainment"],
)
def test_bad_amounts_are_explained(plan_file, capsys, args, message):
    """Amounts that are not dollars are refused with a message naming the option."""
    rc = main(["what-if", "--plan", str(plan_file), *args])
    assert rc == 2 and message in capsys.readouterr().err

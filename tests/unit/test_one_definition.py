"""One definition per number: every module that shows a rep's or a team's quota and won revenue
agrees with every other, cent for cent, on the demo store; and the quota SQL is written once."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from salesops import leaderboards as lb
from salesops import performance
from salesops.cli.main import main
from salesops.comp.queries import load_attainment
from salesops.forecasts.backtest import NO_BACKTEST
from salesops.forecasts.model import ForecastSpec, TargetWindow
from salesops.forecasts.series import SeriesForecast
from salesops.forecasts.targets import outlook_for
from salesops.scope import Scope
from salesops.store.sql import QUOTA_IN_WINDOW, QUOTA_PERIOD_END
from salesops.tools.results import tools_vs_performance

Q3 = Scope(date(2026, 7, 1), date(2026, 9, 30), "quarter")
SCOPES = {
    "a quarter": Q3,
    "a range across a year end": Scope(date(2025, 12, 15), date(2026, 1, 20), "quarter"),
    "one team": Scope(Q3.start, Q3.end, "quarter", team_id="T02"),
    "one region": Scope(Q3.start, Q3.end, "quarter", region="EMEA"),
    # monthly quotas prorated onto a week: fractions of a cent, so rounding shows
    "a week across a month end": Scope(date(2026, 8, 31), date(2026, 9, 6), "week"),
}


def _rep_figures(engine, scope: Scope) -> dict[str, pd.DataFrame]:
    """Per rep (index rep_id): quota_cents and won_cents as each module shows them."""
    perf = performance.attainment_by_rep(engine, scope).set_index("rep_id")
    board = lb.board(engine, scope, "attainment").set_index("rep_id")
    comp = load_attainment(engine, scope).set_index("rep_id")
    return {
        "performance": perf[["quota_cents", "won_cents"]],
        "leaderboards": board[["quota_cents", "won_cents"]],
        "comp": comp.rename(columns={"booked_cents": "won_cents"})[["quota_cents", "won_cents"]],
    }


def _as_int(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype("int64").sort_index()


@pytest.mark.parametrize("name", list(SCOPES))
def test_every_module_shows_the_same_quota_and_won_revenue_per_rep(demo_engine, name):
    """Performance, leaderboards and comp give each rep in scope the same quota and won cents."""
    scope = SCOPES[name]
    figures = {
        k: _as_int(v[(v["quota_cents"] > 0) | (v["won_cents"] > 0)])
        for k, v in _rep_figures(demo_engine, scope).items()
    }
    reference = figures["performance"]
    assert len(reference) > 0
    for module, frame in figures.items():
        pd.testing.assert_frame_equal(frame, reference, check_names=False, obj=f"{module} vs performance ({name})")


@pytest.mark.parametrize("name", list(SCOPES))
def test_the_rep_attainment_is_won_over_quota_everywhere(demo_engine, name):
    """Attainment per rep is the same ratio (won ÷ quota) on the performance page and the board."""
    scope = SCOPES[name]
    perf = performance.attainment_by_rep(demo_engine, scope).set_index("rep_id")["attainment"]
    board = lb.board(demo_engine, scope, "attainment").set_index("rep_id")["attainment"]
    both = perf.dropna().index.intersection(board.dropna().index)
    assert len(both) > 0
    assert board[both].astype(float).to_numpy() == pytest.approx(perf[both].astype(float).to_numpy(), rel=1e-6)


def _team_figures(engine, scope: Scope) -> dict[str, pd.DataFrame]:
    """Per team (index team_id): quota_cents, and won_cents where the module shows it."""
    perf = performance.attainment_by_team(engine, scope).set_index("team_id")
    board = lb.board(engine, scope, "attainment", by="team").set_index("team_id")
    comp = load_attainment(engine, scope).groupby("team_id")[["team_quota_cents"]].first()
    with engine.connect() as conn:
        round_id = conn.execute(sa.text("SELECT round_id FROM survey_rounds ORDER BY round_id LIMIT 1")).scalar_one()
    tools = tools_vs_performance(engine, scope, round_id).groupby("team_id")[["quota_cents", "won_cents"]].first()
    return {
        "performance": perf[["quota_cents", "won_cents"]],
        "leaderboards": board[["quota_cents", "won_cents"]],
        "comp": comp.rename(columns={"team_quota_cents": "quota_cents"}),
        "tools": tools,
    }


@pytest.mark.parametrize("name", list(SCOPES))
def test_every_module_shows_the_same_quota_and_won_revenue_per_team(demo_engine, name):
    """Performance, leaderboards, comp and tools give each team the same quota and won cents."""
    scope = SCOPES[name]
    figures = _team_figures(demo_engine, scope)
    reference = figures["performance"]
    reference = reference[(reference["quota_cents"] > 0) | (reference["won_cents"] > 0)]
    assert len(reference) > 0
    for module, frame in figures.items():
        shown = frame.index.intersection(reference.index)
        assert list(shown.sort_values()) == list(reference.index.sort_values()), module
        quota = frame.loc[shown, "quota_cents"].astype("int64")
        assert quota.to_dict() == reference.loc[shown, "quota_cents"].to_dict(), module
        if "won_cents" in frame:
            won = frame.loc[shown, "won_cents"].astype("int64")
            assert won.to_dict() == reference.loc[shown, "won_cents"].to_dict(), module


@pytest.mark.parametrize("name", list(SCOPES))
def test_the_headline_adds_up_the_teams(demo_engine, name):
    """Home's quota is the sum of the reps' (and the teams') quota; its won cents the teams' won cents."""
    scope = SCOPES[name]
    head = performance.headline(demo_engine, scope)
    reps = performance.attainment_by_rep(demo_engine, scope)
    teams = performance.attainment_by_team(demo_engine, scope)
    assert head.quota_cents == int(reps["quota_cents"].sum()) == int(teams["quota_cents"].sum())
    assert head.won_cents == int(teams["won_cents"].sum())
    assert head.attainment == pytest.approx(head.won_cents / head.quota_cents)


def _cli_by_rep(scope: Scope, capsys, demo_url) -> pd.DataFrame:
    code = main(
        ["metrics", "--by", "rep", "--grain", scope.grain, "--from", str(scope.start), "--to", str(scope.end)]
        + ["--db", demo_url, "--format", "csv"]
    )
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    frame = pd.DataFrame(rows)
    frame[["quota_cents", "won_cents"]] = frame[["quota_cents", "won_cents"]].astype("int64")
    return frame.groupby("group")[["quota_cents", "won_cents"]].sum()


@pytest.mark.parametrize("name", ["a quarter", "a range across a year end"])
def test_the_cli_metrics_by_rep_match_the_pages(demo_engine, demo_url, capsys, name):
    """``metrics --by rep`` sums, over the periods, to each rep's quota (a cent per period) and won cents."""
    scope = SCOPES[name]
    cli = _cli_by_rep(scope, capsys, demo_url)
    perf = performance.attainment_by_rep(demo_engine, scope).set_index("rep_id")
    perf = perf[(perf["quota_cents"] > 0) | (perf["won_cents"] > 0)]
    assert sorted(cli.index) == sorted(perf.index)
    periods = len(scope.periods())
    gap = (cli["quota_cents"] - perf.loc[cli.index, "quota_cents"]).abs()
    assert gap.max() <= periods // 2 + (periods > 1), gap[gap > 0].to_dict()
    assert cli["won_cents"].to_dict() == perf.loc[cli.index, "won_cents"].astype("int64").to_dict()


def _outlook_quota(engine, by: str, series: str | None, scope: Scope) -> int | None:
    window = TargetWindow(
        label="window", start=scope.start, end=scope.end, forecast_from=scope.start, quantiles=(0.0,) * 101
    )
    result = SeriesForecast(
        by=by,
        series=series,
        label="window",
        spec=ForecastSpec(grain="month", horizon=3),
        today=scope.end,
        history=pd.DataFrame({"ds": [], "y": []}),
        forecast=pd.DataFrame({"ds": [], "yhat": [], "yhat_lower": [], "yhat_upper": []}),
        backtest=pd.DataFrame(),
        accuracy=NO_BACKTEST,
        yearly=True,
        windows=(window,),
    )
    return outlook_for(engine, result, "window", scope.end).quota_cents


@pytest.mark.parametrize(
    ("by", "series", "name"),
    [("company", None, "a quarter"), ("team", "T02", "one team"), ("region", "EMEA", "one region")],
)
def test_the_forecast_target_uses_the_same_quota(demo_engine, by, series, name):
    """The forecasts page's target for a whole quarter is that quarter's quota on the performance page."""
    scope = SCOPES[name]
    assert _outlook_quota(demo_engine, by, series, scope) == performance.headline(demo_engine, scope).quota_cents


def test_the_quota_sql_is_written_only_in_store_sql():
    """The quota period end, the period steps and the proration are SQL text in store/sql.py only."""
    root = Path(__file__).resolve().parents[2] / "salesops"
    patterns = [
        r"CASE\s+(\w+\.)?period_type",  # the end of a quota period
        r"INTERVAL '3 months'|INTERVAL 3 MONTH",  # a quarter's step
        r"amount_cents AS DOUBLE(?: PRECISION)?\)\s*\*\s*GREATEST\(0",  # a quota row prorated onto a window
    ]
    offenders = {
        path.relative_to(root).as_posix(): [p for p in patterns if re.search(p, path.read_text(encoding="utf-8"))]
        for path in root.rglob("*.py")
        if path.relative_to(root).as_posix() != "store/sql.py"
    }
    assert {k: v for k, v in offenders.items() if v} == {}
    # …and the patterns do find the fragments where they live (the period end is stored at write
    # time, revision 0016, from QUOTA_PERIOD_END; QUOTA_IN_WINDOW prorates the stored rows)
    assert all(re.search(p, QUOTA_PERIOD_END + QUOTA_IN_WINDOW) for p in patterns)


@pytest.mark.parametrize("at", [date(2026, 3, 31), date(2026, 9, 30), date(2026, 11, 24)])
def test_the_halves_of_open_at_are_disjoint_and_read_exactly_its_deals(demo_engine, at):
    """open_at_parts' two halves share no deal and together are exactly the deals open_at reads."""
    from salesops.store.sql import open_at, open_at_parts

    def ids(where: str) -> list[str]:
        with demo_engine.connect() as conn:
            return [r[0] for r in conn.execute(sa.text(f"SELECT deal_id FROM deals WHERE {where}"), {"at": at})]  # noqa: S608

    whole, (still_open, closed_after) = ids(open_at(":at")), [ids(h) for h in open_at_parts(":at")]
    assert whole and still_open and (closed_after or at == date(2026, 11, 24))  # nothing closes after today
    assert not set(still_open) & set(closed_after)
    assert sorted(still_open + closed_after) == sorted(whole)

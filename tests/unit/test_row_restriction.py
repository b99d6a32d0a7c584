"""The viewer's row restriction in every library entry point that reads rows about reps, teams or pay."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pandas as pd
import pytest
import sqlalchemy as sa

from salesops import access
from salesops import leaderboards as lb
from salesops import performance as perf
from salesops.access import Viewer
from salesops.comp import queries as comp_store
from salesops.errors import AccessDenied, InvalidFilter
from salesops.forecasts import pipeline
from salesops.leaderboards import diagnosis
from salesops.leaderboards.visibility import attainment_band
from salesops.performance import changes, funnel
from salesops.scope import Scope
from salesops.store.sql import WON_KINDS_CTE
from salesops.tools import fairness, results

REP = Viewer("rep@example.com", "rep", "R0001", ("T01",))
MANAGER = Viewer("manager@example.com", "manager", None, ("T01", "T02"))
SCREEN = Viewer("viewer@example.com", "viewer")
BASE = Scope(start=date(2026, 10, 1), end=date(2026, 11, 24), grain="quarter")


def _as(viewer: Viewer | None) -> Scope:
    return replace(BASE, viewer=viewer)


def _reps_of(engine, teams: tuple[str, ...]) -> set[str]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT rep_id, team_id FROM reps")).fetchall()
    return {r for r, t in rows if t in teams}


def _won_cents(engine, rep_id: str) -> int:
    sql = "SELECT COALESCE(SUM(amount_cents), 0) FROM deals WHERE outcome = 'won' AND rep_id = :r AND close_date BETWEEN :s AND :e"
    with engine.connect() as conn:
        return int(conn.execute(sa.text(sql), {"r": rep_id, "s": BASE.start, "e": BASE.end}).scalar_one())


def test_the_scope_keeps_its_viewer_through_period_shifts():
    """previous() and last_year() keep the viewer, so comparisons are restricted too."""
    assert _as(REP).previous().viewer == REP and _as(REP).last_year().viewer == REP


def test_pay_rows_a_rep_their_own_a_manager_their_teams_the_screen_account_none(demo_engine):
    """load_attainment: one row for a rep (with the whole team's figures), T01/T02 reps for a manager, none for the viewer role."""
    everyone = comp_store.load_attainment(demo_engine, _as(None))
    mine = comp_store.load_attainment(demo_engine, _as(REP))
    assert mine["rep_id"].tolist() == ["R0001"]
    full = everyone.set_index("rep_id").loc["R0001"]
    assert mine.iloc[0]["team_quota_cents"] == full["team_quota_cents"]  # team pay still on the whole team
    assert mine.iloc[0]["booked_cents"] == full["booked_cents"] == _won_cents(demo_engine, "R0001")
    managed = comp_store.load_attainment(demo_engine, _as(MANAGER))
    assert set(managed["team_id"]) == {"T01", "T02"}
    assert set(managed["rep_id"]) == set(everyone.loc[everyone.team_id.isin(["T01", "T02"]), "rep_id"])
    assert comp_store.load_attainment(demo_engine, _as(SCREEN)).empty
    assert comp_store.load_attainment(demo_engine, _as(access.NOBODY)).empty


def test_rep_and_team_attainment_follow_the_viewer(demo_engine):
    """attainment_by_rep / _by_team: a rep their own row and no team; a manager their teams; the viewer role no money."""
    assert perf.attainment_by_rep(demo_engine, _as(REP))["rep_id"].tolist() == ["R0001"]
    assert perf.attainment_by_team(demo_engine, _as(REP)).empty
    assert set(perf.attainment_by_team(demo_engine, _as(MANAGER))["team_id"]) == {"T01", "T02"}
    assert set(perf.attainment_by_rep(demo_engine, _as(MANAGER))["rep_id"]) <= _reps_of(demo_engine, ("T01", "T02"))
    screen = perf.attainment_by_rep(demo_engine, _as(SCREEN))
    assert len(screen) == len(perf.attainment_by_rep(demo_engine, _as(None)))
    assert screen["won_cents"].isna().all() and screen["quota_cents"].isna().all()
    assert screen["attainment"].notna().any()


def test_headline_figures_are_the_viewers_own(demo_engine):
    """headline: a rep's won revenue is their own deals'; a manager's is their teams'; staff see the company."""
    assert perf.headline(demo_engine, _as(REP)).won_cents == _won_cents(demo_engine, "R0001")
    teams = perf.attainment_by_team(demo_engine, _as(None)).set_index("team_id")
    assert perf.headline(demo_engine, _as(MANAGER)).won_cents == teams.loc[["T01", "T02"], "won_cents"].sum()
    assert perf.headline(demo_engine, _as(access.LOCAL)).won_cents == teams["won_cents"].sum()
    assert perf.headline_trend(demo_engine, _as(REP), 2)["won_cents"].iloc[-1] == _won_cents(demo_engine, "R0001")


def test_another_reps_deals_and_diagnosis_are_out_of_reach(demo_engine):
    """rep_deals and diagnose of another rep: no rows / 'not in your view'; of oneself: as for staff."""
    assert perf.rep_deals(demo_engine, _as(REP), "R0002").empty
    own = perf.rep_deals(demo_engine, _as(REP), "R0001")
    assert len(own) == len(perf.rep_deals(demo_engine, _as(None), "R0001")) > 0
    with pytest.raises(InvalidFilter, match="in your view"):
        diagnosis.diagnose(demo_engine, _as(REP), "R0002")
    assert diagnosis.diagnose(demo_engine, _as(REP), "R0001").rep_id == "R0001"
    outsider = next(iter(_reps_of(demo_engine, ("T05",))))
    with pytest.raises(InvalidFilter):
        diagnosis.diagnose(demo_engine, _as(MANAGER), outsider)
    assert perf.rep_deals(demo_engine, _as(SCREEN), "R0001")["amount_cents"].isna().all()


def test_funnel_changes_and_fairness_rows_stay_in_the_managers_teams(demo_engine):
    """funnel, week_review and rep_fairness return only the manager's teams' rows."""
    assert set(funnel.funnel(demo_engine, _as(MANAGER))["team_id"]) == {"T01", "T02", "company"}
    review = changes.week_review(demo_engine, _as(MANAGER))
    frames = [v for v in vars(review).values() if isinstance(v, pd.DataFrame) and "team_id" in v]
    for frame in frames:
        assert set(frame["team_id"].dropna()) <= {"T01", "T02"}
    fair = fairness.rep_fairness(demo_engine, _as(MANAGER))
    assert len(fair) and set(fair["team_id"]) <= {"T01", "T02"}


def test_a_rep_is_ranked_against_everyone_but_sees_others_as_ranks_only(demo_engine, monkeypatch):
    """rank_board for a rep (default 'ranks'): every rank kept, only their own row named and with money."""
    everyone = lb.board(demo_engine, _as(None))
    board = lb.board(demo_engine, _as(REP))
    assert len(board) == len(everyone)
    mine = board[board["rep_id"] == "R0001"]
    assert len(mine) == 1 and mine.iloc[0]["rank"] == everyone.set_index("rep_id").loc["R0001", "rank"]
    assert mine.iloc[0]["won_cents"] == everyone.set_index("rep_id").loc["R0001", "won_cents"]
    others = board[board["rep_id"] != "R0001"]
    assert (others["name"] == "").all() and others["won_cents"].isna().all() and others["attainment"].isna().all()
    pd.testing.assert_series_equal(board["rank"], everyone["rank"])
    assert (others["attainment_band"] != "").all()
    monkeypatch.setenv("SALESOPS_LEADERBOARD_VISIBILITY", "names")
    named = lb.board(demo_engine, _as(REP))
    others = named[named["rep_id"] != "R0001"]
    assert (others["name"] != "").all() and others["won_cents"].isna().all() and others["attainment"].notna().any()
    monkeypatch.setenv("SALESOPS_LEADERBOARD_VISIBILITY", "none")
    assert lb.board(demo_engine, _as(REP))["rep_id"].tolist() == ["R0001"]


def test_a_rep_compares_and_diagnoses_only_reps_they_may_name(demo_engine, monkeypatch):
    """Under ``ranks`` a rep's board names only themselves: side by side with a blanked row is refused, not
    read off the masked rows; under ``names`` the others can be compared."""
    monkeypatch.setenv("SALESOPS_LEADERBOARD_VISIBILITY", "ranks")
    board = lb.board(demo_engine, _as(REP))
    assert len(board) > 50 and lb.named_reps(board)["rep_id"].tolist() == ["R0001"]
    with pytest.raises(InvalidFilter, match="shown without a name"):
        lb.compare_reps(board, ["", "R0001"])
    monkeypatch.setenv("SALESOPS_LEADERBOARD_VISIBILITY", "names")
    named = lb.board(demo_engine, _as(REP))
    assert lb.named_reps(named)["rep_id"].tolist() == named["rep_id"].tolist()
    assert lb.compare_reps(named, ["R0001", "R0002"]).shape[1] == 2


def test_tools_beside_performance_keeps_the_viewers_teams(demo_engine):
    """Survey scores beside team performance: a manager gets their teams' rows with the admin's figures, a rep
    no row (no team's money), the screen-share account every team (team totals are not individual money)."""
    with demo_engine.connect() as conn:
        round_id = conn.execute(sa.text("SELECT round_id FROM survey_rounds ORDER BY round_id LIMIT 1")).scalar_one()
    everyone = results.tools_vs_performance(demo_engine, _as(None), round_id)
    assert everyone["team_id"].nunique() > 5
    managed = results.tools_vs_performance(demo_engine, _as(MANAGER), round_id)
    assert len(managed) and set(managed["team_id"]) <= {"T01", "T02"}
    same = everyone[everyone["team_id"].isin(managed["team_id"])].reset_index(drop=True)
    assert managed["won_cents"].tolist() == same["won_cents"].tolist()
    assert managed["quota_cents"].tolist() == same["quota_cents"].tolist()
    assert results.tools_vs_performance(demo_engine, _as(REP), round_id).empty
    assert len(results.tools_vs_performance(demo_engine, _as(SCREEN), round_id)) == len(everyone)


def test_manager_and_screen_account_boards(demo_engine):
    """A manager's board holds only their teams' reps; the viewer role's board has no money."""
    managed = lb.board(demo_engine, _as(MANAGER))
    assert len(managed) and set(managed["team_id"]) <= {"T01", "T02"}
    screen = lb.board(demo_engine, _as(SCREEN))
    assert screen["won_cents"].isna().all() and screen["name"].ne("").all()
    trend = lb.load_rep_trend(demo_engine, _as(REP), ("R0001", "R0002"))
    money = trend[(trend.metric == "won_revenue") & (trend.rep_id == "R0002")]
    assert (money["value"].fillna(0) == 0).all()


def test_attainment_bands():
    """Bands: under 50 %, 50–80 %, 80–100 %, 100–120 %, 120 % and more; undefined is 'no quota'."""
    assert [attainment_band(x) for x in (0.1, 0.5, 0.99, 1.0, 1.5, None)] == [
        "under 50%", "50–80%", "80–100%", "100–120%", "120% and more", "no quota",
    ]  # fmt: skip


def test_forecast_series_are_checked_against_the_viewer(demo_engine):
    """A rep sees the company's and their team's series, not another team's or a region's."""
    assert access.may_see_series(REP, "company", None) and access.may_see_series(REP, "team", "T01")
    assert not access.may_see_series(REP, "team", "T02") and not access.may_see_series(MANAGER, "region", "EMEA")
    assert access.may_see_series(SCREEN, "region", "EMEA") and access.may_see_series(None, "team", "T09")
    with pytest.raises(AccessDenied):
        pipeline.pipeline_by_period(demo_engine, "team", "T05", "month", 3, date(2026, 11, 24), viewer=REP)
    ok = pipeline.pipeline_by_period(demo_engine, "team", "T01", "month", 3, date(2026, 11, 24), viewer=REP)
    assert len(ok)


def test_a_manager_sees_the_company_totals_and_a_rep_does_not(demo_engine):
    """company_headline: the company's figures for a manager (equal to staff's), refused for a rep."""
    company = perf.headline(demo_engine, _as(None))
    assert perf.company_headline(demo_engine, replace(_as(MANAGER), team_id="T01")) == company
    assert perf.company_headline(demo_engine, _as(SCREEN)) == company
    with pytest.raises(AccessDenied):
        perf.company_headline(demo_engine, _as(REP))


def test_kpis_pacing_and_fairness_trend_follow_the_viewer(demo_engine):
    """compare_kpis and pacing of a rep are their own deals'; fairness_trend of a manager holds their teams only."""
    now, _, _ = perf.compare_kpis(demo_engine, _as(REP))
    assert now.won_cents == _won_cents(demo_engine, "R0001")
    assert perf.pacing(demo_engine, _as(REP), date(2026, 11, 24)).won_cents == _won_cents(demo_engine, "R0001")
    trend = fairness.fairness_trend(demo_engine, _as(MANAGER))
    assert len(trend) and set(trend["team_id"]) <= {"T01", "T02"}


def test_plan_saving_is_for_admin_and_ops(demo_engine, tmp_path):
    """save_plan refuses a manager, a rep and the viewer role, and stores (and audits) for ops."""
    from salesops import audit
    from salesops.comp import plan_format
    from salesops.demo import build_demo
    from salesops.store import open_store
    from tests.conftest import ROOT, SEED, TODAY

    engine = open_store(f"duckdb:///{tmp_path / 'plans.duckdb'}")
    build_demo(engine, seed=SEED, today=TODAY)
    plan = plan_format.plan_from_json((ROOT / "docs" / "plans" / "split-75-25.json").read_text(), "example")
    for viewer in (MANAGER, REP, SCREEN):
        with pytest.raises(AccessDenied):
            comp_store.save_plan(engine, plan, who=viewer.email, viewer=viewer)
    ops = Viewer("ops@example.com", "ops")
    pid, version = comp_store.save_plan(engine, plan, who=ops.email, viewer=ops)
    assert version == 1 and len(comp_store.list_plans(engine)) == 1
    assert audit.load_audit(engine).iloc[0][["who", "what"]].tolist() == ["ops@example.com", "plan saved"]
    engine.dispose()


def test_outlook_rows_follow_the_viewer(demo_engine):
    """Outlook rows: a rep sees their own rep row and team, a manager their teams' reps, the screen account no rep."""
    from salesops.forecasts.outlook_cache import visible_rows

    with demo_engine.connect() as conn:
        team_of = dict(conn.execute(sa.text("SELECT rep_id, team_id FROM reps ORDER BY rep_id")).fetchall())
    reps = pd.DataFrame({"series": list(team_of)})
    teams = pd.DataFrame({"series": sorted(set(team_of.values()))})
    regions = pd.DataFrame({"series": ["EMEA", "NA"]})
    assert list(visible_rows(demo_engine, reps, "rep", REP)["series"]) == ["R0001"]
    assert set(visible_rows(demo_engine, reps, "rep", MANAGER)["series"]) == _reps_of(demo_engine, ("T01", "T02"))
    assert visible_rows(demo_engine, reps, "rep", SCREEN).empty
    assert len(visible_rows(demo_engine, reps, "rep", access.LOCAL)) == len(team_of)
    assert list(visible_rows(demo_engine, teams, "team", REP)["series"]) == ["T01"]
    assert list(visible_rows(demo_engine, teams, "team", MANAGER)["series"]) == ["T01", "T02"]
    assert len(visible_rows(demo_engine, teams, "team", SCREEN)) == len(teams)
    assert visible_rows(demo_engine, regions, "region", MANAGER).empty
    assert len(visible_rows(demo_engine, regions, "region", SCREEN)) == 2


def test_the_cached_outlook_of_teams_is_restricted_to_a_managers_teams(demo_engine):
    """cached_outlook(viewer=manager) returns the manager's two team rows, with the same figures as staff sees."""
    from salesops.forecasts.outlook_cache import cached_outlook, current_period

    period = current_period("quarter", date(2026, 11, 24))
    every = cached_outlook(demo_engine, period, "team", date(2026, 11, 24))
    mine = cached_outlook(demo_engine, period, "team", date(2026, 11, 24), viewer=MANAGER)
    assert list(mine["series"]) == ["T01", "T02"]
    pd.testing.assert_frame_equal(mine, every[every["series"].isin(["T01", "T02"])].reset_index(drop=True))


def test_the_screen_account_sees_no_deal_amount_beside_a_rep(demo_engine):
    """week_review's listed changes and customer_deals: amounts blank for the viewer role, kept for staff; the week's counts stay."""
    from salesops.customers.queries import customer_deals

    staff, screen = changes.week_review(demo_engine, _as(None)), changes.week_review(demo_engine, _as(SCREEN))
    assert len(screen.changes) == len(staff.changes) > 0 and staff.changes["amount_cents"].notna().any()
    assert screen.changes["amount_cents"].isna().all() and screen.changes["amount_change_cents"].isna().all()
    re_valued = staff.changes["amount_change_cents"].notna()
    assert re_valued.any() and screen.changes.loc[re_valued, ["old_value", "new_value"]].isna().all().all()
    assert screen.counts.equals(staff.counts)
    with demo_engine.connect() as conn:
        sql = f"{WON_KINDS_CTE} SELECT customer_id FROM won_cust ORDER BY deal_id LIMIT 5"  # noqa: S608 - constant
        ids = [r[0] for r in conn.execute(sa.text(sql))]
    deals = customer_deals(demo_engine, ids, replace(BASE, start=date(2020, 1, 1)))
    assert len(deals) and deals["amount_cents"].notna().all()
    shown = customer_deals(demo_engine, ids, replace(BASE, start=date(2020, 1, 1), viewer=SCREEN))
    assert len(shown) == len(deals) and shown["amount_cents"].isna().all()

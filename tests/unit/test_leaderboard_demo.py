"""Leaderboards on the demo: the planted stars and strugglers are flagged, the low-volume hire is not."""

from __future__ import annotations

from datetime import date

import pytest

from salesops import leaderboards as lb
from salesops.demo import planted_reps
from salesops.leaderboards import diagnosis
from salesops.scope import Scope
from tests.conftest import SEED, TODAY

WINDOWS = {
    "year to date": Scope(date(2026, 1, 1), TODAY, "year"),
    "last 12 months": Scope(date(2025, 11, 25), TODAY, "month"),
}


def _planted(trait: str) -> set[str]:
    reps = planted_reps(SEED, "small", TODAY)
    return set(reps.loc[reps.trait == trait, "rep_id"])


@pytest.mark.parametrize("window", list(WINDOWS))
def test_the_planted_stars_and_strugglers_are_flagged_and_the_new_hire_is_not(demo_engine, window):
    """On a long window the three stars are top performers, the three strugglers under, R0026 neither."""
    board = lb.board(demo_engine, WINDOWS[window]).set_index("rep_id")
    stars, strugglers, low = _planted("star"), _planted("struggler"), _planted("low_volume")
    assert stars == {"R0001", "R0037", "R0073"} and strugglers == {"R0013", "R0061", "R0109"}
    assert set(board.index[board.flag == "top"]) >= stars
    assert set(board.index[board.flag == "under"]) >= strugglers
    assert board.loc[sorted(low), "flag"].tolist() == [""]
    # Flags are the exception, not the rule: at most a fifth of the AEs.
    assert (board.flag != "").sum() <= 0.2 * (board.role == "AE").sum()
    assert "attainment" in board.loc["R0001", "reason"]


def test_stars_lead_the_default_attainment_board(demo_engine):
    """Year to date, the three stars hold the top three places by attainment."""
    board = lb.board(demo_engine, WINDOWS["year to date"])
    assert set(board["rep_id"].head(3)) == {"R0001", "R0037", "R0073"}


def test_the_low_volume_hire_is_in_the_ramping_or_first_year_cohort(demo_engine):
    """R0026 (hired ~5 months ago) is not a veteran, so the cohort filter can lift them out."""
    board = lb.board(demo_engine, WINDOWS["year to date"]).set_index("rep_id")
    assert board.loc["R0026", "cohort"] in ("ramping", "first_year")


def test_a_struggler_stalls_at_proposal(demo_engine):
    """R0013's deals die in Proposal and sit there longer than the team's: a stall finding."""
    d = diagnosis.diagnose(demo_engine, WINDOWS["year to date"], "R0013")
    stalled = d.funnel.loc[d.funnel.stall, "stage"].tolist()
    assert "Proposal" in stalled
    assert any("Proposal" in f for f in d.findings)
    assert d.activities["rep"].sum() < d.activities["team_avg"].sum()


def test_the_stalled_funnel_team_shows_plenty_of_leads_few_qualified(demo_engine):
    """A Paris SMB (T09) AE with many leads and few SQLs gets the lead-quality red flag; a star does not."""
    board = lb.board(demo_engine, WINDOWS["year to date"], "won_revenue")
    t09 = board[(board.team_id == "T09") & (board.role == "AE")]["rep_id"].iloc[0]
    d = diagnosis.diagnose(demo_engine, WINDOWS["year to date"], t09)
    assert bool(d.leads["red_flag"].iloc[0])
    assert any("Plenty of leads, few qualified" in f for f in d.findings)
    star = diagnosis.diagnose(demo_engine, WINDOWS["year to date"], "R0001")
    assert not bool(star.leads["red_flag"].iloc[0])
    assert not star.funnel["stall"].any()

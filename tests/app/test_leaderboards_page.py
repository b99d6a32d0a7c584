"""AppTest: the Leaderboards page on the demo store — board, metric switch, why behind, side by side, presentation."""

from __future__ import annotations

import re

import pytest


@pytest.fixture
def board(app):
    """The app on the Leaderboards page, year to date (a long window with flags)."""
    app.switch_page("pages/leaderboards.py").run()
    app.selectbox(key="grain").set_value("year").run()
    assert not app.exception, app.exception
    return app


def _frame_with(at, column: str):
    """The first dataframe on the page that has ``column`` (AppTest does not expose dataframe keys)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def _reps(at):
    """The rep board: the frame with Rep and Flag but no Why (the flagged reps' table has that)."""
    return next(
        d.value for d in at.dataframe if {"Rep", "Flag"} <= set(d.value.columns) and "Why" not in d.value.columns
    )


def test_the_board_ranks_reps_by_attainment_and_shows_teams_beside(board):
    """The default rep board is ranked by attainment with the stars on top; the team board lists 11 teams."""
    assert board.title[0].value == "Leaderboards"
    reps = _reps(board)
    assert reps["rank"].iloc[0] == 1
    assert set(reps["Rep"].head(3)) == {"Jamie Muller", "Ingrid Lee", "Ethan Price"}  # R0001, R0037, R0073
    assert len(_frame_with(board, "reps")) == 11
    assert any("Top performer" in m.value for m in board.markdown)
    assert any("Needs help" in m.value for m in board.markdown)


def test_changing_the_metric_reorders_the_board(board):
    """Ranking by activities puts different reps first than ranking by attainment."""
    before = _reps(board)["Rep"].head(5).tolist()
    board.selectbox(key="lb_metric").set_value("activities").run()
    assert not board.exception
    after = _reps(board)
    assert after["Rep"].head(5).tolist() != before
    assert after["Activities"].is_monotonic_decreasing


def test_the_composite_metric_shows_weight_sliders(board):
    """Composite shows a slider per metric; moving one re-ranks without errors."""
    board.selectbox(key="lb_metric").set_value("composite").run()
    assert board.slider(key="lb_w_attainment").value == 3
    before = _reps(board)["Rep"].tolist()
    board.slider(key="lb_w_attainment").set_value(0).run()
    board.slider(key="lb_w_activities").set_value(5).run()
    assert not board.exception
    assert _reps(board)["Rep"].tolist() != before


def test_a_cohort_narrows_the_board(board):
    """The ramping cohort shows only ramping reps, ranked among themselves."""
    board.selectbox(key="lb_cohort").set_value("ramping").run()
    board.pills(key="lb_more").set_value(["Cohort"]).run()
    reps = _reps(board)
    assert len(reps) > 0 and set(reps["Cohort"]) == {"Ramping"}


def test_why_behind_explains_a_struggler(board):
    """Picking R0013 shows a stall at Proposal among the findings."""
    board.session_state["lb_tab"] = "Why behind"  # only the open tab runs
    board.run()
    board.selectbox(key="lb_why_rep").set_value("R0013").run()
    assert not board.exception
    assert any("Proposal" in w.value for w in board.warning)
    assert len(board.get("vega_lite_chart")) >= 1


def test_side_by_side_compares_the_picked_reps(board):
    """Two reps side by side give one column each and a trend chart."""
    board.session_state["lb_tab"] = "Side by side"
    board.run()
    board.multiselect(key="lb_compare").set_value(["R0001", "R0013"]).run()
    assert not board.exception
    table = _frame_with(board, "Jamie Muller (R0001)")
    assert list(table.columns) == ["Jamie Muller (R0001)", "Ella Patel (R0013)"]


def test_presentation_mode_hides_money_and_shows_a_large_board(board):
    """Presentation mode switches 'Hide money' on and draws the big-type tables."""
    board.toggle(key="present").set_value(True).run()
    assert not board.exception
    assert board.toggle(key="lb_hide_money").value is True
    table = board.table[0].value
    assert list(table.columns[:4]) == ["Rank", "Move", "Rep", "Attainment"]
    assert "$" not in table.to_string()


def test_presentation_mode_lists_the_top_aes_and_names_nobody_who_needs_help(board):
    """The shared screen shows the 10 best-ranked AEs only and no 'Needs help' line."""
    board.toggle(key="present").set_value(True).run()
    table = board.table[0].value
    assert len(table) == 10
    assert [int(r) for r in table["Rank"]] == sorted(int(r) for r in table["Rank"])
    assert not [m for m in board.markdown if "Needs help" in m.value]


def test_hide_money_masks_amounts_on_the_board(board):
    """With money hidden the won column shows ••• and no dollar amount."""
    board.toggle(key="lb_hide_money").set_value(True).run()
    reps = _reps(board)
    assert set(reps["Won"]) == {"•••"}


def test_only_the_open_tab_runs(board):
    """On the Board tab the why-behind and side-by-side widgets (and their queries) do not run."""
    keys = {w.key for w in board.selectbox} | {w.key for w in board.multiselect}
    assert "lb_why_rep" not in keys and "lb_compare" not in keys


def test_the_board_ranks_by_new_logo_revenue(board):
    """Picking new-logo revenue says so above the board, shows its column and ranks the reps by it."""
    board.selectbox(key="lb_metric").set_value("new_logo_revenue").run()
    assert not board.exception
    assert any("ranked by **New-logo revenue**" in c.value for c in board.caption)
    reps = _reps(board)
    assert "New-logo revenue" in reps.columns
    assert reps["rank"].dropna().is_monotonic_increasing and reps["rank"].iloc[0] == 1


def test_sparklines_hold_only_numbers_so_none_draws_as_text(board):
    """A rep without a value in some periods (hired within the trend) gets a shorter line, never a None
    (Streamlit then prints the raw list as text)."""
    trends = _reps(board)["trend"]
    assert any(len(t) < max(len(u) for u in trends) for t in trends)  # the demo has recent hires
    assert all(v is not None and v == v for t in trends for v in t)  # noqa: PLR0124 - NaN test


#: 2026-11-24 is day 55 of the 92 days of 2026-Q4 (31 in October + 24).
Q4_SHARE = 55 / 92


def test_a_quarter_to_date_says_it_is_partial_and_paces_both_boards_and_the_flags(app):
    """The current quarter (day 55 of 92) is called partial above the boards, each board gets Pace =
    attainment to date ÷ 55/92, and each Top performer / Needs help line carries its pace."""
    app.switch_page("pages/leaderboards.py").run()
    assert not app.exception
    assert any("partial quarter: 60% of the quarter elapsed" in c.value for c in app.caption)
    assert any("Pace is the rep's attainment to date ÷ 60%" in c.value for c in app.caption)
    for frame in (_reps(app), _frame_with(app, "reps")):
        quota = frame["attainment"].notna()
        assert quota.any()
        assert (frame.loc[quota, "pace"] - frame.loc[quota, "attainment"] * 92 / 55).abs().max() < 1e-9
    lines = [m.value for m in app.markdown if "Top performer" in m.value or "Needs help" in m.value]
    assert lines
    reps = _reps(app).set_index("Rep")
    for line in lines:
        name = re.search(r"\*\*(?:Top performer|Needs help): (.+?)\*\*", line).group(1)
        expected = {
            f"to date: on pace for {a * 92 / 55:.0f}% (60% of the quarter elapsed)"
            for a in reps.loc[[name], "attainment"]
        }
        assert any(e in line for e in expected), line


def test_a_finished_quarter_has_no_partial_note_and_no_pace(app):
    """2026-Q3 is over: no 'partial' caption, no Pace column, no 'on pace' in the flag lines."""
    app.switch_page("pages/leaderboards.py").run()
    app.selectbox(key="period").set_value("2026-Q3").run()
    assert not app.exception
    assert not any("partial" in c.value.lower() for c in app.caption)
    assert "pace" not in _reps(app).columns and "pace" not in _frame_with(app, "reps").columns
    assert not any("on pace" in m.value for m in app.markdown)
    assert any("Top performer" in m.value or "Needs help" in m.value for m in app.markdown)


def _rep_board_columns(at) -> list[str]:
    """The rep board's shown columns, in order (the dataframe's column_order)."""
    board = next(d for d in at.dataframe if {"Rep", "Flag"} <= set(d.value.columns) and "Why" not in d.value.columns)
    return list(board.proto.column_order)


def test_a_metric_with_its_own_column_takes_pipelines_place_until_picked(board):
    """Ranked by composite the score column replaces Pipeline (the board fits 1366 px); More columns brings it back."""
    assert "Pipeline" in _rep_board_columns(board)
    board.selectbox(key="lb_metric").set_value("composite").run()
    shown = _rep_board_columns(board)
    assert "Pipeline" not in shown and "Composite score" in shown and shown[-1] in ("trend", "attainment_band")
    board.pills(key="lb_more").set_value(["Pipeline"]).run()
    assert "Pipeline" in _rep_board_columns(board)


def test_past_the_lines_per_flag_every_flagged_rep_is_in_one_table(board, monkeypatch):
    """With two lines per flag (the demo's year to date flags more) the page lists two of each and puts
    every flagged rep, with the reason and its pace to date, in one table; the lines are the table's
    first of each flag."""
    monkeypatch.setattr("salesops.leaderboards.FLAG_LINES", 2)
    board.run()
    assert not board.exception
    lines = [m.value for m in board.markdown if "Top performer" in m.value or "Needs help" in m.value]
    every = _frame_with(board, "Why")
    assert list(every.columns) == ["Flag", "Rep", "Team", "Why", "To date"]  # the year is partial
    assert every["To date"].str.startswith("on pace for ").any()
    assert len(every) > 4 and set(every["Flag"]) == {"Top performer", "Needs help"}
    assert len(lines) == 4
    for flag in ("Top performer", "Needs help"):
        named = [re.search(r"\*\*.+?: (.+?)\*\*", line).group(1) for line in lines if flag in line]
        assert named == every.loc[every["Flag"] == flag, "Rep"].head(2).tolist()
    assert any(f"{len(every) - 4:,} more flagged reps" in c.value for c in board.caption)


def test_presentation_mode_past_the_lines_counts_the_other_top_performers_and_has_no_table(board, monkeypatch):
    """On the shared screen, with two lines per flag: two Top performer lines, a count of the other
    top performers, and neither a Needs help line nor the table of every flagged rep."""
    monkeypatch.setattr("salesops.leaderboards.FLAG_LINES", 2)
    board.toggle(key="present").set_value(True).run()
    assert not board.exception
    assert len([m for m in board.markdown if "Top performer" in m.value]) == 2
    assert not [m for m in board.markdown if "Needs help" in m.value]
    assert any(re.fullmatch(r"\d+ more top performers\.", c.value) for c in board.caption)
    assert not [d for d in board.dataframe if "Why" in d.value.columns]

"""AppTest: the compensation simulator on the demo store."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT


@pytest.fixture
def comp_page(app):
    """The app switched to the compensation page."""
    app.switch_page("pages/compensation.py").run()
    assert not app.exception, app.exception
    return app


def _metric(at, label: str) -> str:
    """A tile's value by label ("Plan cost" also finds "Plan cost to date", the quarter-to-date view)."""
    return next(m.value for m in at.metric if m.label in (label, f"{label} to date"))


def _total_caption(at) -> str:
    return next(c.value for c in at.caption if c.value.startswith("Total variable pay"))


def test_the_page_shows_plan_cost_rates_and_the_distribution(comp_page):
    """Plan cost, cost as % of revenue and effective rate are shown with a distribution chart."""
    at = comp_page
    assert at.title[0].value == "Compensation"
    assert _metric(at, "Plan cost").startswith("$")
    assert [m.label for m in at.metric][0] == "Plan cost to date"  # the demo's quarter is not over
    assert any(i.value.startswith("**Pay to date** (") and "same pace" in i.value for i in at.info)
    assert _metric(at, "Cost ÷ revenue").endswith("%")
    assert _metric(at, "Effective rate").endswith("%")
    assert len(at.get("vega_lite_chart")) >= 1
    assert len(at.dataframe) == 0  # the per-rep table is its own tab: a slider move redraws less
    assert any("**Per rep** tab" in c.value for c in at.caption)


def test_the_per_rep_tab_shows_each_reps_pay_and_follows_the_sliders(comp_page):
    """The Per rep tab: one row per rep with a quota in the view, named (no raw ids), and the 50/50 split
    changes the rows' variable pay as it changes the Payouts tab's total."""
    at = comp_page
    at.session_state["comp_tab"] = "Per rep"
    at.run()
    assert not at.exception
    (table,) = at.dataframe
    frame = table.value
    assert len(frame) > 10 and {"Rep", "Team", "Variable pay"} <= set(frame.columns)
    assert not frame["Rep"].str.match(r"^R\d{4}$").any()  # names, not ids
    assert not any(m.label.startswith("Plan cost") for m in at.metric)  # only the open tab runs
    before = frame["Variable pay"].sum()
    at.slider(key="comp_split").set_value(50).run()
    after = at.dataframe[0].value["Variable pay"].sum()
    assert after != before


def test_moving_the_split_slider_changes_the_totals(comp_page):
    """75/25 → 50/50 changes the total variable pay (individual and team attainments differ)."""
    at = comp_page
    before = _total_caption(at)
    tile = _metric(at, "Plan cost")
    at.slider(key="comp_split").set_value(50).run()
    assert not at.exception, at.exception
    assert _total_caption(at) != before
    assert _metric(at, "Plan cost") != tile  # three significant digits: the tile moves too


def test_the_team_bonus_alternative_and_whole_tier_run(comp_page):
    """Switching to individual + team bonus and to whole tier recomputes without errors."""
    at = comp_page
    before = _total_caption(at)
    at.radio(key="comp_team_mode").set_value("bonus").run()
    at.radio(key="comp_mechanic").set_value("whole_tier").run()
    assert not at.exception, at.exception
    assert _total_caption(at) != before


def test_the_what_if_shows_each_component_for_a_dragged_attainment(comp_page):
    """Dragging the rep's attainment to 150 % shows a larger variable pay than at 50 %."""
    at = comp_page
    at.session_state["comp_tab"] = "What-if"  # only the open tab runs
    at.run()
    at.slider(key="comp_whatif_att").set_value(50).run()
    low = _metric(at, "Variable pay")
    at.slider(key="comp_whatif_att").set_value(150).run()
    high = _metric(at, "Variable pay")
    assert not at.exception
    to_cents = lambda s: int(s.replace("$", "").replace(",", "").replace(".", ""))  # noqa: E731
    assert to_cents(high) > to_cents(low)


def test_comparing_with_an_example_plan_shows_the_difference_per_rep(comp_page):
    """Plan B (an example plan) is compared: costs side by side and a per-rep difference table."""
    at = comp_page
    at.session_state["comp_tab"] = "Compare"
    at.run()
    options = at.selectbox(key="comp_compare_with").options
    at.selectbox(key="comp_compare_with").set_value(next(o for o in options if o.startswith("Example:"))).run()
    assert not at.exception
    assert any(m.label.startswith("Plan cost — B") for m in at.metric)
    assert any("B − A" in d.value.columns for d in at.dataframe)


def test_a_plan_paying_new_business_and_renewals_apart_runs_on_the_demo(comp_page):
    """Plan B = the example paying 10% on new business and 4% on the rest: it is paid from the demo's
    bookings per deal type, so its cost is a real amount, not $0."""
    at = comp_page
    at.session_state["comp_tab"] = "Compare"
    at.run()
    at.selectbox(key="comp_compare_with").set_value("Example: New business vs renewals").run()
    assert not at.exception
    cost = next(m.value for m in at.metric if m.label == "Plan cost — B (New business vs renewals)")
    assert cost.startswith("$") and cost not in ("$0", "$0.00")


def test_the_plan_document_is_shown_with_its_worked_examples(comp_page):
    """The plan document tab renders the Markdown, including the worked examples."""
    comp_page.session_state["comp_tab"] = "Plan document"
    comp_page.run()
    text = "\n".join(m.value for m in comp_page.markdown)
    assert "## Worked examples" in text and "| 130% |" in text


def test_presentation_mode_hides_individual_pay(comp_page):
    """In presentation mode the per-rep tables and the what-if are hidden; aggregates stay."""
    at = comp_page
    at.toggle(key="present").set_value(True).run()
    assert not at.exception
    assert len(at.dataframe) == 0
    assert _metric(at, "Plan cost").startswith("$")
    assert any("hidden in presentation mode" in i.value for i in at.info)
    assert not any(s.key == "comp_whatif_att" for s in at.slider)
    at.session_state["comp_tab"] = "Per rep"
    at.run()
    assert len(at.dataframe) == 0 and any("hidden in presentation mode" in i.value for i in at.info)


def test_an_empty_store_shows_the_empty_state(monkeypatch, tmp_path):
    """With no data the page says how to load some instead of failing."""
    monkeypatch.setenv("SALESOPS_DB_URL", f"duckdb:///{tmp_path / 'empty.duckdb'}")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("pages/compensation.py").run()
    assert not at.exception
    assert any("python -m salesops demo" in i.value for i in at.info)


def test_only_the_open_tab_runs(comp_page):
    """On the Payouts tab the what-if, plan B and the plan document do not run; opening a tab runs it."""
    at = comp_page
    assert not any(s.key == "comp_whatif_att" for s in at.slider)
    assert not any(s.key == "comp_compare_with" for s in at.selectbox)
    assert not any("## Worked examples" in m.value for m in at.markdown)
    at.session_state["comp_tab"] = "What-if"
    at.run()
    assert any(s.key == "comp_whatif_att" for s in at.slider)
    assert not any(m.label == "Plan cost" or m.label == "Plan cost to date" for m in at.metric)

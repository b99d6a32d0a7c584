"""AppTest: the Forecasts page on the demo store and on an empty one."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT

pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword")


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_the_page_shows_the_forecast_the_track_record_and_the_target(app):
    """On the demo the page draws both charts, the accuracy figures, a verdict and the quota outlook."""
    app.switch_page("pages/forecasts.py").run()
    assert not app.exception, app.exception
    assert app.title[0].value == "Forecasts"
    assert len(app.get("vega_lite_chart")) >= 2
    figures = _metrics(app)
    for label in ("WAPE", "MASE", "MAPE", "80% coverage", "Quota", "Chance of reaching quota"):
        assert label in figures, label
    assert figures["WAPE"].endswith("%")
    assert "Pipeline-weighted" in figures and figures["Suggested target (P70)"].startswith("$")
    verdicts = [e.value for e in (*app.warning, *app.success)]
    assert any("baseline for the company" in v for v in verdicts)
    assert any("80% interval" in c.value for c in app.caption)
    # the weekly and monthly views of the quarter compared (agree, or why not)
    assert any("Weekly and monthly views of 2026" in c.value for c in app.caption)


def test_the_outlook_leads_the_page_with_its_range_chance_and_model(app):
    """The quarter's outlook: P50, the calibrated range, the chance of quota, the chart and the model chosen by backtest."""
    app.switch_page("pages/forecasts.py").run()
    assert not app.exception, app.exception
    figures = _metrics(app)
    assert all(figures[k].startswith("$") for k in ("Expected (P50)", "Low (P10)", "High (P90)"))
    assert figures["Chance of quota"] == ">99%"  # the demo's company is far above its Q4 quota, but not certain
    assert any("The company, 2026-Q4 as of 2026-11-24 (the period is partial)" in c.value for c in app.caption)
    assert any("per-series choice by backtest" in c.value and "not computed" in c.value for c in app.caption)
    assert app.button_group(key="outlook_kind").value == "quarter"
    table = next(d.value for d in app.dataframe if "Won so far" in d.value.columns)
    assert list(table.columns[:2]) == ["Series", "Won so far"] and len(table) == 5  # the company and 4 regions
    assert all(v.startswith("$") for v in table["Expected"])


@pytest.fixture
def stored_choice(demo_engine):
    """The demo's model choice stored without Prophet (fast); removed after the test."""
    import sqlalchemy as sa

    from salesops.forecasts import choice
    from salesops.store.schema import forecast_cache
    from tests.conftest import TODAY

    frame = choice.warm_choices(demo_engine, TODAY, workers=1, limit=0)
    yield frame
    with demo_engine.begin() as conn:
        conn.execute(sa.delete(forecast_cache).where(forecast_cache.c.cache_key.like(choice._key(TODAY, "%"))))


def test_the_model_chosen_by_backtest_leads_and_the_others_are_one_click_away(stored_choice, app):
    """With a stored choice the page says which model and why; picking another shows its figures."""
    app.switch_page("pages/forecasts.py").run()
    assert not app.exception, app.exception
    company = stored_choice[(stored_choice["by"] == "company") & stored_choice["chosen"]].iloc[0]
    picker = app.button_group(key="outlook_model")
    assert picker.value == company["method"] and picker.options == ["Outlook", "Seasonal naive"]
    assert any(m.value.startswith(f"**Model chosen: {company['method']}** — mean WAPE") for m in app.markdown)
    picker.set_value("seasonal naive").run()
    figures = [(m.label, m.value) for m in app.metric][:5]
    assert figures[1] == ("Low (P10)", "no range") and figures[0][1].startswith("$")
    assert (
        any("Showing seasonal naive (picked)" in m.value for m in app.markdown) or company["method"] == "seasonal naive"
    )
    record = next(d.value for d in app.dataframe if "WAPE at two thirds" in d.value.columns)
    assert len(record) == 2 and record["Model"].str.endswith("(chosen)").sum() == 1


def test_switching_team_forecasts_that_team(app):
    """Picking a team in the sidebar forecasts that team; a monthly grain and a horizon change keep it working."""
    app.switch_page("pages/forecasts.py").run()
    before = _metrics(app)["Quota"]
    app.selectbox(key="team").set_value("T05").run()
    assert not app.exception, app.exception
    assert any("team Seattle Mid-Market" in c.value for c in app.caption)
    assert _metrics(app)["Quota"] != before
    app.button_group(key="forecast_grain").set_value("month").run()
    assert not app.exception, app.exception
    assert any("per month" in c.value for c in app.caption)
    app.select_slider(key="forecast_confidence").set_value(0.9).run()
    assert "Suggested target (P90)" in _metrics(app)


def test_presentation_mode_hides_the_tables_but_keeps_the_figures(app):
    """In presentation mode the accuracy figures stay; the compare toggle and downloads are gone."""
    app.toggle(key="present").set_value(True).run()
    app.switch_page("pages/forecasts.py").run()
    assert not app.exception, app.exception
    assert "WAPE" in _metrics(app)
    assert not [t for t in app.toggle if t.key == "forecast_compare"]


def test_an_empty_store_shows_how_to_load_data(monkeypatch, tmp_path):
    """No won deals: the page shows the empty state instead of a forecast."""
    monkeypatch.setenv("SALESOPS_DB_URL", f"duckdb:///{tmp_path / 'empty.duckdb'}")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("pages/forecasts.py").run()
    assert not at.exception, at.exception
    assert any("python -m salesops demo" in i.value for i in at.info)


@pytest.fixture
def month_outlooks_removed(demo_engine):
    """The demo stores the quarter's outlooks only; this month's, computed by a test, are removed after it."""
    import sqlalchemy as sa

    from salesops.store.schema import forecast_cache

    def remove() -> None:
        with demo_engine.begin() as conn:
            conn.execute(sa.delete(forecast_cache).where(forecast_cache.c.cache_key.like("outlook|%|2026-11|%")))

    remove()
    yield
    remove()


def test_a_missing_outlook_is_computed_apart_while_the_page_says_so(month_outlooks_removed, demo_engine, app):
    """The month's outlook is not stored: the page says it is being computed (about how long, no figure),
    a child process computes it, and the next run shows it."""
    from salesops.forecasts import apart

    app.switch_page("pages/forecasts.py").run()
    app.button_group(key="outlook_kind").set_value("month").run()
    assert not app.exception, app.exception
    waiting = [i.value for i in app.info if "being computed in the background" in i.value]
    assert waiting and waiting[0].startswith("The 2026-11 outlook is being computed") and "about 1 minute" in waiting[0]
    assert "Low (P10)" not in _metrics(app)  # no figure while it is computed, nor its chart
    assert not any("won so far, expected pipeline" in c.proto.spec for c in app.get("vega_lite_chart"))
    job = apart.current(demo_engine)  # the app's job for this store (same URL)
    assert job is not None and job.wait(240) == 0, job.error()
    app.run()
    assert not app.exception, app.exception
    assert not [i for i in app.info if "being computed" in i.value]
    assert _metrics(app)["Expected (P50)"].startswith("$")
    assert any("The company, 2026-11 as of 2026-11-24" in c.value for c in app.caption)


def test_the_outlook_tiles_get_a_head_start_on_the_first_run_only(app, tile_pauses):
    """widgets.let_tiles_show: the first run in a session waits once the outlook's tiles are drawn; the
    outlook's own rerun (the month picked) does not wait again."""
    from pages.ui import widgets

    app.switch_page("pages/forecasts.py").run()
    assert not app.exception, app.exception
    assert tile_pauses == [widgets.TILES_PAUSE_S]
    app.button_group(key="outlook_kind").set_value("month").run()
    assert not app.exception, app.exception
    assert tile_pauses == [widgets.TILES_PAUSE_S]

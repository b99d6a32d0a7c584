"""widgets.let_tiles_show on Home and Sales tools (Team performance and Forecasts have their own tests): a
browser session's first run of the page waits once, after its tiles; later runs in the session do not."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT


@pytest.mark.parametrize(
    "script, page",
    [
        ("app.py", "home"),
        ("pages/tools.py", "tools"),
    ],
)
def test_a_sessions_first_run_of_a_page_gives_its_first_figures_a_head_start_once(app_env, tile_pauses, script, page):
    from pages.ui import widgets

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()  # Home: the session's first page
    assert not at.exception, at.exception
    assert tile_pauses == [widgets.TILES_PAUSE_S]
    assert at.session_state["_tiles_shown_home"]
    if script != "app.py":
        at.switch_page(script).run()
        assert not at.exception, at.exception
        assert tile_pauses == [widgets.TILES_PAUSE_S] * 2, "the page's first run waits once"
        assert at.session_state[f"_tiles_shown_{page}"]
    waited = list(tile_pauses)
    at.selectbox(key="team").set_value("T05").run()  # a filter change: the figures' code is loaded by now
    assert not at.exception, at.exception
    at.switch_page("app.py").run()  # back to Home, then again to the page
    if script != "app.py":
        at.switch_page(script).run()
    assert not at.exception, at.exception
    assert tile_pauses == waited, "no later run in the session waits"

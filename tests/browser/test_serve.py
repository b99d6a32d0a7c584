"""The launcher `make run` starts (pages/ui/serve.py): warm before anyone visits, then the app as usual."""

from __future__ import annotations

import time

import pytest

from tests.conftest import wait_for_app

pytestmark = pytest.mark.browser


def test_the_server_warms_before_the_first_visit_then_serves_home(fresh_server, browser, tmp_path):
    """With no browser connected yet, the server log says the warm-up finished; the first visit then shows Home."""
    log = tmp_path / "server.log"
    deadline = time.time() + 180
    while "warm-up finished" not in log.read_text(errors="replace"):
        assert time.time() < deadline, log.read_text(errors="replace")[-3000:]
        time.sleep(0.5)
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    try:
        page = context.new_page()
        page.goto(fresh_server)
        wait_for_app(page, "Sales cockpit")
        assert page.get_by_test_id("stMetricValue").count() >= 3
    finally:
        context.close()


def test_preload_imports_every_module_it_names():
    """Every module the launcher imports before the server starts exists (a rename would only be logged)."""
    from pages.ui import serve

    assert serve.preload() == []


def test_priming_pays_the_first_runs_one_off_costs(monkeypatch):
    """After prime_first_run, Altair's schema tables exist and Streamlit's once-per-process REPL check is done."""
    from streamlit import delta_generator

    from pages.ui import serve
    from salesops import charts

    monkeypatch.setattr(delta_generator, "_use_warning_has_been_displayed", False)
    charts._schema_converter.cache_clear()
    serve.prime_first_run()
    assert delta_generator._use_warning_has_been_displayed is True
    assert charts._schema_converter.cache_info().currsize >= 1


def test_settling_the_heap_freezes_what_the_start_up_left():
    """settle_heap collects, then freezes the objects left (left out of later collections); the next
    collection walks only what was made since."""
    import gc

    from pages.ui import serve

    try:
        frozen = serve.settle_heap()
        assert frozen == gc.get_freeze_count() > 10_000  # the imports alone leave far more
        assert gc.get_count()[2] == 0
    finally:
        gc.unfreeze()


def test_the_launcher_imports_every_module_a_page_imports():
    """page_modules reads the pages' imports (a chart module named in a from-import included); after
    import_page_modules each one that is a module is loaded, and the names that are not are skipped."""
    import sys

    from pages.ui import serve

    names = serve.page_modules()
    assert {"pages.ui.shell", "salesops.forecasts.charts", "salesops.comp.document", "altair"} <= set(names)
    assert "salesops.errors.NotComputedYet" in names  # a class: not imported, no error
    serve.import_page_modules()
    assert {"pages.ui.shell", "salesops.forecasts.charts", "salesops.comp.document"} <= set(sys.modules)
    assert serve.import_page_modules() == []  # all loaded now


def test_the_launcher_compiles_every_page_script_into_streamlits_cache():
    """compile_page_scripts fills a script cache with app.py and each pages/*.py, as Streamlit's own
    ScriptCache keys them (the absolute path): a page's first run then finds its bytecode."""
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache

    from pages.ui import serve

    cache = ScriptCache()
    scripts = serve.page_scripts()
    assert serve.compile_page_scripts(cache) == len(scripts) >= 9
    assert {str(serve.ROOT / "app.py"), str(serve.ROOT / "pages" / "performance.py")} <= set(cache._cache)
    assert not any(p.name == "__init__.py" for p in scripts)

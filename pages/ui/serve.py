"""``python -m pages.ui.serve [streamlit options]``: ``streamlit run app.py``, warm before the first visit.

``streamlit run`` runs none of the app's code until a browser connects, so the first visitor after a
start paid for importing the library (pandas, Altair, SQLAlchemy, DuckDB: 1–2 s on a 2-core machine)
and met empty caches; the warm-up (:mod:`pages.ui.warmup`) only began with that first request. This
launcher is what ``make run`` starts:

1. it imports the library's heavy modules (never ``pages.ui``: its cached loaders must be declared
   once Streamlit's runtime exists);
2. it starts Streamlit's own command line in this process, exactly ``streamlit run app.py <options>``;
3. a background thread waits for Streamlit's runtime (``st.runtime.exists()``), compiles every page
   script into Streamlit's script cache (:func:`compile_page_scripts`), then creates the
   app's engine, which starts the warm-up — so every page's default view is computing while the
   server waits for its first visitor — and, once it has finished, collects the start-up's garbage and
   freezes the rest (:func:`settle_heap`), so a first page run does not pay for that collection.

It logs "warm-up finished" (logger ``salesops``) when the caches are full.
"""

from __future__ import annotations

import ast
import gc
import importlib
import logging
import sys
import threading
import time
from pathlib import Path

#: Imported before the server starts: the library every page uses, and its heavy dependencies.
PRELOAD = (
    "pandas",
    "altair",
    "sqlalchemy",
    "duckdb",
    "duckdb_engine",
    "salesops.performance",
    "salesops.leaderboards",
    "salesops.forecasts.service",
    "salesops.comp.engine",
    "salesops.comp.charts",
    "salesops.tools.charts",
    "salesops.customers",
    "salesops.ingest",
)
ROOT = Path(__file__).resolve().parents[2]
#: How long the warm-up waits for Streamlit's runtime before giving up (s); the first visit then warms.
RUNTIME_WAIT_S = 120.0


def preload() -> list[str]:
    """Import every module of :data:`PRELOAD`; returns those that failed (logged, not fatal)."""
    failed = []
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except ImportError:
            logging.getLogger("salesops").warning("preload: %s could not be imported", name, exc_info=True)
            failed.append(name)
    return failed


def warm_when_ready(wait_s: float = RUNTIME_WAIT_S) -> bool:
    """Once Streamlit's runtime exists, create the app's engine (which starts the warm-up) and wait for it.

    Returns False when the runtime did not appear in ``wait_s`` or the store cannot be opened (the first
    visit then shows the store's message and warms as without this launcher).
    """
    from streamlit import runtime

    deadline = time.monotonic() + wait_s
    while not runtime.exists():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    from pages.ui import loaders, warmup  # now: the loaders' caches belong to the runtime
    from salesops import config

    log = logging.getLogger("salesops")
    started = time.monotonic()
    import_page_modules()
    compile_page_scripts()
    try:
        loaders.engine_for(config.db_url())
    except Exception:  # noqa: BLE001 - the first page shows the store's error to the user
        log.warning("warm-up: the store cannot be opened; the first visit will say why", exc_info=True)
        return False
    prime_first_run()
    warmup.wait()
    frozen = settle_heap()
    log.info("warm-up finished in %.1f s (%d objects frozen)", time.monotonic() - started, frozen)
    return True


def settle_heap() -> int:
    """Collect the start-up's garbage now, then freeze what is left (``gc.freeze``); returns the number
    of objects frozen.

    The imports and the warm-up leave ~200,000 long-lived objects on the small demo (Altair's schema,
    pandas, Prophet …) that the garbage collector had not yet walked: its next full collection came during the
    first page run, 0.2-0.4 s inside Home's first visit on the bench machine (a ``gc.callbacks`` log of
    a served walk), and every later full collection walked them all again. Frozen, they are left out of
    every collection (reference counting still frees any that is dropped); objects made later are
    collected as usual.
    """
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def page_modules(root: Path = ROOT) -> list[str]:
    """Every module the app's pages import at their top (``app.py`` and ``pages/*.py``, read with ``ast``):
    ``from salesops.forecasts import charts`` names ``salesops.forecasts`` and ``salesops.forecasts.charts``."""
    names: dict[str, None] = {}
    for path in [root / "app.py", *sorted((root / "pages").glob("*.py"))]:
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Import):
                names.update(dict.fromkeys(alias.name for alias in node.names))
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names[node.module] = None
                names.update(dict.fromkeys(f"{node.module}.{alias.name}" for alias in node.names))
    return list(names)


def import_page_modules() -> list[str]:
    """Import what the pages import (:func:`page_modules`), so no first page run pays for an import
    (``salesops.forecasts.charts``, ``pages.ui.shell`` …: 1-10 ms each in a profile of first visits);
    returns the modules imported. A name that is not a module (a class, a constant) is skipped."""
    done = []
    for name in page_modules():
        if name in sys.modules:
            continue
        try:
            importlib.import_module(name)
        except ImportError:  # `from package import function`: not a module
            continue
        done.append(name)
    return done


def page_scripts(root: Path = ROOT) -> list[Path]:
    """The scripts Streamlit runs as pages: ``app.py`` (Home) and every ``pages/*.py`` (its ``pages/`` mode)."""
    return [root / "app.py", *(p for p in sorted((root / "pages").glob("*.py")) if p.name != "__init__.py")]


def compile_page_scripts(cache=None) -> int:
    """Compile every page script into Streamlit's own script cache (``Runtime._script_cache``) before anyone
    visits; returns the number compiled. Streamlit compiles a page on its first run in the process (reading
    the file, its "magic" AST rewrite, ``compile``) and keeps the bytecode: without this, each page's first
    visit paid it. A Streamlit without that cache, or no runtime yet: nothing is compiled (the first visit
    compiles, as before)."""
    if cache is None:
        try:
            from streamlit import runtime

            cache = runtime.get_instance()._script_cache
        except (ImportError, AttributeError, RuntimeError):
            return 0
    done = 0
    for path in page_scripts():
        try:
            cache.get_bytecode(str(path))
        except Exception:  # noqa: BLE001 - a page that does not compile shows its error on its own visit
            logging.getLogger("salesops").warning("warm-up: %s could not be compiled", path, exc_info=True)
            continue
        done += 1
    return done


def prime_first_run() -> None:
    """Pay two one-off costs of a process's first page run here, before anyone visits.

    * Altair's schema tables (:func:`salesops.charts.speed_up_altair`), by building one small chart.
    * Streamlit's "are we in a REPL?" check, made at the first element a process draws: it walks the
      caller's stack with ``inspect.stack()``, ~0.2 s inside a page under load (py-spy of a first visit),
      and next to nothing on this short thread. It runs once per process and only logs.
    """
    import altair as alt
    import pandas as pd

    from salesops import charts

    frame = pd.DataFrame({"a": ["x"], "b": [1.0]})
    colour = alt.condition("datum.b > 0", alt.value(charts.GOOD), alt.value(charts.BAD))
    alt.Chart(frame).mark_bar().encode(y="a:N", x="b:Q", color=colour, tooltip=["a", "b:Q"]).to_dict()
    try:
        from streamlit import delta_generator

        delta_generator._maybe_print_use_warning()
    except (ImportError, AttributeError):  # a Streamlit without it: the first visit pays, as before
        pass


def main(argv: list[str] | None = None) -> int:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    log = logging.getLogger("salesops")
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    preload()
    threading.Thread(target=warm_when_ready, name="salesops-serve-warm", daemon=True).start()
    from streamlit.web import cli

    sys.argv = ["streamlit", "run", "app.py", *(sys.argv[1:] if argv is None else argv)]
    return cli.main()


if __name__ == "__main__":
    sys.exit(main())

"""What every page shares: the engine, the cached loader, the scope from the sidebar, formatting.

Pages call ``load(fn, *args)`` to run a library function ``fn(engine, *args)`` through
``st.cache_data``, keyed on the function, its arguments and the store's data version, so an
import or a survey answer invalidates every cached result at once.
"""

from __future__ import annotations

import importlib
from datetime import date

import pandas as pd
import streamlit as st

from salesops import config, export, store
from salesops.errors import StoreError
from salesops.scope import Scope


@st.cache_resource(show_spinner=False)
def _engine_for(url: str):
    return store.open_store(url)


def _ensure_router() -> None:
    """Make sure app.py's st.navigation router runs, not Streamlit's legacy pages/ emulation.

    Streamlit decides once per process, before any script runs, that an app with a ``pages/``
    folder is a "v1" multipage app, and then runs ``pages/<x>.py`` directly for a first request to
    ``/x`` (and AppTest re-decides this on every run). The first ``st.navigation`` call switches it
    off; when a page finds itself running without it, it switches it off and reruns through app.py,
    so a copied link to any page gets the shared sidebar and its filters.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def engine():
    """The one engine of the app (shared by all sessions). Stops the page with a clear message."""
    _ensure_router()
    url = config.db_url()
    try:
        return _engine_for(url)
    except StoreError as exc:
        st.error(f"**{exc.message}**\n\n{exc.hint}", icon=":material/database:")
        st.stop()


def data_version() -> int:
    return store.data_version(engine())


@st.cache_data(show_spinner=False, max_entries=1024)
def _cached(fn_path: str, url: str, version: int, args: tuple, kwargs: tuple):
    module, name = fn_path.split(":")
    fn = getattr(importlib.import_module(module), name)
    return fn(_engine_for(url), *args, **dict(kwargs))


def load(fn, *args, **kwargs):
    """``fn(engine, *args, **kwargs)``, cached on (fn, args, data version)."""
    return _cached(
        f"{fn.__module__}:{fn.__qualname__}", config.db_url(), data_version(), args, tuple(sorted(kwargs.items()))
    )


def today() -> date:
    return config.today()


def scope() -> Scope:
    """The scope chosen in the sidebar (built by app.py each run)."""
    _ensure_router()
    sc = st.session_state.get("_scope")
    if sc is None:  # a page run on its own (tests): the current quarter, all teams
        sc = Scope.current(today(), "quarter")
    return sc


def presentation() -> bool:
    """True in presentation mode: large type, fewer controls, individual pay hidden."""
    return bool(st.session_state.get("present", False))


def money(cents: int | float | None, hide: bool = False) -> str:
    """$1.2M / $350k / $900 from integer cents; '—' for none; '•••' when hidden."""
    if hide:
        return "•••"
    if cents is None or pd.isna(cents):
        return "—"
    d = cents / 100.0
    for unit, size in (("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(d) >= size:
            return f"${d / size:,.1f}{unit}"
    return f"${d:,.0f}"


def pct(x: float | None, digits: int = 0) -> str:
    return "—" if x is None or pd.isna(x) else f"{x * 100:.{digits}f}%"


def delta_pct(now: float | None, before: float | None) -> str | None:
    """Relative change as '+12%' for st.metric, None when there is nothing to compare."""
    if now is None or before is None or before == 0 or pd.isna(before) or pd.isna(now):
        return None
    return f"{(now - before) / abs(before) * 100:+.0f}%"


def delta_pts(now: float | None, before: float | None) -> str | None:
    """Change of a rate in percentage points, '+3 pts'."""
    if now is None or before is None or pd.isna(before) or pd.isna(now):
        return None
    return f"{(now - before) * 100:+.0f} pts"


def csv_download(frame: pd.DataFrame, file_name: str, key: str, label: str = "Download CSV") -> None:
    """A download button with formula-like cells neutralised (salesops.export)."""
    st.download_button(
        label, export.to_csv(frame), file_name=file_name, mime="text/csv", key=key, icon=":material/download:"
    )


def empty_state(what: str) -> None:
    """The message a page shows when the scope has no data."""
    st.info(
        f"No {what} in this view. Widen the date range or pick another team — or load data: "
        "`python -m salesops demo` builds the demo organisation, and the **Data** page imports a CRM export.",
        icon=":material/inbox:",
    )

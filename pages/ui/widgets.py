"""Small drawing helpers every page uses: the CSV download, the empty state, the tiles' head start."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from salesops import charts, config, export

#: How long a page's first run in a browser session waits once its headline tiles are drawn (s): see
#: :func:`let_tiles_show`.
TILES_PAUSE_S = 0.25


def let_tiles_show(page: str) -> None:
    """On the first run of ``page`` in this browser session, wait :data:`TILES_PAUSE_S` after its
    headline tiles, so the browser shows them before the charts and tables below arrive.

    A fresh browser loads each kind of element's code the first time it meets one (Streamlit's
    frontend loads them lazily: the tile, the chart, the table …) and, while new kinds keep arriving,
    holds back showing those already loaded: the tiles of Team performance appeared only after the
    whole page had streamed in and been laid out (a Chromium trace of a first visit; 2.9 s to the first
    tile under load, 1.5 s with the tiles given this head start). Later runs in the session (a filter
    change, a slider) have that code loaded, so they do not wait. Home, Team performance, Forecasts and
    Sales tools call it after their tiles. On Compensation (after its tiles) and Leaderboards (after the
    rep board) it gave no steady gain in two quiet old/new pairs (BENCHMARKS.md), so they do not.
    """
    key = f"_tiles_shown_{page}"
    if st.session_state.get(key):
        return
    st.session_state[key] = True
    time.sleep(TILES_PAUSE_S)


def today() -> date:
    return config.today()


def presentation() -> bool:
    """True in presentation mode: large type, fewer controls, individual pay hidden."""
    return bool(st.session_state.get("present", False))


def chart(figure: Any, **kwargs: Any) -> Any:
    """``st.altair_chart`` of ``figure`` as this screen should show it (:func:`salesops.charts.for_screen`:
    labels uncut, and taller in presentation mode so its large type leaves the plot its room)."""
    return chart_in(st, figure, **kwargs)


def chart_in(where: Any, figure: Any, **kwargs: Any) -> Any:
    """:func:`chart` in a column or container (``where``)."""
    return where.altair_chart(charts.for_screen(figure, presentation()), **kwargs)


def csv_download(frame: pd.DataFrame, file_name: str, key: str, label: str = "Download CSV") -> None:
    """A download button with formula-like cells neutralised (salesops.export).

    The CSV is written when the button is clicked (Streamlit calls ``data`` then), not on every run:
    writing it was a sixth of a comp slider move and an eighth of a Team performance rerun. The frame is
    snapshotted (pandas' copy-on-write: free until someone writes), so a later change to it by the page
    cannot reach the file. A click does not rerun the page (``on_click="ignore"``): a download changes
    nothing on screen, and a rerun racing the file's request could drop this run's deferred file.
    """
    snapshot = frame.copy(deep=False)
    st.download_button(
        label,
        lambda: export.to_csv(snapshot),
        file_name=file_name,
        mime="text/csv",
        key=key,
        icon=":material/download:",
        on_click="ignore",
    )


def csv_download_later(make: Callable[[], pd.DataFrame], file_name: str, key: str, label: str = "Download CSV") -> None:
    """:func:`csv_download` of a frame made only when the button is clicked (``make``: e.g.
    ``loaders.later(...)``; Streamlit runs it on its own thread)."""
    st.download_button(
        label,
        lambda: export.to_csv(make()),
        file_name=file_name,
        mime="text/csv",
        key=key,
        icon=":material/download:",
        on_click="ignore",
    )


def empty_state(what: str) -> None:
    """The message a page shows when the scope has no data."""
    st.info(
        f"No {what} in this view. Widen the date range or pick another team — or load data: "
        "`python -m salesops demo` builds the demo organisation, and the **Data** page imports a CRM export.",
        icon=":material/inbox:",
    )


def pipeline_health_note(share: float, deals: int) -> None:
    """One line under a pipeline figure when some of it is flagged: "8 % of this pipeline is stale — see Data health"."""
    if deals == 0:
        return
    pct = "under 1 %" if share < 0.005 else f"{share:.0%}".replace("%", " %")
    st.caption(
        f":material/report: {pct} of this open pipeline ({deals:,} deal{'s' if deals != 1 else ''}) is stale or past "
        "its close date — see [Data health](/data#data-health)."
    )

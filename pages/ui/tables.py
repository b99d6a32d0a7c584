"""Every table a page shows goes through :func:`show`: human headers, whole dollars, "—" for missing.

The rules (header, kind, tooltip per column name) live in ``salesops.format.COLUMNS``; this module
turns them into Streamlit column configuration. A page names the columns it shows, in order, and
may override a rule with a :class:`~salesops.format.Col`, a plain header, or a ready Streamlit
column config (a sparkline, a progress bar with its own range).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from pages.ui import widgets
from salesops import format as fmt

ROW_PX = 35  # Streamlit's default row height; header row the same
MAX_FULL_ROWS = 25  # tables up to this many rows show every row without scrolling

Spec = fmt.Col | str | dict | None


def _config(rule: fmt.Col) -> Any:
    """Streamlit column configuration for one rule."""
    cc = st.column_config
    k, label, hint = rule.kind, rule.label, rule.help
    if k == "money":
        return cc.NumberColumn(label, help=hint, format="dollar", step=1)
    if k in ("pct", "pct1"):
        return cc.NumberColumn(label, help=hint, format="percent", step=0.01 if k == "pct" else 0.001)
    if k == "progress":
        return cc.ProgressColumn(label, help=hint, format="percent", step=0.01, min_value=0.0, max_value=1.5)
    if k == "count":
        return cc.NumberColumn(label, help=hint, format="localized", step=1)
    if k == "score":
        return cc.NumberColumn(label, help=hint, format="%.2f")
    if k == "signed":
        return cc.NumberColumn(label, help=hint, format="%+.0f")
    if k == "ratio":
        return cc.NumberColumn(label, help=hint, format="%.2f×")
    if k == "days":
        return cc.NumberColumn(label, help=hint, format="%.0f days")
    if k == "date":
        return cc.DateColumn(label, help=hint, format="D MMM YYYY")
    if k == "check":
        return cc.CheckboxColumn(label, help=hint)
    return cc.TextColumn(label, help=hint)


def _rule(name: str, spec: Spec) -> fmt.Col:
    base = fmt.column(name)
    if isinstance(spec, fmt.Col):
        return spec
    if isinstance(spec, str):
        return fmt.Col(spec, base.kind, base.help)
    return base


def prepare(frame: pd.DataFrame, columns: Sequence[str] | Mapping[str, Spec]) -> tuple[pd.DataFrame, dict]:
    """The frame as shown (only ``columns``, money in dollars) and its column configuration."""
    specs: Mapping[str, Spec] = columns if isinstance(columns, Mapping) else dict.fromkeys(columns)
    out = pd.DataFrame(index=frame.index)
    config: dict[str, Any] = {}
    for name, spec in specs.items():
        col = frame[name]
        if isinstance(spec, dict):  # a ready Streamlit column config
            out[name], config[name] = col, spec
            continue
        rule = _rule(name, spec)
        if rule.kind == "money":
            dollars = pd.to_numeric(col, errors="coerce").astype("Float64") / 100
            col = (dollars.abs() + 0.5).apply(np.floor) * np.sign(dollars)  # half a dollar rounds up, as on paper
        elif rule.kind in ("pct", "pct1"):
            col = as_shown_rate(col, 1 if rule.kind == "pct1" else 0)
        elif rule.kind == "check":
            col = col.astype("boolean")
        elif rule.kind == "date":
            col = pd.to_datetime(col, errors="coerce")
        out[name] = col
        config[name] = _config(rule)
    return out, config


def as_shown_rate(col: pd.Series, digits: int) -> pd.Series:
    """Rates rounded as ``format.pct`` rounds them, for a percent column of the data grid.

    The grid cuts a percentage's extra digits toward zero (Streamlit's number format: 0.747 showed as
    74%, -0.747 as -74%), while tiles, printed tables and presentation mode round (75%): the same team's
    share read 74% on one screen and 75% on the other. Rounded here first, the cut has nothing left to
    cut (``format.shown_rate``: the rate ``format.pct`` shows).
    """
    values = pd.to_numeric(col, errors="coerce").astype("Float64")
    shown = [pd.NA if pd.isna(v) else fmt.shown_rate(float(v), digits) for v in values]
    return pd.Series(shown, index=col.index, dtype="Float64")


def text_table(frame: pd.DataFrame, columns: Sequence[str] | Mapping[str, Spec]) -> pd.DataFrame:
    """``frame``'s ``columns`` as display text with human headers (``format.cell_text``), every cell and
    header Markdown-escaped (st.table renders Markdown; names and comments stay text). Columns with a
    ready Streamlit config (sparklines, custom bars) have no text form and are left out."""
    specs: Mapping[str, Spec] = columns if isinstance(columns, Mapping) else dict.fromkeys(columns)
    out = pd.DataFrame(index=range(len(frame)))
    for name, spec in specs.items():
        if isinstance(spec, dict):
            continue
        rule = _rule(name, spec)
        out[fmt.md_escape(rule.label)] = [fmt.md_escape(fmt.cell_text(v, rule.kind)) for v in frame[name]]
    return out


def height_for(rows: int) -> int | str:
    """Every row visible up to MAX_FULL_ROWS (the 11-team table shows 11), then a scrolling table."""
    return (min(rows, MAX_FULL_ROWS) + 1) * ROW_PX + 3 if rows else "auto"


def show(
    frame: pd.DataFrame,
    columns: Sequence[str] | Mapping[str, Spec],
    *,
    key: str | None = None,
    height: int | str | None = None,
    width: int | str = "stretch",
    **kwargs: Any,
) -> Any:
    """Draw ``frame``'s ``columns`` with the display rules; returns st.dataframe's result (selections).

    In presentation mode the table is static text (:func:`text_table`) so it grows with the large
    type on a shared screen, as a data grid does not; it returns None (no selection on a screen-share).
    """
    if widgets.presentation():
        st.table(text_table(frame, columns), hide_index=True, border="horizontal")
        return None
    shown, config = prepare(frame, columns)
    return st.dataframe(
        shown,
        hide_index=True,
        width=width,
        column_config=config,
        placeholder=fmt.MISSING,
        key=key,
        height=height if height is not None else height_for(len(shown)),
        **kwargs,
    )

"""Altair chart builders: frame in, chart out, one theme, no Streamlit calls.

Teams keep one colour everywhere: :func:`team_scale` maps team ids in sorted order onto the fixed
palette that .streamlit/config.toml also declares.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd

TEAM_PALETTE = (
    "#2F6690",
    "#D1495B",
    "#EDAE49",
    "#00798C",
    "#66A182",
    "#8D6A9F",
    "#E07A5F",
    "#3D405B",
    "#81B29A",
    "#F2CC8F",
    "#5C8001",
    "#A26769",
)
GOOD, BAD, NEUTRAL, TARGET = "#2E7D32", "#C62828", "#607D8B", "#1F2933"


def team_scale(team_ids: Sequence[str], names: Sequence[str] | None = None) -> alt.Scale:
    """Colour scale giving each team its fixed palette colour (by sorted team id)."""
    ids = sorted(team_ids)
    colours = [TEAM_PALETTE[i % len(TEAM_PALETTE)] for i in range(len(ids))]
    domain = list(names) if names is not None else ids
    if names is not None:
        order = {t: n for t, n in zip(team_ids, names)}
        domain = [order[t] for t in ids]
    return alt.Scale(domain=domain, range=colours)


def money_axis(title: str = "") -> alt.Axis:
    return alt.Axis(title=title, format="$,.3~s", labelExpr="replace(datum.label, 'G', 'B')")


def trend_chart(frame: pd.DataFrame, x: str, y: str, title: str = "", target: str | None = None) -> alt.Chart:
    """Bars of ``y`` per ``x`` period, with an optional ``target`` line (e.g. quota).

    ``frame`` columns: ``x`` (period label, in order), ``y`` (dollars), optionally ``target``.
    """
    base = alt.Chart(frame).encode(x=alt.X(f"{x}:N", sort=None, title=None, axis=alt.Axis(labelAngle=0)))
    bars = base.mark_bar(color=TEAM_PALETTE[0]).encode(
        y=alt.Y(f"{y}:Q", axis=money_axis()), tooltip=[x, alt.Tooltip(f"{y}:Q", format="$,.0f")]
    )
    chart = bars
    if target:
        chart = bars + base.mark_line(color=TARGET, strokeDash=[4, 3], point=True).encode(
            y=f"{target}:Q", tooltip=[x, alt.Tooltip(f"{target}:Q", format="$,.0f", title="quota")]
        )
    return chart.properties(title=title, height=260)

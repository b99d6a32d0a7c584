"""Altair chart builders: frame in, chart out, one theme, no Streamlit calls.

Teams keep one colour everywhere: :func:`team_scale` maps team ids in sorted order onto the fixed
palette that .streamlit/config.toml also declares.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import altair as alt
import pandas as pd
from altair.utils import schemapi

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
# Colour-blind safe (Okabe–Ito blue and vermillion, never red against green).
GOOD, BAD, NEUTRAL, TARGET = "#0072B2", "#D55E00", "#8C8C8C", "#1F2933"
PARTIAL = "#9DC3E6"  # the current period, not over yet: a lighter shade of the bars' blue


@functools.cache
def _schema_converter(owner: type) -> schemapi._FromDict:
    """The schema table of the classes ``owner._default_wrapper_classes()`` names, built once."""
    return schemapi._FromDict(owner._default_wrapper_classes())  # type: ignore[attr-defined]


def _from_dict(cls, dct, validate=True):
    """``SchemaBase.from_dict`` with one schema table per wrapper-class family instead of one per call.

    The family is the class that defines ``_default_wrapper_classes`` for ``cls`` (Vega-Lite's schema
    classes name only their own kind), so each call matches against exactly the classes it did before.
    """
    if validate:
        cls.validate(dct)
    owner = next(k for k in cls.__mro__ if "_default_wrapper_classes" in k.__dict__)
    return _schema_converter(owner).from_dict(dct, cls)


def speed_up_altair() -> bool:
    """Build Altair's schema-to-class table once per process instead of on every encoding (idempotent).

    Altair 6 (``SchemaBase.from_dict``) builds a fresh ``_FromDict`` table, a JSON dump and hash of every
    one of its ~800 schema classes, for each channel given as a string or dict: ``x="p50:Q"``,
    ``tooltip=["label"]``, ``alt.value(...)``. That was 5-10 ms per channel, up to ~0.5 s on the
    Forecasts page under load (py-spy). A table depends only on the wrapper classes it is built from,
    which are all defined at import, and is only read afterwards, so one table per family, built once,
    gives the same classes (tested: every page's chart specs are unchanged). Upstream: vega/altair#3547
    ("the breadth-first search now occurs only once"). Applied only where Altair still has the private names this relies on; otherwise charts
    are built the stock (slower) way. Returns whether the speed-up is in place.
    """
    base: Any = getattr(schemapi, "SchemaBase", None)
    if base is None or not hasattr(schemapi, "_FromDict") or not hasattr(base, "_default_wrapper_classes"):
        return False
    if base.__dict__.get("from_dict") is not _SHARED_FROM_DICT:
        base.from_dict = _SHARED_FROM_DICT
    return True


_STOCK_FROM_DICT = schemapi.SchemaBase.__dict__.get("from_dict")  # kept for the sameness test
_SHARED_FROM_DICT = classmethod(_from_dict)
speed_up_altair()


TEAM_LABEL_LIMIT = 280
"""Legend label width (px) for team names: Vega's default 160 cut "San Francisco Enterprise" on the
screen-share's larger font."""
TEAM_LEGEND = alt.Legend(labelLimit=TEAM_LABEL_LIMIT)


PRESENT_SCALE = 21 / 16
"""How much taller a chart is drawn in presentation mode. The screen-share's type is 21 px against 16
(``pages.ui.shell.PRESENTATION_CSS``) and Streamlit sizes a chart's titles, axes and legends from it,
while a chart's height holds those too: at the same height the plot came out a third smaller, and CSAT by
round lost its title's first letter, its axis title's ends and its sixth tool's legend entry."""

LABEL_LIMIT = 280
"""Widest label (px) on a y axis or in a legend before it is cut with "…": Streamlit's theme cut team
names such as "New York Mid-Market" on the satisfaction heatmap and "Open pipeline (expected)" on the
outlook's legend. x-axis labels keep their limits, set where a chart needs them (neighbours could overlap)."""


def for_screen(chart: alt.TopLevelMixin, presenting: bool) -> alt.TopLevelMixin:
    """``chart`` as a page draws it: y-axis and legend labels up to :data:`LABEL_LIMIT`, and in
    presentation mode a fixed height (pixels or a step per row) :data:`PRESENT_SCALE` times taller."""
    out = chart.configure_axisY(labelLimit=LABEL_LIMIT).configure_legend(labelLimit=LABEL_LIMIT)
    if not presenting:
        return out
    height = getattr(chart, "height", alt.Undefined)
    if isinstance(height, alt.Step):
        return out.properties(height=alt.Step(round(height.step * PRESENT_SCALE)))
    if isinstance(height, (int, float)) and not isinstance(height, bool):
        return out.properties(height=round(height * PRESENT_SCALE))
    return out


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


def trend_chart(
    frame: pd.DataFrame,
    x: str,
    y: str,
    title: str = "",
    target: str | None = None,
    y_title: str = "Won revenue ($)",
    partial: bool = False,
    x_title: str = "Period",
) -> alt.Chart:
    """Bars of ``y`` per ``x`` period, with an optional ``target`` line (e.g. quota), both in the legend.

    ``frame`` columns: ``x`` (period label, in order), ``y`` (dollars), optionally ``target``.
    ``partial``: the last period is not over; its bar is lighter and its legend entry says "to date".
    """
    labels = frame[x].astype(str).tolist()
    done, to_date = "Won revenue", "Won to date"
    series = [to_date if partial and i == len(labels) - 1 else done for i in range(len(labels))]
    data = frame.assign(series=series, target_label="Quota")
    domain, colours = [done, *([to_date] if partial else [])], [TEAM_PALETTE[0], *([PARTIAL] if partial else [])]
    # A label with a note ("2026-Q4 (to date)") goes on two lines: on one it was cut to "2026-Q4 (to …".
    cut = "indexof(datum.label, ' (')"
    two_lines = f"{cut} > 0 ? [slice(datum.label, 0, {cut}), slice(datum.label, {cut} + 1)] : datum.label"
    axis = alt.Axis(labelAngle=0, labelExpr=two_lines)
    base = alt.Chart(data).encode(x=alt.X(f"{x}:N", sort=labels, title=x_title, axis=axis))
    bars = base.mark_bar().encode(
        y=alt.Y(f"{y}:Q", axis=money_axis(y_title)),
        color=alt.Color("series:N", title=None, scale=alt.Scale(domain=domain, range=colours), sort=domain),
        tooltip=[alt.Tooltip(f"{x}:N", title="Period"), alt.Tooltip(f"{y}:Q", format="$,.0f", title=done)],
    )
    chart = bars
    if target:
        line = base.mark_line(strokeDash=[4, 3], point=True).encode(
            y=f"{target}:Q",
            strokeDash=alt.StrokeDash("target_label:N", title=None, scale=alt.Scale(domain=["Quota"], range=[[4, 3]])),
            color=alt.value(TARGET),
            tooltip=[alt.Tooltip(f"{x}:N", title="Period"), alt.Tooltip(f"{target}:Q", format="$,.0f", title="Quota")],
        )
        chart = alt.layer(bars, line).resolve_scale(color="independent", strokeDash="independent")
    return chart.properties(title=title, height=260)

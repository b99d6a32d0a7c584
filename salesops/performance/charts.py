"""The Team performance charts (frames in, Altair charts out; no Streamlit)."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from salesops.charts import TEAM_LABEL_LIMIT  # importing it also applies its one Altair set-up (speed_up_altair)
from salesops.performance.funnel import STAGE_LABELS


def funnel_chart(frame: pd.DataFrame) -> alt.LayerChart | alt.FacetChart:
    """One team beside the company: the share of leads reaching each stage, bars on a log scale
    with the percentage written on each bar.

    A linear scale hid every step after MQL (won is a few percent of leads); on the log scale each
    step is a visible bar. A stage nobody reached has no bar (the table below says 0). ``frame``: the
    :func:`~salesops.performance.funnel.funnel` rows of the team and the company.
    """
    f = frame[["team", "label", "overall_conversion", "count"]].copy()
    f["share"] = pd.to_numeric(f["overall_conversion"], errors="coerce").astype(float)
    f["text"] = [("" if pd.isna(v) else f"{v:.1%}" if 0 < v < 0.01 else f"{v:.0%}") for v in f["share"]]
    f["bar"] = f["share"].where(f["share"] > 0)  # log scale: no bar for 0
    positive = f["bar"].dropna()
    low = float(10 ** np.floor(np.log10(positive.min()))) if len(positive) else 0.01
    order = list(STAGE_LABELS.values())
    x = alt.X("label:N", sort=order, title="Stage", axis=alt.Axis(labelAngle=0))
    y = alt.Y(
        "bar:Q",
        title="Leads reaching the stage (%, log scale)",
        scale=alt.Scale(type="log", domain=[low, 1.6]),  # headroom for the 100% labels
        axis=alt.Axis(format="%", titleLimit=0, values=[t for t in (0.001, 0.01, 0.1, 1.0) if t >= low]),
    )
    base = alt.Chart(f).encode(x=x, xOffset=alt.XOffset("team:N", sort=None))
    bars = base.mark_bar().encode(
        y=y,
        y2=alt.datum(low),  # a log scale has no 0: the bars rise from the axis' lowest tick
        color=alt.Color("team:N", title=None, sort=None, legend=alt.Legend(orient="top", labelLimit=TEAM_LABEL_LIMIT)),
        tooltip=[
            alt.Tooltip("team:N", title="Team"),
            alt.Tooltip("label:N", title="Stage"),
            alt.Tooltip("count:Q", title="Leads", format=","),
            alt.Tooltip("share:Q", title="Share of leads", format=".1%"),
        ],
    )
    text = base.mark_text(dy=-7, fontSize=11).encode(y=alt.Y("bar:Q", scale=alt.Scale(type="log")), text="text:N")
    return alt.layer(bars, text).properties(height=320, title="Share of leads reaching each stage")

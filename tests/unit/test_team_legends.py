"""Team-coloured charts give their legend room for a whole team name (Vega cuts labels at 160 px by
default: "San Francisco Ent…" on the screen-share's larger font)."""

from __future__ import annotations

import pandas as pd

from salesops.charts import TEAM_LABEL_LIMIT
from salesops.tools import charts

LONG = "San Francisco Enterprise"


def _legend(chart) -> dict:
    return chart.to_dict()["encoding"]["color"]["legend"]


def test_the_scatter_of_satisfaction_and_attainment_keeps_long_team_names_whole():
    frame = pd.DataFrame(
        {
            "tool": ["CRM", "CRM"],
            "shown": [True, True],
            "team_id": ["T1", "T2"],
            "team": [LONG, "Atlanta SMB"],
            "answers": [6, 7],
            "mean_satisfaction": [3.5, 4.0],
            "attainment": [0.8, 0.6],
            "win_rate": [0.3, 0.25],
        }
    )
    assert _legend(charts.satisfaction_vs_performance_chart(frame, "CRM"))["labelLimit"] == TEAM_LABEL_LIMIT


def test_the_lead_split_trend_keeps_long_team_names_whole():
    trend = pd.DataFrame(
        {
            "month": ["2026-10-01", "2026-11-01"],
            "team_id": ["T1", "T1"],
            "team": [LONG, LONG],
            "gini": [0.1, 0.2],
            "leads": [5, 6],
        }
    )
    assert _legend(charts.gini_trend_chart(trend))["labelLimit"] == TEAM_LABEL_LIMIT


def test_the_limit_fits_the_longest_demo_team_name_at_the_screen_share_size():
    # about 10 px a character at the presentation mode's legend font; the default 160 px fits 16
    assert TEAM_LABEL_LIMIT >= 10 * len(LONG) + 20

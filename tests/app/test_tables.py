"""The table helper: shown columns only, money in whole dollars, human headers, "—" for missing."""

from __future__ import annotations

import pandas as pd

from pages.ui import tables
from salesops import format as fmt


def test_prepare_keeps_the_named_columns_converts_money_and_labels_them():
    """Only the named columns are shown, in order; cents become dollars; each has its header."""
    frame = pd.DataFrame(
        {
            "team_id": ["T01", "T02"],
            "team": ["Boston", "Paris"],
            "won_cents": [12_345_650, None],
            "win_rate": [0.3, None],
        }
    )
    shown, config = tables.prepare(frame, {"team": None, "won_cents": "Won this quarter", "win_rate": None})
    assert list(shown.columns) == ["team", "won_cents", "win_rate"]
    assert shown["won_cents"].iloc[0] == 123_457  # whole dollars, rounded
    assert pd.isna(shown["won_cents"].iloc[1])
    assert config["won_cents"]["label"] == "Won this quarter"
    assert config["win_rate"]["label"] == "Win rate"
    assert config["team"]["label"] == "Team"


def test_height_shows_every_row_of_an_eleven_team_table():
    """Up to 25 rows the table is as tall as its rows (11 teams: 12 rows of 35 px with the header)."""
    assert tables.height_for(11) == 12 * tables.ROW_PX + 3
    assert tables.height_for(400) == (tables.MAX_FULL_ROWS + 1) * tables.ROW_PX + 3
    assert fmt.MISSING == "—"


def test_a_percent_cell_reads_the_same_in_the_grid_as_on_a_tile():
    """The grid cuts extra digits toward zero (0.747 read 74%) where tiles round (75%): the shown rate
    is rounded first, so cutting it gives the tile's figure, negatives and one-decimal columns too."""
    frame = pd.DataFrame({"share": [0.747, 0.29, -0.747, 0.5056, 0.2449, None], "rate": [0.12345] * 5 + [None]})
    shown, _ = tables.prepare(frame, {"share": fmt.Col("Share", "pct"), "rate": fmt.Col("Rate", "pct1")})

    def cut(x: float, digits: int) -> str:  # what the grid does with a value: x100, cut toward zero
        scaled = int(x * 100 * 10**digits) / 10**digits
        return f"{scaled:.{digits}f}%"

    grid = [cut(v, 0) for v in shown["share"].iloc[:5]]
    assert grid == ["75%", "29%", "-75%", "51%", "24%"]
    assert grid == [fmt.pct(v) for v in frame["share"].iloc[:5]]
    assert cut(shown["rate"].iloc[0], 1) == fmt.pct(0.12345, 1) == "12.3%"
    assert pd.isna(shown["share"].iloc[5]) and pd.isna(shown["rate"].iloc[5])

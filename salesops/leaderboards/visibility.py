"""What a viewer may see of a ranked board (docs/ACCESS.md, SALESOPS_LEADERBOARD_VISIBILITY).

Admin, ops and managers see the board as ranked (a manager's board holds only their teams: the
queries restrict it). The screen-share account (role viewer) sees no individual money. A rep is
ranked against everyone and sees their own row whole; the others appear as the company chose:

* ``names`` — name, team, rank and the non-money figures (no money, no flags);
* ``ranks`` (default) — rank and attainment band only, no name, no figure;
* ``none`` — not at all (their own row only).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesops.access import Viewer

#: Money columns of a ranked board (cents).
MONEY_COLUMNS = ("won_cents", "quota_cents", "avg_deal_cents", "pipeline_cents")
#: Attainment bands shown instead of figures: (lower bound inclusive, label), ascending.
BANDS = ((0.0, "under 50%"), (0.5, "50–80%"), (0.8, "80–100%"), (1.0, "100–120%"), (1.2, "120% and more"))
_FIGURES = ("value", "attainment", "win_rate", "won_count", "lost_count", "closed_count", "activities",
            "team_win_rate", "win_rate_lo", "win_rate_hi", "prev_rank")  # fmt: skip
_LABELS = ("rep_id", "name", "role", "team_id", "team_name", "cohort", "movement", "flag", "flag_basis", "reason")


def attainment_band(attainment: float | None) -> str:
    """The band of an attainment ratio (1.0 = 100 %); "no quota" when undefined."""
    if attainment is None or attainment != attainment:  # noqa: PLR0124 - NaN test
        return "no quota"
    label = BANDS[0][1]
    for low, name in BANDS:
        if attainment >= low:
            label = name
    return label


def _blank(frame: pd.DataFrame, rows: np.ndarray, columns) -> None:
    for col in columns:
        if col not in frame.columns:
            continue
        if col == "trend":
            frame[col] = [[] if hide else v for v, hide in zip(frame[col], rows)]
        elif pd.api.types.is_numeric_dtype(frame[col]):
            frame[col] = frame[col].astype("Float64" if frame[col].dtype.kind == "f" else frame[col].dtype)
            frame.loc[rows, col] = pd.NA
        else:
            frame[col] = frame[col].astype(object)
            frame.loc[rows, col] = ""


def visible_board(
    board: pd.DataFrame, viewer: Viewer | None, visibility: str, by: str, money_metric: bool, own_team: str | None
) -> pd.DataFrame:
    """``board`` as ``viewer`` may see it (see the module doc); ``money_metric``: the ranking value is money."""
    if viewer is None or viewer.role in ("admin", "ops", "manager") or board.empty:
        return board
    out = board.copy().reset_index(drop=True)
    money = [*MONEY_COLUMNS, *(("value", "trend") if money_metric else ())]
    if viewer.role != "rep":  # the screen-share account: no individual money
        if by == "rep":
            _blank(out, np.ones(len(out), dtype=bool), money)
        return out
    mine = (out["rep_id"] == viewer.rep_id) if by == "rep" else (out["team_id"] == own_team)
    others = ~mine.to_numpy(dtype=bool)
    if visibility == "none":
        return out[~others].reset_index(drop=True)
    if by == "team":
        _blank(out, others, money)
        return out
    out["attainment_band"] = [attainment_band(a) for a in out["attainment"]]
    _blank(out, others, [*money, "flag", "flag_basis", "reason"])
    if visibility == "ranks":
        _blank(out, others, [*_FIGURES, *_LABELS, "trend"])
    return out

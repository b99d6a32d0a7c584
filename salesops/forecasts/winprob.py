"""Probability that an open deal is won inside the period, learned from past snapshots.

The training rows (:func:`salesops.forecasts.history_asof.training_rows`) are the deals open at the
same point of earlier periods, each labelled "won inside that period". Because the label is *won
inside the period*, the probability already carries the slip of close dates out of the period: a
deal expected this quarter that historically slips to the next counts as not won here.

Cells, each rate shrunk toward its parent with :data:`PRIOR` pseudo-deals (empirical Bayes):

* company: expected close inside the period or not (``in_period``);
* stage within that;
* age in stage (:data:`AGE_EDGES` days) within the stage.

Then a team factor, a rep factor and a season factor (the same quarter or month of the year), each (observed wins + K) ÷ (expected wins + K) with
:data:`FACTOR_PRIOR` = K expected wins of prior weight, so a team or rep with little history stays
at the company's rate and one with a long record moves toward its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Age-in-stage bucket edges in days: [0, 15), [15, 45), [45, 90), [90, ∞).
AGE_EDGES = (15, 45, 90)
AGE_LABELS = ("0-14 days", "15-44 days", "45-89 days", "90+ days")
#: Pseudo-deals of the parent rate added to each cell (shrinkage strength).
PRIOR = 20.0
#: Expected wins of prior weight on the team and rep factors.
FACTOR_PRIOR = 10.0
#: No open deal is certain: probabilities are kept inside [P_MIN, P_MAX].
P_MIN, P_MAX = 0.001, 0.98


def age_bucket(days: pd.Series | np.ndarray) -> np.ndarray:
    """The :data:`AGE_LABELS` label of each age in days."""
    idx = np.searchsorted(np.asarray(AGE_EDGES), np.asarray(days, dtype=float), side="right")
    return np.asarray(AGE_LABELS, dtype=object)[idx]


def _keys(frame: pd.DataFrame) -> pd.DataFrame:
    """in_period, stage and age bucket of each row (deals have ``age_in_stage``, counted groups ``age``)."""
    age = frame["age"].to_numpy() if "age" in frame else age_bucket(frame["age_in_stage"].fillna(0))
    stage = frame["stage"]
    # Text already (the training rows): as it is, not a new string per row (~110 MB at 1.8M rows).
    text = stage.dtype == object and pd.api.types.infer_dtype(stage, skipna=False) == "string"
    return pd.DataFrame(
        {
            "in_period": frame["in_period"].astype(bool).to_numpy(),
            "stage": stage.to_numpy() if text else stage.astype(str).to_numpy(),
            "age": age,
        }
    )


def _weights(rows: pd.DataFrame) -> np.ndarray:
    """Deals per row: ``n`` for counted groups (history_asof.training_rows), 1 for one row a deal."""
    return rows["n"].to_numpy(dtype="int64") if "n" in rows else np.ones(len(rows), dtype="int64")


@dataclass(frozen=True)
class WinModel:
    """Learned rates: by cell (in_period, stage, age), with team and rep factors (1.0 when unknown)."""

    base: dict[bool, float]
    stage: dict[tuple[bool, str], float]
    cell: dict[tuple[bool, str, str], float]
    team: dict[str, float]
    rep: dict[str, float]
    rows: int
    slip_rate: float | None
    season: float = 1.0

    def company_rate(self, keys: pd.DataFrame) -> np.ndarray:
        """The shrunk cell rate of each row of ``keys`` (in_period, stage, age), its parent's when unseen."""
        if len(keys) == 0:
            return np.zeros(0)
        combos, at = _distinct(keys)  # each distinct key once (a few hundred), then every row's from its key's
        return self._rate(combos)[at]

    def _rate(self, keys: pd.DataFrame) -> np.ndarray:
        overall = float(np.mean(list(self.base.values()))) if self.base else 0.0
        base = keys["in_period"].map(self.base).astype(float).fillna(overall).to_numpy()
        columns = [keys["in_period"].to_numpy(), keys["stage"].to_numpy(), keys["age"].to_numpy()]
        stage = _looked_up(self.stage, columns[:2], base)
        return _looked_up(self.cell, columns, stage)

    def predict(self, deals: pd.DataFrame) -> np.ndarray:
        """P(won inside the period) for deals with in_period, stage, age_in_stage, team_id, rep_id."""
        if len(deals) == 0:
            return np.zeros(0)
        p = self.company_rate(_keys(deals))
        p = p * deals["team_id"].map(self.team).fillna(1.0).to_numpy(dtype=float)
        p = p * deals["rep_id"].map(self.rep).fillna(1.0).to_numpy(dtype=float)
        return np.clip(p * self.season, P_MIN, P_MAX)


def _distinct(keys: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """The distinct rows of ``keys`` (in_period, stage, age) and the position of each row's among them:
    a rate is a function of the key alone, so it is looked up once per key (at 1.8M training rows
    the row-by-row lookup held ~300 MB of index and key arrays)."""
    code = np.zeros(len(keys), dtype=np.int64)
    for col in ("in_period", "stage", "age"):
        codes, uniques = pd.factorize(keys[col], use_na_sentinel=False)
        code = code * max(len(uniques), 1) + codes
    _, first, at = np.unique(code, return_index=True, return_inverse=True)
    return keys.iloc[first].reset_index(drop=True), at.reshape(-1)


def _looked_up(table: dict[tuple, float], columns: list[np.ndarray], parent: np.ndarray) -> np.ndarray:
    """``table``'s rate of each row's key (the row's values of ``columns``), ``parent`` where it has
    none: a dict lookup per row, made with an index (a tuple per row was 200 MB at 1.6M training rows)."""
    if not table:
        return parent.astype(float)
    index = pd.MultiIndex.from_tuples(list(table))
    rates = np.fromiter(table.values(), dtype=float, count=len(table))
    at = index.get_indexer(pd.MultiIndex.from_arrays(columns))
    found = rates[np.maximum(at, 0)]
    return np.where((at >= 0) & ~np.isnan(found), found, parent)


def _shrunk(wins: pd.Series, n: pd.Series, parent: pd.Series) -> pd.Series:
    return (wins + PRIOR * parent) / (n + PRIOR)


def _factor(frame: pd.DataFrame, col: str, expected: np.ndarray) -> dict[str, float]:
    g = frame.assign(_e=expected).groupby(col, dropna=True).agg(o=("won_in_period", "sum"), e=("_e", "sum"))
    return {str(k): float((r.o + FACTOR_PRIOR) / (r.e + FACTOR_PRIOR)) for k, r in g.iterrows()}


def _rates(k: pd.DataFrame) -> tuple[dict, dict, dict]:
    """The shrunk base, stage and cell rates from keyed rows with ``won`` (wins) and ``n`` (deals)."""
    overall = float(k["won"].sum() / k["n"].sum())
    b = k.groupby("in_period")[["won", "n"]].sum().rename(columns={"won": "sum", "n": "count"})
    base = {bool(i): float((r["sum"] + PRIOR * overall) / (r["count"] + PRIOR)) for i, r in b.iterrows()}
    s = k.groupby(["in_period", "stage"])[["won", "n"]].sum().reset_index().rename(columns={"won": "sum", "n": "count"})
    s["rate"] = _shrunk(s["sum"], s["count"], s["in_period"].map(base))
    stage = {(bool(r.in_period), str(r.stage)): float(r.rate) for r in s.itertuples()}
    c = k.groupby(["in_period", "stage", "age"])[["won", "n"]].sum().reset_index()
    c = c.rename(columns={"won": "sum", "n": "count"})
    parent = pd.Series([stage[(bool(a), str(b_))] for a, b_ in zip(c["in_period"], c["stage"])], index=c.index)
    c["rate"] = _shrunk(c["sum"], c["count"], parent)
    cell = {(bool(r.in_period), str(r.stage), str(r.age)): float(r.rate) for r in c.itertuples()}
    return base, stage, cell


def fit_win_model(rows: pd.DataFrame, same_season: set | None = None) -> WinModel:
    """Learn a :class:`WinModel` from labelled snapshot rows (no rows: every rate is 0).

    A row is one deal, or (with a column ``n``) ``n`` deals alike in every key, ``won_in_period``
    and ``won_later`` then being counts. ``same_season``: the training periods of the same quarter
    (or month) of the year as the one forecast; their wins ÷ the model's expected wins, shrunk like
    the team factor, becomes the season factor (Q4 budget flushes win more, summer less).
    """
    if len(rows) == 0:
        return WinModel({}, {}, {}, {}, {}, 0, None)
    n = _weights(rows)
    k = _keys(rows).assign(won=rows["won_in_period"].astype(float).to_numpy(), n=n)
    base, stage, cell = _rates(k)
    model = WinModel(base, stage, cell, {}, {}, int(n.sum()), _slip_rate(rows))
    company = model.company_rate(_keys(rows))
    team = _factor(rows, "team_id", company * n)
    with_team = company * rows["team_id"].map(team).fillna(1.0).to_numpy(dtype=float)
    rep = _factor(rows, "rep_id", with_team * n)
    with_rep = with_team * rows["rep_id"].map(rep).fillna(1.0).to_numpy(dtype=float)
    season = 1.0
    if same_season:
        mask = rows["period"].isin(same_season).to_numpy()
        observed, expected = float(rows.loc[mask, "won_in_period"].sum()), float((with_rep * n)[mask].sum())
        season = (observed + FACTOR_PRIOR) / (expected + FACTOR_PRIOR)
    return WinModel(base, stage, cell, team, rep, model.rows, model.slip_rate, season)


def _slip_rate(rows: pd.DataFrame) -> float | None:
    """Of the deals expected to close inside their period that were won (inside it or later), the
    share won after the period ended: how often a close date slips out of the period."""
    if "won_later" not in rows:
        return None
    exp = rows[rows["in_period"].astype(bool)]
    won_in, won_late = int(exp["won_in_period"].sum()), int(exp["won_later"].sum())
    return won_late / (won_in + won_late) if won_in + won_late else None

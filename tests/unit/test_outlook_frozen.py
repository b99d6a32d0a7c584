"""The outlook and its backtest are exactly what they were before the computation was bounded (#21).

The fingerprints below were recorded from the pandas computation as it was before the outlook read
its history as aggregates from the database (main at 693110b: every won deal and every as-of
snapshot held in pandas): the demo (seed 7, small) and the hand-sized organisation of
test_outlook.py, as of 2026-11-24, for the current quarter and month at every level, and each
kind's backtest rows. Every value is compared exactly (floats by their repr). A change that means to
alter the outlook's method records the new values here: ``SALESOPS_FREEZE_OUTLOOKS=<file> pytest
tests/unit/test_outlook_frozen.py`` writes them to ``<file>`` (store kind duckdb).
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import date

import numpy as np
import pandas as pd
import pytest

from salesops.forecasts.calibrate import conformal_scale
from salesops.forecasts.history_asof import History
from salesops.forecasts.outlook import OUTLOOK_BY, outlook
from salesops.forecasts.outlook_backtest import backtest_points
from tests.unit.test_outlook import org  # noqa: F401 - the hand-sized organisation, a fixture

AS_OF = date(2026, 11, 24)
PERIODS = {"quarter": "2026-Q4", "month": "2026-11"}

#: store -> what -> (rows, md5 of the rows as exact text); recorded before the change.
FROZEN: dict[str, dict[str, tuple[int, str]]] = {
    "demo": {
        "backtest|month": (2003, "eae9116039dbdb64dc5312561cf7b144"),
        "backtest|quarter": (2484, "8d0740ecad09c67bf4aed6d01bcd5418"),
        "outlook|month|company": (1, "8a01f6ff463a20f71da31933f9c8f5b7"),
        "outlook|month|region": (4, "2c4b16b06281a9bae70f6f750178dc97"),
        "outlook|month|rep": (100, "567c302fd5122fe44f055ac8c1feadd5"),
        "outlook|month|team": (11, "f90778f30d638e36eae4293d514d7a21"),
        "outlook|quarter|company": (1, "5b36ef8ac0aaf4a2473e033c3456935e"),
        "outlook|quarter|region": (4, "3f3e2c06d8a3fc9021d4cbe22b0bd08c"),
        "outlook|quarter|rep": (100, "4a4d14b0f022572cc320d501c0c87ceb"),
        "outlook|quarter|team": (11, "0a77a7385754a9a5763290a2411ed737"),
    },
    "org": {
        "backtest|month": (216, "7e9c8a2ce2bff889c50d02b70c1347a6"),
        "backtest|quarter": (288, "042adf38905c569020c297463e094111"),
        "outlook|month|company": (1, "0b7726caa2e89300e2c74fafa28bb88d"),
        "outlook|month|region": (2, "e81cc18e63a3ecdc43c61dad62abcc50"),
        "outlook|month|rep": (6, "c5359818725dd8576ee1f3dc153e4cb0"),
        "outlook|month|team": (3, "3238d33bf72b674f595514e00fd4331f"),
        "outlook|quarter|company": (1, "bdc794ae7b6a9edd7973af142107c272"),
        "outlook|quarter|region": (2, "970e211646ffb263156c3fb4fa8070bf"),
        "outlook|quarter|rep": (6, "01a3286a1a9e6644ed3285985c9aa794"),
        "outlook|quarter|team": (3, "74bbe8ce169d48c0df56cda730731f08"),
    },
}


def _text(value) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "-"
    if isinstance(value, float):
        return repr(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    return str(value)


def fingerprint(frame: pd.DataFrame) -> tuple[int, str]:
    """Row count and md5 of every cell as exact text (floats by repr), row by row in order."""
    lines = ["|".join(frame.columns)]
    lines += ["|".join(_text(v) for v in row) for row in frame.astype(object).itertuples(index=False)]
    return len(frame), hashlib.md5("\n".join(lines).encode()).hexdigest()


def outlook_prints(engine) -> dict[str, tuple[int, str]]:
    """The fingerprints of both kinds' backtests and of the outlooks at every level (computed, not cached)."""
    hist = History(engine)
    out = {}
    for kind, period in PERIODS.items():
        points = backtest_points(hist, kind, AS_OF)
        out[f"backtest|{kind}"] = fingerprint(points)
        for by in OUTLOOK_BY:
            level = points[points["by"] == by]
            scale = conformal_scale(level["score"].to_numpy()) if len(level) else 1.0
            out[f"outlook|{kind}|{by}"] = fingerprint(outlook(engine, period, by, AS_OF, scale=scale, hist=hist))
    return out


def _check(name: str, engine) -> None:
    got = outlook_prints(engine)
    target = os.environ.get("SALESOPS_FREEZE_OUTLOOKS")
    if target:
        saved = json.loads(open(target).read()) if os.path.exists(target) else {}
        saved[name] = got
        with open(target, "w") as fh:
            json.dump(saved, fh, indent=1, sort_keys=True)
        pytest.skip(f"recorded in {target}")
    want = {k: tuple(v) for k, v in FROZEN[name].items()}
    assert {k: tuple(v) for k, v in got.items()} == want


@pytest.mark.slow
def test_the_demos_outlooks_and_backtests_are_unchanged(demo_engine):
    """Demo, as of 2026-11-24: both kinds' backtests and outlooks at every level match the recorded ones."""
    _check("demo", demo_engine)


def test_the_hand_sized_outlooks_and_backtests_are_unchanged(org):  # noqa: F811 - the fixture imported above
    """Hand-sized organisation: both kinds' backtests and outlooks at every level match the recorded ones."""
    _check("org", org)


def test_slicing_the_open_deals_draws_exactly_the_same(org, monkeypatch):  # noqa: F811 - the fixture imported above
    """Deals read 7 at a time, drawn 3 at a time, run-rates 1 cell at a time: the same draws,
    pipeline and counts as all at once."""
    from salesops.forecasts import asof, runrate, simulate

    def run():
        hist = History(org)
        return simulate.simulate(hist, "quarter", date(2026, 10, 1), date(2026, 12, 31), AS_OF, seed=3, sims=50)

    whole = run()
    monkeypatch.setattr(simulate, "DRAW_ROWS", 3)
    monkeypatch.setattr(runrate, "DRAW_CELLS", 1)
    monkeypatch.setattr(asof, "CHUNK_ROWS", 7)
    monkeypatch.setattr(asof.open_pipeline_chunks, "__defaults__", (7,))
    sliced = run()
    assert whole.cells["open_deals"].sum() > 7 and len(whole.runrate.cells) > 1
    assert (whole.draws == sliced.draws).all()
    pd.testing.assert_frame_equal(whole.cells, sliced.cells)


def test_series_summed_a_block_at_a_time_give_the_recorded_outlooks(org, monkeypatch):  # noqa: F811 - the fixture imported above
    """Series summed 2 at a time from cells read 3 at a time (the rep level in several blocks, the
    company from several cell chunks): every outlook and backtest still matches the recorded one."""
    from salesops.forecasts import outlook as outlook_mod

    monkeypatch.setattr(outlook_mod, "SERIES_BLOCK", 2)
    monkeypatch.setattr(outlook_mod, "CELL_CHUNK", 3)
    _check("org", org)


def test_the_pipeline_kept_in_32_bit_whole_cents_gives_the_float_totals(org, monkeypatch):  # noqa: F811 - the fixture imported above
    """The simulated pipeline kept as int32 cents (what fits) and as floats (the old array): the same
    totals bit for bit, the same pipeline and counts; a cell whose open amounts could pass 2^31 cents
    keeps floats."""
    from salesops.forecasts import simulate

    def run():
        hist = History(org)
        return simulate.simulate(hist, "quarter", date(2026, 10, 1), date(2026, 12, 31), AS_OF, seed=5, sims=40)

    dtype_of = simulate._draws_dtype
    small = run()
    assert small.pipeline_draws.dtype == np.int32 and small.pipeline_draws.any()
    monkeypatch.setattr(simulate, "_draws_dtype", lambda deals, n: np.float64)
    floats = run()
    assert floats.pipeline_draws.dtype == np.float64
    assert (
        np.array_equal(small.draws, floats.draws) and (small.draws.view(np.int64) == floats.draws.view(np.int64)).all()
    )
    pd.testing.assert_frame_equal(small.cells, floats.cells)

    big = simulate._Open([np.array([0, 0])], [np.array([0.5, 0.5])], [np.array([2.0**30, 2.0**30])])
    assert dtype_of(big, 1) == np.float64
    assert dtype_of(simulate._Open([np.array([0])], [np.array([0.5])], [np.array([10.5])]), 1) == np.float64
    assert dtype_of(simulate._Open([np.array([0])], [np.array([0.5])], [np.array([2.0**30])]), 1) == np.int32


def test_the_backtest_payload_made_in_parts_is_the_whole_text(org, monkeypatch):  # noqa: F811 - the fixture imported above
    """The stored backtest text made 7 rows (or 1) of a column at a time is exactly ``json.dumps``
    of the columns as lists, as it was made before (NaN, no rows and non-ASCII text too)."""
    from salesops.forecasts import outlook_backtest as bt

    def whole(points: pd.DataFrame) -> str:
        return json.dumps(points.assign(as_of=[d.isoformat() for d in points["as_of"]]).to_dict(orient="list"))

    points = bt.backtest_points(History(org), "quarter", AS_OF)
    odd = points.head(3).assign(series=["Zoë", 'a"b', "c"], score=[float("nan"), 0.5, -1e-300])
    frames = [points, odd, points.head(0)]
    assert len(points) > 7
    for rows in (bt.PAYLOAD_ROWS, 7, 1):
        monkeypatch.setattr(bt, "PAYLOAD_ROWS", rows)
        for frame in frames:
            assert bt.payload_json(frame) == whole(frame)

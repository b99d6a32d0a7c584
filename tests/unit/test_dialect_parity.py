"""The same small store on DuckDB and PostgreSQL gives the same figures on every page's data calls
(money to the cent, rates to 4 decimals), and the dialect pieces read alike on both."""

from __future__ import annotations

import dataclasses
import math
from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from bench.workloads import page_calls
from salesops import store
from salesops.store import dialect
from tests.conftest import TODAY


def _plain(value):
    """A value reduced to comparable plain Python: frames to sorted records, dataclasses to dicts,
    floats rounded to 4 decimals (money in cents is whole: the rounding never hides a cent)."""
    if isinstance(value, pd.DataFrame):
        frame = value.reset_index(drop=True)
        rows = [tuple(_plain(v) for v in row) for row in frame.itertuples(index=False)]
        return (tuple(frame.columns), sorted(rows, key=repr))
    if isinstance(value, pd.Series):
        return _plain(value.to_frame())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return tuple(_plain(v) for v in value)
    if isinstance(value, np.ndarray):
        return tuple(_plain(v) for v in value.tolist())
    if isinstance(value, (pd.Timestamp, datetime)):
        return pd.Timestamp(value).date() if pd.Timestamp(value).normalize() == pd.Timestamp(value) else str(value)
    if isinstance(value, date):
        return value
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return float(value)
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else round(float(value), 4) + 0.0
    return value


def _calls(url: str) -> dict:
    engine = store.open_store(url)
    try:
        out = {}
        for page, calls in page_calls(engine, TODAY).items():
            for name, call in calls.items():
                out[f"{page}: {name}"] = _plain(call())
        return out
    finally:
        engine.dispose()


@pytest.mark.store("postgresql")
@pytest.mark.slow
def test_every_page_data_call_gives_the_same_figures_on_both_stores(demo_url, tmp_path_factory):
    """Each page's library calls on the PostgreSQL demo equal those on the DuckDB demo of the same seed."""
    from salesops.demo import build_demo
    from tests.conftest import SEED

    duck_url = f"duckdb:///{tmp_path_factory.mktemp('parity') / 'demo.duckdb'}"
    engine = store.open_store(duck_url)
    build_demo(engine, seed=SEED, scale="small", today=TODAY)
    engine.dispose()
    duck, pg = _calls(duck_url), _calls(demo_url)
    assert duck.keys() == pg.keys()
    differ = [name for name in duck if duck[name] != pg[name]]
    assert differ == [], f"figures differ between DuckDB and PostgreSQL in: {differ}"


def test_try_cast_reads_good_values_and_gives_null_for_bad_ones(empty_engine):
    """try_cast: a date and a whole number read back; text that is neither gives NULL, not an error."""
    sql = f"""SELECT {dialect.try_cast(empty_engine, ":d", "DATE")} AS d,
                     {dialect.try_cast(empty_engine, ":bad", "DATE")} AS bad_d,
                     {dialect.try_cast(empty_engine, ":n", "BIGINT")} AS n,
                     {dialect.try_cast(empty_engine, ":bad", "BIGINT")} AS bad_n"""
    with empty_engine.connect() as conn:
        row = conn.execute(sa.text(sql), {"d": "2026-02-28", "n": "-1234567", "bad": "soon"}).one()
    assert tuple(row) == (date(2026, 2, 28), None, -1234567, None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-02-29", date(2024, 2, 29)),  # a leap day
        ("2023-02-29", None),  # not a leap year
        ("2024-02-30", None),
        ("2024-04-31", None),
        ("2024-12-31", date(2024, 12, 31)),
        ("2024-13-01", None),
        ("2024-00-10", None),
    ],
)
def test_try_cast_gives_null_for_a_date_that_does_not_exist(empty_engine, text, expected):
    """A date-shaped text that is not a real day reads as NULL on both stores, never an error."""
    sql = f"SELECT {dialect.try_cast(empty_engine, 'CAST(:d AS VARCHAR)', 'DATE')} AS d"
    with empty_engine.connect() as conn:
        assert conn.execute(sa.text(sql), {"d": text}).scalar_one() == expected


def test_round_half_up_and_ratio_agree_on_both_stores(empty_engine):
    """Half-cent ties round up and integer ratios are fractions (not integer division) on every store."""
    sql = f"""SELECT {dialect.round_half_up("CAST(:a AS DOUBLE PRECISION)")} AS a,
                     {dialect.round_half_up("CAST(:b AS DOUBLE PRECISION)")} AS b,
                     {dialect.ratio("CAST(:x AS INTEGER)", "CAST(:y AS INTEGER)")} AS r,
                     {dialect.ratio("CAST(:x AS INTEGER)", "0")} AS r0"""
    with empty_engine.connect() as conn:
        row = conn.execute(sa.text(sql), {"a": 2.5, "b": 3.5, "x": 7, "y": 2}).one()
    assert tuple(row) == (3, 4, 3.5, None)


def test_sums_and_averages_come_back_as_numbers_not_decimals(empty_engine):
    """SUM of BIGINT and AVG of INTEGER are int/float on both stores (PostgreSQL's NUMERIC is not Decimal)."""
    with empty_engine.connect() as conn:
        row = conn.execute(
            sa.text("SELECT SUM(x) AS s, AVG(CAST(x AS INTEGER)) AS a FROM (VALUES (CAST(2 AS BIGINT)), (3)) t(x)")
        ).one()
    assert row.s == 5 and isinstance(row.s, int)
    assert row.a == 2.5 and isinstance(row.a, float)


@pytest.mark.parametrize("where", ["TRUE", "FALSE"])
def test_the_arrow_read_gives_the_same_frame_as_the_plain_read(empty_engine, where):
    """store.arrow_result_frame (Arrow on DuckDB) and store.result_frame give the same columns,
    dtypes and values: strings with nulls, dates (with a null), whole numbers, doubles; and no rows."""
    sql = f"""SELECT * FROM (VALUES
                ('a', CAST(NULL AS VARCHAR), CAST('2026-01-31' AS DATE), CAST(1 AS INTEGER), CAST(0.5 AS DOUBLE PRECISION)),
                ('b', 'x', CAST(NULL AS DATE), CAST(2 AS INTEGER), CAST(NULL AS DOUBLE PRECISION))
              ) t(s, n, d, i, f) WHERE {where} ORDER BY s"""  # noqa: S608 - our constants
    with empty_engine.connect() as conn:
        plain = store.result_frame(conn.execute(sa.text(sql)))
        arrow = store.arrow_result_frame(conn.execute(sa.text(sql)))
    pd.testing.assert_frame_equal(arrow, plain)  # PostgreSQL: no Arrow read, the plain one

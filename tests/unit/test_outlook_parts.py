"""The outlook backtest stored in parts (rows of at most ~PART_CHARS characters) reads back exactly,
and the snapshot counts a backtest lets go of change none of its rows (issue #21: the child's memory)."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd

from salesops.forecasts.history_asof import History
from tests.unit.test_outlook import org  # noqa: F401 - the hand-sized organisation, a fixture

AS_OF = date(2026, 11, 24)


def test_the_payload_cut_into_parts_joins_back_to_the_whole_text(org, monkeypatch):  # noqa: F811 - the fixture imported above
    """Parts of any size (1 character, a few, more than the whole) concatenate to exactly
    ``payload_json``, none is empty unless the whole text is, and there is always at least one."""
    from salesops.forecasts import outlook_backtest as bt

    monkeypatch.setattr(bt, "PAYLOAD_ROWS", 7)
    points = bt.backtest_points(History(org), "quarter", AS_OF)
    no_columns = pd.DataFrame()
    for frame in (points, points.head(0), no_columns):
        whole = bt.payload_json(frame)
        for size in (1, 5, 1000, len(whole) + 1):
            parts = list(bt.payload_parts(frame, size))
            assert "".join(parts) == whole
            assert len(parts) >= 1 and all(parts)
            assert all(len(p) >= size for p in parts[:-1])
    assert bt.payload_json(no_columns) == "{}" == json.dumps({})
    assert len(list(bt.payload_parts(points, 1000))) > 3  # the org's payload really is cut


def _stored_rows(engine) -> dict[str, str]:
    import sqlalchemy as sa

    with engine.connect() as conn:
        return dict(conn.execute(sa.text("SELECT cache_key, payload FROM forecast_backtests")).all())


def test_the_backtest_stored_in_parts_reads_back_exactly(org, monkeypatch):  # noqa: F811 - the fixture imported above
    """backtest_cached stores its payload in parts (rows KEY|000000…, then the head row KEY = 'parts:N')
    and reads back the same text and the same frame; an empty backtest too; an incomplete set reads as
    missing; a rewrite leaves no part of the last one; a whole payload stored by older code still reads."""
    from salesops import store
    from salesops.forecasts import outlook_backtest as bt

    monkeypatch.setattr(bt, "PART_CHARS", 1000)
    version = store.data_version(org)
    computed = bt.backtest_cached(org, "quarter", AS_OF)
    key = bt._key("quarter", AS_OF)
    rows = _stored_rows(org)
    count = len(list(bt.payload_parts(computed, 1000)))
    assert count > 3
    assert rows[key] == f"parts:{count}"
    assert sorted(rows) == sorted([key] + [f"{key}|{i:06d}" for i in range(count)])
    assert bt.read_parts(org, key, version) == bt.payload_json(computed)
    pd.testing.assert_frame_equal(bt.backtest_cached(org, "quarter", AS_OF), computed)  # read from the parts

    # An empty backtest: one part, the columns with no rows.
    empty = computed.head(0)
    bt.store_parts(org, key, version, bt.payload_parts(empty, 1000))
    assert _stored_rows(org) == {key: "parts:1", f"{key}|000000": bt.payload_json(empty)}  # the longer set is gone
    read = bt.backtest_cached(org, "quarter", AS_OF)
    assert len(read) == 0 and list(read.columns) == bt.POINT_COLUMNS

    # A part missing: not trusted (None), so the backtest is computed and stored again.
    bt.store_parts(org, key, version, bt.payload_parts(computed, 1000))
    import sqlalchemy as sa

    with org.begin() as conn:
        conn.execute(sa.text("DELETE FROM forecast_backtests WHERE cache_key = :k"), {"k": f"{key}|000001"})
    assert bt.read_parts(org, key, version) is None
    assert bt.read_parts(org, key, version + 1) is None  # another data version: not stored
    pd.testing.assert_frame_equal(bt.backtest_cached(org, "quarter", AS_OF), computed)
    assert bt.read_parts(org, key, version) == bt.payload_json(computed)

    # A whole payload in the head row (as stored before the parts): read as it is.
    with org.begin() as conn:
        conn.execute(sa.text("DELETE FROM forecast_backtests"))
    bt.store_parts(org, key, version, [bt.payload_json(computed)])
    with org.begin() as conn:
        conn.execute(sa.text("DELETE FROM forecast_backtests WHERE cache_key <> :k"), {"k": key})
        conn.execute(
            sa.text("UPDATE forecast_backtests SET payload = :p WHERE cache_key = :k"),
            {"p": bt.payload_json(computed), "k": key},
        )
    assert bt.read_parts(org, key, version) == bt.payload_json(computed)
    pd.testing.assert_frame_equal(bt.backtest_cached(org, "quarter", AS_OF), computed)


def test_forgetting_snapshot_counts_changes_nothing_but_what_is_kept(org):  # noqa: F811 - the fixture imported above
    """History.forget drops the kept counts of the periods from a date (all without one); the backtest
    made with them dropped as it goes equals the one made keeping every count."""
    from datetime import timedelta

    from salesops.forecasts import outlook_backtest as bt

    hist = History(org)
    q3, q2 = date(2026, 7, 1), date(2026, 4, 1)
    hist.snapshot_groups(q3 - timedelta(days=1), q3, date(2026, 9, 30), AS_OF)
    hist.snapshot_groups(q2 - timedelta(days=1), q2, date(2026, 6, 30), AS_OF)
    hist.forget(q3)
    assert [k[1] for k in hist._groups] == [q2]
    hist.forget()
    assert len(hist._groups) == 0

    kept = History(org)
    kept.forget = lambda periods_from=None: None  # type: ignore[method-assign] - keeps every count
    pd.testing.assert_frame_equal(
        bt.backtest_points(History(org), "month", AS_OF), bt.backtest_points(kept, "month", AS_OF)
    )


def test_the_stored_text_parsed_a_column_at_a_time_is_the_whole_json_frame(org):  # noqa: F811 - the fixture imported above
    """payload_frame(text) is exactly pd.DataFrame(json.loads(text)) (values, dtypes, order): the
    org's backtest text, its empty frame, JSON written with other blanks, nulls and NaN; a text that
    is not an object of lists is refused."""
    import pytest

    from salesops.forecasts import outlook_backtest as bt

    points = bt.backtest_points(History(org), "quarter", AS_OF)
    texts = [
        bt.payload_json(points),
        bt.payload_json(points.head(0)),
        "{}",
        ' {\n "a" : [ 1 , 2 ] ,"b":["x", null],\t"c": [NaN, 2.5] } ',
        json.dumps({"period": ["2026-Q3"], "won": [0.0]}, indent=2),
    ]
    for text in texts:
        pd.testing.assert_frame_equal(bt.payload_frame(text), pd.DataFrame(json.loads(text)), check_exact=True)
    assert len(bt.payload_frame(texts[0])) == len(points) > 0
    for bad in ('["a"]', '{"a": [1] "b": [2]}', '{"a" [1]}'):
        with pytest.raises(ValueError):
            bt.payload_frame(bad)

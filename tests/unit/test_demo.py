"""The demo organisation: its size, determinism, and every planted trait of docs/DEMO_DATA.md."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa

from salesops import demo, store
from tests.conftest import SEED, TODAY

# The demo is generated in Python, the same rows on every store (test_dialect_parity compares the
# pages on both); these checks read its traits with DuckDB SQL and its physical row order.
pytestmark = pytest.mark.store("duckdb")


def q(engine, sql, **params) -> pd.DataFrame:
    return store.read_frame(engine, sa.text(sql), params)


def test_small_demo_has_the_promised_size(demo_engine):
    """About 4 regions, 10–12 teams with managers, 100–150 reps (AEs and SDRs), three years of data."""
    c = store.table_counts(demo_engine)
    assert 10 <= c["teams"] <= 12 and 100 <= c["reps"] <= 150
    assert q(demo_engine, "SELECT COUNT(DISTINCT region) n FROM teams").n[0] == 4
    assert q(demo_engine, "SELECT COUNT(*) n FROM teams WHERE manager IS NULL").n[0] == 0
    assert set(q(demo_engine, "SELECT DISTINCT role FROM reps").role) == {"AE", "SDR"}
    for table in ("quotas", "leads", "deals", "deal_stage_history", "activities", "tools", "survey_responses"):
        assert c[table] > 0, table
    span = q(demo_engine, "SELECT MIN(created_date) lo, MAX(close_date) hi FROM deals WHERE outcome <> 'open'")
    assert (TODAY - span.lo[0]).days >= 3 * 365 - 31 and span.hi[0] <= TODAY
    assert q(demo_engine, "SELECT COUNT(DISTINCT round_id) n FROM survey_rounds").n[0] == 3


def test_the_demo_is_deterministic_for_a_seed(tmp_path):
    """Two builds with the same seed and day give identical tables; another seed differs."""

    def build(name, seed):
        engine = store.open_store(f"duckdb:///{tmp_path / name}")
        demo.build_demo(engine, seed=seed, today=TODAY)
        out = q(engine, "SELECT deal_id, rep_id, amount_cents, outcome, close_date FROM deals ORDER BY deal_id")
        engine.dispose()
        return out

    a, b, c = build("a.duckdb", SEED), build("b.duckdb", SEED), build("c.duckdb", SEED + 1)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


def test_every_generated_row_lands_in_the_store(tmp_path):
    """The row counts build_demo reports are the rows the tables hold (staging loses nothing)."""
    engine = store.open_store(f"duckdb:///{tmp_path / 'n.duckdb'}")
    summary = demo.build_demo(engine, seed=SEED, today=TODAY)
    held = store.table_counts(engine)
    assert {t: held[t] for t in summary.counts} == summary.counts
    assert summary.counts["activities"] > 200_000  # more than one DuckDB row group


def test_big_tables_are_stored_in_date_order(demo_engine):
    """Activities and deals sit in date order, so date filters can skip row groups."""
    acts = q(demo_engine, "SELECT occurred_at FROM activities").occurred_at
    assert acts.is_monotonic_increasing
    deals = q(demo_engine, "SELECT close_date FROM deals").close_date
    assert deals.is_monotonic_increasing


def test_rebuilding_replaces_rather_than_appends(tmp_path):
    """Building twice into one store leaves one organisation, not two."""
    engine = store.open_store(f"duckdb:///{tmp_path / 'x.duckdb'}")
    first = demo.build_demo(engine, seed=SEED, today=TODAY).counts
    demo.build_demo(engine, seed=SEED, today=TODAY)
    assert store.table_counts(engine)["deals"] == first["deals"]


def test_yearly_seasonality_and_end_of_quarter_push(demo_engine):
    """Q4 books more than Q3 every year, and the last two weeks of a quarter carry an outsized share."""
    by_q = q(
        demo_engine,
        "SELECT year(close_date) y, quarter(close_date) qq, SUM(amount_cents) won FROM deals "
        "WHERE outcome='won' GROUP BY ALL",
    ).pivot(index="y", columns="qq", values="won")
    full_years = [y for y in by_q.index if y < TODAY.year and by_q.loc[y].notna().all()]
    assert full_years
    assert all(by_q.loc[y, 4] > by_q.loc[y, 3] for y in full_years)
    share = q(
        demo_engine,
        "SELECT AVG(CASE WHEN last_day(close_date + INTERVAL (2 - (month(close_date) - 1) % 3) MONTH) - close_date < 14 "
        "THEN 1.0 ELSE 0 END) s FROM deals WHERE outcome='won'",
    ).s[0]
    assert share > 0.22  # uniform would be about 14/91 = 0.15


def test_new_hires_ramp(demo_engine):
    """A rep hired during the history has a smaller quota in their first month than after ramp."""
    ramps = q(
        demo_engine,
        """
        SELECT r.rep_id, q.period_start, q.amount_cents FROM reps r JOIN quotas q USING (rep_id)
        WHERE r.hire_date > DATE '2024-06-01' AND r.hire_date < DATE '2025-06-01' AND r.role = 'AE'
        ORDER BY r.rep_id, q.period_start
        """,
    )
    assert ramps.rep_id.nunique() >= 3
    for _, g in ramps.groupby("rep_id"):
        assert g.amount_cents.iloc[0] < 0.6 * g.amount_cents.iloc[6]


def _win_rates(engine):
    return q(
        engine,
        "SELECT rep_id, AVG(CASE WHEN outcome='won' THEN 1.0 ELSE 0 END) wr, COUNT(*) n "
        "FROM deals WHERE outcome <> 'open' GROUP BY rep_id",
    ).set_index("rep_id")


def test_stars_and_strugglers_are_planted(demo_engine):
    """Stars win far more often than the median AE, strugglers far less; the low-volume rep has few deals."""
    planted = demo.planted_reps(seed=SEED, today=TODAY).set_index("rep_id")
    wr = _win_rates(demo_engine)
    median = wr.wr.median()
    stars = planted.index[planted.trait == "star"]
    strugglers = planted.index[planted.trait == "struggler"]
    assert len(stars) == 3 and len(strugglers) == 3
    assert (wr.loc[stars, "wr"] > median + 0.12).all()
    assert (wr.loc[strugglers, "wr"] < median - 0.1).all()
    low = planted.index[planted.trait == "low_volume"][0]
    assert q(demo_engine, "SELECT COUNT(*) n FROM deals WHERE rep_id = :r AND outcome <> 'open'", r=low).n[0] <= 8


def test_one_team_stalls_at_qualification(demo_engine):
    """The stalled team has the most leads per AE but converts MQL→SQL at a fraction of the others."""
    f = q(
        demo_engine,
        "SELECT team_id, SUM(CASE WHEN furthest_stage <> 'lead' THEN 1 ELSE 0 END) mql, "
        "SUM(CASE WHEN furthest_stage IN ('sql','opportunity','won') THEN 1 ELSE 0 END) sqls, COUNT(*) n "
        "FROM leads GROUP BY team_id",
    ).set_index("team_id")
    conv = f.sqls / f.mql
    stalled = demo.STALLED_FUNNEL_TEAM
    assert conv[stalled] < 0.5 * conv.drop(stalled).min()
    assert f.n[stalled] == f.n.max()


def test_one_team_routes_leads_lopsidedly(demo_engine):
    """In the lopsided team two reps get most leads; elsewhere no rep gets over a third."""
    per_rep = q(demo_engine, "SELECT team_id, rep_id, COUNT(*) n FROM leads GROUP BY ALL")
    per_rep["share"] = per_rep.n / per_rep.groupby("team_id").n.transform("sum")
    top2 = per_rep.sort_values("share", ascending=False).groupby("team_id").head(2).groupby("team_id").share.sum()
    assert top2[demo.LOPSIDED_ROUTING_TEAM] > 0.6
    assert top2.drop(demo.LOPSIDED_ROUTING_TEAM).max() < 0.45


def test_reps_dislike_one_tool_more_each_round(demo_engine):
    """The dialer has the lowest satisfaction and it falls round after round."""
    s = q(
        demo_engine,
        "SELECT r.opens_on, tool_id, AVG(satisfaction) sat FROM survey_responses JOIN survey_rounds r USING (round_id) GROUP BY ALL",
    ).pivot(index="opens_on", columns="tool_id", values="sat")
    assert (s.idxmin(axis=1) == demo.DISLIKED_TOOL).all()
    assert s[demo.DISLIKED_TOOL].is_monotonic_decreasing


def test_a_rep_who_changed_team_keeps_old_deals_with_the_old_team(demo_engine):
    """The moved rep's deals before the move carry their old team id, later ones the new."""
    moved = demo.planted_reps(seed=SEED, today=TODAY).query("trait == 'moved_team'").rep_id.iloc[0]
    teams = q(demo_engine, "SELECT DISTINCT d.team_id FROM deals d WHERE rep_id = :r", r=moved).team_id
    current = q(demo_engine, "SELECT team_id FROM reps WHERE rep_id = :r", r=moved).team_id[0]
    assert set(teams) == {"T02", current}


def test_survey_answers_carry_no_rep_identity(demo_engine):
    """survey_responses has no column that could name a rep."""
    cols = set(q(demo_engine, "SELECT * FROM survey_responses LIMIT 0").columns)
    assert not {"rep_id", "token", "email", "name"} & cols


@pytest.mark.parametrize("scale", ["bogus"])
def test_an_unknown_scale_is_refused(empty_engine, scale):
    """`--scale bogus` is a clear error, and nothing is written."""
    with pytest.raises(ValueError, match="Unknown scale"):
        demo.build_demo(empty_engine, scale=scale)
    assert store.table_counts(empty_engine)["deals"] == 0

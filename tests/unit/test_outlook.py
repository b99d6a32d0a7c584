"""The outlook: as-of reconstruction, learned win rates, calibration, chance of quota, bottom-up sums, CLI."""

from __future__ import annotations

import json
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from salesops.cli.main import main
from salesops.forecasts.asof import open_pipeline_asof
from salesops.forecasts.calibrate import conformal_scale, covered, loo_coverage, scores
from salesops.forecasts.history_asof import History, parse_period
from salesops.forecasts.outlook import aggregate, chance, outlook
from salesops.forecasts.scorecard import mase_scale
from salesops.forecasts.simulate import as_of_points, simulate
from salesops.forecasts.winprob import PRIOR, fit_win_model
from salesops.store.schema import deal_changes, deal_stage_history, deals, quotas, reps, teams
from tests.builders import insert, monthly_quota, rep

TEAMS = [("T1", "Alpha", "North"), ("T2", "Beta", "North"), ("T3", "Gamma", "South")]


def _deal(deal_id, created, close, outcome, amount=100_000, stage=None, rep_id="R1", team="T1"):
    stage = stage or {"won": "Closed Won", "lost": "Closed Lost"}.get(outcome, "Proposal")
    return dict(
        deal_id=deal_id,
        rep_id=rep_id,
        team_id=team,
        stage=stage,
        outcome=outcome,
        amount_cents=amount,
        created_date=created,
        close_date=close,
    )


@pytest.fixture
def tiny(empty_engine):
    """Four hand-built deals around the as-of date 2026-02-01 (see each test)."""
    insert(empty_engine, teams, [dict(team_id="T1", name="Alpha", region="North")])
    insert(empty_engine, reps, [rep("R1", "T1")])
    insert(
        empty_engine,
        deals,
        [
            _deal("D1", date(2026, 1, 10), date(2026, 3, 15), "open", stage="Discovery"),
            _deal("D2", date(2026, 2, 10), date(2026, 3, 20), "open"),
            _deal("D3", date(2026, 1, 5), date(2026, 3, 1), "won", amount=800_000),
            _deal("D4", date(2026, 1, 2), date(2026, 1, 25), "lost"),
        ],
    )
    hist = [
        ("D1", "Prospecting", date(2026, 1, 10)),
        ("D1", "Discovery", date(2026, 1, 25)),
        ("D3", "Prospecting", date(2026, 1, 5)),
        ("D3", "Proposal", date(2026, 1, 20)),
        ("D3", "Negotiation", date(2026, 2, 15)),
        ("D3", "Closed Won", date(2026, 3, 1)),
        ("D4", "Prospecting", date(2026, 1, 2)),
        ("D4", "Closed Lost", date(2026, 1, 25)),
    ]
    insert(empty_engine, deal_stage_history, [dict(deal_id=d, stage=s, entered_at=e) for d, s, e in hist])
    insert(
        empty_engine,
        deal_changes,
        [
            dict(
                deal_id="D3",
                changed_at=date(2026, 2, 10),
                field="close_date",
                old_value="2026-02-20",
                new_value="2026-03-01",
            ),
            dict(
                deal_id="D3", changed_at=date(2026, 2, 20), field="amount_cents", old_value="500000", new_value="800000"
            ),
            dict(
                deal_id="D1",
                changed_at=date(2026, 1, 20),
                field="close_date",
                old_value="2026-02-28",
                new_value="2026-03-15",
            ),
        ],
    )
    return empty_engine


def test_a_deal_created_after_the_as_of_date_is_invisible(tiny):
    """As of 2026-02-01, D2 (created 02-10) and D4 (lost 01-25) are not in the pipeline; D1 and D3 are."""
    snap = open_pipeline_asof(tiny, date(2026, 2, 1))
    assert sorted(snap["deal_id"]) == ["D1", "D3"]


def test_a_deal_won_later_counts_as_open_with_the_stage_amount_and_close_it_had(tiny):
    """D3 (won 03-01) is open as of 02-01 in Proposal for 12 days, at $5,000, expected 02-20."""
    snap = open_pipeline_asof(tiny, date(2026, 2, 1)).set_index("deal_id")
    d3 = snap.loc["D3"]
    assert (d3["stage"], d3["age_in_stage"], d3["amount_cents"]) == ("Proposal", 12, 500_000)
    assert d3["expected_close"] == pd.Timestamp(2026, 2, 20)
    # D1's close-date change (01-20) happened before the as-of date: the current close date holds.
    assert snap.loc["D1", "expected_close"] == pd.Timestamp(2026, 3, 15)
    assert snap.loc["D1", "stage"] == "Discovery"


def test_after_every_change_the_reconstruction_is_todays_pipeline(tiny):
    """As of 02-25 (after both of D3's changes) D3 is in Negotiation at $8,000, closing 03-01."""
    d3 = open_pipeline_asof(tiny, date(2026, 2, 25)).set_index("deal_id").loc["D3"]
    assert (d3["stage"], d3["amount_cents"], d3["expected_close"]) == ("Negotiation", 800_000, pd.Timestamp(2026, 3, 1))


def test_an_empty_store_has_an_empty_pipeline(empty_engine):
    """No deals: an empty frame with the as-of columns, not an error."""
    assert len(open_pipeline_asof(empty_engine, date(2026, 2, 1))) == 0


def test_win_rates_are_shrunk_toward_the_parent_cell():
    """10 in-period Proposal deals aged 0-14 days, 5 won; 10 out-of-period, 0 won: rates by hand."""
    rows = pd.DataFrame(
        {
            "in_period": [True] * 10 + [False] * 10,
            "stage": ["Proposal"] * 20,
            "age_in_stage": [3] * 20,
            "won_in_period": [True] * 5 + [False] * 15,
            "won_later": [False] * 20,
            "team_id": ["T1"] * 20,
            "rep_id": ["R1"] * 20,
            "period": [date(2026, 1, 1)] * 20,
        }
    )
    model = fit_win_model(rows)
    overall = 5 / 20
    base_in = (5 + PRIOR * overall) / (10 + PRIOR)  # (5 + 5) / 30 = 1/3
    assert model.base[True] == pytest.approx(1 / 3) == pytest.approx(base_in)
    stage_in = (5 + PRIOR * base_in) / (10 + PRIOR)  # (5 + 20/3) / 30
    assert model.stage[(True, "Proposal")] == pytest.approx(stage_in)
    assert model.cell[(True, "Proposal", "0-14 days")] == pytest.approx((5 + PRIOR * stage_in) / 30)


def test_the_slip_rate_is_the_share_of_in_period_wins_that_came_late():
    """4 in-period deals won inside, 1 won after the period: slip 1/5."""
    rows = pd.DataFrame(
        {
            "in_period": [True] * 6,
            "stage": ["Proposal"] * 6,
            "age_in_stage": [0] * 6,
            "won_in_period": [True] * 4 + [False] * 2,
            "won_later": [False] * 4 + [True, False],
            "team_id": ["T1"] * 6,
            "rep_id": ["R1"] * 6,
            "period": [date(2026, 1, 1)] * 6,
        }
    )
    assert fit_win_model(rows).slip_rate == pytest.approx(0.2)


def test_the_chance_of_quota_is_never_certain_while_the_period_is_open():
    """All draws above quota: (n+1)/(n+2), not 1; none: 1/(n+2), not 0; met or closed: exact."""
    draws = np.full(98, 10.0)
    assert chance(draws, 5.0, won=0.0, closed=False) == pytest.approx(99 / 100)
    assert chance(draws, 50.0, won=0.0, closed=False) == pytest.approx(1 / 100)
    assert chance(draws, 5.0, won=6.0, closed=False) == 1.0
    assert chance(draws, 50.0, won=6.0, closed=True) == 0.0


def test_the_chance_is_never_shown_as_certain_by_rounding():
    """0.9995 reads ">99%", 0.004 "<1%", 0.5 "50%"; exactly 1 and 0 read "100%" and "0%"."""
    from salesops.forecasts.outlook import chance_label

    assert [chance_label(p) for p in (0.9995, 0.004, 0.5, 1.0, 0.0, None)] == [
        ">99%",
        "<1%",
        "50%",
        "100%",
        "0%",
        "no quota",
    ]


def test_calibration_on_a_synthetic_series_reaches_nominal_coverage():
    """The simulation says ±1 but the truth has sd 2: raw coverage ~38 %; conformal on 400 points gives ~80 % on 4,000 new ones."""
    rng = np.random.default_rng(11)
    half = 1.2816  # the P90 of a standard normal: the stated range is the N(0, 1) P10-P90
    train = rng.normal(0, 2, 400)
    test = rng.normal(0, 2, 4000)
    s_train = scores(train, np.zeros(400), np.full(400, -half), np.full(400, half))
    s_test = scores(test, np.zeros(4000), np.full(4000, -half), np.full(4000, half))
    assert covered(s_test, 1.0).mean() == pytest.approx(0.477, abs=0.03)  # P(|N(0,4)| < 1.28)
    scale = conformal_scale(s_train)
    assert scale == pytest.approx(2.0, abs=0.25)
    assert covered(s_test, scale).mean() == pytest.approx(0.8, abs=0.03)


def test_leave_one_period_out_coverage_judges_each_period_without_itself():
    """Four periods: three with score 0.5 and one with score 9: its points fall outside the others' factor."""
    pts = pd.DataFrame({"period": ["a"] * 2 + ["b"] * 2 + ["c"] * 2 + ["d"] * 2, "score": [0.5] * 6 + [9, 9]})
    assert loo_coverage(pts) == pytest.approx(6 / 8)


def test_period_labels_are_read_and_bad_ones_explained():
    """2026-Q4 and 2026-11 parse; 2026-Q5 is an InvalidFilter with a hint."""
    assert parse_period("2026-Q4") == ("quarter", date(2026, 10, 1), date(2026, 12, 31))
    assert parse_period("2026-11") == ("month", date(2026, 11, 1), date(2026, 11, 30))
    with pytest.raises(Exception, match="Cannot read the period"):
        parse_period("2026-Q5")


def test_the_backtest_points_are_the_day_before_and_the_month_ends():
    """2026-Q3: 06-30, 07-31, 08-31 (so the monthly baselines see the same actuals)."""
    assert as_of_points("quarter", date(2026, 7, 1), date(2026, 9, 30)) == {
        "start": date(2026, 6, 30),
        "third": date(2026, 7, 31),
        "two_thirds": date(2026, 8, 31),
    }


def test_the_mase_scale_is_the_in_sample_seasonal_naive_error():
    """Quarterly totals 10, 20, 30, 40, 14, 26: |14-10| and |26-20| → MAE 5."""
    months = pd.date_range("2025-01-01", periods=18, freq="MS")
    per_quarter = [10, 20, 30, 40, 14, 26]
    y = pd.Series([v / 3 for v in per_quarter for _ in range(3)], index=months)
    assert mase_scale(y, date(2026, 7, 1)) == pytest.approx(5.0)


# ---- a small organisation with two years of history ------------------------------------------


@pytest.fixture
def org(empty_engine):
    """Three teams in two regions, two reps each, ~8 deals a rep a quarter from 2024 to 2026-11-24."""
    rng = np.random.default_rng(5)
    today = date(2026, 11, 24)
    insert(empty_engine, teams, [dict(team_id=t, name=n, region=r) for t, n, r in TEAMS])
    rep_rows = [rep(f"R{i}", TEAMS[(i - 1) // 2][0]) for i in range(1, 7)]
    insert(empty_engine, reps, rep_rows)
    insert(empty_engine, quotas, [q for r in rep_rows for q in monthly_quota(r["rep_id"], range(1, 13), 2_000_000)])
    rows, hist = [], []
    start = date(2024, 1, 1)
    for n in range(int((today - start).days / 11.5) * 6):
        r = rep_rows[n % 6]
        created = start + timedelta(days=int(rng.integers(0, (today - start).days)))
        close = created + timedelta(days=int(rng.integers(10, 80)))
        outcome = "open" if close > today else ("won" if rng.random() < 0.4 else "lost")
        did = f"D{n:04d}"
        rows.append(
            _deal(did, created, close, outcome, int(rng.integers(1, 20)) * 100_000, None, r["rep_id"], r["team_id"])
        )
        hist.append(dict(deal_id=did, stage="Prospecting", entered_at=created))
        mid = created + (close - created) / 2
        if mid <= today:
            hist.append(dict(deal_id=did, stage="Proposal", entered_at=mid))
        if outcome != "open":
            hist.append(dict(deal_id=did, stage=rows[-1]["stage"], entered_at=close))
    insert(empty_engine, deals, rows)
    insert(empty_engine, deal_stage_history, hist)
    return empty_engine


def test_team_outlooks_add_up_to_regions_and_the_company_draw_by_draw(org):
    """Every simulated quarter: teams sum to their region, regions to the company; expected values too."""
    hist = History(org)
    sim = simulate(hist, "quarter", date(2026, 10, 1), date(2026, 12, 31), date(2026, 11, 24), seed=3, sims=300)
    from salesops.forecasts.outlook import _teams

    tm = _teams(org)
    company, c_draws = aggregate(sim, "company", tm)
    region, r_draws = aggregate(sim, "region", tm)
    team, t_draws = aggregate(sim, "team", tm)
    rep_sums, p_draws = aggregate(sim, "rep", tm)
    assert np.allclose(t_draws.sum(axis=0), c_draws[0]) and np.allclose(p_draws.sum(axis=0), c_draws[0])
    north = t_draws[team["series"].isin(["T1", "T2"]).to_numpy()].sum(axis=0)
    assert np.allclose(north, r_draws[region["series"].tolist().index("North")])
    for col in ("won", "pipeline", "runrate"):
        assert team[col].sum() == pytest.approx(company[col].iloc[0]) == pytest.approx(rep_sums[col].sum())


def test_the_outlook_frame_reads_plainly(org):
    """Company Q4 outlook as of 11-24: won to date is the hand sum, P10 ≤ P50 ≤ P90, chance off 0 and 1."""
    frame = outlook(org, "2026-Q4", "company", date(2026, 11, 24), scale=1.0)
    row = frame.iloc[0]
    d = pd.read_sql("SELECT amount_cents, close_date FROM deals WHERE outcome = 'won'", org.connect())
    d["close_date"] = pd.to_datetime(d["close_date"]).dt.date
    won = d[(d["close_date"] >= date(2026, 10, 1)) & (d["close_date"] <= date(2026, 11, 24))]["amount_cents"].sum()
    assert row["won_to_date_cents"] == won
    assert row["won_to_date_cents"] <= row["p10_cents"] <= row["p50_cents"] <= row["p90_cents"]
    assert row["quota_cents"] == 6 * 3 * 2_000_000
    assert 0 < row["chance_of_quota"] < 1
    assert (
        row["expected_cents"]
        == row["won_to_date_cents"] + row["pipeline_expected_cents"] + row["runrate_expected_cents"]
    )


def test_the_same_seed_gives_the_same_outlook_whatever_the_global_numpy_state(org):
    """Each simulation owns its Generator: reseeding NumPy's global state changes nothing."""
    np.random.seed(1)
    a = outlook(org, "2026-Q4", "team", date(2026, 11, 24), scale=1.0)
    np.random.seed(99)
    b = outlook(org, "2026-Q4", "team", date(2026, 11, 24), scale=1.0)
    pd.testing.assert_frame_equal(a, b)


def test_the_cli_prints_the_outlook_and_explains_a_bad_period(org, capsys):
    """`outlook --period 2026-Q4 --by team --as-of 2026-11-24 --format json`: three teams; 2026-Q5 exits 2."""
    url = str(org.url)
    assert (
        main(
            ["outlook", "--period", "2026-Q4", "--by", "team", "--as-of", "2026-11-24", "--db", url, "--format", "json"]
        )
        == 0
    )
    rows = json.loads(capsys.readouterr().out)
    assert [r["series"] for r in rows] == ["T1", "T2", "T3"]
    assert all(r["p10_cents"] <= r["p50_cents"] <= r["p90_cents"] for r in rows)
    assert main(["outlook", "--period", "2026-Q5", "--db", url]) == 2
    err = capsys.readouterr().err
    assert "error: Cannot read the period '2026-Q5'." in err and "hint:" in err


def test_outlooks_are_computed_ahead_and_read_back_at_the_same_data_version(org):
    """warm_outlooks stores the quarter's outlooks; cached_outlook reads the same rows back."""
    from salesops.forecasts.outlook_cache import cached_outlook, warm_outlooks
    from salesops.store.schema import forecast_cache

    assert warm_outlooks(org, date(2026, 11, 24), kinds=("quarter",)) == ["2026-Q4"]
    with org.connect() as conn:
        keys = [r[0] for r in conn.execute(forecast_cache.select().with_only_columns(forecast_cache.c.cache_key))]
    assert "outlook|b1|2026-Q4|team|2026-11-24" in keys
    first = cached_outlook(org, "2026-Q4", "team", date(2026, 11, 24))
    again = cached_outlook(org, "2026-Q4", "team", date(2026, 11, 24))
    pd.testing.assert_frame_equal(first, again)
    assert first["series"].tolist() == ["T1", "T2", "T3"]


def test_a_prophet_fit_leaves_numpys_global_state_as_it_found_it():
    """_seeded seeds NumPy's global generator for Prophet's draws and restores the caller's state after."""
    from salesops.forecasts.model import _seeded

    np.random.seed(123)
    expected = np.random.get_state()[1].copy()
    with _seeded(7):
        inside = np.random.random()
    assert inside == np.random.RandomState(7).random()
    assert (np.random.get_state()[1] == expected).all()


@pytest.mark.parametrize(("warmup", "table", "warmed"), [("1", "deals", True), ("0", "deals", False)])
def test_an_import_computes_the_outlooks_ahead_unless_warm_up_is_off(org, tmp_path, monkeypatch, warmup, table, warmed):
    """`import deals` stores this quarter's outlooks at the new data version (SALESOPS_WARMUP=1), none when 0."""
    from salesops import store
    from salesops.store.schema import forecast_cache

    monkeypatch.setenv("SALESOPS_WARMUP", warmup)
    monkeypatch.setenv("SALESOPS_TODAY", "2026-11-24")
    path = tmp_path / "deals.csv"
    path.write_text(
        "deal_id,rep_id,stage,outcome,amount,created_date,close_date\nNEW1,R1,Proposal,open,1200.00,2026-11-02,2026-12-15\n"
    )
    assert main(["import", table, str(path), "--db", str(org.url)]) == 0
    version = store.data_version(org)
    with org.connect() as conn:
        keys = {
            r[0]
            for r in conn.execute(
                forecast_cache.select()
                .with_only_columns(forecast_cache.c.cache_key)
                .where(forecast_cache.c.data_version == version)
            )
        }
    assert ("outlook|b1|2026-Q4|team|2026-11-24" in keys) is warmed
    assert ("outlook|b1|2026-11|company|2026-11-24" in keys) is warmed


def test_an_import_of_a_table_the_outlooks_do_not_read_computes_nothing(org, monkeypatch):
    """Activities do not feed the outlooks: warm_after_import returns no period."""
    from salesops.forecasts.outlook_cache import warm_after_import

    monkeypatch.setenv("SALESOPS_WARMUP", "1")
    assert warm_after_import(org, "activities", date(2026, 11, 24)) == []
    assert warm_after_import(org, "deals", date(2026, 11, 24)) == ["2026-Q4", "2026-11"]

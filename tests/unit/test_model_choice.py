"""Per-series model choice by backtest: scoring on the same rows, the choice, its reason, storage, CLI."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from salesops.cli.main import main
from salesops.forecasts import choice
from salesops.forecasts.history_asof import History
from salesops.store.schema import deals, forecast_cache, reps, teams
from tests.builders import deal, insert, rep
from tests.conftest import TODAY


def _points() -> pd.DataFrame:
    """Two quarters × three points of one team; Prophet could not fit the first quarter's start."""
    rows = []
    for period, actual in (("2025-Q1", 100.0), ("2025-Q2", 200.0)):
        for point, (p50, pr, naive) in zip(
            ("start", "third", "two_thirds"), ((90, 70, 120), (95, 80, 110), (100, 90, 100)), strict=True
        ):
            scale = actual / 100
            rows.append(
                {
                    "period": period,
                    "point": point,
                    "by": "team",
                    "series": "T1",
                    "actual": actual,
                    "p50": p50 * scale,
                    "p10": (p50 - 20) * scale,
                    "p90": (p50 + 20) * scale,
                    "pr_p50": np.nan if (period, point) == ("2025-Q1", "start") else pr * scale,
                    "pr_p10": (pr - 15) * scale,
                    "pr_p90": (pr + 15) * scale,
                    "naive": naive * scale,
                    "mase_scale": 10.0,
                    "score": 0.5,
                }
            )
    return pd.DataFrame(rows)


def test_methods_are_scored_on_the_same_rows_and_the_lowest_mean_wape_is_chosen():
    """Rows Prophet lacks are dropped for every method; WAPEs, MASE and coverage match the hand sums."""
    g = _points()
    rows = {r["method"]: r for r in choice._choose(choice._score(g, g, True), "")}
    out, pr, nv = rows["outlook"], rows["Prophet alone"], rows["seasonal naive"]
    # start: only 2025-Q2 is left (actual 200): outlook |200-180|=20, Prophet |200-140|=60, naive |200-240|=40
    assert out["wape_start"] == pytest.approx(0.10) and pr["wape_start"] == pytest.approx(0.30)
    assert nv["wape_start"] == pytest.approx(0.20)
    # third: outlook (5 + 10) / 300, Prophet (20 + 40) / 300, naive (10 + 20) / 300
    assert out["wape_third"] == pytest.approx(0.05) and pr["wape_third"] == pytest.approx(0.20)
    assert nv["wape_two_thirds"] == pytest.approx(0.0)  # naive is exact two thirds in
    assert out["wape_mean"] == pytest.approx((0.10 + 0.05 + 0.0) / 3)
    # MASE: the outlook's errors 5, 0, 20, 10, 0 (mean 7) ÷ the scale 10
    assert out["mase"] == pytest.approx(0.7)
    # Prophet ± 15 (scaled): 65–95 misses 100, 75–105 covers it, 110–170, 130–190 miss 200, 150–210 covers it
    assert pr["coverage_80"] == pytest.approx(0.4)
    assert nv["coverage_80"] != nv["coverage_80"]  # a point forecast has no range (NaN)
    assert out["quarters"] == 2 and out["chosen"] and not pr["chosen"] and not nv["chosen"]


def test_a_better_baseline_is_chosen_and_ties_keep_the_outlook():
    """Seasonal naive wins when its mean WAPE is lower; an exact tie keeps the outlook."""
    g = _points().assign(naive=lambda f: f["actual"])
    rows = choice._choose(choice._score(g, g, False), "note")
    assert [r["method"] for r in rows if r["chosen"]] == ["seasonal naive"]
    assert {r["method"] for r in rows} == {"outlook", "seasonal naive"}  # Prophet not scored here
    tie = _points().assign(naive=lambda f: f["p50"])
    assert [r["method"] for r in choice._choose(choice._score(tie, tie, False), "") if r["chosen"]] == ["outlook"]


def test_the_reason_names_each_methods_wape_and_the_quarters():
    """choice_for puts the chosen method first and says why, with the note; unknown series give None."""
    g = _points()
    rows = choice._choose(choice._score(g, g, True), "")
    table = pd.DataFrame([{**r, "by": "team", "series": "T1"} for r in rows])
    got = choice.choice_for(table, "team", "T1")
    assert got is not None and got.chosen == "outlook" and got.table.iloc[0]["method"] == "outlook"
    assert got.reason.startswith("mean WAPE 5.0% (outlook) vs ")
    assert "(Prophet alone)" in got.reason and "over 2 quarters" in got.reason
    assert choice.choice_for(table, "team", "T9") is None
    assert choice.choice_for(None, "team", "T1") is None


def test_prophet_is_fitted_only_where_the_history_allows_largest_first():
    """Series shorter than MIN_MONTHS or sparse are left out; the limit keeps company, then the largest."""
    months = pd.date_range("2023-01-01", periods=30, freq="MS")
    full = pd.Series(10.0, index=months)
    ys = {
        ("company", "company"): full * 10,
        ("team", "small"): full,
        ("team", "big"): full * 3,
        ("team", "short"): full[:12],
        ("rep", "sparse"): full.where(np.arange(30) % 2 == 0, 0.0),
    }
    assert choice.prophet_series(ys, 10) == {("company", "company"), ("team", "small"), ("team", "big")}
    assert choice.prophet_series(ys, 2) == {("company", "company"), ("team", "big")}
    assert choice._why_not(full[:12], 40) == "Prophet alone not scored: 12 months of won history, it needs 24."
    assert "fewer than 3 months in 4" in choice._why_not(ys[("rep", "sparse")], 40)


def test_this_quarters_seasonal_naive_is_won_so_far_plus_last_years_rest(empty_engine):
    """Won to date (inside the quarter) + last year's won from the day after to the quarter's end,
    summed in the database per team and rep, then per series; lost and open deals count for nothing."""
    insert(
        empty_engine,
        teams,
        [dict(team_id="T1", name="Alpha", region="North"), dict(team_id="T2", name="Beta", region="South")],
    )
    insert(empty_engine, reps, [rep("R1", "T1"), rep("R2", "T2")])
    closes = [date(2026, 10, 5), date(2026, 11, 24), date(2026, 11, 25), date(2025, 11, 24)]
    closes += [date(2025, 11, 25), date(2025, 12, 31), date(2026, 1, 1)]
    rows = [
        deal(n, "R1", "T1", "won", a, c) for n, (a, c) in enumerate(zip([100, 200, 999, 5000, 30, 40, 7000], closes))
    ]
    rows += [
        deal(10, "R2", "T2", "won", 11, date(2026, 11, 1)),
        deal(11, "R2", "T2", "won", 4, date(2025, 12, 1)),
        deal(12, "R2", "T2", "lost", 500, date(2026, 11, 2)),
        deal(13, "R2", "T2", "open", 600, date(2026, 11, 20)),
    ]
    insert(empty_engine, deals, rows)
    keys = [
        ("company", "company"),
        ("region", "North"),
        ("region", "South"),
        ("team", "T1"),
        ("rep", "R2"),
        ("rep", "R9"),
    ]
    regions = {"T1": "North", "T2": "South"}
    _, now = choice.series_inputs(History(empty_engine), keys, regions, date(2026, 11, 24))
    assert list(now) == keys
    assert {k: v[0] for k, v in now.items()} == dict.fromkeys(keys, date(2026, 10, 31))  # complete months only
    assert now[("team", "T1")][1] == {"won": 300.0, "naive": 300.0 + 30 + 40}
    assert now[("region", "North")][1] == now[("team", "T1")][1]
    assert now[("rep", "R2")][1] == now[("region", "South")][1] == {"won": 11.0, "naive": 11.0 + 4}
    assert now[("company", "company")][1] == {"won": 311.0, "naive": 311.0 + 30 + 40 + 4}
    assert now[("rep", "R9")][1] == {"won": 0.0, "naive": 0.0}  # no deals: nothing won


def test_each_series_monthly_won_revenue_is_summed_in_the_database(empty_engine):
    """History.won_months: won cents per team, rep and month (a missing amount as 0, a deal without a
    team counted for its rep and the company); each series' months from its first to its last won
    month, gaps as 0, as the won deals themselves give them (scorecard.monthly_of)."""
    insert(
        empty_engine,
        teams,
        [dict(team_id=t, name=t, region=r) for t, r in (("T1", "North"), ("T2", "North"), ("T3", "South"))],
    )
    insert(empty_engine, reps, [rep("R1", "T1"), rep("R2", "T1"), rep("R3", "T2"), rep("R4", "T3"), rep("R5", "T3")])
    rows = [
        deal(1, "R1", "T1", "won", 100, date(2026, 1, 10)),
        deal(2, "R1", "T1", "won", 50, date(2026, 1, 31)),
        deal(3, "R1", "T1", "won", None, date(2026, 3, 5)),
        deal(4, "R1", "T1", "lost", 999, date(2026, 2, 10)),
        deal(5, "R1", "T1", "open", 999, date(2026, 2, 20)),
        deal(6, "R2", "T1", "won", 7, date(2026, 2, 1)),
        deal(7, "R3", "T2", "won", 20, date(2025, 12, 15)),
        deal(8, "R4", "T3", "won", 1000, date(2026, 3, 31)),
        deal(9, "R5", None, "won", 3, date(2026, 2, 14)),
    ]
    insert(empty_engine, deals, rows)
    hist = History(empty_engine)
    got = hist.won_months
    assert got["cents"].dtype == "int64"
    cells = {
        (r.team_id if isinstance(r.team_id, str) else None, r.rep_id, r.month.date(), r.cents) for r in got.itertuples()
    }
    assert cells == {
        ("T1", "R1", date(2026, 1, 1), 150),
        ("T1", "R1", date(2026, 3, 1), 0),
        ("T1", "R2", date(2026, 2, 1), 7),
        ("T2", "R3", date(2025, 12, 1), 20),
        ("T3", "R4", date(2026, 3, 1), 1000),
        (None, "R5", date(2026, 2, 1), 3),
    }
    keys = [("company", "company"), ("region", "North"), ("region", "South"), ("team", "T1"), ("team", "T3")]
    keys += [("rep", "R1"), ("rep", "R5"), ("rep", "R9")]
    regions = {"T1": "North", "T2": "North", "T3": "South"}
    ys, _ = choice.series_inputs(hist, keys, regions, date(2026, 2, 14))
    assert list(ys) == keys

    def months(y: pd.Series) -> list[tuple[str, float]]:
        return [(f"{day:%Y-%m}", value) for day, value in y.items()]

    expected = {
        ("company", "company"): [("2025-12", 20.0), ("2026-01", 150.0), ("2026-02", 10.0), ("2026-03", 1000.0)],
        ("region", "North"): [("2025-12", 20.0), ("2026-01", 150.0), ("2026-02", 7.0), ("2026-03", 0.0)],
        ("region", "South"): [("2026-03", 1000.0)],
        ("team", "T1"): [("2026-01", 150.0), ("2026-02", 7.0), ("2026-03", 0.0)],
        ("team", "T3"): [("2026-03", 1000.0)],
        ("rep", "R1"): [("2026-01", 150.0), ("2026-02", 0.0), ("2026-03", 0.0)],  # February: no won deal
        ("rep", "R5"): [("2026-02", 3.0)],
        ("rep", "R9"): [],  # no won deal: no months
    }
    assert {k: months(y) for k, y in ys.items()} == expected
    assert all(y.dtype == float for y in ys.values())
    # the scorecard's series are the same sums (its teams matched by id, its regions by team)
    from salesops.forecasts.scorecard import monthly_won

    assert months(monthly_won(hist, "company")) == expected[("company", "company")]
    assert months(monthly_won(hist, "T1")) == expected[("team", "T1")]
    assert months(monthly_won(hist, "North", "region", regions)) == expected[("region", "North")]


@pytest.fixture
def stored(demo_engine):
    """The demo's choice table without Prophet (fast), stored at the data version; removed after."""
    frame = choice.warm_choices(demo_engine, TODAY, workers=1, limit=0)
    yield frame
    with demo_engine.begin() as conn:
        conn.execute(sa.delete(forecast_cache).where(forecast_cache.c.cache_key.like(choice._key(TODAY, "%"))))


def test_the_demo_choice_covers_every_series_and_is_read_back(stored, demo_engine):
    """One chosen method per series at every level; stored_choices returns the same table."""
    assert set(stored["by"]) == {"company", "region", "team", "rep"}
    assert (stored.groupby(["by", "series"])["chosen"].sum() == 1).all()
    assert set(stored["method"]) == {"outlook", "seasonal naive"}
    assert stored["note"].str.contains("Prophet alone").all()
    naive = stored[stored["method"] == "seasonal naive"]
    assert (naive["now_p50"] > 0).any() and naive["now_p10"].isna().all()
    back = choice.stored_choices(demo_engine, TODAY)
    assert back is not None
    order = ["by", "series", "method"]
    pd.testing.assert_frame_equal(
        back.sort_values(order).reset_index(drop=True),
        stored.sort_values(order).reset_index(drop=True),
        check_dtype=False,
    )
    teams = choice.stored_choices(demo_engine, TODAY, ("team",))
    assert teams is not None and set(teams["by"]) == {"team"}
    got = choice.series_choice(demo_engine, TODAY, "company", "company")
    assert got is not None and got.reason.startswith("mean WAPE ")
    assert "over 8 quarters (as of the start, one third and two thirds into each)" in got.reason


def test_nothing_is_stored_for_another_day(demo_engine):
    """stored_choices is None when the table was not computed (here: for another as-of date)."""
    assert choice.stored_choices(demo_engine, date(2026, 11, 20)) is None


def test_the_cli_model_choice_on_an_empty_store_says_so(empty_engine, capsys):
    """On a store without history the command prints an empty table and says no series was chosen."""
    code = main(
        ["model-choice", "--db", str(empty_engine.url.render_as_string(hide_password=False)), "--format", "json"]
    )
    captured = capsys.readouterr()
    assert code == 0 and json.loads(captured.out) == []
    assert "no series (no history)" in captured.err


def test_the_cli_model_choice_refuses_a_bad_date(empty_engine, capsys):
    """A malformed --as-of is a clear error (exit 2)."""
    url = str(empty_engine.url.render_as_string(hide_password=False))
    assert main(["model-choice", "--db", url, "--as-of", "24/11/2026"]) == 2
    err = capsys.readouterr().err
    assert "error: --as-of '24/11/2026' is not a date." in err and "hint:" in err


@pytest.mark.slow
def test_prophet_alone_is_scored_for_the_company_with_real_fits(demo_engine):
    """With one Prophet series (the company, 25 small monthly fits) its row and this quarter's range exist."""
    table = choice.compute_choices(demo_engine, TODAY, workers=1, limit=1)
    company = table[table["by"] == "company"].set_index("method")
    assert set(company.index) == {"outlook", "Prophet alone", "seasonal naive"}
    pr = company.loc["Prophet alone"]
    assert pr["now_p10"] <= pr["now_p50"] <= pr["now_p90"] and 0 < pr["now_chance"] <= 1
    assert 0 < pr["wape_two_thirds"] < 1 and 0 <= pr["coverage_80"] <= 1
    assert table[table["by"] == "team"]["note"].str.contains("for the 1 largest series only").all()


def test_the_month_backtest_table_is_printed_for_the_outlook_alone(demo_url, capsys):
    """outlook-backtest --kind month prints the outlook's month rows (company, median team) with a months count."""
    assert main(["outlook-backtest", "--kind", "month", "--format", "markdown", "--db", demo_url]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].endswith("| months |")
    assert "| company | outlook |" in out and "Prophet alone" not in out and "seasonal naive" not in out


def test_the_choice_is_computed_after_an_import_only_when_switched_on(empty_engine, monkeypatch):
    """warm_after_import computes (once per data version) after a deals import with both settings on, else not."""
    monkeypatch.setenv("SALESOPS_WARMUP", "1")
    monkeypatch.setenv("SALESOPS_MODEL_CHOICE", "0")
    assert not choice.warm_after_import(empty_engine, "deals", TODAY)
    monkeypatch.setenv("SALESOPS_MODEL_CHOICE", "1")
    assert not choice.warm_after_import(empty_engine, "users", TODAY)  # not a table the forecasts read
    assert choice.stored_choices(empty_engine, TODAY) is None
    assert choice.warm_after_import(empty_engine, "deals", TODAY)
    stored = choice.stored_choices(empty_engine, TODAY)
    assert stored is not None and len(stored) == 0  # stored (nothing to choose in an empty store)
    assert not choice.warm_after_import(empty_engine, "deals", TODAY)  # already there at this version


def test_the_quarter_backtest_table_without_prophet_compares_the_outlook_and_seasonal_naive(demo_engine):
    """scorecard(prophet=False): the company and the median team, outlook and seasonal naive, 8 quarters."""
    from salesops.forecasts.scorecard import scorecard

    table = scorecard(demo_engine, "quarter", TODAY, prophet=False)
    assert list(table["method"]) == ["outlook", "seasonal naive"] * 2
    assert table.iloc[0]["level"] == "company" and table.iloc[2]["level"].startswith("median team (")
    assert (table["quarters"] == 8).all() and table["wape_two_thirds"].between(0, 1).all()

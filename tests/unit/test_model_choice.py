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
from salesops.store.schema import forecast_cache
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


def test_this_quarters_seasonal_naive_is_won_so_far_plus_last_years_rest():
    """Won to date (inside the quarter) + last year's won from the day after to the quarter's end."""
    won = pd.DataFrame(
        {
            "close_date": [date(2026, 10, 5), date(2026, 11, 24), date(2026, 11, 25), date(2025, 11, 24)]
            + [date(2025, 11, 25), date(2025, 12, 31), date(2026, 1, 1)],
            "amount_cents": [100, 200, 999, 5000, 30, 40, 7000],
        }
    )
    prophet_as_of, now = choice._now(won, date(2026, 11, 24))
    assert prophet_as_of == date(2026, 10, 31)  # monthly Prophet sees complete months only
    assert now == {"won": 300.0, "naive": 300.0 + 30 + 40}


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

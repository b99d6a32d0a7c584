"""The funnel: hand-built leads for two teams, and the planted stall of the demo's T09."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from salesops import store
from salesops.performance import funnel
from salesops.scope import Scope
from salesops.store import derived, schema
from tests.unit.test_metrics import Q2, build_org

#: furthest stage -> how many leads stop there, per team (all created 2 May 2026).
#: T1: lead 100, MQL 60, SQL 30, opportunity 10, won 4.  T2: lead 100, MQL 60, SQL 5, opportunity 2, won 1.
STOPS = {
    "T1": {"lead": 40, "mql": 30, "sql": 20, "opportunity": 6, "won": 4},
    "T2": {"lead": 40, "mql": 55, "sql": 3, "opportunity": 1, "won": 1},
}


def _write_leads(conn, leads: pd.DataFrame) -> None:
    store.bulk_insert(conn, schema.leads, leads)
    derived.refresh_derived(conn, {"leads"})


@pytest.fixture
def org(empty_engine):
    """The metrics test organisation plus 200 leads."""
    build_org(empty_engine)
    rows = [(team, stage) for team, stops in STOPS.items() for stage, n in stops.items() for _ in range(n)]
    leads = pd.DataFrame(
        {
            "lead_id": [f"L{i}" for i in range(len(rows))],
            "team_id": [t for t, _ in rows],
            "source": "Web",
            "created_at": date(2026, 5, 2),
            "furthest_stage": [s for _, s in rows],
        }
    )
    # as every writer of leads does: the lead rollups (the funnel reads lead_stage_months) in the same write
    store.write(empty_engine, lambda c: _write_leads(c, leads), "leads")
    return empty_engine


def _by(frame, team):
    return frame[frame["team_id"] == team].set_index("stage")


def test_counts_are_cumulative_and_conversions_hand_computed(org):
    """A lead counts at every stage up to its furthest; step and overall conversions follow."""
    f = funnel.funnel(org, Q2)
    t1, t2, co = _by(f, "T1"), _by(f, "T2"), _by(f, funnel.COMPANY)
    assert list(t1["count"]) == [100, 60, 30, 10, 4]
    assert list(t2["count"]) == [100, 60, 5, 2, 1]
    assert list(co["count"]) == [200, 120, 35, 12, 5]
    assert t2.loc["sql", "step_conversion"] == pytest.approx(5 / 60)
    assert t2.loc["sql", "company_step_conversion"] == pytest.approx(35 / 120)
    assert t1.loc["won", "overall_conversion"] == pytest.approx(4 / 100)
    assert pd.isna(t1.loc["lead", "step_conversion"])


def test_value_comes_from_deals_created_in_the_range_and_lead_stages_have_none(org):
    """Leads carry no amount; opportunity = deals created in Q2, won = those of them won."""
    f = funnel.funnel(org, Q2)
    t1, t2 = _by(f, "T1"), _by(f, "T2")
    assert t1.loc[["lead", "mql", "sql"], "value_cents"].isna().all()
    # T1 created in Q2: deals 2 (NULL), 3 ($5k), 4 ($6k), 8 ($40k), 11 ($7k) = $58k; won since: 4 and 11 (won in July)
    assert t1.loc["opportunity", "value_cents"] == 5_800_000 and t1.loc["won", "value_cents"] == 1_300_000
    # T2 created in Q2: deals 6 ($30k), 7 ($8k), 9 ($10k), 10 ($1k); won: 6 and 10
    assert t2.loc["opportunity", "value_cents"] == 4_900_000 and t2.loc["won", "value_cents"] == 3_100_000


def test_an_abnormally_low_step_is_flagged_and_small_steps_are_not(org):
    """T2's MQL→SQL (8 % vs 29 %) is flagged; T1's opportunity→won on 10 leads is too small to flag."""
    flags = funnel.funnel_flags(funnel.funnel(org, Q2))
    assert list(zip(flags["team_id"], flags["stage"])) == [("T2", "sql")]
    assert flags.loc[0, "flag"].startswith("plenty of leads, few qualified")


def test_a_team_filter_keeps_the_whole_company_as_the_benchmark(org):
    """Filtered to T1, the funnel shows T1 and the company of both teams."""
    f = funnel.funnel(org, Scope(Q2.start, Q2.end, "quarter", team_id="T1"))
    assert set(f["team_id"]) == {"T1", funnel.COMPANY}
    assert _by(f, funnel.COMPANY).loc["lead", "count"] == 200


def test_an_empty_store_has_an_empty_funnel(empty_engine):
    """No leads and no deals: an empty frame with the funnel's columns."""
    f = funnel.funnel(empty_engine, Q2)
    assert f.empty and list(f.columns) == funnel.FUNNEL_COLUMNS


def test_the_demo_stalled_team_is_flagged_plenty_of_leads_few_qualified(demo_engine):
    """The demo's T09 (Paris SMB) shows the planted stall at qualification, over the last year."""
    scope = Scope(date(2025, 10, 1), date(2026, 9, 30), "quarter")
    flags = funnel.funnel_flags(funnel.funnel(demo_engine, scope))
    t09 = flags[flags["team_id"] == "T09"]
    assert not t09.empty and t09["flag"].str.startswith("plenty of leads, few qualified").any()
    assert set(flags["team_id"]) == {"T09"}  # nobody else is flagged


def _close_step_leads(engine, history_won: int | None) -> None:
    """Q2 (2 May): T1 4 of 40 opportunities won, T2 20 of 40 (company 24/80 = 30 %); before Q2
    (15 Jan, inside the four quarters before it): T1 ``history_won`` of 40, none when None."""
    build_org(engine)
    cohorts = [("T1", date(2026, 5, 2), 4), ("T2", date(2026, 5, 2), 20)]
    if history_won is not None:
        cohorts.append(("T1", date(2026, 1, 15), history_won))
    rows = [(t, d, "won" if i < won else "opportunity") for t, d, won in cohorts for i in range(40)]
    leads = pd.DataFrame(
        {
            "lead_id": [f"L{i}" for i in range(len(rows))],
            "team_id": [t for t, _, _ in rows],
            "source": "Web",
            "created_at": [d for _, d, _ in rows],
            "furthest_stage": [s for _, _, s in rows],
        }
    )
    store.write(engine, lambda c: _write_leads(c, leads), "leads")


@pytest.mark.parametrize(
    "history_won,expected",
    [
        (4, None),  # its own history is 10 %: closing at its usual rate, not flagged
        (20, "opportunities not closing: 10% vs company 30% and its own previous 4 periods 50%"),
        (None, "opportunities not closing: 10% vs company 30% (no history of its own to compare with)"),
    ],
    ids=["usual for the team", "below its own history", "no history"],
)
def test_not_closing_is_judged_against_the_teams_own_history_as_well(empty_engine, history_won, expected):
    """T1 closes 10 % against the company's 30 % (below 0.6 × 30 % = 18 %); it is flagged only when
    it is also below 0.6 × its own trailing close rate, or has no history of 30 opportunities."""
    _close_step_leads(empty_engine, history_won)
    f = funnel.funnel(empty_engine, Q2)
    t1 = _by(f, "T1")
    assert t1.loc["won", "step_conversion"] == pytest.approx(0.1)
    assert t1.loc["won", "company_step_conversion"] == pytest.approx(0.3)
    if history_won is not None:
        assert t1.loc["won", "history_step_conversion"] == pytest.approx(history_won / 40)
    flags = funnel.funnel_flags(f)
    assert flags["flag"].tolist() == ([] if expected is None else [expected])


def test_the_history_window_is_four_ranges_of_the_same_length_just_before():
    """Q2 2026 (91 days): the 364 days from 2 Apr 2025 to 31 Mar 2026."""
    assert funnel.history_window(Q2) == (date(2025, 4, 2), date(2026, 3, 31))


def test_the_funnel_chart_draws_every_reached_stage_on_a_titled_log_scale(org):
    """T2 beside the company: ten bars (every stage has leads), a log y-axis titled with its unit, labels in %."""
    from salesops.performance.charts import funnel_chart

    f = funnel.funnel(org, Q2)
    spec = funnel_chart(f[f["team_id"].isin(["T2", funnel.COMPANY])]).to_dict()
    bars, text = spec["layer"]
    assert bars["encoding"]["y"]["scale"]["type"] == "log"
    assert bars["encoding"]["y"]["title"] == "Leads reaching the stage (%, log scale)"
    assert bars["encoding"]["x"]["title"] == "Stage"
    rows = next(iter(spec["datasets"].values()))
    # T2 won 1 of 100 leads, the company 5 of 200: the smallest bar is 1 %, the axis runs from 1 % (with headroom above 100 %)
    assert sum(r["bar"] is not None for r in rows) == 10
    assert bars["encoding"]["y"]["scale"]["domain"] == [0.01, 1.6]
    assert bars["encoding"]["y2"] == {"datum": 0.01}  # a log scale has no 0 for bars to rise from
    assert {r["text"] for r in rows if r["team"] == "Company"} == {"100%", "60%", "18%", "6%", "2%"}

"""The rollups (rep_days, rep_activity_days) equal the raw deals and activities summed per rep, team
and day — computed here in pandas, apart from the SQL that fills them — after the demo build, a
deals import, an activities import, updates, deletes, a refused import and the migration that
creates them for an existing store; and their figures by hand on a small organisation."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
import sqlalchemy as sa
from alembic import command

from salesops import ingest, store
from salesops.store import derived, grain_tables, kind_tables, migrate, period_tables, rollups, schema
from salesops.store.rollups import DAY_SUMS
from tests.builders import deal, insert, rep

_DAY_SUMS = list(DAY_SUMS)
_KEY = ["day", "rep_id", "team_id"]


def _read(engine, sql: str) -> pd.DataFrame:
    return store.read_frame(engine, sa.text(sql))


def _norm(frame: pd.DataFrame, sums: list[str]) -> pd.DataFrame:
    """Rows sorted by day, rep, team (a missing team as ''), dates as ISO text, sums as int."""
    out = frame[_KEY + sums].copy()
    out["day"] = pd.to_datetime(out["day"]).dt.strftime("%Y-%m-%d")
    out["team_id"] = out["team_id"].astype(object).where(out["team_id"].notna(), "")
    for col in sums:
        out[col] = out[col].astype("int64")
    return out.sort_values(_KEY).reset_index(drop=True)


def _expected_rep_days(engine) -> pd.DataFrame:
    """The deals summed per (day, rep, team) in pandas: won/lost on the close date, created on the created date."""
    deals = _read(engine, "SELECT rep_id, team_id, outcome, amount_cents, created_date, close_date FROM deals")
    deals["team_id"] = deals["team_id"].astype(object).where(deals["team_id"].notna(), "")
    amount = pd.to_numeric(deals["amount_cents"]).astype("Int64")
    won = deals["outcome"].eq("won") & deals["close_date"].notna()
    lost = deals["outcome"].eq("lost") & deals["close_date"].notna()
    cycle = (pd.to_datetime(deals["close_date"]) - pd.to_datetime(deals["created_date"])).dt.days
    # the closed pipeline: a deal won or lost on or after its created day adds its amount on that day
    # and takes it away on its close day; one closed before its created day adds nothing
    piped = (won | lost) & (cycle >= 0)
    closed = pd.DataFrame(
        {
            "day": deals["close_date"],
            "rep_id": deals["rep_id"],
            "team_id": deals["team_id"],
            "won_count": won.astype(int),
            "won_cents": amount.where(won, 0).fillna(0),
            "won_amounts": (won & amount.notna()).astype(int),
            "won_cycle_days": cycle.where(won, 0).fillna(0),
            "lost_count": lost.astype(int),
            "created_count": 0,
            "created_cents": 0,
            "created_won_cents": 0,
            "closed_pipe_cents": -amount.where(piped, 0).fillna(0),
        }
    )[won | lost]
    created = pd.DataFrame(
        {
            "day": deals["created_date"],
            "rep_id": deals["rep_id"],
            "team_id": deals["team_id"],
            **dict.fromkeys(_DAY_SUMS[:5], 0),
            "created_count": 1,
            "created_cents": amount.fillna(0),
            "created_won_cents": amount.where(deals["outcome"].eq("won"), 0).fillna(0),
            "closed_pipe_cents": amount.where(piped, 0).fillna(0),
        }
    )
    both = pd.concat([closed, created], ignore_index=True)
    both["day"] = pd.to_datetime(both["day"]).dt.strftime("%Y-%m-%d")
    for col in _DAY_SUMS:
        both[col] = pd.to_numeric(both[col]).astype("int64")
    return _norm(both.groupby(_KEY, as_index=False)[_DAY_SUMS].sum(), _DAY_SUMS)


def _expected_activity_days(engine) -> pd.DataFrame:
    acts = _read(engine, "SELECT rep_id, team_id, occurred_at AS day FROM activities")
    acts["team_id"] = acts["team_id"].astype(object).where(acts["team_id"].notna(), "")
    acts["day"] = pd.to_datetime(acts["day"]).dt.strftime("%Y-%m-%d")
    return _norm(acts.groupby(_KEY, as_index=False).size().rename(columns={"size": "activities"}), ["activities"])


def _expected_rep_months(days: pd.DataFrame) -> pd.DataFrame:
    """The per-day sums (from the raw deals) summed per calendar month, keyed like rep_days."""
    months = days.assign(day=days["day"].str[:7] + "-01")
    return _norm(months.groupby(_KEY, as_index=False)[_DAY_SUMS].sum(), _DAY_SUMS)


def _as_date(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, format="%Y-%m-%d", errors="coerce")


def _expected_change_days(engine) -> pd.DataFrame:
    """The logged changes of stored deals that moved something, with their kind and size worked out
    in pandas and the deal's current columns."""
    log = _read(engine, "SELECT deal_id, changed_at, field, old_value, new_value FROM deal_changes")
    deals = _read(engine, "SELECT deal_id, rep_id, team_id, amount_cents, name, account, stage, outcome FROM deals")
    x = log.merge(deals, on="deal_id")
    is_date, is_amount = x["field"].eq("close_date"), x["field"].eq("amount_cents")
    moved = (_as_date(x["new_value"]) - _as_date(x["old_value"])).dt.days
    cents = pd.to_numeric(x["new_value"], errors="coerce") - pd.to_numeric(x["old_value"], errors="coerce")
    x["days_moved"] = moved.where(is_date).astype("Int64")
    x["amount_change_cents"] = cents.where(is_amount).astype("Int64")
    x["kind"] = None
    for kind, hit in (
        ("pushed", is_date & (moved > 0)),
        ("pulled in", is_date & (moved < 0)),
        ("amount up", is_amount & (cents > 0)),
        ("amount down", is_amount & (cents < 0)),
    ):
        x.loc[hit.fillna(False).astype(bool), "kind"] = kind
    return _norm_changes(x[x["kind"].notna()])


def _norm_changes(frame: pd.DataFrame) -> pd.DataFrame:
    cols = [c.name for c in period_tables.deal_change_days.columns]
    out = frame[cols].copy()
    out["changed_at"] = pd.to_datetime(out["changed_at"]).dt.strftime("%Y-%m-%d")
    for col in ("amount_cents", "days_moved", "amount_change_cents"):
        out[col] = pd.to_numeric(out[col]).astype("Int64")
    for col in (
        "deal_id",
        "rep_id",
        "team_id",
        "name",
        "account",
        "stage",
        "outcome",
        "kind",
        "old_value",
        "new_value",
    ):
        out[col] = out[col].astype(object).where(out[col].notna(), None)
    return out.sort_values(["changed_at", "deal_id", "kind", "old_value"]).reset_index(drop=True)


_EVENT_COLS = [c.name for c in period_tables.deal_event_days.columns]


def _norm_events(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame[_EVENT_COLS].copy()
    out["day"] = pd.to_datetime(out["day"]).dt.strftime("%Y-%m-%d")
    out["amount_cents"] = pd.to_numeric(out["amount_cents"]).astype("Int64")
    for col in _EVENT_COLS[1:]:
        if col != "amount_cents":
            out[col] = out[col].astype(object).where(out[col].notna(), None)
    return out.sort_values(["day", "kind", "deal_id"]).reset_index(drop=True)


def _expected_event_days(engine) -> pd.DataFrame:
    """Each deal on its created day (kind created) and, won or lost, on its close day (kind its
    outcome), with its current rep, team, amount, name, account, stage and outcome — in pandas."""
    deals = _read(engine, "SELECT * FROM deals")
    created = deals[deals["created_date"].notna()].assign(day=lambda f: f["created_date"], kind="created")
    closed = deals[deals["outcome"].isin(["won", "lost"]) & deals["close_date"].notna()]
    closed = closed.assign(day=closed["close_date"], kind=closed["outcome"])
    return _norm_events(pd.concat([created, closed], ignore_index=True))


def _assert_period_tables(engine, days: pd.DataFrame) -> None:
    """rep_months, deal_change_days, deal_event_days and every quota's period end equal their
    definitions, worked out in pandas."""
    months = _norm(
        _read(engine, "SELECT month AS day, rep_id, team_id, " + ", ".join(_DAY_SUMS) + " FROM rep_months"), _DAY_SUMS
    )
    pd.testing.assert_frame_equal(months, _expected_rep_months(days))
    pd.testing.assert_frame_equal(
        _norm_changes(_read(engine, "SELECT * FROM deal_change_days")), _expected_change_days(engine)
    )
    pd.testing.assert_frame_equal(
        _norm_events(_read(engine, "SELECT * FROM deal_event_days")), _expected_event_days(engine)
    )
    quotas = _read(engine, "SELECT period_type, period_start, period_end FROM quotas")
    step = {"week": pd.DateOffset(days=7), "month": pd.DateOffset(months=1), "quarter": pd.DateOffset(months=3)}
    start = pd.to_datetime(quotas["period_start"])
    expected = [
        s + step.get(t, pd.DateOffset(years=1)) - pd.DateOffset(days=1) for s, t in zip(start, quotas["period_type"])
    ]
    assert list(pd.to_datetime(quotas["period_end"])) == expected


def _assert_current(engine) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Both rollups (and the period tables of 0016, the activity months of 0019) equal the raw tables
    summed in pandas; returns the two rollups (normalised)."""
    days = _norm(_read(engine, "SELECT * FROM rep_days"), _DAY_SUMS)
    pd.testing.assert_frame_equal(days, _expected_rep_days(engine))
    _assert_period_tables(engine, days)
    acts = _norm(_read(engine, "SELECT * FROM rep_activity_days"), ["activities"])
    expected_acts = _expected_activity_days(engine)
    pd.testing.assert_frame_equal(acts, expected_acts)
    # rep_activity_months (0019): the raw activities per rep, team and calendar month
    act_months = _read(engine, "SELECT month AS day, rep_id, team_id, activities FROM rep_activity_months")
    by_month = expected_acts.assign(day=expected_acts["day"].str[:7] + "-01")
    want = _norm(by_month.groupby(_KEY, as_index=False)[["activities"]].sum(), ["activities"])
    pd.testing.assert_frame_equal(_norm(act_months, ["activities"]), want)
    _assert_grain_tables(engine, days, expected_acts)
    _assert_kind_periods(engine)
    return days, acts


_KIND_SUMS = list(kind_tables.KIND_PERIOD_SUMS)


def _expected_kind_periods(engine) -> pd.DataFrame:
    """The won deals of deal_kinds (a kind set) summed per grain (day, month, quarter, year), period
    start, rep and team — in pandas: how many, and how many and how much of new business and of
    expansion (an unknown amount adds 0)."""
    won = _read(engine, "SELECT rep_id, team_id, close_date, amount_cents, kind FROM deal_kinds")
    won = won[won["kind"].notna() & won["close_date"].notna()]
    day = pd.to_datetime(won["close_date"])
    cents = won["amount_cents"].fillna(0).astype("int64")
    base = pd.DataFrame(
        {
            "rep_id": won["rep_id"],
            "team_id": won["team_id"].astype(object).where(won["team_id"].notna(), ""),
            "won_count": 1,
            "new_logo_count": (won["kind"] == "new_business").astype("int64"),
            "new_logo_cents": cents.where(won["kind"] == "new_business", 0),
            "expansion_count": (won["kind"] == "expansion").astype("int64"),
            "expansion_cents": cents.where(won["kind"] == "expansion", 0),
        }
    )
    frames = [
        base.assign(grain=grain, day=start.dt.strftime("%Y-%m-%d"))
        for grain, start in (
            ("day", day),
            ("month", day.dt.to_period("M").dt.start_time),
            ("quarter", day.dt.to_period("Q").dt.start_time),
            ("year", day.dt.to_period("Y").dt.start_time),
        )
    ]
    both = pd.concat(frames, ignore_index=True).groupby(["grain", *_KEY], as_index=False)[_KIND_SUMS].sum()
    return _norm_periods(both, _KIND_SUMS)


def _kind_periods(engine) -> pd.DataFrame:
    cols = ", ".join(_KIND_SUMS)
    got = _read(engine, f"SELECT grain, period_start AS day, rep_id, team_id, {cols} FROM rep_kind_periods")
    return _norm_periods(got, _KIND_SUMS)


def _assert_kind_periods(engine) -> None:
    """rep_kind_periods (0029) equals the won deals of deal_kinds per kind, grain, period, rep and team."""
    pd.testing.assert_frame_equal(_kind_periods(engine), _expected_kind_periods(engine))


def _per_period(days: pd.DataFrame, sums: list[str]) -> pd.DataFrame:
    """Day rows (ISO days) summed per grain (quarter, year), period start, rep and team."""
    day = pd.to_datetime(days["day"])
    frames = []
    for grain, start in (
        ("quarter", day.dt.to_period("Q").dt.start_time),
        ("year", day.dt.to_period("Y").dt.start_time),
    ):
        frames.append(days.assign(grain=grain, day=start.dt.strftime("%Y-%m-%d")))
    both = pd.concat(frames, ignore_index=True).groupby(["grain", *_KEY], as_index=False)[sums].sum()
    return _norm_periods(both, sums)


def _norm_periods(frame: pd.DataFrame, sums: list[str]) -> pd.DataFrame:
    out = frame[["grain", *_KEY, *sums]].copy()
    out["day"] = pd.to_datetime(out["day"]).dt.strftime("%Y-%m-%d")
    out["team_id"] = out["team_id"].astype(object).where(out["team_id"].notna(), "")
    for col in ("grain", "day", "rep_id"):
        out[col] = out[col].astype(object)
    for col in sums:
        out[col] = out[col].astype("int64")
    return out.sort_values(["grain", *_KEY]).reset_index(drop=True)


def _expected_period_quotas(engine) -> pd.DataFrame:
    """Each quota row prorated by day onto every quarter and year it overlaps, summed per grain,
    period and rep — in pandas."""
    quotas = _read(engine, "SELECT rep_id, period_start, period_end, amount_cents FROM quotas")
    rows = []
    for rep_id, start, end, cents in zip(
        quotas["rep_id"],
        pd.to_datetime(quotas["period_start"]),
        pd.to_datetime(quotas["period_end"]),
        quotas["amount_cents"],
    ):
        for grain, freq in (("quarter", "Q"), ("year", "Y")):
            for period in pd.period_range(start.to_period(freq), end.to_period(freq)):
                lo, hi = max(start, period.start_time.normalize()), min(end, period.end_time.normalize())
                share = float(cents) * ((hi - lo).days + 1) / ((end - start).days + 1)
                rows.append((grain, period.start_time.strftime("%Y-%m-%d"), rep_id, share))
    frame = pd.DataFrame(rows, columns=["grain", "day", "rep_id", "quota_cents"])
    frame = (
        frame.groupby(["grain", "day", "rep_id"], as_index=False)["quota_cents"].sum().astype({"quota_cents": float})
    )
    for col in ("grain", "day", "rep_id"):
        frame[col] = frame[col].astype(object)
    return frame.sort_values(["grain", "day", "rep_id"]).reset_index(drop=True)


def _assert_grain_tables(engine, days: pd.DataFrame, acts: pd.DataFrame) -> None:
    """rep_periods, rep_activity_periods (0027) equal the raw deals and activities per quarter and
    year, rep and team; rep_period_quotas the quota rows prorated onto each quarter and year."""
    periods = _read(
        engine, "SELECT grain, period_start AS day, rep_id, team_id, " + ", ".join(_DAY_SUMS) + " FROM rep_periods"
    )
    pd.testing.assert_frame_equal(_norm_periods(periods, _DAY_SUMS), _per_period(days, _DAY_SUMS))
    act_periods = _read(
        engine, "SELECT grain, period_start AS day, rep_id, team_id, activities FROM rep_activity_periods"
    )
    pd.testing.assert_frame_equal(_norm_periods(act_periods, ["activities"]), _per_period(acts, ["activities"]))
    quotas = _read(engine, "SELECT grain, period_start AS day, rep_id, quota_cents FROM rep_period_quotas")
    quotas["day"] = pd.to_datetime(quotas["day"]).dt.strftime("%Y-%m-%d")
    quotas["quota_cents"] = quotas["quota_cents"].astype(float)
    for col in ("grain", "day", "rep_id"):
        quotas[col] = quotas[col].astype(object)
    got = quotas.sort_values(["grain", "day", "rep_id"]).reset_index(drop=True)
    # the same prorated shares, summed in another order: equal to the last bits of a double
    pd.testing.assert_frame_equal(got, _expected_period_quotas(engine), check_exact=False, rtol=1e-12)


def test_the_demo_build_fills_the_rollups_with_the_raw_sums(demo_engine):
    """After the demo build both rollups equal the deals and activities summed per rep, team and day."""
    days, acts = _assert_current(demo_engine)
    counts = store.table_counts(demo_engine)
    assert days["created_count"].sum() == counts["deals"] and acts["activities"].sum() == counts["activities"]
    assert days["won_count"].sum() > 0 and days["lost_count"].sum() > 0


def _org(engine) -> None:
    insert(
        engine,
        schema.teams,
        [dict(team_id="T1", name="One", region="North"), dict(team_id="T2", name="Two", region="South")],
    )
    insert(engine, schema.reps, [rep("R1", "T1"), rep("R2", "T2")])


def _deals_file(*rows: tuple) -> pd.DataFrame:
    cols = ["deal_id", "rep_id", "stage", "outcome", "amount", "created_date", "close_date"]
    return pd.DataFrame(list(rows), columns=cols)


def _acts_file(*rows: tuple) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=["activity_id", "rep_id", "type", "occurred_at"])


def _row(frame: pd.DataFrame, day: str, rep_id: str) -> list[int]:
    hit = frame[(frame["day"] == day) & (frame["rep_id"] == rep_id)]
    assert len(hit) == 1
    return [int(v) for v in hit.iloc[0, 3:]]


def test_imports_updates_and_deletes_keep_the_rollups_equal_to_the_raw_tables(empty_engine):
    """Figures by hand: two deals won and one lost on 10 Jan (one amount unknown), created 1 Jan;
    an update moves a win to 20 Jan; activities import, update (moved day) and delete follow."""
    _org(empty_engine)
    ingest.import_frame(
        empty_engine,
        "deals",
        _deals_file(
            ("D1", "R1", "Closed Won", "won", "1000", "2025-01-01", "2025-01-10"),
            ("D2", "R1", "Closed Won", "won", "", "2025-01-01", "2025-01-10"),
            ("D3", "R1", "Closed Lost", "lost", "300", "2025-01-01", "2025-01-10"),
            ("D4", "R2", "Prospect", "open", "700", "2025-01-05", "2025-03-31"),
        ),
    )
    days, _ = _assert_current(empty_engine)
    # won_count, won_cents, won_amounts, won_cycle_days, lost_count, created_count, created_cents,
    # created_won_cents, closed_pipe_cents (the closed deals' amounts in on 1 Jan, out on 10 Jan; the
    # open deal's add nothing)
    assert _row(days, "2025-01-10", "R1") == [2, 100_000, 1, 18, 1, 0, 0, 0, -130_000]
    assert _row(days, "2025-01-01", "R1") == [0, 0, 0, 0, 0, 3, 130_000, 100_000, 130_000]
    assert _row(days, "2025-01-05", "R2") == [0, 0, 0, 0, 0, 1, 70_000, 0, 0]
    assert len(days) == 3  # the open deal's expected close date counts nothing
    ingest.import_frame(
        empty_engine, "deals", _deals_file(("D1", "R1", "Closed Won", "won", "1500", "2025-01-01", "2025-01-20"))
    )
    days, _ = _assert_current(empty_engine)
    assert _row(days, "2025-01-10", "R1") == [1, 0, 0, 9, 1, 0, 0, 0, -30_000]
    assert _row(days, "2025-01-20", "R1") == [1, 150_000, 1, 19, 0, 0, 0, 0, -150_000]
    assert _row(days, "2025-01-01", "R1") == [0, 0, 0, 0, 0, 3, 180_000, 150_000, 180_000]
    ingest.import_frame(
        empty_engine,
        "activities",
        _acts_file(
            ("A1", "R1", "call", "2025-01-02"), ("A2", "R1", "email", "2025-01-02"), ("A3", "R2", "demo", "2025-01-03")
        ),
    )
    _, acts = _assert_current(empty_engine)
    assert _row(acts, "2025-01-02", "R1") == [2] and _row(acts, "2025-01-03", "R2") == [1]
    ingest.import_frame(empty_engine, "activities", _acts_file(("A2", "R1", "email", "2025-01-04")))
    _, acts = _assert_current(empty_engine)
    assert _row(acts, "2025-01-02", "R1") == [1] and _row(acts, "2025-01-04", "R1") == [1]

    def delete(conn) -> None:
        conn.execute(sa.delete(schema.deals).where(schema.deals.c.deal_id == "D3"))
        conn.execute(sa.delete(schema.activities).where(schema.activities.c.activity_id == "A3"))
        derived.refresh_derived(conn, {"deals", "activities"})

    store.write(empty_engine, delete, "test delete")
    days, acts = _assert_current(empty_engine)
    assert _row(days, "2025-01-10", "R1") == [1, 0, 0, 9, 0, 0, 0, 0, 0]  # D2's unknown amount adds nothing
    assert _row(days, "2025-01-01", "R1") == [0, 0, 0, 0, 0, 2, 150_000, 150_000, 150_000]
    assert "R2" not in set(acts["rep_id"])


def test_a_refused_import_leaves_the_rollups_as_they_were(empty_engine):
    """An activities file naming an unknown rep is refused whole: both rollups keep their rows."""
    _org(empty_engine)
    insert(empty_engine, schema.deals, [deal(1, "R1", "T1", "won", 500, date(2025, 1, 1))])
    insert(
        empty_engine,
        schema.activities,
        [dict(activity_id="A1", rep_id="R1", team_id="T1", type="call", occurred_at=date(2025, 1, 1))],
    )
    before = _assert_current(empty_engine)
    with pytest.raises(ingest.ImportRejected):
        ingest.import_frame(empty_engine, "activities", _acts_file(("A9", "NOBODY", "call", "2025-01-02")))
    after = _assert_current(empty_engine)
    for old, new in zip(before, after):
        pd.testing.assert_frame_equal(old, new)


def test_migration_0013_creates_and_fills_the_rollups_of_an_existing_store(new_store_url):
    """A store at revision 0012 with deals and activities gets both rollups filled by revision 0013."""
    engine = store.open_store(new_store_url("at0012"))
    _org(engine)
    insert(
        engine,
        schema.deals,
        [deal(1, "R1", "T1", "won", 500, date(2025, 1, 1)), deal(2, "R2", "T2", "lost", 9, date(2025, 1, 2))],
    )
    insert(
        engine,
        schema.activities,
        [dict(activity_id="A1", rep_id="R2", team_id="T2", type="call", occurred_at=date(2025, 1, 3))],
    )
    with engine.begin() as conn:
        # the rollups and the deal tables built on rep_days by later revisions (0016, 0027)
        for table in ("rep_days", "rep_activity_days", "rep_months", "rep_periods"):
            conn.execute(sa.text(f"DROP TABLE {table}"))
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0012'"))
        assert migrate.status(conn).state == "behind"
    with engine.begin() as conn:
        command.upgrade(migrate._config(conn), "head")
    days, acts = _assert_current(engine)
    assert _row(days, "2025-01-01", "R1") == [1, 500, 1, 0, 0, 1, 500, 500, 0]
    assert _row(acts, "2025-01-03", "R2") == [1]
    engine.dispose()


def test_migration_0019_creates_and_fills_the_activity_months_of_an_existing_store(new_store_url):
    """A store at revision 0023 (no rep_activity_months) with activities in two months gets the
    monthly table created and filled by revision 0019: R2 has 2 in January and 1 in March."""
    engine = store.open_store(new_store_url("at0023"))
    _org(engine)
    insert(
        engine,
        schema.activities,
        [
            dict(activity_id=f"A{i}", rep_id="R2", team_id="T2", type="call", occurred_at=day)
            for i, day in enumerate((date(2025, 1, 3), date(2025, 1, 31), date(2025, 3, 1)))
        ],
    )
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE rep_activity_months"))
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0023'"))
        assert migrate.status(conn).state == "behind"
    with engine.begin() as conn:
        command.upgrade(migrate._config(conn), "head")
    _assert_current(engine)
    months = _read(engine, "SELECT month, activities FROM rep_activity_months ORDER BY month")
    assert [(str(m), int(n)) for m, n in zip(months["month"], months["activities"])] == [
        ("2025-01-01", 2),
        ("2025-03-01", 1),
    ]
    engine.dispose()


def test_migration_0025_creates_and_fills_the_deal_event_days_of_an_existing_store(new_store_url):
    """A store at revision 0024 (no deal_event_days) with a won deal and an open one gets the table
    created and filled by revision 0025: three rows (two created, one won)."""
    engine = store.open_store(new_store_url("at0024"))
    _org(engine)
    insert(
        engine,
        schema.deals,
        [deal(1, "R1", "T1", "won", 500, date(2025, 1, 9)), deal(2, "R2", "T2", "open", 70, date(2025, 3, 31))],
    )
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE deal_event_days"))
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0024'"))
        assert migrate.status(conn).state == "behind"
    with engine.begin() as conn:
        command.upgrade(migrate._config(conn), "head")
    _assert_current(engine)
    events = _read(engine, "SELECT kind, deal_id FROM deal_event_days ORDER BY deal_id, kind")
    assert sorted(zip(events["kind"], events["deal_id"])) == sorted(
        [("created", "D001"), ("won", "D001"), ("created", "D002")]
    )
    engine.dispose()


def test_migration_0027_creates_and_fills_the_period_tables_of_an_existing_store(new_store_url):
    """A store at revision 0026 (no rep_periods, rep_activity_periods, rep_period_quotas) with a won
    deal, an activity and a monthly quota gets the tables created and filled by revision 0027: the
    win in Q1 and 2025, the activity likewise, the quota of 900 in its quarter and year."""
    engine = store.open_store(new_store_url("at0026"))
    _org(engine)
    insert(engine, schema.deals, [deal(1, "R1", "T1", "won", 500, date(2025, 1, 9))])
    ingest.import_frame(engine, "activities", _acts_file(("A1", "R2", "call", "2025-05-02")))
    ingest.import_frame(
        engine,
        "quotas",
        pd.DataFrame(
            [("R1", "month", "2025-02-01", "900")], columns=["rep_id", "period_type", "period_start", "amount"]
        ),
    )
    with engine.begin() as conn:
        for table in ("rep_periods", "rep_activity_periods", "rep_period_quotas"):
            conn.execute(sa.text(f"DROP TABLE {table}"))
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0026'"))
        assert migrate.status(conn).state == "behind"
    with engine.begin() as conn:
        command.upgrade(migrate._config(conn), "head")
    _assert_current(engine)
    won = _read(engine, "SELECT grain, period_start, rep_id, won_count FROM rep_periods ORDER BY grain")
    assert [(g, str(p), r, int(n)) for g, p, r, n in won.values.tolist()] == [
        ("quarter", "2025-01-01", "R1", 1),
        ("year", "2025-01-01", "R1", 1),
    ]
    acts = _read(engine, "SELECT grain, period_start, activities FROM rep_activity_periods ORDER BY grain")
    assert [(g, str(p), int(n)) for g, p, n in acts.values.tolist()] == [
        ("quarter", "2025-04-01", 1),
        ("year", "2025-01-01", 1),
    ]
    quota = _read(engine, "SELECT grain, period_start, quota_cents FROM rep_period_quotas ORDER BY grain")
    assert [(g, str(p), float(q)) for g, p, q in quota.values.tolist()] == [
        ("quarter", "2025-01-01", 90_000.0),
        ("year", "2025-01-01", 90_000.0),
    ]
    engine.dispose()


def test_migration_0028_adds_and_fills_the_pipeline_sums_of_an_existing_store(new_store_url):
    """A store at revision 0027 (rep_days, rep_months and rep_periods without created_won_cents and
    closed_pipe_cents) gets both added and filled by revision 0028: a deal won on 20 Jan created on 5
    Jan adds its 500 on 5 Jan and takes it away on 20 Jan; an open deal adds nothing."""
    engine = store.open_store(new_store_url("at0027"))
    _org(engine)
    insert(
        engine,
        schema.deals,
        [
            deal(1, "R1", "T1", "won", 500, date(2025, 1, 20), created=date(2025, 1, 5)),
            deal(2, "R2", "T2", "open", 70, date(2025, 3, 31), created=date(2025, 1, 6)),
        ],
    )
    with engine.begin() as conn:
        for table in ("rep_days", "rep_months", "rep_periods"):
            for col in ("created_won_cents", "closed_pipe_cents"):
                conn.execute(sa.text(f"ALTER TABLE {table} DROP COLUMN {col}"))
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0027'"))
        assert migrate.status(conn).state == "behind"
    with engine.begin() as conn:
        assert rollups.stored_sums(conn, "rep_days", "rep_periods") == DAY_SUMS[:7]
        command.upgrade(migrate._config(conn), "head")
        assert rollups.stored_sums(conn, "rep_days", "rep_months", "rep_periods") == DAY_SUMS
    days, _ = _assert_current(engine)
    assert _row(days, "2025-01-05", "R1") == [0, 0, 0, 0, 0, 1, 500, 500, 500]
    assert _row(days, "2025-01-20", "R1") == [1, 500, 1, 15, 0, 0, 0, 0, -500]
    assert _row(days, "2025-01-06", "R2") == [0, 0, 0, 0, 0, 1, 70, 0, 0]
    engine.dispose()


def test_an_activities_import_rewrites_only_the_activity_rollup(empty_engine, monkeypatch):
    """Importing activities does not rewrite the deal-derived tables; a deals import rewrites the deal
    kinds of its deals' customers and the deal tables of its deals alone (salesops.store.deal_notes),
    nothing whole."""
    from salesops.store import deal_notes

    calls: list[str] = []
    real_days, real_kinds = derived.rollups.refresh_rep_days, derived.refresh_deal_kinds
    monkeypatch.setattr(derived.rollups, "refresh_rep_days", lambda conn: calls.append("days") or real_days(conn))
    monkeypatch.setattr(derived, "refresh_deal_kinds", lambda conn: calls.append("kinds") or real_kinds(conn))
    noted_kinds, noted = deal_notes.refresh_noted_kinds, deal_notes.refresh_noted
    monkeypatch.setattr(
        deal_notes, "refresh_noted_kinds", lambda conn: calls.append("noted kinds") or noted_kinds(conn)
    )
    monkeypatch.setattr(deal_notes, "refresh_noted", lambda conn: calls.append("noted") or noted(conn))
    _org(empty_engine)
    calls.clear()
    ingest.import_frame(empty_engine, "activities", _acts_file(("A1", "R1", "call", "2025-01-02")))
    assert calls == []
    ingest.import_frame(
        empty_engine, "deals", _deals_file(("D1", "R1", "Closed Won", "won", "5", "2025-01-01", "2025-01-02"))
    )
    assert calls == ["noted kinds", "noted"]
    _assert_current(empty_engine)


def test_an_activities_import_rewrites_only_the_days_it_touches(empty_engine, monkeypatch):
    """An activities import that adds a day and moves an activity rewrites those days alone (never
    the whole rollup), and the rollup still equals the raw activities; a later whole rewrite agrees."""
    _org(empty_engine)
    ingest.import_frame(
        empty_engine,
        "activities",
        _acts_file(*((f"A{i}", "R1" if i % 2 else "R2", "call", f"2025-01-{i:02d}") for i in range(1, 11))),
    )
    whole: list[str] = []
    real = rollups.rewrite
    spy = lambda conn, table, *a: whole.append(table) or real(conn, table, *a)  # noqa: E731
    monkeypatch.setattr(rollups, "rewrite", spy)
    monkeypatch.setattr(period_tables, "rewrite", spy)
    monkeypatch.setattr(grain_tables, "rewrite", spy)
    ingest.import_frame(
        empty_engine,
        "activities",
        _acts_file(
            ("A3", "R1", "call", "2025-01-20"), ("A11", "R2", "demo", "2025-01-20"), ("A4", "R2", "call", "2025-01-04")
        ),
    )
    assert whole == []  # A4 unchanged: only 3 Jan (A3's old day) and 20 Jan were rewritten, and January
    _, acts = _assert_current(empty_engine)
    assert _row(acts, "2025-01-20", "R1") == [1] and _row(acts, "2025-01-20", "R2") == [1]
    assert "2025-01-03" not in set(acts["day"])
    store.write(empty_engine, lambda conn: derived.refresh_derived(conn, {"activities"}), "test whole")
    assert whole == ["rep_activity_days", "rep_activity_months", "rep_activity_periods"]
    pd.testing.assert_frame_equal(_assert_current(empty_engine)[1], acts)


def test_an_activities_import_rewrites_only_the_months_it_touches(empty_engine):
    """By hand: activities in January, February and March; an import moves a January one to March
    and adds one in February: January 1 → 0 rows, February 1 → 2, March 1 → 2 for R1, and the
    monthly table still equals the raw activities per month."""
    _org(empty_engine)
    ingest.import_frame(
        empty_engine,
        "activities",
        _acts_file(
            ("A1", "R1", "call", "2025-01-15"), ("A2", "R1", "call", "2025-02-03"), ("A3", "R1", "demo", "2025-03-31")
        ),
    )
    ingest.import_frame(
        empty_engine, "activities", _acts_file(("A1", "R1", "call", "2025-03-01"), ("A4", "R1", "email", "2025-02-28"))
    )
    _assert_current(empty_engine)
    months = _read(empty_engine, "SELECT month, activities FROM rep_activity_months WHERE rep_id = 'R1' ORDER BY month")
    assert [str(m) for m in months["month"]] == ["2025-02-01", "2025-03-01"]
    assert [int(n) for n in months["activities"]] == [2, 2]


def test_a_chunked_activities_import_keeps_the_rollup_equal_to_the_raw_table(empty_engine, tmp_path):
    """A file read two rows at a time (the staged path of large imports) adds, then moves, activities:
    the activity rollup equals the raw activities after each import."""
    _org(empty_engine)
    path = tmp_path / "acts.csv"
    rows = [f"A{i},R{1 + i % 2},call,2025-02-0{i}" for i in range(1, 6)]
    path.write_text("activity_id,rep_id,type,occurred_at\n" + "\n".join(rows) + "\n")
    ingest.import_file(empty_engine, "activities", path, chunk_rows=2)
    _, acts = _assert_current(empty_engine)
    assert len(acts) == 5 and acts["activities"].sum() == 5
    path.write_text(
        "activity_id,rep_id,type,occurred_at\nA1,R2,call,2025-02-09\nA6,R1,demo,2025-02-09\nA7,R1,call,2025-02-02\n"
    )
    ingest.import_file(empty_engine, "activities", path, chunk_rows=2)
    _, acts = _assert_current(empty_engine)
    assert _row(acts, "2025-02-09", "R2") == [1] and _row(acts, "2025-02-02", "R1") == [2]
    assert "2025-02-01" not in set(acts["day"])


def _quota_ends(engine) -> dict[tuple[str, str], str]:
    rows = _read(engine, "SELECT period_type, period_start, period_end FROM quotas")
    return {(t, str(s)): str(e) for t, s, e in zip(rows["period_type"], rows["period_start"], rows["period_end"])}


def test_quota_imports_and_deal_changes_keep_the_period_tables_equal_to_their_definitions(empty_engine):
    """By hand: quota ends of each period type after an import; rep_months of two months; a logged
    push and amount cut listed with the deal's current amount (a no-op change left out), which a
    later deals import updates; a deleted change leaves the table after a refresh."""
    _org(empty_engine)
    ingest.import_frame(
        empty_engine,
        "deals",
        _deals_file(
            ("D1", "R1", "Closed Won", "won", "1000", "2025-01-01", "2025-01-10"),
            ("D2", "R1", "Closed Lost", "lost", "300", "2025-01-02", "2025-02-03"),
        ),
    )
    quotas = pd.DataFrame(
        [
            ("R1", "month", "2025-01-01", "1000"),
            ("R1", "quarter", "2025-04-01", "3000"),
            ("R2", "year", "2026-01-01", "9000"),
            ("R2", "week", "2025-01-06", "10"),
        ],
        columns=["rep_id", "period_type", "period_start", "amount"],
    )
    ingest.import_frame(empty_engine, "quotas", quotas)
    assert _quota_ends(empty_engine) == {
        ("month", "2025-01-01"): "2025-01-31",
        ("quarter", "2025-04-01"): "2025-06-30",
        ("year", "2026-01-01"): "2026-12-31",
        ("week", "2025-01-06"): "2025-01-12",
    }
    log = [
        dict(
            deal_id="D1",
            changed_at=date(2025, 1, 8),
            field="close_date",
            old_value="2025-01-05",
            new_value="2025-01-10",
        ),
        dict(deal_id="D1", changed_at=date(2025, 1, 9), field="amount_cents", old_value="150000", new_value="100000"),
        dict(deal_id="D2", changed_at=date(2025, 1, 9), field="amount_cents", old_value="30000", new_value="30000"),
    ]
    insert(empty_engine, schema.deal_changes, log)
    days, _ = _assert_current(empty_engine)
    months = _read(empty_engine, "SELECT * FROM rep_months ORDER BY month")
    assert [str(m) for m in months["month"]] == ["2025-01-01", "2025-02-01"]
    # January: D1 won (created and closed in it), D2 created; of them D1 won since (created_won_cents),
    # and D2 open at the month's end but closed since (closed_pipe_cents); February: D2 lost, leaving
    # the closed pipeline
    assert list(months.iloc[0][list(DAY_SUMS)]) == [1, 100_000, 1, 9, 0, 2, 130_000, 100_000, 30_000]
    assert list(months.iloc[1][list(DAY_SUMS)]) == [0, 0, 0, 0, 1, 0, 0, 0, -30_000]
    sql = "SELECT kind, days_moved, amount_change_cents, amount_cents FROM deal_change_days ORDER BY changed_at"
    listed = _read(empty_engine, sql)
    assert [[None if pd.isna(v) else v for v in row] for row in listed.values.tolist()] == [
        ["pushed", 5, None, 100_000],
        ["amount down", None, -50_000, 100_000],
    ]
    ingest.import_frame(
        empty_engine, "deals", _deals_file(("D1", "R1", "Closed Won", "won", "1200", "2025-01-01", "2025-03-02"))
    )
    _assert_current(empty_engine)
    assert set(_read(empty_engine, "SELECT amount_cents FROM deal_change_days")["amount_cents"]) == {120_000}
    assert len(_read(empty_engine, "SELECT * FROM rep_months")) == 3  # D1's win moved to March

    def delete(conn) -> None:
        conn.execute(sa.delete(schema.deal_changes).where(schema.deal_changes.c.field == "close_date"))
        derived.refresh_derived(conn, {"deal_changes"})

    store.write(empty_engine, delete, "test delete")
    _assert_current(empty_engine)
    assert list(_read(empty_engine, "SELECT kind FROM deal_change_days")["kind"]) == ["amount down"]


def test_a_window_splits_into_its_whole_months_and_edge_days():
    """By hand: 15 Dec–20 Jan has no whole month; 15 Dec–28 Feb has Jan and Feb and the edge 15–31 Dec;
    a whole quarter is three months and no edge; 1–10 Mar is one edge."""
    split = period_tables.months_and_edge_days
    assert split(date(2025, 12, 15), date(2026, 1, 20)) == (None, [(date(2025, 12, 15), date(2026, 1, 20))])
    assert split(date(2025, 12, 15), date(2026, 2, 28)) == (
        (date(2026, 1, 1), date(2026, 2, 1)),
        [(date(2025, 12, 15), date(2025, 12, 31))],
    )
    assert split(date(2026, 4, 1), date(2026, 6, 30)) == ((date(2026, 4, 1), date(2026, 6, 1)), [])
    assert split(date(2026, 3, 1), date(2026, 3, 10)) == (None, [(date(2026, 3, 1), date(2026, 3, 10))])
    assert split(date(2026, 2, 10), date(2026, 4, 5)) == (
        (date(2026, 3, 1), date(2026, 3, 1)),
        [(date(2026, 2, 10), date(2026, 2, 28)), (date(2026, 4, 1), date(2026, 4, 5))],
    )


@pytest.mark.parametrize(
    ("start", "end", "grain"),
    [
        (date(2025, 12, 15), date(2026, 2, 20), "month"),
        (date(2025, 1, 1), date(2026, 11, 24), "quarter"),
        (date(2026, 1, 1), date(2026, 12, 31), "year"),
        (date(2026, 10, 5), date(2026, 11, 24), "week"),
    ],
)
def test_rep_day_rows_sum_per_period_as_rep_days(demo_engine, start, end, grain):
    """Summed per rep, team and grain period, the months-and-edges rows equal rep_days over the same days."""
    days, binds = period_tables.rep_day_rows(start, end, grain)
    sums = ", ".join(f"SUM({c}) AS {c}" for c in DAY_SUMS)
    per = f"CAST(date_trunc('{grain}', day) AS DATE)"
    sql = f"SELECT rep_id, team_id, {per} AS p, {sums} FROM {{}} GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
    got = store.read_frame(demo_engine, sa.text(sql.format(f"{days} x")), binds)
    raw = "(SELECT * FROM rep_days WHERE day BETWEEN :a AND :b) x"
    want = store.read_frame(demo_engine, sa.text(sql.format(raw)), {"a": start, "b": end})
    assert len(want) > 0
    pd.testing.assert_frame_equal(got, want)


@pytest.mark.parametrize("source", ["deals", "activities"])
@pytest.mark.parametrize("end", [date(2023, 12, 31), date(2025, 1, 1), date(2025, 8, 24), date(2026, 11, 24)])
def test_prefix_rows_sum_to_every_day_up_to_the_end(demo_engine, source, end):
    """Summed per rep and team, the stored rows of every day up to ``end`` (the years before from the
    period table, its own year signed) equal the day table's rows up to it, however far back."""
    day_table, _, _, day_sums = period_tables.ROLLUPS[source]
    rows, binds = period_tables.prefix_rows(end, source=source)
    sums = ", ".join(f"SUM({c}) AS {c}" for c in day_sums)
    count = period_tables.COUNTS[source]
    sql = f"SELECT rep_id, team_id, {sums} FROM {{}} GROUP BY 1, 2 HAVING SUM({count}) > 0 ORDER BY 1, 2"
    got = store.read_frame(demo_engine, sa.text(sql.format(f"{rows} x")), binds)
    want = store.read_frame(
        demo_engine, sa.text(sql.format(f"(SELECT * FROM {day_table} WHERE day <= :e) x")), {"e": end}
    )
    assert len(want) > 0
    pd.testing.assert_frame_equal(got, want)


@pytest.mark.parametrize("source", ["deals", "activities"])
@pytest.mark.parametrize(
    "ranges",
    [
        [(date(2026, 10, 1), date(2026, 11, 24)), (date(2026, 7, 1), date(2026, 8, 24))],  # QTD: a gap between
        [(date(2025, 12, 15), date(2026, 1, 20)), (date(2025, 11, 8), date(2025, 12, 14))],  # year end
        [(date(2026, 1, 1), date(2026, 3, 31)), (date(2026, 2, 1), date(2026, 4, 30))],  # overlapping
        [(date(2026, 1, 1), date(2026, 11, 24)), (date(2025, 1, 1), date(2025, 11, 24))],  # YTD
    ],
)
def test_ranges_weighted_rows_sum_to_each_range_and_the_hull(demo_engine, source, ranges):
    """Per rep and team the weighted rows sum, per range, as the day table over the range's days,
    and the reps and teams whose hull count is above 0 are those with day rows in the hull (first
    start to last end, the days between the ranges included)."""
    day_table, _, _, sums = period_tables.ROLLUPS[source]
    rows, binds = period_tables.ranges_weighted_rows(ranges, source=source)
    n = range(len(ranges))
    weighted = ", ".join(f"CAST(SUM(w{i} * {c}) AS BIGINT) AS {c}_{i}" for c in sums for i in n)
    got = store.read_frame(
        demo_engine,
        sa.text(
            f"SELECT rep_id, team_id, {weighted} FROM {rows} x GROUP BY 1, 2 "
            f"HAVING SUM(wh * ({period_tables.COUNTS[source]})) > 0 ORDER BY 1, 2"
        ),
        binds,
    )
    split = ", ".join(
        f"CAST(SUM(CASE WHEN day BETWEEN :s{i} AND :e{i} THEN {c} ELSE 0 END) AS BIGINT) AS {c}_{i}"
        for c in sums
        for i in n
    )
    want = store.read_frame(
        demo_engine,
        sa.text(
            f"SELECT rep_id, team_id, {split} FROM {day_table} WHERE day BETWEEN :lo AND :hi GROUP BY 1, 2 ORDER BY 1, 2"
        ),
        {
            "lo": min(s for s, _ in ranges),
            "hi": max(e for _, e in ranges),
            **{f"s{i}": s for i, (s, _) in enumerate(ranges)},
            **{f"e{i}": e for i, (_, e) in enumerate(ranges)},
        },
    )
    assert len(want) > 0
    pd.testing.assert_frame_equal(got, want)


def test_signed_cover_reads_a_cut_period_whole_less_the_fewer_days_outside():
    """By hand: a quarter to date is the quarter less December and the days still to come in
    November; a cut month is the month less its days outside when those are fewer, else its days;
    a whole quarter is one row; below a weekly or monthly top no coarser period is read."""
    cover = lambda *a: list(period_tables.signed_cover(*a))  # noqa: E731 - a local shorthand
    d = date
    assert cover(d(2026, 10, 1), d(2026, 11, 24)) == [
        (1, "quarter", d(2026, 10, 1), d(2026, 10, 1)),
        (-1, "month", d(2026, 12, 1), d(2026, 12, 1)),
        (-1, "day", d(2026, 11, 25), d(2026, 11, 30)),
    ]
    assert cover(d(2026, 7, 1), d(2026, 8, 24)) == [
        (1, "quarter", d(2026, 7, 1), d(2026, 7, 1)),
        (-1, "month", d(2026, 9, 1), d(2026, 9, 1)),
        (-1, "day", d(2026, 8, 25), d(2026, 8, 31)),
    ]
    assert cover(d(2026, 3, 1), d(2026, 3, 10)) == [(1, "day", d(2026, 3, 1), d(2026, 3, 10))]
    assert cover(d(2026, 3, 3), d(2026, 3, 29)) == [
        (1, "month", d(2026, 3, 1), d(2026, 3, 1)),
        (-1, "day", d(2026, 3, 1), d(2026, 3, 2)),
        (-1, "day", d(2026, 3, 30), d(2026, 3, 31)),
    ]
    assert cover(d(2026, 4, 1), d(2026, 6, 30)) == [(1, "quarter", d(2026, 4, 1), d(2026, 4, 1))]
    assert cover(d(2025, 1, 1), d(2026, 11, 24), "quarter") == [
        (1, "quarter", d(2025, 1, 1), d(2026, 10, 1)),
        (-1, "month", d(2026, 12, 1), d(2026, 12, 1)),
        (-1, "day", d(2026, 11, 25), d(2026, 11, 30)),
    ]
    assert cover(d(2026, 4, 1), d(2026, 6, 30), "month") == [(1, "month", d(2026, 4, 1), d(2026, 6, 1))]
    assert cover(d(2026, 10, 5), d(2026, 11, 24), "week") == [(1, "day", d(2026, 10, 5), d(2026, 11, 24))]


def _last_day(level: str, first: date) -> date:
    months = {"year": 12, "quarter": 3, "month": 1}[level]
    return (pd.Timestamp(first) + pd.DateOffset(months=months) - pd.Timedelta(days=1)).date()


@pytest.mark.parametrize("top", ["year", "quarter", "month"])
def test_signed_cover_counts_every_day_of_the_range_once(top):
    """Over many ranges, the signed pieces count each day of the range once and no other day, and
    no piece is coarser than the top level."""
    start = date(2024, 1, 1)
    for offset in range(0, 800, 11):
        for length in (0, 1, 5, 12, 20, 27, 29, 30, 31, 45, 61, 95, 200, 370, 500):
            lo = start + pd.Timedelta(days=offset).to_pytimedelta()
            hi = lo + pd.Timedelta(days=length).to_pytimedelta()
            count: dict = {}
            for sign, level, a, b in period_tables.signed_cover(lo, hi, top):
                assert a <= b and period_tables.LEVELS.index(level) >= period_tables.LEVELS.index(top)
                last = b if level == "day" else _last_day(level, b)
                for day in pd.date_range(a, last).date:
                    count[day] = count.get(day, 0) + sign
            assert {k for k, v in count.items() if v} == set(pd.date_range(lo, hi).date), (lo, hi)
            assert all(v in (0, 1) for v in count.values()), (lo, hi)


@pytest.mark.parametrize("source", ["deals", "activities"])
@pytest.mark.parametrize(
    ("start", "end", "grain"),
    [
        (date(2025, 1, 1), date(2026, 11, 24), "quarter"),
        (date(2026, 7, 1), date(2026, 8, 24), "quarter"),
        (date(2026, 3, 3), date(2026, 3, 29), "month"),
        (date(2024, 1, 1), date(2026, 6, 27), "year"),
        (date(2026, 10, 5), date(2026, 11, 24), "week"),
    ],
)
def test_signed_rep_day_rows_sum_per_period_as_the_day_table(demo_engine, source, start, end, grain):
    """Signed rows summed per rep, team and period equal the day table over the same days, and the
    (rep, team, period) with a signed count above 0 are those with day rows there."""
    day_table, _, _, sums = period_tables.ROLLUPS[source]
    days, binds = period_tables.rep_day_rows(start, end, grain, source=source, signed=True)
    per = f"CAST(date_trunc('{grain}', day) AS DATE)"
    got = store.read_frame(
        demo_engine,
        sa.text(
            f"SELECT rep_id, team_id, {per} AS p, {', '.join(f'SUM(sgn * {c}) AS {c}' for c in sums)} "
            f"FROM {days} x GROUP BY 1, 2, 3 HAVING SUM(sgn * ({period_tables.COUNTS[source]})) > 0 ORDER BY 1, 2, 3"
        ),
        binds,
    )
    want = store.read_frame(
        demo_engine,
        sa.text(
            f"SELECT rep_id, team_id, {per} AS p, {', '.join(f'SUM({c}) AS {c}' for c in sums)} "
            f"FROM {day_table} WHERE day BETWEEN :a AND :b GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
        ),
        {"a": start, "b": end},
    )
    assert len(want) > 0
    pd.testing.assert_frame_equal(got, want)


@pytest.mark.parametrize("source", ["deals", "activities"])
@pytest.mark.parametrize(
    ("level", "first", "last"),
    [
        ("quarter", date(2025, 1, 1), date(2026, 7, 1)),
        ("year", date(2024, 1, 1), date(2025, 1, 1)),
        ("month", date(2026, 1, 1), date(2026, 6, 1)),
    ],
)
def test_period_rows_are_the_day_table_per_whole_period(demo_engine, source, level, first, last):
    """The stored rows of whole periods are one per rep, team and period, and equal the day table
    summed per period over the same days."""
    day_table, _, _, sums = period_tables.ROLLUPS[source]
    rows, binds = period_tables.period_rows(level, first, last, source=source)
    cols = ", ".join(f"CAST({c} AS BIGINT) AS {c}" for c in sums)
    got = store.read_frame(
        demo_engine, sa.text(f"SELECT rep_id, team_id, day AS p, {cols} FROM {rows} x ORDER BY 1, 2, 3"), binds
    )
    end = (
        pd.Timestamp(last) + pd.DateOffset(months={"year": 12, "quarter": 3, "month": 1}[level]) - pd.Timedelta(days=1)
    ).date()
    per = f"CAST(date_trunc('{level}', day) AS DATE)"
    summed = ", ".join(f"CAST(SUM({c}) AS BIGINT) AS {c}" for c in sums)
    want = store.read_frame(
        demo_engine,
        sa.text(
            f"SELECT rep_id, team_id, {per} AS p, {summed} FROM {day_table} WHERE day BETWEEN :a AND :b GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
        ),
        {"a": first, "b": end},
    )
    assert len(want) > 0
    pd.testing.assert_frame_equal(got, want)


def _kinds(engine, grain: str, rep_id: str) -> dict[str, list[int]]:
    """rep_kind_periods' sums of one rep per period start (ISO) at ``grain``."""
    got = _kind_periods(engine)
    got = got[(got["grain"] == grain) & (got["rep_id"] == rep_id)]
    return {d: [int(v) for v in row] for d, *row in got[["day", *_KIND_SUMS]].itertuples(index=False)}


def test_the_kind_periods_follow_every_deal_whose_kind_changes(empty_engine):
    """Figures by hand (won_count, new_logo_count, new_logo_cents, expansion_count, expansion_cents):
    Acme's first win (10 Jan, 1000) is new business, its next (3 Feb, 500) existing, a typed
    expansion (5 Feb, 300); a win with no account (5 Feb, amount unknown) is new business. Moving the
    first win to 1 Mar makes the 3 Feb win — a deal not written — Acme's new business, and the moved
    one existing; deleting the expansion takes it out."""
    _org(empty_engine)
    rows = [
        deal(1, "R1", "T1", "won", 100_000, date(2025, 1, 10)) | {"account": "Acme"},
        deal(2, "R1", "T1", "won", 50_000, date(2025, 2, 3)) | {"account": "Acme"},
        deal(3, "R2", "T2", "won", 30_000, date(2025, 2, 5)) | {"account": "Acme", "deal_type": "Expansion"},
        deal(4, "R1", "T1", "won", None, date(2025, 2, 5)),
        deal(5, "R1", "T1", "lost", 9_000, date(2025, 2, 5)) | {"account": "Acme"},
    ]
    insert(empty_engine, schema.deals, rows)
    _assert_current(empty_engine)
    assert _kinds(empty_engine, "day", "R1") == {
        "2025-01-10": [1, 1, 100_000, 0, 0],
        "2025-02-03": [1, 0, 0, 0, 0],
        "2025-02-05": [1, 1, 0, 0, 0],
    }
    assert _kinds(empty_engine, "month", "R1") == {"2025-01-01": [1, 1, 100_000, 0, 0], "2025-02-01": [2, 1, 0, 0, 0]}
    assert _kinds(empty_engine, "quarter", "R2") == {"2025-01-01": [1, 0, 0, 1, 30_000]}
    assert _kinds(empty_engine, "year", "R1") == {"2025-01-01": [3, 2, 100_000, 0, 0]}

    def move(conn) -> None:
        conn.execute(
            sa.update(schema.deals).where(schema.deals.c.deal_id == "D001").values(close_date=date(2025, 3, 1))
        )
        derived.refresh_derived(conn, {"deals"})

    store.write(empty_engine, move, "test move")
    _assert_current(empty_engine)
    assert _kinds(empty_engine, "month", "R1") == {"2025-02-01": [2, 2, 50_000, 0, 0], "2025-03-01": [1, 0, 0, 0, 0]}

    def delete(conn) -> None:
        conn.execute(sa.delete(schema.deals).where(schema.deals.c.deal_id == "D003"))
        derived.refresh_derived(conn, {"deals"})

    store.write(empty_engine, delete, "test delete")
    _assert_current(empty_engine)
    assert _kinds(empty_engine, "year", "R2") == {}


def test_migration_0029_creates_and_fills_the_kind_periods_of_an_existing_store(new_store_url):
    """A store at revision 0028 (no rep_kind_periods) with two won deals gets the table created and
    filled by revision 0029: a first win of 500 (new business) and a typed expansion of 70 in 2025."""
    engine = store.open_store(new_store_url("at0028"))
    _org(engine)
    insert(
        engine,
        schema.deals,
        [
            deal(1, "R1", "T1", "won", 500, date(2025, 1, 20)) | {"account": "Acme"},
            deal(2, "R1", "T1", "won", 70, date(2025, 5, 6)) | {"account": "Acme", "deal_type": "expansion"},
        ],
    )
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE rep_kind_periods"))
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0028'"))
        assert migrate.status(conn).state == "behind"
    with engine.begin() as conn:
        command.upgrade(migrate._config(conn), "head")
    _assert_current(engine)
    assert _kinds(engine, "quarter", "R1") == {"2025-01-01": [1, 1, 500, 0, 0], "2025-04-01": [1, 0, 0, 1, 70]}
    assert _kinds(engine, "year", "R1") == {"2025-01-01": [2, 1, 500, 1, 70]}
    engine.dispose()

"""Performance KPIs against quota: the home page's headline and the performance page's tiles.

Definitions: docs/METRICS.md (the tiles' help uses :data:`DEFINITIONS`, the same words). All
aggregation runs in the database; functions take the engine and a :class:`Scope` and return a
frozen dataclass.

Attribution rules (docs/METRICS.md, "Who gets what"):

* deals, leads and activities carry ``team_id`` = the team at the time, so a team's won revenue,
  win rate, pipeline and activities follow that column;
* quota is per rep and follows the rep's *current* team (``reps.team_id``): a rep who changed team
  brings their whole quota to the new team, while their earlier deals stay with the old team;
* a rep's own figures (the rep table, the drill-down) are all of the rep's deals, whatever team.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from salesops.errors import AccessDenied
from salesops.performance.queries import closed_cte, quota_total
from salesops.scope import Scope
from salesops.store.period_tables import prefix_rows, window_rows
from salesops.store.probability import weighted_cents_of, weighted_products_sql
from salesops.store.rollups import CLOSED_PIPE, won_avg_sql
from salesops.store.sql import attainment, open_at_parts, scope_filter, win_rate

#: The definition of every metric, word for word as in docs/METRICS.md and the tiles' help.
DEFINITIONS: dict[str, str] = {
    "Won revenue": "Amount of deals won with a close date in the range (deals without an amount add nothing).",
    "Quota": "Quota of the reps in scope over the whole period(s) the range touches, prorated by day; ramping reps carry their ramped quota as stored.",
    "Attainment": "Won revenue ÷ quota of the whole period(s) the range touches (ramped quota for new hires).",
    "Win rate": "Won ÷ (won + lost) of deals closed in the range; open deals are excluded.",
    "Average deal size": "Won revenue ÷ number of won deals with a known amount, closed in the range.",
    "Sales cycle": "Average days from created date to close date of the deals won in the range.",
    "Open pipeline": "Amount of the deals open at the end of the range: created on or before it and not closed by then (still open, or closed after it), at their current amount (deals without an amount add nothing); when the range ends today, that is today's open deals, whatever their expected close date.",
    "Pipeline coverage": "Open pipeline due by the end of the period (expected close on or before it) ÷ remaining quota (quota − won revenue).",
    "Weighted pipeline": "Open pipeline with each deal's amount × its stage probability.",
    "Activities per rep": "Calls, emails, meetings and demos logged in the range ÷ reps (the scope's active reps hired by the range's end, plus anyone who logged an activity for it).",
    "Pacing": "On track when attainment ≥ the share of the period elapsed; projected = won revenue ÷ elapsed share.",
    "Pipeline needed": "Remaining quota ÷ the historical win rate (won ÷ (won + lost) of deals closed in the 12 months before the period); gap = needed − open pipeline due.",
    "Reps at quota": "Share of reps with quota whose attainment is 100 % or more; a healthy organisation has about 60–70 %.",
}


def whole(x) -> int:
    """A figure read from SQL as integer cents (0 when missing)."""
    return 0 if x is None or pd.isna(x) else int(round(float(x)))


def _float(x) -> float | None:
    return None if x is None or pd.isna(x) else float(x)


def _ratio(num, den) -> float | None:
    return float(num) / float(den) if den else None


# ---- headline (home page) ---------------------------------------------------------------------


@dataclass(frozen=True)
class Headline:
    """The home page's tiles for one scope. Money in integer cents; rates 0..1 or None."""

    won_cents: int
    quota_cents: int
    attainment: float | None
    won_count: int
    lost_count: int
    win_rate: float | None
    open_pipeline_cents: int


def headline(engine: Engine, scope: Scope) -> Headline:
    """Won revenue, quota, attainment, win rate and open pipeline for the scope (docs/METRICS.md).

    * won revenue: amount of deals won with a close date in the range;
    * quota: quota of the reps in scope over the whole grain periods the range touches;
    * win rate: won ÷ (won + lost) by close date in the range, open deals excluded;
    * open pipeline: amount of the deals open at the end of the range (today's open deals when the
      range ends today).
    """
    return _headlines(engine, (scope,))[0]


def compare_headline(engine: Engine, scope: Scope) -> tuple[Headline, Headline, Headline]:
    """:func:`headline` for the scope, the previous period and the same period last year (the home
    page's tiles and their deltas) — one statement, the scope's open deals read once for the three."""
    now, prev, last_year = _headlines(engine, (scope, scope.previous(), scope.last_year()))
    return now, prev, last_year


def _headlines(engine: Engine, scopes: tuple[Scope, ...]) -> list[Headline]:
    """:func:`headline` of several date windows of the same team/region/viewer, in one statement.

    Per window: the closed deals from the rollups (:func:`closed_cte`), the quota (:func:`quota_total`)
    and the deals open at its end as open_at's two halves (:func:`open_at_parts`): the closed
    half (closed after the end) per window from the rollups' closed pipeline summed over every day
    up to the end (:func:`~salesops.store.period_tables.prefix_rows`), the still-open half summed for
    every window in one pass over the scope's open deals (a FILTER per window). Only window numbers,
    numbered bind names and our own fragments are spliced; every value is a bind. The open deals are
    read from ``open_deal_touches`` (the open deals alone, revision 0028).
    """
    where, params = scope_filter(scopes[0])
    rep_where, rep_params = scope_filter(scopes[0], alias="r")
    values: dict = {**params, **rep_params}
    still_open, rows = [], []
    for i, sc in enumerate(scopes):
        days, day_binds = window_rows(sc.start, sc.end, prefix=f"w{i}")
        values.update({f"e{i}": sc.end, f"qs{i}": sc.quota_start, f"qe{i}": sc.quota_end, **day_binds})
        # the closed half: the rollups' closed pipeline summed over every day up to the end
        pipe, pipe_binds = prefix_rows(sc.end, prefix=f"p{i}", sums=(CLOSED_PIPE,))
        values.update(pipe_binds)
        still_open.append(f"SUM(amount_cents) FILTER (WHERE created_date <= :e{i}) AS o{i}")
        rows.append(
            f"""SELECT {i} AS w, c.won_cents, c.won_count, c.lost_count, q.quota_cents,
                   COALESCE(s.o{i}, 0)
                   + COALESCE((SELECT SUM({CLOSED_PIPE}) FROM {pipe} x WHERE 1 = 1 {where}), 0) AS open_cents
            FROM ({closed_cte(where, days)}) c, ({quota_total(rep_where, sc.quota_start, sc.quota_end, f"qs{i}", f"qe{i}")}) q, s"""  # noqa: S608
        )
    sql = sa.text(
        f"""
        WITH s AS (SELECT {", ".join(still_open)} FROM open_deal_touches WHERE 1 = 1 {where})
        {" UNION ALL ".join(rows)}
        ORDER BY w
        """  # noqa: S608 - our fragments only, values bound
    )
    with engine.connect() as conn:
        result = conn.execute(sql, values).all()
    out = []
    for row in result:
        won, quota = whole(row.won_cents), whole(row.quota_cents)
        out.append(
            Headline(
                won_cents=won,
                quota_cents=quota,
                attainment=attainment(won, quota),
                won_count=int(row.won_count),
                lost_count=int(row.lost_count),
                win_rate=win_rate(int(row.won_count), int(row.lost_count)),
                open_pipeline_cents=whole(row.open_cents),
            )
        )
    return out


# ---- the performance page's tiles ----------------------------------------------------------------


@dataclass(frozen=True)
class Kpis:
    """The performance page's KPI tiles for one scope (docs/METRICS.md). Money in integer cents."""

    won_cents: int
    won_count: int
    lost_count: int
    win_rate: float | None
    avg_deal_cents: int | None
    avg_cycle_days: float | None
    quota_cents: int
    attainment: float | None
    remaining_quota_cents: int
    open_pipeline_cents: int
    open_due_cents: int
    coverage: float | None
    weighted_pipeline_cents: int
    activities: int
    reps: int
    activities_per_rep: float | None


def kpis(engine: Engine, scope: Scope) -> Kpis:
    """Every KPI tile of the performance page for the scope (docs/METRICS.md)."""
    return _kpis_for(engine, (scope,))[0]


def company_headline(engine: Engine, scope: Scope) -> Headline:
    """The whole company's :func:`headline` for the scope's dates (no team, no region, no row
    restriction): what a manager sees beside their own teams (docs/ACCESS.md). A rep sees their own
    figures only, so a rep's scope gets AccessDenied; staff and the viewer role see it too."""
    if scope.viewer is not None and scope.viewer.role == "rep":
        raise AccessDenied("A rep sees their own figures, not the company's totals.", "Ask your manager.")
    return headline(engine, replace(scope, region=None, team_id=None, viewer=None))


def compare_kpis(engine: Engine, scope: Scope) -> tuple[Kpis, Kpis, Kpis]:
    """:func:`kpis` for the scope, the previous period and the same period last year — one query."""
    now, prev, last_year = _kpis_for(engine, (scope, scope.previous(), scope.last_year()))
    return now, prev, last_year


def _window_branches(scopes: tuple[Scope, ...], where: str, rep_where: str, act_where: str) -> tuple[dict, dict]:
    """The UNION ALL branches of :func:`_kpis_sql`, one set per window, and their numbered binds.

    Every figure is read per window with the window's own dates as plain range filters (closed
    deals from the rollups rep_months and rep_days, activities from rep_activity_months and
    rep_activity_days, the deals closed after the window's end from the rollups' closed pipeline up
    to it and, of them, those due by the quota end from a range of the deals' close dates, quota
    rows), so each scan is pruned to its window. Only window numbers, numbered bind names and our
    own fragments are spliced; every value is a bind.
    """
    values: dict = {}
    parts: dict[str, list[str]] = {"win": [], "closed": [], "quota": [], "pipe": [], "due": [], "heads": []}
    for i, sc in enumerate(scopes):
        values.update({f"s{i}": sc.start, f"e{i}": sc.end, f"qs{i}": sc.quota_start, f"qe{i}": sc.quota_end})
        parts["win"].append(f"SELECT {i} AS w")
        # the window's months from rep_months, less or plus its edge days from rep_days (signed sums)
        days, day_binds = window_rows(sc.start, sc.end, prefix=f"c{i}")
        values.update(day_binds)
        parts["closed"].append(
            f"SELECT {i} AS w, d.won_cents, d.won_count, d.won_amounts, d.won_cycle_days, d.lost_count "  # noqa: S608 - see above
            f"FROM {days} d WHERE 1 = 1 {where}"
        )
        quota = quota_total(rep_where, sc.quota_start, sc.quota_end, f"qs{i}", f"qe{i}")
        parts["quota"].append(f"SELECT {i} AS w, quota_cents FROM ({quota}) x")  # noqa: S608 - our fragment
        # Open at the window's end: open_at's two disjoint halves. The still-open half is summed for
        # every window in one pass over the scope's open deals (s, :func:`_open_sums`); the closed
        # half (deals closed after the window's end) is the rollups' closed pipeline summed over
        # every day up to the end (CLOSED_PIPE), and of it the deals due by the quota end are those
        # closed by then: a range of close dates after the end, read from the deals.
        pipe, pipe_binds = prefix_rows(sc.end, prefix=f"p{i}", sums=(CLOSED_PIPE,))
        values.update(pipe_binds)
        parts["pipe"].append(f"SELECT {i} AS w, d.{CLOSED_PIPE} AS cents FROM {pipe} d WHERE 1 = 1 {where}")  # noqa: S608
        _still_open, closed_after = open_at_parts(f":e{i}", "d")
        parts["due"].append(
            f"SELECT {i} AS w, d.amount_cents FROM deals d "  # noqa: S608 - see above
            f"WHERE {closed_after} AND d.close_date <= :qe{i} {where}"
        )
        # Head count: the scope's active reps hired by the window's end and everyone who logged an
        # activity in the window (with their count), each rep once: the two sets, each one row per
        # rep, joined on the rep (FULL JOIN: a row per rep in either), counted and their activities
        # summed per window — no grouping of every window's reps again by window and rep.
        acts, act_binds = window_rows(sc.start, sc.end, prefix=f"a{i}", source="activities")
        values.update(act_binds)
        parts["heads"].append(
            f"SELECT {i} AS w, COUNT(*) AS reps, SUM(b.n) AS activities "  # noqa: S608 - see above
            f"FROM (SELECT r.rep_id FROM reps r "
            f"WHERE r.active AND (r.hire_date IS NULL OR r.hire_date <= :e{i}) {rep_where}) h "
            f"FULL JOIN (SELECT a.rep_id, SUM(a.activities) AS n FROM {acts} a "
            f"WHERE 1 = 1 {act_where} GROUP BY a.rep_id HAVING SUM(a.activities) > 0) b ON b.rep_id = h.rep_id"
        )
    return {k: " UNION ALL ".join(v) for k, v in parts.items()}, values


def _open_sums(windows: int, where: str) -> str:
    """One pass over the scope's open deals (``where``: the scope filter, alias d): one row ``s`` with,
    per window ``i``, the amount (``o{i}``), the amount due by the window's quota end (``d{i}``) and
    the summed products amount × probability (``p{i}``, :func:`weighted_products_sql`) of the open
    deals created by the window's end — the still-open half of the deals open at its end — and
    their average probability (``bp_num`` ÷ ``bp_den``: the products over the amounts of the deals
    with a probability; a deal without an amount adds nothing to either). The open deals are read
    once, not once per window, from ``open_deal_touches`` (the open deals alone, with their created
    date and probability: revision 0028) rather than every deal.

    The deals are first summed per probability and per window test (created by the end ``c{i}``,
    due by the quota end ``q{i}``: a few dozen groups), and the windows' sums and products taken
    from those groups with a FILTER per window: the same exact integers (amount × probability
    summed over deals is the summed amounts × probability), without a NUMERIC(38, 0) product and
    nine filtered sums per deal (at large, 1.2M open deals: 84 → 35 ms for this part). A test that is
    NULL (no created or close date) is its own group and passes no FILTER, as before; a group's
    ``a`` counts a missing amount as 0 and is never NULL, so a window with no deal gives NULL and one
    whose deals all lack an amount gives 0, as the per-deal sums did."""
    products = weighted_products_sql("g.a", "g.bp")
    tests = ", ".join(f"d.created_date <= :e{i} AS c{i}, d.close_date <= :qe{i} AS q{i}" for i in range(windows))
    sums = ", ".join(
        f"SUM(g.amounts) FILTER (WHERE g.c{i}) AS o{i}, "
        f"SUM(g.amounts) FILTER (WHERE g.c{i} AND g.q{i}) AS d{i}, "
        f"{products} FILTER (WHERE g.c{i}) AS p{i}"
        for i in range(windows)
    )
    keys = ", ".join(str(n) for n in range(1, 2 * windows + 2))  # bp and the tests, by position
    return (
        f"SELECT {products} AS bp_num, SUM(g.amounts) FILTER (WHERE g.bp IS NOT NULL) AS bp_den, {sums} "  # noqa: S608 - our fragments
        f"FROM (SELECT d.probability_bp AS bp, {tests}, SUM(d.amount_cents) AS amounts, "
        f"SUM(COALESCE(d.amount_cents, 0)) AS a FROM open_deal_touches d WHERE 1 = 1 {where} GROUP BY {keys}) g"
    )


def _open_rows(windows: int) -> str:
    """The sums of :func:`_open_sums` (``s``) as one row per window: w, open_cents, due_cents, products."""
    return " UNION ALL ".join(
        f"SELECT {i} AS w, o{i} AS open_cents, d{i} AS due_cents, p{i} AS products FROM s"  # noqa: S608 - numbers
        for i in range(windows)
    )


def _kpis_sql(u: dict, where: str, windows: int) -> str:
    """The KPI statement over the windows' branches ``u`` (see :func:`_window_branches`).

    One SQL statement, long because every tile is one CTE of it (a range join against a table of
    windows, or one scan over the span of all windows with a FILTER per window, reads and tests far
    more rows than the stacked branches grouped by window number).
    """
    avg_deal, avg_cycle = won_avg_sql()
    return f"""
        WITH win AS ({u["win"]}),
        closed AS (
            -- the won and lost deals of each window, from the rollup rep_days
            SELECT w, COALESCE(SUM(won_cents), 0) AS won_cents, COALESCE(SUM(won_count), 0) AS won_count,
                   COALESCE(SUM(lost_count), 0) AS lost_count, {avg_deal} AS avg_deal_cents,
                   {avg_cycle} AS avg_cycle_days
            FROM ({u["closed"]}) x
            GROUP BY w
        ),
        quota AS ({u["quota"]}),
        -- the scope's open deals, summed once for every window's still-open half and the average
        s AS ({_open_sums(windows, where)}),
        avg_prob AS (SELECT bp_num / NULLIF(bp_den, 0) AS bp FROM s),
        open_pipe AS ({_open_rows(windows)}),
        -- the closed half's sums per window; its deals weigh the open deals' average probability
        closed_open AS (SELECT x.w, SUM(x.cents) AS open_cents FROM ({u["pipe"]}) x GROUP BY x.w),
        closed_due AS (SELECT x.w, SUM(x.amount_cents) AS due_cents FROM ({u["due"]}) x GROUP BY x.w),
        closed_pipe AS (
            SELECT win.w, co.open_cents, cd.due_cents, CAST(co.open_cents AS NUMERIC(38, 0)) AS amounts
            FROM win LEFT JOIN closed_open co ON co.w = win.w LEFT JOIN closed_due cd ON cd.w = win.w
        ),
        pipe AS (
            SELECT win.w,
                   COALESCE(o.open_cents, 0) + COALESCE(c.open_cents, 0) AS open_cents,
                   COALESCE(o.due_cents, 0) + COALESCE(c.due_cents, 0) AS due_cents,
                   {weighted_cents_of("COALESCE(o.products, 0) + COALESCE(c.amounts * ap.bp, 0)")} AS weighted_cents
            FROM win CROSS JOIN avg_prob ap
            LEFT JOIN open_pipe o ON o.w = win.w
            LEFT JOIN closed_pipe c ON c.w = win.w
        ),
        heads AS ({u["heads"]})
        SELECT win.w, COALESCE(c.won_cents, 0) AS won_cents, COALESCE(c.won_count, 0) AS won_count,
               COALESCE(c.lost_count, 0) AS lost_count, c.avg_deal_cents, c.avg_cycle_days,
               COALESCE(qu.quota_cents, 0) AS quota_cents, COALESCE(p.open_cents, 0) AS open_cents,
               COALESCE(p.due_cents, 0) AS due_cents, COALESCE(p.weighted_cents, 0) AS weighted_cents,
               COALESCE(h.reps, 0) AS reps, COALESCE(h.activities, 0) AS activities
        FROM win
        LEFT JOIN closed c ON c.w = win.w
        LEFT JOIN quota qu ON qu.w = win.w
        LEFT JOIN pipe p ON p.w = win.w
        LEFT JOIN heads h ON h.w = win.w
        ORDER BY win.w
        """  # noqa: S608 - numbered binds and window numbers built here; the rest are our fragments


def _kpis_for(engine: Engine, scopes: tuple[Scope, ...]) -> list[Kpis]:
    """KPIs of several date windows of the same team/region in one statement.

    Pipeline figures are the deals open at the end of the range, at their current amount. Their
    probability is the stored one for deals still open; the store keeps no past probabilities, so a
    deal that was open then but has closed since is weighted at the amount-weighted average
    probability of the scope's deals open today (reading the stage history per deal is too slow
    at scale for a tile).
    """
    first = scopes[0]
    where, params = scope_filter(first, alias="d")
    rep_where, rep_params = scope_filter(first, alias="r")
    act_where, act_params = scope_filter(first, alias="a")
    branches, values = _window_branches(scopes, where, rep_where, act_where)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(_kpis_sql(branches, where, len(scopes))), {**values, **params, **rep_params, **act_params}
        ).all()
    return [_kpis_from(row) for row in rows]


def _kpis_from(row) -> Kpis:
    won, quota, due = whole(row.won_cents), whole(row.quota_cents), whole(row.due_cents)
    remaining = max(quota - won, 0)
    reps, activities = int(row.reps), whole(row.activities)
    return Kpis(
        won_cents=won,
        won_count=int(row.won_count),
        lost_count=int(row.lost_count),
        win_rate=win_rate(int(row.won_count), int(row.lost_count)),
        avg_deal_cents=None if row.avg_deal_cents is None else whole(row.avg_deal_cents),
        avg_cycle_days=_float(row.avg_cycle_days),
        quota_cents=quota,
        attainment=attainment(won, quota),
        remaining_quota_cents=remaining,
        open_pipeline_cents=whole(row.open_cents),
        open_due_cents=due,
        coverage=_ratio(due, remaining),
        weighted_pipeline_cents=whole(row.weighted_cents),
        activities=activities,
        reps=reps,
        activities_per_rep=_ratio(activities, reps),
    )

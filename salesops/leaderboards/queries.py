"""The leaderboards' SQL: the current/previous sums per rep and team, and the per-period trend sums.

Quota is :func:`salesops.store.sql.quota_in_window` (the whole grain periods the range touches)
and, per trend period, :func:`salesops.store.sql.prorated_quota` of :func:`~salesops.store.sql.quota_rows`:
the same definition as every other page. Only fragments written here or in
:mod:`salesops.store.sql` are spliced into the SQL; every value is a bound parameter.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta

import sqlalchemy as sa

from salesops.errors import InvalidFilter
from salesops.leaderboards.metrics import SUMS, TREND_PERIODS, check_metric
from salesops.scope import Scope, period_label, period_start, shift
from salesops.store.dialect import DOUBLE, unnest_series
from salesops.store.engine import arrow_result_frame as _frame
from salesops.store.grain_tables import PERIOD_GRAINS
from salesops.store.period_tables import COUNTS, period_rows, rep_day_rows
from salesops.store.sql import (
    PERIOD_STEP,
    period_start_sql,
    prorated_quota,
    quota_in_window,
    quota_rows,
)

# ---- SQL ------------------------------------------------------------------------------------


def _select(parts: Mapping[str, str], suffixes: tuple[str, ...], cols: Iterable[str] = SUMS) -> str:
    """The sum columns in a fixed order: our expression where given, 0 elsewhere (for UNION ALL)."""
    out = []
    for col in cols:
        for sfx in suffixes:
            name = f"{col}{sfx}"
            out.append(f"CAST({parts.get(name, '0')} AS {DOUBLE}) AS {name}")
    return ", ".join(out)


#: Which sums each metric needs: the trend query only scans the tables the board's metric uses.
_PARTS = {
    "attainment": ("closed", "quota"),
    "won_revenue": ("closed",),
    "win_rate": ("closed",),
    "deals_won": ("closed",),
    "avg_deal_size": ("closed",),
    "activities": ("acts",),
    "pipeline_created": ("created",),
    "new_logo_revenue": ("kinds",),
    "expansion_revenue": ("kinds",),
}
ALL_PARTS = ("closed", "created", "acts", "quota", "kinds")
#: The sums each part of the trend query fills.
_PART_SUMS = {
    "closed": ("won_cents", "won_count", "lost_count"),
    "created": ("pipeline_cents", "created_count"),
    "acts": ("activities",),
    "quota": ("quota_cents",),
    "kinds": ("new_logo_cents", "expansion_cents"),
}
#: The won revenue of one stored deal kind (``deal_kinds``: the one definition of new business,
#: renewal, expansion, shared with the Customers page), summed per rep, team and period in
#: ``rep_kind_periods`` (revision 0029, :mod:`salesops.store.kind_tables`): sum column -> its
#: stored sum and the count of such deals.
KIND_SUMS = {
    "new_logo_cents": ("new_logo_cents", "new_logo_count"),
    "expansion_cents": ("expansion_cents", "expansion_count"),
}
#: A (rep, team) has kind sums in a range where it won deals of these kinds there.
_KIND_COUNT = " + ".join(count for _, count in KIND_SUMS.values())


#: The board's deal sums -> the rollup column each sums.
_DEAL_SUMS = {
    "won_cents": "won_cents",
    "won_count": "won_count",
    "lost_count": "lost_count",
    "pipeline_cents": "created_cents",
    "created_count": "created_count",
}
_DEAL_ROLLED = tuple(_DEAL_SUMS.values())


def stats_sql(
    where: str, rep_where: str, days: str, act_days: str, kind_days: str, quotas: tuple[str, str] | None = None
) -> str:
    """The board's sums per (rep, team at the time) for the current (``_c``) and previous (``_p``)
    range; ``days`` / ``act_days`` / ``kind_days`` are :func:`salesops.store.period_tables.ranges_weighted_rows` of the
    deals / activities / won deals per kind over the two ranges (``w0`` the current, ``w1`` the previous, ``wh`` their
    hull): a (rep, team) has a row where it has rollup rows in the hull. ``quotas``: the relations of
    the current and previous quota per rep (rep_id, quota_cents), :func:`salesops.store.sql.quota_in_window`
    over :q_start/:q_end and :pq_start/:pq_end when None."""
    both = ("_c", "_p")
    deal = {}
    acts = {}
    kinds = {}
    for n, s in enumerate(both):
        # the rollups' rows: won/lost by close date, created by created date, activities
        for col, rolled in _DEAL_SUMS.items():
            deal[f"{col}{s}"] = f"SUM(w{n} * {rolled})"
        acts[f"activities{s}"] = f"SUM(w{n} * activities)"
        for col, (rolled, _) in KIND_SUMS.items():
            kinds[f"{col}{s}"] = f"SUM(w{n} * {rolled})"
    cur_q, prev_q = quotas or (quota_in_window("q_start", "q_end"), quota_in_window("pq_start", "pq_end"))
    quota = {"quota_cents_c": "COALESCE(qc.quota_cents, 0)", "quota_cents_p": "COALESCE(qp.quota_cents, 0)"}
    # The hull of both ranges: the deal, activity and kind sums from the weighted rows
    # of ``days`` / ``act_days`` / ``kind_days`` (each range's sums and the hull's count from one
    # read of each piece): a (rep, team) has a kind row where it won deals of the two kinds in the
    # hull. A (rep, team) with rows only between the ranges has a row of zeros, from any of them.
    # Each part has one row per (rep, team) at most and fills only its own sums, so the three are
    # put side by side by full joins on (rep, team) — a team of NULL (deals with no team) meeting
    # NULL — rather than their union grouped again (the same values: a sum is its one part's; at
    # tens of thousands of reps two joins cost less than regrouping). The quota (one row per rep
    # with a quota, on its current team, never NULL) is put beside them the same way (an event row
    # of no team has no quota), not summed with them.
    # Only fragments written in this module are spliced in; every value is a bound parameter.
    own: dict[str, tuple[str, ...]] = {"d": tuple(_DEAL_SUMS), "a": ("activities",), "k": tuple(KIND_SUMS)}
    fill = ", ".join(
        f"COALESCE({alias}.{c}{s}, CAST(0 AS {DOUBLE})) AS {c}{s}"
        for c in SUMS
        for alias in own
        if c in own[alias]
        for s in both
    )
    return f"""
        WITH dp AS (
            SELECT rep_id, team_id, {_select(deal, both, _DEAL_SUMS)}
            FROM {days} d
            WHERE 1 = 1 {where}
            GROUP BY rep_id, team_id
            HAVING SUM(wh * ({COUNTS["deals"]})) > 0
        ),
        ap AS (
            SELECT rep_id, team_id, {_select(acts, both, ("activities",))}
            FROM {act_days} a
            WHERE 1 = 1 {where}
            GROUP BY rep_id, team_id
            HAVING SUM(wh * activities) > 0
        ),
        kp AS (
            SELECT rep_id, team_id, {_select(kinds, both, KIND_SUMS)}
            FROM {kind_days} k
            WHERE 1 = 1 {where}
            GROUP BY rep_id, team_id
            HAVING SUM(wh * ({_KIND_COUNT})) > 0
        ),
        evs AS (
            SELECT COALESCE(d.rep_id, a.rep_id, k.rep_id) AS rep_id, COALESCE(d.team_id, a.team_id, k.team_id) AS team_id,
                   {fill}
            FROM dp d
            FULL JOIN ap a ON a.rep_id = d.rep_id AND COALESCE(a.team_id, '') = COALESCE(d.team_id, '')
            FULL JOIN kp k
                ON k.rep_id = COALESCE(d.rep_id, a.rep_id) AND COALESCE(k.team_id, '') = COALESCE(d.team_id, a.team_id, '')
        ),
        qr AS (
            SELECT r.rep_id, r.team_id, {_select(quota, both, ("quota_cents",))}
            FROM reps r
            LEFT JOIN ({cur_q}) qc ON qc.rep_id = r.rep_id
            LEFT JOIN ({prev_q}) qp ON qp.rep_id = r.rep_id
            WHERE (qc.quota_cents > 0 OR qp.quota_cents > 0) {rep_where}
        ),
        agg AS (
            SELECT COALESCE(e.rep_id, qr.rep_id) AS rep_id, COALESCE(e.team_id, qr.team_id) AS team_id,
                   {", ".join(f"COALESCE({'qr' if c == 'quota_cents' else 'e'}.{c}{s}, 0) AS {c}{s}" for c in SUMS for s in both)}
            FROM evs e
            FULL JOIN qr ON qr.rep_id = e.rep_id AND qr.team_id = e.team_id
        )
        SELECT agg.*, COALESCE(r.name, agg.rep_id) AS name, COALESCE(r.role, '') AS role,
               r.hire_date, COALESCE(r.ramp_months, 0) AS ramp_months,
               COALESCE(r.team_id, agg.team_id) AS home_team,
               COALESCE(t.name, agg.team_id) AS team_name,
               COALESCE(ht.name, r.team_id, agg.team_id) AS home_team_name
        FROM agg
        LEFT JOIN reps r ON r.rep_id = agg.rep_id
        LEFT JOIN teams t ON t.team_id = agg.team_id
        LEFT JOIN teams ht ON ht.team_id = r.team_id
        ORDER BY agg.rep_id, agg.team_id
    """  # noqa: S608 - identifiers and fragments are this module's constants; values are binds


def _trend_cols(parts: Iterable[str]) -> tuple[str, ...]:
    """The sums the trend query fills for ``parts``, in :data:`SUMS` order."""
    filled = {c for p in parts for c in _PART_SUMS[p]}
    return tuple(c for c in SUMS if c in filled)


def _trend_sql(
    bind,
    where: str,
    rep_where: str,
    n_periods: int,
    parts: tuple[str, ...],
    grain: str,
    days: str,
    act_days: str,
    kind_days: str,
    whole: tuple[str, str, str] | None = None,
) -> str:
    """The trend statement; ``days`` / ``act_days`` / ``kind_days`` are the signed rows of the
    rollups (the deals, the activities, the won deals per kind) over the periods read from them, up to :t_end (:func:`salesops.store.period_tables.rep_day_rows` with
    ``signed``: whole years, quarters and months from the period and month tables, a cut period less
    its days outside): a (rep, team) has a part's row in a period where its signed count there is
    above 0. ``whole``: the deals', activities' and won kinds' stored rows of the whole periods before those
    (:func:`salesops.store.period_tables.period_rows`: one row per rep, team and period), read as
    they are."""
    one = ("",)
    cols = _trend_cols(parts)
    closed = {c: f"SUM(sgn * {c})" for c in ("won_cents", "won_count", "lost_count")}
    created = {"pipeline_cents": "SUM(sgn * created_cents)", "created_count": "SUM(sgn * created_count)"}
    acts = {"activities": "SUM(sgn * activities)"}
    kinds = {col: f"SUM(sgn * {rolled})" for col, (rolled, _) in KIND_SUMS.items()}
    quota = {"quota_cents": "q.quota_cents" if grain in PERIOD_GRAINS else "SUM(q.quota_cents)"}
    periods = ", ".join(f"({i}, CAST(:ps{i} AS DATE), CAST(:pe{i} AS DATE))" for i in range(n_periods))
    per = period_start_sql("day", grain)
    plain = {
        "closed": ({c: c for c in closed}, "won_count + lost_count"),
        "created": ({"pipeline_cents": "created_cents", "created_count": "created_count"}, "created_count"),
        "acts": ({"activities": "activities"}, "activities"),
        # every won deal (kind set), so a period with won deals of neither kind shows 0, not nothing
        "kinds": ({col: rolled for col, (rolled, _) in KIND_SUMS.items()}, "won_count"),
    }
    #: each part's signed rows and stored whole-period rows (``whole``: deals, activities, kinds)
    relations = {"closed": (days, 0), "created": (days, 0), "acts": (act_days, 1), "kinds": (kind_days, 2)}

    def rolled(part: str, sums: dict[str, str]) -> str:
        """A part's rows per (rep, team, period): the whole periods' stored rows where they count
        something, then the signed rows summed."""
        exprs, count = plain[part]
        relation, at = relations[part]
        stored = ""
        if whole is not None:
            stored = f"""
            SELECT rep_id, team_id, day AS period_start, {_select(exprs, one, cols)}
            FROM {whole[at]} x
            WHERE {count} > 0 {where}
            UNION ALL"""  # noqa: S608 - our fragments; values bound
        return f"""{stored}
            SELECT rep_id, team_id, {per} AS period_start, {_select(sums, one, cols)}
            FROM {relation} x
            WHERE 1 = 1 {where}
            GROUP BY 1, 2, 3
            HAVING SUM(sgn * ({count})) > 0"""  # noqa: S608 - our fragments; values bound

    selects = {
        # the rollups' rows of such deals / activities, per period
        "closed": rolled("closed", closed),
        "created": rolled("created", created),
        "acts": rolled("acts", acts),
        "kinds": rolled("kinds", kinds),
        # the stored quota is one row per rep and period already: as it is (a sum of one row)
        "quota": f"""
            SELECT r.rep_id, r.team_id, q.period_start, {_select(quota, one, cols)}
            FROM q JOIN reps r ON r.rep_id = q.rep_id
            WHERE 1 = 1 {rep_where}
            {"" if grain in PERIOD_GRAINS else "GROUP BY 1, 2, 3"}""",  # noqa: S608 - our fragments; values bound
    }
    # Each part has one row per (rep, team at the time, period) at most and fills only its own sums
    # (0 elsewhere): a period's sum is that one row's value. The event parts are summed per
    # (rep, team, period) only where there are several; the quota (one row per rep and period, on
    # the rep's current team, never NULL) is put beside them by a full join on the same keys (an
    # event row of no team has no quota), not summed with them: the same values, and at tens of
    # thousands of reps a join of two row sets is cheaper than grouping their union.
    events = [selects[p] for p in ALL_PARTS if p in parts and p != "quota"]
    ev = events[0] if len(events) == 1 else ""
    if len(events) > 1:
        ev = f"""
            SELECT rep_id, team_id, period_start, {", ".join(f"SUM({c}) AS {c}" for c in cols)}
            FROM ({" UNION ALL ".join(events)}) e
            GROUP BY rep_id, team_id, period_start"""  # noqa: S608 - our fragments; values bound
    if "quota" in parts and events:
        beside = ", ".join(f"COALESCE(e.{c}, 0) AS {c}" for c in cols if c != "quota_cents")
        ev = f"""
            SELECT COALESCE(e.rep_id, qr.rep_id) AS rep_id, COALESCE(e.team_id, qr.team_id) AS team_id,
                   COALESCE(e.period_start, qr.period_start) AS period_start,
                   {beside}, COALESCE(qr.quota_cents, 0) AS quota_cents
            FROM ({ev}) e
            FULL JOIN ({selects["quota"]}) qr
              ON qr.rep_id = e.rep_id AND qr.team_id = e.team_id AND qr.period_start = e.period_start"""  # noqa: S608 - our fragments; values bound
    elif "quota" in parts:
        ev = selects["quota"]
    if grain in PERIOD_GRAINS:
        # the stored quota per rep and period (grain_tables.rep_period_quotas: the same proration)
        q = f"""
            SELECT rep_id, period_start, quota_cents FROM rep_period_quotas
            WHERE grain = '{grain}' AND period_start BETWEEN CAST(:t_start AS DATE) AND CAST(:ps{n_periods - 1} AS DATE)
        """  # noqa: S608 - our constants; dates bound
    else:
        # Per-period quota: store.sql's proration (the share of a quota row's days that falls in
        # the period), for every period at once.
        q = f"""
            SELECT qx.rep_id, p.period_start, {prorated_quota("p.period_start", "p.period_end", alias="qx")} AS quota_cents
            FROM (
                -- each quota row with the start of every grain period it overlaps: an equi-join
                -- to the periods instead of a range join
                SELECT qr.*, {unnest_series(bind, "date_trunc(:grain, qr.period_start)", "date_trunc(:grain, qr.period_end)", PERIOD_STEP[grain])} AS ps
                FROM ({quota_rows("t_start", "t_qend")}) qr
            ) qx
            JOIN periods p ON p.period_start = qx.ps
        """  # noqa: S608 - our fragments; values bound
    return f"""
        WITH periods AS (SELECT * FROM (VALUES {periods}) p(idx, period_start, period_end)),
        q AS ({q}),
        ev AS ({ev})
        SELECT ev.rep_id, ev.team_id, p.idx, {", ".join(f"CAST(ev.{c} AS {DOUBLE}) AS {c}" for c in cols)}
        FROM ev JOIN periods p ON p.period_start = ev.period_start
    """  # noqa: S608 - identifiers and fragments are this module's constants; values are binds


def trend_periods(scope: Scope, periods: int = TREND_PERIODS) -> list[tuple[date, date]]:
    """The last ``periods`` whole grain periods up to the one holding ``scope.end`` (start, end)."""
    last = period_start(scope.end, scope.grain)
    starts = [shift(last, scope.grain, -i) for i in range(periods - 1, -1, -1)]
    return [(s, shift(s, scope.grain, 1) - timedelta(days=1)) for s in starts]


def trend_frame(
    conn, scope: Scope, periods: int, parts: tuple[str, ...], where: str, params: dict, rep_where: str, rep_params: dict
):
    """The trend statement's answer: one row per (rep_id, team_id, idx) where the rep and team have
    something in period ``idx`` of :func:`trend_periods` (its sums in the columns after the third),
    in no particular order (nothing reads it in order: sorting it cost more than summing it), and
    the periods' labels."""
    windows = trend_periods(scope, periods)
    binds = {"grain": scope.grain, "t_start": windows[0][0], "t_end": scope.end, "t_qend": windows[-1][1]}
    for i, (s, e) in enumerate(windows):
        binds[f"ps{i}"], binds[f"pe{i}"] = s, e
    # The periods before the last are whole: their stored rows (one per rep, team and period) as
    # they are; the last one, cut at the scope's end, signed rows summed per rep and team.
    first, grain = windows[0][0], scope.grain
    whole = None
    if grain != "week" and len(windows) > 1:
        first = windows[-1][0]
        whole_days, whole_binds = period_rows(grain, windows[0][0], windows[-2][0], prefix="tw")
        whole_acts, acts_binds = period_rows(grain, windows[0][0], windows[-2][0], prefix="ta", source="activities")
        whole_kinds, kinds_binds = period_rows(grain, windows[0][0], windows[-2][0], prefix="tk", source="kinds")
        whole = (whole_days, whole_acts, whole_kinds)
        binds.update({**whole_binds, **acts_binds, **kinds_binds})
    days, day_binds = rep_day_rows(first, scope.end, grain, signed=True)
    act_days, act_binds = rep_day_rows(first, scope.end, grain, prefix="ra", source="activities", signed=True)
    kind_days, kind_binds = rep_day_rows(first, scope.end, grain, prefix="rk", source="kinds", signed=True)
    sql = _trend_sql(conn, where, rep_where, len(windows), parts, grain, days, act_days, kind_days, whole)
    res = conn.execute(sa.text(sql), {**binds, **day_binds, **act_binds, **kind_binds, **params, **rep_params})
    trend = _frame(res)
    for col in trend.columns[3:]:
        if trend[col].dtype != "float64":  # DuckDB's DOUBLE is already (a copy costs at scale)
            trend[col] = trend[col].astype(float)
    return trend, tuple(period_label(s, scope.grain) for s, _ in windows)


def parts_of(metrics: Iterable[str]) -> tuple[str, ...]:
    needed: set[str] = set()
    for m in metrics:
        if m not in _PARTS:
            check_metric(m)
            raise InvalidFilter(f"{m!r} has no trend of its own.", "Pass the composite's components instead.")
        needed.update(_PARTS[m])
    return tuple(p for p in ALL_PARTS if p in needed)

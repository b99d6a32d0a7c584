"""Survey results: per-tool scores with the change against the previous round, team breakdowns with
complementary suppression, and satisfaction beside each team's performance.

Per tool: CSAT (% of satisfaction 4–5), NPS (% 9–10 minus % 0–6 of "would recommend"), mean ease,
answers and response rate (answers ÷ links sent). Privacy: fewer than ``MIN_ANSWERS`` answers show
no scores, and team breakdowns use complementary suppression (:func:`~salesops.tools.suppression.suppress`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from salesops import store
from salesops.scope import Scope
from salesops.store.engine import fetch_arrow_frame
from salesops.store.engine import fetch_frame as _fetch
from salesops.store.grain_tables import quota_per_rep
from salesops.store.period_tables import rep_day_rows
from salesops.store.sql import attainment as attainment_of
from salesops.store.sql import quota_params, scope_filter
from salesops.store.sql import win_rate as win_rate_of
from salesops.store.survey_tables import SCORES_FROM_COUNTS
from salesops.tools.suppression import hidden_by_suppression, safe_split
from salesops.tools.suppression import suppress as suppress  # re-exported: results.suppress, as docs/TOOLS.md names it
from salesops.tools.survey import FALL_CSAT, FALL_MEAN, MIN_ANSWERS, UnknownRound

_SCORES = ("csat", "nps", "mean_satisfaction", "mean_ease")
#: Per (round, tool[, team]) aggregates, summed from the answers' counts per round, tool and team
#: (``survey_team_scores``, :mod:`salesops.store.survey_tables`: the same values as the averages over
#: the answers). {team_col}/{team_group} are our own fragments.
_AGG = f"""
    SELECT s.round_id, s.tool_id{{team_col}},{SCORES_FROM_COUNTS}
    FROM survey_team_scores s
    WHERE (CAST(:round AS VARCHAR) IS NULL OR s.round_id = :round)
    GROUP BY s.round_id, s.tool_id{{team_group}}
"""  # noqa: S608 - only our own fragments are spliced in; the round is bound
_RESULT_COLUMNS = [
    "round_id",
    "round",
    "opens_on",
    "tool_id",
    "tool",
    "category",
    "answers",
    "links",
    "response_rate",
    *_SCORES,
    "satisfaction_change",
    "csat_change",
    "nps_change",
    "fell",
    "shown",
    "note",
]
#: Every round's per-tool scores (hidden below MIN_ANSWERS) with the change against the tool's
#: previous round, all in one statement (the trend is a window over the rounds in date order).
_RESULTS_SQL = f"""
    WITH agg AS ({_AGG.format(team_col="", team_group="")}),
    links AS (SELECT round_id, COUNT(*) AS links FROM survey_invites GROUP BY round_id),
    base AS (
        SELECT a.round_id, r.name AS round, r.opens_on, a.tool_id, t.name AS tool, t.category,
               a.answers, COALESCE(l.links, 0) AS links, a.answers >= :min_answers AS shown,
               CASE WHEN a.answers >= :min_answers THEN a.csat END AS csat,
               CASE WHEN a.answers >= :min_answers THEN a.nps END AS nps,
               CASE WHEN a.answers >= :min_answers THEN a.mean_satisfaction END AS mean_satisfaction,
               CASE WHEN a.answers >= :min_answers THEN a.mean_ease END AS mean_ease
        FROM agg a JOIN tools t USING (tool_id) LEFT JOIN links l USING (round_id)
        JOIN survey_rounds r ON r.round_id = a.round_id
    ),
    trend AS (
        SELECT *,
               csat - LAG(csat) OVER w AS csat_change,
               nps - LAG(nps) OVER w AS nps_change,
               mean_satisfaction - LAG(mean_satisfaction) OVER w AS satisfaction_change
        FROM base
        WINDOW w AS (PARTITION BY tool_id ORDER BY opens_on, round_id, tool)
    )
    SELECT round_id, round, opens_on, tool_id, tool, category, CAST(answers AS BIGINT) AS answers,
           CAST(links AS BIGINT) AS links,
           CAST(answers AS DOUBLE PRECISION) / CASE WHEN links > 0 THEN links END AS response_rate,
           csat, nps, mean_satisfaction, mean_ease, satisfaction_change, csat_change, nps_change,
           COALESCE(satisfaction_change <= :fall_mean, false) OR COALESCE(csat_change <= :fall_csat, false) AS fell,
           shown,
           CASE WHEN shown THEN '' ELSE :hidden_note END AS note
    FROM trend
    ORDER BY opens_on, round_id, tool
"""  # noqa: S608 - only our own fragments are spliced in; every value is bound


def _as_dates(column: pd.Series) -> pd.Series:
    """Dates as datetime.date objects (as a plain-tuple read gives them)."""
    if pd.api.types.is_datetime64_any_dtype(column):
        return pd.Series(column.dt.date, index=column.index, dtype=object)
    return column


def _rounds_order(engine: Engine) -> pd.DataFrame:
    return store.read_frame(
        engine, sa.text("SELECT round_id, name AS round, opens_on FROM survey_rounds ORDER BY opens_on, round_id")
    )


def tool_results(engine: Engine, round_id: str | None = None) -> pd.DataFrame:
    """Per round and tool: the scores, with the trend against the tool's previous round.

    Columns: round_id, round, opens_on, tool_id, tool, category, answers, links, response_rate,
    csat (0..1), nps (-100..100), mean_satisfaction, mean_ease, satisfaction_change, csat_change,
    nps_change, fell
    (bool), shown (bool), note. Rounds oldest first. Scores, changes and ``fell`` are empty where
    the group has fewer than MIN_ANSWERS answers (``shown`` False). ``round_id`` None: all rounds.
    """
    frame = _fetch(
        engine,
        sa.text(_RESULTS_SQL),
        {
            "round": None,
            "min_answers": MIN_ANSWERS,
            # A small epsilon so a drop of exactly the threshold counts despite float rounding.
            "fall_mean": -FALL_MEAN + 1e-9,
            "fall_csat": -FALL_CSAT + 1e-9,
            "hidden_note": f"fewer than {MIN_ANSWERS} answers: scores hidden",
        },
    )
    if round_id is not None and round_id not in set(frame["round_id"]):
        rounds = _rounds_order(engine)
        if round_id not in set(rounds["round_id"]):
            raise UnknownRound(
                f"No survey round {round_id!r}.", f"Known rounds: {', '.join(rounds['round_id']) or 'none yet'}."
            )
    if frame.empty:
        return pd.DataFrame(columns=_RESULT_COLUMNS)
    frame["opens_on"] = _as_dates(frame["opens_on"])
    for col in ("shown", "fell"):
        if frame[col].dtype != bool:
            frame[col] = frame[col].astype(bool)
    return of_round(frame, round_id)  # the statement's columns are _RESULT_COLUMNS in order


def of_round(results: pd.DataFrame, round_id: str | None) -> pd.DataFrame:
    """One round's rows of :func:`tool_results` (all of them for None): a page that shows a round and
    the trend reads every round once and takes the round from it."""
    if round_id is None:
        return results
    return results[results["round_id"] == round_id].reset_index(drop=True)


def default_round(rounds: pd.DataFrame) -> str | None:
    """The round the results open on: the newest with at least ``MIN_ANSWERS`` answers (scores to show),
    else the newest with any answer; None when no round has one. ``rounds``: newest first, with
    ``round_id`` and ``answered`` (:func:`salesops.tools.rounds.load_rounds`)."""
    answered = rounds[rounds["answered"] > 0] if len(rounds) else rounds
    if answered.empty:
        return None
    enough = answered[answered["answered"] >= MIN_ANSWERS]
    return (enough if len(enough) else answered)["round_id"].iloc[0]


def least_liked(scores: pd.DataFrame) -> str:
    """The tool of a round's scores (:func:`of_round`) with the lowest mean satisfaction, a tool without
    one last: the comments open on it."""
    return scores.sort_values("mean_satisfaction", na_position="last")["tool_id"].iloc[0]


_BREAKDOWN_COLUMNS = ["tool_id", "tool", "team_id", "team", "answers", *_SCORES, "shown", "note"]
#: Per tool and team of one round: the scores, named, in the order the page lists them.
_BREAKDOWN_SQL = f"""
    WITH agg AS ({_AGG.format(team_col=", s.team_id", team_group=", s.team_id")})
    SELECT a.tool_id, t.name AS tool, a.team_id, COALESCE(tm.name, a.team_id, 'no team') AS team,
           CAST(a.answers AS BIGINT) AS answers, a.csat, a.nps, a.mean_satisfaction, a.mean_ease
    FROM agg a JOIN tools t USING (tool_id) LEFT JOIN teams tm USING (team_id)
    ORDER BY tool, team_id
"""  # noqa: S608 - only our own fragments are spliced in; the round is bound
_BREAKDOWN_PARAMS = {
    "min_answers": MIN_ANSWERS,
    "small_note": f"fewer than {MIN_ANSWERS} answers: hidden",
    "complement_note": "hidden so a small team cannot be worked out from the total",
}


def team_breakdown(engine: Engine, round_id: str) -> pd.DataFrame:
    """Per tool and team of one round: scores with small and complementary suppression applied.

    Columns: tool_id, tool, team_id, team, answers, csat, nps, mean_satisfaction, mean_ease,
    shown (bool), note. Suppression is decided per tool over all its teams (:func:`~salesops.tools.suppression.suppress`); the
    scores are aggregated in SQL, the suppression worked out on the aggregated rows.
    """
    # read through Arrow: no DECIMAL column (the averages are DOUBLE), a row per tool and team
    frame = fetch_arrow_frame(engine, sa.text(_BREAKDOWN_SQL), {"round": round_id})
    if frame.empty:
        return pd.DataFrame(columns=_BREAKDOWN_COLUMNS)
    answers = frame["answers"].to_numpy("int64")
    hidden = hidden_by_suppression(frame["tool_id"], frame["team_id"], answers)
    for col in _SCORES:
        frame[col] = np.where(hidden, np.nan, frame[col].to_numpy(float))
    frame["shown"] = ~hidden
    small_note, complement_note = str(_BREAKDOWN_PARAMS["small_note"]), str(_BREAKDOWN_PARAMS["complement_note"])
    note = np.where(~hidden, "", np.where(answers < MIN_ANSWERS, small_note, complement_note))
    frame["note"] = pd.array(note, dtype=frame["tool"].dtype)
    return frame  # the statement's columns, then shown and note: _BREAKDOWN_COLUMNS in order


_GROUP_COLUMNS = ["tool_id", "tool", "teams", "answers", *_SCORES, "shown", "note"]


def group_results(engine: Engine, round_id: str, team_ids: Sequence[str]) -> pd.DataFrame:
    """Per tool, one round's scores for a group of teams (the sidebar's region), under the team rules.

    Shown only when the group holds ``MIN_ANSWERS`` answers, and neither the group nor the rest of
    the company contains exactly one team hidden by :func:`team_breakdown`, or hidden teams with fewer
    than ``MIN_ANSWERS`` answers together: else subtracting the shown teams from the group's tile (or
    the group from the company's) would give a hidden team away. Scores are answer-weighted means of
    the teams' (exact: every score is a mean over answers). Columns: tool_id, tool, teams (with
    answers), answers, csat, nps, mean_satisfaction, mean_ease, shown, note.
    """
    # in tool and team order: the weighted sums below add the teams' scores in one order every time
    by_team = _AGG.format(team_col=", s.team_id", team_group=", s.team_id") + " ORDER BY s.tool_id, s.team_id"
    per_team = _fetch(engine, sa.text(by_team), {"round": round_id})
    if per_team.empty:
        return pd.DataFrame(columns=_GROUP_COLUMNS)
    shown = team_breakdown(engine, round_id)[["tool_id", "tool", "team_id", "shown"]]
    per_team = per_team.merge(shown, on=["tool_id", "team_id"], how="left")
    rows = []
    for (tool_id, tool), g in per_team.groupby(["tool_id", "tool"], sort=True):
        inside = g["team_id"].isin(list(team_ids))
        mine = g[inside]
        n = int(mine["answers"].sum())
        hidden_in = [int(a) for a, ok in zip(mine["answers"], mine["shown"]) if not ok]
        hidden_out = [int(a) for a, ok in zip(g.loc[~inside, "answers"], g.loc[~inside, "shown"]) if not ok]
        ok = n >= MIN_ANSWERS and safe_split(hidden_in) and safe_split(hidden_out)
        scores = {k: (float((mine[k] * mine["answers"]).sum() / n) if ok else None) for k in _SCORES}
        note = (
            ""
            if ok
            else (_BREAKDOWN_PARAMS["small_note"] if n < MIN_ANSWERS else "hidden so a small team cannot be worked out")
        )
        rows.append(
            {"tool_id": tool_id, "tool": tool, "teams": len(mine), "answers": n, **scores, "shown": ok, "note": note}
        )
    return pd.DataFrame(rows, columns=_GROUP_COLUMNS)


# ---- tools and performance -------------------------------------------------------------------


def tools_vs_performance(engine: Engine, scope: Scope, round_id: str) -> pd.DataFrame:
    """Per tool and team: the round's satisfaction beside the team's attainment and win rate.

    Columns: tool_id, tool, team_id, team, answers, mean_satisfaction, csat, shown, won_cents,
    quota_cents, attainment, win_rate. Survey scores follow :func:`team_breakdown` (suppression
    included); performance is the scope's (:func:`team_performance`). Correlation, not cause.
    A manager gets their teams' rows only; a rep none (no team's figures but their own are theirs).
    :func:`beside_performance` of the two reads: a page that shows the breakdown too passes its own.
    """
    return beside_performance(team_breakdown(engine, round_id), team_performance(engine, scope), scope)


_TEAM_PERFORMANCE_COLUMNS = ["team_id", "won_cents", "quota_cents", "won", "lost"]


def team_performance(engine: Engine, scope: Scope) -> pd.DataFrame:
    """Per team of the scope: won revenue and won/lost deals closed in the range, and quota.

    Columns: team_id, won_cents (int), quota_cents (float: prorated), won, lost (floats). Won
    deals by close date in the range, by the deal's team; quota of the team's current reps over the
    scope's quota window; every team with either. A manager gets their teams only, a rep no row
    (the restriction is in the SQL). One statement: the closed deals from the rollups, the range
    read as signed pieces of them (:func:`salesops.store.period_tables.rep_day_rows` with ``signed``:
    a quarter to date is the quarter's row in ``rep_periods`` less the days still to come, the same
    integers), and the quota, by team (:func:`~salesops.store.grain_tables.quota_per_rep`: the stored quota per rep and period when
    the quota window is one whole quarter or year).
    """
    # a rep sees no team's performance (team rows, rep_col=None)
    rep_col = None if scope.viewer is not None and scope.viewer.role == "rep" else "rep_id"
    where, params = scope_filter(scope, alias="d", rep_col=rep_col)
    rep_where, rep_params = scope_filter(scope, alias="r", rep_col=rep_col)
    days, day_binds = rep_day_rows(scope.start, scope.end, "year", prefix="w", signed=True)
    binds = {"start": scope.start, "end": scope.end, **day_binds, **params, **rep_params, **quota_params(scope)}
    out = _fetch(
        engine, _team_performance_sql(where, rep_where, days, quota_per_rep(scope.quota_start, scope.quota_end)), binds
    )
    if out.empty:
        return pd.DataFrame(columns=_TEAM_PERFORMANCE_COLUMNS)
    return out[_TEAM_PERFORMANCE_COLUMNS]


def beside_performance(breakdown: pd.DataFrame, performance: pd.DataFrame, scope: Scope) -> pd.DataFrame:
    """:func:`tools_vs_performance` from a :func:`team_breakdown` and a :func:`team_performance` frame.

    Every breakdown row with its team's performance (none: no deal closed, no quota); when the
    scope has a team, a region or a restricted viewer (manager, rep), only the rows of the teams
    :func:`team_performance` returned (a team with no team_id is nobody's).
    """
    if breakdown.empty:
        return pd.DataFrame(columns=_TOOLS_VS_PERFORMANCE_COLUMNS)
    viewer = scope.viewer
    scoped = bool(scope.team_id or scope.region) or (viewer is not None and viewer.role in ("manager", "rep"))
    rows = breakdown
    if scoped:
        teams = performance["team_id"].dropna()
        rows = rows[rows["team_id"].notna() & rows["team_id"].isin(teams)].reset_index(drop=True)
    if rows.empty:
        return pd.DataFrame(columns=_TOOLS_VS_PERFORMANCE_COLUMNS)
    keys = performance["team_id"]
    if keys.duplicated().any():  # a team twice (two rows of no team): the merge repeats its rows
        out = rows[_BESIDE_BREAKDOWN].merge(performance, on="team_id", how="left", sort=False).reset_index(drop=True)
        return _with_rates(out.astype({"won": float, "lost": float}))[_TOOLS_VS_PERFORMANCE_COLUMNS]
    # A left join on team_id in which a missing team matches a missing team (the Index's lookup
    # matches NaN to NaN, as the merge does), each breakdown row to at most one performance row.
    at = pd.Index(keys).get_indexer(rows["team_id"]) if len(keys) else np.full(len(rows), -1)
    found = at >= 0
    pick = np.where(found, at, 0)

    def looked_up(col: str, missing: float) -> np.ndarray:
        values = performance[col].to_numpy() if len(keys) else np.zeros(1)
        return np.where(found, values[pick], missing)

    out = rows[_BESIDE_BREAKDOWN]
    won_cents = looked_up("won_cents", 0).astype("int64")
    quota = looked_up("quota_cents", np.nan).astype(float)
    quota = np.round(np.where(np.isnan(quota), 0.0, quota)).astype("int64")
    won = looked_up("won", np.nan).astype(float)
    lost = np.nan_to_num(looked_up("lost", np.nan).astype(float), nan=0.0)
    if out["shown"].dtype != bool:
        out["shown"] = out["shown"].astype(bool)
    out["won_cents"], out["quota_cents"] = won_cents, quota
    out["attainment"], out["win_rate"] = attainment_of(won_cents, quota), win_rate_of(won, lost)
    return out


_BESIDE_BREAKDOWN = ["tool_id", "tool", "team_id", "team", "answers", "mean_satisfaction", "csat", "shown"]


_TOOLS_VS_PERFORMANCE_COLUMNS = [
    "tool_id",
    "tool",
    "team_id",
    "team",
    "answers",
    "mean_satisfaction",
    "csat",
    "shown",
    "won_cents",
    "quota_cents",
    "attainment",
    "win_rate",
]


def _team_performance_sql(where: str, rep_where: str, days: str, rep_quota: str) -> sa.TextClause:
    """The scope's closed deals per team (from the rollups' signed rows ``days``: a team has closed
    deals where its summed count of them is above 0) and the team's quota (``rep_quota`` per rep)."""
    return sa.text(
        f"""
        WITH closed AS (
            SELECT d.team_id, COALESCE(SUM(d.sgn * d.won_cents), 0) AS won_cents, SUM(d.sgn * d.won_count) AS won,
                   SUM(d.sgn * d.lost_count) AS lost
            FROM {days} d
            WHERE 1 = 1 {where}
            GROUP BY d.team_id
            HAVING SUM(d.sgn * (d.won_count + d.lost_count)) > 0
        ),
        quota AS (
            SELECT r.team_id, SUM(qw.quota_cents) AS quota_cents
            FROM ({rep_quota}) qw JOIN reps r USING (rep_id)
            WHERE 1 = 1 {rep_where}
            GROUP BY r.team_id
        )
        SELECT COALESCE(c.team_id, q.team_id) AS team_id, CAST(COALESCE(c.won_cents, 0) AS BIGINT) AS won_cents,
               CAST(COALESCE(q.quota_cents, 0) AS DOUBLE PRECISION) AS quota_cents,
               CAST(COALESCE(c.won, 0) AS DOUBLE PRECISION) AS won,
               CAST(COALESCE(c.lost, 0) AS DOUBLE PRECISION) AS lost
        FROM closed c FULL OUTER JOIN quota q USING (team_id)
        """  # noqa: S608 - only our own SQL fragments are spliced in; every value is bound
    )


def _with_rates(out: pd.DataFrame) -> pd.DataFrame:
    """Exact cents, attainment (won ÷ quota) and win rate (won ÷ closed); NaN where there is no base."""
    won_cents = out["won_cents"].fillna(0).to_numpy().astype("int64")
    quota = np.round(out["quota_cents"].fillna(0).to_numpy(float)).astype("int64")
    won = out["won"].to_numpy(float)
    lost = np.nan_to_num(out["lost"].to_numpy(float), nan=0.0)
    attainment, win_rate = attainment_of(won_cents, quota), win_rate_of(won, lost)
    if out["shown"].dtype != bool:
        out["shown"] = out["shown"].astype(bool)
    out["won_cents"], out["quota_cents"] = won_cents, quota
    out["attainment"], out["win_rate"] = attainment, win_rate
    return out


def satisfaction_correlation(frame: pd.DataFrame) -> pd.DataFrame:
    """Per tool, Pearson correlation across teams of mean satisfaction with attainment and win rate.

    ``frame`` is :func:`tools_vs_performance`'s output; only shown (unsuppressed) teams count, and a
    tool needs 3 such teams (else the correlations are empty). Columns: tool_id, tool, teams,
    r_attainment, r_win_rate.
    """
    rows = []
    for (tool_id, tool), g in frame[frame["shown"].astype(bool)].groupby(["tool_id", "tool"]):
        g = g.astype({"mean_satisfaction": float, "attainment": float, "win_rate": float})
        enough = len(g) >= 3
        rows.append(
            (
                tool_id,
                tool,
                len(g),
                g["mean_satisfaction"].corr(g["attainment"]) if enough else None,
                g["mean_satisfaction"].corr(g["win_rate"]) if enough else None,
            )
        )
    return pd.DataFrame(rows, columns=["tool_id", "tool", "teams", "r_attainment", "r_win_rate"])

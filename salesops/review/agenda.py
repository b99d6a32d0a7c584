"""The review's agenda: five steps, one idea each, built once and drawn by the page and the digest.

1. **Where we stand** — won vs quota, pacing, the outlook and its waterfall since last week;
2. **What changed this week** — deals won, lost and pushed, biggest first;
3. **Movers** — the AEs who climbed the attainment ranking most, top N only (never the bottom);
4. **Deals at risk** — the largest open deals that are stale, pushed twice or past their close date;
5. **Team notes** — funnel stalls, lead-split fairness, a tool whose satisfaction fell.

Individual money (a rep's name beside an amount) is left out unless ``show_money`` is set; the
movers step shows places and ranks only, never amounts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import pandas as pd
from sqlalchemy.engine import Engine

from salesops.errors import InvalidFilter
from salesops.review import queries
from salesops.review.snapshots import load_entity, load_snapshot
from salesops.review.track import TrackRecord, track_record
from salesops.review.waterfall import FIRST_WEEK, Waterfall, waterfall
from salesops.scope import period_start

#: (number, title) of each step, in order.
STEPS = (
    (1, "Where we stand"),
    (2, "What changed this week"),
    (3, "Movers"),
    (4, "Deals at risk"),
    (5, "Team notes"),
)

#: Rows per kind the "what changed" step lists (the rest are counted).
CHANGES_SHOWN = 5

#: A team note is raised when a team converts a funnel step at under this share of the company's
#: rate, its busiest AE got this many times an even share of its leads, or a tool's mean
#: satisfaction fell by this many points since the round before (both rounds with MIN_ANSWERS).
STALL_SHARE, SPLIT_RATIO, SATISFACTION_DROP, MIN_ANSWERS = 0.75, 1.5, 0.3, 5

_FUNNEL = ("leads", "mql", "sql", "opportunity", "won")
_STAGE_NAMES = {"leads": "lead", "mql": "MQL", "sql": "SQL", "opportunity": "opportunity", "won": "won"}


@dataclass(frozen=True)
class Standing:
    """Step 1: the scope's row of the week's snapshot and the waterfall since last week."""

    name: str
    period_start: date
    period_end: date
    won_cents: int
    quota_cents: int
    attainment: float | None
    elapsed_share: float
    open_cents: int
    weighted_cents: int
    p10_cents: int | None
    p50_cents: int | None
    p90_cents: int | None
    chance_of_quota: float | None
    waterfall: Waterfall
    track: TrackRecord
    trend: pd.DataFrame = field(repr=False)  # as_of, p10_cents, p50_cents, p90_cents, won_cents, quota_cents


@dataclass(frozen=True)
class Agenda:
    """The five steps of one week's review (see the module docstring)."""

    as_of: date
    week_label: str
    scope_label: str
    show_money: bool
    standing: Standing | None
    changes: pd.DataFrame  # kind, deal, account, team, rep (only with show_money), amount_cents, on, days_pushed
    change_counts: pd.DataFrame  # kind, deals, amount_cents
    movers: pd.DataFrame  # name, team, places, rank, prev_rank
    movers_message: str | None
    at_risk: pd.DataFrame  # deal, account, team, rep (only with show_money), amount_cents, close, reasons
    notes: tuple[str, ...]


def week_label(as_of: date) -> str:
    """ISO week of a snapshot date: 2026-W48."""
    iso = as_of.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def as_of_for_week(week: str, today: date) -> date:
    """The snapshot date (Sunday) of an ISO week 'YYYY-Www'; InvalidFilter for a malformed or future week."""
    try:
        year, num = week.upper().split("-W")
        monday = date.fromisocalendar(int(year), int(num), 1)
    except ValueError:
        raise InvalidFilter(f"Week {week!r} is not an ISO week.", "Write it as YYYY-Www, e.g. 2026-W48.") from None
    if monday > today:
        raise InvalidFilter(f"Week {week} has not started yet (today is {today}).", "Pick this week or an earlier one.")
    return monday + timedelta(days=6)


def _opt(value):
    return None if value is None or pd.isna(value) else value


def _standing(engine: Engine, as_of: date, level: str, entity: str) -> Standing | None:
    """Step 1 from the stored snapshots: this week's row, last week's for the waterfall, the quarter's trend."""
    week_before = as_of - timedelta(days=7)
    hist = load_entity(engine, level, entity, min(period_start(as_of, "quarter"), week_before), as_of)
    now = hist[hist["as_of"] == as_of]
    if now.empty:
        return None
    cur = now.iloc[0]
    before = hist[hist["as_of"] == week_before]
    prev = before.iloc[0] if len(before) else None
    trend = hist[hist["as_of"] >= cur["period_start"]].reset_index(drop=True)
    days = (cur["period_end"] - cur["period_start"]).days + 1
    return Standing(
        name=str(cur["name"]),
        period_start=cur["period_start"],
        period_end=cur["period_end"],
        won_cents=int(cur["won_cents"]),
        quota_cents=int(cur["quota_cents"]),
        attainment=_opt(cur["attainment"]),
        elapsed_share=min(1.0, max(0.0, ((as_of - cur["period_start"]).days + 1) / days)),
        open_cents=int(cur["open_cents"]),
        weighted_cents=int(cur["weighted_cents"]),
        p10_cents=_opt(cur["p10_cents"]),
        p50_cents=_opt(cur["p50_cents"]),
        p90_cents=_opt(cur["p90_cents"]),
        chance_of_quota=_opt(cur["chance_of_quota"]),
        waterfall=waterfall(cur, prev),
        track=track_record(engine, level, as_of),
        trend=trend[["as_of", "won_cents", "quota_cents", "p10_cents", "p50_cents", "p90_cents"]],
    )


def _movers(engine: Engine, as_of: date, team_id: str | None, top_n: int) -> tuple[pd.DataFrame, str | None]:
    """The AEs who climbed most in attainment rank since the week before (within the scope), top
    ``top_n``; a message instead when there is nothing to compare."""
    cols = ["name", "team", "places", "rank"]
    now = load_snapshot(engine, as_of, "rep")
    before = load_snapshot(engine, as_of - timedelta(days=7), "rep")
    if now.empty:
        return pd.DataFrame(columns=cols), "No snapshot of this week."
    if before.empty:
        return pd.DataFrame(columns=cols), FIRST_WEEK
    if before["period_start"].iloc[0] != now["period_start"].iloc[0]:
        return pd.DataFrame(columns=cols), "New quarter: the ranking starts again this week."

    def ranked(frame: pd.DataFrame) -> pd.Series:
        ae = frame[(frame["role"] == "AE") & frame["attainment"].notna()]
        if team_id is not None:
            ae = ae[ae["team_id"] == team_id]
        return ae.set_index("entity_id")["attainment"].rank(method="min", ascending=False)

    r_now, r_before = ranked(now), ranked(before)
    both = r_now.index.intersection(r_before.index)
    places = (r_before[both] - r_now[both]).astype(int)
    up = places[places > 0]
    reps = now.set_index("entity_id")
    team_names = load_snapshot(engine, as_of, "team").set_index("entity_id")["name"]
    out = pd.DataFrame(
        {
            "name": reps.loc[up.index, "name"].to_numpy(),
            "team": reps.loc[up.index, "team_id"].map(team_names).fillna(reps.loc[up.index, "team_id"]).to_numpy(),
            "places": up.to_numpy(),
            "rank": r_now[up.index].astype(int).to_numpy(),
        }
    )
    out = out.sort_values(["places", "rank", "name"], ascending=[False, True, True]).head(top_n)
    # The rank is shown only in the top half: a climber's place near the bottom is not for the screen.
    half = max(1, len(r_now) // 2)
    out["rank"] = [f"#{r}" if r <= half else "" for r in out["rank"]]
    msg = None if len(out) else "Nobody climbed the ranking this week."
    return out[cols].reset_index(drop=True), msg


def _funnel_notes(frame: pd.DataFrame, total: pd.Series) -> list[str]:
    """Teams of ``frame`` that convert a funnel step at under STALL_SHARE of ``total``'s (all teams) rate."""
    notes = []
    for row in frame.itertuples():
        worst = None
        for a, b in zip(_FUNNEL, _FUNNEL[1:]):
            den, comp_den = getattr(row, a), total[a]
            if den < 20 or comp_den == 0 or total[b] == 0:
                continue
            rate, comp = getattr(row, b) / den, total[b] / comp_den
            if rate < STALL_SHARE * comp and (worst is None or rate / comp < worst[0]):
                worst = (rate / comp, a, b, rate, comp)
        if worst:
            _, a, b, rate, comp = worst
            notes.append(
                f"Funnel stall — {row.team}: {rate:.0%} of {_STAGE_NAMES[a]}s reach {_STAGE_NAMES[b]}, "
                f"all teams {comp:.0%} (leads of the last {queries.NOTE_DAYS} days)."
            )
    return notes


def _split_notes(frame: pd.DataFrame) -> list[str]:
    notes = []
    for (_, team), grp in frame.groupby(["team_id", "team"], sort=True):
        total, n = int(grp["leads"].sum()), len(grp)
        if n < 2 or total < 30:
            continue
        ratio = grp["leads"].max() / (total / n)
        if ratio >= SPLIT_RATIO:
            notes.append(
                f"Lead split — {team}: the busiest AE got {ratio:.1f}× an even share of the team's "
                f"{total:,} leads (last {queries.NOTE_DAYS} days)."
            )
    return notes


def _tool_notes(frame: pd.DataFrame) -> list[str]:
    rounds = frame.drop_duplicates("round_id")["round_id"].tolist()
    if len(rounds) < 2:
        return []
    last, before = rounds[-1], rounds[-2]
    a = frame[(frame["round_id"] == before) & (frame["answers"] >= MIN_ANSWERS)].set_index("tool")
    b = frame[(frame["round_id"] == last) & (frame["answers"] >= MIN_ANSWERS)].set_index("tool")
    notes = []
    for tool in sorted(a.index.intersection(b.index)):
        old, new = float(a.at[tool, "satisfaction"]), float(b.at[tool, "satisfaction"])
        if old - new >= SATISFACTION_DROP:
            notes.append(
                f"Tool satisfaction — {tool}: fell from {old:.1f} to {new:.1f} (of 5) "
                f"between the {before} and {last} surveys."
            )
    return notes


def team_notes(engine: Engine, as_of: date, team_id: str | None = None) -> tuple[str, ...]:
    """Step 5: funnel stalls, lopsided lead splits and tools whose satisfaction fell (no rep named)."""
    funnel = queries.funnel_by_team(engine, as_of)  # every team: a team is compared with all of them
    total = funnel[list(_FUNNEL)].sum() if len(funnel) else pd.Series(0, index=list(_FUNNEL))
    judged = funnel if team_id is None else funnel[funnel["team_id"] == team_id]
    notes = _funnel_notes(judged, total)
    notes += _split_notes(queries.leads_per_rep(engine, as_of, team_id))
    notes += _tool_notes(queries.tool_satisfaction(engine, as_of, team_id))
    return tuple(notes)


def _changes(engine: Engine, as_of: date, team_id: str | None, show_money: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Step 2: the first CHANGES_SHOWN deals of each kind (biggest first) and the totals per kind."""
    frame = queries.week_changes(engine, as_of, team_id)
    counts = pd.DataFrame(
        [
            (k, int((frame["kind"] == k).sum()), int(frame.loc[frame["kind"] == k, "amount_cents"].fillna(0).sum()))
            for k in queries.CHANGE_KINDS
        ],
        columns=["kind", "deals", "amount_cents"],
    )
    shown = frame.groupby("kind", sort=False).head(CHANGES_SHOWN) if len(frame) else frame
    if not show_money and "rep" in shown.columns:
        shown = shown.drop(columns="rep")
    return shown.reset_index(drop=True), counts


def restrict(viewer, team_id: str | None, show_money: bool) -> tuple[str | None, bool, bool]:
    """(team_id, show_money, show_movers) allowed for ``viewer`` (None: the command line, all).

    Staff see everything asked for; the screen-share viewer never sees individual money; a manager
    or a rep sees one of their own teams (the first when none or another is asked), a rep no
    individual money and no movers (other reps' standing)."""
    role = getattr(viewer, "role", None)
    if viewer is None or role in ("admin", "ops"):
        return team_id, show_money, True
    if role == "viewer":
        return team_id, False, True
    teams = tuple(getattr(viewer, "team_ids", ()) or ())
    if not teams:
        raise InvalidFilter(
            "You belong to no team, so there is no team review to show.", "Ask an admin to set your team."
        )
    chosen = team_id if team_id in teams else teams[0]
    if role == "manager":
        return chosen, show_money and bool(getattr(viewer, "sees_individual_money", False)), True
    return chosen, False, False


def build_agenda(
    engine: Engine,
    as_of: date,
    team_id: str | None = None,
    top_n: int = 10,
    show_money: bool = False,
    team_name: str | None = None,
    viewer=None,
) -> Agenda:
    """The five steps of the week ending ``as_of`` for the company (or one team), as ``viewer`` may
    see them (see :func:`restrict`)."""
    asked = team_id
    team_id, show_money, show_movers = restrict(viewer, team_id, show_money)
    if team_id != asked:
        team_name = None
    level, entity = ("company", "company") if team_id is None else ("team", team_id)
    changes, counts = _changes(engine, as_of, team_id, show_money)
    movers, movers_message = _movers(engine, as_of, team_id, top_n)
    if not show_movers:
        movers, movers_message = movers.iloc[0:0], "Movers are shown to managers and staff."
    risk = queries.deals_at_risk(engine, as_of, team_id)
    if not show_money and "rep" in risk.columns:
        risk = risk.drop(columns="rep")
    return Agenda(
        as_of=as_of,
        week_label=week_label(as_of),
        scope_label="All teams" if team_id is None else (team_name or team_id),
        show_money=show_money,
        standing=_standing(engine, as_of, level, entity),
        changes=changes,
        change_counts=counts,
        movers=movers,
        movers_message=movers_message,
        at_risk=risk,
        notes=team_notes(engine, as_of, team_id),
    )

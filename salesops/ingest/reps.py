"""Whose rows are these: rep ids or names resolved against the store, and a reps file's teams.

Unknown reps are problems, or (``create_missing_reps``) new reps in an ``unassigned`` team; teams a
reps file describes but the store lacks are created.
"""

from __future__ import annotations

import re

import pandas as pd
import sqlalchemy as sa

from salesops import store
from salesops.ingest.report import ProblemLog
from salesops.store import schema

UNASSIGNED_TEAM = ("unassigned", "Unassigned", "Unassigned")


def slug(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "-", str(text).casefold()).strip("-") or "x"


def norm_names(s: pd.Series) -> pd.Series:
    return s.astype("str").str.casefold().str.replace(r"\s+", " ", regex=True).str.strip()


def resolve_reps(engine, spec, c, src, problems: ProblemLog, create_missing, plan_reps):
    """rep_id/rep_name -> the store's rep_id; unknown reps are errors or (create_missing) new reps."""
    reps = store.read_frame(engine, sa.select(schema.reps.c.rep_id, schema.reps.c.name, schema.reps.c.team_id))
    ids = c["rep_id"] if "rep_id" in c else pd.Series(pd.NA, index=c.index, dtype="str")
    names = c["rep_name"] if "rep_name" in c else pd.Series(pd.NA, index=c.index, dtype="str")
    known = set(reps["rep_id"].astype(str))
    resolved = ids.where(ids.isin(known))
    norm = norm_names(reps["name"]) if len(reps) else pd.Series([], dtype="str")
    counts = norm.value_counts()
    by_name = dict(zip(norm, reps["rep_id"].astype(str)))
    need = resolved.isna() & names.notna()
    if need.any():
        key = norm_names(names[need])
        hit = key.map(by_name)
        amb = key.map(counts).fillna(0) > 1
        problems.cells(
            "ambiguous_rep",
            amb.reindex(c.index, fill_value=False),
            src.get("rep_name", "rep_name"),
            names,
            "more than one rep has this name; use rep_id",
        )
        resolved = resolved.mask(need, hit.where(~amb).reindex(c.index))
    given = ids.notna() | names.notna()
    if spec.rep_ref == "required":
        problems.cells("missing_value", ~given, src.get("rep_id") or src.get("rep_name"), None, "no rep given")
    unknown = given & resolved.isna()
    if "rep_name" in c:
        unknown &= ~(norm_names(names.fillna("")).map(counts).fillna(0) > 1)
    team_of = dict(zip(reps["rep_id"].astype(str), reps["team_id"].astype(str)))
    if unknown.any() and create_missing:
        # A rep named only by id gets the id as its name; one named only by name gets a slug id.
        # Built value by value: either column may be wholly empty (a float NaN column in pandas).
        new_ids = [
            str(i) if pd.notna(i) else "rep-" + slug(n) for i, n in zip(ids[unknown], names[unknown], strict=True)
        ]
        new_names = [str(n) if pd.notna(n) else i for i, n in zip(new_ids, names[unknown], strict=True)]
        new = pd.DataFrame({"rep_id": new_ids, "name": new_names}).drop_duplicates("rep_id")
        resolved = resolved.astype("object").mask(unknown, pd.Series(new_ids, index=ids.index[unknown]))
        plan_reps.extend(new.itertuples(index=False))
        for rid in new["rep_id"]:
            team_of[rid] = UNASSIGNED_TEAM[0]
    else:
        what = ids.where(ids.notna(), names)
        problems.cells(
            "unknown_rep",
            unknown,
            src.get("rep_id") if "rep_id" in c else src.get("rep_name"),
            what,
            "no rep with this id or name in the store; import reps first or use --create-missing-reps",
        )
    c["rep_id"] = resolved
    return team_of


def resolve_teams(engine, c, src, problems: ProblemLog, new_teams: list) -> pd.Series:
    """A reps file's team columns -> team_id; teams the file describes but the store lacks are created."""
    teams = store.read_frame(engine, sa.select(schema.teams.c.team_id, schema.teams.c.name))
    ids = set(teams["team_id"].astype(str))
    by_name = dict(zip(norm_names(teams["name"]) if len(teams) else [], teams["team_id"].astype(str)))
    none = pd.Series(pd.NA, index=c.index, dtype="str")
    tid, tname, manager = (c.get(k, none) for k in ("team_id", "team", "manager"))
    region = c.get("region", none).fillna(c.get("office", none))
    # Without a team name, one team per manager: "Team <manager>".
    tname = tname.fillna("Team " + manager)
    team = tid.where(tid.isin(ids))
    described = tname.notna() | region.notna()
    create_by_id = tid.notna() & team.isna() & described
    problems.cells(
        "unknown_team",
        tid.notna() & team.isna() & ~described,
        src.get("team_id", "team_id"),
        tid,
        "no team with this id; import teams first, or add team and region columns to create it",
    )
    team = team.mask(create_by_id, tid)
    by_name_rows = team.isna() & tid.isna() & tname.notna()
    key = norm_names(tname.fillna(""))
    team = team.mask(by_name_rows, key.map(by_name))
    taken = set(ids)
    for i in c.index[(by_name_rows & team.isna()) | create_by_id]:
        k = key[i]
        if create_by_id[i]:
            new_id = tid[i]
        elif k in by_name:
            new_id = by_name[k]
        else:
            new_id = slug(tname[i])
            while new_id in taken:
                new_id += "-2"
        if new_id not in taken:
            taken.add(new_id)
            name = tname[i] if pd.notna(tname[i]) else new_id
            new_teams.append(
                (
                    new_id,
                    name,
                    region[i] if pd.notna(region[i]) else "Unassigned",
                    manager[i] if pd.notna(manager[i]) else None,
                )
            )
            by_name.setdefault(norm_names(pd.Series([name]))[0], new_id)
        team[i] = new_id
    problems.cells("missing_value", team.isna() & tid.isna() & tname.isna(), "team", None, "the rep has no team")
    return team

"""Who is looking: the viewer model, the users table and the sign-in rules (docs/ACCESS.md).

A :class:`Viewer` is an e-mail, a role and what the role is tied to (a rep id for a rep, team ids
for a manager). Library calls that return rows about reps, teams or pay take ``viewer=`` and restrict
their rows in SQL (:func:`salesops.store.sql.viewer_filter`); ``None`` there means "no restriction"
(the CLI and the library's own callers, which run with the store owner's rights).

How a viewer is identified is the setting ``SALESOPS_AUTH`` (read in :mod:`salesops.config`):
``local`` (one person on their own machine: an admin), ``proxy`` (an e-mail header set by a sign-in
proxy) or ``oidc`` (Streamlit's ``st.login``). The page shell does the reading; this module only
turns an e-mail into a viewer and keeps the users table honest.
"""

from __future__ import annotations

import difflib
import ipaddress
import json
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from salesops import audit
from salesops.errors import AccessDenied, InvalidUser, NotSignedIn, OpenBindRefused
from salesops.store import write
from salesops.store.schema import reps, teams, users

#: Roles, from most to least rights (docs/ACCESS.md has the table of who sees what).
ROLES = ("admin", "ops", "manager", "rep", "viewer")
#: Roles that see everything and may import, save plans, open survey rounds and manage users.
STAFF = ("admin", "ops")
_EMAIL = re.compile(r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


@dataclass(frozen=True)
class Viewer:
    """A signed-in person: e-mail, role, and the rep (role rep) or teams (role manager) they are.

    A rep's ``team_ids`` is their current team (from the reps table, when signing in).
    """

    email: str
    role: str
    rep_id: str | None = None
    team_ids: tuple[str, ...] = ()

    @property
    def is_staff(self) -> bool:
        """Admin or ops: every row, the Data page, plan saving, survey rounds."""
        return self.role in STAFF

    @property
    def sees_individual_money(self) -> bool:
        """False for the screen-share account (role viewer), which never sees a rep's money."""
        return self.role != "viewer"

    @property
    def label(self) -> str:
        return f"{self.email} ({self.role})"


#: The viewer in local mode: the one person at the machine, an admin.
LOCAL = Viewer(email="local", role="admin")
#: No one: a rep tied to no rep, so every restricted query returns no rows (a run without a viewer).
NOBODY = Viewer(email="", role="rep")


# ---- checks ---------------------------------------------------------------------------------------


def normalise_email(raw: str | None, where: str = "The e-mail") -> str:
    """``raw`` stripped and lower-cased; InvalidUser when it is not an e-mail address."""
    text = (raw or "").strip().lower()
    if not _EMAIL.match(text) or len(text) > 254:
        shown = (raw or "").strip()[:80] or "(empty)"
        raise InvalidUser(f"{where} {shown!r} is not an e-mail address.", "Write it as name@company.com.")
    return text


def check_role(role: str) -> str:
    """The role, lower-cased; InvalidUser naming the closest role when it is misspelled."""
    value = (role or "").strip().lower()
    if value in ROLES:
        return value
    close = difflib.get_close_matches(value, ROLES, n=1)
    hint = f"Did you mean {close[0]!r}? " if close else ""
    raise InvalidUser(f"Unknown role {role!r}.", f"{hint}Roles: {', '.join(ROLES)}.")


def is_loopback(address: str | None) -> bool:
    """True when ``address`` only accepts connections from this machine (unset = every interface)."""
    text = (address or "").strip().strip("[]")
    if text == "localhost":
        return True
    try:
        return ipaddress.ip_address(text).is_loopback
    except ValueError:
        return False


def check_bind(mode: str, address: str | None, allow_open: bool) -> None:
    """Refuse local mode (everyone is admin) on an address others can reach, unless allowed."""
    if mode != "local" or allow_open or is_loopback(address):
        return
    shown = address or "every interface (server.address unset)"
    raise OpenBindRefused(
        f"salesops is in local mode, where every visitor is an admin, but the server listens on {shown}.",
        "Listen on 127.0.0.1 (.streamlit/config.toml server.address), or sign people in with "
        "SALESOPS_AUTH=proxy (docs/ACCESS.md); SALESOPS_ALLOW_OPEN=1 overrides this check.",
    )


# ---- reading ----------------------------------------------------------------------------------------


def _viewer(row, rep_team: str | None = None) -> Viewer:
    teams_of = (rep_team,) if rep_team else tuple(json.loads(row.team_ids or "[]"))
    return Viewer(email=row.email, role=row.role, rep_id=row.rep_id, team_ids=teams_of)


def may_see_series(viewer: Viewer | None, by: str, series: str | None) -> bool:
    """Whether ``viewer`` may see a team/region/company series (forecasts, pipeline, targets).

    Everyone sees the company; staff and the viewer role every series; a manager their teams, a
    rep their own team (team totals are no one's individual money). Regions mix teams: staff only.
    """
    if viewer is None or viewer.is_staff or viewer.role == "viewer" or by == "company":
        return True
    return by == "team" and series in viewer.team_ids


def check_series(viewer: Viewer | None, by: str, series: str | None) -> None:
    """:func:`may_see_series`, raising AccessDenied when not."""
    if not may_see_series(viewer, by, series):
        raise AccessDenied(
            f"Your role ({viewer.role if viewer else '-'}) does not see the {by} {series}.",
            "Pick the company or one of your teams.",
        )


def find_viewer(engine: Engine, raw_email: str | None) -> Viewer:
    """The user behind an e-mail; NotSignedIn when it is missing, malformed or not a user."""
    if not (raw_email or "").strip():
        raise NotSignedIn("You are not signed in.", "Sign in through your company's sign-in page.")
    try:
        email = normalise_email(raw_email)
    except InvalidUser as exc:
        raise NotSignedIn(f"The sign-in e-mail is not valid: {exc.message}", exc.hint) from None
    with engine.connect() as conn:
        row = conn.execute(sa.select(users).where(users.c.email == email)).one_or_none()
        team = None
        if row is not None and row.rep_id:
            team = conn.execute(sa.select(reps.c.team_id).where(reps.c.rep_id == row.rep_id)).scalar_one_or_none()
    if row is None:
        raise NotSignedIn(f"{email} is not a salesops user.", "Ask an admin to add you (python -m salesops users add).")
    return _viewer(row, team)


def load_users(engine: Engine) -> pd.DataFrame:
    """Every user, by e-mail: email, role, rep_id, teams (comma-separated), added_on."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(users).order_by(users.c.email)).fetchall()
    return pd.DataFrame(
        [(r.email, r.role, r.rep_id or "", ", ".join(json.loads(r.team_ids or "[]")), r.added_on) for r in rows],
        columns=["email", "role", "rep_id", "teams", "added_on"],
    )


def admin_emails(engine: Engine) -> list[str]:
    """E-mails of the admins, for "who to ask" on the not-signed-in page."""
    with engine.connect() as conn:
        return list(
            conn.execute(sa.select(users.c.email).where(users.c.role == "admin").order_by(users.c.email)).scalars()
        )


# ---- writing ----------------------------------------------------------------------------------------


def _validate(conn: Connection, email: str, role: str, rep_id: str | None, team_ids, where: str) -> dict:
    """One user record checked against the store: the row to insert, or InvalidUser saying why."""
    email = normalise_email(email, f"{where}: the e-mail")
    role = check_role(role)
    rep_id = (rep_id or "").strip() or None
    team_list = tuple(dict.fromkeys(t.strip() for t in team_ids if t and t.strip()))
    if role == "rep" and not rep_id:
        raise InvalidUser(f"{where}: a rep user needs the rep id they are.", "Add --rep REP_ID (see the reps table).")
    if role != "rep" and rep_id:
        raise InvalidUser(f"{where}: only a rep user has a rep id (role is {role}).", "Drop --rep, or use --role rep.")
    if role == "manager" and not team_list:
        raise InvalidUser(f"{where}: a manager needs the teams they manage.", "Add --team TEAM_ID (once per team).")
    if role != "manager" and team_list:
        raise InvalidUser(f"{where}: only a manager has teams (role is {role}).", "Drop --team, or use --role manager.")
    if rep_id:
        if conn.execute(sa.select(reps.c.rep_id).where(reps.c.rep_id == rep_id)).one_or_none() is None:
            raise InvalidUser(
                f"{where}: there is no rep with id {rep_id!r}.", "Check the id (Data page or the reps import)."
            )
        other = conn.execute(
            sa.select(users.c.email).where(users.c.rep_id == rep_id, users.c.email != email)
        ).scalar_one_or_none()
        if other is not None:
            raise InvalidUser(
                f"{where}: rep {rep_id} is already the user {other}.", "One rep, one user: remove the other first."
            )
    known = set(conn.execute(sa.select(teams.c.team_id)).scalars())
    missing = [t for t in team_list if t not in known]
    if missing:
        raise InvalidUser(
            f"{where}: no team with id {', '.join(missing)}.", f"Teams: {', '.join(sorted(known)) or 'none yet'}."
        )
    return {
        "email": email,
        "role": role,
        "rep_id": rep_id,
        "team_ids": json.dumps(list(team_list)),
        "added_on": date.today(),
    }


def _upsert(conn: Connection, row: dict) -> None:
    conn.execute(sa.delete(users).where(users.c.email == row["email"]))
    conn.execute(sa.insert(users).values(**row))


def add_user(engine: Engine, email: str, role: str, rep_id: str | None = None, team_ids=(), who: str = "cli") -> Viewer:
    """Add (or replace) one user after every check; nothing changes when a check fails."""

    def run(conn: Connection) -> Viewer:
        row = _validate(conn, email, role, rep_id, team_ids, "users add")
        _upsert(conn, row)
        teams_text = f" teams {', '.join(json.loads(row['team_ids']))}" if row["team_ids"] != "[]" else ""
        audit.record(
            conn,
            who,
            "user added",
            f"{row['email']} as {row['role']}{' rep ' + row['rep_id'] if row['rep_id'] else ''}{teams_text}",
        )
        return Viewer(row["email"], row["role"], row["rep_id"], tuple(json.loads(row["team_ids"])))

    return write(engine, run, "users add")


def remove_user(engine: Engine, email: str, who: str = "cli") -> None:
    """Remove one user; InvalidUser when there is none with that e-mail."""
    address = normalise_email(email)

    def run(conn: Connection) -> None:
        if conn.execute(sa.delete(users).where(users.c.email == address)).rowcount == 0:
            raise InvalidUser(f"There is no user {address}.", "python -m salesops users list shows them.")
        audit.record(conn, who, "user removed", address)

    write(engine, run, "users remove")


def import_users(engine: Engine, path: str | Path, who: str = "cli") -> int:
    """Add or replace the users of a CSV (email, role, rep_id, teams — team ids split by ';').

    Every row is checked first, against the store and the other rows (one e-mail once, one rep one
    user); on the first bad row nothing is written. Returns the number of users written.
    """
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise InvalidUser(
            f"Cannot read the users file {Path(path).name}: {exc}.", "A CSV with columns email, role, rep_id, teams."
        ) from None
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    lacking = [c for c in ("email", "role") if c not in frame.columns]
    if lacking:
        raise InvalidUser(
            f"The users file has no column {', '.join(lacking)}.",
            "Columns: email, role, rep_id (reps), teams (managers, ids split by ';').",
        )

    def run(conn: Connection) -> int:
        rows: list[dict] = []
        seen_email: dict[str, int] = {}
        seen_rep: dict[str, int] = {}
        for i, rec in enumerate(frame.to_dict("records"), start=2):
            where = f"line {i}"
            teams_raw = re.split(r"[;|]", rec.get("teams", "") or "")
            row = _validate(conn, rec["email"], rec["role"], rec.get("rep_id"), teams_raw, where)
            if row["email"] in seen_email:
                raise InvalidUser(
                    f"{where}: {row['email']} is also on line {seen_email[row['email']]}.", "List each user once."
                )
            if row["rep_id"] and row["rep_id"] in seen_rep:
                raise InvalidUser(
                    f"{where}: rep {row['rep_id']} is also claimed on line {seen_rep[row['rep_id']]}.",
                    "One rep, one user.",
                )
            seen_email[row["email"]] = i
            if row["rep_id"]:
                seen_rep[row["rep_id"]] = i
            rows.append(row)
        for row in rows:
            _upsert(conn, row)
        audit.record(conn, who, "users imported", f"{len(rows)} users from {Path(path).name}")
        return len(rows)

    return write(engine, run, "users import")

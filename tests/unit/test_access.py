"""Sign-in and users: the users table, its CLI, the bind check, the settings and the SQL row filter."""

from __future__ import annotations

from datetime import date

import pytest

from salesops import access, audit, config, store
from salesops.access import Viewer
from salesops.cli.main import main
from salesops.errors import InvalidSetting, InvalidUser, NotSignedIn, OpenBindRefused
from salesops.store.schema import reps, teams
from salesops.store.sql import viewer_filter
from tests.builders import insert, rep


@pytest.fixture
def org(empty_engine):
    """Two teams (T1, T2) with reps R1, R2 in T1 and R3 in T2."""
    insert(empty_engine, teams, [dict(team_id=t, name=f"Team {t}", region="EU", manager=None) for t in ("T1", "T2")])
    insert(empty_engine, reps, [rep("R1", "T1"), rep("R2", "T1"), rep("R3", "T2")])
    return empty_engine


def _users(engine) -> list[tuple]:
    return [tuple(r) for r in access.load_users(engine)[["email", "role", "rep_id", "teams"]].itertuples(index=False)]


def test_add_list_and_remove_users(org):
    """Users added with their role, rep or teams are listed (e-mail lower-cased) and can be removed."""
    access.add_user(org, "Boss@Corp.com", "admin")
    access.add_user(org, "m@corp.com", "manager", team_ids=["T1", "T2"])
    access.add_user(org, "r1@corp.com", "rep", rep_id="R1")
    assert _users(org) == [
        ("boss@corp.com", "admin", "", ""),
        ("m@corp.com", "manager", "", "T1, T2"),
        ("r1@corp.com", "rep", "R1", ""),
    ]
    access.remove_user(org, "M@corp.com")
    assert [u[0] for u in _users(org)] == ["boss@corp.com", "r1@corp.com"]


def test_find_viewer_returns_the_users_rights(org):
    """The viewer of a known e-mail carries its role, rep and teams, whatever the e-mail's case."""
    access.add_user(org, "m@corp.com", "manager", team_ids=["T2"])
    assert access.find_viewer(org, " M@Corp.com ") == Viewer("m@corp.com", "manager", None, ("T2",))


@pytest.mark.parametrize("email", [None, "", "nobody@corp.com", "not-an-email", "a@b"])
def test_unknown_missing_or_malformed_emails_are_not_signed_in(org, email):
    """A header without an e-mail, with a malformed one, or with one that is not a user: NotSignedIn."""
    access.add_user(org, "boss@corp.com", "admin")
    with pytest.raises(NotSignedIn) as exc:
        access.find_viewer(org, email)
    assert exc.value.hint


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [
        (dict(email="x@corp.com", role="mangaer", team_ids=["T1"]), "Did you mean 'manager'?"),
        (dict(email="x@corp", role="admin"), "is not an e-mail address"),
        (dict(email="x@corp.com", role="rep", rep_id="R9"), "no rep with id 'R9'"),
        (dict(email="x@corp.com", role="rep", rep_id="R1"), "already the user r1@corp.com"),
        (dict(email="x@corp.com", role="rep"), "needs the rep id"),
        (dict(email="x@corp.com", role="manager"), "needs the teams"),
        (dict(email="x@corp.com", role="manager", team_ids=["T9"]), "no team with id T9"),
        (dict(email="x@corp.com", role="viewer", rep_id="R2"), "only a rep user has a rep id"),
    ],
)
def test_bad_users_are_refused_and_nothing_changes(org, kwargs, says):
    """Misspelled role, malformed e-mail, unknown rep or team, a rep claimed twice: a clear error, no write."""
    access.add_user(org, "r1@corp.com", "rep", rep_id="R1")
    before, version = _users(org), store.data_version(org)
    with pytest.raises(InvalidUser) as exc:
        access.add_user(org, **kwargs)
    assert says in str(exc.value) and exc.value.hint
    assert _users(org) == before and store.data_version(org) == version


def test_removing_an_unknown_user_is_an_error(org):
    """users remove of an e-mail that is not a user says so."""
    with pytest.raises(InvalidUser, match="no user"):
        access.remove_user(org, "ghost@corp.com")


def test_import_users_writes_all_or_nothing(org, tmp_path):
    """A users file is written whole; a file with one bad line (a rep claimed twice) writes nothing."""
    good = tmp_path / "users.csv"
    good.write_text("email,role,rep_id,teams\nA@corp.com,admin,,\nm@corp.com,manager,,T1;T2\nr@corp.com,rep,R3,\n")
    assert access.import_users(org, good) == 3
    assert _users(org)[1] == ("m@corp.com", "manager", "", "T1, T2")
    bad = tmp_path / "bad.csv"
    bad.write_text("email,role,rep_id,teams\nn1@corp.com,rep,R1,\nn2@corp.com,rep,R1,\n")
    with pytest.raises(InvalidUser, match="line 3: rep R1 is also claimed on line 2"):
        access.import_users(org, bad)
    assert len(_users(org)) == 3


def test_import_users_names_a_missing_column(org, tmp_path):
    """A users file without a role column is refused with the columns it needs."""
    path = tmp_path / "u.csv"
    path.write_text("email\na@corp.com\n")
    with pytest.raises(InvalidUser, match="no column role"):
        access.import_users(org, path)


def test_user_changes_are_audited(org):
    """Adding and removing users leaves audit entries with who, what and the details."""
    access.add_user(org, "r1@corp.com", "rep", rep_id="R1", who="boss@corp.com")
    access.remove_user(org, "r1@corp.com", who="boss@corp.com")
    log = audit.load_audit(org)
    assert log[["who", "what", "details"]].values.tolist() == [
        ["boss@corp.com", "user removed", "r1@corp.com"],
        ["boss@corp.com", "user added", "r1@corp.com as rep rep R1"],
    ]
    assert log["at"].iloc[0].date() == date.today()


def test_users_cli_add_list_remove_and_errors(org, capsys):
    """The users commands print what they did; a misspelled role exits 2 with error and hint lines."""
    db = ["--db", str(org.url)]
    assert main(["users", "add", "r2@corp.com", "--role", "rep", "--rep", "R2", *db]) == 0
    assert main(["users", "list", *db]) == 0
    assert "r2@corp.com,rep,R2" in capsys.readouterr().out
    assert main(["users", "add", "z@corp.com", "--role", "admn", *db]) == 2
    err = capsys.readouterr().err
    assert "error: Unknown role 'admn'." in err and "hint: Did you mean 'admin'?" in err
    assert main(["users", "remove", "r2@corp.com", *db]) == 0
    assert main(["audit", *db]) == 0
    out = capsys.readouterr().out
    assert "user removed,r2@corp.com" in out and "user added" in out


def test_import_users_cli(org, tmp_path, capsys):
    """python -m salesops import users FILE loads the users file."""
    path = tmp_path / "u.csv"
    path.write_text("email,role,rep_id,teams\nv@corp.com,viewer,,\n")
    assert main(["import", "users", str(path), "--db", str(org.url)]) == 0
    assert "Imported 1 users." in capsys.readouterr().out


@pytest.mark.parametrize(
    ("address", "allow", "refused"),
    [("127.0.0.1", False, False), ("localhost", False, False), ("::1", False, False),
     ("0.0.0.0", False, True), (None, False, True), ("10.1.2.3", False, True), ("0.0.0.0", True, False)],
)  # fmt: skip
def test_local_mode_refuses_a_non_loopback_address(address, allow, refused):
    """Local mode (everyone admin) only on a loopback address, unless SALESOPS_ALLOW_OPEN says otherwise."""
    if refused:
        with pytest.raises(OpenBindRefused, match="local mode"):
            access.check_bind("local", address, allow)
    else:
        access.check_bind("local", address, allow)
    access.check_bind("proxy", address, False)  # signed-in modes may listen anywhere


def test_auth_settings_are_checked(monkeypatch):
    """SALESOPS_AUTH and SALESOPS_LEADERBOARD_VISIBILITY accept their listed values only."""
    assert config.auth_mode() == "local" and config.leaderboard_visibility() == "ranks"
    assert config.auth_header() == "X-Forwarded-Email" and not config.allow_open()
    monkeypatch.setenv("SALESOPS_AUTH", "Proxy")
    assert config.auth_mode() == "proxy"
    monkeypatch.setenv("SALESOPS_AUTH", "ldap")
    with pytest.raises(InvalidSetting, match="SALESOPS_AUTH"):
        config.auth_mode()
    monkeypatch.setenv("SALESOPS_LEADERBOARD_VISIBILITY", "everything")
    with pytest.raises(InvalidSetting):
        config.leaderboard_visibility()


def test_viewer_filter_restricts_by_role():
    """Staff and the viewer role: no clause; a manager: their teams; a rep: their rep id; no tie: nothing."""
    assert viewer_filter(None) == ("", {}) == viewer_filter(access.LOCAL)
    assert viewer_filter(Viewer("v@c.com", "viewer")) == ("", {})
    sql, params = viewer_filter(Viewer("m@c.com", "manager", team_ids=("T1", "T2")), alias="r")
    assert sql == " AND r.team_id IN (:vf_team_0, :vf_team_1)" and params == {"vf_team_0": "T1", "vf_team_1": "T2"}
    assert viewer_filter(Viewer("r@c.com", "rep", rep_id="R1"), "d") == (" AND d.rep_id = :vf_rep", {"vf_rep": "R1"})
    assert viewer_filter(Viewer("r@c.com", "rep", rep_id="R1"), "t", rep_col=None) == (" AND 1 = 0", {})
    assert viewer_filter(access.NOBODY) == (" AND 1 = 0", {})


def test_demo_has_one_user_per_role(demo_engine):
    """The demo's users: an admin, ops, a manager of T01, a rep of T01 and a viewer (docs/DEMO_DATA.md)."""
    users = access.load_users(demo_engine).set_index("email")
    assert users["role"].to_dict() == {
        "admin@example.com": "admin",
        "manager@example.com": "manager",
        "ops@example.com": "ops",
        "rep@example.com": "rep",
        "viewer@example.com": "viewer",
    }
    assert users.loc["manager@example.com", "teams"] == "T01"
    assert users.loc["rep@example.com", "rep_id"] == "R0001"


def test_streamlit_config_hides_tracebacks_binds_loopback_and_agrees_on_the_upload_limit():
    """.streamlit/config.toml: no error details for users, 127.0.0.1, upload limit = SALESOPS_MAX_UPLOAD_MB's default."""
    import tomllib

    from tests.conftest import ROOT

    conf = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert conf["client"]["showErrorDetails"] == "none"
    assert conf["server"]["address"] == "127.0.0.1"
    default = next(s.default for s in config.SETTINGS if s.name == "SALESOPS_MAX_UPLOAD_MB")
    assert conf["server"]["maxUploadSize"] == int(default)


def test_md_escape_kills_links_images_and_bare_urls():
    """md_escape escapes what makes links, images, autolinks and emphasis, and keeps ordinary names readable."""
    from salesops.format import md_escape

    assert md_escape("![x](https://e.invalid/p.png)") == "\\!\\[x\\](https\\://e\\.invalid/p\\.png)"
    assert md_escape("<b>*a*_b_ `c` $d$ www.x") == "\\<b\\>\\*a\\*\\_b\\_ \\`c\\` \\$d\\$ www\\.x"
    assert md_escape("Mid-Market (EMEA)\nnext") == "Mid-Market (EMEA) next"

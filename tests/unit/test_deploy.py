"""deploy/: the compose file, the systemd units and timers, the cron example and docs/DEPLOY.md parse,
hang together, and name only settings that salesops/config.py declares."""

from __future__ import annotations

import configparser
import re

import pytest
import yaml

from salesops import config
from salesops.cli.main import build_parser
from tests.conftest import ROOT

DEPLOY = ROOT / "deploy"
DECLARED = {s.name for s in config.SETTINGS}
SETTING_NAME = re.compile(r"\bSALESOPS_[A-Z0-9_]+\b")


def _compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def _unit(path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # keys are case-sensitive in systemd
    # systemd allows a key to repeat (several ExecStart= of a oneshot): keep the last for parsing.
    parser.read_string(path.read_text())
    return parser


def _commands(text: str) -> list[str]:
    """The salesops sub-commands run in a text (``-m salesops NAME``)."""
    return re.findall(r"-m salesops ([a-z-]+)", text)


def test_the_compose_file_runs_postgres_the_app_and_oauth2_proxy():
    """compose.yaml has postgres (with a health check), migrate before the app, and the proxy in front."""
    services = _compose()["services"]
    assert {"postgres", "migrate", "app", "oauth2-proxy"} <= set(services)
    assert services["postgres"]["image"].startswith("postgres:")
    assert int(services["postgres"]["image"].split(":")[1]) >= 15
    assert "healthcheck" in services["postgres"]
    assert services["migrate"]["command"][-2:] == ["salesops", "migrate"]
    assert services["app"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert "ports" not in services["app"]  # only the proxy is published
    proxy = services["oauth2-proxy"]["environment"]
    assert proxy["OAUTH2_PROXY_UPSTREAMS"] == "http://app:8501/"
    assert services["app"]["environment"]["SALESOPS_DB_URL"].startswith("postgresql+psycopg://salesops:")
    assert "@postgres:5432/salesops" in services["app"]["environment"]["SALESOPS_DB_URL"]
    assert (ROOT / services["app"]["build"]["dockerfile"]).exists()


def test_the_app_behind_the_proxy_identifies_people_by_the_header_the_proxy_sets():
    """The compose app and the systemd settings run in proxy mode, reading the header oauth2-proxy passes."""
    app = _compose()["services"]["app"]["environment"]
    assert app["SALESOPS_AUTH"] == "proxy" and app["SALESOPS_AUTH_HEADER"] == "X-Forwarded-Email"
    assert _compose()["services"]["oauth2-proxy"]["environment"]["OAUTH2_PROXY_PASS_USER_HEADERS"] == "true"
    env = (DEPLOY / "systemd" / "salesops.env.example").read_text().splitlines()
    assert "SALESOPS_AUTH=proxy" in env and "SALESOPS_AUTH_HEADER=X-Forwarded-Email" in env


def test_every_variable_the_compose_file_needs_is_in_the_env_example():
    """Each ${VAR} of compose.yaml is given in deploy/.env.example."""
    needed = set(re.findall(r"\$\{([A-Z_]+)", (DEPLOY / "compose.yaml").read_text()))
    given = {line.split("=", 1)[0] for line in (DEPLOY / ".env.example").read_text().splitlines() if "=" in line}
    assert needed and needed <= given, needed - given


@pytest.mark.parametrize(
    "path",
    [
        "compose.yaml",
        "Dockerfile",
        "crontab.example",
        "systemd/salesops.service",
        "systemd/salesops-forecast.service",
        "systemd/salesops-backup.service",
        "systemd/salesops-review.service",
        "systemd/salesops.env.example",
        "../docs/DEPLOY.md",
    ],
)
def test_deploy_files_name_only_declared_settings_and_real_commands(path):
    """Every SALESOPS_* name is declared in config.py and every `-m salesops X` is a real command."""
    text = (DEPLOY / path).read_text()
    assert set(SETTING_NAME.findall(text)) <= DECLARED, set(SETTING_NAME.findall(text)) - DECLARED
    commands = set(build_parser()._subparsers._group_actions[0].choices)  # noqa: SLF001 - argparse has no public list
    assert set(_commands(text)) <= commands


def test_the_systemd_units_and_timers_parse_and_point_at_each_other():
    """Each unit has its sections and an ExecStart; each timer has an OnCalendar and a service of its name."""
    units = sorted((DEPLOY / "systemd").glob("*.service"))
    assert {u.name for u in units} == {
        "salesops.service",
        "salesops-forecast.service",
        "salesops-backup.service",
        "salesops-review.service",
    }
    for unit in units:
        parsed = _unit(unit)
        assert parsed.has_section("Unit") and parsed.has_section("Service"), unit.name
        assert parsed.get("Service", "ExecStart"), unit.name
        assert parsed.get("Service", "EnvironmentFile") == "/etc/salesops/salesops.env", unit.name
    app = _unit(DEPLOY / "systemd" / "salesops.service")
    assert "-m salesops migrate" in app.get("Service", "ExecStartPre")
    assert "--server.address 127.0.0.1" in app.get("Service", "ExecStart")
    assert app.get("Install", "WantedBy") == "multi-user.target"
    for timer in (DEPLOY / "systemd").glob("*.timer"):
        parsed = _unit(timer)
        assert parsed.get("Timer", "OnCalendar"), timer.name
        assert (timer.with_suffix(".service")).exists(), timer.name
        assert parsed.get("Install", "WantedBy") == "timers.target"


def test_the_env_example_sets_the_database_url_and_pg_dump_variables():
    """salesops.env.example gives SALESOPS_DB_URL (PostgreSQL) and libpq's variables for the backup."""
    lines = dict(
        line.split("=", 1)
        for line in (DEPLOY / "systemd" / "salesops.env.example").read_text().splitlines()
        if "=" in line and not line.startswith("#")
    )
    assert lines["SALESOPS_DB_URL"].startswith("postgresql+psycopg://")
    assert {"PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "PGPASSWORD"} <= set(lines)


def test_the_cron_example_has_five_fields_per_job():
    """Each job line of crontab.example starts with a valid five-field schedule."""
    jobs = [
        line
        for line in (DEPLOY / "crontab.example").read_text().splitlines()
        if line.strip() and not line.startswith("#") and "=" not in line.split()[0]
    ]
    assert len(jobs) >= 3
    field = re.compile(r"^[0-9*/,-]+$")
    for job in jobs:
        assert all(field.match(f) for f in job.split()[:5]), job

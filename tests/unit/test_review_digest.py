"""The digest end to end: an HTML file with the week's figures, e-mailed to a local SMTP server
(aiosmtpd, started by the test) with its charts inline; clear errors when it cannot be sent."""

from __future__ import annotations

import email
import re
import socket
from datetime import date
from email import policy

import pytest
from aiosmtpd.controller import Controller

from salesops.cli.main import main
from salesops.review import snapshots
from salesops.store import schema
from tests.unit.test_review_snapshots import org  # noqa: F401 - the fixture

TODAY = "2026-11-16"


class _Inbox:
    """An aiosmtpd handler keeping every message it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append((list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp():
    """A local SMTP server on a free port; yields (url, inbox)."""
    inbox = _Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield f"smtp://127.0.0.1:{port}", inbox
    controller.stop()


@pytest.fixture
def store_url(org, monkeypatch):  # noqa: F811
    """The hand-built organisation with snapshots of 8 and 15 Nov 2026, today pinned to 16 Nov."""
    monkeypatch.setenv("SALESOPS_TODAY", TODAY)
    snapshots.take_snapshots(org, [date(2026, 11, 8), date(2026, 11, 15)], today=date(2026, 11, 16))
    url = org.url.render_as_string(hide_password=False)
    org.dispose()
    return url


def test_the_digest_is_emailed_with_the_weeks_figures_and_inline_charts(store_url, smtp, monkeypatch, tmp_path):
    """--email: one message arrives; its HTML has won $18.0k and the P50 $28,000; its charts are cid images."""
    url, inbox = smtp
    monkeypatch.setenv("SALESOPS_SMTP_URL", url)
    monkeypatch.setenv("SALESOPS_DIGEST_TO", "team@example.com, lead@example.com")
    out = tmp_path / "review.html"
    assert main(["digest", "--week", "2026-W46", "--out", str(out), "--email", "--db", store_url]) == 0
    assert len(inbox.messages) == 1
    rcpts, raw = inbox.messages[0]
    assert rcpts == ["team@example.com", "lead@example.com"]
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert msg["Subject"] == "Weekly review 2026-W46 · All teams"
    html = msg.get_body(preferencelist=("html",)).get_content()
    assert "$18.0k" in html and "of $90.0k quota" in html  # won and quota of the quarter
    assert "This week&#x27;s P50" in html and "$28,000" in html
    images = [p for p in msg.walk() if p.get_content_type() == "image/png"]
    assert len(images) == 2
    for part in images:
        cid = part["Content-ID"].strip("<>")
        assert f"cid:{cid}" in html
        assert part.get_content()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_html_file_is_self_contained(store_url, tmp_path):
    """The file embeds its charts as data URIs and points at no other address."""
    out = tmp_path / "review.html"
    assert main(["digest", "--out", str(out), "--db", store_url]) == 0
    html = out.read_text()
    assert "2026-W46" in html  # the latest snapshot is the default week
    assert html.count('src="data:image/png;base64,') == 2
    assert not re.findall(r'(?:src|href)="(?!data:)', html)
    for step in ("Where we stand", "What changed this week", "Movers", "Deals at risk", "Team notes"):
        assert step in html


def test_an_unreachable_smtp_server_gives_one_message_and_keeps_the_file(store_url, monkeypatch, tmp_path, capsys):
    """Nothing listens on the port: exit 2, one error and one hint, and the HTML file is written."""
    monkeypatch.setenv("SALESOPS_SMTP_URL", f"smtp://127.0.0.1:{_free_port()}")
    monkeypatch.setenv("SALESOPS_DIGEST_TO", "team@example.com")
    out = tmp_path / "review.html"
    assert main(["digest", "--out", str(out), "--email", "--db", store_url]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and err[0].startswith("error: The digest could not be e-mailed through 127.0.0.1")
    assert f"The digest was written to {out}" in err[0] and err[1].startswith("hint: Check SALESOPS_SMTP_URL")
    assert out.exists() and "Where we stand" in out.read_text()


def test_email_without_a_server_or_recipient_is_explained(store_url, monkeypatch, tmp_path, capsys):
    """No SALESOPS_DIGEST_TO, then no SALESOPS_SMTP_URL: each says what to set."""
    out = tmp_path / "review.html"
    monkeypatch.delenv("SALESOPS_DIGEST_TO", raising=False)
    assert main(["digest", "--out", str(out), "--email", "--db", store_url]) == 2
    assert "Set SALESOPS_DIGEST_TO" in capsys.readouterr().err
    monkeypatch.setenv("SALESOPS_DIGEST_TO", "team@example.com")
    monkeypatch.delenv("SALESOPS_SMTP_URL", raising=False)
    assert main(["digest", "--out", str(out), "--email", "--db", store_url]) == 2
    assert "Set SALESOPS_SMTP_URL" in capsys.readouterr().err


def test_a_future_week_or_a_week_without_snapshot_is_refused(store_url, tmp_path, capsys):
    """2026-W50 has not started; 2026-W40 has no snapshot; neither writes a file."""
    out = tmp_path / "review.html"
    assert main(["digest", "--week", "2026-W50", "--out", str(out), "--db", store_url]) == 2
    assert "has not started yet" in capsys.readouterr().err
    assert main(["digest", "--week", "2026-W40", "--out", str(out), "--db", store_url]) == 2
    assert "no snapshot of week 2026-W40" in capsys.readouterr().err
    assert main(["digest", "--week", "W46", "--out", str(out), "--db", store_url]) == 2
    assert "is not an ISO week" in capsys.readouterr().err
    assert not out.exists()


def test_user_text_is_escaped_and_a_team_digest_names_its_team(store_url, tmp_path):
    """A team named with markup shows as text; --team takes the name and scopes the digest."""
    from salesops.store.engine import open_store, write

    engine = open_store(store_url)
    write(
        engine,
        lambda c: c.execute(schema.teams.update().where(schema.teams.c.team_id == "T2").values(name="<b>Two</b>")),
        "t",
    )
    engine.dispose()
    out = tmp_path / "review.html"
    assert main(["digest", "--team", "<b>Two</b>", "--out", str(out), "--db", store_url]) == 0
    html = out.read_text()
    assert "&lt;b&gt;Two&lt;/b&gt;" in html and "<b>Two</b>" not in html

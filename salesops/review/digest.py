"""The digest: the week's agenda as one self-contained HTML page, and as an e-mail.

The charts are the page's own Altair specs rendered to PNG by vl-convert (offline: the specs carry
their data inline, so nothing is fetched). In the HTML file they are ``data:`` URIs, in the e-mail
inline parts referenced by ``cid:``; the page makes no external request either way. Every value
from the store is HTML-escaped (:mod:`salesops.review.render`).
"""

from __future__ import annotations

import base64
import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from html import escape
from urllib.parse import unquote, urlsplit

from salesops.errors import SalesopsError
from salesops.review import charts, render
from salesops.review.agenda import STEPS, Agenda


class DigestNotSent(SalesopsError):
    """The digest could not be e-mailed (no SMTP server configured, unreachable, refused)."""


@dataclass(frozen=True)
class Digest:
    """The digest's HTML with image placeholders resolved by the caller, its PNG charts, its subject."""

    subject: str
    images: dict[str, bytes]  # name -> PNG
    render_html: Callable[[Callable[[str], str]], str]  # image src(name) -> full HTML

    def file_html(self) -> str:
        """The self-contained page: images as data URIs."""
        return self.render_html(lambda name: "data:image/png;base64," + base64.b64encode(self.images[name]).decode())


def chart_pngs(agenda: Agenda, scale: float = 1.5) -> dict[str, bytes]:
    """The step-1 charts (waterfall, quarter trend) as PNG bytes; absent when there is nothing to draw."""
    import vl_convert as vlc  # imported here: only the digest needs it

    out: dict[str, bytes] = {}
    s = agenda.standing
    if s is None:
        return out
    for name, chart in (
        ("waterfall", charts.waterfall_chart(s.waterfall, height=260)),
        ("trend", charts.outlook_trend_chart(s.trend, height=240)),
    ):
        if chart is not None:
            # Wide enough for the waterfall's seven step labels side by side.
            out[name] = vlc.vegalite_to_png(chart.properties(width=760).to_json(), scale=scale)
    return out


_PAGE_CSS = """
<style>
body { font-family: -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: #1f2933;
       max-width: 1200px; margin: 1.5rem auto; padding: 0 1rem; font-size: 15px; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.3rem; border-bottom: 1px solid #d0d7de; padding-bottom: 0.2rem; margin-top: 1.8rem; }
img.rv-chart { max-width: 100%; margin: 0.4rem 1rem 0.4rem 0; }
</style>
"""


def build_digest(agenda: Agenda, images: dict[str, bytes] | None = None) -> Digest:
    """The digest of ``agenda`` (charts rendered unless ``images`` is given, e.g. in tests)."""
    pngs = chart_pngs(agenda) if images is None else images
    title = f"Weekly review {agenda.week_label} · {agenda.scope_label}"

    def html(src: Callable[[str], str]) -> str:
        sections = []
        for number, name in STEPS:
            body = render.STEP_HTML[number](agenda)
            if number == 1:
                imgs = "".join(
                    f'<img class="rv-chart" alt="{escape(alt)}" src="{escape(src(key))}">'
                    for key, alt in (("waterfall", "Forecast since last week"), ("trend", "This quarter week by week"))
                    if key in pngs
                )
                body += f"<div>{imgs}</div>" + render.waterfall_table_html(agenda.standing)
            sections.append(f"<h2>{number} · {escape(name)}</h2>{body}")
        head = f"<title>{escape(title)}</title>{_PAGE_CSS}{render.CSS}"
        intro = (
            f"<h1>{escape(title)}</h1><p class='rv-muted'>The week to {agenda.as_of:%A %d %B %Y}; "
            "figures from salesops' weekly snapshot (docs/REVIEW.md).</p>"
        )
        return f"<!DOCTYPE html><html><head><meta charset='utf-8'>{head}</head><body>{intro}{''.join(sections)}</body></html>"

    return Digest(subject=title, images=pngs, render_html=html)


def email_message(digest: Digest, sender: str, to: list[str]) -> EmailMessage:
    """A multipart message: a plain-text line, the HTML, and each chart as an inline (cid) image."""
    msg = EmailMessage()
    msg["Subject"], msg["From"], msg["To"] = digest.subject, sender, ", ".join(to)
    msg.set_content(f"{digest.subject}\n\nOpen this message as HTML to see the review.")
    cids = {name: make_msgid(domain="salesops.local")[1:-1] for name in digest.images}
    msg.add_alternative(digest.render_html(lambda name: f"cid:{cids[name]}"), subtype="html")
    html_part = next(p for p in msg.iter_parts() if p.get_content_type() == "text/html")
    for name, png in digest.images.items():
        html_part.add_related(png, maintype="image", subtype="png", cid=f"<{cids[name]}>", filename=f"{name}.png")
    return msg


def send(msg: EmailMessage, smtp_url: str, timeout: float = 15.0) -> None:
    """Send through ``smtp_url``: ``smtp://[user:password@]host[:port]`` (STARTTLS when the server
    offers it), ``smtps://…`` (TLS from the start). Raises DigestNotSent with a hint on any failure."""
    if not smtp_url:
        raise DigestNotSent(
            "No SMTP server is configured, so the digest was not e-mailed.",
            "Set SALESOPS_SMTP_URL (e.g. smtp://user:password@mail.example.com:587) and SALESOPS_DIGEST_TO.",
        )
    parts = urlsplit(smtp_url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise DigestNotSent(
            f"SALESOPS_SMTP_URL {parts.scheme}://{parts.hostname or ''}… is not an SMTP URL.",
            "Write it as smtp://[user:password@]host[:port] or smtps://…",
        )
    host, port = parts.hostname, parts.port or (465 if parts.scheme == "smtps" else 25)
    try:
        cls = smtplib.SMTP_SSL if parts.scheme == "smtps" else smtplib.SMTP
        with cls(host, port, timeout=timeout) as server:
            server.ehlo()
            if parts.scheme == "smtp" and server.has_extn("starttls"):
                server.starttls()
            if parts.username:
                server.login(unquote(parts.username), unquote(parts.password or ""))
            server.send_message(msg)
    except (TimeoutError, OSError, smtplib.SMTPException) as exc:
        raise DigestNotSent(
            f"The digest could not be e-mailed through {host}:{port}: {exc}.",
            "Check SALESOPS_SMTP_URL (host, port, user, password) and that the mail server is reachable.",
        ) from exc

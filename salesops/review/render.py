"""The agenda's steps as HTML fragments, every value escaped: drawn by the page (``st.html``) and
the digest alike, so the screen and the e-mail say the same thing.

Only this module's constant markup is HTML; every value from the store (deal, account, team, rep
and tool names) goes through :func:`html.escape`. Sizes are in rem, so the page's presentation mode
(a larger root font) scales the tables with the type.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

import pandas as pd

from salesops import format as fmt
from salesops.review.agenda import STEPS, Agenda, Standing

#: The fragments' own style (constant; no user text). Class names are prefixed ``rv-``.
CSS = """
<style>
.rv-cards { display: flex; gap: 1rem; flex-wrap: wrap; margin: 0.4rem 0 0.8rem 0; }
.rv-card { border: 1px solid #d0d7de; border-radius: 0.5rem; padding: 0.5rem 0.9rem; min-width: 9rem; }
.rv-card .rv-label { font-size: 0.8rem; color: #57606a; }
.rv-card .rv-value { font-size: 1.7rem; font-weight: 600; }
.rv-card .rv-sub { font-size: 0.8rem; color: #57606a; }
table.rv-table { border-collapse: collapse; font-size: 0.95rem; margin: 0.2rem 0 0.8rem 0; }
table.rv-table th { text-align: left; font-weight: 600; border-bottom: 2px solid #d0d7de; padding: 0.2rem 0.7rem; }
table.rv-table td { border-bottom: 1px solid #eaeef2; padding: 0.2rem 0.7rem; }
table.rv-table td.rv-num, table.rv-table th.rv-num { text-align: right; }
.rv-note { border-left: 4px solid #EDAE49; padding: 0.3rem 0.8rem; margin: 0.4rem 0; font-size: 1rem; }
.rv-muted { color: #57606a; font-size: 0.9rem; }
.rv-cols { display: flex; gap: 1.6rem; align-items: flex-start; }
.rv-col { flex: 1 1 0; min-width: 0; }
h3.rv-h { font-size: 1.15rem; margin: 0.6rem 0 0.2rem 0; }
</style>
"""

_KIND_TITLES = {"won": "Won", "lost": "Lost", "pushed": "Pushed out"}


def _card(label: str, value: str, sub: str = "") -> str:
    sub_html = f'<div class="rv-sub">{escape(sub)}</div>' if sub else ""
    return (
        f'<div class="rv-card"><div class="rv-label">{escape(label)}</div>'
        f'<div class="rv-value">{escape(value)}</div>{sub_html}</div>'
    )


def table(frame: pd.DataFrame, columns: Sequence[tuple[str, str, bool]]) -> str:
    """An HTML table of ``frame``: ``columns`` are (column, header, numeric) and every cell is text
    already formatted (or formatted with ``str``); empty cells for missing values."""
    head = "".join(f'<th class="rv-num">{escape(h)}</th>' if num else f"<th>{escape(h)}</th>" for _, h, num in columns)
    rows = []
    for rec in frame.to_dict("records"):
        cells = []
        for col, _, num in columns:
            v = rec.get(col)
            text = "" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v)
            cells.append(f'<td class="rv-num">{escape(text)}</td>' if num else f"<td>{escape(text)}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return f'<table class="rv-table"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def pacing_text(s: Standing) -> str:
    """'on pace' / 'behind pace' / 'ahead of pace': attainment against the share of the quarter gone."""
    if s.attainment is None:
        return "no quota"
    gap = s.attainment - s.elapsed_share
    word = "on pace" if abs(gap) < 0.05 else ("ahead of pace" if gap > 0 else "behind pace")
    return f"{word}: {fmt.pct(s.attainment)} of quota with {fmt.pct(s.elapsed_share)} of the quarter gone"


def standing_html(s: Standing | None) -> str:
    """Step 1's figures (the charts are drawn beside them by the caller)."""
    if s is None:
        return '<p class="rv-muted">No snapshot of this week for this scope.</p>'
    w = s.waterfall
    change = (
        ""
        if w.change_cents is None
        else f"{'+' if w.change_cents >= 0 else '−'}{fmt.money(abs(w.change_cents))} since last week"
    )
    cards = [
        _card("Won this quarter", fmt.money(s.won_cents), f"of {fmt.money(s.quota_cents)} quota"),
        _card("Attainment", fmt.pct(s.attainment), pacing_text(s)),
        _card("Forecast (P50)", fmt.money(s.p50_cents), change or (w.message or "")),
        _card("Likely range", f"{fmt.money(s.p10_cents)} – {fmt.money(s.p90_cents)}", "P10 – P90"),
        _card("Chance of quota", fmt.pct(s.chance_of_quota), "pipeline outlook"),
        _card("Open in the quarter", fmt.money(s.open_cents), f"{fmt.money(s.weighted_cents)} weighted"),
    ]
    period = f"{s.period_start:%d %b} – {s.period_end:%d %b %Y}"
    return (
        f'<div class="rv-muted">{escape(s.name)} · quarter {escape(period)}</div>'
        f'<div class="rv-cards">{"".join(cards)}</div><p class="rv-muted">{escape(track_text(s))}</p>'
    )


def track_text(s: Standing) -> str:
    """One sentence: how often the stored P10–P90 held the final result, and the chance of quota's record."""
    t = s.track
    if t.weeks == 0 or t.coverage is None:
        return "Track record: no finished quarter in the stored snapshots yet, so the range is not yet checked."
    text = (
        f"Track record ({t.weeks} past weeks of {t.quarters} finished quarters): the P10–P90 range held the "
        f"final result {fmt.pct(t.coverage)} of the time; the P50 was off by {fmt.pct(t.mean_abs_error)} on average."
    )
    if t.chance_said is not None and t.quota_hit is not None:
        text += f" The chance of quota averaged {fmt.pct(t.chance_said)}; quota was reached {fmt.pct(t.quota_hit)} of the time."
    return text


def waterfall_table_html(s: Standing | None) -> str:
    """The waterfall's steps as a table (the digest's text beside the chart), or its message."""
    if s is None:
        return ""
    w = s.waterfall
    if w.start_cents is None:
        return f'<p class="rv-muted">{escape(w.message or "")}</p>'
    rows = [("Last week's P50", fmt.dollars(w.start_cents))]
    rows += [(label, ("+" if c >= 0 else "−") + fmt.dollars(abs(c))) for label, c in w.steps]
    rows.append(("This week's P50", fmt.dollars(w.end_cents)))
    return table(pd.DataFrame(rows, columns=["step", "amount"]), [("step", "Forecast", False), ("amount", "", True)])


def changes_html(a: Agenda) -> str:
    """Step 2: per kind (side by side), the count and total, then its biggest deals."""
    parts = []
    for kind in _KIND_TITLES:
        c = a.change_counts[a.change_counts["kind"] == kind].iloc[0]
        head = f"{_KIND_TITLES[kind]}: {int(c['deals']):,} deals, {fmt.money(c['amount_cents'])}"
        block = f'<h3 class="rv-h">{escape(head)}</h3>'
        rows = a.changes[a.changes["kind"] == kind].copy()
        if len(rows):
            rows["amount"] = [fmt.money(v) for v in rows["amount_cents"]]
            rows["moved"] = [f"+{int(d)} d" if pd.notna(d) else "" for d in rows["days_pushed"]]
            cols = [("deal", "Deal", False), ("team", "Team", False)]
            if a.show_money and "rep" in rows.columns:
                cols.append(("rep", "Rep", False))
            cols.append(("amount", "Amount", True))
            if kind == "pushed":
                cols.append(("moved", "Pushed by", True))
            block += table(rows, cols)
        parts.append(f'<div class="rv-col">{block}</div>')
    return f'<div class="rv-cols">{"".join(parts)}</div>'


def movers_html(a: Agenda) -> str:
    """Step 3: who climbed, by how many places (no amounts, never the bottom)."""
    if a.movers_message:
        return f'<p class="rv-muted">{escape(a.movers_message)}</p>'
    rows = a.movers.assign(climbed=[f"▲ {int(p)} places" for p in a.movers["places"]])
    return (
        table(
            rows, [("name", "AE", False), ("team", "Team", False), ("climbed", "Climbed", True), ("rank", "Now", True)]
        )
        + '<p class="rv-muted">Attainment rank among AEs; the place is shown in the top half only.</p>'
    )


def risk_html(a: Agenda) -> str:
    """Step 4: the largest open deals that are stale, pushed twice or past their close date."""
    if a.at_risk.empty:
        return '<p class="rv-muted">No open deal is stale, pushed twice or past its close date.</p>'
    rows = a.at_risk.assign(amount=[fmt.money(v) for v in a.at_risk["amount_cents"]])
    rows["close"] = [f"{d:%d %b %Y}" for d in rows["close"]]
    cols = [("deal", "Deal", False), ("account", "Account", False), ("team", "Team", False)]
    if a.show_money and "rep" in rows.columns:
        cols.append(("rep", "Rep", False))
    cols += [("amount", "Amount", True), ("close", "Expected close", True), ("reasons", "Why", False)]
    return table(rows, cols)


def notes_html(a: Agenda) -> str:
    """Step 5: the team notes, one box each."""
    if not a.notes:
        return '<p class="rv-muted">Nothing to raise: no funnel stall, lead splits even, no tool rated lower.</p>'
    return "".join(f'<div class="rv-note">{escape(n)}</div>' for n in a.notes)


#: Step number -> the function drawing its HTML (step 1's figures; its charts come separately).
STEP_HTML = {1: lambda a: standing_html(a.standing), 2: changes_html, 3: movers_html, 4: risk_html, 5: notes_html}
assert set(STEP_HTML) == {n for n, _ in STEPS}  # noqa: S101 - a module invariant

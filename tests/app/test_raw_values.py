"""AppTest sweep: no page shows "None", "nan", "NaT", a raw id or a snake_case header anywhere a user reads,
and no chart has an x or y axis without a title.

Walks every page (and the views behind its main toggles and selectors), reads every rendered table
(headers as configured, cells, missing-value placeholder), metric (label, value, delta, help) and
caption, and lists every raw value it finds, so one run names all the offenders at once.
"""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT, open_each_tab

RAW_WORDS = re.compile(r"(?<![\w-])(None|nan|NaN|NaT|<NA>)(?![\w-])")
# ids of the demo and of imports: teams T01, reps R0003, survey rounds R20261201-e92c40
RAW_ID = re.compile(r"^(T\d{2}|R\d{4}|R\d{8}-[0-9a-f]+)$")
# a human header starts with a capital, a digit or a symbol, and has no underscore
HUMAN_HEADER = re.compile(r"^[^a-z_][^_]*$")


def _headers(df_el) -> dict[str, str]:
    """Column name -> the header a user sees (configured label or the raw name), visible columns only."""
    config = json.loads(df_el.proto.columns or "{}")
    frame = df_el.value
    order = list(df_el.proto.column_order) or [str(c) for c in frame.columns]
    shown = {}
    for name in order:
        conf = config.get(f"name:{name}") or config.get(name) or {}
        if conf.get("hidden"):
            continue
        shown[name] = conf.get("label") or name
    return shown


def table_problems(df_el, where: str) -> list[str]:
    """Raw headers, raw cells and unplaceholdered missing values of one rendered dataframe."""
    out = []
    frame = df_el.value
    for name, header in _headers(df_el).items():
        if not HUMAN_HEADER.match(str(header)):
            out.append(f"{where}: header {header!r}")
        if name not in frame.columns:
            continue
        col = frame[name]
        if col.isna().any() and not df_el.proto.placeholder:
            out.append(f"{where}: column {header!r} shows missing values as 'None'")
        if col.dtype == object or pd.api.types.is_string_dtype(col):
            # list cells (sparklines) draw a line, where a gap is right for a missing period
            texts = [str(c) for c in col.dropna() if isinstance(c, str)]
            for cell in dict.fromkeys(texts):
                # A column headed "CRM id" (Data health's list to fix) shows ids on purpose, next to the name.
                if RAW_WORDS.search(cell) or (RAW_ID.match(cell) and header != "CRM id"):
                    out.append(f"{where}: column {header!r} cell {cell!r}")
                    break
    return out


def text_problems(at: AppTest, where: str) -> list[str]:
    """Raw words in metrics (label, value, delta, help) and captions."""
    out = []
    for m in at.metric:
        for part in (m.label, m.value, m.proto.delta, m.help):
            if part and RAW_WORDS.search(str(part)):
                out.append(f"{where}: metric {m.label!r} reads {part!r}")
    for c in at.caption:
        if RAW_WORDS.search(c.value):
            out.append(f"{where}: caption {c.value!r}")
    for md in at.markdown:
        if RAW_WORDS.search(md.value):
            out.append(f"{where}: text {md.value!r}")
    return out


def _encodings(spec: dict):
    """Every (channel, encoding) of x and y in a Vega-Lite spec and its layers, concats and facets."""
    for channel in ("x", "y"):
        enc = (spec.get("encoding") or {}).get(channel)
        if isinstance(enc, dict) and enc.get("field"):
            yield channel, enc
    for key in ("layer", "hconcat", "vconcat", "concat"):
        for sub in spec.get(key) or []:
            yield from _encodings(sub)
    if isinstance(spec.get("spec"), dict):
        yield from _encodings(spec["spec"])


def chart_problems(at: AppTest, where: str) -> list[str]:
    """Charts with an x or y axis without a title (Vega-Lite would print the raw field name, or nothing).

    Layers share their axes, and an explicit title on one layer titles the shared axis, so a
    channel passes when any of the chart's layers titles it.
    """
    out = []
    for chart in at.get("vega_lite_chart"):
        spec = json.loads(chart.proto.spec)
        name = spec["title"].get("text") if isinstance(spec.get("title"), dict) else spec.get("title")
        fields: dict[str, list[str]] = {}
        titled: set[str] = set()
        for channel, enc in _encodings(spec):
            if "axis" in enc and enc["axis"] is None:  # axis: null draws no axis and no title
                continue
            fields.setdefault(channel, []).append(enc["field"])
            if enc.get("title") if "title" in enc else (enc.get("axis") or {}).get("title"):
                titled.add(channel)
        for channel in sorted(set(fields) - titled):
            out.append(f"{where}: chart {name or '(untitled)'!r}: {channel} axis {fields[channel]} has no title")
    return out


def sweep(at: AppTest, where: str) -> list[str]:
    """Every problem on the page as currently rendered."""
    assert not at.exception, (where, at.exception)
    out = text_problems(at, where) + chart_problems(at, where)
    for i, df_el in enumerate(at.dataframe):
        out += table_problems(df_el, f"{where} table {i}")
    return out


# (page, [(widget kind, key, value)...]) views to walk besides each page's default
VIEWS = {
    "home": [[], [("selectbox", "grain", "month")], [("selectbox", "grain", "week")]],
    "performance": [[], [("selectbox", "grain", "month")], [("selectbox", "team", "T05")]],
    "leaderboards": [[], [("selectbox", "grain", "month")]],
    "forecasts": [[]],
    "compensation": [[], [("state", "comp_tab", "Per rep")]],
    "tools": [[], [("selectbox", "team", "T05")], [("selectbox", "region", "EMEA")]],
    "data": [[], *[[("selectbox", "data_health_check", c)] for c in ("missing_amount", "no_quota", "quota_no_rep")]],
    "customers": [[]],
}


@pytest.mark.parametrize("page", list(VIEWS))
def test_no_raw_value_reaches_a_page(app_env, page):
    """Every table, metric and caption of every page and its main views reads as a manager expects."""
    problems: list[str] = []
    for view in VIEWS[page]:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
        if page != "home":
            at.switch_page(f"pages/{page}.py").run()
        for kind, key, value in view:
            if kind == "state":  # a tab (bound to the URL), opened as a click would
                at.session_state[key] = value
            else:
                getattr(at, kind)(key=key).set_value(value)
        at.run()
        problems += sweep(at, f"{page}{view or ''}")
        for toggle in at.toggle:
            if toggle.key in ("present",):
                continue
            toggle.set_value(not toggle.value).run()
            problems += sweep(at, f"{page}{view or ''} toggle {toggle.key}")
        if page == "tools":  # its tabs run only when open: sweep each one, in turn
            for tab in open_each_tab(at, "tools_tab"):
                problems += sweep(at, f"{page}{view or ''} tab {tab}")
    assert not problems, "\n".join(dict.fromkeys(problems))

"""User text is text: names from an imported file, a plan name and a round name never render as Markdown links or images."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from salesops import ingest, store
from salesops.comp import plan_format
from salesops.comp import queries as comp_store
from salesops.demo import build_demo
from salesops.tools import rounds
from tests.conftest import ROOT, SEED, TODAY, open_each_tab

EVIL = "![x](https://example.invalid/p.png) [y](https://example.invalid)"
#: What an unescaped link or image of EVIL leaves in Markdown text (escaped text has "\](https\:").
RAW = b"](https://example.invalid"
PAGES = (
    "app.py",
    "pages/performance.py",
    "pages/leaderboards.py",
    "pages/forecasts.py",
    "pages/compensation.py",
    "pages/tools.py",
    "pages/data.py",
)
#: Elements whose content is shown as plain text whatever it holds (dataframes, charts, widget options).
PLAIN = {"arrow_data_frame", "dataframe", "arrow_vega_lite_chart", "vega_lite_chart", "text", "code", "json"}


@pytest.fixture(scope="module")
def evil_store(tmp_path_factory):
    """The demo with a rep, a team and a region named EVIL imported from CSV files, a plan and an open round named EVIL."""
    tmp = tmp_path_factory.mktemp("evil")
    url = f"duckdb:///{tmp / 'evil.duckdb'}"
    engine = store.open_store(url)
    build_demo(engine, seed=SEED, today=TODAY)
    teams = tmp / "teams.csv"
    teams.write_text(f'team_id,name,region\nT01,"{EVIL}","{EVIL}"\n')
    ingest.import_file(engine, "teams", teams)
    reps = tmp / "reps.csv"
    reps.write_text(f'rep_id,name,team_id,role,hire_date\nR0001,"{EVIL}",T01,AE,2020-01-01\n')
    ingest.import_file(engine, "reps", reps)
    base = plan_format.plan_from_json((ROOT / "docs" / "plans" / "split-75-25.json").read_text(), "example")
    comp_store.save_plan(engine, replace(base, name=EVIL))
    opened = rounds.open_round(
        engine, name=EVIL, opens_on=TODAY, closes_on=TODAY + timedelta(days=7), tool_ids=["crm", "dialer"]
    )
    token = opened.link_list["token"].iloc[0]
    engine.dispose()
    return url, token


def _leaves(node):
    children = getattr(node, "children", None)
    if children:
        for child in children.values():
            yield from _leaves(child)
    else:
        yield node


def _offenders(at: AppTest) -> list[str]:
    """Every element (outside dataframes, charts and plain text) whose Markdown carries EVIL unescaped."""
    out = []
    for node in _leaves(at._tree):
        proto = getattr(node, "proto", None)
        if proto is None or node.type in PLAIN:
            continue
        fields = {f.name: v for f, v in proto.ListFields()}
        for plain in ("options", "raw_value", "raw_values", "default"):  # widget options and values: plain text
            fields.pop(plain, None)
        if node.type == "metric":
            fields.pop("body", None)  # a metric's value is drawn as plain text (its label is Markdown)
        if RAW in repr(fields).encode() or RAW in b"".join(v for v in fields.values() if isinstance(v, bytes)):
            out.append(f"{node.type}: {repr(fields)[:200]}")
    return out


def _other_tabs(at: AppTest, script: str):
    """Sales tools runs only its open tab: open each of the others in turn (other pages: none)."""
    if script == "pages/tools.py":
        for tab in open_each_tab(at, "tools_tab"):
            assert not at.exception, (script, tab, at.exception)
            yield tab


def test_the_import_really_stored_the_names(evil_store):
    """The rep, team and region names are in the store exactly as written (so the walk below tests something)."""
    sql = "SELECT r.name, t.name, t.region FROM reps r JOIN teams t USING (team_id) WHERE rep_id = 'R0001'"
    engine = store.open_store(evil_store[0])
    try:
        frame = store.read_frame(engine, sa.text(sql))
    finally:
        engine.dispose()
    assert frame.iloc[0].tolist() == [EVIL, EVIL, EVIL]


@pytest.mark.parametrize("present", [False, True])
def test_no_page_renders_an_imported_name_as_markdown(evil_store, monkeypatch, present):
    """Every page, with and without presentation mode, and team T01 chosen: no link or image of EVIL anywhere."""
    monkeypatch.setenv("SALESOPS_DB_URL", evil_store[0])
    monkeypatch.setenv("SALESOPS_TODAY", TODAY.isoformat())
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    found = {}
    for script in PAGES:
        at.switch_page(script).run()
        if present:
            at.toggle(key="present").set_value(True).run()
        assert not at.exception, (script, at.exception)
        found[script] = _offenders(at)
        found[script] += [o for _ in _other_tabs(at, script) for o in _offenders(at)]
        at.selectbox(key="team").set_value("T01").run()
        found[script] += _offenders(at)
        found[script] += [o for _ in _other_tabs(at, script) for o in _offenders(at)]
        at.selectbox(key="team").set_value("all").run()
    assert found == dict.fromkeys(PAGES, [])


def test_the_survey_form_shows_the_round_name_as_text(evil_store, monkeypatch):
    """The form of a round named EVIL shows the name escaped."""
    monkeypatch.setenv("SALESOPS_DB_URL", evil_store[0])
    monkeypatch.setenv("SALESOPS_TODAY", TODAY.isoformat())
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["token"] = evil_store[1]
    at.run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Tool survey"
    assert any("example\\.invalid" in c.value for c in at.caption)
    assert _offenders(at) == []

"""The app on a store that holds only imported CRM data (no demo): every page runs and shows it."""

from __future__ import annotations

import subprocess
import sys

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.test_app_smoke import PAGES
from tests.conftest import ROOT

FIXTURES = ROOT / "tests" / "fixtures"


@pytest.fixture
def imported_url(tmp_path, monkeypatch):
    """A store built only by `python -m salesops import` of the reps and Salesforce fixture files."""
    url = f"duckdb:///{tmp_path / 'imported.duckdb'}"
    for args in (
        ["reps", str(FIXTURES / "reps.csv")],
        ["deals", str(FIXTURES / "salesforce_opportunities.csv"), "--preset", "salesforce"],
    ):
        res = subprocess.run(
            [sys.executable, "-m", "salesops", "import", *args, "--db", url], cwd=ROOT, capture_output=True, text=True
        )
        assert res.returncode == 0, res.stderr
    monkeypatch.setenv("SALESOPS_DB_URL", url)
    return url


def test_every_page_runs_on_imported_data(imported_url):
    """Imported teams appear in the sidebar and every page runs without an exception."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert "West Enterprise" in [at.selectbox(key="team").format_func(o) for o in at.selectbox(key="team").options]
    for page in PAGES:
        at.switch_page(f"pages/{page}.py").run()
        assert not at.exception, (page, at.exception)


def test_the_home_page_shows_the_imported_wins(imported_url):
    """With the 2025 view, the home page shows the fixture's wins: 48,000 + 12,500.50 + 22,000 + 7,500."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.selectbox(key="grain").set_value("year").run()
    at.selectbox(key="period").set_value("2025").run()
    values = {m.label: m.value for m in at.metric}
    assert values["Won revenue"] == "$90.0k"  # 90,000.50
    assert values["Win rate"] == "57%"  # 4 won ÷ (4 won + 3 lost)

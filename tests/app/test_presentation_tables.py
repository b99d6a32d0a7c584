"""Presentation mode: tables are static text that grows with the large type (st.table), never data grids."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT, open_each_tab

PAGES = ["pages/performance.py", "pages/leaderboards.py", "pages/tools.py", "pages/customers.py"]


@pytest.mark.parametrize("page", PAGES)
def test_presentation_mode_shows_tables_as_text_not_grids(app_env, page):
    """The page has data grids normally; in presentation mode none, the same tables as text, no raw values."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.switch_page(page).run()
    assert len(at.dataframe) > 0
    at.toggle(key="present").set_value(True).run()
    assert not at.exception
    _static_tables_only(at, page)
    if page == "pages/tools.py":  # its tabs run only when open: each one, in turn, has its tables as text
        opened = []
        for tab in open_each_tab(at, "tools_tab"):
            _static_tables_only(at, page)
            opened.append(tab)
        assert opened == ["Tools and performance", "Lead fairness"]  # no Survey rounds on a shared screen


def _static_tables_only(at: AppTest, page: str) -> None:
    """The page as run has tables as text (with no raw values) and no data grid."""
    assert not at.exception, at.exception
    assert len(at.dataframe) == (1 if page == "pages/customers.py" else 0)  # the customers drill-down keeps its picker
    assert len(at.table) > 0
    for table in at.table:
        cells = table.value.astype(str)
        assert not cells.isin(["None", "nan", "NaT", "<NA>"]).any().any()

"""Settings are declared once, read only by salesops/config.py, and documented in README.md."""

from __future__ import annotations

import re

from salesops import config
from tests.conftest import ROOT


def test_every_setting_is_documented_in_the_readme():
    """Each declared setting appears in README.md's settings table with its default."""
    readme = (ROOT / "README.md").read_text()
    for s in config.SETTINGS:
        assert f"`{s.name}`" in readme, s.name


def test_only_config_reads_the_environment():
    """No other library module reads os.environ / os.getenv."""
    for path in (ROOT / "salesops").glob("*.py"):
        if path.name == "config.py":
            continue
        assert not re.search(r"os\.(environ|getenv)", path.read_text()), path.name


def test_today_can_be_pinned(monkeypatch):
    """SALESOPS_TODAY pins 'today' for reproducible views."""
    monkeypatch.setenv("SALESOPS_TODAY", "2025-03-31")
    assert config.today().isoformat() == "2025-03-31"

"""The docs cover what the code offers: every CLI command is in the README, every doc it links exists."""

from __future__ import annotations

import re

from salesops.cli import main as cli
from tests.conftest import ROOT


def _commands() -> list[str]:
    parser = cli.build_parser()
    subs = next(a for a in parser._actions if a.dest == "command")
    return sorted(subs.choices)


def test_every_cli_command_is_in_the_readme():
    """Each `python -m salesops COMMAND` appears in README.md."""
    readme = (ROOT / "README.md").read_text()
    missing = [c for c in _commands() if c not in readme]
    assert not missing, missing


def test_the_readme_opens_with_the_two_commands():
    """README.md's first code block is `make run` and `make test`."""
    head = (ROOT / "README.md").read_text()[:400]
    assert "make run" in head and "make test" in head


def test_every_doc_the_readme_names_exists():
    """docs/*.md and BENCHMARKS.md referenced from the README are files in the repo."""
    readme = (ROOT / "README.md").read_text()
    for name in set(re.findall(r"(docs/[A-Z_]+\.md|BENCHMARKS\.md)", readme)):
        assert (ROOT / name).exists(), name


def test_customer_definitions_are_in_the_customers_doc():
    """docs/CUSTOMERS.md carries each customer definition (the page's help) word for word."""
    from salesops.customers import DEFINITIONS

    doc = (ROOT / "docs" / "CUSTOMERS.md").read_text()
    missing = [name for name, text in DEFINITIONS.items() if text not in doc]
    assert not missing, missing


def test_the_rep_flag_rule_is_in_the_metrics_doc():
    """docs/METRICS.md states the flag rule the page shows, word for word (line breaks aside)."""
    from salesops.leaderboards import FLAG_RULE

    doc = " ".join((ROOT / "docs" / "METRICS.md").read_text().split())
    assert FLAG_RULE in doc

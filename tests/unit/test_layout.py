"""The layout says what the product does: job packages that do not import each other, no Streamlit
in the library, small modules, and docs that name code that exists."""

from __future__ import annotations

import ast
import importlib
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LIB = ROOT / "salesops"
#: One package per job; each may use the shared layer (store, scope, config, …) but no other job.
JOBS = ("performance", "leaderboards", "forecasts", "comp", "tools", "ingest", "customers", "review", "health")
#: Modules allowed past ~400 lines, each with the reason (none today).
LONG_MODULES: dict[str, str] = {}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
            out.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return out


def test_the_library_never_imports_streamlit():
    """Every module of every package under salesops/ imports without loading streamlit."""
    code = textwrap.dedent("""
        import importlib, pkgutil, sys
        import salesops
        for m in pkgutil.walk_packages(salesops.__path__, "salesops."):
            if not m.name.endswith("__main__"):
                importlib.import_module(m.name)
        assert "streamlit" not in sys.modules, [k for k in sys.modules if k.startswith("streamlit")]
    """)
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


@pytest.mark.parametrize("job", [j for j in JOBS if (LIB / j).is_dir()])
def test_a_job_package_does_not_import_another_job(job):
    """salesops/<job>/ uses the shared layer only; what two jobs share lives in salesops/store/ or a small shared module."""
    others = [j for j in JOBS if j != job]
    bad = []
    for path in (LIB / job).rglob("*.py"):
        for name in _imports(path):
            if any(name == f"salesops.{o}" or name.startswith(f"salesops.{o}.") for o in others):
                bad.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not bad, bad


def test_no_library_module_is_over_about_400_lines():
    """Modules of a few hundred lines, each about one thing (exceptions need a reason in LONG_MODULES)."""
    long = {
        str(p.relative_to(ROOT)): n
        for p in LIB.rglob("*.py")
        if (n := len(p.read_text().splitlines())) > 420 and str(p.relative_to(ROOT)) not in LONG_MODULES
    }
    assert not long, long


_PATH = re.compile(r"`((?:salesops|pages|bench|tests)/[\w/]+(?:\.py)?)`")
_NAME = re.compile(r"`(salesops(?:\.\w+)+)`")


@pytest.mark.parametrize("doc", [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))], ids=lambda p: p.name)
def test_docs_name_code_that_exists(doc):
    """Every `salesops/…` path and `salesops.x.y` name a document mentions exists, so docs follow the code."""
    text = doc.read_text()
    missing = [p for p in _PATH.findall(text) if not (ROOT / p).exists()]
    for dotted in _NAME.findall(text):
        parts = dotted.split(".")
        for cut in range(len(parts), 0, -1):
            try:
                obj = importlib.import_module(".".join(parts[:cut]))
            except ImportError:
                continue
            try:
                for attr in parts[cut:]:
                    obj = getattr(obj, attr)
            except AttributeError:
                missing.append(dotted)
            break
        else:
            missing.append(dotted)
    assert not missing, f"{doc.name} names code that does not exist: {missing}"

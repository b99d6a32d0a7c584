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


def test_the_default_duckdb_memory_is_a_sixth_capped_at_2gb_and_the_build_a_quarter_capped_at_4gb(monkeypatch):
    """By hand: 6 GB → 1024MB (build 1536MB); 24 GB → 2048MB cap (build 4096MB cap); 2 GB → 512MB floor."""
    monkeypatch.delenv("SALESOPS_DUCKDB_MEMORY", raising=False)
    for gib, app, build in ((6, "1024MB", "1536MB"), (24, "2048MB", "4096MB"), (2, "512MB", "512MB")):
        monkeypatch.setattr(config, "_total_memory_bytes", lambda g=gib: g * 1024**3)
        assert (config.duckdb_memory_limit(), config.default_duckdb_memory(build=True)) == (app, build)
        assert config.default_duckdb_memory(build=True, scale="medium") == min(
            build, "1024MB", key=lambda v: int(v[:-2])
        )


def test_the_demo_build_takes_its_own_default_unless_the_setting_is_given(monkeypatch):
    """build_memory: unset → the build's default inside, the app's after; set → the user's value throughout."""
    monkeypatch.setattr(config, "_total_memory_bytes", lambda: 24 * 1024**3)
    monkeypatch.delenv("SALESOPS_DUCKDB_MEMORY", raising=False)
    with config.build_memory() as limit:
        assert limit == "4096MB" == config.duckdb_memory_limit()
    assert config.duckdb_memory_limit() == "2048MB"
    with config.build_memory("medium") as limit:  # medium's key indexes need far less (BUILD_CAP_MB)
        assert limit == "1024MB" == config.duckdb_memory_limit()
    assert config.duckdb_memory_limit() == "2048MB"
    monkeypatch.setenv("SALESOPS_DUCKDB_MEMORY", "3GB")
    with config.build_memory() as limit:
        assert limit == "3GB"
    assert config.duckdb_memory_limit() == "3GB"


def test_duckdb_memory_and_threads_come_from_the_settings(monkeypatch):
    """SALESOPS_DUCKDB_MEMORY/THREADS reach every DuckDB connection; unset, a sixth of the machine (512MB–2GB)."""
    import sqlalchemy as sa

    from salesops.store import make_engine

    monkeypatch.delenv("SALESOPS_DUCKDB_MEMORY", raising=False)
    total_mb = config._total_memory_bytes() / 1024**2
    assert config.duckdb_memory_limit() == f"{min(2048, max(512, int(total_mb / 6)))}MB"
    monkeypatch.setattr(config, "_total_memory_bytes", lambda: 1024**3)
    assert config.duckdb_memory_limit() == "512MB"  # a small VM still gets a workable limit
    monkeypatch.setenv("SALESOPS_DUCKDB_MEMORY", "1GB")
    monkeypatch.setenv("SALESOPS_DUCKDB_THREADS", "1")
    engine = make_engine("duckdb:///:memory:")
    with engine.connect() as conn:
        limit, threads = conn.execute(
            sa.text("SELECT current_setting('memory_limit'), current_setting('threads')")
        ).one()
    assert (limit, int(threads)) == ("953.6 MiB", 1)  # 1GB = 10^9 bytes, shown in MiB


def test_bad_duckdb_settings_are_named_with_a_hint(monkeypatch):
    """A memory size without a unit, or zero threads, is a BadSetting saying what to write instead."""
    import pytest

    from salesops.errors import BadSetting

    monkeypatch.setenv("SALESOPS_DUCKDB_MEMORY", "lots")
    with pytest.raises(BadSetting, match="SALESOPS_DUCKDB_MEMORY='lots'") as err:
        config.duckdb_memory_limit()
    assert "2GB" in err.value.hint
    monkeypatch.setenv("SALESOPS_DUCKDB_THREADS", "0")
    with pytest.raises(BadSetting, match="positive whole number"):
        config.duckdb_threads()


def test_the_demo_command_takes_its_review_snapshots_at_the_builds_limit(tmp_path, monkeypatch):
    """`python -m salesops demo` builds and takes the year of review snapshots at the build's DuckDB
    limit (at the app's 2GB the medium demo's snapshots peaked at 2.4 GB; at the build's 1GB, 1.3 GB),
    and leaves the app's limit for what follows. The build itself is stubbed here: the limits are
    what is checked."""
    from datetime import date

    from salesops import demo
    from salesops.cli import review
    from salesops.cli.main import main

    monkeypatch.delenv("SALESOPS_DUCKDB_MEMORY", raising=False)
    seen: dict[str, str] = {}

    def build(engine, seed, scale):
        seen["build"] = config.duckdb_memory_limit()
        return demo.DemoSummary(seed=seed, scale=scale, today=date(2026, 11, 24), counts={})

    def snapshots(engine, today):
        seen["snapshots"] = config.duckdb_memory_limit()
        return 0

    monkeypatch.setattr(demo, "build_demo", build)
    monkeypatch.setattr(review, "take_demo_history", snapshots)
    url = f"duckdb:///{tmp_path / 'demo.duckdb'}"
    assert main(["demo", "--scale", "medium", "--warm", "none", "--db", url]) == 0
    build_limit = config.default_duckdb_memory(build=True, scale="medium")
    assert seen == {"build": build_limit, "snapshots": build_limit}
    assert config.duckdb_memory_limit() == config.default_duckdb_memory()

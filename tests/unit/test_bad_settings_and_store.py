"""Bad settings, out-of-range CLI dates, a damaged store and oversize plan values: error:/hint:, never a traceback."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import duckdb
import pytest

from salesops import config
from salesops.cli.main import main
from salesops.comp.plan import InvalidPlan
from salesops.comp.plan_format import plan_from_json
from salesops.errors import BadSetting

ROOT = Path(__file__).resolve().parents[2]
BLOCK = 262_144  # DuckDB's block size; blocks follow a 3 × 4 KiB header
HEADER = 3 * 4096


@pytest.mark.parametrize(
    ("name", "value", "reader"),
    [
        ("SALESOPS_TODAY", "garbage", config.today),
        ("SALESOPS_TODAY", "9999-12-31", config.today),
        ("SALESOPS_FORECAST_WORKERS", "x", config.forecast_workers),
        ("SALESOPS_FORECAST_WORKERS", "0", config.forecast_workers),
        ("SALESOPS_MAX_UPLOAD_MB", "lots", config.max_upload_mb),
    ],
)
def test_a_bad_setting_raises_a_named_error(monkeypatch, name, value, reader):
    """config's parsers raise BadSetting naming the variable, with a hint."""
    monkeypatch.setenv(name, value)
    with pytest.raises(BadSetting, match=name) as err:
        reader()
    assert err.value.hint


@pytest.mark.parametrize(
    ("env", "argv", "needle"),
    [
        ({"SALESOPS_TODAY": "garbage"}, ["metrics"], "SALESOPS_TODAY"),
        ({"SALESOPS_FORECAST_WORKERS": "x"}, ["info"], "SALESOPS_FORECAST_WORKERS"),
        ({}, ["metrics", "--to", "9999-12-31"], "--to 9999-12-31"),
        ({}, ["metrics", "--from", "2025-02-30"], "--from"),
    ],
)
def test_the_cli_says_error_and_hint_for_bad_settings_and_dates(demo_url, monkeypatch, capsys, env, argv, needle):
    """Each bad setting or date: exit 2, an error: line naming it and a hint: line."""
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    code = main([*argv, "--db", demo_url])
    err = capsys.readouterr().err
    assert code == 2 and needle in err and "hint: " in err and "Traceback" not in err


def damaged_copy(demo_url: str, tmp_path: Path, tables: tuple[str, ...] = ("deals",), prepare=None) -> str:
    """A copy of the demo store with the first data blocks of ``tables`` overwritten.

    ``prepare(url)`` runs on the intact copy first (to add rows the damage should hit).
    """
    src = Path(demo_url.removeprefix("duckdb:///"))
    dst = tmp_path / "damaged.duckdb"
    shutil.copy(src, dst)
    if prepare is not None:
        prepare(f"duckdb:///{dst}")
    con = duckdb.connect(str(dst), read_only=True)
    blocks = [
        con.execute(
            "SELECT DISTINCT block_id FROM pragma_storage_info(?) WHERE block_id >= 0 ORDER BY block_id", [table]
        ).fetchall()
        for table in tables
    ]
    con.close()
    assert all(blocks), f"no data block to damage in {tables}"
    with dst.open("r+b") as f:
        for table_blocks in blocks:
            for (block,) in table_blocks[:3]:
                f.seek(HEADER + block * BLOCK + 64)
                f.write(b"\xa5" * 4096)
    return f"duckdb:///{dst}"


@pytest.mark.store("duckdb")
def test_a_damaged_store_is_named_as_damaged_in_the_cli(demo_url, tmp_path, capsys):
    """A corrupt data block: exit 2, 'the store file is damaged', no SQL, no host/port in the hint."""
    url = damaged_copy(demo_url, tmp_path)
    code = main(["metrics", "--db", url])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "The store file is damaged: restore a backup or rebuild it" in err
    assert "SELECT" not in err and "Traceback" not in err
    assert not re.search(r"\b(host|port|server)\b", err)
    assert url in err  # the store given with --db, not SALESOPS_DB_URL's


def test_a_store_error_names_the_store_given_and_hides_its_password(monkeypatch):
    """explain_error names the engine's store, else the URL given (a command's --db), else
    SALESOPS_DB_URL's, and never shows a password."""
    import duckdb

    from salesops.store import explain_error

    monkeypatch.setenv("SALESOPS_DB_URL", "duckdb:///data/default.duckdb")
    oom = duckdb.OutOfMemoryException("Out of Memory Error: could not allocate block")
    assert (
        "duckdb:///data/other.duckdb ran out of memory" in explain_error(oom, url="duckdb:///data/other.duckdb").message
    )
    assert "duckdb:///data/default.duckdb ran out of memory" in explain_error(oom).message
    server = explain_error(oom, url="postgresql://ops:s3cret@db.example/sales").message
    assert "s3cret" not in server and "ops:***@db.example/sales" in server


def test_a_bad_setting_is_shown_plainly_on_a_page(demo_url, monkeypatch):
    """SALESOPS_TODAY=garbage: the page shows the setting's error and hint, no exception."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("SALESOPS_DB_URL", demo_url)
    monkeypatch.setenv("SALESOPS_TODAY", "garbage")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert any("SALESOPS_TODAY" in e.value for e in at.error)


@pytest.mark.parametrize(
    ("key", "raw"),
    [("base_salary_cents", "1" + "0" * 30), ("target_variable_cents", "9" * 5000), ("base_salary_cents", "1e999")],
)
def test_plan_uploads_with_oversize_values_get_a_message(key, raw):
    """Amounts beyond 10^15 cents, 5,000-digit numbers, 1e999: InvalidPlan, not a traceback."""
    plan = json.loads(
        (ROOT / "docs" / "plans" / sorted(p.name for p in (ROOT / "docs" / "plans").glob("*.json"))[0]).read_text()
    )
    text = json.dumps(plan).replace(f'"{key}": {plan[key]}', f'"{key}": {raw}')
    with pytest.raises(InvalidPlan):
        plan_from_json(text, "upload.json")


def test_a_deeply_nested_plan_gets_a_message():
    """100,000 opening brackets: InvalidPlan (not RecursionError)."""
    with pytest.raises(InvalidPlan, match="nested"):
        plan_from_json("[" * 100_000, "upload.json")

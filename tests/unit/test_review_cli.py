"""`python -m salesops snapshot`: stores the week's figures, refuses a future date with error + hint."""

from __future__ import annotations

from datetime import date

from salesops.cli.main import main
from salesops.review import snapshots
from salesops.store.engine import open_store
from tests.unit.test_review_snapshots import org  # noqa: F401 - the fixture


def _url(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def test_snapshot_stores_the_date_and_the_weeks_before(org, monkeypatch, capsys):  # noqa: F811
    """--as-of 2026-11-15 --weeks 2 stores 8 Nov and 15 Nov."""
    monkeypatch.setenv("SALESOPS_TODAY", "2026-11-16")
    url = _url(org)
    org.dispose()
    assert main(["snapshot", "--as-of", "2026-11-15", "--weeks", "2", "--db", url]) == 0
    assert "as of 2026-11-15 (2 weeks)" in capsys.readouterr().out
    assert snapshots.snapshot_dates(open_store(url)) == [date(2026, 11, 8), date(2026, 11, 15)]


def test_snapshot_defaults_to_yesterday(org, monkeypatch, capsys):  # noqa: F811
    """Run on Monday 16 Nov, the snapshot is of Sunday 15 Nov."""
    monkeypatch.setenv("SALESOPS_TODAY", "2026-11-16")
    url = _url(org)
    org.dispose()
    assert main(["snapshot", "--db", url]) == 0
    assert snapshots.snapshot_dates(open_store(url)) == [date(2026, 11, 15)]


def test_snapshot_of_a_future_date_is_refused(empty_engine, monkeypatch, capsys):
    """A date after today: error and hint, exit 2, nothing stored."""
    monkeypatch.setenv("SALESOPS_TODAY", "2026-11-16")
    url = _url(empty_engine)
    empty_engine.dispose()
    assert main(["snapshot", "--as-of", "2026-12-01", "--db", url]) == 2
    err = capsys.readouterr().err
    assert "error: The snapshot date 2026-12-01 is in the future" in err and "hint:" in err
    assert snapshots.snapshot_dates(open_store(url)) == []


def test_snapshot_with_a_bad_date_or_week_count_is_refused(empty_engine, capsys):
    """--as-of not a date, or --weeks 0: error and hint, exit 2."""
    url = _url(empty_engine)
    assert main(["snapshot", "--as-of", "15/11/2026", "--db", url]) == 2
    assert "is not a date" in capsys.readouterr().err
    assert main(["snapshot", "--weeks", "0", "--db", url]) == 2
    assert "--weeks 0" in capsys.readouterr().err

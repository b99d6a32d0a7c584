"""Answering a survey: links, one submission per link, anonymity, validation, concurrency, new rounds."""

from __future__ import annotations

import threading
from datetime import date, datetime, time, timedelta

import pandas as pd
import pytest
import sqlalchemy as sa

from salesops import store
from salesops.cli import main as cli
from salesops.store import schema
from salesops.tools import answers, rounds
from salesops.tools.survey import Answer, InvalidAnswer, InvalidRound, LinkAlreadyUsed, LinkNotFound, RoundNotOpen
from tests.builders import invites as stored_invites
from tests.conftest import TODAY


def _insert(engine, table, rows):
    store.write(engine, lambda c: store.bulk_insert(c, table, pd.DataFrame(rows)), "test")


def _answers(**change):
    base = dict(satisfaction=4, ease=3, recommend=9, usage="weekly", likes="templates", dislikes="")
    return [Answer(tool_id="crm", **{**base, **change}), Answer(tool_id="dialer", **base)]


def _count(engine, table="survey_responses") -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar_one()  # noqa: S608 - test constant


def _used(engine, token) -> bool:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT used FROM survey_invites WHERE token = :t"), {"t": token}).scalar_one()


@pytest.fixture
def open_engine(empty_engine):
    """Round 'open' (yesterday .. in 5 days, crm + dialer) with 60 links; rounds 'old' (closed) and 'soon'."""
    e = empty_engine
    _insert(e, schema.teams, [dict(team_id=t, name=f"Team {t}", region="R") for t in ("T1", "T2")])
    _insert(
        e,
        schema.reps,
        [
            dict(
                rep_id=f"R{i:02d}",
                name=f"Rep {i}",
                team_id="T1" if i % 2 else "T2",
                role="AE",
                active=i != 3,
                fte=1.0,
                ramp_months=0,
            )
            for i in range(6)
        ],
    )
    _insert(
        e,
        schema.tools,
        [
            dict(tool_id="crm", name="CRM", category="CRM"),
            dict(tool_id="dialer", name="Dialer", category="Dialer"),
            dict(tool_id="video", name="Video", category="Meetings"),
        ],
    )
    rounds = [
        ("open", TODAY - timedelta(days=1), TODAY + timedelta(days=5)),
        ("old", TODAY - timedelta(days=60), TODAY - timedelta(days=30)),
        ("soon", TODAY + timedelta(days=3), TODAY + timedelta(days=9)),
    ]
    _insert(
        e,
        schema.survey_rounds,
        [
            dict(round_id=r, name=f"Round {r}", opens_on=o, closes_on=c, tool_ids='["crm", "dialer"]', anonymous=True)
            for r, o, c in rounds
        ],
    )
    invites = [
        dict(token=f"tok{i:02d}", round_id="open", rep_id=f"R{i:02d}", team_id="T1" if i % 2 else "T2", used=False)
        for i in range(60)
    ]
    invites += [dict(token="old1", round_id="old", rep_id="R01", team_id="T1", used=False)]
    invites += [dict(token="soon1", round_id="soon", rep_id="R01", team_id="T1", used=False)]
    _insert(e, schema.survey_invites, invites)
    return e


def test_a_link_shows_its_round_and_tools_but_not_the_rep(open_engine):
    """The form for a link carries the round's name, close date and tools in order."""
    form = answers.form_for_token(open_engine, " tok01 ")
    assert form.round_id == "open" and form.round_name == "Round open"
    assert [t.name for t in form.tools] == ["CRM", "Dialer"]
    assert not hasattr(form, "rep_id")


def test_submitting_stores_one_row_per_tool_with_the_team_and_no_rep(open_engine):
    """Two tools answered: two rows with the link's team, today's date and random ids; the link is used."""
    assert answers.submit(open_engine, "tok01", _answers()) == 2
    rows = store.read_frame(open_engine, sa.select(schema.survey_responses))
    assert len(rows) == 2 and set(rows["team_id"]) == {"T1"} and set(rows["submitted_on"]) == {TODAY}
    assert "rep_id" not in rows.columns and "token" not in rows.columns
    assert not any("tok01" in rid for rid in rows["response_id"]) and rows["response_id"].is_unique
    assert _used(open_engine, "tok01")


def test_a_second_submission_from_the_same_link_is_refused_and_stores_nothing(open_engine):
    """Reusing a link says it was already used; the answers stay as the first submission left them."""
    answers.submit(open_engine, "tok02", _answers())
    with pytest.raises(LinkAlreadyUsed, match="already used"):
        answers.submit(open_engine, "tok02", _answers(satisfaction=1))
    assert _count(open_engine) == 2
    with pytest.raises(LinkAlreadyUsed):
        answers.form_for_token(open_engine, "tok02")


@pytest.mark.parametrize(
    ("token", "error", "message"),
    [
        ("nope", LinkNotFound, "not valid"),
        ("", LinkNotFound, "not valid"),
        ("old1", RoundNotOpen, "closed on"),
        ("soon1", RoundNotOpen, "opens on"),
    ],
)
def test_unknown_links_and_rounds_that_are_not_open_are_refused(open_engine, token, error, message):
    """An unknown link, a closed round and a round not open yet are each refused with their reason."""
    with pytest.raises(error, match=message):
        answers.submit(open_engine, token, _answers())
    with pytest.raises(error):
        answers.form_for_token(open_engine, token)
    assert _count(open_engine) == 0


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (_answers(satisfaction=9), "from 1 to 5"),
        (_answers(likes="x" * 1001), "limit is 1000"),
        ([Answer("video", 4, 4, 9, "daily")], "does not ask about 'video'"),
        ([Answer("crm", 4, 4, 9, "daily"), Answer("crm", 3, 3, 3, "daily")], "answered twice"),
        ([], "No tool was rated"),
    ],
)
def test_an_invalid_submission_stores_nothing_and_leaves_the_link_usable(open_engine, given, message):
    """Any invalid answer rolls the whole submission back: no rows, link still unused."""
    with pytest.raises(InvalidAnswer, match=message):
        answers.submit(open_engine, "tok03", given)
    assert _count(open_engine) == 0 and not _used(open_engine, "tok03")


def test_submitted_text_is_stored_as_plain_text(open_engine):
    """HTML in a comment is stripped before it is stored."""
    answers.submit(open_engine, "tok04", _answers(likes="<script>x</script>fast <b>search</b>"))
    rows = store.read_frame(open_engine, sa.text("SELECT likes FROM survey_responses WHERE tool_id = 'crm'"))
    assert rows["likes"].tolist() == ["x fast search"]


def test_skipping_a_tool_is_allowed(open_engine):
    """A rep who does not use the dialer can answer about the CRM alone."""
    assert answers.submit(open_engine, "tok05", _answers()[:1]) == 1


def test_stored_answers_keep_neither_the_order_nor_the_time_of_day_of_their_submission(open_engine):
    """Ten links answered one after another: the stored rows come back in another order, and the change log keeps only the day."""
    base = dict(satisfaction=4, ease=3, usage="weekly", likes="", dislikes="")
    before = datetime.now()
    for i in range(10):
        answers.submit(open_engine, f"tok{i:02d}", [Answer(tool_id="crm", recommend=i, **base)])
    after = datetime.now()
    with open_engine.connect() as conn:  # no ORDER BY: the order the store keeps the rows in
        stored = [r.recommend for r in conn.execute(sa.text("SELECT recommend FROM survey_responses"))]
        logged = conn.execute(sa.text("SELECT changed_at FROM changes WHERE what = 'survey answer'")).scalars().all()
    assert sorted(stored) == list(range(10)) and stored != list(range(10))  # 1 in 10! to stay in order by chance
    assert len(logged) == 10
    assert all(t.time() == time(0, 0) and before.date() <= t.date() <= after.date() for t in logged)


def test_fifty_answers_submitted_at_the_same_moment_are_all_stored(open_engine):
    """50 threads, each with its own link, submit at once: 100 rows, 50 used links, no error."""
    barrier = threading.Barrier(50)
    errors: list[BaseException] = []

    def answer(i: int) -> None:
        try:
            barrier.wait()
            answers.submit(open_engine, f"tok{i:02d}", _answers())
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=answer, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert _count(open_engine) == 100
    with open_engine.connect() as conn:
        used = conn.execute(sa.text("SELECT COUNT(*) FROM survey_invites WHERE used")).scalar_one()
        ids = conn.execute(sa.text("SELECT COUNT(DISTINCT response_id) FROM survey_responses")).scalar_one()
    assert used == 50 and ids == 100


def test_the_same_link_submitted_from_many_sessions_at_once_is_stored_once(open_engine):
    """Eight threads race with one link: exactly one succeeds, the others are told it was used."""
    barrier = threading.Barrier(8)
    results: list[object] = []

    def answer() -> None:
        barrier.wait()
        try:
            results.append(answers.submit(open_engine, "tok07", _answers()))
        except LinkAlreadyUsed as exc:
            results.append(exc)

    threads = [threading.Thread(target=answer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(2) == 1
    assert sum(isinstance(r, LinkAlreadyUsed) for r in results) == 7
    assert _count(open_engine) == 2


def test_opening_a_round_creates_one_unique_link_per_active_rep(open_engine):
    """Five of the six reps are active: five links, all different, all unused; teams can be chosen."""
    opened = rounds.open_round(
        open_engine, name="May", opens_on=TODAY, closes_on=TODAY + timedelta(days=7), tool_ids=["crm", "video"]
    )
    assert opened.links == 5
    links = opened.link_list
    assert links["token"].is_unique and len(links) == 5
    assert set(links["rep_id"]) == {"R00", "R01", "R02", "R04", "R05"}  # R03 is inactive
    stored = stored_invites(open_engine, opened.round_id)
    assert set(stored["token"]) == set(links["token"]) and not stored["used"].any()
    with open_engine.connect() as conn:  # the store keeps no rep with a link
        sql = "SELECT COUNT(rep_id) FROM survey_invites WHERE round_id = :r"
        assert conn.execute(sa.text(sql), {"r": opened.round_id}).scalar_one() == 0
    assert links["token"].str.len().min() >= 20  # unguessable
    assert (
        rounds.open_round(
            open_engine, name="T1 only", opens_on=TODAY, closes_on=TODAY, tool_ids=["crm"], team_ids=["T1"]
        ).links
        == 2
    )  # T1 has R01, R03 and R05; R03 is inactive
    form = answers.form_for_token(open_engine, links["token"].iloc[0])
    assert [t.tool_id for t in form.tools] == ["crm", "video"]
    round_list = rounds.load_rounds(open_engine)
    assert set(round_list["status"]) == {"open", "closed", "upcoming"}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(name=" "), "no name"),
        (dict(closes_on=date(2020, 1, 1)), "closes .* before it opens"),
        (dict(tool_ids=[]), "no tool"),
        (dict(tool_ids=["crm", "fax"]), "Unknown tool"),
        (dict(team_ids=["T9"]), "No active rep"),
    ],
)
def test_a_round_with_bad_settings_is_refused(open_engine, kwargs, message):
    """Name, dates, tools and teams of a new round are checked, and nothing is written on refusal."""
    args = {**dict(name="May", opens_on=TODAY, closes_on=TODAY, tool_ids=["crm"]), **kwargs}
    with pytest.raises(InvalidRound, match=message):
        rounds.open_round(open_engine, **args)
    assert _count(open_engine, "survey_rounds") == 3


def test_survey_open_cli_prints_one_link_per_rep(open_engine, capsys):
    """`survey-open` creates the round and prints each rep's link with the base URL."""
    url = open_engine.url.render_as_string(hide_password=False)
    open_engine.dispose()  # the CLI opens the file itself (same process, but keep it simple)
    code = cli.main(["survey-open", "--db", url, "--name", "June", "--tools", "crm", "--base-url", "http://x/"])
    assert code == 0
    out = capsys.readouterr()
    assert "with 5 links" in out.err
    lines = out.out.strip().splitlines()
    assert lines[0].split(",")[-1] == "link" and len(lines) == 6
    assert lines[1].split(",")[-1].startswith("http://x/?token=")


def test_rounds_opened_the_same_day_list_the_last_opened_first(open_engine):
    """Six rounds opening the same day: load_rounds lists them newest-opened first, whatever their random ids."""
    names = [f"Round {i}" for i in range(6)]
    for name in names:
        rounds.open_round(open_engine, name=name, opens_on=TODAY, closes_on=TODAY + timedelta(days=7), tool_ids=["crm"])
    listed = rounds.load_rounds(open_engine)
    same_day = listed[listed["name"].isin(names)]
    assert list(same_day["name"]) == names[::-1]
    assert list(listed.columns) == ["round_id", "name", "opens_on", "closes_on", "links", "answered", "tools", "status"]

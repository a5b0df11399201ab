"""The records layer on SQLite and on a real PostgreSQL server: the same code, the same
migrations, the same results; outages give a clear error and lose nothing."""

from __future__ import annotations

import socket
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from plaibot.feedback import Feedback, FeedbackStore
from plaibot.gaps import GapLog, RecordsGapStorage
from plaibot.records import (
    CONNECT_TIMEOUT_SECONDS,
    Records,
    RecordsUnavailable,
    database_url,
    tables,
)
from tests.services import postgres_server  # noqa: F401 - a fixture


@pytest.fixture(params=["sqlite", "postgresql"])
def records(request, tmp_path):
    if request.param == "sqlite":
        found = Records(database_url(None, tmp_path / "records.sqlite3"))
    else:
        server = request.getfixturevalue("postgres_server")
        found = Records(database_url(server.create_database(f"r{abs(hash(tmp_path))}"), tmp_path))
    yield found
    found.close()


def test_the_migrations_build_exactly_the_schema_in_tables_py(records):
    records.migrate()
    with records.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), tables.metadata) == []
        version = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    assert [row[0] for row in version] == ["0002"]


def test_feedback_behaves_the_same_on_both_engines(records):
    store = FeedbackStore(records)
    first = store.add(Feedback("c1", "Jawaban satu.", "up", comment="bagus", question="Apa?"))
    assert store.add(Feedback("c1", "Jawaban  satu.", "down")) == first  # same answer: updated
    store.add(Feedback("c2", "Answer two.", "down", channel="page"))
    votes = store.export()
    assert [(v["conversation_id"], v["rating"], v["comment"], v["question"]) for v in votes] == [
        ("c1", "down", "bagus", "Apa?"), ("c2", "down", "", "")]
    assert store.count() == 2 and votes[0]["created"] <= votes[0]["updated"]


def test_the_stored_origin_is_the_one_whose_vote_set_the_rating(records):
    store = FeedbackStore(records)
    first = store.add(Feedback("c1", "Jawaban satu.", "up", origin="https://one.example"))
    assert store.add(Feedback("c1", "Jawaban satu.", "down", origin="https://two.example")) == first
    [vote] = store.export()
    assert (vote["rating"], vote["origin"]) == ("down", "https://two.example")


def test_only_a_first_vote_or_a_changed_mind_is_heard_even_at_once(records):
    store = FeedbackStore(records)
    heard = []
    store.listeners.append(lambda vote, replaced: heard.append((vote.rating, replaced)))
    vote = Feedback("c1", "Jawaban satu.", "down", question="Kapan dibuka?")
    again = [vote] * 6 + [replace(vote, comment="kurang lengkap")]  # double clicks, a comment
    with ThreadPoolExecutor(4) as pool:
        ids = set(pool.map(store.add, again))
    ids |= {store.add(replace(vote, rating="up")), store.add(replace(vote, rating="up"))}
    assert heard == [("down", None), ("up", "down")]  # the knowledge gaps count each once
    [row] = store.export()
    assert ids == {row["id"]} and (row["rating"], row["comment"], row["question"]) == (
        "up", "kurang lengkap", "Kapan dibuka?")  # a vote without them keeps both


def test_a_thumbs_down_taken_back_removes_the_newest_gap(records):
    log = GapLog(RecordsGapStorage(records), days=90)
    for confidence in (0.6, 0.7):
        log.thumbs_down("page", "Kapan dibuka?", confidence)
    log.thumbs_down_withdrawn("page", "Kapan dibuka?")
    assert [r.confidence for r in log.records()] == [0.6]


def test_several_processes_migrating_at_once_migrate_once(records):
    others = [Records(records.url.render_as_string(hide_password=False)) for _ in range(4)]
    failures: list[BaseException] = []

    def migrate(target: Records) -> None:
        try:
            target.migrate()
        except BaseException as error:  # noqa: BLE001 - collected for the assertion
            failures.append(error)

    threads = [threading.Thread(target=migrate, args=(other,)) for other in others]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    with records.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
    for other in others:
        other.close()


def test_a_feedback_file_from_before_migrations_is_adopted_with_its_votes(tmp_path):
    path = tmp_path / "feedback.sqlite3"
    with sqlite3.connect(path) as db:  # the schema plaibot wrote by hand until now
        db.execute("""CREATE TABLE feedback (id INTEGER PRIMARY KEY, created TEXT NOT NULL,
            updated TEXT NOT NULL, conversation_id TEXT NOT NULL, answer_key TEXT NOT NULL,
            rating TEXT NOT NULL CHECK (rating IN ('up', 'down')),
            comment TEXT NOT NULL DEFAULT '', question TEXT NOT NULL DEFAULT '',
            answer TEXT NOT NULL, channel TEXT NOT NULL, origin TEXT NOT NULL DEFAULT '',
            UNIQUE (conversation_id, answer_key))""")
        db.execute("INSERT INTO feedback VALUES (7, '2026-11-27T22:30:13+00:00', "
                   "'2026-11-27T22:30:13+00:00', 'old', 'k', 'up', 'lama', '', 'A.', 'api', '')")
    store = FeedbackStore(path)
    store.add(Feedback("new", "B.", "down"))
    assert [(v["id"], v["conversation_id"], v["comment"]) for v in store.export()] == [
        (7, "old", "lama"), (8, "new", "")]


def test_postgresql_going_away_is_a_clear_error_and_loses_nothing(postgres_server, tmp_path,
                                                                  caplog):
    url = database_url(postgres_server.create_database("outage"), tmp_path)
    records = Records(url, retry_seconds=600)
    store = FeedbackStore(records)
    store.add(Feedback("c1", "Jawaban satu.", "up"))
    assert records.problem() is None
    postgres_server.kill()
    try:
        with pytest.raises(RecordsUnavailable, match=r"records database at postgresql\+psycopg"):
            store.add(Feedback("c2", "Jawaban dua.", "down"))
        assert "unavailable" in (records.problem() or "")
        assert "127.0.0.1" not in (records.problem() or "")  # for health: the log has where
        assert "get 503 until it is back" in caplog.text
    finally:
        postgres_server.start()
    # Within retry_seconds of the failure nothing is tried (no connect timeout per request):
    # the database is up again, yet the vote is refused at once.
    with pytest.raises(RecordsUnavailable):
        store.add(Feedback("c3", "Jawaban tiga.", "down"))
    records._retry_at = 0.0  # as when retry_seconds have passed
    # The pool replaces its dead connections: no restart of this process.
    store.add(Feedback("c3", "Jawaban tiga.", "down"))
    assert "is back" in caplog.text
    assert [v["conversation_id"] for v in store.export()] == ["c1", "c3"]
    assert records.problem() is None
    records.close()


def test_a_database_that_never_answers_holds_one_call_for_the_connect_timeout_only():
    with socket.socket() as silent:  # the kernel takes the connection; nothing ever answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        records = Records(f"postgresql+psycopg://u@127.0.0.1:{silent.getsockname()[1]}/p")
        started = time.monotonic()
        assert "unavailable" in (records.problem() or "")
        assert time.monotonic() - started < CONNECT_TIMEOUT_SECONDS + 1  # psycopg's least: 2 s
        started = time.monotonic()
        assert records.problem() and time.monotonic() - started < 0.1  # then refused at once


def test_urls_name_the_driver_and_hide_passwords(tmp_path):
    assert database_url("postgresql://u:secret@db/plaibot", tmp_path) == \
        "postgresql+psycopg://u:secret@db/plaibot"
    assert database_url(None, tmp_path / "f.sqlite3") == f"sqlite:///{tmp_path}/f.sqlite3"
    assert "secret" not in Records("postgresql+psycopg://u:secret@db/plaibot").location()

"""Operations: JSON request logs with request ids, Prometheus metrics, health, feedback."""

import csv
import io
import json
import logging
import multiprocessing
import os
import socket
import sqlite3
import subprocess
import sys
import urllib.request
import uuid

import gradio as gr
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from plaibot import Assistant
from plaibot.embeddings import default_embeddings
from plaibot.feedback import Feedback, FeedbackStore
from plaibot.health import IndexHealth
from plaibot.loaders import discover
from plaibot.logs import JsonFormatter
from plaibot.records import Records, database_url
from plaibot.state import FallbackState, MemoryState, RedisState
from plaibot.store import ChunkStore
from plaibot.web import create_app, page_vote, reply
from tests.conftest import KNOWLEDGE, RATE_WINDOW, a_fresh_rate_window

PARTNER = "https://partner.example"
QUESTION = "Kapan Hetero Space Banyumas dibuka?"


@pytest.fixture(scope="module")
def app(assistant, knowledge_settings, tmp_path_factory):
    settings = knowledge_settings.model_copy(update={
        "allowed_origins": [PARTNER], "rate_limit_per_token": 5, "rate_limit_per_ip": 1000,
        "rate_window_seconds": RATE_WINDOW,
        "feedback_path": tmp_path_factory.mktemp("ops") / "feedback.sqlite3"})
    return create_app(settings, assistant)


@pytest.fixture
def client(app):
    guard = app.state.guard
    guard.per_ip.state = guard.per_token.state = MemoryState()  # no requests counted yet
    a_fresh_rate_window()
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture
def log_lines():
    """The JSON lines plaibot's request and answer loggers write during the test."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    loggers = [logging.getLogger(name) for name in ("plaibot.access", "plaibot.answers")]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    for logger in loggers:
        logger.removeHandler(handler)


def headers_for(client, **extra):
    token = client.post("/api/session", headers={"Origin": PARTNER}).json()["token"]
    return {"Origin": PARTNER, "Authorization": f"Bearer {token}", **extra}


def chat(client, question=QUESTION, headers=None):
    return client.post("/api/chat", json={"question": question},
                       headers=headers or headers_for(client))


# ---- logs ---------------------------------------------------------------------------------

def test_one_json_line_per_request_with_its_id_and_no_conversation_text(client, log_lines):
    response = chat(client)
    assert response.status_code == 200
    lines = [line for line in log_lines() if line["message"] == "request"]
    assert [(line["method"], line["path"]) for line in lines] == [
        ("POST", "/api/session"), ("POST", "/api/chat")]
    line = lines[-1]
    assert line["request_id"] == response.headers["x-request-id"]
    assert line["status"] == 200 and line["duration_ms"] > 0 and line["level"] == "info"
    assert line["outcome"] == "answered" and line["language"] == "id" and line["sources"] >= 1
    assert line["conversation_id"] == response.json()["conversation_id"]
    written = json.dumps(log_lines())
    assert "Hetero" not in written and "Desember" not in written  # nobody's words


def test_conversation_text_is_logged_only_when_opted_in(app, client, log_lines):
    app.state.metrics.log_conversations = True
    try:
        answer = chat(client).json()
    finally:
        app.state.metrics.log_conversations = False
    line = log_lines()[-1]
    assert line["question"] == QUESTION and line["answer"] == answer["text"]


@pytest.mark.parametrize(("offered", "echoed"), [
    ("3f2a9c1e-77aa-4c1e-9d2b-0c5e8f1a2b3c", True), ("req.42:edge/7", True),
    ("two words", False), ("x" * 200, False), ("<script>", False), ("", False)])
def test_request_ids_are_taken_when_sane_and_made_otherwise(client, log_lines, offered, echoed):
    response = client.get("/api/health", headers={"X-Request-ID": offered})
    rid = response.headers["x-request-id"]
    assert (rid == offered) is echoed
    if not echoed:
        assert len(rid) == 32 and int(rid, 16) >= 0  # a fresh uuid4, hex
    assert log_lines()[-1]["request_id"] == rid


def test_page_answers_get_a_line_of_their_own(assistant, app, log_lines):
    text = list(reply(assistant, "Siapa Menteri Ekonomi Kreatif?", [], app.state.metrics))[-1]
    assert "Riefky" in text
    line = log_lines()[-1]
    assert line["message"] == "answer" and line["channel"] == "page"
    assert line["outcome"] == "answered" and "Menteri" not in json.dumps(line)


def test_live_server_logs_json_lines_without_questions(live_server, live_files):
    from gradio_client import Client

    Client(live_server, verbose=False).predict("Siapa Menteri Ekonomi Kreatif?", api_name="/chat")
    urllib.request.urlopen(f"{live_server}/api/health", timeout=10)
    lines = [json.loads(line) for line in live_files["log"].read_text().splitlines() if line]
    assert any(line.get("path") == "/api/health" and line["status"] == 200 for line in lines)
    assert any(line["message"] == "answer" and line["channel"] == "page" for line in lines)
    assert "Menteri" not in live_files["log"].read_text()


# ---- metrics ------------------------------------------------------------------------------

def sample(client, name, **labels):
    text = client.get("/metrics").text
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
    return 0.0


def counters(client) -> dict[str, float]:
    return {
        "answers": sample(client, "plaibot_answers_total", channel="api", language="id"),
        "not_found": sample(client, "plaibot_refusals_total", channel="api", reason="not_found"),
        "invalid": sample(client, "plaibot_refusals_total", channel="api", reason="invalid"),
        "limited": sample(client, "plaibot_rate_limited_total", channel="api"),
        "latency": sample(client, "plaibot_answer_seconds_count", channel="api"),
        "feedback": sample(client, "plaibot_feedback_total", channel="api", rating="up"),
        "errors": sample(client, "plaibot_errors_total", channel="api"),
    }


def test_metrics_count_answers_refusals_limits_feedback_and_errors(app, client, monkeypatch):
    before = counters(client)
    headers = headers_for(client)
    answered = chat(client, headers=headers).json()
    chat(client, "What is the boiling point of water?", headers)
    chat(client, "   ", headers)
    client.post("/api/feedback", headers=headers, json={
        "conversation_id": answered["conversation_id"], "answer": answered["text"], "rating": "up"})
    assert chat(client, headers=headers).status_code == 200  # the token's 5th request
    assert chat(client, headers=headers).status_code == 429  # and its 6th, over the limit
    monkeypatch.setattr(app.state.metrics, "answer", lambda *a: 1 / 0)
    failed = chat(client)
    assert failed.status_code == 500
    assert failed.json()["error"]["request_id"] == failed.headers["x-request-id"]
    assert chat(client).status_code == 500 and client.get("/api/health").status_code == 200
    after = counters(client)
    assert {k: after[k] - before[k] for k in before} == {
        "answers": 2, "not_found": 1, "invalid": 1, "limited": 1, "latency": 3, "feedback": 1,
        "errors": 2}


def test_metrics_report_the_index_size_and_requests_by_route(client, assistant):
    assert sample(client, "plaibot_index_chunks") == assistant.store.count() > 0
    client.get("/api/health")
    assert sample(client, "plaibot_http_requests_total", method="GET", route="/api/health",
                  status="200") >= 1
    client.request("BREW", "/api/health")
    routes = {s.labels.get("method") for f in text_string_to_metric_families(
        client.get("/metrics").text) for s in f.samples}
    assert "BREW" not in routes  # odd methods are counted as "other": labels stay bounded


# ---- health -------------------------------------------------------------------------------

def test_health_reports_index_and_store(client, knowledge_settings):
    body = client.get("/api/health").json()
    assert body["status"] == "ok" and body["chunks"] > 0
    assert body["files"] == len(discover([KNOWLEDGE])[0])
    # Anyone may read it: the folder's name, never its path.
    assert body["store"] == {"kind": "persistent", "name": knowledge_settings.index_dir.name,
                             "collection": knowledge_settings.collection}
    assert body["last_index"]["finished"] and "failed" in body["last_index"]["summary"]


def test_health_is_503_when_the_store_cannot_be_read(client, assistant, monkeypatch):
    def unreachable():
        raise ConnectionError("chroma is down")

    monkeypatch.setattr(assistant.store, "count", unreachable)
    response = client.get("/api/health")
    assert response.status_code == 503
    assert response.json()["status"] == "degraded" and "unreachable" in response.json()["problem"]
    assert client.get("/metrics").status_code == 200  # metrics go on without the store


def test_health_of_an_empty_index_is_degraded(knowledge_settings):
    store = ChunkStore.in_memory(f"empty-{uuid.uuid4().hex[:8]}", default_embeddings())
    healthy, report = IndexHealth(Assistant(knowledge_settings, store=store)).check()
    assert not healthy and report["problem"] == "the index is empty"
    assert report["store"]["kind"] == "memory" and report["last_index"] is None


def test_health_shows_a_chroma_url_without_credentials(knowledge_settings):
    secret = "http://admin:pw@127.0.0.1:9/chroma?token=s3cret"
    store = ChunkStore.remote(secret, "plaibot", default_embeddings(), token="tok3n")
    healthy, report = IndexHealth(Assistant(knowledge_settings, store=store)).check()
    assert not healthy  # nothing listens there
    assert report["store"] == {"kind": "http", "url": "http://127.0.0.1:9/chroma",
                               "collection": "plaibot"}
    assert not any(word in json.dumps(report) for word in ("admin", "pw@", "s3cret", "tok3n"))


def closed_port() -> int:
    """A loopback port nothing listens on (refused at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_a_degraded_health_report_shows_no_user_host_port_or_path(assistant, tmp_path, caplog,
                                                                    engine):
    pg_port, redis_port = closed_port(), closed_port()
    blocker = tmp_path / "a-file-not-a-folder"
    blocker.write_text("")
    url = (database_url(None, blocker / "records" / "feedback.sqlite3") if engine == "sqlite"
           else f"postgresql+psycopg://alice:hunter2@127.0.0.1:{pg_port}/plaibot")
    state = FallbackState(RedisState(f"redis://bob:s3cret@127.0.0.1:{redis_port}/3"))
    health = IndexHealth(assistant, {"records": Records(url), "state": state})
    healthy, report = health.check()
    assert healthy and report["status"] == "degraded"  # it still answers
    assert report["services"]["records"] == {
        "kind": engine, "name": "feedback.sqlite3" if engine == "sqlite" else "plaibot",
        "status": "unavailable", "problem": report["services"]["records"]["problem"]}
    assert report["services"]["state"]["kind"] == "redis"
    assert report["services"]["state"]["name"] == "db 3"
    assert report["services"]["state"]["status"] == "unavailable"
    public = json.dumps([report["services"], report["problem"]])
    assert "records database is unavailable" in public and "Redis is unreachable" in public
    for leak in ("/", "@", "alice", "hunter2", "bob", "s3cret", "127.0.0.1", str(pg_port),
                 str(redis_port), str(tmp_path), blocker.name):
        assert leak not in public, leak
    assert str(tmp_path) not in json.dumps(report) and "alice" not in json.dumps(report)
    # The details reach the server's log instead.
    where = str(blocker) if engine == "sqlite" else f"alice:***@127.0.0.1:{pg_port}/plaibot"
    assert where in caplog.text and f"127.0.0.1:{redis_port}/3" in caplog.text


# ---- feedback -----------------------------------------------------------------------------

def test_feedback_is_validated_token_protected_and_rate_limited(client):
    headers = headers_for(client)
    answer = chat(client, headers=headers).json()  # the token's first request
    vote = {"conversation_id": answer["conversation_id"], "answer": answer["text"],
            "rating": "down"}
    assert client.post("/api/feedback", json=vote, headers={"Origin": PARTNER}).status_code == 401
    for bad in ({"rating": "meh"}, {"comment": "x" * 1001}, {"conversation_id": "a b"},
                {"answer": ""}, {"conversation_id": "x" * 65}):
        response = client.post("/api/feedback", json={**vote, **bad}, headers=headers)
        assert response.status_code == 422 and response.json()["error"]["code"] == "invalid_request"
    made_up = client.post("/api/feedback", json={**vote, "conversation_id": "abc_123"},
                          headers=headers)
    assert made_up.status_code == 404  # no such answer in that conversation
    statuses = [client.post("/api/feedback", json=vote, headers=headers).status_code
                for _ in range(4)]
    assert statuses == [201] * 3 + [429]  # with the question and the made-up vote: 6 > 5


def test_feedback_is_stored_updated_and_exported(app, client):
    headers = headers_for(client)
    answer = chat(client, headers=headers).json()
    vote = {"conversation_id": answer["conversation_id"], "answer": answer["text"],
            "question": QUESTION}
    first = client.post("/api/feedback", json={**vote, "rating": "up"}, headers=headers).json()
    second = client.post("/api/feedback", headers=headers, json={
        **vote, "rating": "down", "comment": "=HYPERLINK(\"http://evil\") kurang lengkap\u0000"})
    assert second.json()["id"] == first["id"]  # the same answer: the vote is updated
    [row] = [r for r in app.state.feedback.export() if r["id"] == first["id"]]
    assert row["rating"] == "down" and row["question"] == QUESTION
    assert row["comment"] == "=HYPERLINK(\"http://evil\") kurang lengkap"  # NUL dropped
    assert row["origin"] == PARTNER and row["channel"] == "api" and "16 Desember" in row["answer"]
    exported = {r["id"]: r for r in csv.DictReader(io.StringIO(app.state.feedback.export_csv()))}
    assert exported[str(first["id"])]["comment"].startswith("'=HYPERLINK")  # no formula


def test_feedback_survives_a_restart_in_wal_mode(tmp_path):
    path = tmp_path / "feedback.sqlite3"
    FeedbackStore(path).add(Feedback("c1", "Jawaban satu.", "up", comment="bagus"))
    reopened = FeedbackStore(path)
    assert [(r["conversation_id"], r["comment"]) for r in reopened.export()] == [("c1", "bagus")]
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def _write_votes(path, worker: int) -> None:
    store = FeedbackStore(path)
    for n in range(40):
        store.add(Feedback(f"w{worker}", f"Jawaban {n}.", "up" if n % 2 else "down"))


def test_feedback_from_several_worker_processes_at_once(tmp_path):
    path = tmp_path / "feedback.sqlite3"
    FeedbackStore(path)
    fork = multiprocessing.get_context("fork")  # the children touch only SQLite
    workers = [fork.Process(target=_write_votes, args=(path, w)) for w in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [w.exitcode for w in workers] == [0, 0, 0, 0]
    assert FeedbackStore(path).count() == 160


def test_feedback_export_from_the_command_line(tmp_path):
    path = tmp_path / "feedback.sqlite3"
    FeedbackStore(path).add(Feedback("c9", "Jawaban.", "down", comment="salah, tahunnya 2023",
                                     question="Kapan dibuka?"))
    env = {**os.environ, "PLAIBOT_FEEDBACK_PATH": str(path)}
    run = [sys.executable, "-m", "plaibot.cli", "feedback", "export"]
    as_json = subprocess.run(run, env=env, capture_output=True, text=True, timeout=300)
    assert as_json.returncode == 0, as_json.stderr
    assert json.loads(as_json.stdout)[0]["comment"] == "salah, tahunnya 2023"
    as_csv = subprocess.run([*run, "--csv"], env=env, capture_output=True, text=True, timeout=300)
    [row] = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert (row["rating"], row["question"]) == ("down", "Kapan dibuka?")
    missing = subprocess.run(run, env={**env, "PLAIBOT_FEEDBACK_PATH": str(tmp_path / "no.db")},
                             capture_output=True, text=True, timeout=300)
    assert missing.returncode == 1 and "no feedback yet" in missing.stderr


# ---- the chat page's thumbs ---------------------------------------------------------------

HISTORY = [{"role": "user", "content": "Kapan dibuka?"},
           {"role": "assistant", "content": [{"type": "text", "text": "Pada 2022. [1]"}]}]


class _Request:
    session_hash = "s3ss10n"


@pytest.mark.parametrize(("index", "liked", "rating"), [
    (1, True, "up"), (1, False, "down"), (1, "Dislike", "down"), (1, None, None),
    (0, True, None), (5, True, None), ([1, 0], True, "up")])
def test_page_like_events_become_votes(index, liked, rating):
    vote = page_vote(HISTORY, gr.LikeData(None, {"index": index, "value": "", "liked": liked}),
                     _Request())
    assert (vote.rating if vote else None) == rating
    if vote:
        assert vote.answer == "Pada 2022. [1]" and vote.question == "Kapan dibuka?"
        assert vote.conversation_id == "page-s3ss10n" and vote.channel == "page"


def test_server_tames_malloc_on_glibc():
    # Per-thread arenas made a server grow about 7 MB per re-index; two arenas hold it flat.
    # A rising mmap threshold kept each retired Chroma client's freed memory in the heap.
    # In a fresh process: here, earlier tests' free heap space could serve the block.
    import platform

    if platform.libc_ver()[0] != "glibc":
        pytest.skip("mallopt is glibc's")
    check = """
import ctypes
from plaibot.web import tame_malloc
assert tame_malloc() is True
class Mallinfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in ("arena", "ordblks", "smblks", "hblks",
                "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]
libc = ctypes.CDLL(None)
libc.mallinfo2.restype = Mallinfo2
bytearray(8 << 20)  # freeing a mapped 8 MB block raises a dynamic threshold past 1 MB
mapped = libc.mallinfo2().hblks
block = bytearray(1 << 20)
assert libc.mallinfo2().hblks == mapped + 1, "a 1 MB block came from the heap"
"""
    done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr

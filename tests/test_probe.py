"""The public server probed as an attacker on the internet would (issue 13).

Each attack an outside probe got through with is replayed against `plaibot serve` started
as `make run` starts it, so none can come back. Every test calls from a loopback address
of its own (127.0.0.N), so no test's requests count against another's rate limit.
"""

from __future__ import annotations

import socket
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from plaibot.answering import Answer, Source
from plaibot.web import format_answer
from tests.conftest import RATE_WINDOW, a_fresh_rate_window, serving

PARTNER, OTHER = "https://partner.example", "https://other.example"
LIMIT = 30  # PLAIBOT_RATE_LIMIT_PER_IP's default, which the probed server keeps
READ_TIMEOUT = 4.0
LIMITED = "Terlalu banyak pertanyaan"  # the chat page's rate-limit reply (Indonesian)


@dataclass
class Probed:
    url: str
    pid: int
    folder: Path

    def client(self, n: int, **kwargs) -> httpx.Client:
        """A client calling from 127.0.0.`n`, an address no other test uses."""
        return httpx.Client(base_url=self.url, timeout=60, **kwargs,
                            transport=httpx.HTTPTransport(local_address=f"127.0.0.{n}"))

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise AssertionError("no VmRSS")


@pytest.fixture(scope="module")
def probed(assistant, knowledge_settings, tmp_path_factory):
    """The server under probe: default limits, except a day-long rate window (begun afresh
    when little of it is left, so none ends mid-test) and a 4 s read deadline (so the
    slow-client probes are quick)."""
    a_fresh_rate_window()
    folder = tmp_path_factory.mktemp("probe")
    env = {"PLAIBOT_INDEX_DIR": str(knowledge_settings.index_dir),
           "PLAIBOT_ALLOWED_ORIGINS": f"{PARTNER},{OTHER}",
           "PLAIBOT_FEEDBACK_PATH": str(folder / "feedback.sqlite3"),
           "PLAIBOT_RATE_WINDOW_SECONDS": str(RATE_WINDOW),
           "PLAIBOT_READ_TIMEOUT_SECONDS": str(READ_TIMEOUT),
           "GRADIO_TEMP_DIR": str(folder / "gradio")}
    with serving(env, folder / "server.log") as (url, process):
        yield Probed(url.replace("localhost", "127.0.0.1"), process.pid, folder)


def token(client: httpx.Client, origin: str = PARTNER) -> dict[str, str]:
    response = client.post("/api/session", headers={"Origin": origin})
    assert response.status_code == 200, response.text
    return {"Origin": origin, "Authorization": f"Bearer {response.json()['token']}"}


def votes(probed: Probed) -> list[tuple]:
    path = probed.folder / "feedback.sqlite3"
    with sqlite3.connect(path) as db:
        return db.execute("SELECT conversation_id, question, answer, origin, rating "
                          "FROM feedback").fetchall()


# ---- 1. the client address ----------------------------------------------------------------

def test_forwarded_for_does_not_choose_the_address_counted(probed):
    # Before: 40 of 40 sessions with X-Forwarded-For 10.0.N.1 got 200 (uvicorn took the
    # header from loopback peers and plaibot counted it).
    with probed.client(11) as client:
        statuses = [client.post("/api/session", headers={
            "Origin": PARTNER, "X-Forwarded-For": f"10.0.{n}.1"}).status_code
            for n in range(LIMIT + 5)]
    assert statuses == [200] * LIMIT + [429] * 5


def test_chat_page_questions_with_rotating_forwarded_for_are_limited(probed):
    # Before: 35 of 35 chat-page questions were answered with a new address each.
    with probed.client(12) as client:
        replies = [client.post("/gradio_api/run/chat", headers={
            "X-Forwarded-For": f"10.1.{n}.1, garbage"},
            json={"data": ["Apa itu PL(AI)GROUND?", None]}).json()["data"][0]
            for n in range(LIMIT + 5)]
    assert [LIMITED in r for r in replies] == [False] * LIMIT + [True] * 5


# ---- 2. memory --------------------------------------------------------------------------

def test_megabyte_headers_are_refused_and_memory_stays_flat(probed):
    # Before: 200 sessions with a distinct 1 MB X-Forwarded-For each took the server from
    # 823 to 1,013 MB, still held after the window.
    before = probed.rss_mb()
    refused = 0
    with probed.client(13) as client:
        for n in range(200):
            try:
                response = client.post("/api/session", headers={
                    "Origin": PARTNER, "X-Forwarded-For": f"{n}-" + "1" * 1_000_000})
                refused += response.status_code == 431
            except httpx.TransportError:  # closed while the header was still being sent
                refused += 1
        assert client.post("/api/session", headers={"Origin": PARTNER}).status_code == 200
    assert refused == 200
    assert probed.rss_mb() - before < 25


# ---- 3. uploads and files ---------------------------------------------------------------

def test_gradio_uploads_are_closed(probed):
    # Before: a 100 MB upload took 0.49 s and 200; it could be downloaded again from
    # /gradio_api/file=...; 40 uploads in a row all got 200.
    before = probed.rss_mb()
    with probed.client(14) as client:
        started = time.perf_counter()
        try:
            big = client.post("/gradio_api/upload", files={
                "files": ("page.html", b"<script>alert(1)</script>" * 4_000_000, "text/html")})
            status = big.status_code
        except httpx.TransportError:  # refused, then cut off while still sending
            status = "closed"
        took = time.perf_counter() - started
        small = [client.post("/gradio_api/upload", files={"files": ("a.txt", b"x" * 1000)})
                 .status_code for _ in range(40)]
    assert status in (404, "closed") and took < 10
    assert small == [404] * 40
    uploads = probed.folder / "gradio"
    assert not uploads.exists() or not any(p.is_file() for p in uploads.rglob("*"))
    assert probed.rss_mb() - before < 25


def test_gradio_file_routes_serve_nothing(probed):
    # A file in Gradio's upload folder, as an earlier upload (or another app) leaves one.
    planted = probed.folder / "gradio" / "0123abcd" / "planted.html"
    planted.parent.mkdir(parents=True, exist_ok=True)
    planted.write_text("<script>alert(1)</script>")
    with probed.client(15) as client:
        for path in (f"/gradio_api/file={planted}", f"/gradio_api/file/{planted}",
                     "/gradio_api/file=/etc/passwd", "/gradio_api/proxy=http://127.0.0.1:1/",
                     "/gradio_api/upload_progress?upload_id=x", "/monitoring",
                     "/gradio_api/runs", "/gradio_api/run-history/records", "/svelte/x.js"):
            assert client.get(path).status_code == 404, path
        for path in ("/gradio_api/component_server", "/gradio_api/process_recording",
                     "/gradio_api/run-history/connect", "/gradio_api/stream/x", "/login",
                     "/gradio_api/vibe-edit"):
            assert client.post(path, json={}).status_code == 404, path
        assert client.get("/").status_code == 200  # the page itself is open


# ---- 3. bodies on every route -----------------------------------------------------------

def test_every_route_refuses_a_huge_body_before_reading_it(probed):
    # Before: 50 MB of JSON to /gradio_api/run/chat was read and parsed (+110 MB).
    before = probed.rss_mb()
    body = b'{"data": ["' + b"a" * 50_000_000 + b'", null]}'
    with probed.client(16) as client:
        started = time.perf_counter()
        declared = client.post("/gradio_api/run/chat", content=body,
                               headers={"Content-Type": "application/json"})
        took = time.perf_counter() - started

        def chunks():  # no Content-Length: counted as it arrives
            for _ in range(100):
                yield b"a" * 65_536

        for path in ("/gradio_api/queue/join", "/api/chat"):
            streamed = client.post(path, content=chunks(),
                                   headers={"Content-Type": "application/json", **token(client)})
            assert streamed.status_code == 413, path
    assert declared.status_code == 413 and declared.json()["error"]["code"] == "body_too_large"
    assert took < 10 and probed.rss_mb() - before < 25


# ---- 4. what health and metrics show ----------------------------------------------------

def test_health_and_metrics_show_no_server_paths(probed, knowledge_settings):
    # Before: /api/health showed the index's absolute path (and a Chroma URL with its
    # credentials: see test_health_shows_a_chroma_url_without_credentials).
    with probed.client(17) as client:
        health = client.get("/api/health")
        metrics = client.get("/metrics").text
    assert health.json()["store"] == {"kind": "persistent", "collection": "plaibot",
                                      "name": knowledge_settings.index_dir.name}
    # The records file by its name (a degraded report: test_operations, no paths either).
    assert health.json()["services"]["records"] == {"kind": "sqlite", "name": "feedback.sqlite3",
                                                    "status": "ok"}
    for text in (health.text, metrics):
        assert str(knowledge_settings.index_dir) not in text and "/tmp/" not in text


# ---- 5. origins, feedback, Markdown, errors ---------------------------------------------

def test_a_chosen_host_header_does_not_make_an_origin_allowed(probed):
    # Before: Host: evil.example with Origin: http://evil.example got a token.
    with probed.client(18) as client:
        forged = client.post("/api/session", headers={"Origin": "http://evil.example",
                                                      "Host": "evil.example"})
        own = client.post("/api/session", headers={"Origin": probed.url})
    assert forged.status_code == 403 and forged.json()["error"]["code"] == "origin_not_allowed"
    assert own.status_code == 200  # where it listens is still its own origin


def test_feedback_only_on_an_answer_given_in_that_conversation(probed):
    # Before: a vote on a conversation that never existed got 201, and a vote from another
    # site overwrote the first while keeping the first site's origin.
    with probed.client(19) as client:
        partner, other = token(client), token(client, OTHER)
        made_up = client.post("/api/feedback", headers=partner, json={
            "conversation_id": "neverexisted1", "answer": "Jawaban palsu", "rating": "down"})
        answer = client.post("/api/chat", headers=partner,
                             json={"question": "Kapan Hetero Space Banyumas dibuka?"}).json()
        vote = {"conversation_id": answer["conversation_id"], "answer": answer["text"],
                "question": "a question never asked"}
        mine = client.post("/api/feedback", headers=partner, json={**vote, "rating": "up"})
        theirs = client.post("/api/feedback", headers=other, json={**vote, "rating": "down"})
        edited = client.post("/api/feedback", headers=partner,
                             json={**vote, "answer": answer["text"] + " (edited)", "rating": "up"})
    assert made_up.status_code == 404 and made_up.json()["error"]["code"] == "answer_not_found"
    assert mine.status_code == 201 and theirs.status_code == 404 and edited.status_code == 404
    [row] = [r for r in votes(probed) if r[0] == answer["conversation_id"]]
    assert row[1] == "Kapan Hetero Space Banyumas dibuka?"  # the question really asked
    assert (row[3], row[4]) == (PARTNER, "up")


def test_page_feedback_cannot_store_a_made_up_answer_under_a_chosen_session(probed):
    # Before: the chat page's feedback route stored this fabricated question and answer
    # under page-victim123.
    history = [{"role": "user", "content": [{"type": "text", "text": "Q made up"}]},
               {"role": "assistant", "content": [{"type": "text", "text": "A made up"}]}]
    with probed.client(20) as client:
        response = client.post("/gradio_api/run/feedback", json={
            "data": [history], "session_hash": "victim123",
            "event_data": {"index": 1, "value": "A made up", "liked": True}})
    assert response.status_code == 200
    assert not [r for r in votes(probed) if "made up" in r[1] + r[2]]


def test_errors_reach_visitors_without_internals(probed):
    # Before: Gradio answered with the handler's name, its components' reprs and the
    # memory addresses of server objects.
    with probed.client(21) as client:
        response = client.post("/gradio_api/run/chat", json={"data": ["only one input"]})
    assert response.status_code >= 400
    assert not any(leak in response.text for leak in ("object at 0x", "gradio.", "respond",
                                                      "Traceback", "Textbox"))


def test_source_titles_addresses_and_dates_cannot_write_markdown():
    # Before: a source's address and date went into the chat page's Markdown as they were.
    evil = Source(1, "Judul](javascript:alert(1)) <img src=x onerror=alert(1)>",
                  "https://example.org/a)(javascript:alert(1)", "2024\n# Heading", "", 1.0)
    script = Source(2, "Klik", "javascript:alert(1)", "", "", 1.0)
    text = format_answer(Answer(text="Jawaban.", sources=[evil, script], language="id",
                                grounded=True, confidence=1.0))
    lines = text.splitlines()
    assert lines[-2] == ("1. [Judul\\]\\(javascript\\:alert\\(1\\)\\) \\<img src\\=x "
                         "onerror\\=alert\\(1\\)\\>](https://example.org/a%29%28javascript:"
                         "alert%281%29) (2024 \\# Heading)")
    assert lines[-1] == "2. Klik"  # not a link: only http(s) addresses become one


# ---- 5. slow clients --------------------------------------------------------------------

def _closed_after(sock: socket.socket, drip: bytes | None, limit: float = 20) -> float:
    """Seconds until the server closes `sock` while it sends `drip` every 0.5 s."""
    started = time.perf_counter()
    sock.settimeout(0.5)
    while time.perf_counter() - started < limit:
        try:
            if drip:
                sock.sendall(drip)
            data = sock.recv(4096)
            if not data or data.startswith(b"HTTP/1.1 408"):
                return time.perf_counter() - started
        except TimeoutError:
            continue
        except OSError:
            return time.perf_counter() - started
    return float("inf")


def test_slow_clients_are_cut_off(probed):
    # Before: a client dripping a header line at a time, and one that sent nothing at all,
    # both held their connection for as long as they liked (40 s and counting).
    host, port = probed.url.removeprefix("http://").split(":")
    opened = []
    for n, (start, drip) in enumerate([
            (b"GET /api/health HTTP/1.1\r\nHost: x\r\n", b"X-Slow: 1\r\n"),  # headers
            (b"", None),  # nothing at all
            (b"POST /api/chat HTTP/1.1\r\nHost: x\r\nContent-Length: 9000\r\n\r\n", b"a")]):
        sock = socket.create_connection((host, int(port)), source_address=(f"127.0.0.{22 + n}", 0))
        opened.append(sock)
        sock.sendall(start)
        assert _closed_after(sock, drip) < READ_TIMEOUT + 3
    for sock in opened:
        sock.close()
    with probed.client(25) as client:  # an ordinary keep-alive client is unaffected
        assert [client.get("/api/health").status_code for _ in range(3)] == [200] * 3


def test_the_read_deadline_spares_idle_keep_alive_and_answering(probed):
    # The deadline is for reading a request: a connection idle between requests (within
    # the server's 15 s keep-alive, `connections.KEEP_ALIVE_SECONDS`) and the time spent
    # answering are not limited by it.
    host, port = probed.url.removeprefix("http://").split(":")
    request = b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n"
    with socket.create_connection((host, int(port)), source_address=("127.0.0.26", 0)) as sock:
        replies = []
        for _ in range(3):
            sock.sendall(request)
            replies.append(_response(sock))
            time.sleep(READ_TIMEOUT / 2 + 0.5)  # idle 5 s in all: longer than the deadline
    assert all(r.startswith(b"HTTP/1.1 200") for r in replies), replies


def _response(sock: socket.socket) -> bytes:
    """One whole HTTP response with a Content-Length, read from `sock`."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65_536) or b"\r\n\r\n"
    head, _, body = data.partition(b"\r\n\r\n")
    length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), 0)
    while len(body) < length:
        chunk = sock.recv(65_536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body

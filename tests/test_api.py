"""The public HTTP API: answers, streaming, and every refusal with its status."""

import json

import pytest
from fastapi.testclient import TestClient

from plaibot import Settings
from plaibot.state import MemoryState
from plaibot.web import create_app
from tests.conftest import RATE_WINDOW, a_fresh_rate_window

PARTNER = "https://partner.example"
OTHER = "https://other-partner.example"


@pytest.fixture(scope="module")
def app(assistant, knowledge_settings):
    settings = knowledge_settings.model_copy(update={
        "allowed_origins": [PARTNER, OTHER], "rate_limit_per_token": 4, "rate_limit_per_ip": 50,
        "rate_window_seconds": RATE_WINDOW, "token_ttl_seconds": 60})
    return create_app(settings, assistant)


@pytest.fixture
def client(app):
    guard = app.state.guard
    fresh = MemoryState()  # each test starts with no requests counted
    guard.per_ip.state = guard.per_token.state = fresh
    a_fresh_rate_window()
    return TestClient(app)


def token_for(client, origin=PARTNER):
    response = client.post("/api/session", headers={"Origin": origin})
    assert response.status_code == 200, response.text
    return response.json()["token"]


def chat(client, token, question="Kapan Hetero Space Banyumas dibuka?", origin=PARTNER, **body):
    headers = {"Origin": origin}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return client.post("/api/chat", json={"question": question, **body}, headers=headers)


def test_chat_answers_with_sources_and_cors(client):
    response = chat(client, token_for(client))
    assert response.status_code == 200
    body = response.json()
    assert body["grounded"] and "16 Desember 2022" in body["text"] and body["language"] == "id"
    assert body["sources"][0]["address"].startswith("https://")
    assert response.headers["access-control-allow-origin"] == PARTNER
    assert PARTNER in response.headers["content-security-policy"]


def test_conversation_id_carries_follow_ups(client):
    token = token_for(client)
    first = chat(client, token, "Ceritakan tentang Hetero Space Banyumas").json()
    follow = chat(client, token, "kapan dibuka?", conversation_id=first["conversation_id"]).json()
    assert follow["conversation_id"] == first["conversation_id"]
    assert "16 Desember 2022" in follow["text"].split(" [")[0]


def test_stream_sends_documented_events(client):
    token = token_for(client)
    response = client.post("/api/chat/stream", json={"question": "Where is Hetero Space Solo?"},
                           headers={"Origin": PARTNER, "Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    frames = [f for f in response.text.split("\n\n") if f.strip()]
    events = [f.split("\n")[0].removeprefix("event: ") for f in frames]
    assert events[0] == "token" and events[-2:] == ["sources", "done"]
    text = "".join(json.loads(f.split("data: ", 1)[1])["text"] for f in frames if "event: token" in f)
    assert "Urip Sumoharjo" in text
    done = json.loads(frames[-1].split("data: ", 1)[1])
    assert done["language"] == "en" and done["conversation_id"]


def test_non_allowed_origin_gets_no_token(client):
    response = client.post("/api/session", headers={"Origin": "https://evil.example"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "origin_not_allowed"
    assert "access-control-allow-origin" not in response.headers
    assert client.post("/api/session").status_code == 403  # no Origin at all


def test_missing_forged_expired_and_cross_origin_tokens(client, app):
    assert chat(client, None).status_code == 401
    token = token_for(client)
    body, signature = token.split(".")
    forged = f"{body[:-2]}xx.{signature}"
    assert chat(client, forged).json()["error"]["code"] == "token_invalid"
    assert chat(client, f"{body}.{signature[:-3]}abc").status_code == 401
    assert chat(client, token, origin=OTHER).json()["error"]["code"] == "token_origin"
    assert chat(client, token, origin=OTHER).status_code == 403
    signer = app.state.guard.tokens
    real_clock = signer.clock
    signer.clock = lambda: real_clock() + 3600
    try:
        expired = chat(client, token)
    finally:
        signer.clock = real_clock
    assert expired.status_code == 401 and expired.json()["error"]["code"] == "token_expired"


def test_oversized_and_empty_questions(client):
    token = token_for(client)
    too_long = chat(client, token, "apa " * 400)
    assert too_long.status_code == 422 and too_long.json()["error"]["code"] == "question_too_long"
    huge = client.post("/api/chat", content=b'{"question": "' + b"a" * 100_000 + b'"}',
                       headers={"Origin": PARTNER, "Authorization": f"Bearer {token}",
                                "Content-Type": "application/json"})
    assert huge.status_code == 413
    assert chat(client, token, "   ").status_code == 422
    assert client.post("/api/chat", content=b"not json", headers={
        "Origin": PARTNER, "Authorization": f"Bearer {token}",
        "Content-Type": "application/json"}).status_code == 422


def test_burst_over_rate_limit_gets_429_then_resets(client, app):
    token = token_for(client)
    statuses = [chat(client, token, "Apa itu PL(AI)GROUND?").status_code for _ in range(6)]
    assert statuses[:4] == [200] * 4 and statuses[4:] == [429, 429]
    limited = chat(client, token, "Apa itu PL(AI)GROUND?")
    assert 1 <= int(limited.headers["retry-after"]) <= RATE_WINDOW
    limiter = app.state.guard.per_token
    real_clock = limiter.clock
    limiter.clock = lambda: real_clock() + RATE_WINDOW + 1
    try:
        assert chat(client, token, "Apa itu PL(AI)GROUND?").status_code == 200
    finally:
        limiter.clock = real_clock


def test_client_ip_behind_trusted_proxies():
    from plaibot.access import client_ip

    assert client_ip("10.0.0.1", "6.6.6.6, 203.0.113.9", 1) == "203.0.113.9"
    assert client_ip("10.0.0.1", "6.6.6.6, 203.0.113.9, 10.0.0.2", 2) == "203.0.113.9"
    assert client_ip("10.0.0.1", "6.6.6.6", 0) == "10.0.0.1"  # no proxy: header ignored
    assert client_ip("10.0.0.1", "[2001:db8::7]:443", 1) == "2001:db8::7"
    assert client_ip("10.0.0.1", "203.0.113.9:8080", 1) == "203.0.113.9"
    # Only an IP is taken from the header; otherwise the request counts as the socket's.
    for forged in ("evil", "x" * 10_000, "1.2.3.4 5.6.7.8", "", ",", "010.0.0.1", "6.6.6.6, ::g"):
        assert client_ip("10.0.0.1", forged, 1) == "10.0.0.1", forged
    assert client_ip("10.0.0.1", "6.6.6.6", 2) == "6.6.6.6"  # a shorter chain: its left end


def test_ipv6_clients_are_counted_by_their_64_network():
    from plaibot.access import rate_key

    assert rate_key("2001:db8:1:2:aaaa::1") == rate_key("2001:db8:1:2:bbbb::9")
    assert rate_key("2001:db8:1:2::1") != rate_key("2001:db8:1:3::1")
    assert rate_key("::ffff:203.0.113.9") == rate_key("203.0.113.9") == "203.0.113.9"


def test_own_origin_comes_from_the_listening_address_not_the_host_header(client):
    from plaibot.access import own_origins

    assert own_origins("127.0.0.1", 7860) == {
        "http://127.0.0.1:7860", "http://localhost:7860", "http://[::1]:7860"}
    assert own_origins("192.0.2.5", 80) == {"http://192.0.2.5:80"}
    forged = client.post("/api/session", headers={"Origin": "http://evil.example",
                                                  "Host": "evil.example"})
    assert forged.status_code == 403


def test_settings_read_allowed_origins_from_a_comma_list(monkeypatch):
    monkeypatch.setenv("PLAIBOT_ALLOWED_ORIGINS", "https://a.example/, https://b.example")
    assert Settings().allowed_origins == ["https://a.example", "https://b.example"]


def test_health_and_openapi(client):
    assert client.get("/api/health").json()["chunks"] > 0
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/chat", "/api/chat/stream", "/api/session", "/api/health"} <= set(paths)


def test_per_ip_limit_applies_across_tokens(client, app):
    limiter = app.state.guard.per_ip
    limiter.limit, original = 3, limiter.limit
    try:
        statuses = [client.post("/api/session", headers={"Origin": PARTNER}).status_code
                    for _ in range(4)]
    finally:
        limiter.limit = original
    assert statuses == [200, 200, 200, 429]


def test_full_queue_gives_503_with_retry_after_and_admitted_questions_are_answered(
        assistant, knowledge_settings):
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from tests.test_admission import WAIT, blocked

    settings = knowledge_settings.model_copy(update={
        "allowed_origins": [PARTNER], "answer_threads": 1, "answer_queue": 2,
        "answer_wait_seconds": 60})
    app = create_app(settings, assistant)
    stage = app.state.stage
    with TestClient(app) as client, ThreadPoolExecutor(2) as pool:
        token = token_for(client)
        gate = blocked(stage)  # the only answering thread is taken
        admitted = [pool.submit(chat, client, token, q) for q in
                    ("Kapan Hetero Space Banyumas dibuka?", "Where is Hetero Space Solo?")]
        while stage.waiting < 2:
            threading.Event().wait(0.01)
        refused = [chat(client, token), client.post(
            "/api/chat/stream", json={"question": "Apa itu PL(AI)GROUND?"},
            headers={"Origin": PARTNER, "Authorization": f"Bearer {token}"})]
        # Refused before anything else is done: no token checked, no body parsed.
        unread = client.post("/api/chat", content=b"{not json", headers={"Origin": PARTNER})
        health = client.get("/api/health")
        assert not any(f.done() for f in admitted)  # refused while the queue stayed full
        gate.set()
        answers = [f.result(WAIT) for f in admitted]
        metrics = client.get("/metrics").text
    for response in [*refused, unread]:
        assert response.status_code == 503 and response.headers["retry-after"] == "1"
        assert response.json()["error"] == {"code": "busy", "retry_after": 1, "message": (
            "plaibot is answering many questions right now; ask again in a moment.")}
        # The partner's widget may read it (CORS) and the page keeps its headers.
        assert response.headers["access-control-allow-origin"] == PARTNER
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-request-id"]
    assert health.status_code == 200
    assert [a.status_code for a in answers] == [200, 200]
    assert "16 Desember 2022" in answers[0].json()["text"]
    assert "Urip Sumoharjo" in answers[1].json()["text"]
    assert 'plaibot_busy_total{channel="api",reason="queue_full"} 3.0' in metrics

"""The HTTP API fuzzed from its own OpenAPI description: no input gives a server error.

Schemathesis generates valid and invalid requests for every operation; each carries a
valid chat token (POST /api/session from an allowed Origin), so the fuzzing reaches the
handlers instead of stopping at the token check. Hypothesis adds hostile headers.
"""

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from plaibot.web import create_app

PARTNER = "https://partner.example"
FUZZ = settings(deadline=None, max_examples=40,
                suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def fuzz_app(assistant, knowledge_settings, tmp_path_factory):
    settings_ = knowledge_settings.model_copy(update={
        "allowed_origins": [PARTNER], "rate_limit_per_token": 100_000,
        "rate_limit_per_ip": 100_000,
        "feedback_path": tmp_path_factory.mktemp("fuzz") / "feedback.sqlite3"})
    return create_app(settings_, assistant)


@pytest.fixture(scope="module")
def token(fuzz_app):
    response = TestClient(fuzz_app).post("/api/session", headers={"Origin": PARTNER})
    assert response.status_code == 200
    return response.json()["token"]


@pytest.fixture(scope="module")
def api_schema(fuzz_app):
    return schemathesis.openapi.from_asgi("/openapi.json", fuzz_app)


OPERATIONS = [("POST", "/api/session"), ("POST", "/api/chat"), ("POST", "/api/chat/stream"),
              ("POST", "/api/feedback"), ("GET", "/api/health"), ("GET", "/metrics")]


def test_the_schema_lists_every_operation_fuzzed_here(api_schema):
    found = {(r.ok().method.upper(), r.ok().path) for r in api_schema.get_all_operations()}
    assert found == set(OPERATIONS)


# Invalid requests can only be made for operations that take a body.
CASES = [(method, path, GenerationMode.POSITIVE) for method, path in OPERATIONS] + [
    ("POST", path, GenerationMode.NEGATIVE) for path in ("/api/chat", "/api/chat/stream",
                                                         "/api/feedback")]


@pytest.mark.parametrize(("method", "path", "mode"), CASES, ids=str)
def test_no_request_gets_a_server_error(api_schema, token, method, path, mode):
    # (schemathesis' own pytest plugin does not yet run under pytest 9.2, so its
    # per-operation strategies are driven by Hypothesis directly)
    headers = {"Origin": PARTNER, "Authorization": f"Bearer {token}"}

    @FUZZ
    @given(case=api_schema[path][method].as_strategy(mode))
    def request_is_handled(case):
        case.call_and_validate(headers=headers,
                               checks=[not_a_server_error, response_schema_conformance])

    request_is_handled()


# Header values a hostile client could send (HTTP headers are latin-1 on the wire).
header_text = st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=80)


@FUZZ
@given(path=st.sampled_from(["/api/session", "/api/chat", "/api/chat/stream", "/api/feedback",
                             "/api/health", "/metrics", "/api/nothing"]),
       origin=st.one_of(st.just(PARTNER), header_text),
       authorization=st.one_of(st.just("token"), header_text),
       request_id=header_text, forwarded=header_text, host=header_text,
       content_type=st.sampled_from(["application/json", "text/plain", "", "multipart/form-data"]),
       body=st.one_of(st.binary(max_size=300),
                      st.just(b'{"question": "Apa itu PL(AI)GROUND?"}'),
                      st.just(b'{"conversation_id": "x", "answer": "a", "rating": "up"}')))
def test_hostile_headers_never_get_a_server_error(fuzz_app, token, path, origin, authorization,
                                                  request_id, forwarded, host, content_type,
                                                  body):
    client = TestClient(fuzz_app, raise_server_exceptions=False)
    headers = {"Origin": origin, "X-Request-ID": request_id, "X-Forwarded-For": forwarded,
               "Content-Type": content_type,
               "Authorization": f"Bearer {token}" if authorization == "token" else authorization}
    if host:
        headers["Host"] = host
    response = client.post(path, content=body,
                           headers={k: v.encode("latin-1") for k, v in headers.items()})
    assert response.status_code < 500, (response.status_code, response.text[:300])
    rid = response.headers["x-request-id"]  # every answer can be found in the logs
    assert rid == request_id or (request_id != rid and len(rid) == 32)

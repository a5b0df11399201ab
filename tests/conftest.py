"""Shared fixtures: a real index of knowledge/ (real model, no fakes), a live server, a browser."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from plaibot import Assistant, Settings

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = ROOT / "knowledge"
SHARED_EVAL = ROOT.parent / "shared" / "eval"


@pytest.fixture(scope="session")
def knowledge_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(knowledge_dir=KNOWLEDGE, index_dir=tmp_path_factory.mktemp("index"))


@pytest.fixture(scope="session")
def assistant(knowledge_settings: Settings) -> Assistant:
    assistant = Assistant(knowledge_settings)
    report = assistant.index()
    assert report.ok, report.failed
    return assistant

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def partner_port() -> int:
    return free_port()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory, partner_port):
    """`plaibot serve` in a subprocess, as `make run` starts it; yields its base URL."""
    port = free_port()
    env = {**os.environ, "PLAIBOT_INDEX_DIR": str(tmp_path_factory.mktemp("web-index")),
           "PLAIBOT_KNOWLEDGE_DIR": str(KNOWLEDGE), "GRADIO_ANALYTICS_ENABLED": "False",
           "PLAIBOT_ALLOWED_ORIGINS": f"http://127.0.0.1:{partner_port}"}
    process = subprocess.Popen(
        [sys.executable, "-m", "plaibot.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://localhost:{port}"
    deadline = time.time() + 180
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"{url}/api/health", timeout=2)
            break
        except OSError:
            if process.poll() is not None:
                pytest.fail(process.stdout.read().decode())
            time.sleep(0.5)
    else:
        process.kill()
        pytest.fail("server did not start")
    yield url
    process.terminate()
    process.wait(timeout=20)


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield browser
        browser.close()

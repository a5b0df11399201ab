"""Shared fixtures: a real index of knowledge/ (real model, no fakes), a live server, a browser."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

from plaibot import Assistant, Settings

# CI replays the same examples every run (a failure there is reproducible, never a dice roll);
# locally Hypothesis explores new ones and keeps what failed in .hypothesis/.
hypothesis_settings.register_profile("ci", derandomize=True, database=None, deadline=None)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = ROOT / "knowledge"
SHARED_EVAL = ROOT.parent / "shared" / "eval"


# Fixtures that start a real server: a test using any of them is marked `servers`, so
# `pytest -m "not servers"` runs only what needs no server.
SERVER_FIXTURES = frozenset({"live_server", "probed", "installed_wheel", "chroma",
                             "redis_server", "postgres_server", "hosts", "model_url"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if SERVER_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.servers)


@pytest.fixture(scope="session")
def knowledge_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(knowledge_dir=KNOWLEDGE, index_dir=tmp_path_factory.mktemp("index"))


@pytest.fixture(scope="session")
def assistant(knowledge_settings: Settings) -> Assistant:
    assistant = Assistant(knowledge_settings)
    report = assistant.index()
    assert report.ok, report.failed
    return assistant

def copy_of_the_index(assistant: Assistant, destination: Path) -> Path:
    """A copy of the session's index of knowledge/ at `destination`, for a server of its own
    to start on: it finds every document indexed instead of embedding knowledge/ again
    (over a CPU minute with multilingual-e5-small)."""
    shutil.copytree(assistant.settings.index_dir, destination)
    return destination


# The live server's staff console password (a test value) and its stored hash.
STAFF_PASSWORD = "plaibot-staff-test-password"
STAFF_HASH = ("scrypt$16384$8$1$oypjkxvNqH4Ll9F8VHNo8A==$"
              "DFLLuM8go4nC5UH/U/cKYdqJfnnkv+N0hRyC59ArfV4=")

def missing(reason: str) -> None:
    """Skip for want of a system package, or fail in CI (`CI` set, as `.ci/run` sets it),
    which installs them: there a skip would pass tests that never ran."""
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"]


def wait_for_url(url: str, process: subprocess.Popen, seconds: float) -> bool:
    """Whether `url` answered within `seconds` (False at once if `process` exits)."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return True
        except OSError:
            if process.poll() is not None:
                return False
            time.sleep(0.3)
    return False


# Rate-limit windows are fixed and aligned to the clock (`plaibot.access.RateLimiter`): a
# test counting requests against a limit runs them in one day-long window, begun afresh
# when too little of it is left, or the count starts again halfway (a CI run failed so).
RATE_WINDOW = 86_400


def a_fresh_rate_window(needed: float = 600) -> None:
    """Wait, if need be, until `needed` seconds are left in the current `RATE_WINDOW`."""
    left = RATE_WINDOW - time.time() % RATE_WINDOW
    if left < needed:
        time.sleep(left + 1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def partner_port() -> int:
    return free_port()


@pytest.fixture(scope="session")
def live_files(tmp_path_factory) -> dict[str, Path]:
    """Where the live server writes its log (JSON lines) and keeps its feedback."""
    folder = tmp_path_factory.mktemp("live")
    return {"log": folder / "server.log", "feedback": folder / "feedback.sqlite3"}


@pytest.fixture(scope="session")
def live_server(assistant, tmp_path_factory, partner_port, live_files):
    """`plaibot serve` in a subprocess, as `make run` starts it; yields its base URL."""
    index = copy_of_the_index(assistant, tmp_path_factory.mktemp("web") / "index")
    env = {"PLAIBOT_INDEX_DIR": str(index),
           "PLAIBOT_ALLOWED_ORIGINS": f"http://127.0.0.1:{partner_port}",
           "PLAIBOT_FEEDBACK_PATH": str(live_files["feedback"]),
           "PLAIBOT_STAFF_PASSWORD": STAFF_HASH}
    with serving(env, live_files["log"]) as (url, _):
        yield url


@contextlib.contextmanager
def serving(env: dict[str, str], log_path: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    """`plaibot serve` on a free loopback port with `env` over the knowledge folder; yields
    its base URL and process, and stops it after."""
    port = free_port()
    env = {**os.environ, "PLAIBOT_KNOWLEDGE_DIR": str(KNOWLEDGE),
           "GRADIO_ANALYTICS_ENABLED": "False", **env}
    # The log goes to a file: a pipe nobody reads fills up and then blocks the server.
    log = log_path.open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "plaibot.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://localhost:{port}"
    # Indexing knowledge/ at start takes minutes when the shared machine is loaded.
    try:
        if not wait_for_url(f"{url}/api/health", process, 480):
            process.kill()
            pytest.fail(log_path.read_text(errors="replace") or "server did not start")
        yield url, process
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        missing("needs Debian's chromium at /usr/bin/chromium (.ci/run installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


AXE = ROOT / "ui" / "node_modules" / "axe-core" / "axe.min.js"


def serious_violations(page, include: str | None = None) -> list[dict]:
    """axe-core's serious and critical WCAG A/AA violations on `page` (within the element
    `include` selects, its shadow root included); skips (fails in CI) when `make ui-deps`
    has not run."""
    if not AXE.exists():
        missing("needs axe-core: `make ui-deps` (npm ci in ui/)")
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("""async (include) => {
        const context = include ? {include: [[include]]} : document;
        const result = await axe.run(context, {resultTypes: ['violations'],
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
        return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map(n => n.target.join(' ') + ': ' + n.failureSummary).slice(0, 5)}));
    }""", include)
    return [v for v in found if v["impact"] in ("serious", "critical")]

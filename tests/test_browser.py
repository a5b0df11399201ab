"""The public chat page in headless Chromium, as a visitor uses it."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import KNOWLEDGE

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium")]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port = free_port()
    env = {**os.environ, "PLAIBOT_INDEX_DIR": str(tmp_path_factory.mktemp("web-index")),
           "PLAIBOT_KNOWLEDGE_DIR": str(KNOWLEDGE), "GRADIO_ANALYTICS_ENABLED": "False"}
    process = subprocess.Popen([sys.executable, "-m", "plaibot.cli", "serve", "--port", str(port)],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
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


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield browser
        browser.close()


def ask(page, question: str) -> None:
    box = page.locator("#plaibot-question textarea")
    box.fill(question)
    box.press("Enter")


@pytest.mark.parametrize(("width", "height"), [(1280, 900), (390, 844)])
def test_visitor_asks_and_sees_a_cited_answer(server, browser, width, height):
    page = browser.new_page(viewport={"width": width, "height": height}, locale="id-ID")
    page.goto(server)
    ask(page, "Kapan Hetero Space Banyumas dibuka?")
    answer = page.locator("#plaibot-chat").get_by_text("16 Desember 2022").first
    answer.wait_for(timeout=60_000)
    chat = page.locator("#plaibot-chat")
    assert "[1]" in chat.inner_text()
    link = chat.locator("a[href^='http']").first
    assert link.get_attribute("href").startswith("https://")
    assert page.evaluate("document.documentElement.scrollWidth") <= width + 1  # no sideways scroll
    if os.environ.get("PLAIBOT_SCREENSHOT_DIR"):
        page.screenshot(path=f"{os.environ['PLAIBOT_SCREENSHOT_DIR']}/chat-{width}.png")
    page.close()


def test_follow_up_and_refusal_in_the_page(server, browser):
    page = browser.new_page(locale="en-US")
    page.goto(server)
    ask(page, "What is the capital of France?")
    page.locator("#plaibot-chat").get_by_text("do not hold the answer").first.wait_for(timeout=60_000)
    page.close()

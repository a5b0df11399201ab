"""The staff console in headless Chromium: log in, upload, see the chat use it, see the
knowledge gaps, remove the upload; and nothing of it without a login."""

from __future__ import annotations

import os
import re

import pytest

from plaibot.embeddings import MODEL_NAME
from tests.conftest import STAFF_PASSWORD
from tests.test_browser import ask
from tests.test_loaders import minimal_pdf

pytestmark = pytest.mark.browser

MARKDOWN = """---
title: "Kelana Robotics Lab <img src=x onerror=\\"window.__xss=1\\">"
language: en
published: "2026-11-30"
sources:
  lab:
    title: "Kelana Robotics Lab opens <script>window.__xss=2</script>"
    url: "https://example.org/kelana-lab"
    date: "2026-11-30"
---

# Kelana Robotics Lab

The Kelana Robotics Lab opened at Hetero Space Solo on 30 November 2026 with twelve robot arms. [^lab]
"""
PDF_TEXT = "Kelana Maker Fair Banyumas is held every March at Hetero Space Banyumas."
# A refused question and its paraphrase in the other language; all-MiniLM-L6-v2 is
# English-only (it groups 4% of the golden set's id/en pairs), so with it the paraphrase
# is an Indonesian one and the other-language grouping waits for a multilingual embedder.
GAP = "Apakah Hetero Space Semarang punya kolam renang?"
PARAPHRASE = ("Apakah ada kolam renang di Hetero Space Semarang?" if MODEL_NAME.startswith(
    "all-MiniLM") else "Does Hetero Space Semarang have a swimming pool?")


REFUSED = re.compile("tidak memuat jawaban|do not hold the answer")


def screenshot(page, name: str) -> None:
    if os.environ.get("PLAIBOT_SCREENSHOT_DIR"):
        page.screenshot(path=f"{os.environ['PLAIBOT_SCREENSHOT_DIR']}/{name}")


def ask_in_new_chat(browser, server: str, question: str, expect: str | re.Pattern) -> None:
    chat = browser.new_page(locale="en-US")
    chat.goto(server)
    ask(chat, question)
    chat.locator("#plaibot-chat").get_by_text(expect).first.wait_for(timeout=60_000)
    assert chat.evaluate("window.__xss") is None
    chat.close()


def test_without_a_login_the_staff_pages_are_closed(live_server, browser):
    page = browser.new_page()
    page.goto(f"{live_server}/staff/")
    assert page.url.endswith("/staff/login")
    assert page.locator("#password").is_visible()
    for path in ("/staff/config", "/staff/gradio_api/info", "/staff/gradio_api/file=/etc/passwd"):
        assert page.request.get(f"{live_server}{path}").status == 401, path
    page.fill("#password", "not the password")
    page.click("button[type=submit]")
    assert "Wrong password" in page.locator("#staff-login-error").inner_text()
    page.close()


def test_staff_upload_chat_gaps_and_removal(live_server, browser, tmp_path):
    markdown = tmp_path / "kelana-lab.md"
    markdown.write_text(MARKDOWN)
    pdf = tmp_path / "kelana-fair.pdf"
    pdf.write_bytes(minimal_pdf(PDF_TEXT))
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.goto(f"{live_server}/staff/login")
    page.fill("#password", STAFF_PASSWORD)
    page.click("button[type=submit]")
    page.locator("#staff-documents").get_by_text("hetero-space-solo.md").filter(
        visible=True).first.wait_for(timeout=60_000)

    page.locator("#staff-upload input[type=file]").set_input_files([markdown, pdf])
    # Gradio shows a file's stem and extension in separate elements.
    page.locator("#staff-upload").get_by_text("kelana-fair").first.wait_for(timeout=30_000)
    page.click("#staff-index")
    report = page.locator("#staff-report textarea")
    page.wait_for_function("() => /2 added/.test(document.querySelector('#staff-report "
                           "textarea').value)", timeout=120_000)
    assert "failed" not in report.input_value().split("\n")[0]
    documents = page.locator("#staff-documents")
    documents.get_by_text("kelana-fair.pdf").filter(visible=True).first.wait_for(timeout=30_000)
    assert "Kelana Robotics Lab <img" in documents.inner_text()  # shown as text, not run
    assert page.evaluate("window.__xss") is None
    screenshot(page, "staff.png")

    ask_in_new_chat(browser, live_server, "When did the Kelana Robotics Lab open?",
                    "30 November 2026")
    for question in (GAP, PARAPHRASE):  # each on its own: not read as a follow-up
        ask_in_new_chat(browser, live_server, question, REFUSED)

    page.get_by_role("tab", name="Knowledge gaps").click()
    page.get_by_role("button", name="Refresh").click()
    gaps = page.locator("#staff-gaps")
    # Gradio's table keeps a hidden copy of its rows to measure them: only visible ones count.
    gaps.get_by_text(PARAPHRASE).filter(visible=True).first.wait_for(timeout=30_000)
    row = gaps.get_by_role("row").filter(has_text=PARAPHRASE).filter(visible=True).first
    assert GAP in row.inner_text() and re.search(r"\b2\b", row.inner_text())
    screenshot(page, "staff-gaps.png")

    page.get_by_role("tab", name="Documents").click()
    for name in ("kelana-lab.md", "kelana-fair.pdf"):
        choice = page.locator("#staff-remove-choice input")
        choice.click()
        page.get_by_role("option", name=re.compile(name)).click()
        page.click("#staff-remove")
        page.wait_for_function(f"() => /removed .*{name}/.test(document.querySelector("
                               "'#staff-report textarea').value)", timeout=60_000)
    assert "kelana-lab.md" not in page.locator("#staff-documents").inner_text()

    ask_in_new_chat(browser, live_server, "When did the Kelana Robotics Lab open?", REFUSED)
    page.click("#staff-logout")
    page.wait_for_url(re.compile(r"/staff/login$"), timeout=30_000)
    assert page.request.get(f"{live_server}/staff/config").status == 401
    page.close()

"""The public chat page in headless Chromium, as a visitor uses it."""

import os

import pytest

from plaibot.i18n import EXAMPLES
from tests.conftest import serious_violations

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(live_server):
    return live_server


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


def test_thumbs_and_a_comment_on_an_answer_are_stored(server, browser, live_files):
    from tests.test_widget import stored_votes

    page = browser.new_page(locale="en-US")
    page.goto(server)
    ask(page, "Where is Hetero Space Solo?")
    page.locator("#plaibot-chat").get_by_text("Urip Sumoharjo").first.wait_for(timeout=60_000)
    before = len(stored_votes(live_files["feedback"], 0, timeout=0))
    page.locator("#plaibot-chat button[aria-label='Like']").last.click()
    comment = page.locator("#plaibot-feedback-comment textarea")
    comment.wait_for(timeout=30_000)  # the comment box opens once the vote is stored
    comment.fill("Jelas dan lengkap")
    comment.press("Enter")
    rows = stored_votes(live_files["feedback"], before + 1)
    vote = next(r for r in rows if r["channel"] == "page" and r["comment"])
    assert (vote["rating"], vote["comment"]) == ("up", "Jelas dan lengkap")
    assert vote["question"] == "Where is Hetero Space Solo?" and "Urip Sumoharjo" in vote["answer"]
    assert vote["conversation_id"].startswith("page-")
    page.close()


@pytest.mark.parametrize(("locale", "language", "welcome"), [
    ("id-ID", "id", "Selamat datang!"), ("en-US", "en", "Welcome!")])
def test_page_welcomes_in_the_visitors_language_and_names_the_ecosystem(
        server, browser, locale, language, welcome):
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale=locale)
    page.goto(server)
    expect(page.locator("#plaibot-chat .examples button")).to_have_text(EXAMPLES[language])
    assert welcome in page.locator("#plaibot-chat .placeholder").inner_text()
    header = page.locator("#plaibot-header").inner_text()
    for name in ("PL(AI)GROUND", "Hetero Space", "Ekraf", "Impala Network"):
        assert name in header
    assert serious_violations(page) == []
    page.close()


def test_a_starter_question_gets_a_cited_answer_with_its_passages_on_demand(server, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 1000}, locale="id-ID")
    page.goto(server)
    page.locator("#plaibot-chat .examples button", has_text="Kapan Hetero Space Banyumas").click()
    toggle = page.locator("#plaibot-chat details summary").first
    toggle.wait_for(timeout=60_000)
    assert toggle.inner_text() == "Kutipan dari sumber"
    answer = page.locator("#plaibot-chat .message.bot").last.inner_text()
    assert "16 Desember 2022" in answer and "[1]" in answer
    passage = page.locator("#plaibot-chat details blockquote").first
    assert not passage.is_visible()
    toggle.focus()
    page.keyboard.press("Enter")
    passage.wait_for()
    assert passage.inner_text().startswith("[1]") and "16 Desember 2022" in passage.inner_text()
    assert serious_violations(page) == []
    if os.environ.get("PLAIBOT_SCREENSHOT_DIR"):
        page.locator("#plaibot-chat .bubble-wrap").evaluate("log => { log.scrollTop = 0; }")
        page.screenshot(path=f"{os.environ['PLAIBOT_SCREENSHOT_DIR']}/chat-page.png")
    page.close()

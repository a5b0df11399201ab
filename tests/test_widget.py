"""The partner widget on a page from another origin, in headless Chromium."""

import functools
import http.server
import json
import threading
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.browser
DEMO = ROOT / "ui" / "demo" / "index.html"
WIDGET = ROOT / "ui" / "widget" / "widget.js"


class _DemoHandler(http.server.BaseHTTPRequestHandler):
    def __init__(self, *args, page: bytes, **kwargs):
        self.page = page
        super().__init__(*args, **kwargs)

    def do_GET(self):  # noqa: N802 - http.server's naming
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(self.page)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def partner_site(live_server, partner_port):
    """The demo partner page on its own origin, loading the widget from plaibot's."""
    page = DEMO.read_text(encoding="utf-8").replace("__PLAIBOT_ORIGIN__", live_server).encode()
    handler = functools.partial(_DemoHandler, page=page)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", partner_port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{partner_port}/"
    server.shutdown()


def host_styles(page):
    return page.evaluate("""() => {
        const s = (sel, prop) => getComputedStyle(document.querySelector(sel))[prop];
        return {button: s('#host-button', 'backgroundColor'), size: s('#host-text', 'fontSize'),
                color: s('#host-text', 'color'), textarea: s('#host-textarea', 'display')};
    }""")


def active_class(page):
    return page.evaluate("""() => {
        const root = document.querySelector('#plaibot-widget').shadowRoot;
        return root.activeElement ? root.activeElement.className : '';
    }""")


def test_partner_page_keyboard_question_streams_cited_answer(browser, partner_site, live_server):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    streams = []
    page.on("response", lambda r: streams.append(r) if r.url.endswith("/api/chat/stream") else None)
    page.goto(partner_site)
    before = host_styles(page)
    launcher = page.locator("button.plaibot-launcher")
    launcher.wait_for()
    assert launcher.get_attribute("aria-label")

    launcher.focus()
    page.keyboard.press("Enter")
    assert page.locator("[role=dialog]").is_visible()
    assert "plaibot-input" in active_class(page)  # focus moved into the dialog

    page.keyboard.type("Kapan Hetero Space Banyumas dibuka?")
    page.keyboard.press("Enter")
    answer = page.locator(".plaibot-msg.plaibot-bot[data-state=done]").last
    answer.wait_for(timeout=60_000)
    assert "16 Desember 2022" in answer.inner_text()
    assert streams and streams[0].headers["content-type"].startswith("text/event-stream")
    link = answer.locator(".plaibot-sources a").first
    assert link.get_attribute("href").startswith("https://")
    assert link.get_attribute("target") == "_blank"
    assert "16 Desember 2022" in page.locator(".plaibot-live").inner_text()

    page.keyboard.press("Escape")
    assert not page.locator("[role=dialog]").is_visible()
    assert "plaibot-launcher" in active_class(page)  # focus came back to the launcher
    assert host_styles(page) == before == {
        "button": "rgb(255, 105, 180)", "size": "22px", "color": "rgb(200, 0, 0)",
        "textarea": "none"}
    if (shots := Path(ROOT / "docs")).exists():
        launcher.click()
        page.screenshot(path=str(shots / "widget.png"))
    page.close()


def test_widget_survives_navigation_and_has_a_js_api(browser, partner_site):
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(partner_site)
    page.locator("button.plaibot-launcher").wait_for()
    page.evaluate("window.plaibot.open()")
    dialog = page.locator("[role=dialog]").bounding_box()
    assert dialog["width"] >= 389 and dialog["height"] >= 843  # full screen on a phone
    page.locator("textarea.plaibot-input").fill("Where is Hetero Space Solo?")
    page.locator("button.plaibot-send").click()
    page.locator(".plaibot-msg.plaibot-bot[data-state=done]").last.wait_for(timeout=60_000)
    page.reload()
    page.locator(".plaibot-msg.plaibot-user").first.wait_for()
    assert "Urip Sumoharjo" in page.locator(".plaibot-msg.plaibot-bot").last.inner_text()
    page.evaluate("window.plaibot.setLanguage('en')")
    assert page.locator("textarea.plaibot-input").get_attribute("placeholder").startswith("Type")
    page.evaluate("window.plaibot.reset()")
    assert page.locator(".plaibot-msg").count() == 0
    page.close()


def test_widget_loader_is_small():
    import gzip

    assert len(gzip.compress(WIDGET.read_bytes(), 9)) < 15 * 1024
    source = WIDGET.read_text()
    for unsafe in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert unsafe not in source


def stored_votes(path, count, timeout=30.0):
    """The feedback rows once `count` of them are stored (the widget posts in the background)."""
    import time

    from plaibot.feedback import FeedbackStore

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = FeedbackStore(path).export() if path.exists() else []
        if len(rows) >= count and all(r["comment"] for r in rows[-1:]):
            return rows
        time.sleep(0.2)
    return FeedbackStore(path).export() if path.exists() else []


def test_widget_feedback_thumbs_and_comment_reach_the_store(browser, partner_site, live_files):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(partner_site)
    page.locator("button.plaibot-launcher").wait_for()
    page.evaluate("window.plaibot.reset(); window.plaibot.setLanguage('id'); window.plaibot.open()")
    page.locator("textarea.plaibot-input").fill("Kapan Hetero Space Banyumas dibuka?")
    page.keyboard.press("Enter")
    answer = page.locator(".plaibot-msg.plaibot-bot[data-state=done]").last
    answer.wait_for(timeout=60_000)
    group = answer.locator("[role=group]")
    assert group.get_attribute("aria-label") == "Apakah jawaban ini membantu?"
    down = group.locator("button.plaibot-down")
    assert down.get_attribute("aria-label") == "Tidak membantu"
    assert down.get_attribute("aria-pressed") == "false"

    down.focus()
    page.keyboard.press("Enter")  # keyboard only
    assert group.locator("button.plaibot-down").get_attribute("aria-pressed") == "true"
    assert "plaibot-" not in active_class(page)  # focus moved to the comment box (no class)
    page.keyboard.type("Kurang lengkap, sebutkan juga wakilnya.")
    page.keyboard.press("Enter")
    group.get_by_text("Terima kasih atas masukan Anda.").wait_for()
    assert "Terima kasih" in page.locator(".plaibot-live").inner_text()

    rows = stored_votes(live_files["feedback"], 1)
    vote = rows[-1]
    assert (vote["rating"], vote["comment"]) == ("down", "Kurang lengkap, sebutkan juga wakilnya.")
    assert vote["question"] == "Kapan Hetero Space Banyumas dibuka?"
    assert "16 Desember 2022" in vote["answer"]
    assert vote["origin"] == partner_site.rstrip("/") and vote["channel"] == "api"
    page.reload()  # the vote is remembered with the conversation
    page.locator(".plaibot-msg.plaibot-bot").last.get_by_text("Terima kasih").wait_for()


def sse(event, data):
    return f"event: {event}\ndata: {json.dumps(data)}\n\n"


def test_widget_replaces_streamed_text_when_the_server_says_so(browser, partner_site):
    """A `replace` event (the quoted answer after a generated one failed its check)
    supersedes the tokens already shown."""
    body = (sse("token", {"text": "Jawaban"}) + sse("token", {"text": " model [9]."})
            + sse("replace", {"text": "Jawaban kutipan [1]."})
            + sse("sources", {"sources": [{"number": 1, "title": "Sumber A",
                                           "address": "https://example.org/a", "date": ""}]})
            + sse("done", {"conversation_id": "c1", "language": "id", "grounded": True}))
    cors = {"Access-Control-Allow-Origin": partner_site.rstrip("/"),
            "Access-Control-Allow-Headers": "Content-Type, Authorization",
            "Access-Control-Allow-Methods": "POST"}

    def answer(route):
        if route.request.method == "OPTIONS":
            route.fulfill(status=204, headers=cors)
        else:
            route.fulfill(status=200, headers={**cors, "Content-Type": "text/event-stream"},
                          body=body)

    page = browser.new_page()
    page.route("**/api/chat/stream", answer)
    page.goto(partner_site)
    page.locator("button.plaibot-launcher").click()
    page.locator("textarea.plaibot-input").fill("Kapan Hetero Space Banyumas dibuka?")
    page.locator("button.plaibot-send").click()
    done = page.locator(".plaibot-msg.plaibot-bot[data-state=done]").last
    done.wait_for(timeout=30_000)
    assert done.locator(".plaibot-text").inner_text() == "Jawaban kutipan [1]."
    assert "Sumber A" in done.inner_text()
    assert page.locator(".plaibot-live").inner_text() == "Jawaban kutipan [1]."
    page.close()


@pytest.mark.parametrize(("lang", "expected"), [("id", "sedang menjawab banyak pertanyaan"),
                                                ("en", "answering a lot of questions")])
def test_widget_says_busy_in_the_visitors_language_on_503(browser, partner_site, lang, expected):
    """The server's 503 busy (every answering thread taken) reads as "try again in a moment"."""
    cors = {"Access-Control-Allow-Origin": partner_site.rstrip("/"),
            "Access-Control-Allow-Headers": "Content-Type, Authorization",
            "Access-Control-Allow-Methods": "POST", "Access-Control-Expose-Headers": "Retry-After"}
    busy = json.dumps({"error": {"code": "busy", "message": "busy", "retry_after": 1}})

    def refuse(route):
        if route.request.method == "OPTIONS":
            route.fulfill(status=204, headers=cors)
        else:
            route.fulfill(status=503, body=busy, headers={
                **cors, "Content-Type": "application/json", "Retry-After": "1"})

    page = browser.new_page()
    page.route("**/api/chat/stream", refuse)
    page.goto(partner_site)
    page.evaluate(f"window.plaibot.setLanguage('{lang}')")
    page.locator("button.plaibot-launcher").click()
    page.locator("textarea.plaibot-input").fill("Apa itu PL(AI)GROUND?")
    page.locator("button.plaibot-send").click()
    error = page.locator(".plaibot-msg.plaibot-bot[data-state=error] .plaibot-error").last
    error.wait_for(timeout=30_000)
    assert expected in error.inner_text()
    page.close()

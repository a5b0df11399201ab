"""The partner widget on a page from another origin, in headless Chromium."""

import functools
import http.server
import json
import os
import threading

import pytest

from tests.conftest import ROOT, serious_violations

pytestmark = pytest.mark.browser
DEMO = ROOT / "ui" / "demo" / "index.html"
PARTNER = ROOT / "ui" / "demo" / "partner.html"  # the widget with a partner's options
WIDGET = ROOT / "ui" / "widget" / "widget.js"


class _DemoHandler(http.server.BaseHTTPRequestHandler):
    def __init__(self, *args, pages: dict[str, bytes], **kwargs):
        self.pages = pages
        super().__init__(*args, **kwargs)

    def do_GET(self):  # noqa: N802 - http.server's naming
        page = self.pages.get(self.path.split("?")[0])
        self.send_response(200 if page else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(page or b"not found")

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def partner_pages(live_server) -> dict[str, bytes]:
    """The pages the partner site serves, by path; "/" is the demo page."""
    return {f"/{page.name}" if page is PARTNER else "/":
            page.read_text(encoding="utf-8").replace("__PLAIBOT_ORIGIN__", live_server).encode()
            for page in (DEMO, PARTNER)}


@pytest.fixture(scope="module")
def partner_site(partner_pages, partner_port):
    """The demo partner page on its own origin, loading the widget from plaibot's."""
    handler = functools.partial(_DemoHandler, pages=partner_pages)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", partner_port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{partner_port}/"
    server.shutdown()


@pytest.fixture
def partner_page(partner_pages, partner_site):
    """A URL of the demo page whose widget tag carries `attributes` instead of data-lang."""
    def page(attributes: str) -> str:
        path = f"/variant-{len(partner_pages)}"
        demo = partner_pages["/"].decode()
        partner_pages[path] = demo.replace('data-lang="id"', attributes).encode()
        return partner_site.rstrip("/") + path
    return page


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
    if folder := os.environ.get("PLAIBOT_SCREENSHOT_DIR"):  # docs/ for the README
        launcher.click()
        page.screenshot(path=f"{folder}/widget.png")
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

    assert len(gzip.compress(WIDGET.read_bytes(), 9)) <= 12 * 1024
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


def fake_stream(page, partner_site, body, status=200, headers=None):
    """Answer the widget's `/api/chat/stream` on `page` with `body` (and its CORS
    preflight) as plaibot's origin would, without asking the answerer."""
    cors = {"Access-Control-Allow-Origin": partner_site.rstrip("/"),
            "Access-Control-Allow-Headers": "Content-Type, Authorization",
            "Access-Control-Allow-Methods": "POST", "Access-Control-Expose-Headers": "Retry-After"}

    def answer(route):
        if route.request.method == "OPTIONS":
            route.fulfill(status=204, headers=cors)
        else:
            route.fulfill(status=status, body=body, headers={
                **cors, "Content-Type": "text/event-stream", **(headers or {})})

    page.route("**/api/chat/stream", answer)


def test_widget_replaces_streamed_text_when_the_server_says_so(browser, partner_site):
    """A `replace` event (the quoted answer after a generated one failed its check)
    supersedes the tokens already shown."""
    body = (sse("token", {"text": "Jawaban"}) + sse("token", {"text": " model [9]."})
            + sse("replace", {"text": "Jawaban kutipan [1]."})
            + sse("sources", {"sources": [{"number": 1, "title": "Sumber A",
                                           "address": "https://example.org/a", "date": ""}]})
            + sse("done", {"conversation_id": "c1", "language": "id", "grounded": True}))
    page = browser.new_page()
    fake_stream(page, partner_site, body)
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


# Source fields as a poisoned document could make them (`answering.Source`, as the API sends it)
HOSTILE_SOURCES = [
    {"number": 1, "title": '<img src=x onerror="window.pwned=1">',
     "address": "javascript:window.pwned=2", "date": '<b onmouseover="window.pwned=3">2026</b>',
     "snippet": "<script>window.pwned=4</script> Hetero Space <i>Solo</i>", "score": 0.9},
    {"number": 2, "title": '<a href="javascript:window.pwned=5">Sumber B</a>',
     "address": "https://example.org/b", "date": "2026-12-01",
     "snippet": "<svg onload=\"window.pwned=6\"></svg>", "score": 0.8}]


def test_hostile_source_fields_show_as_text_and_only_http_addresses_are_links(
        browser, partner_site):
    """Markup in a source's title, passage or date, opened by keyboard in the quote view and
    in the source list, is shown literally and runs nothing; a `javascript:` address is shown
    as text, never linked."""
    body = (sse("token", {"text": "Jawaban [1] dan [2]."})
            + sse("sources", {"sources": HOSTILE_SOURCES})
            + sse("done", {"conversation_id": "c1", "language": "id", "grounded": True}))
    page = browser.new_page()
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    fake_stream(page, partner_site, body)
    page.goto(partner_site)
    page.locator("button.plaibot-launcher").click()
    page.locator("textarea.plaibot-input").fill("Di mana Hetero Space Solo?")
    page.keyboard.press("Enter")
    answer = page.locator(".plaibot-msg.plaibot-bot[data-state=done]").last
    answer.wait_for(timeout=30_000)

    for source in HOSTILE_SOURCES:
        cite = answer.locator(".plaibot-text .plaibot-cite", has_text=f"[{source['number']}]")
        cite.focus()
        page.keyboard.press("Enter")
        quote = answer.locator("figure.plaibot-quote")
        assert quote.locator("blockquote").inner_text() == source["snippet"]
        caption = quote.locator("figcaption").inner_text()
        assert source["title"] in caption and f"({source['date']})" in caption
        links = quote.locator("a")
        if source["address"].startswith("https://"):
            assert links.get_attribute("href") == source["address"]
            assert links.inner_text() == source["title"]
        else:  # not a link: the address is shown beside the title
            assert links.count() == 0 and source["address"] in caption
    listed = answer.locator(".plaibot-sources").inner_text()
    assert all(s["title"] in listed for s in HOSTILE_SOURCES)
    hrefs = page.locator("#plaibot-widget a").evaluate_all("as => as.map(a => a.href)")
    assert hrefs and all(h == "https://example.org/b" for h in hrefs)
    assert answer.locator("img, script, svg:not([aria-hidden]), b, i").count() == 0
    page.wait_for_timeout(300)  # an <img src=x> would have failed to load by now
    assert page.evaluate("window.pwned") is None and dialogs == []
    page.close()


@pytest.mark.parametrize(("lang", "expected"), [("id", "sedang menjawab banyak pertanyaan"),
                                                ("en", "answering a lot of questions")])
def test_widget_says_busy_in_the_visitors_language_on_503(browser, partner_site, lang, expected):
    """The server's 503 busy (every answering thread taken) reads as "try again in a moment"."""
    busy = json.dumps({"error": {"code": "busy", "message": "busy", "retry_after": 1}})
    page = browser.new_page()
    fake_stream(page, partner_site, busy, status=503,
                headers={"Content-Type": "application/json", "Retry-After": "1"})
    page.goto(partner_site)
    page.evaluate(f"window.plaibot.setLanguage('{lang}')")
    page.locator("button.plaibot-launcher").click()
    page.locator("textarea.plaibot-input").fill("Apa itu PL(AI)GROUND?")
    page.locator("button.plaibot-send").click()
    error = page.locator(".plaibot-msg.plaibot-bot[data-state=error] .plaibot-error").last
    error.wait_for(timeout=30_000)
    assert expected in error.inner_text()
    page.close()


def widget_shot(page, name):
    """With PLAIBOT_SCREENSHOT_DIR set (docs/ for the README), the open widget as a picture."""
    if folder := os.environ.get("PLAIBOT_SCREENSHOT_DIR"):
        page.evaluate("""() => {  // the question at the top of the conversation
            const root = document.querySelector('#plaibot-widget').shadowRoot;
            const log = root.querySelector('.plaibot-log');
            log.scrollTop = root.querySelector('.plaibot-user').offsetTop - log.offsetTop - 12;
        }""")
        page.screenshot(path=f"{folder}/{name}", clip={"x": 0, "y": 0, "width": 900, "height": 900})


def widget_style(page, selector, prop):
    return page.evaluate("""([selector, prop]) => getComputedStyle(document.querySelector(
        '#plaibot-widget').shadowRoot.querySelector(selector))[prop]""", [selector, prop])


def test_partner_options_show_and_a_starter_question_gets_a_cited_answer(
        browser, partner_site, live_server):
    page = browser.new_page(viewport={"width": 1280, "height": 900}, color_scheme="light")
    requests = []
    page.on("request", lambda r: requests.append(r.url) if r.url.startswith(live_server) else None)
    page.goto(partner_site + PARTNER.name)
    launcher = page.locator("button.plaibot-launcher")
    launcher.wait_for()
    page.wait_for_load_state("networkidle")
    assert requests == [f"{live_server}/widget.js"]  # nothing but the script before opening
    assert launcher.bounding_box()["x"] < 40  # bottom-left
    assert widget_style(page, ".plaibot-launcher", "backgroundColor") == "rgb(122, 31, 92)"

    launcher.click()
    dialog = page.locator("[role=dialog]")
    assert dialog.bounding_box()["x"] < 40
    assert page.locator(".plaibot-title").inner_text() == "Tanya Komunitas"
    assert "Selamat datang di Komunitas" in page.locator(".plaibot-empty").inner_text()
    starters = page.locator(".plaibot-starters button")
    assert starters.all_inner_texts() == ["Kapan Hetero Space Banyumas dibuka?",
                                          "Apa itu PL(AI)GROUND?"]
    page.evaluate("window.plaibot.setLanguage('en')")
    assert starters.all_inner_texts() == ["Where is Hetero Space Solo?", "What is PL(AI)GROUND?"]
    assert "Welcome to Komunitas" in page.locator(".plaibot-empty").inner_text()
    page.evaluate("window.plaibot.setLanguage('id')")

    starters.first.focus()
    page.keyboard.press("Enter")
    answer = page.locator(".plaibot-msg.plaibot-bot[data-state=done]").last
    answer.wait_for(timeout=60_000)
    asked = page.locator(".plaibot-msg.plaibot-user").last.inner_text()
    assert asked == "Kapan Hetero Space Banyumas dibuka?"
    assert "16 Desember 2022" in answer.inner_text()
    assert starters.count() == 0  # only in an empty conversation
    assert widget_style(page, ".plaibot-user", "backgroundColor") == "rgb(122, 31, 92)"
    answer.locator(".plaibot-text .plaibot-cite").first.click()
    answer.locator(".plaibot-quote").wait_for()
    assert serious_violations(page, "#plaibot-widget") == []  # light, partner colour, quote open
    widget_shot(page, "widget-light.png")
    page.close()


def test_a_citation_opens_its_passage_by_keyboard(browser, partner_site):
    page = browser.new_page(viewport={"width": 1280, "height": 900}, color_scheme="dark")
    page.goto(partner_site + PARTNER.name)
    page.locator("button.plaibot-launcher").click()
    page.locator(".plaibot-starters button").first.click()
    answer = page.locator(".plaibot-msg.plaibot-bot[data-state=done]").last
    answer.wait_for(timeout=60_000)
    cite = answer.locator(".plaibot-text .plaibot-cite").first
    assert cite.inner_text() == "[1]" and cite.get_attribute("aria-expanded") == "false"
    assert answer.locator(".plaibot-quote").count() == 0

    cite.focus()
    page.keyboard.press("Enter")
    quote = answer.locator("figure.plaibot-quote")
    quote.wait_for()
    passage = quote.locator("blockquote").inner_text()
    assert "16 Desember 2022" in passage
    link = quote.locator("figcaption a")
    source = answer.locator(".plaibot-sources li").first
    assert link.get_attribute("href") == source.locator("a").get_attribute("href")
    assert link.inner_text() == source.locator("a").inner_text()
    assert "(2022-12-16)" in quote.locator("figcaption").inner_text()
    # the quote is between the answer text and the source list, which stays
    boxes = [answer.locator(f".plaibot-{part}").bounding_box()["y"]
             for part in ("text", "quote", "sources")]
    assert boxes == sorted(boxes)
    assert cite.get_attribute("aria-expanded") == "true"  # the redrawn [1]
    assert "plaibot-cite" in active_class(page)  # focus stayed on [1]
    assert serious_violations(page, "#plaibot-widget") == []  # dark, partner colour, quote open
    widget_shot(page, "widget-dark.png")
    page.keyboard.press("Space")
    assert answer.locator(".plaibot-quote").count() == 0
    page.close()


@pytest.mark.parametrize(("scheme", "attributes", "dark"), [
    ("dark", 'data-lang="en"', True),
    ("dark", 'data-lang="en" data-theme="light"', False),
    ("light", 'data-lang="en" data-theme="dark"', True),
])
def test_dark_mode_follows_the_colour_scheme_unless_data_theme_says(
        browser, partner_page, scheme, attributes, dark):
    page = browser.new_page(color_scheme=scheme)
    page.goto(partner_page(attributes))
    page.locator("button.plaibot-launcher").click()
    panel = widget_style(page, ".plaibot-panel", "backgroundColor")
    text = widget_style(page, ".plaibot-empty", "color")
    assert (panel, text == "rgb(169, 182, 195)") == (
        ("rgb(28, 35, 43)", True) if dark else ("rgb(255, 255, 255)", False))
    if attributes == 'data-lang="en"':  # a visitor switching their system theme
        page.emulate_media(color_scheme="light")  # the change event comes asynchronously
        page.wait_for_function("""() => getComputedStyle(document.querySelector('#plaibot-widget')
            .shadowRoot.querySelector('.plaibot-panel')).backgroundColor == 'rgb(255, 255, 255)'""",
                               timeout=5_000)
        page.emulate_media(color_scheme="dark")
        assert serious_violations(page, "#plaibot-widget") == []
    page.close()


def test_bad_options_fall_back_with_a_console_warning(browser, partner_page):
    page = browser.new_page(color_scheme="light")
    warnings = []
    page.on("console", lambda m: warnings.append(m.text) if m.type == "warning" else None)
    page.goto(partner_page('data-lang="en" data-color="red;background:url(//evil)" '
                           'data-position="top-middle" data-theme="neon" '
                           'data-starters="a|b|c|d|e"'))
    page.locator("button.plaibot-launcher").click()
    assert widget_style(page, ".plaibot-launcher", "backgroundColor") == "rgb(11, 93, 138)"
    assert page.locator("button.plaibot-launcher").bounding_box()["x"] > 1000  # bottom-right
    assert page.locator(".plaibot-starters button").count() == 4
    assert any('color "red;background:url(//evil)" is not #rgb or #rrggbb' in w for w in warnings)
    assert any('position "top-middle"' in w for w in warnings)
    assert any('theme "neon"' in w for w in warnings)
    assert any("four questions" in w for w in warnings)

    # a light accent gets black text on it and cannot colour links on white
    page.evaluate("window.plaibot.configure({color: '#fd0'})")
    assert widget_style(page, ".plaibot-head .plaibot-title", "color") == "rgb(0, 0, 0)"
    assert widget_style(page, ".plaibot-launcher", "backgroundColor") == "rgb(255, 221, 0)"
    assert widget_style(page, ".plaibot-starters button", "color") == "rgb(11, 93, 138)"
    assert any("#ffdd00 has 1.3:1 contrast on the light panel" in w for w in warnings)
    page.evaluate("window.plaibot.configure({color: '#1a5e20', greeting: {en: 'Hello!'}})")
    assert widget_style(page, ".plaibot-head .plaibot-title", "color") == "rgb(255, 255, 255)"
    assert widget_style(page, ".plaibot-starters button", "color") == "rgb(26, 94, 32)"
    assert page.locator(".plaibot-empty").inner_text() == "Hello!"
    page.close()

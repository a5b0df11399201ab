"""Serve step: the public Gradio chat, mounted in a FastAPI app."""

from __future__ import annotations

import ctypes
import ctypes.util
import html
import logging
import os
import re
import secrets
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, replace
from urllib.parse import quote, urlsplit

import gradio as gr
from fastapi import FastAPI

from plaibot import __version__, logs
from plaibot.access import AccessDenied
from plaibot.admission import AnsweringStage, Busy
from plaibot.answering import Answer
from plaibot.api import Guard, install_api, open_records
from plaibot.assistant import Assistant, QuestionError
from plaibot.config import Settings
from plaibot.connections import GuardedHTTP, uvicorn_options
from plaibot.conversation import ConversationStore, message_text
from plaibot.feedback import MAX_COMMENT_CHARS, Feedback, FeedbackStore
from plaibot.generation import Replace, Token
from plaibot.i18n import EXAMPLES, STRINGS, t
from plaibot.metrics import Metrics
from plaibot.records import RecordsUnavailable
from plaibot.staff import install_staff
from plaibot.store import StoreUnavailable
from plaibot.text import Language, detect_language

log = logging.getLogger(__name__)

_CSS = """
.gradio-container { max-width: 900px !important; margin: auto; }
@media (max-width: 640px) { .gradio-container { padding: 4px !important; } }
#plaibot-header { flex-grow: 0 !important; gap: 4px; padding: 16px 20px; border-radius: 14px;
  border-bottom: 4px solid #f2a93b; background: linear-gradient(120deg, #06344f, #0b5d8a); }
#plaibot-header .block, #plaibot-header .html-container { min-height: 0; padding: 0 !important;
  border: 0; background: none; }
#plaibot-header h1 { margin: 0; font-size: 30px; line-height: 1.2; color: #fff; }
#plaibot-header h1 span { color: #ffd27a; }
#plaibot-header p { margin: 0; color: #eaf4fa; font-size: 16px; }
#plaibot-header ul { display: flex; flex-wrap: wrap; gap: 6px; margin: 6px 0 0; padding: 0;
  list-style: none; }
#plaibot-header li { margin: 0; padding: 2px 12px; border: 1px solid #ffd27a; border-radius: 999px;
  color: #fff; font-size: 13px; font-weight: 600; }
#plaibot-chat .placeholder { flex: 0 0 auto; max-width: 620px; margin: auto auto 16px;
  padding: 14px 18px; border-radius: 12px; background: var(--background-fill-secondary); }
#plaibot-chat details { margin-top: 8px; }
#plaibot-chat summary { cursor: pointer; font-weight: 600; }
#plaibot-chat details blockquote { margin: 6px 0 !important; padding: 2px 10px;
  border-left: 4px solid #0b5d8a; font-style: normal; }
"""


def format_answer(answer: Answer) -> str:
    """Answer text followed by a numbered, clickable source list (Markdown).

    Titles, addresses and dates come from document metadata, so they are escaped where
    they enter the Markdown, and only an http(s) address becomes a link.
    """
    if not answer.sources:
        return answer.text
    lines = [answer.text, "", f"**{t('sources', answer.language)}:**"]
    for source in answer.sources:
        title = _escape(source.title or source.address)
        target = _link_target(source.address)
        link = f"[{title}]({target})" if target else title
        date = f" ({_escape(source.date)})" if source.date else ""
        lines.append(f"{source.number}. {link}{date}")
    passages = quoted_passages(answer)
    return "\n".join([*lines, "", passages] if passages else lines)


def quoted_passages(answer: Answer) -> str:
    """The sources' quoted passages behind one toggle, numbered as cited. One HTML line: a
    blank line would end the HTML block; the text is escaped and the page sanitises the rest."""
    quotes = "".join(f"<blockquote><strong>[{s.number}]</strong> {_html_line(s.snippet)}"
                     "</blockquote>" for s in answer.sources if s.snippet)
    summary = t("passages", answer.language)
    return f"<details><summary>{summary}</summary>{quotes}</details>" if quotes else ""


def _html_line(text: str) -> str:
    return html.escape(" ".join(text.split()))


_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def _escape(text: str) -> str:
    """`text` as literal Markdown on one line: every ASCII punctuation mark backslashed
    (CommonMark allows it for all of them), line breaks made spaces."""
    return _PUNCTUATION.sub(r"\\\1", " ".join(text.split()))


def _link_target(address: str) -> str | None:
    """`address` fit for a Markdown link: an http(s) URL with the characters that could end
    or break the link percent-encoded; None for anything else (javascript:, data:, ...)."""
    try:
        parts = urlsplit(address.strip())
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return quote(address.strip(), safe="/:?#@!$&*+,;=%~-._")


def reply(assistant: Assistant, message: str, history: list, metrics: Metrics | None = None,
          every: float = 0.05, on_answer: Callable[[Answer], None] | None = None
          ) -> Iterator[str]:
    """One chat turn as it is written (at most one update per `every` seconds), then the
    answer with its sources (handed to `on_answer` too); every failure becomes a friendly
    message in the asker's language."""
    try:
        text, shown_at, started = "", time.monotonic(), time.perf_counter()
        for event in assistant.stream(message, history):
            if isinstance(event, (Token, Replace)):
                text = text + event.text if isinstance(event, Token) else event.text
                if time.monotonic() - shown_at >= every:
                    shown_at = time.monotonic()
                    yield text
            else:
                if metrics is not None:
                    metrics.answer("page", message, lambda done=event: done.answer, started=started)
                if on_answer is not None:
                    on_answer(event.answer)
                yield format_answer(event.answer)
    except QuestionError as error:
        yield str(error)
    except Exception:  # the page must stay up whatever one question does
        log.exception("answering failed")
        if metrics is not None:
            metrics.errors.labels("page").inc()
        yield t("error", detect_language(message or ""))


_PAGE_STRINGS = ("title", "intro", "placeholder", "examples", "feedback_comment", "welcome",
                 "tagline")


def translations() -> gr.I18n:
    """Interface strings per browser language (Indonesian or English)."""
    return gr.I18n(**{lang: {key: STRINGS[key][lang] for key in _PAGE_STRINGS}
                      for lang in ("id", "en")})


def build_chat(assistant: Assistant, guard: Guard | None = None, metrics: Metrics | None = None,
               feedback: FeedbackStore | None = None,
               conversations: ConversationStore | None = None,
               stage: AnsweringStage | None = None) -> gr.Blocks:
    """The chat page: answers with sources, bilingual examples and interface strings.

    With a `guard`, each visitor's questions count against the per-IP rate limit; with
    `metrics` they are counted; with `feedback`, answers get thumbs up and down, taken
    only on answers `conversations` recorded as given in that visitor's session; with a
    `stage`, they are answered on its threads (shared with the API), and a visitor who
    finds them all taken is asked to try again in a moment.
    """
    i18n = translations()
    answers = conversations or ConversationStore(assistant.settings.conversation_turns)

    def respond(message: str, history: list, request: gr.Request) -> Iterator[str]:
        if guard is not None and request is not None:
            try:
                guard.per_ip.hit(f"ip:{guard.client(request)}")
            except AccessDenied as error:
                if metrics is not None:
                    metrics.rate_limited.labels("page").inc()
                yield t("rate_limited", detect_language(message or ""),
                        seconds=error.retry_after or 60)
                return
        given: list[Answer] = []  # the answer behind the finished reply (none for an error)
        replies = (reply(assistant, message, history, metrics, on_answer=given.append)
                   if stage is None else
                   stage.stream(lambda: reply(assistant, message, history, metrics,
                                              on_answer=given.append),
                                lambda: assistant.query_for(message, history)))
        text = ""
        try:
            for text in replies:
                yield text
        except Busy as busy:
            if metrics is not None:
                metrics.busy.labels("page", busy.reason).inc()
            yield t("busy", detect_language(message or ""))
            return
        if text:  # the finished reply, the only text a vote in this session may be about
            answers.record_answer(page_conversation(request), text, message,
                                  confidence=given[-1].confidence if given else None)

    feedback_options = ("Like", "Dislike") if feedback is not None else None
    chatbot = gr.Chatbot(height="60vh", buttons=["copy"], feedback_options=feedback_options,
                         label="plaibot", show_label=False,
                         placeholder=i18n("welcome"), elem_id="plaibot-chat")
    textbox = gr.Textbox(placeholder=i18n("placeholder"), show_label=False, lines=1,
                         max_lines=6, max_length=assistant.settings.max_question_chars,
                         elem_id="plaibot-question")
    chat = gr.ChatInterface(
        fn=respond,
        chatbot=chatbot,
        textbox=textbox,
        examples=EXAMPLES["id"],  # page.load swaps in the visitor's language (starter_questions)
        examples_label=i18n("examples"),
        api_name="chat",
        concurrency_limit=8,
        fill_height=True,
    )
    return chat


def build_page(assistant: Assistant, guard: Guard | None = None, metrics: Metrics | None = None,
               feedback: FeedbackStore | None = None,
               conversations: ConversationStore | None = None,
               stage: AnsweringStage | None = None) -> gr.Blocks:
    """The public page: a header naming the ecosystem, the chat (`build_chat`, answering on
    `stage`), feedback on answers, and starter questions in the visitor's language."""
    i18n = translations()
    answers = conversations or ConversationStore(assistant.settings.conversation_turns)
    with gr.Blocks(title="plaibot", fill_height=True) as page:
        page_header(i18n)
        chat = build_chat(assistant, guard, metrics, feedback, answers, stage)
        if feedback is not None:
            add_feedback(chat.chatbot, feedback, guard, metrics, i18n, answers)
        page.load(starter_questions, None, chat.chatbot, queue=False, api_visibility="private")
    return page


def page_header(i18n: gr.I18n) -> None:
    """plaibot's name, what it answers about (translated) and the ecosystem it covers."""
    names = "".join(f"<li>{name}</li>" for name in
                    ("PL(AI)GROUND", "Hetero Space", "Ekraf", "Impala Network"))
    with gr.Column(elem_id="plaibot-header"):
        gr.HTML("<h1>pl<span>ai</span>bot</h1>")
        gr.Markdown(i18n("tagline"))
        gr.HTML(f"<ul>{names}</ul>")


def page_theme() -> gr.themes.Base:
    """The page's look: plaibot's blue (the widget's accent) with system fonts, which load
    nothing from the network."""
    system = ["system-ui", "-apple-system", "Segoe UI", "Roboto", "sans-serif"]
    theme = gr.themes.Base(primary_hue="sky", secondary_hue="amber", neutral_hue="slate",
                           radius_size="lg", font=system, font_mono=["ui-monospace", "monospace"])
    # the default subdued grey (the footer) is 2.6:1 on white; WCAG AA needs 4.5:1
    return theme.set(body_text_color_subdued="*neutral_600")


# Gradio's chat examples are buttons in a role="list" without list items, which screen
# readers and axe-core reject (aria-required-children, critical); they are a group instead.
PAGE_HEAD = """<script>
new MutationObserver(function () {
  document.querySelectorAll('#plaibot-chat .examples[role=list]').forEach(function (el) {
    el.setAttribute('role', 'group');
  });
}).observe(document.documentElement, {childList: true, subtree: true});
</script>"""


def visitor_language(request: gr.Request | None) -> Language:
    """The first of Indonesian and English the browser asks for (Accept-Language), else English,
    as the page's translated strings choose."""
    header = (request.headers.get("accept-language", "") if request is not None else "").lower()
    for part in header.split(","):
        code = part.split(";")[0].strip()[:2]
        if code in ("id", "en"):
            return code
    return "en"


def starter_questions(request: gr.Request) -> dict:
    """The empty chat's example questions in the visitor's language."""
    return gr.update(examples=[{"text": q} for q in EXAMPLES[visitor_language(request)]])


def add_feedback(chatbot: gr.Chatbot, store: FeedbackStore, guard: Guard | None,
                 metrics: Metrics | None, i18n: gr.I18n, answers: ConversationStore) -> None:
    """Thumbs up and down on answers (the Chatbot's like event), then an optional comment.

    The vote is stored at once; the comment box that appears updates the same vote. When
    the records database is away, the visitor is told so and nothing is half-saved. The
    history a like event carries comes from the caller, so a vote counts only for an
    answer this session was given, and its question is the one that answer was given to.
    """
    comment = gr.Textbox(label=i18n("feedback_comment"), visible=False, lines=1,
                         max_length=MAX_COMMENT_CHARS, elem_id="plaibot-feedback-comment")
    voted = gr.State(None)

    def like(history: list, data: gr.LikeData, request: gr.Request) -> tuple[dict | None, dict]:
        vote = page_vote(history, data, request)
        given = answers.answered(vote.conversation_id, vote.answer) if vote else None
        if vote is None or given is None or not _admitted(guard, metrics, request):
            return None, gr.update(visible=False, value="")
        vote = replace(vote, question=given.question, confidence=given.confidence)
        if not _saved(store, vote):
            return None, gr.update(visible=False, value="")
        if metrics is not None:
            metrics.feedback.labels("page", vote.rating).inc()
        return asdict(vote), gr.update(visible=True, value="")

    def add_comment(text: str, vote: dict | None, request: gr.Request) -> tuple[None, dict]:
        if (vote and text.strip() and _admitted(guard, metrics, request)
                and _saved(store, Feedback(**{**vote, "comment": text}))):
            gr.Info(t("feedback_thanks", detect_language(text)))
        return None, gr.update(visible=False, value="")

    chatbot.like(like, [chatbot], [voted, comment], api_name="feedback")
    comment.submit(add_comment, [comment, voted], [voted, comment], api_name="feedback_comment")


def page_vote(history: list, data: gr.LikeData, request: gr.Request | None) -> Feedback | None:
    """The vote a like event on the chat page stands for; None for anything but a thumb
    on an answer (a vote taken back, a user message, an index out of range)."""
    rating = {True: "up", "Like": "up", False: "down", "Dislike": "down"}.get(data.liked)
    index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
    if rating is None or not isinstance(index, int) or not 0 <= index < len(history or []):
        return None
    message = history[index]
    if not isinstance(message, dict) or message.get("role") != "assistant":
        return None
    asked = [m for m in history[:index] if isinstance(m, dict) and m.get("role") == "user"]
    try:
        return Feedback(page_conversation(request), message_text(message.get("content")), rating,
                        question=message_text(asked[-1].get("content")) if asked else "",
                        channel="page")
    except ValueError:  # an empty answer
        return None


def page_conversation(request: gr.Request | None) -> str:
    """The conversation id of a chat-page session (its feedback is filed under it)."""
    return f"page-{getattr(request, 'session_hash', None) or 'page'}"


def _saved(store: FeedbackStore, vote: Feedback) -> bool:
    try:
        store.add(vote)
    except RecordsUnavailable as error:
        log.error("feedback not saved: %s", error)
        gr.Warning(t("feedback_unavailable", detect_language(vote.question or vote.answer)))
        return False
    return True


def _admitted(guard: Guard | None, metrics: Metrics | None, request: gr.Request | None) -> bool:
    if guard is None or request is None:
        return True
    try:
        guard.per_ip.hit(f"ip:{guard.client(request)}")
    except AccessDenied:
        if metrics is not None:
            metrics.rate_limited.labels("page").inc()
        return False
    return True


def create_app(settings: Settings | None = None, assistant: Assistant | None = None) -> FastAPI:
    """FastAPI app: the chat page at `/`, the HTTP API under `/api`, the widget at `/widget.js`,
    the staff console at `/staff`."""
    settings = settings or Settings()
    assistant = assistant or Assistant(settings)
    if settings.index_on_start:
        try:
            report = assistant.index()  # incremental: cheap when nothing changed
            log.info("index: %s", report.summary())
        except StoreUnavailable as error:  # serve anyway; /api/health says what is wrong
            log.error("cannot index at start: %s", error)
    api = FastAPI(title="plaibot", version=__version__,
                  description="Cited answers about Indonesia's AI and creative economy.")
    guard = install_api(api, assistant, settings)
    api.state.guard = guard  # operators and tests reach the access rules here
    install_staff(api, assistant, guard, api.state.feedback)  # before `/` takes every path
    page = build_page(assistant, guard, api.state.metrics, api.state.feedback,
                      api.state.conversations, api.state.stage)
    # The page uploads nothing (and `PageRoutes` closes the upload route); errors reach
    # visitors as a plain message, their details only the log.
    return gr.mount_gradio_app(api, page, path="/", i18n=translations(), css=_CSS,
                               theme=page_theme(), head=PAGE_HEAD, max_file_size=0,
                               show_error=False)


def serve(settings: Settings, host: str, port: int) -> None:
    """Run the app with uvicorn; with `settings.workers` > 1, in that many processes."""
    import uvicorn

    logs.configure()
    tame_malloc()
    # The address it listens on is the server's own origin (see `Guard`).
    settings = settings.model_copy(update={"host": host, "port": port})
    # uvicorn's own handlers and access log are off (its records reach the JSON handler,
    # and the request log writes one line per request instead), and so are its proxy
    # headers; connections get read deadlines (see plaibot.connections).
    options = uvicorn_options(settings)
    if settings.workers == 1:
        uvicorn.run(create_app(settings), host=host, port=port, **options)
        return
    prepare_workers(settings)
    # uvicorn kills a worker that does not answer its health ping within 5 s: on a busy
    # machine a worker still importing and loading the model misses it and is restarted
    # forever (seen here under load), so it gets a minute.
    uvicorn.run("plaibot.web:worker_app", factory=True, host=host, port=port,
                workers=settings.workers, timeout_worker_healthcheck=60, **options)


def worker_app() -> FastAPI:
    """The app in one of several worker processes (settings come from the environment)."""
    logs.configure()
    tame_malloc()
    settings = Settings()
    GuardedHTTP.configure(settings)
    return create_app(settings)


def tame_malloc(arenas: int = 2, mmap_threshold: int = 128 * 1024) -> bool:
    """Cap glibc's malloc arenas and fix its mmap threshold (as MALLOC_ARENA_MAX and
    MALLOC_MMAP_THRESHOLD_ do), before threads start.

    glibc gives threads their own arenas, and a server whose request and reload threads
    each leave freed memory in one grows: 12 re-index runs by another process took a server
    from 927 to 1,008 MB, and from 888 to 912 MB with two arenas.

    glibc also raises its mmap threshold (up to 32 MB) each time it frees a block that was
    mapped, so later large blocks come from the arenas and, freed, stay there. Each reload
    after another process's index run opens a new Chroma client and retires the old one
    (`plaibot.store.connection`), freeing its HNSW index and buffers: 30 such clients grew a
    process from 120 to 156 MB (glibc heap 35 -> 76 MB, 63 MB of it free), and from 119 to
    127 MB (heap 33 -> 40 MB) with the threshold fixed at its default of 128 KB, so that
    large blocks are always mapped and given back when freed. Returns whether both applied
    (not on other C libraries).
    """
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        mallopt = libc.mallopt if libc else None
    except (OSError, AttributeError):
        return False
    M_ARENA_MAX, M_MMAP_THRESHOLD = -8, -3  # from glibc's malloc.h
    return bool(mallopt and mallopt(M_ARENA_MAX, arenas) == 1
                and mallopt(M_MMAP_THRESHOLD, mmap_threshold) == 1)


def prepare_workers(settings: Settings) -> None:
    """Index and migrate the records once, then give the worker processes (which read
    `PLAIBOT_*` afresh) what they must share: one token key and, without Redis, one state
    file. Indexing stays with this process."""
    if settings.index_on_start:
        log.info("index: %s", Assistant(settings).index().summary())
    os.environ["PLAIBOT_INDEX_ON_START"] = "false"
    os.environ["PLAIBOT_HOST"], os.environ["PLAIBOT_PORT"] = settings.host, str(settings.port)
    open_records(settings).close()
    if settings.token_secret is None:
        os.environ["PLAIBOT_TOKEN_SECRET"] = secrets.token_urlsafe(32)
    if settings.state_path is None and settings.redis_url is None:
        os.environ["PLAIBOT_STATE_PATH"] = str(settings.index_dir.parent / "state.sqlite")
    # prometheus_client sums the workers' counters through files in this folder.
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="plaibot-metrics-"))

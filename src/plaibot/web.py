"""Serve step: the public Gradio chat, mounted in a FastAPI app."""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import secrets
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict

import gradio as gr
from fastapi import FastAPI

from plaibot import logs
from plaibot.access import AccessDenied
from plaibot.answering import Answer
from plaibot.api import Guard, install_api, open_records
from plaibot.assistant import Assistant, QuestionError
from plaibot.config import Settings
from plaibot.conversation import message_text
from plaibot.feedback import MAX_COMMENT_CHARS, Feedback, FeedbackStore
from plaibot.generation import Replace, Token
from plaibot.i18n import EXAMPLES, STRINGS, t
from plaibot.metrics import Metrics
from plaibot.records import RecordsUnavailable
from plaibot.staff import install_staff
from plaibot.store import StoreUnavailable
from plaibot.text import detect_language

log = logging.getLogger(__name__)

_CSS = """
.gradio-container { max-width: 900px !important; margin: auto; }
@media (max-width: 640px) { .gradio-container { padding: 4px !important; } }
"""


def format_answer(answer: Answer) -> str:
    """Answer text followed by a numbered, clickable source list (Markdown)."""
    if not answer.sources:
        return answer.text
    lines = [answer.text, "", f"**{t('sources', answer.language)}:**"]
    for source in answer.sources:
        title = _escape(source.title or source.address)
        link = f"[{title}]({source.address})" if source.address.startswith("http") else title
        date = f" ({source.date})" if source.date else ""
        lines.append(f"{source.number}. {link}{date}")
    return "\n".join(lines)


def _escape(text: str) -> str:
    return "".join(f"\\{c}" if c in "[]()*_`<>#" else c for c in text)


def reply(assistant: Assistant, message: str, history: list, metrics: Metrics | None = None,
          every: float = 0.05) -> Iterator[str]:
    """One chat turn as it is written (at most one update per `every` seconds), then the
    answer with its sources; every failure becomes a friendly message in the asker's language."""
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
                yield format_answer(event.answer)
    except QuestionError as error:
        yield str(error)
    except Exception:  # the page must stay up whatever one question does
        log.exception("answering failed")
        if metrics is not None:
            metrics.errors.labels("page").inc()
        yield t("error", detect_language(message or ""))


_PAGE_STRINGS = ("title", "intro", "placeholder", "examples", "feedback_comment")


def translations() -> gr.I18n:
    """Interface strings per browser language (Indonesian or English)."""
    return gr.I18n(**{lang: {key: STRINGS[key][lang] for key in _PAGE_STRINGS}
                      for lang in ("id", "en")})


def build_chat(assistant: Assistant, guard: Guard | None = None, metrics: Metrics | None = None,
               feedback: FeedbackStore | None = None) -> gr.Blocks:
    """The chat page: answers with sources, bilingual examples and interface strings.

    With a `guard`, each visitor's questions count against the per-IP rate limit; with
    `metrics` they are counted; with `feedback`, answers get thumbs up and down.
    """
    i18n = translations()

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
        yield from reply(assistant, message, history, metrics)

    feedback_options = ("Like", "Dislike") if feedback is not None else None
    chatbot = gr.Chatbot(height="60vh", buttons=["copy"], feedback_options=feedback_options,
                         placeholder=i18n("intro"), elem_id="plaibot-chat")
    textbox = gr.Textbox(placeholder=i18n("placeholder"), show_label=False, lines=1,
                         max_lines=6, max_length=assistant.settings.max_question_chars,
                         elem_id="plaibot-question")
    chat = gr.ChatInterface(
        fn=respond,
        chatbot=chatbot,
        textbox=textbox,
        examples=EXAMPLES["id"] + EXAMPLES["en"],
        examples_label=i18n("examples"),
        title="plaibot",
        description=i18n("title"),
        api_name="chat",
        concurrency_limit=8,
        fill_height=True,
    )
    if feedback is not None:
        with chat:
            add_feedback(chatbot, feedback, guard, metrics, i18n)
    return chat


def add_feedback(chatbot: gr.Chatbot, store: FeedbackStore, guard: Guard | None,
                 metrics: Metrics | None, i18n: gr.I18n) -> None:
    """Thumbs up and down on answers (the Chatbot's like event), then an optional comment.

    The vote is stored at once; the comment box that appears updates the same vote. When
    the records database is away, the visitor is told so and nothing is half-saved.
    """
    comment = gr.Textbox(label=i18n("feedback_comment"), visible=False, lines=1,
                         max_length=MAX_COMMENT_CHARS, elem_id="plaibot-feedback-comment")
    voted = gr.State(None)

    def like(history: list, data: gr.LikeData, request: gr.Request) -> tuple[dict | None, dict]:
        vote = page_vote(history, data, request)
        if vote is None or not _admitted(guard, metrics, request) or not _saved(store, vote):
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
    session = getattr(request, "session_hash", None) or "page"
    try:
        return Feedback(f"page-{session}", message_text(message.get("content")), rating,
                        question=message_text(asked[-1].get("content")) if asked else "",
                        channel="page")
    except ValueError:  # an empty answer
        return None


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
    api = FastAPI(title="plaibot", version="0.1.0",
                  description="Cited answers about Indonesia's AI and creative economy.")
    guard = install_api(api, assistant, settings)
    api.state.guard = guard  # operators and tests reach the access rules here
    install_staff(api, assistant, guard, api.state.feedback)  # before `/` takes every path
    chat = build_chat(assistant, guard, api.state.metrics, api.state.feedback)
    return gr.mount_gradio_app(api, chat, path="/", i18n=translations(), css=_CSS)


def serve(settings: Settings, host: str, port: int) -> None:
    """Run the app with uvicorn; with `settings.workers` > 1, in that many processes."""
    import uvicorn

    logs.configure()
    fewer_malloc_arenas()
    # uvicorn's own handlers and access log are off: its records reach the JSON handler,
    # and the request log writes one line per request instead.
    if settings.workers == 1:
        uvicorn.run(create_app(settings), host=host, port=port, log_config=None,
                    access_log=False)
        return
    prepare_workers(settings)
    uvicorn.run("plaibot.web:worker_app", factory=True, host=host, port=port,
                workers=settings.workers, log_config=None, access_log=False)


def worker_app() -> FastAPI:
    """The app in one of several worker processes (settings come from the environment)."""
    logs.configure()
    fewer_malloc_arenas()
    return create_app()


def fewer_malloc_arenas(arenas: int = 2) -> bool:
    """Cap glibc's malloc arenas (as MALLOC_ARENA_MAX does), before threads start.

    glibc gives threads their own arenas, and a server whose request and reload threads
    each leave freed memory in one grows: 12 re-index runs by another process took a server
    from 927 to 1,008 MB, and from 888 to 912 MB with two arenas. Returns whether it applied
    (not on other C libraries).
    """
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        mallopt = libc.mallopt if libc else None
    except (OSError, AttributeError):
        return False
    M_ARENA_MAX = -8  # from glibc's malloc.h
    return bool(mallopt and mallopt(M_ARENA_MAX, arenas) == 1)


def prepare_workers(settings: Settings) -> None:
    """Index and migrate the records once, then give the worker processes (which read
    `PLAIBOT_*` afresh) what they must share: one token key and, without Redis, one state
    file. Indexing stays with this process."""
    if settings.index_on_start:
        log.info("index: %s", Assistant(settings).index().summary())
    os.environ["PLAIBOT_INDEX_ON_START"] = "false"
    open_records(settings).close()
    if settings.token_secret is None:
        os.environ["PLAIBOT_TOKEN_SECRET"] = secrets.token_urlsafe(32)
    if settings.state_path is None and settings.redis_url is None:
        os.environ["PLAIBOT_STATE_PATH"] = str(settings.index_dir.parent / "state.sqlite")
    # prometheus_client sums the workers' counters through files in this folder.
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="plaibot-metrics-"))

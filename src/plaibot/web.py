"""Serve step: the public Gradio chat, mounted in a FastAPI app."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

import gradio as gr
from fastapi import FastAPI

from plaibot.access import AccessDenied
from plaibot.answering import Answer
from plaibot.api import Guard, install_api
from plaibot.assistant import Assistant, QuestionError
from plaibot.config import Settings
from plaibot.generation import Replace, Token
from plaibot.i18n import EXAMPLES, STRINGS, t
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


def reply(assistant: Assistant, message: str, history: list,
          every: float = 0.05) -> Iterator[str]:
    """One chat turn as it is written (at most one update per `every` seconds), then the
    answer with its sources; every failure becomes a friendly message in the asker's language."""
    try:
        text, shown_at = "", time.monotonic()
        for event in assistant.stream(message, history):
            if isinstance(event, (Token, Replace)):
                text = text + event.text if isinstance(event, Token) else event.text
                if time.monotonic() - shown_at >= every:
                    shown_at = time.monotonic()
                    yield text
            else:
                yield format_answer(event.answer)
    except QuestionError as error:
        yield str(error)
    except Exception:  # the page must stay up whatever one question does
        log.exception("answering failed")
        yield t("error", detect_language(message or ""))


_PAGE_STRINGS = ("title", "intro", "placeholder", "examples")


def translations() -> gr.I18n:
    """Interface strings per browser language (Indonesian or English)."""
    return gr.I18n(**{lang: {key: STRINGS[key][lang] for key in _PAGE_STRINGS}
                      for lang in ("id", "en")})


def build_chat(assistant: Assistant, guard: Guard | None = None) -> gr.Blocks:
    """The chat page: answers with sources, bilingual examples and interface strings.

    With a `guard`, each visitor's questions count against the per-IP rate limit.
    """
    i18n = translations()

    def respond(message: str, history: list, request: gr.Request) -> Iterator[str]:
        if guard is not None and request is not None:
            try:
                guard.per_ip.hit(f"ip:{guard.client(request)}")
            except AccessDenied as error:
                yield t("rate_limited", detect_language(message or ""),
                        seconds=error.retry_after or 60)
                return
        yield from reply(assistant, message, history)

    chatbot = gr.Chatbot(height="60vh", buttons=["copy"], feedback_options=None,
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
    return chat


def create_app(settings: Settings | None = None, assistant: Assistant | None = None) -> FastAPI:
    """FastAPI app: the chat page at `/`, the HTTP API under `/api`, the widget at `/widget.js`."""
    settings = settings or Settings()
    assistant = assistant or Assistant(settings)
    report = assistant.index()  # incremental: cheap when nothing changed
    log.info("index: %s", report.summary())
    api = FastAPI(title="plaibot", version="0.1.0",
                  description="Cited answers about Indonesia's AI and creative economy.")
    guard = install_api(api, assistant, settings)
    api.state.guard = guard  # operators and tests reach the access rules here
    chat = build_chat(assistant, guard)
    return gr.mount_gradio_app(api, chat, path="/", i18n=translations(), css=_CSS)


def serve(settings: Settings, host: str, port: int) -> None:
    import uvicorn

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    for noisy in ("bm25s", "sentence_transformers", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")

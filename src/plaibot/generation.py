"""Answerers behind one seam, chosen from Settings: quoting (default) or a LangChain chat model.

The chat-model answerer wraps the extractive one, which stays the judge of refusal (a
chatty model cannot answer what retrieval is not confident about) and the fallback: an
error, a timeout or an answer that fails the citation check gives the quoted answer with a
short note, so the assistant stays up whatever the model does.

Every answerer streams `AnswerEvent`s: `Token`s as the text is written, a `Replace` when
the text shown so far must be swapped for another (citations removed, or the quoted answer
after all), then one `Final` with the `Answer`. Nothing here imports a chat-model package
until one is configured.
"""

from __future__ import annotations

import dataclasses
import logging
import queue
import re
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, Union

from plaibot.answering import Answer, ExtractiveAnswerer
from plaibot.citations import check_citations
from plaibot.config import Settings
from plaibot.errors import AnswererError
from plaibot.grounding import grounded_messages, number_passages, rewrite_messages
from plaibot.i18n import t
from plaibot.retrieval import Retrieval
from plaibot.text import Language, detect_language, tokenize

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import BaseMessage

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Token:
    """The next piece of the answer text."""

    text: str


@dataclass(frozen=True)
class Replace:
    """Everything streamed so far is to be replaced by `text`."""

    text: str


@dataclass(frozen=True)
class Final:
    """The finished answer; `fallback` says why the quoted answer was given ("" if not)."""

    answer: Answer
    fallback: str = ""


AnswerEvent = Union[Token, Replace, Final]


class Answerer(Protocol):
    """What the assistant needs from an answerer."""

    def standalone(self, question: str, earlier: Sequence[str], language: Language) -> str | None:
        """`question` rewritten to stand alone after the `earlier` questions, or None."""

    def answer(self, retrieval: Retrieval) -> Answer:
        """The answer to `retrieval.question` from its passages (see
        `ExtractiveAnswerer.answer`)."""

    def stream(self, retrieval: Retrieval) -> Iterator[AnswerEvent]:
        """The same answer as events, ending with `Final`."""


def quoted(answer: Answer, fallback: str = "") -> Iterator[AnswerEvent]:
    """A finished answer as events: its words, then `Final`."""
    for piece in re.findall(r"\s*\S+", answer.text):
        yield Token(piece)
    yield Final(answer, fallback)


class QuotingAnswerer:
    """The extractive answerer (the default): quotes the documents, no model involved."""

    def __init__(self, extractive: ExtractiveAnswerer) -> None:
        self.extractive = extractive

    def standalone(self, question: str, earlier: Sequence[str], language: Language) -> str | None:
        return None  # follow-ups are read against the earlier question instead

    def answer(self, retrieval: Retrieval) -> Answer:
        return self.extractive.answer(retrieval)

    def stream(self, retrieval: Retrieval) -> Iterator[AnswerEvent]:
        return quoted(self.answer(retrieval))


class GeneratingAnswerer(QuotingAnswerer):
    """A chat model writes the answer from numbered passages; the quoted answer decides
    refusal and is given instead whenever the model fails or its answer fails the check."""

    def __init__(self, extractive: ExtractiveAnswerer, model: BaseChatModel, *,
                 timeout: float = 30.0, max_sentences: int = 3, max_question_chars: int = 1000,
                 ) -> None:
        super().__init__(extractive)
        self.model = model
        self.timeout = timeout
        self.max_sentences = max_sentences
        self.max_question_chars = max_question_chars

    def standalone(self, question: str, earlier: Sequence[str], language: Language) -> str | None:
        """The model's standalone version of a follow-up, when it passes `accepted_rewrite`."""
        try:
            text = "".join(self._generate(rewrite_messages(question, earlier, language),
                                          stop=["\n"]))
        except Exception as error:  # the heuristic reading of follow-ups still works
            log.warning("chat model could not rewrite the question: %r", error)
            return None
        return accepted_rewrite(text, question, earlier, language, self.max_question_chars)

    def answer(self, retrieval: Retrieval) -> Answer:
        *_, final = self.stream(retrieval)
        assert isinstance(final, Final)
        return final.answer

    def stream(self, retrieval: Retrieval) -> Iterator[AnswerEvent]:
        fallback = self.extractive.answer(retrieval)
        if not fallback.grounded:  # refused, or the documents say they do not know
            yield from quoted(fallback)
            return
        passages = number_passages(retrieval.passages)
        messages = grounded_messages(retrieval.question, passages, retrieval.language,
                                     context=retrieval.context, sentences=self.max_sentences)
        shown = ""
        try:
            for piece in self._generate(messages):
                piece = piece if shown else piece.lstrip()
                if piece:
                    shown += piece
                    yield Token(piece)
        except Exception as error:
            log.warning("chat model failed, quoting instead: %r", error)
            yield from _instead(fallback, "llm_unavailable", f"error: {error!r}", shown)
            return
        checked = check_citations(shown, {p.number: p.shown() for p in passages},
                                  retrieval.language)
        if checked.problem:
            log.info("generated answer rejected, quoting instead: %s", checked.problem)
            yield from _instead(fallback, "llm_unchecked", checked.problem, shown)
            return
        if checked.text != shown:
            yield Replace(checked.text)
        numbered = {p.number: p.source for p in passages}
        yield Final(dataclasses.replace(fallback, text=checked.text,
                                        sources=[numbered[n] for n in checked.cited]))

    def _generate(self, messages: list[BaseMessage], **options: object) -> Iterator[str]:
        """The model's text as it streams, within `timeout` seconds in all.

        The model is read in a worker thread so that a server that stalls (or trickles)
        cannot hold the answer past the deadline; leaving early stops the worker.
        """
        pieces: queue.Queue[tuple[str, object]] = queue.Queue()
        stop = threading.Event()

        def work() -> None:
            try:
                for chunk in self.model.stream(messages, **options):
                    if stop.is_set():
                        break
                    pieces.put(("text", chunk.text))
                pieces.put(("end", None))
            except BaseException as error:  # handed to the reader, which decides
                pieces.put(("error", error))

        threading.Thread(target=work, name="plaibot-chat-model", daemon=True).start()
        deadline = time.monotonic() + self.timeout
        try:
            while True:
                try:
                    kind, value = pieces.get(timeout=max(deadline - time.monotonic(), 0))
                except queue.Empty:
                    raise TimeoutError(f"no complete answer within {self.timeout:g} s") from None
                if kind == "end":
                    return
                if kind == "error":
                    assert isinstance(value, BaseException)
                    raise value
                if value:
                    yield str(value)
        finally:
            stop.set()


def _instead(answer: Answer, note: str, reason: str, shown: str) -> Iterator[AnswerEvent]:
    """The quoted `answer` with a short note, replacing whatever was streamed already."""
    noted = dataclasses.replace(answer, text=f"{answer.text}\n\n{t(note, answer.language)}")
    if shown:
        yield Replace(noted.text)
        yield Final(noted, reason)
    else:
        yield from quoted(noted, reason)


_LABEL = re.compile(r"^\s*(?:standalone question|pertanyaan mandiri|pertanyaan|question)\s*:\s*",
                    re.IGNORECASE)


def accepted_rewrite(text: str, question: str, earlier: Sequence[str], language: Language,
                     max_chars: int) -> str | None:
    """The rewritten question when it can be trusted, else None.

    It must be one line in the question's language, no longer than the questions it
    draws on, keep most of the question's words and add no word the conversation lacks,
    so a rambling or inventive model cannot steer retrieval elsewhere.
    """
    rewrite = _LABEL.sub("", text.strip().split("\n")[0]).strip().strip("\"'“”").strip()
    if not rewrite or len(rewrite) > min(max_chars, len(question) + sum(map(len, earlier)) + 20):
        return None
    if detect_language(rewrite, default=language) != language:
        return None
    asked = set(tokenize(question, language, question=True))
    known = asked.union(*(tokenize(q, language, question=True) for q in earlier))
    used = set(tokenize(rewrite, language, question=True))
    if not used or not used <= known or len(asked & used) * 2 < len(asked):
        return None
    return rewrite


def answerer_for(settings: Settings, model: BaseChatModel | None,
                 extractive: ExtractiveAnswerer) -> Answerer:
    """The answerer around `extractive`: generating with `model` when given, else the one
    `settings.answerer` names."""
    if model is None and settings.answerer == "extractive":
        return QuotingAnswerer(extractive)
    return GeneratingAnswerer(
        extractive, model or chat_model(settings), timeout=settings.llm_timeout_seconds,
        max_sentences=settings.answer_sentences, max_question_chars=settings.max_question_chars)


# Providers whose chat model names a standard parameter differently.
_RENAMED: dict[str, dict[str, str]] = {"ollama": {"max_tokens": "num_predict"}}
# Parameters a provider does not take, mapped to where they go instead.
_NESTED: dict[str, dict[str, str]] = {"ollama": {"timeout": "client_kwargs",
                                                 "max_retries": ""}}


def chat_model(settings: Settings) -> BaseChatModel:
    """A LangChain chat model from `<provider>:<model>` via `init_chat_model`.

    Passes LangChain's standard parameters (temperature, max_tokens, timeout, max_retries,
    base_url, api_key) plus `llm_options`; any provider `init_chat_model` knows works
    once its integration package is installed.
    """
    provider, _, model = settings.answerer.partition(":")
    try:
        from langchain.chat_models import init_chat_model
    except ImportError as error:
        raise AnswererError(f"PLAIBOT_ANSWERER={settings.answerer} needs the chat-model "
                            "packages: pip install 'plaibot[llm]'") from error
    standard: dict[str, object] = {
        "temperature": settings.llm_temperature, "max_tokens": settings.llm_max_tokens,
        "timeout": settings.llm_timeout_seconds,
        "max_retries": 0,  # a retry would only delay the quoted answer
    }
    if settings.llm_base_url:
        standard["base_url"] = settings.llm_base_url
        if provider == "openai":  # langchain-openai sends only max_completion_tokens, which
            # OpenAI-compatible servers such as llama-cpp-python's ignore
            standard["extra_body"] = {"max_tokens": settings.llm_max_tokens}
    if settings.llm_api_key:
        standard["api_key"] = settings.llm_api_key.get_secret_value()
    options = _for_provider(provider, standard) | settings.llm_options
    try:
        return init_chat_model(model, model_provider=provider, **options)
    except Exception as error:  # integration not installed, unknown provider, no key, ...
        raise AnswererError(f"PLAIBOT_ANSWERER={settings.answerer}: {error}") from error


def _for_provider(provider: str, standard: dict[str, object]) -> dict[str, object]:
    """The standard parameters under the names `provider`'s chat model uses."""
    renamed = _RENAMED.get(provider, {})
    nested = _NESTED.get(provider, {})
    options: dict[str, object] = {}
    for name, value in standard.items():
        if name in nested:
            if nested[name]:
                options.setdefault(nested[name], {})[name] = value  # type: ignore[index]
        else:
            options[renamed.get(name, name)] = value
    return options

"""Prometheus metrics, and the bookkeeping around each answer (metrics and log fields).

Each app has its own registry, so several apps in one process (tests) do not collide.
With several worker processes set `PROMETHEUS_MULTIPROC_DIR` (prometheus_client's
multiprocess mode): `/metrics` then adds up the counters of every worker.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)
from starlette.types import Scope

from plaibot.answering import Answer
from plaibot.assistant import QuestionError
from plaibot.logs import annotate

log = logging.getLogger("plaibot.answers")
disable_created_metrics()  # the `_created` series double the output and nobody graphs them

CONTENT_TYPE = CONTENT_TYPE_LATEST
# Answers take milliseconds when warm; the upper buckets catch a cold start or overload.
_METHODS = frozenset("GET HEAD POST PUT PATCH DELETE OPTIONS".split())
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    """The counters of one app. `channel` is "api" (JSON, stream, widget) or "page" (Gradio)."""

    def __init__(self, registry: CollectorRegistry | None = None,
                 log_conversations: bool = False) -> None:
        self.registry = registry or CollectorRegistry()
        self.log_conversations = log_conversations
        # Called with (channel, question, answer) after each answer (the knowledge-gap log).
        self.listeners: list[Callable[[str, str, Answer], None]] = []
        r = self.registry
        self.latency = Histogram("plaibot_answer_seconds", "Time to answer one question.",
                                 ["channel"], buckets=_LATENCY_BUCKETS, registry=r)
        self.answers = Counter("plaibot_answers", "Questions answered from the documents.",
                               ["channel", "language"], registry=r)
        self.refusals = Counter(
            "plaibot_refusals", "Questions not answered: 'not_found' (the documents do not "
            "hold it) or 'invalid' (empty, too long).", ["channel", "reason"], registry=r)
        self.rate_limited = Counter("plaibot_rate_limited", "Requests refused by a rate limit.",
                                    ["channel"], registry=r)
        self.errors = Counter("plaibot_errors", "Requests (api: 5xx) or chat-page answers "
                              "(page) that failed on our side.", ["channel"], registry=r)
        self.feedback = Counter("plaibot_feedback", "Feedback votes received.",
                                ["channel", "rating"], registry=r)
        self.requests = Counter("plaibot_http_requests", "HTTP requests by route and status.",
                                ["method", "route", "status"], registry=r)
        self.index_chunks = Gauge("plaibot_index_chunks", "Chunks in the index.", registry=r,
                                  multiprocess_mode="livemax")
        # Every series exists from the start at 0, so a rate() over it is never empty.
        for channel in ("api", "page"):
            self.latency.labels(channel)
            self.rate_limited.labels(channel)
            self.errors.labels(channel)
            for reason in ("not_found", "invalid"):
                self.refusals.labels(channel, reason)

    def answer(self, channel: str, question: str, ask: Callable[[], Answer],
               started: float | None = None) -> Answer:
        """Run `ask`, counting and timing what it gives, and describe it on the log line.

        `started` (a `time.perf_counter()` reading) times an answer that was streamed
        before `ask` hands it over. Failures are counted where the caller turns them into
        an error (a 500, a message)."""
        started = time.perf_counter() if started is None else started
        try:
            answer = ask()
        except QuestionError:
            self.refusals.labels(channel, "invalid").inc()
            self._describe(channel, {"outcome": "invalid_question"})
            raise
        seconds = time.perf_counter() - started
        self.latency.labels(channel).observe(seconds)
        if answer.grounded:
            self.answers.labels(channel, answer.language).inc()
        else:
            self.refusals.labels(channel, "not_found").inc()
        facts: dict[str, object] = {
            "outcome": "answered" if answer.grounded else "refused",
            "language": answer.language, "confidence": round(answer.confidence, 3),
            "sources": len(answer.sources), "answer_ms": round(seconds * 1000, 2)}
        if self.log_conversations:
            facts.update(question=question, answer=answer.text)
        self._describe(channel, facts)
        for listener in self.listeners:
            try:
                listener(channel, question, answer)
            except Exception:  # the answer is given whatever a listener does
                log.exception("answer listener failed")
        return answer

    def _describe(self, channel: str, facts: dict[str, object]) -> None:
        # On the request's own line when there is one (the API); the chat page answers in
        # Gradio's workers, outside any request, so it gets a line of its own.
        if not annotate(**facts):
            log.info("answer", extra={"fields": {"channel": channel, **facts}})

    def request_finished(self, scope: Scope, status: int) -> None:
        """Count one HTTP request by its route template (not its path: paths are unbounded)."""
        route = getattr(scope.get("route"), "path", None) or "other"
        method = scope["method"] if scope["method"] in _METHODS else "other"
        self.requests.labels(method, route, str(status)).inc()
        if status >= 500:
            self.errors.labels("api" if route.startswith("/api/") else "http").inc()

    def render(self, chunks: int | None) -> bytes:
        """The metrics in Prometheus' text format (every worker's, in multiprocess mode)."""
        if chunks is not None:
            self.index_chunks.set(chunks)
        if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            return generate_latest(registry)
        return generate_latest(self.registry)

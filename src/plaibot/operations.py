"""Operations routes: `/api/health`, Prometheus `/metrics`, and the JSON request log."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response

from plaibot.assistant import Assistant
from plaibot.health import IndexHealth, Service
from plaibot.logs import RequestLog
from plaibot.metrics import CONTENT_TYPE, Metrics


def install_operations(app: FastAPI, assistant: Assistant, metrics: Metrics,
                       services: Mapping[str, Service] | None = None) -> None:
    """Add health and metrics routes and the request log to `app`; the health report
    includes `services` (shared state, records) by name.

    Call it after the other middleware so the request log is the outermost layer: every
    refusal (413, CORS, ...) then gets a request id and a log line too.
    """
    index_health = IndexHealth(assistant, services)

    @app.get("/api/health", tags=["operations"], responses={
        503: {"description": "Degraded: the store cannot be read or the index is empty."}})
    def health() -> JSONResponse:
        """Index, store and services: `status` ok or degraded (200 while this worker still
        answers, 503 when it cannot), chunks, files, store, last index, services."""
        healthy, report = index_health.check()
        return JSONResponse(report, status_code=200 if healthy else 503,
                            headers={"Cache-Control": "no-store"})

    @app.get("/metrics", tags=["operations"], response_class=Response, responses={
        200: {"content": {"text/plain": {}}, "description": "Prometheus text format."}})
    def prometheus() -> Response:
        """Answers, refusals, latency, rate limits, errors and index size for Prometheus."""
        try:
            chunks: int | None = assistant.store.count()
        except Exception:  # noqa: BLE001 - /api/health reports the store; metrics go on
            chunks = None
        return Response(metrics.render(chunks), media_type=CONTENT_TYPE)

    app.add_middleware(RequestLog, on_finish=metrics.request_finished)

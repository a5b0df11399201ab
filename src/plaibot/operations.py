"""Operations routes: `/api/health`, Prometheus `/metrics`, and the JSON request log."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response

from plaibot.assistant import Assistant
from plaibot.health import IndexHealth
from plaibot.logs import RequestLog
from plaibot.metrics import CONTENT_TYPE, Metrics


def install_operations(app: FastAPI, assistant: Assistant, metrics: Metrics) -> None:
    """Add health and metrics routes and the request log to `app`.

    Call it after the other middleware so the request log is the outermost layer: every
    refusal (413, CORS, ...) then gets a request id and a log line too.
    """
    index_health = IndexHealth(assistant)

    @app.get("/api/health", tags=["operations"], responses={
        503: {"description": "Degraded: the store cannot be read or the index is empty."}})
    def health() -> JSONResponse:
        """Index and store state: `status` ok or degraded, chunks, files, store, last index."""
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

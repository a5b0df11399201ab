"""What the public can reach of Gradio: the routes the chat page uses, and nothing else.

Gradio serves more than a text chat needs: file uploads (`/gradio_api/upload`), files
from its cache (`/gradio_api/file=...`), a reverse proxy, run history, monitoring, a
component server. Any of them would let a visitor store files on the server or fetch
files plaibot never gave out. `PageRoutes` answers 404 to every Gradio route that is
not listed here, before Gradio sees the request.

The list is what the page (headless Chromium: load, six questions, thumbs, a comment,
reload) and `gradio_client.Client.predict` were seen to request with Gradio 6, plus
Gradio's documented HTTP API (`/gradio_api/run/...`, `/gradio_api/call/...`) and the
stop button (`/gradio_api/cancel`). A route a newer Gradio adds stays closed until it is
listed; the browser tests show when the page needs one.
"""

from __future__ import annotations

import re

from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

# plaibot's own routes (FastAPI's, matched before the Gradio mount) and the staff console
# (behind its own login, see plaibot.staff): not filtered here.
OWN_PREFIXES = ("/api/", "/widget.js", "/metrics", "/docs", "/redoc", "/openapi.json",
                "/staff")

_NAME = r"[A-Za-z0-9_.-]+"
_READS = re.compile(
    r"/|/config/?|/favicon\.ico|/theme\.css|/robots\.txt|/manifest\.json"
    r"|/(?:assets|static)/[A-Za-z0-9_./-]+"
    rf"|/gradio_api/(?:info/?|openapi\.json|queue/data|queue/status|heartbeat/{_NAME}"
    rf"|call/{_NAME}/{_NAME})")
_WRITES = re.compile(
    rf"/gradio_api/(?:queue/join|cancel|run/{_NAME}/?|call/(?:v2/)?{_NAME}/?)")


def page_route(method: str, path: str) -> bool:
    """Whether the public may make this request of the mounted Gradio app."""
    if method in ("GET", "HEAD"):
        return _READS.fullmatch(path) is not None
    return method == "POST" and _WRITES.fullmatch(path) is not None


class PageRoutes:
    """ASGI middleware: 404 for Gradio routes the chat page does not use (uploads, files,
    proxy, monitoring, ...); plaibot's own routes and the page's pass through."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if (scope["type"] != "http" or path.startswith(OWN_PREFIXES)
                or page_route(scope["method"], path)):
            await self.app(scope, receive, send)
            return
        refused = JSONResponse({"error": {"code": "not_found", "message": "Not Found"}}, 404)
        await refused(scope, receive, send)

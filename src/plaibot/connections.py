"""How `plaibot serve` runs uvicorn: who a connection is from, and how long it may dawdle.

uvicorn's defaults do not suit a server facing the internet, so three are changed:

- Proxy headers are off. uvicorn would otherwise take the client address from
  `X-Forwarded-For` on every connection from 127.0.0.1, so anything on the same host that
  passes the header on (a proxy, a tunnel) lets each request pick its own address. plaibot
  reads the header itself, only with `PLAIBOT_TRUSTED_PROXIES` > 0 (see `access.client_ip`).
- A request must arrive whole, headers and body, within `read_timeout_seconds` of its
  first byte (or of the connection opening). uvicorn has no such limit: a client sending a
  header line every few seconds (slowloris) held a connection for as long as it liked.
- A request's headers may take at most `max_header_bytes`; uvicorn's default parser
  (httptools) takes any size (1 MB headers were accepted).
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.auto import AutoHTTPProtocol

from plaibot.config import Settings

# How long an idle connection stays open between requests: past the longest Retry-After a
# busy server gives (10 s, see plaibot.admission) and a caller's jitter on it, so a caller
# that comes back when told finds its connection open. At uvicorn's 5 s, callers came back
# as the server closed the connections they reused: 28 of about 1,700 requests failed at
# 512 clients with 4 or 8 answering threads, none at 15 s (one interleaved run, load 4).
KEEP_ALIVE_SECONDS = 15


class GuardedHTTP(AutoHTTPProtocol):  # type: ignore[misc,valid-type]
    """uvicorn's HTTP/1.1 protocol with a deadline for reading each request and a cap on
    the size of its headers. Both close the connection, with a 408 or 431 when no response
    is under way."""

    read_timeout = 15.0
    max_header_bytes = 32_768

    @classmethod
    def configure(cls, settings: Settings) -> None:
        """Take the limits from `settings`, for every connection this process serves."""
        cls.read_timeout = settings.read_timeout_seconds
        cls.max_header_bytes = settings.max_header_bytes

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._deadline: asyncio.TimerHandle | None = None
        self._head_bytes = 0
        self._arm()

    def data_received(self, data: bytes) -> None:
        cycle = self.cycle
        super().data_received(data)
        if self.transport.get_protocol() is not self:  # upgraded (a WebSocket): not ours
            self._stop()
            return
        if self.cycle is cycle and self._between_requests():
            # No new request has begun: these bytes were all request line and headers.
            self._head_bytes += len(data)
            if self._head_bytes > self.max_header_bytes:
                self._close(b"431 Request Header Fields Too Large")
                return
        else:
            self._head_bytes = 0
        if self._reading():
            self._arm()
        else:
            self._stop()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop()
        super().connection_lost(exc)

    def _between_requests(self) -> bool:
        cycle = self.cycle
        return cycle is None or (cycle.response_complete and not cycle.more_body)

    def _reading(self) -> bool:
        """Whether a request is still arriving (rather than being answered): its head, or
        its body (even one the app answered without reading, which uvicorn discards)."""
        cycle = self.cycle
        return cycle is None or cycle.response_complete or cycle.more_body

    def _arm(self) -> None:
        if self._deadline is None:
            self._deadline = self.loop.call_later(self.read_timeout, self._close,
                                                  b"408 Request Timeout")

    def _stop(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _close(self, status: bytes) -> None:
        self._stop()  # a pending timer would keep this connection's buffers alive
        if self.transport.is_closing():
            return
        if self._between_requests():  # nothing else is being sent
            self.transport.write(b"HTTP/1.1 " + status + b"\r\nconnection: close\r\n"
                                 b"content-length: 0\r\n\r\n")
        self.transport.close()


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """The keyword arguments `plaibot serve` gives `uvicorn.run`, besides app and address
    (and `GuardedHTTP`'s limits for this process; worker processes configure their own)."""
    GuardedHTTP.configure(settings)
    return {"http": GuardedHTTP, "proxy_headers": False,
            "h11_max_incomplete_event_size": settings.max_header_bytes,
            "timeout_keep_alive": KEEP_ALIVE_SECONDS, "log_config": None, "access_log": False}

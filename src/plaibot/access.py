"""Who may use the public API, and how often: origins, signed tokens, rate limits.

Everything a browser is given is signed, never secret: the key stays on the server.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable

from plaibot.errors import AccessDenied
from plaibot.state import MemoryState, SharedState


def normalise_origin(origin: str | None) -> str:
    return (origin or "").strip().rstrip("/").lower()


class TokenSigner:
    """Short-lived tokens bound to the origin that asked for them (HMAC-SHA256)."""

    def __init__(self, secret: bytes, ttl_seconds: int, clock: Callable[[], float] = time.time):
        self._secret, self.ttl, self.clock = secret, ttl_seconds, clock

    @classmethod
    def with_secret(cls, secret: str | None, ttl_seconds: int) -> TokenSigner:
        return cls(secret.encode() if secret else secrets.token_bytes(32), ttl_seconds)

    def issue(self, origin: str) -> str:
        claims = {"o": normalise_origin(origin), "e": int(self.clock()) + self.ttl,
                  "n": secrets.token_hex(6)}
        body = _b64(json.dumps(claims, separators=(",", ":")).encode())
        return f"{body}.{self._sign(body)}"

    def verify(self, token: str | None, origin: str | None) -> str:
        """The token's origin; raises `AccessDenied` when forged, expired or replayed."""
        if not token:
            raise AccessDenied(401, "token_missing", "A chat token is required (POST /api/session).")
        body, _, signature = token.partition(".")
        if not hmac.compare_digest(signature.encode(), self._sign(body).encode()):
            raise AccessDenied(401, "token_invalid", "The chat token is not valid.")
        try:
            claims = json.loads(_unb64(body))
            bound, expires = str(claims["o"]), int(claims["e"])
        except (ValueError, KeyError, TypeError):
            raise AccessDenied(401, "token_invalid", "The chat token is not valid.") from None
        if expires < self.clock():
            raise AccessDenied(401, "token_expired", "The chat token has expired; get a new one.")
        if bound != normalise_origin(origin):
            raise AccessDenied(403, "token_origin", "The chat token belongs to another site.")
        return bound

    def _sign(self, body: str) -> str:
        return _b64(hmac.new(self._secret, body.encode(), hashlib.sha256).digest())


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class RateLimiter:
    """Fixed-window counters per key ("ip:1.2.3.4", "token:..."), kept in `state`.

    Windows are aligned to the clock (every `window_seconds` from the epoch), so workers
    sharing a `SqliteState` count into the same window without coordinating.
    """

    def __init__(self, limit: int, window_seconds: int, state: SharedState | None = None,
                 clock: Callable[[], float] = time.time):
        self.limit, self.window, self.clock = limit, window_seconds, clock
        self.state = state or MemoryState()

    def hit(self, key: str) -> None:
        """Count one request for `key`; raises `AccessDenied` (429) past the limit."""
        now = self.clock()
        window = int(now // self.window)
        ends = (window + 1) * self.window
        if self.state.count(f"{key}@{window}", expires_at=ends) > self.limit:
            retry = max(1, int(ends - now + 0.999))
            raise AccessDenied(429, "rate_limited",
                               f"Too many requests; try again in {retry} s.", retry)


def client_ip(peer: str | None, forwarded_for: str | None, trusted_proxies: int) -> str:
    """The client's address: the peer, or with N trusted proxies the Nth X-Forwarded-For
    entry from the right (entries further left can be forged by the client)."""
    if trusted_proxies and forwarded_for:
        hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
        if hops:
            return hops[-min(trusted_proxies, len(hops))]
    return peer or "unknown"

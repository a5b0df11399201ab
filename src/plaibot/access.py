"""Who may use the public API, and how often: origins, signed tokens, rate limits.

Everything a browser is given is signed, never secret: the key stays on the server.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import secrets
import time
from collections.abc import Callable

from plaibot.errors import AccessDenied
from plaibot.state import MemoryState, SharedState


def normalise_origin(origin: str | None) -> str:
    return (origin or "").strip().rstrip("/").lower()


_LOOPBACK = ("127.0.0.1", "localhost", "[::1]")


def own_origins(host: str, port: int) -> set[str]:
    """The origins a server listening on `host`:`port` is reached at directly.

    A loopback or every-address listener is reached at each loopback name; any other
    address is reached at itself. The public address behind a proxy is not knowable
    here: list it in `PLAIBOT_ALLOWED_ORIGINS`.
    """
    host = host.strip().strip("[]").lower()
    names = list(_LOOPBACK) if host in ("127.0.0.1", "localhost", "::1", "0.0.0.0", "::", "") \
        else [f"[{host}]" if ":" in host else host]
    return {f"http://{name}:{port}" for name in names}


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
        """The token's origin; raises `AccessDenied` when missing, forged, expired or sent
        from another origin. A token is a bearer token: it may be used again until it
        expires (the per-token rate limit bounds how often), so a copied token works for
        its origin until then and no longer."""
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


_MAX_KEY_CHARS = 64


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
        if len(key) > _MAX_KEY_CHARS:  # every key costs the same few bytes, whatever it is
            key = "sha256:" + hashlib.sha256(key.encode()).hexdigest()[:32]
        now = self.clock()
        window = int(now // self.window)
        ends = (window + 1) * self.window
        if self.state.count(f"{key}@{window}", expires_at=ends) > self.limit:
            retry = max(1, int(ends - now + 0.999))
            raise AccessDenied(429, "rate_limited",
                               f"Too many requests; try again in {retry} s.", retry)


def client_ip(peer: str | None, forwarded_for: str | None, trusted_proxies: int) -> str:
    """The client's address: the socket's peer, or with N trusted proxies the Nth
    X-Forwarded-For entry from the right (entries further left can be forged by the client).

    A chain shorter than N is read from its left end, the entry the outermost proxy that
    saw the request wrote. Only a valid IP address is taken from the header; anything else
    (a name, garbage) leaves the peer's address.
    """
    if trusted_proxies and forwarded_for:
        hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
        address = _ip(hops[-min(trusted_proxies, len(hops))]) if hops else None
        if address:
            return address
    return _ip(peer or "") or peer or "unknown"


def rate_key(address: str) -> str:
    """What one client is counted as: its IPv4 address, or its IPv6 /64 network (one
    subscriber line gets a whole /64, so counting single IPv6 addresses counts nothing)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _ip(text: str) -> str | None:
    """`text` as a normalised IP address (a port, or IPv6 brackets, removed); else None."""
    text = text.strip()
    if text.startswith("[") and "]" in text:
        text = text[1:text.index("]")]
    elif text.count(":") == 1:  # IPv4 with a port
        text = text.split(":")[0]
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None

"""State that several worker processes must share: rate-limit counters and conversations.

One process keeps it in memory (`MemoryState`). Several workers on one host share a SQLite
file (`SqliteState`, set `PLAIBOT_STATE_PATH`): every worker then counts the same requests
and reads the same conversations, whichever worker a request lands on. Several hosts share
a Redis server (`RedisState`, set `PLAIBOT_REDIS_URL`), wrapped in `FallbackState` so that
while Redis is away each process counts and remembers on its own and nothing fails.
`open_state` is the one place the backend is chosen.
"""

from __future__ import annotations

import heapq
import json
import logging
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Protocol, TypeVar

from plaibot.errors import StateUnavailable

log = logging.getLogger(__name__)
T = TypeVar("T")


class SharedState(Protocol):
    """What the rate limiter and the conversation store need from their storage."""

    def count(self, key: str, expires_at: float) -> int:
        """Add one to `key`'s counter (kept until `expires_at`, wall clock) and return it."""

    def questions(self, conversation_id: str, max_age: float) -> list[str] | None:
        """A conversation's questions, or None when unknown or older than `max_age` s."""

    def save_questions(self, conversation_id: str, questions: list[str]) -> None:
        """Store a conversation's questions (replacing what was there)."""


class MemoryState:
    """This process's memory; bounded, so floods of new keys cannot exhaust it.

    Counters are dropped as they expire (at the next count after their window ends) and
    never number more than `capacity`: past it the counter that would expire soonest goes.
    """

    def __init__(self, capacity: int = 10_000) -> None:
        self.capacity = capacity
        self._counters: dict[str, tuple[float, int]] = {}
        self._expiry: list[tuple[float, str]] = []  # a heap: the soonest expiry first
        self._conversations: OrderedDict[str, tuple[float, list[str]]] = OrderedDict()
        self._lock = threading.Lock()

    def count(self, key: str, expires_at: float) -> int:
        with self._lock:
            now = time.time()
            while self._expiry and self._expiry[0][0] <= now:
                self._forget_soonest()
            if key not in self._counters:
                while len(self._counters) >= self.capacity:
                    self._forget_soonest()
                heapq.heappush(self._expiry, (expires_at, key))
                self._counters[key] = (expires_at, 0)
            expires, count = self._counters[key]
            self._counters[key] = (expires, count + 1)
            return count + 1

    def _forget_soonest(self) -> None:
        # Every counter has exactly one heap entry, pushed when the counter was made.
        _, key = heapq.heappop(self._expiry)
        del self._counters[key]

    def questions(self, conversation_id: str, max_age: float) -> list[str] | None:
        with self._lock:
            item = self._conversations.get(conversation_id)
        if item is None or time.time() - item[0] > max_age:
            return None
        return list(item[1])

    def save_questions(self, conversation_id: str, questions: list[str]) -> None:
        with self._lock:
            self._conversations[conversation_id] = (time.time(), list(questions))
            self._conversations.move_to_end(conversation_id)
            while len(self._conversations) > self.capacity:
                self._conversations.popitem(last=False)


class SqliteState:
    """A SQLite file shared by the workers of one host (WAL mode: readers never block)."""

    _SCHEMA = """
        CREATE TABLE IF NOT EXISTS counters (key TEXT PRIMARY KEY, expires_at REAL, n INTEGER);
        CREATE TABLE IF NOT EXISTS conversations (
            id TEXT PRIMARY KEY, updated_at REAL, questions TEXT);
        CREATE INDEX IF NOT EXISTS counters_expiry ON counters (expires_at);
        CREATE INDEX IF NOT EXISTS conversations_age ON conversations (updated_at);
    """

    def __init__(self, path: Path, max_age: float = 86_400) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path, self.max_age = path, max_age
        self._local = threading.local()
        with self._connection() as db:
            db.executescript(self._SCHEMA)
        self._writes = 0

    def _connection(self) -> sqlite3.Connection:
        # One connection per thread: sqlite3 connections must not cross threads.
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            self._local.db = db
        return db

    def count(self, key: str, expires_at: float) -> int:
        db = self._connection()
        row = db.execute(
            "INSERT INTO counters (key, expires_at, n) VALUES (?, ?, 1) "
            "ON CONFLICT (key) DO UPDATE SET n = n + 1 RETURNING n", (key, expires_at)
        ).fetchone()
        self._sweep(db)
        return int(row[0])

    def questions(self, conversation_id: str, max_age: float) -> list[str] | None:
        row = self._connection().execute(
            "SELECT questions FROM conversations WHERE id = ? AND updated_at >= ?",
            (conversation_id, time.time() - max_age)).fetchone()
        return list(json.loads(row[0])) if row else None

    def save_questions(self, conversation_id: str, questions: list[str]) -> None:
        db = self._connection()
        db.execute(
            "INSERT INTO conversations (id, updated_at, questions) VALUES (?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET updated_at = excluded.updated_at, "
            "questions = excluded.questions",
            (conversation_id, time.time(), json.dumps(questions, ensure_ascii=False)))
        self._sweep(db)

    def _sweep(self, db: sqlite3.Connection) -> None:
        """Now and then, drop expired counters and old conversations."""
        self._writes += 1
        if self._writes % 500 == 0:
            now = time.time()
            db.execute("DELETE FROM counters WHERE expires_at < ?", (now,))
            db.execute("DELETE FROM conversations WHERE updated_at < ?", (now - self.max_age,))


class RedisState:
    """Redis, shared by every worker of every host (needs the `redis` package, plaibot[scale]).

    Counters are `INCR` plus `EXPIREAT` in one MULTI/EXEC transaction, so every host adds to
    the same number and Redis drops it when its window is over. A conversation is one key
    holding its questions and when they were saved, expiring after `max_age` seconds.
    Every failure to reach Redis is raised as `StateUnavailable`.
    """

    def __init__(self, url: str, max_age: float = 86_400, prefix: str = "plaibot:",
                 timeout_seconds: float = 0.5) -> None:
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        self.url, self.max_age, self.prefix = url, max_age, prefix
        # One immediate retry replaces a pooled connection a Redis restart closed; redis-py's
        # default (10 retries, backoff up to 1 s) would hold every request while Redis is down.
        self.client = redis.Redis.from_url(
            url, socket_timeout=timeout_seconds, socket_connect_timeout=timeout_seconds,
            retry=Retry(NoBackoff(), 1), decode_responses=True)
        self._errors = (redis.RedisError, OSError)

    def _call(self, operation: Callable[[], T]) -> T:
        try:
            return operation()
        except self._errors as error:
            kind = type(error).__name__
            raise StateUnavailable(f"Redis at {self.location()} is unreachable ({kind})",
                                   f"Redis is unreachable ({kind})") from error

    def location(self) -> str:
        """The server's address without any password in the URL (for the log)."""
        kwargs = self.client.connection_pool.connection_kwargs
        return f"{kwargs.get('host', 'localhost')}:{kwargs.get('port', 6379)}/{kwargs.get('db', 0)}"

    def describe(self) -> dict[str, str]:
        """What anyone may know of it: Redis, and the database number (no host or port)."""
        return {"kind": "redis",
                "name": f"db {self.client.connection_pool.connection_kwargs.get('db', 0)}"}

    def count(self, key: str, expires_at: float) -> int:
        def incr() -> int:
            pipe = self.client.pipeline(transaction=True)
            pipe.incr(self.prefix + "count:" + key)
            pipe.expireat(self.prefix + "count:" + key, int(expires_at) + 1)
            return int(pipe.execute()[0])
        return self._call(incr)

    def questions(self, conversation_id: str, max_age: float) -> list[str] | None:
        raw = self._call(lambda: self.client.get(self.prefix + "conversation:" + conversation_id))
        if raw is None:
            return None
        saved = json.loads(raw)
        return None if time.time() - saved["at"] > max_age else list(saved["questions"])

    def save_questions(self, conversation_id: str, questions: list[str]) -> None:
        value = json.dumps({"at": time.time(), "questions": questions}, ensure_ascii=False)
        self._call(lambda: self.client.set(self.prefix + "conversation:" + conversation_id,
                                           value, ex=max(1, int(self.max_age))))

    def ping(self) -> None:
        self._call(self.client.ping)


class FallbackState:
    """`primary` (a server) while it answers, else `fallback` (this process's memory).

    While the server is away, every process counts rate limits and keeps conversations on
    its own (logged once as a warning), and tries the server again every `retry_seconds`
    rather than on every request; once it answers, it is used again without a restart.
    What was kept in memory meanwhile is not copied back: it is short-lived anyway.
    """

    def __init__(self, primary: RedisState, fallback: SharedState | None = None,
                 retry_seconds: float = 2.0) -> None:
        self.primary, self.fallback = primary, fallback or MemoryState()
        self.retry_seconds = retry_seconds
        self._down_since: float | None = None
        self._retry_at = 0.0
        self._problem: str | None = None  # for reports anyone may read: no address
        self._lock = threading.Lock()

    def _use(self, operation: Callable[[SharedState], T]) -> T:
        if self._down_since is None or time.monotonic() >= self._retry_at:
            try:
                result = operation(self.primary)
            except StateUnavailable as error:
                self._went_down(error)
            else:
                if self._down_since is not None:
                    self._came_back()
                return result
        return operation(self.fallback)

    def _went_down(self, error: StateUnavailable) -> None:
        with self._lock:
            self._retry_at = time.monotonic() + self.retry_seconds
            if self._down_since is None:
                self._down_since, self._problem = time.monotonic(), error.public
                log.warning("%s: rate limits and conversations are kept per process until "
                            "it is back", error)

    def _came_back(self) -> None:
        with self._lock:
            if self._down_since is not None:
                log.warning("Redis at %s is back after %.0f s: rate limits and conversations "
                            "are shared again", self.primary.location(),
                            time.monotonic() - self._down_since)
                self._down_since = self._problem = None

    def count(self, key: str, expires_at: float) -> int:
        return self._use(lambda state: state.count(key, expires_at))

    def questions(self, conversation_id: str, max_age: float) -> list[str] | None:
        return self._use(lambda state: state.questions(conversation_id, max_age))

    def save_questions(self, conversation_id: str, questions: list[str]) -> None:
        self._use(lambda state: state.save_questions(conversation_id, questions))

    def describe(self) -> dict[str, str]:
        return self.primary.describe()

    def problem(self) -> str | None:
        """Why the shared state is not in use, for health reports anyone may read (no
        address: the log has it), or None when it is."""
        self._use(lambda state: state is self.primary and self.primary.ping())
        return self._problem and f"{self._problem}; rate limits and conversations per process"


def open_state(path: Path | None, redis_url: str | None = None) -> SharedState:
    """Redis at `redis_url` (with memory while it is away) when given, else the SQLite file
    at `path` when given, else this process's memory."""
    if redis_url:
        return FallbackState(RedisState(redis_url))
    return SqliteState(path) if path else MemoryState()

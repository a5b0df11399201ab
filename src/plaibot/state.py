"""State that several worker processes must share: rate-limit counters and conversations.

One process keeps it in memory (`MemoryState`). Several workers on one host share a SQLite
file (`SqliteState`, set `PLAIBOT_STATE_PATH`): every worker then counts the same requests
and reads the same conversations, whichever worker a request lands on.
"""

from __future__ import annotations

import heapq
import json
import sqlite3
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Protocol


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


def open_state(path: Path | None) -> SharedState:
    """The SQLite file at `path` when given, else this process's memory."""
    return SqliteState(path) if path else MemoryState()

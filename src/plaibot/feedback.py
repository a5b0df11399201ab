"""User feedback on answers (thumbs up or down, an optional comment), kept in SQLite.

One row per answer and conversation: a later vote on the same answer (a changed mind, a
comment added after the thumb) updates it. The file is in WAL mode and every operation
opens its own short connection, so several worker processes can write to it at once.

>>> store = FeedbackStore(Path(".plaibot/feedback.sqlite3"))
>>> store.export()                      # list of dicts, oldest first
>>> print(store.export_csv())           # the same as CSV, for a spreadsheet
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from plaibot.text import clean_text

Rating = Literal["up", "down"]
log = logging.getLogger(__name__)
RATINGS: tuple[Rating, ...] = ("up", "down")
MAX_COMMENT_CHARS = 1000
MAX_ANSWER_CHARS = 4000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY,
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    answer_key TEXT NOT NULL,
    rating TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    comment TEXT NOT NULL DEFAULT '',
    question TEXT NOT NULL DEFAULT '',
    answer TEXT NOT NULL,
    channel TEXT NOT NULL,
    origin TEXT NOT NULL DEFAULT '',
    UNIQUE (conversation_id, answer_key)
)
"""
_UPSERT = """
INSERT INTO feedback (created, updated, conversation_id, answer_key, rating, comment, question,
                      answer, channel, origin)
VALUES (:now, :now, :conversation_id, :answer_key, :rating, :comment, :question, :answer,
        :channel, :origin)
ON CONFLICT (conversation_id, answer_key) DO UPDATE SET
    updated = excluded.updated,
    rating = excluded.rating,
    comment = CASE WHEN excluded.comment != '' THEN excluded.comment ELSE comment END,
    question = CASE WHEN excluded.question != '' THEN excluded.question ELSE question END
RETURNING id
"""
COLUMNS = ("id", "created", "updated", "conversation_id", "rating", "comment", "question",
           "answer", "channel", "origin")


@dataclass(frozen=True)
class Feedback:
    """One vote on one answer. Text is cleaned and capped on the way in."""

    conversation_id: str
    answer: str
    rating: Rating
    comment: str = ""
    question: str = ""
    channel: str = "api"  # "api" (the widget and other API clients) or "page" (the chat page)
    origin: str = ""  # the partner site whose token posted it (API only)

    def __post_init__(self) -> None:
        if self.rating not in RATINGS:
            raise ValueError(f"rating must be one of {RATINGS}, not {self.rating!r}")
        if not self.conversation_id.strip() or not self.answer.strip():
            raise ValueError("feedback needs the conversation id and the answer")
        for name, limit in (("comment", MAX_COMMENT_CHARS), ("answer", MAX_ANSWER_CHARS),
                            ("question", MAX_ANSWER_CHARS), ("conversation_id", 200),
                            ("channel", 20), ("origin", 200)):
            object.__setattr__(self, name, clean_text(getattr(self, name)).strip()[:limit])


class FeedbackStore:
    """Feedback in an SQLite file that survives restarts and is shared by worker processes."""

    def __init__(self, path: Path, timeout_seconds: float = 10.0) -> None:
        self.path, self.timeout = Path(path), timeout_seconds
        # Called with each vote once stored (the knowledge-gap log keeps thumbs down).
        self.listeners: list[Callable[[Feedback], None]] = []
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            # WAL lets readers and one writer work at once, across processes; the mode is
            # stored in the file, so it holds for every later connection too.
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        # A connection per operation: cheap next to a request, safe across threads, and a
        # writer in another process only makes this one wait up to `timeout`.
        with closing(sqlite3.connect(self.path, timeout=self.timeout)) as db, db:
            yield db

    def add(self, feedback: Feedback) -> int:
        """Record `feedback` (or update the earlier vote on the same answer); returns its id."""
        row = {**asdict(feedback), "now": _now(), "answer_key": _key(feedback.answer)}
        with self._connect() as db:
            feedback_id = int(db.execute(_UPSERT, row).fetchone()[0])
        for listener in self.listeners:
            try:
                listener(feedback)
            except Exception:  # the vote is stored; a listener's failure must not lose it
                log.exception("feedback listener failed")
        return feedback_id

    def export(self) -> list[dict[str, object]]:
        """Every vote, oldest first, as dicts with the keys in `COLUMNS`."""
        with self._connect() as db:
            db.row_factory = sqlite3.Row
            rows = db.execute(f"SELECT {', '.join(COLUMNS)} FROM feedback ORDER BY id").fetchall()
        return [dict(row) for row in rows]

    def export_csv(self) -> str:
        """`export()` as CSV text with a header row."""
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(safe_cell(row) for row in self.export())
        return out.getvalue()

    def count(self) -> int:
        with self._connect() as db:
            return int(db.execute("SELECT count(*) FROM feedback").fetchone()[0])


def _key(answer: str) -> str:
    return hashlib.sha256(" ".join(answer.split()).encode()).hexdigest()[:32]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def safe_cell(row: dict[str, object]) -> dict[str, object]:
    """Comments are typed by the public: a cell starting with = + - @ would be run as a
    formula by the spreadsheet staff open the export in, so it is prefixed with a quote."""
    return {k: f"'{v}" if isinstance(v, str) and v[:1] in ("=", "+", "-", "@", "\t", "\r")
            else v for k, v in row.items()}

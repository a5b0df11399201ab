"""User feedback on answers (thumbs up or down, an optional comment), kept in the records.

One row per answer and conversation: a later vote on the same answer (a changed mind, a
comment added after the thumb) updates it. The table is `plaibot.records.tables.feedback`,
in a SQLite file (WAL mode, shared by the workers of one host) or in the PostgreSQL
database every host shares; when that cannot be reached, `add` raises `RecordsUnavailable`.

>>> store = FeedbackStore(Path(".plaibot/feedback.sqlite3"))   # or FeedbackStore(Records(url))
>>> store.export()                      # list of dicts, oldest first
>>> print(store.export_csv())           # the same as CSV, for a spreadsheet
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from sqlalchemy import Connection, Update, func, select

from plaibot.records import Records, database_url, tables
from plaibot.text import clean_text

log = logging.getLogger(__name__)
Rating = Literal["up", "down"]
RATINGS: tuple[Rating, ...] = ("up", "down")
MAX_COMMENT_CHARS = 1000
MAX_ANSWER_CHARS = 4000

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
    # The retrieval confidence the answer was given with, as the conversation store kept it
    # (None when unknown). Not stored with the vote: the gap log keeps it for a thumbs down.
    confidence: float | None = None

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
    """Feedback in the records database: survives restarts, shared by workers (and hosts)."""

    def __init__(self, records: Records | Path | str) -> None:
        # A path is a SQLite file, as before the records had a database of their own.
        self.records = records if isinstance(records, Records) else Records(
            database_url(None, Path(records)))
        # Called with a vote whose rating is new for its answer, once stored, and the rating
        # it replaced (None for a first vote): the knowledge-gap log keeps thumbs down.
        self.listeners: list[Callable[[Feedback, Rating | None], None]] = []

    def add(self, feedback: Feedback) -> int:
        """Record `feedback` (or update the earlier vote on the same answer); returns its id.

        Listeners hear of a vote only when its rating is new for that answer: the first
        vote, or a changed mind (up to down, down to up). The same vote saved again, as the
        widget and the chat page do when a comment follows the thumb, updates the row and
        tells no one, so a thumbs down counts once in the knowledge gaps."""
        with self.records.begin() as db:
            feedback_id, replaced = self._store(db, feedback)
        if replaced != feedback.rating:
            self._tell(feedback, replaced)
        return feedback_id

    def _store(self, db: Connection, feedback: Feedback) -> tuple[int, Rating | None]:
        """Insert the vote or update the answer's row; returns its id and the rating it
        replaced (None when new). Each step is one write statement, and the database lets
        only one of two votes at once (a double click) insert the row or change its rating,
        so the other reads as the same vote saved again."""
        inserted = self._insert(db, feedback)
        if inserted is not None:
            return inserted, None
        table = tables.feedback
        same_answer = (table.c.conversation_id == feedback.conversation_id) & (
            table.c.answer_key == _key(feedback.answer))
        update = _update(feedback)
        changed = db.execute(update.where(same_answer, table.c.rating != feedback.rating)).scalar()
        if changed is not None:
            return int(changed), _other(feedback.rating)
        return int(db.execute(update.where(same_answer)).scalar_one()), feedback.rating

    def _insert(self, db: Connection, feedback: Feedback) -> int | None:
        """The new row's id; None when the answer has a vote already."""
        table = tables.feedback
        now = _now()
        row = {k: v for k, v in asdict(feedback).items() if k != "confidence"}
        insert = self.records.insert(table).values(
            **row, created=now, updated=now, answer_key=_key(feedback.answer))
        insert = insert.on_conflict_do_nothing(
            index_elements=[table.c.conversation_id, table.c.answer_key])
        inserted = db.execute(insert.returning(table.c.id)).scalar()
        return None if inserted is None else int(inserted)

    def _tell(self, feedback: Feedback, replaced: Rating | None) -> None:
        for listener in self.listeners:
            try:
                listener(feedback, replaced)
            except Exception:  # the vote is stored; a listener's failure must not lose it
                log.exception("feedback listener failed")

    def export(self) -> list[dict[str, object]]:
        """Every vote, oldest first, as dicts with the keys in `COLUMNS`."""
        table = tables.feedback
        query = select(*(table.c[name] for name in COLUMNS)).order_by(table.c.id)
        with self.records.begin() as db:
            return [dict(row._mapping) for row in db.execute(query)]

    def export_csv(self) -> str:
        """`export()` as CSV text with a header row."""
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(safe_cell(row) for row in self.export())
        return out.getvalue()

    def count(self) -> int:
        with self.records.begin() as db:
            return int(db.execute(select(func.count()).select_from(tables.feedback)).scalar_one())


def _update(feedback: Feedback) -> Update:
    """The UPDATE (without its WHERE) that makes an answer's row show `feedback`."""
    # One row per answer, as staff read them: a later vote replaces the rating, and the
    # origin with it, so the row names the site whose vote it shows. (A row per origin
    # would need another unique key, and a second site can reach an answer only with the
    # conversation's secret id and by being given that answer itself.) A vote without a
    # comment or question keeps the ones given before.
    table = tables.feedback
    return table.update().values(
        updated=_now(), rating=feedback.rating, origin=feedback.origin,
        comment=feedback.comment or table.c.comment,
        question=feedback.question or table.c.question).returning(table.c.id)


def _other(rating: Rating) -> Rating:
    return next(r for r in RATINGS if r != rating)


def _key(answer: str) -> str:
    return hashlib.sha256(" ".join(answer.split()).encode()).hexdigest()[:32]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def safe_cell(row: dict[str, object]) -> dict[str, object]:
    """Comments are typed by the public: a cell starting with = + - @ would be run as a
    formula by the spreadsheet staff open the export in, so it is prefixed with a quote."""
    return {k: f"'{v}" if isinstance(v, str) and v[:1] in ("=", "+", "-", "@", "\t", "\r")
            else v for k, v in row.items()}

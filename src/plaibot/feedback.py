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

from sqlalchemy import case, func, select

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
        # Called with each vote once stored (the knowledge-gap log keeps thumbs down).
        self.listeners: list[Callable[[Feedback], None]] = []

    def add(self, feedback: Feedback) -> int:
        """Record `feedback` (or update the earlier vote on the same answer); returns its id."""
        table = tables.feedback
        now = _now()
        row = {k: v for k, v in asdict(feedback).items() if k != "confidence"}
        vote = self.records.insert(table).values(
            **row, created=now, updated=now, answer_key=_key(feedback.answer))
        new = vote.excluded
        # One row per answer, as staff read them: a later vote replaces the rating, and the
        # origin with it, so the row names the site whose vote it shows. (A row per origin
        # would need another unique key, and a second site can reach an answer only with the
        # conversation's secret id and by being given that answer itself.)
        vote = vote.on_conflict_do_update(
            index_elements=[table.c.conversation_id, table.c.answer_key],
            set_={"updated": new.updated, "rating": new.rating, "origin": new.origin,
                  "comment": case((new.comment != "", new.comment), else_=table.c.comment),
                  "question": case((new.question != "", new.question), else_=table.c.question)},
        ).returning(table.c.id)
        with self.records.begin() as db:
            feedback_id = int(db.execute(vote).scalar_one())
        for listener in self.listeners:
            try:
                listener(feedback)
            except Exception:  # the vote is stored; a listener's failure must not lose it
                log.exception("feedback listener failed")
        return feedback_id

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


def _key(answer: str) -> str:
    return hashlib.sha256(" ".join(answer.split()).encode()).hexdigest()[:32]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def safe_cell(row: dict[str, object]) -> dict[str, object]:
    """Comments are typed by the public: a cell starting with = + - @ would be run as a
    formula by the spreadsheet staff open the export in, so it is prefixed with a quote."""
    return {k: f"'{v}" if isinstance(v, str) and v[:1] in ("=", "+", "-", "@", "\t", "\r")
            else v for k, v in row.items()}

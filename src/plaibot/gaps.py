"""Knowledge gaps: the questions the documents could not answer, kept for staff and grouped.

Every refused question, and every answer a visitor gave a thumbs down (once per vote: the
same vote saved again with a comment does not count twice, and a thumbs down changed to a
thumbs up is taken back), becomes a `GapRecord`: the question, its language, when, the
channel (`api` or `page`), why it counts (`low_confidence`, `documents_unknown`,
`thumbs_down`) and the retrieval confidence. Nothing
that identifies the asker is kept: no IP address, user agent or conversation id. Records
(and daily counts) older than `PLAIBOT_GAPS_DAYS` are deleted as new ones arrive and
whenever they are read, so none outlive it while no new gap comes; 0 keeps none at all.

`group_gaps` puts questions that mean the same thing together, in either language, by the
cosine similarity of their embeddings (any LangChain `Embeddings`; plaibot passes the
assistant's own), so staff see which missing document would answer the most visitors:

>>> log = GapLog(RecordsGapStorage(Records("sqlite:///.plaibot/feedback.sqlite3")), days=90)
>>> [(g.count, g.example, g.last) for g in log.gaps(embeddings, min_confidence=0.2)]

Storage sits behind `GapStorage`; `RecordsGapStorage` keeps them in the records database
(`plaibot.records`: the SQLite file beside the index, or PostgreSQL), tables
`knowledge_gaps` and `daily_activity`.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Literal, Protocol

import numpy as np
from sqlalchemy import func, select

from plaibot.records import Records, tables
from plaibot.text import clean_text, detect_language

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

    from plaibot.answering import Answer

log = logging.getLogger(__name__)

Reason = Literal["low_confidence", "documents_unknown", "thumbs_down"]
MAX_QUESTION_CHARS = 1000
# Cosine similarity from which two questions count as one gap. Fitted on the golden set's
# 131 Indonesian/English question pairs (same fact, other language) against the pairs of
# different questions, which mostly name the same places and people (hard negatives):
# all-MiniLM-L6-v2 (English-only) groups 4% of the pairs at 0.70 while 3.9% of same-language
# different questions merge; it cannot group across languages (its nearest other-language
# question is the paraphrase for 29% of them). multilingual-e5-small: at 0.92, 65% of the
# pairs and 0.4% (other language) / 2.7% (same language) of the different questions.
SIMILARITY = {"all-MiniLM-L6-v2": 0.70, "multilingual-e5-small": 0.92}
DEFAULT_SIMILARITY = 0.80


@dataclass(frozen=True)
class GapRecord:
    """One question the documents did not answer well."""

    question: str
    language: str
    channel: str
    reason: Reason
    confidence: float
    created: str = field(default_factory=lambda: _now().isoformat(timespec="seconds"))

    def __post_init__(self) -> None:
        object.__setattr__(self, "question", kept_question(self.question))


def kept_question(question: str) -> str:
    """`question` as a record keeps it: cleaned, on one line, capped."""
    return " ".join(clean_text(question).split())[:MAX_QUESTION_CHARS]


@dataclass(frozen=True)
class Gap:
    """Questions that mean the same thing: how many, one of them, when last asked."""

    count: int
    example: str
    last: str  # the day of the newest question (YYYY-MM-DD)
    languages: list[str]
    reasons: list[str]
    confidence: float  # the highest: how close the documents came
    questions: list[str]  # distinct wordings, most asked first

    def as_row(self) -> dict[str, object]:
        return {**asdict(self), "languages": ", ".join(self.languages),
                "reasons": ", ".join(self.reasons), "questions": " | ".join(self.questions)}


class GapStorage(Protocol):
    """What `GapLog` needs from its storage: records and per-day counts, with deletion."""

    def add(self, record: GapRecord) -> None: ...

    def records_since(self, since: str, min_confidence: float = 0.0,
                      max_confidence: float = 1.0) -> list[GapRecord]:
        """Records created at `since` (ISO time) or later, oldest first."""

    def remove_newest(self, question: str, channel: str, reason: Reason) -> None:
        """Delete the newest record of `question` on `channel` for `reason`, if any."""

    def count(self, day: str, kind: str, channel: str) -> None:
        """Add one to the day's counter of `kind` ("question", "refusal") on `channel`."""

    def daily(self, since: str) -> list[tuple[str, str, int]]:
        """(day, kind, count) from `since` (YYYY-MM-DD) on, channels added up."""

    def delete_before(self, when: str) -> int:
        """Delete records (and daily counts) older than `when` (ISO); returns records gone."""


class RecordsGapStorage:
    """Gap records in the records database (`plaibot.records`: SQLite or PostgreSQL)."""

    def __init__(self, records: Records) -> None:
        self.records = records

    def add(self, record: GapRecord) -> None:
        with self.records.begin() as db:
            db.execute(tables.knowledge_gaps.insert().values(**asdict(record)))

    def records_since(self, since: str, min_confidence: float = 0.0,
                      max_confidence: float = 1.0) -> list[GapRecord]:
        t = tables.knowledge_gaps
        query = (select(t.c.question, t.c.language, t.c.channel, t.c.reason, t.c.confidence,
                        t.c.created)
                 .where(t.c.created >= since, t.c.confidence >= min_confidence,
                        t.c.confidence <= max_confidence).order_by(t.c.id))
        with self.records.begin() as db:
            return [GapRecord(*row) for row in db.execute(query)]

    def remove_newest(self, question: str, channel: str, reason: Reason) -> None:
        t = tables.knowledge_gaps
        newest = (select(func.max(t.c.id)).where(t.c.question == question, t.c.channel == channel,
                                                 t.c.reason == reason).scalar_subquery())
        with self.records.begin() as db:
            db.execute(t.delete().where(t.c.id == newest))

    def count(self, day: str, kind: str, channel: str) -> None:
        t = tables.daily_activity
        one = self.records.insert(t).values(day=day, kind=kind, channel=channel, n=1)
        with self.records.begin() as db:
            db.execute(one.on_conflict_do_update(index_elements=[t.c.day, t.c.kind, t.c.channel],
                                                 set_={"n": t.c.n + 1}))

    def daily(self, since: str) -> list[tuple[str, str, int]]:
        t = tables.daily_activity
        query = (select(t.c.day, t.c.kind, func.sum(t.c.n)).where(t.c.day >= since)
                 .group_by(t.c.day, t.c.kind).order_by(t.c.day, t.c.kind))
        with self.records.begin() as db:
            return [(day, kind, int(n)) for day, kind, n in db.execute(query)]

    def delete_before(self, when: str) -> int:
        with self.records.begin() as db:
            gone = db.execute(tables.knowledge_gaps.delete().where(
                tables.knowledge_gaps.c.created < when)).rowcount
            db.execute(tables.daily_activity.delete().where(
                tables.daily_activity.c.day < when[:10]))
        return int(gone)


class GapLog:
    """Records what the documents did not answer, keeps it `days` days, and groups it."""

    def __init__(self, storage: GapStorage, days: int = 90, min_confidence: float = 0.48) -> None:
        self.storage, self.days = storage, days
        self.min_confidence = min_confidence  # the assistant's refusal threshold
        self.enabled = days > 0
        if not self.enabled:
            storage.delete_before("9999")  # switched off: nothing kept from before either

    @classmethod
    def on(cls, records: Records, days: int, min_confidence: float) -> GapLog:
        """The gap log in `records`, kept `days` days; refusals below `min_confidence` (the
        assistant's threshold) count as low confidence."""
        return cls(RecordsGapStorage(records), days, min_confidence)

    def answered(self, channel: str, question: str, answer: Answer) -> None:
        """Count a question (and a refusal) for the day; keep a refused question."""
        if not self.enabled:
            return
        day = _now().date().isoformat()
        self.storage.count(day, "question", channel)
        if answer.refused:
            self.storage.count(day, "refusal", channel)
            reason: Reason = ("low_confidence" if answer.confidence < self.min_confidence
                              else "documents_unknown")
            self.add(GapRecord(question, answer.language, channel, reason, answer.confidence))

    def thumbs_down(self, channel: str, question: str, confidence: float) -> None:
        """Keep a question whose answer a visitor rated down."""
        if self.enabled and question.strip():
            self.add(GapRecord(question, detect_language(question), channel, "thumbs_down",
                               confidence))

    def thumbs_down_withdrawn(self, channel: str, question: str) -> None:
        """Forget a thumbs down on `question` its visitor changed to a thumbs up.

        Records name no conversation, so the newest thumbs down on the same question and
        channel goes: the same count, whichever visitor's it was."""
        if self.enabled:
            self.storage.remove_newest(kept_question(question), channel, "thumbs_down")

    def add(self, record: GapRecord) -> None:
        if not record.question:
            return
        self.storage.add(record)
        self._forget_expired()

    def records(self, min_confidence: float = 0.0, max_confidence: float = 1.0,
                days: int | None = None) -> list[GapRecord]:
        self._forget_expired()
        since = self._cutoff(days).isoformat(timespec="seconds")
        return self.storage.records_since(since, min_confidence, max_confidence)

    def gaps(self, embeddings: Embeddings, min_confidence: float = 0.0,
             max_confidence: float = 1.0, days: int | None = None,
             similarity: float | None = None) -> list[Gap]:
        """The records of the last `days` days (default: all kept) with a confidence in
        [`min_confidence`, `max_confidence`], grouped by meaning, largest group first."""
        return group_gaps(self.records(min_confidence, max_confidence, days), embeddings,
                          similarity)

    def daily(self, days: int = 30) -> list[tuple[str, str, int]]:
        self._forget_expired()
        return self.storage.daily(self._cutoff(days).date().isoformat())

    def _forget_expired(self) -> None:
        # On reads too (staff open them now and then): retention holds with no new gaps.
        self.storage.delete_before(self._cutoff().isoformat(timespec="seconds"))

    def _cutoff(self, days: int | None = None) -> datetime:
        return _now() - timedelta(days=min(days or self.days, self.days))


def similarity_for(embeddings: Embeddings) -> float:
    """The grouping threshold fitted for this embedder (see `SIMILARITY`)."""
    name = str(getattr(embeddings, "fingerprint", "") or getattr(embeddings, "model_name", ""))
    return next((v for k, v in SIMILARITY.items() if k.lower() in name.lower()),
                DEFAULT_SIMILARITY)


def group_gaps(records: Sequence[GapRecord], embeddings: Embeddings,
               similarity: float | None = None) -> list[Gap]:
    """Group `records` whose questions mean the same thing.

    Distinct wordings are embedded once (case and spacing ignored), as queries, and taken
    most asked first; each joins the group whose mean vector is most similar, when that is
    at least `similarity` (default: fitted per embedder), or starts a new one. Groups come
    largest first, then most recently asked.
    """
    if not records:
        return []
    threshold = similarity_for(embeddings) if similarity is None else similarity
    by_text: dict[str, list[GapRecord]] = {}
    for record in records:
        by_text.setdefault(record.question.casefold(), []).append(record)
    texts = sorted(by_text, key=lambda t: (-len(by_text[t]), t))
    # As queries, the way retrieval embedded them: the server's query cache already holds
    # most, and an embedder with query and passage prefixes (e5) compares questions as such.
    vectors = np.asarray([embeddings.embed_query(by_text[t][0].question) for t in texts],
                         dtype=np.float32)
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    members: list[list[int]] = []
    sums: list[np.ndarray] = []
    for i, vector in enumerate(vectors):
        if sums:
            centres = np.array(sums)
            scores = centres @ vector / np.maximum(np.linalg.norm(centres, axis=1), 1e-12)
            best = int(scores.argmax())
            if scores[best] >= threshold:
                members[best].append(i)
                sums[best] = sums[best] + vector
                continue
        members.append([i])
        sums.append(vector.copy())
    gaps = [_gap([by_text[texts[i]] for i in group]) for group in members]
    return sorted(gaps, key=lambda g: (g.count, g.last), reverse=True)


def _gap(wordings: list[list[GapRecord]]) -> Gap:
    records = [r for group in wordings for r in group]
    return Gap(
        count=len(records),
        example=wordings[0][-1].question,  # the most asked wording, as last asked
        last=max(r.created for r in records)[:10],
        languages=sorted({r.language for r in records}),
        reasons=sorted({r.reason for r in records}),
        confidence=round(max(r.confidence for r in records), 3),
        questions=[group[-1].question for group in wordings],
    )


def gaps_csv(gaps: Sequence[Gap]) -> str:
    """Gaps as CSV; cells a spreadsheet would run as formulas get a leading quote."""
    from plaibot.feedback import safe_cell

    out = io.StringIO()
    columns = ["count", "example", "last", "languages", "reasons", "confidence", "questions"]
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(safe_cell(g.as_row()) for g in gaps)
    return out.getvalue()


def _now() -> datetime:
    return datetime.now(UTC)

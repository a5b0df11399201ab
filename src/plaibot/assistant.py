"""The public Python API: `Assistant` ties the steps together."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from plaibot.answering import Answer, ExtractiveAnswerer
from plaibot.config import Settings
from plaibot.conversation import (
    Turn,
    context_for,
    points_back,
    refers_to_person,
    split_preamble,
    user_questions,
)
from plaibot.embeddings import Embedder, embeddings_for
from plaibot.errors import QuestionError  # noqa: F401 (imported from here before errors.py)
from plaibot.gaps import Gap, GapLog
from plaibot.generation import AnswerEvent, GeneratingAnswerer, answerer_for
from plaibot.indexing import IndexReport, index_paths
from plaibot.questions import validate_question
from plaibot.retrieval import HybridRetriever, Retrieval, ScoredChunk
from plaibot.store import ChunkStore
from plaibot.text import PERSON_NAME, detect_language, question_kind, tokenize, words

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel


# An answer opening with a person: not with "The Ministry ...", "Menurut ...", "Impala ...".
_OPENING_PERSON = re.compile(r"(?!(?:The|Menurut|According|Pada|On|Impala|PL)\b)" + PERSON_NAME)


def _asked_after_preamble(question: str, history: Sequence[Turn] | None
                          ) -> tuple[str, Sequence[Turn] | None]:
    """The sentence asking, with what was said before it read as an earlier turn."""
    preamble, asked = split_preamble(question)
    return (asked, [*(history or []), preamble]) if preamble else (question, history)


def _query(question: str, context: str) -> str:
    return f"{context} {question}" if context else question


def open_store(settings: Settings, embeddings: Embedder) -> ChunkStore:
    """The Chroma server at `chroma_url` when set, else the embedded store in `index_dir`."""
    if settings.chroma_url:
        token = settings.chroma_token.get_secret_value() if settings.chroma_token else None
        return ChunkStore.remote(settings.chroma_url, settings.collection, embeddings, token)
    return ChunkStore.persistent(settings.index_dir, settings.collection, embeddings)


def settings_embeddings(settings: Settings) -> Embedder:
    """The embedder `settings` name (one per process and model)."""
    return embeddings_for(settings.embedding_model, settings.embedding_precision)


class Assistant:
    """Answers questions from the indexed documents, citing them.

    >>> assistant = Assistant()            # uses PLAIBOT_* settings, indexes knowledge/ if empty
    >>> answer = assistant.ask("Kapan Hetero Space Banyumas dibuka?")
    >>> answer.text, [s.title for s in answer.sources]
    """

    def __init__(self, settings: Settings | None = None, *, store: ChunkStore | None = None,
                 chat_model: BaseChatModel | None = None) -> None:
        """`chat_model`, any LangChain chat model, writes the answers instead of the one
        `settings.answerer` names (see `plaibot.generation`)."""
        self.settings = settings or Settings()
        self.store = store or open_store(self.settings, settings_embeddings(self.settings))
        self.retriever = HybridRetriever(
            store=self.store,
            embeddings=self.store.embeddings,  # questions meet vectors of the same embedder
            k=self.settings.top_k,
            candidates=self.settings.candidates,
            keyword_weight=self.settings.keyword_weight,
            follow_seconds=self.settings.follow_seconds,
        )
        calibration = self.store.embeddings.calibration
        #: Below this confidence answers are refused: the setting, else the embedder's own.
        self.min_confidence = (calibration.min_confidence if self.settings.min_confidence is None
                               else self.settings.min_confidence)
        self._answerer = answerer_for(self.settings, chat_model, ExtractiveAnswerer(
            self.retriever.keyword_index_weight,
            min_confidence=self.min_confidence,
            max_sentences=self.settings.answer_sentences,
            dense_weight=calibration.dense_weight,
            confidence_weights=calibration.confidence,
        ))
        self._checked_index = store is not None
        # The last indexing run of this process and when it ended (for health reports).
        self.last_index: IndexReport | None = None
        self.last_index_at: datetime | None = None

    def ask(self, question: str, history: Sequence[Turn] | None = None) -> Answer:
        """Answer `question`, reading short follow-ups against the earlier `history`.

        Raises `QuestionError` for an empty or over-long question, and `StoreUnavailable`
        when the index has never been loaded and its store cannot be reached.
        """
        return self._answerer.answer(self._retrieve(self._validate(question), history))

    def stream(self, question: str, history: Sequence[Turn] | None = None) -> Iterator[AnswerEvent]:
        """`ask` as events: `Token`s of the text as it is written, `Replace` when the text
        shown so far must be replaced, then `Final` with the `Answer`.

        Raises `QuestionError` at once (before any event) for an empty or over-long question.
        """
        question = self._validate(question)
        return self._stream(question, history)

    def _stream(self, question: str, history: Sequence[Turn] | None) -> Iterator[AnswerEvent]:
        yield from self._answerer.stream(self._retrieve(question, history))

    def _retrieve(self, question: str, history: Sequence[Turn] | None) -> Retrieval:
        """The question to answer with its passages, language, earlier context and
        sentence similarities.

        From the second turn on, an answerer with a chat model rewrites the question to stand
        alone; otherwise a follow-up is read against the earlier question it leans on.
        """
        question, history = _asked_after_preamble(question, history)
        context = self._context(question, history)
        language = detect_language(question, default=detect_language(context) if context else "id")
        earlier = user_questions(history)
        standalone = self._answerer.standalone(question, earlier, language) if earlier else None
        if standalone:
            question, context = standalone, ""
        self._ensure_index()
        question, context = self._rewritten(question, context)
        query = _query(question, context)
        hits = self.retriever.with_summary(question, self.search(query), context)
        return Retrieval(question, hits, language, context,
                         self._sentence_similarities(query, hits))

    def query_for(self, question: str, history: Sequence[Turn] | None = None) -> str | None:
        """The text `ask(question, history)` will embed, when it is known before answering:
        None when a chat model rewrites follow-ups first, or the question is invalid."""
        try:
            question = self._validate(question)
        except QuestionError:
            return None
        question, history = _asked_after_preamble(question, history)
        if user_questions(history) and isinstance(self._answerer, GeneratingAnswerer):
            return None
        return _query(*self._rewritten(question, self._context(question, history)))

    def _context(self, question: str, history: Sequence[Turn] | None) -> str:
        """The earlier question a short follow-up leans on, moved to the entity the follow-up
        names instead (see `HybridRetriever.moved_context`); none when, pointing nowhere back,
        the question names a word no document holds: "What is the capital of Australia?"
        after a question about the minister is not about the minister."""
        self._ensure_index()
        context = context_for(question, history) or self._unnamed_follow_up(question, history)
        if not context:
            return ""
        context = self._with_named_subject(context, history)
        if refers_to_person(question) and question_kind(context) == "who":
            context = f"{context} {self._answered_who(context)}".strip()
        moved = self.retriever.moved_context(context, question)  # "kalau yang di Solo?"
        if moved:
            return moved
        if not points_back(question):
            # Half its words unknown, the question has left the documents; one unknown word
            # ("party" of "who did the food at the opening party") is the visitor's own.
            knows = self.retriever.snapshot.keywords.knows
            content = [w for w in words(question) if tokenize(w, "id", question=True)]
            if 2 * sum(not knows(w) for w in content) >= len(content) > 0:
                return ""
        return context

    def _answered_who(self, question: str) -> str:
        """The person the quoted answer to an earlier who-question opens with, if the
        question did not name them: the one a follow-up's "his" or "dia" means. "whats his
        regular job" after "who chaired the hetero fest 2025 committee" asks about Irfan
        Bahtiar; "and his deputy?" after "who is the minister" about the minister."""
        retrieval = self._retrieve(question, None)
        answer = self._answerer.extractive.answer(retrieval)
        asked = set(words(retrieval.question))
        opening = answer.text.split(" [", 1)[0] if answer.grounded else ""
        person = _OPENING_PERSON.match(opening)
        return person[0] if person and not set(words(person[0])) <= asked else ""

    def _names_entity(self, text: str) -> bool:
        return bool(self.retriever.snapshot.entities.rewrite(text)[1])

    def _unnamed_follow_up(self, question: str, history: Sequence[Turn] | None) -> str:
        """The earlier question, when it named something and this one names nothing the
        documents know: "prnh ditulis pake nama lain ga" after "apa itu emak emak metik"
        asks about Emak-Emak Metik, however many words it has."""
        earlier = user_questions(history)
        if earlier and not self._names_entity(question) and self._names_entity(earlier[-1]):
            return earlier[-1]
        return ""

    def _with_named_subject(self, context: str, history: Sequence[Turn] | None) -> str:
        """`context` led by the latest earlier question naming something, when `context`
        itself names nothing: in "hetero space semarang dmn", "yg resmiin siapa", "pas hari
        apa tuh", the last question is still about Hetero Space Semarang."""
        if self._names_entity(context):
            return context
        named = [q for q in user_questions(history) if self._names_entity(q)]
        return f"{named[-1]} {context}" if named else context

    def _rewritten(self, question: str, context: str) -> tuple[str, str]:
        """The question and its context with entity aliases read as the entities' names."""
        return (self.retriever.rewrite(question),
                self.retriever.rewrite(context) if context else context)

    def embed_queries(self, queries: list[str]) -> None:
        """Embed several questions' queries in one model call, ahead of answering them
        (with an embedder that has `embed_queries`; otherwise each is embedded as asked)."""
        embed_many = getattr(self.retriever.embeddings, "embed_queries", None)
        if embed_many is not None:
            embed_many(queries)

    def search(self, query: str, k: int | None = None) -> list[ScoredChunk]:
        """The `k` best passages for `query` with their fused, keyword and dense scores."""
        self._ensure_index()
        return self.retriever.search(query, k)

    def _sentence_similarities(self, query: str, hits: list[ScoredChunk]) -> dict[str, np.ndarray]:
        """Similarity of every sentence of the hits with the query, relative to the
        embedder's floor (see `Calibration.relative`)."""
        vectors = self.store.sentence_vectors([h.document.id for h in hits if h.document.id])
        embeddings = self.retriever.embeddings
        query_vector = np.asarray(embeddings.embed_query(query), dtype=np.float32)
        return {chunk_id: embeddings.calibration.relative(np.einsum("ij,j->i", rows, query_vector))
                for chunk_id, rows in vectors.items()}

    def index(
        self, paths: Sequence[Path | str] | None = None, on_file: Callable[[Path], None] | None = None
    ) -> IndexReport:
        """Index files and folders (default: the knowledge folder and staff uploads)
        incrementally."""
        if not paths:  # an uploads folder that is gone takes its documents with it
            self.settings.uploads_dir.mkdir(parents=True, exist_ok=True)
        targets = [Path(p) for p in paths] if paths else self.settings.index_sources
        report = index_paths(
            self.store,
            targets,
            chunk_size=self.settings.chunk_size,
            chunk_overlap=self.settings.chunk_overlap,
            max_bytes=int(self.settings.max_file_mb * 1_000_000),
            on_file=on_file,
            base=self.settings.sources_base,
        )
        if report.changed or not self.retriever.loaded:
            self.retriever.refresh()
        self._checked_index = True
        self.last_index, self.last_index_at = report, datetime.now(UTC)
        return report

    @cached_property
    def gap_log(self) -> GapLog:
        """The record of questions the documents did not answer (see `plaibot.gaps`)."""
        from plaibot.records import Records

        return GapLog.on(Records(self.settings.records_url), self.settings.gaps_days,
                         self.min_confidence)

    def gaps(self, min_confidence: float = 0.0, max_confidence: float = 1.0,
             days: int | None = None) -> list[Gap]:
        """Knowledge gaps: the refused and thumbed-down questions of the last `days` days
        (default: all kept) with a confidence in [`min_confidence`, `max_confidence`],
        grouped by meaning with this assistant's embedder, largest group first.

        A low `max_confidence` shows the noise (off-topic, prompt injection); a
        `min_confidence` of 0.2 or so hides it.
        """
        return self.gap_log.gaps(self.retriever.embeddings, min_confidence, max_confidence, days)

    def as_retriever(self) -> HybridRetriever:
        """A LangChain `BaseRetriever` over the same index, for staff's own chains."""
        self._ensure_index()
        return self.retriever

    def _ensure_index(self) -> None:
        """Index the knowledge folder on first use when the index is empty."""
        if not self._checked_index:
            self._checked_index = True
            if self.store.count() == 0 and self.settings.knowledge_dir.exists():
                self.index()

    def _validate(self, question: object) -> str:
        return validate_question(question, self.settings.max_question_chars)

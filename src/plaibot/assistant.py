"""The public Python API: `Assistant` ties the steps together."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from plaibot.answering import Answer, ExtractiveAnswerer
from plaibot.config import Settings
from plaibot.conversation import Turn, context_for
from plaibot.embeddings import MiniLMEmbeddings, default_embeddings
from plaibot.i18n import t
from plaibot.indexing import IndexReport, index_paths
from plaibot.retrieval import HybridRetriever, ScoredChunk
from plaibot.store import ChunkStore
from plaibot.text import Language, clean_text, detect_language


class QuestionError(ValueError):
    """The question cannot be asked as given (empty or too long); the message says why."""

    def __init__(self, message: str, language: Language) -> None:
        super().__init__(message)
        self.language = language


def open_store(settings: Settings, embeddings: MiniLMEmbeddings) -> ChunkStore:
    """The Chroma server at `chroma_url` when set, else the embedded store in `index_dir`."""
    if settings.chroma_url:
        token = settings.chroma_token.get_secret_value() if settings.chroma_token else None
        return ChunkStore.remote(settings.chroma_url, settings.collection, embeddings, token)
    return ChunkStore.persistent(settings.index_dir, settings.collection, embeddings)


class Assistant:
    """Answers questions from the indexed documents, citing them.

    >>> assistant = Assistant()            # uses PLAIBOT_* settings, indexes knowledge/ if empty
    >>> answer = assistant.ask("Kapan Hetero Space Banyumas dibuka?")
    >>> answer.text, [s.title for s in answer.sources]
    """

    def __init__(self, settings: Settings | None = None, *, store: ChunkStore | None = None) -> None:
        self.settings = settings or Settings()
        self.store = store or open_store(
            self.settings, default_embeddings(self.settings.embedding_precision))
        self.retriever = HybridRetriever(
            store=self.store,
            embeddings=self.store.embeddings,  # questions meet vectors of the same embedder
            k=self.settings.top_k,
            candidates=self.settings.candidates,
            keyword_weight=self.settings.keyword_weight,
            follow_seconds=self.settings.follow_seconds,
        )
        self._answerer = ExtractiveAnswerer(
            self.retriever.keyword_index_weight,
            min_confidence=self.settings.min_confidence,
            max_sentences=self.settings.answer_sentences,
        )
        self._checked_index = store is not None
        # The last indexing run of this process and when it ended (for health reports).
        self.last_index: IndexReport | None = None
        self.last_index_at: datetime | None = None

    def ask(self, question: str, history: Sequence[Turn] | None = None) -> Answer:
        """Answer `question`, reading short follow-ups against the earlier `history`.

        Raises `QuestionError` for an empty or over-long question, and `StoreUnavailable`
        when the index has never been loaded and its store cannot be reached.
        """
        question = self._validate(question)
        context = context_for(question, history)
        language = detect_language(question, default=detect_language(context) if context else "id")
        query = f"{context} {question}" if context else question
        hits = self.search(query)
        return self._answerer.answer(question, hits, language, context=context,
                                     similarities=self._sentence_similarities(query, hits))

    def search(self, query: str, k: int | None = None) -> list[ScoredChunk]:
        """The `k` best passages for `query` with their fused, keyword and dense scores."""
        self._ensure_index()
        return self.retriever.search(query, k)

    def _sentence_similarities(self, query: str, hits: list[ScoredChunk]) -> dict[str, np.ndarray]:
        """Cosine similarity of every sentence of the hits with the query (unit vectors)."""
        vectors = self.store.sentence_vectors([h.document.id for h in hits if h.document.id])
        query_vector = np.asarray(self.retriever.embeddings.embed_query(query))
        return {chunk_id: rows @ query_vector for chunk_id, rows in vectors.items()}

    def index(
        self, paths: Sequence[Path | str] | None = None, on_file: Callable[[Path], None] | None = None
    ) -> IndexReport:
        """Index files and folders (default: the knowledge folder) incrementally."""
        targets = [Path(p) for p in paths] if paths else [self.settings.knowledge_dir]
        report = index_paths(
            self.store,
            targets,
            chunk_size=self.settings.chunk_size,
            chunk_overlap=self.settings.chunk_overlap,
            max_bytes=int(self.settings.max_file_mb * 1_000_000),
            on_file=on_file,
        )
        if report.changed or not self.retriever.loaded:
            self.retriever.refresh()
        self._checked_index = True
        self.last_index, self.last_index_at = report, datetime.now(UTC)
        return report

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
        # Control characters and lone surrogates (JSON can carry them) are dropped first.
        question = " ".join(clean_text(question).split()) if isinstance(question, str) else ""
        if not question:
            raise QuestionError(t("empty_question", "id") + " / " + t("empty_question", "en"), "id")
        limit = self.settings.max_question_chars
        if len(question) > limit:
            language = detect_language(question[:500])
            raise QuestionError(t("long_question", language, limit=limit), language)
        return question

"""Keyword search: BM25 over language-aware tokens, held in memory."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence

import bm25s
import numpy as np
from langchain_core.documents import Document

from plaibot.text import LANGUAGES, Language, tokenize


def query_tokens(text: str) -> list[str]:
    """Tokens of a question under both analyzers: questions mix Indonesian and English,
    and an English stem rarely collides with an Indonesian one."""
    merged: dict[str, None] = {}
    for language in LANGUAGES:
        merged.update(dict.fromkeys(tokenize(text, language, question=True)))
    return list(merged)


class KeywordIndex:
    """BM25 (Lucene variant) over chunks, each tokenized in its own language.

    `known` holds chunks' tokens from an earlier index: chunk ids name their content, so
    after a re-index only new chunks are tokenized (stemming is most of the build time).
    """

    def __init__(self, chunks: Sequence[Document],
                 known: Mapping[str, tuple[str, ...]] | None = None) -> None:
        self.ids = [c.id or "" for c in chunks]
        known = known or {}
        self.tokens = {i: known.get(i) or _chunk_tokens(c) for i, c in zip(self.ids, chunks,
                                                                          strict=True)}
        corpus = [list(self.tokens[i]) for i in self.ids]
        self._bm25 = bm25s.BM25()
        self._empty = not any(corpus)
        if not self._empty:
            self._bm25.index([tokens or ["\x00"] for tokens in corpus], show_progress=False)
        self.idf = self._idf(corpus)
        self._max_idf = max(self.idf.values(), default=1.0)

    def search(self, tokens: list[str], k: int) -> list[tuple[str, float]]:
        """(chunk id, BM25 score) of the `k` best chunks with a positive score."""
        known = [t for t in tokens if t in self._bm25.vocab_dict] if not self._empty else []
        if not known or k <= 0:
            return []
        scores = self._bm25.get_scores(known)
        top = np.argsort(-scores)[:k]
        return [(self.ids[i], float(scores[i])) for i in top if scores[i] > 0]

    @staticmethod
    def _idf(corpus: list[list[str]]) -> dict[str, float]:
        """Inverse document frequency, used to weigh query terms when judging answers."""
        n = max(len(corpus), 1)
        frequency: dict[str, int] = {}
        for tokens in corpus:
            for token in set(tokens):
                frequency[token] = frequency.get(token, 0) + 1
        return {t: float(np.log(1 + (n - f + 0.5) / (f + 0.5))) for t, f in frequency.items()}

    def knows(self, word: str) -> bool:
        """Whether some chunk holds `word` (under either language's stemmer)."""
        return any(t in self.idf for language in LANGUAGES for t in tokenize(word, language))

    def weight(self, token: str) -> float:
        """A term's idf; unseen terms weigh like the rarest seen ones."""
        return self.idf.get(token, self._max_idf)


def _chunk_tokens(chunk: Document) -> tuple[str, ...]:
    language: Language = chunk.metadata.get("language", "id")
    # Interned: kept for the next index, each repeated word is then stored once.
    return tuple(sys.intern(t) for t in
                 tokenize(chunk.page_content, language if language in LANGUAGES else "id"))

"""Retrieve step: hybrid keyword + dense search, as a LangChain `BaseRetriever`."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, PrivateAttr

from plaibot.embeddings import Embedder
from plaibot.entities import EntityIndex
from plaibot.keyword import KeywordIndex, query_tokens
from plaibot.store import ChunkStore, StoreUnavailable
from plaibot.text import (
    Language,
    asks_what_it_is,
    clause_subjects,
    compared_subjects,
    overview_subject,
    pointed_clause,
    words,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScoredChunk:
    """A retrieved chunk with the scores that ranked it.

    `keyword` is BM25 relative to the best keyword match of this query (0..1), `dense` the
    cosine similarity to the question relative to the embedder's floor (about 0..1; see
    `Calibration.relative`), `score` their weighted fusion.
    """

    document: Document
    score: float
    keyword: float
    dense: float
    # The summary of the document about what an overview question asks for ("apa itu X").
    named: bool = False


@dataclass(frozen=True)
class Retrieval:
    """What retrieval hands an answerer for one question.

    `question` is the question as answered (a chat model's standalone rewrite of a follow-up,
    entity aliases read as their names); `language` the one to answer in; `context` the
    earlier question a follow-up leans on ("" when it stands alone); `similarities` maps a
    passage's chunk id to the similarity of each of its sentences with the question,
    relative to the embedder's floor (empty when the index has no sentence vectors).
    """

    question: str
    passages: list[ScoredChunk]
    language: Language
    context: str = ""
    similarities: Mapping[str, Sequence[float]] = field(default_factory=dict)


# Up to this many chunks, dense search is exact, over vectors held in memory (a few ms at
# 50,000 chunks, deterministic, and no approximation error); beyond it Chroma's HNSW index.
EXACT_SEARCH_LIMIT = 50_000


class _Snapshot:
    """What search needs in memory: every chunk, the BM25 index over them and, for corpora
    up to `EXACT_SEARCH_LIMIT` chunks, their embeddings."""

    def __init__(self, chunks: list[Document],
                 vectors: tuple[list[str], np.ndarray] | None = None,
                 previous: _Snapshot | None = None) -> None:
        self.chunks = {c.id: c for c in chunks}
        self.keywords = KeywordIndex(chunks, previous.keywords.tokens if previous else None)
        self.entities = EntityIndex(chunks)
        self.vectors = vectors

    def exact_dense(self, query: list[float], k: int) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) of the `k` nearest chunks, by brute force."""
        assert self.vectors is not None
        ids, matrix = self.vectors
        if not ids or k <= 0:
            return []
        # einsum, not `matrix @ question`: einsum runs on the calling thread, while BLAS
        # threads fight the embedding model's for the same cores. Measured on the shared
        # two-core machine: at 2,120 chunks BLAS p50 12.0 ms, einsum 0.12 ms; at 21,200
        # 12.0 and 1.3 ms (and no PyTorch needed, which the default embedder does without).
        scores = np.einsum("ij,j->i", matrix, np.asarray(query, dtype=np.float32))
        k = min(k, len(ids))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(ids[i], float(scores[i])) for i in top]


_CLAUSE_END = re.compile(r",(?!\d)")  # not the comma of a number ("80,43")


class HybridRetriever(BaseRetriever):
    """Fuses BM25 (Indonesian/English stemming) with dense similarity.

    The fused score is `w * keyword + (1 - w) * dense`, with `w = keyword_weight`, by
    default the weight fitted for the embedder on the tuning sets (see `Calibration` and
    `plaibot eval`). BM25 is normalised by the query's best match and similarity relative
    to the embedder's floor, so that both parts are on a 0..1 scale.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    store: ChunkStore
    embeddings: Embedder
    k: int = 5
    candidates: int = 50
    keyword_weight: float | None = None  # None: the embedder's calibration
    follow_seconds: float = 5.0  # how often to look for other processes' index runs

    _snapshot: _Snapshot | None = PrivateAttr(default=None)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)
    _generation: str = PrivateAttr(default="")
    _checked_at: float = PrivateAttr(default=0.0)
    _following: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    def refresh(self) -> None:
        """Reload the in-memory indexes from the store (after indexing).

        Searches keep using the previous snapshot until the new one is built, then switch
        at once: no search sees part of one and part of the other.
        """
        generation = self.store.generation()  # read first: a change during the load shows later
        chunks, vectors = self.store.snapshot()
        ids = [c.id or "" for c in chunks]
        snapshot = _Snapshot(chunks, (ids, vectors) if len(chunks) <= EXACT_SEARCH_LIMIT else None,
                             previous=self._snapshot)
        with self._lock:
            self._snapshot, self._generation = snapshot, generation
            self._checked_at = time.monotonic()

    def follow_store(self) -> None:
        """Every `follow_seconds`, reload in the background if another process re-indexed."""
        if self.follow_seconds <= 0 or time.monotonic() - self._checked_at < self.follow_seconds:
            return
        if self._following.acquire(blocking=False):
            self._checked_at = time.monotonic()
            threading.Thread(target=self._reload_if_changed, daemon=True).start()

    def _reload_if_changed(self) -> None:
        try:
            if self.store.generation() != self._generation:
                self.store.reconnect()  # another process changed it: our view is stale
                self.refresh()
        except StoreUnavailable as error:  # keep serving the snapshot we have
            log.warning("cannot check the index for changes: %s", error)
        finally:
            self._following.release()

    @property
    def snapshot(self) -> _Snapshot:
        if self._snapshot is None:
            self.refresh()
        assert self._snapshot is not None
        return self._snapshot

    @property
    def loaded(self) -> bool:
        """Whether the in-memory indexes have been built from the store."""
        return self._snapshot is not None

    def keyword_index_weight(self, term: str) -> float:
        """A term's idf in the current keyword index (how telling it is)."""
        return self.snapshot.keywords.weight(term)

    def rewrite(self, question: str) -> str:
        """`question` with the aliases of known entities read as their names (see
        `plaibot.entities`); unchanged when it names none."""
        snapshot = self.snapshot
        # Clause by clause: the answerer reads "ruko space tuh siapa, kok disebut2 pas
        # peresmian hetero" as a question in its first clause.
        clauses = _CLAUSE_END.split(question)
        said = [snapshot.entities.rewrite(c, snapshot.keywords.knows) for c in clauses]
        rewritten = ", ".join(clause for clause, _ in said)
        # The rewrite spells the question as bare words: keep the visitor's own text (its
        # case and "?", which a chat model's prompt shows) when no alias was replaced.
        spelled = ", ".join(" ".join(words(clause)) for clause in clauses)
        unchanged = rewritten.casefold() == spelled.casefold()
        return rewritten if any(named for _, named in said) and not unchanged else question

    def moved_context(self, context: str, question: str) -> str | None:
        """The earlier question `context` about the entity a follow-up names that only one
        word tells apart from the one asked about before, or None: "trus yg di solo kapan?"
        after "Kapan Hetero Space Semarang dibuka?" leans on "Kapan Hetero Space Solo
        dibuka?"."""
        entities = self.snapshot.entities
        if entities.rewrite(question)[1]:  # the follow-up names its own entity
            return None
        rewritten, named = entities.rewrite(context, self.snapshot.keywords.knows)
        spelled = words(question)
        # "sama kementerian mana" asks which ministry: it names none.
        said = [w for w, after in zip(spelled, [*spelled[1:], ""], strict=True)
                if after not in ("mana", "apa")]
        for name in named:
            other = entities.sibling(name, said)
            if other:
                return rewritten.replace(name, other)
        return None

    def with_summary(self, question: str, hits: list[ScoredChunk],
                     context: str = "") -> list[ScoredChunk]:
        """`hits` led by the summary chunks of the entity an overview question asks about
        ("apa itu Hetero Space?", or only its name, or "itu tempat apa?" after the earlier
        question `context` named it), in every language, marked `named`."""
        entities = self.snapshot.entities
        names = self._summarised(question)
        if names is None and context and asks_what_it_is(question):
            named = [n for n in entities.rewrite(context)[1] if n in entities.summaries]
            names = named[-1:] or None
        if names is None:
            return hits
        summaries = [c for name in names for c in entities.summaries[name]]
        summary_ids = {c.id for c in summaries}
        top = max(hits, key=lambda h: h.score, default=None)
        score, dense = (top.score, top.dense) if top else (1.0, 1.0)
        found = {h.document.id: h for h in hits}
        pinned = [ScoredChunk(c, score, 1.0, max(found[c.id].dense, dense) if c.id in found
                              else dense, named=True) for c in summaries]
        return pinned + [h for h in hits if h.document.id not in summary_ids]

    def _summarised(self, question: str) -> list[str] | None:
        """The entities with a summary that `question` asks what they are: both things a
        comparison names ("bedanya X sm Y apa"), else the one an overview question names;
        None when there is none."""
        entities = self.snapshot.entities

        def summarised(subject: str) -> str | None:
            return entities.subject(subject, entities.rewrite(subject)[1])

        compared = [summarised(subject) for subject in compared_subjects(question) or ()]
        if None not in compared and len(set(compared)) == 2:
            return compared
        subject = overview_subject(question)
        name = summarised(subject) if subject else entities.bare_name(question)
        if name is None and (earlier := pointed_clause(question)):
            # "td lewat hetero space semarang, itu tempat apaan ya": the last entity with a
            # summary that the clause before names.
            named = [n for n in entities.rewrite(earlier)[1] if n in entities.summaries]
            name = named[-1] if named else None
        if name is None:
            # "what's Hetero Fest, some kind of festival?": one clause asks what it is.
            name = next(filter(None, map(summarised, clause_subjects(question))), None)
        return [name] if name else None

    def search(self, query: str, k: int | None = None) -> list[ScoredChunk]:
        """The `k` best chunks for `query`, best first."""
        k = k or self.k
        snapshot = self.snapshot
        self.follow_store()
        keyword_hits = snapshot.keywords.search(query_tokens(query), self.candidates)
        vector = self.embeddings.embed_query(query)
        if snapshot.vectors is not None:
            dense_hits = snapshot.exact_dense(vector, self.candidates)
        else:
            dense_hits = self.store.dense_search(vector, self.candidates)
        calibration = self.embeddings.calibration
        relative = [(i, calibration.relative(s)) for i, s in dense_hits]
        weight = calibration.keyword_weight if self.keyword_weight is None else self.keyword_weight
        # Fewer keyword hits than asked for: the others hold none of the question's words.
        complete = len(keyword_hits) < self.candidates
        return fuse(snapshot.chunks, keyword_hits, relative, weight, complete)[:k]

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        results = []
        for hit in self.search(query):
            metadata = {**hit.document.metadata, "score": hit.score,
                        "keyword_score": hit.keyword, "dense_score": hit.dense}
            results.append(Document(id=hit.document.id, page_content=hit.document.page_content,
                                    metadata=metadata))
        return results


def fuse(
    chunks: dict[str | None, Document],
    keyword_hits: list[tuple[str, float]],
    dense_hits: list[tuple[str, float]],
    keyword_weight: float,
    keyword_complete: bool = False,
) -> list[ScoredChunk]:
    """Weighted sum of normalised BM25 and cosine similarity over both candidate lists.

    A candidate missing from one list gets that list's lowest score: it ranked below all
    of them, and zero would punish it for where the cut-off happened to fall. When the
    keyword list is `keyword_complete` (it holds every chunk with a word of the question),
    a chunk missing from it scores zero there: "herman karsten tuh siapa" has four keyword
    hits, and the other chunks must not get the fourth one's score.
    """
    best_keyword = max((s for _, s in keyword_hits), default=0.0) or 1.0
    keyword = {i: s / best_keyword for i, s in keyword_hits}
    dense = dict(dense_hits)
    keyword_floor = 0.0 if keyword_complete else min(keyword.values(), default=0.0)
    dense_floor = min(dense.values(), default=0.0)
    fused = []
    for chunk_id in keyword.keys() | dense.keys():
        if chunk_id not in chunks:
            continue  # indexed by another process since our snapshot
        k_score = keyword.get(chunk_id, keyword_floor)
        d_score = dense.get(chunk_id, dense_floor)
        score = keyword_weight * k_score + (1 - keyword_weight) * d_score
        fused.append(ScoredChunk(chunks[chunk_id], score, k_score, d_score))
    fused.sort(key=lambda hit: hit.score, reverse=True)
    return fused

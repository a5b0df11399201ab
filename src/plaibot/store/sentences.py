"""Sentence vectors: one embedding per sentence of each chunk, stored beside the chunks.

The answerer compares the question with single sentences; storing their vectors saves
embedding them per request. Rows are named `<chunk id>:<position>` and carry the chunk id
and the sentence's position in metadata; they are only ever read by chunk id. Chunk ids
name their content, so vectors read once stay valid: `SentenceCache` keeps them.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import chromadb

_WRITE = 5000  # rows a write, under Chroma's per-call limit of 5461
_CACHED = 20_000  # chunks whose sentence vectors stay in memory


def write(sentences: chromadb.Collection, chunk_ids: list[str],
          vectors: list[np.ndarray]) -> None:
    """Store each chunk's sentence vectors (`vectors[i]`: one row a sentence of
    `chunk_ids[i]`), replacing any stored under the same rows."""
    rows = [(f"{chunk_id}:{n}", {"chunk_id": chunk_id, "position": n}, vector)
            for chunk_id, group in zip(chunk_ids, vectors, strict=True)
            for n, vector in enumerate(group)]
    for at in range(0, len(rows), _WRITE):
        some = rows[at : at + _WRITE]
        sentences.upsert(ids=[r[0] for r in some], metadatas=[r[1] for r in some],
                         embeddings=np.array([r[2] for r in some]))


def read(sentences: chromadb.Collection, chunk_ids: list[str]) -> dict[str, np.ndarray]:
    """Per chunk found, its sentences' vectors in order (one row a sentence)."""
    got = sentences.get(where={"chunk_id": {"$in": chunk_ids}},
                        include=["embeddings", "metadatas"])
    rows: dict[str, list[tuple[int, np.ndarray]]] = {}
    for meta, vector in zip(got["metadatas"], got["embeddings"], strict=True):
        rows.setdefault(meta["chunk_id"], []).append((meta["position"], vector))
    return {chunk_id: np.array([v for _, v in sorted(found, key=lambda r: r[0])])
            for chunk_id, found in rows.items()}


def delete(sentences: chromadb.Collection, chunk_ids: list[str]) -> None:
    """Drop the sentence vectors of these chunks."""
    sentences.delete(where={"chunk_id": {"$in": chunk_ids}})


class SentenceCache:
    """Sentence vectors by chunk id, read once and kept, the oldest read forgotten first
    beyond `size` chunks."""

    def __init__(self, size: int = _CACHED) -> None:
        self.size = size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def vectors(self, chunk_ids: list[str],
                fetch: Callable[[list[str]], dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
        """Per chunk, its sentence vectors; `fetch` is asked only for chunks not cached.
        Chunks it does not return are left out (and asked for again next time)."""
        cache = self._cache
        missing = [c for c in chunk_ids if c not in cache]
        if missing:
            found = fetch(missing)
            with self._lock:
                cache.update(found)
                while len(cache) > self.size:
                    cache.popitem(last=False)
        return {c: vectors for c in chunk_ids if (vectors := cache.get(c)) is not None}

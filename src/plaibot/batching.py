"""Query embeddings cached, and computed several at a time when questions arrive together.

One short question costs the model nearly as much as several together: per-call overhead
dominates (all-MiniLM-L6-v2 on one thread here: 46 ms a question alone, 28 ms each in a batch
of eight). The answering stage (`plaibot.admission`) hands the queries of the questions
waiting together to an embedder's `embed_queries`, which fills this cache in one model
call; answering each question then finds its embedding here.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence

import numpy as np

Vector = Sequence[float]


class QueryCache:
    """A least-recently-used cache of query embeddings that can fill many at once.

    A drop-in for `functools.lru_cache` over an embedder's one-query function (`cache(text)`,
    `cache.cache_clear()`), plus `cache.many(texts)`, which embeds the texts it does not
    hold with one call of `embed_many`. Vectors are kept as float32 arrays (1.5 KB each for
    384 dimensions, against 12 KB as a tuple of Python floats).
    """

    def __init__(self, embed_one: Callable[[str], Vector],
                 embed_many: Callable[[list[str]], Sequence[Vector]], maxsize: int = 4096) -> None:
        self._one, self._many, self.maxsize = embed_one, embed_many, maxsize
        self._items: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, text: str) -> list[float]:
        found = self._get(text)
        if found is None:
            found = self._put({text: self._one(text)})[text]
        return found.tolist()

    def many(self, texts: list[str]) -> list[list[float]]:
        """The embeddings of `texts`, those not cached computed together."""
        known = {text: self._get(text) for text in dict.fromkeys(texts)}
        missing = [text for text, vector in known.items() if vector is None]
        if missing:
            known.update(self._put(dict(zip(missing, self._many(missing), strict=True))))
        return [known[text].tolist() for text in texts]

    def cache_clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)

    def _get(self, text: str) -> np.ndarray | None:
        with self._lock:
            found = self._items.get(text)
            if found is not None:
                self._items.move_to_end(text)
            return found

    def _put(self, vectors: dict[str, Vector]) -> dict[str, np.ndarray]:
        arrays = {text: np.asarray(v, dtype=np.float32) for text, v in vectors.items()}
        with self._lock:
            self._items.update(arrays)
            while len(self._items) > self.maxsize:
                self._items.popitem(last=False)
        return arrays

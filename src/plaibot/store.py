"""Store step: chunks and their embeddings in Chroma, embedded on disk or on a server.

Which files are indexed, and at which content hash, is read back from the chunks'
metadata, so the store never disagrees with a separate manifest. Each chunk also records
how many chunks its file version has: readers see a file version only once all of its
chunks are in, so re-indexing never shows half a document or a mix of two versions, and
a crash part-way leaves the previous version in view.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import chromadb
import numpy as np
from chromadb.api.shared_system_client import SharedSystemClient
from chromadb.config import Settings as ChromaSettings
from chromadb.errors import InternalError
from langchain_chroma import Chroma
from langchain_core.documents import Document

from plaibot.embeddings import Embedder
from plaibot.splitting import chunk_sentences

log = logging.getLogger(__name__)

_BATCH = 500  # chunks embedded and written at a time (bounds the token vectors in memory)
_SENTENCE_WRITE = 5000  # under Chroma's per-call limit of 5461
# Sentence vectors are only ever read by chunk id, never searched: the smallest HNSW graph
# Chroma allows makes writing them about three times cheaper.
_UNSEARCHED = {"hnsw": {"ef_construction": 16, "max_neighbors": 4}}
# Indexes built before the embedder was recorded were all float32 MiniLM.
_UNRECORDED_EMBEDDER = "all-MiniLM-L6-v2:float32"
_SENTENCE_CACHE = 20_000  # chunks whose sentence vectors stay in memory
_READ_ATTEMPTS = 5
_RETIRE_AFTER = 30.0  # seconds a replaced embedded client lives on for calls in flight
_ABANDONED_AFTER = 600  # seconds after which an unfinished file version counts as a crash's


class _ChangedWhileReading(Exception):
    """Chunks seen in one read were gone in the next."""


class StoreUnavailable(RuntimeError):
    """The Chroma store cannot be reached (a server down, a folder unreadable)."""


@contextmanager
def _reaching(where: str) -> Iterator[None]:
    """Turn the many ways a store call fails to connect into one clear error."""
    try:
        yield
    except StoreUnavailable:
        raise
    except Exception as error:  # chromadb and httpx raise many unrelated types
        if _is_connection_error(error):
            raise StoreUnavailable(f"The Chroma store at {where} is unreachable "
                                   f"({error.__class__.__name__}).") from error
        raise


def _is_connection_error(error: BaseException) -> bool:
    names = {cls.__name__ for cls in type(error).__mro__}
    text = str(error).lower()
    return bool(names & {"ConnectError", "ConnectTimeout", "ReadTimeout", "RemoteProtocolError",
                         "ReadError", "ConnectionError", "TransportError"}) or any(
        phrase in text for phrase in ("connection refused", "could not connect",
                                      "failed to connect", "connection reset"))


class ChunkStore:
    """A Chroma collection of chunks, one group of chunks per source file.

    A second collection holds one embedding per sentence of each chunk, so the answerer can
    compare the question with single sentences without embedding them per request.

    The chunk collection records which embedder (model and precision) made its vectors;
    opened with another one, the store re-embeds everything first, so questions are never
    compared with vectors from a different embedder.
    """

    def __init__(self, connect: Callable[[], chromadb.ClientAPI], collection: str,
                 embeddings: Embedder, where: str = "memory") -> None:
        self.embeddings, self.name, self.where = embeddings, collection, where
        self.embedder = embeddings.fingerprint
        self._connect = connect
        self._persist_path: str | None = None
        self._opened: tuple[Chroma, chromadb.Collection, chromadb.Collection] | None = None
        self._open_lock = threading.Lock()
        self._sentence_cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_lock = threading.Lock()

    @classmethod
    def persistent(cls, path: Path, collection: str, embeddings: Embedder) -> ChunkStore:
        def connect() -> chromadb.ClientAPI:
            path.mkdir(parents=True, exist_ok=True)
            return chromadb.PersistentClient(path=str(path), settings=_chroma_settings())
        store = cls(connect, collection, embeddings, where=str(path))
        store._persist_path = str(path)
        return store

    @classmethod
    def in_memory(cls, collection: str, embeddings: Embedder) -> ChunkStore:
        return cls(lambda: chromadb.EphemeralClient(settings=_chroma_settings()),
                   collection, embeddings)

    @classmethod
    def remote(cls, url: str, collection: str, embeddings: Embedder,
               token: str | None = None) -> ChunkStore:
        """A Chroma server (`chroma run`), shared by every plaibot worker and host."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"Chroma URL must look like http://host:8000, not {url!r}")
        headers = {"Authorization": f"Bearer {token}"} if token else None

        def connect() -> chromadb.ClientAPI:
            return chromadb.HttpClient(
                host=parts.hostname or "", port=parts.port or (443 if parts.scheme == "https" else 8000),
                ssl=parts.scheme == "https", headers=headers, settings=_chroma_settings())
        return cls(connect, collection, embeddings, where=url)

    def _collections(self) -> tuple[Chroma, chromadb.Collection, chromadb.Collection]:
        """(chunks, sentences, meta), connecting on first use and after a failure."""
        opened = self._opened
        if opened is not None:
            return opened
        with self._open_lock, _reaching(self.where):
            if self._opened is None:
                client = self._connect()
                chunks = Chroma(collection_name=self.name, embedding_function=self.embeddings,
                                client=client,
                                collection_configuration={"hnsw": {"space": "cosine"}})
                sentences = client.get_or_create_collection(f"{self.name}-sentences",
                                                            configuration=_UNSEARCHED)
                meta = client.get_or_create_collection(f"{self.name}-meta",
                                                       embedding_function=None)
                self._match_embedder(chunks._collection, sentences)
                self._opened = (chunks, sentences, meta)
            return self._opened

    @contextmanager
    def _call(self) -> Iterator[tuple[Chroma, chromadb.Collection, chromadb.Collection]]:
        """The collections, for one store call; a lost connection is re-made next time."""
        try:
            with _reaching(self.where):
                yield self._collections()
        except StoreUnavailable:
            self._opened = None
            raise

    @property
    def vectorstore(self) -> Chroma:
        return self._collections()[0]

    def reconnect(self) -> None:
        """Read the store afresh on the next call.

        An embedded Chroma keeps its vector index in this process's memory, so another
        process's index run leaves it stale (reads fail with "Error finding id"); dropping
        Chroma's per-process client cache makes it load the files again.
        """
        with self._open_lock:
            self._opened = None
            if self._persist_path:  # forget only our path's client; others stay as they are
                stale = SharedSystemClient._identifier_to_system.pop(self._persist_path, None)
                SharedSystemClient._identifier_to_refcount.pop(self._persist_path, None)
                if stale is not None:  # free it once calls already under way have finished
                    threading.Timer(_RETIRE_AFTER, stale.stop).start()

    def reachable(self) -> bool:
        """Whether the store answers now (for health checks)."""
        try:
            self.count()
        except StoreUnavailable:
            return False
        return True

    def count(self) -> int:
        with self._call() as (chunks, _, _):
            return chunks._collection.count()

    def file_hashes(self) -> dict[str, str]:
        """Indexed source -> content hash of the file version readers see."""
        return {source: group.digest for source, group in self._versions().items()}

    def replace_files(self, files: list[tuple[str, str, list[Document]]]) -> None:
        """Put the new chunks of several (source, content hash, chunks) files in, then take
        their old ones out.

        Readers keep seeing a file's old version until every one of its new chunks is in,
        and a failure part-way leaves the old versions in view.
        """
        old_ids = {chunk_id for source, _, _ in files for chunk_id in self._ids_of(source)}
        ids = self.add_files(files)
        self._delete(sorted(old_ids - set(ids)))

    def add_files(self, files: list[tuple[str, str, list[Document]]]) -> list[str]:
        """Add the chunks of several (source, content hash, chunks) files in large batches."""
        ids: list[str] = []
        batch: list[Document] = []
        written = time.time()
        for source, digest, chunks in files:
            prefix = hashlib.sha256(source.encode()).hexdigest()[:12]
            for n, chunk in enumerate(chunks):
                chunk.metadata.update(source=source, file_hash=digest,
                                      file_chunks=len(chunks), indexed_at=written)
                ids.append(f"{prefix}-{digest[:16]}-{n}")
                batch.append(chunk)
        with self._call() as (store, sentences, _):
            self._put(store._collection, sentences, ids, batch, documents=True)
        return ids

    def _put(self, chunks: chromadb.Collection, sentences: chromadb.Collection, ids: list[str],
             batch: list[Document], *, documents: bool) -> None:
        """Embed chunks and their sentences and write both, `_BATCH` chunks at a time;
        without `documents`, only the vectors of chunks already stored are replaced."""
        for start in range(0, len(batch), _BATCH):
            part_ids, part = ids[start : start + _BATCH], batch[start : start + _BATCH]
            vectors, by_chunk = self._embed(part)
            rows = [(f"{chunk_id}:{n}", {"chunk_id": chunk_id, "position": n}, vector)
                    for chunk_id, group in zip(part_ids, by_chunk, strict=True)
                    for n, vector in enumerate(group)]
            # Sentences first: once a file's chunks are all in, readers find its sentences too.
            for at in range(0, len(rows), _SENTENCE_WRITE):
                some = rows[at : at + _SENTENCE_WRITE]
                sentences.upsert(ids=[r[0] for r in some], metadatas=[r[1] for r in some],
                                 embeddings=np.array([r[2] for r in some]))
            if documents:
                chunks.upsert(ids=part_ids, embeddings=vectors,
                              documents=[c.page_content for c in part],
                              metadatas=[c.metadata for c in part])
            else:
                chunks.update(ids=part_ids, embeddings=vectors)

    def _embed(self, chunks: list[Document]) -> tuple[np.ndarray, list[np.ndarray]]:
        """Each chunk's unit vector, and its sentences' (one row per sentence), from one call
        to the model (sentence-transformers sorts them all by length, so batches pad little)."""
        sentences = [[text for text, _ in chunk_sentences(c)] for c in chunks]
        rows = self.embeddings.embed_passages(
            [c.page_content for c in chunks] + [s for group in sentences for s in group])
        vectors, at = rows[: len(chunks)], len(chunks)
        by_chunk = []
        for group in sentences:
            by_chunk.append(rows[at : at + len(group)])
            at += len(group)
        return vectors, by_chunk

    def _match_embedder(self, chunks: chromadb.Collection,
                        sentences: chromadb.Collection) -> None:
        """Re-embed a store built by another embedder, then record this one."""
        metadata = dict(chunks.metadata or {})
        recorded = metadata.get("embedder", _UNRECORDED_EMBEDDER)
        if recorded == self.embedder:
            return
        if chunks.count():
            log.warning("index %r was embedded with %s; re-embedding it with %s",
                        self.name, recorded, self.embedder)
            got = chunks.get(include=["documents", "metadatas"])
            stored = [Document(id=i, page_content=text, metadata=meta) for i, text, meta
                      in zip(got["ids"], got["documents"], got["metadatas"], strict=True)]
            self._put(chunks, sentences, got["ids"], stored, documents=False)
        chunks.modify(metadata={**metadata, "embedder": self.embedder})

    def sentence_vectors(self, chunk_ids: list[str]) -> dict[str, np.ndarray]:
        """Per chunk, its sentences' embeddings in order (one row per sentence).

        Chunk ids name their content, so vectors read once stay valid: they are kept in a
        bounded cache and the store is asked only for chunks not seen before. When the
        store cannot be reached, chunks not cached are left out (answers lose a little
        precision, not their availability).
        """
        cache = self._sentence_cache
        missing = [c for c in chunk_ids if c not in cache]
        if missing:
            try:
                with self._call() as (_, sentences, _):
                    got = sentences.get(where={"chunk_id": {"$in": missing}},
                                        include=["embeddings", "metadatas"])
            except StoreUnavailable as error:
                log.warning("sentence vectors unavailable: %s", error)
                got = {"metadatas": [], "embeddings": []}
            rows: dict[str, list[tuple[int, np.ndarray]]] = {}
            for meta, vector in zip(got["metadatas"], got["embeddings"], strict=True):
                rows.setdefault(meta["chunk_id"], []).append((meta["position"], vector))
            with self._cache_lock:
                for chunk_id, found in rows.items():
                    cache[chunk_id] = np.array([v for _, v in sorted(found, key=lambda r: r[0])])
                while len(cache) > _SENTENCE_CACHE:
                    cache.popitem(last=False)
        return {c: vectors for c in chunk_ids if (vectors := cache.get(c)) is not None}

    def remove_file(self, source: str) -> None:
        self._delete(self._ids_of(source))

    def _delete(self, chunk_ids: list[str]) -> None:
        if chunk_ids:
            with self._call() as (chunks, sentences, _):
                chunks.delete(ids=chunk_ids)  # chunks first: readers stop seeing them at once
                sentences.delete(where={"chunk_id": {"$in": chunk_ids}})

    def snapshot(self) -> tuple[list[Document], np.ndarray]:
        """Every visible chunk (complete file versions only) with its unit embedding."""
        for attempt in range(_READ_ATTEMPTS):
            try:
                return self._read_snapshot()
            except (InternalError, _ChangedWhileReading):
                # A writer retired a version between our reads (Chroma itself reads ids and
                # vectors in two steps, and fails then). The next attempt sees it done.
                if attempt == _READ_ATTEMPTS - 1:
                    raise
                time.sleep(0.05 * (attempt + 1))
        raise AssertionError("unreachable")

    def _read_snapshot(self) -> tuple[list[Document], np.ndarray]:
        documents = self.all_chunks()
        vectors: dict[str, np.ndarray] = {}
        for start in range(0, len(documents), _BATCH * 10):
            with self._call() as (chunks, _, _):
                got = chunks.get(ids=[d.id or "" for d in documents[start : start + _BATCH * 10]],
                                 include=["embeddings"])
            vectors.update(zip(got["ids"], np.asarray(got["embeddings"], dtype=np.float32)))
        if len(vectors) < len(documents):
            raise _ChangedWhileReading
        if not documents:
            return [], np.zeros((0, 0), dtype=np.float32)
        return documents, np.array([vectors[d.id or ""] for d in documents], dtype=np.float32)

    def all_chunks(self) -> list[Document]:
        """Every visible chunk with its id (complete file versions only; no vectors read)."""
        with self._call() as (chunks, _, _):
            got = chunks.get(include=["documents", "metadatas"])
        documents = {i: Document(id=i, page_content=text, metadata=meta)
                     for i, text, meta in zip(got["ids"], got["documents"], got["metadatas"],
                                              strict=True)}
        chosen = _chosen(_groups(list(documents.values())))
        return [documents[i] for group in chosen.values() for i in group.ids]

    def dense_search(self, vector: list[float], k: int) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) of the `k` nearest chunks (HNSW, large corpora)."""
        if k <= 0:
            return []
        with self._call() as (chunks, _, _):
            found = chunks._collection.query(  # fewer than k stored: returns them all
                query_embeddings=[vector], n_results=k, include=["distances"])
        return [(i, 1.0 - d) for i, d in zip(found["ids"][0], found["distances"][0], strict=True)]

    def generation(self) -> str:
        """A mark that changes whenever an index run changed the store (for other workers)."""
        with self._call() as (_, _, meta):
            got = meta.get(ids=["generation"])
        return str(got["metadatas"][0].get("value")) if got["ids"] else ""

    def mark_changed(self) -> None:
        with self._call() as (_, _, meta):
            meta.upsert(ids=["generation"], embeddings=[[0.0]],
                        metadatas=[{"value": uuid.uuid4().hex, "at": time.time()}])

    def prune(self) -> int:
        """Delete file versions no reader sees: superseded ones, and unfinished ones a
        crashed run left behind (those are spared for a while: another process may still
        be writing them). Returns how many chunks went."""
        groups = _groups(self._chunk_metadata())
        visible = {id(group) for group in _chosen(groups).values()}
        cutoff = time.time() - _ABANDONED_AFTER
        stale = [i for group in groups.values() if id(group) not in visible
                 and (group.complete or group.written < cutoff) for i in group.ids]
        self._delete(stale)
        return len(stale)

    def _versions(self) -> dict[str, _Version]:
        return _chosen(_groups(self._chunk_metadata()))

    def _chunk_metadata(self) -> list[Document]:
        with self._call() as (chunks, _, _):
            got = chunks.get(include=["metadatas"])
        return [Document(id=i, page_content="", metadata=m)
                for i, m in zip(got["ids"], got["metadatas"], strict=True)]

    def location(self) -> dict[str, str]:
        """Where the chunks live: {"kind": "persistent", "path"}, {"kind": "http", "url"}
        or {"kind": "memory"} (for health reports; needs no connection)."""
        if self.where.startswith(("http://", "https://")):
            return {"kind": "http", "url": self.where}
        if self._persist_path:
            return {"kind": "persistent", "path": self._persist_path}
        return {"kind": "memory"}

    def _ids_of(self, source: str) -> list[str]:
        with self._call() as (chunks, _, _):
            return chunks.get(where={"source": source}, include=[])["ids"]


class _Version:
    """The chunks of one version (content hash) of one file."""

    def __init__(self, digest: str, expected: int | None, written: float) -> None:
        self.digest, self.expected, self.written = digest, expected, written
        self.ids: list[str] = []

    @property
    def complete(self) -> bool:
        return self.expected is None or len(self.ids) >= self.expected


def _groups(chunks: list[Document]) -> dict[tuple[str, str], _Version]:
    """The chunks grouped by file version: (source, content hash)."""
    groups: dict[tuple[str, str], _Version] = {}
    for chunk in chunks:
        meta = chunk.metadata
        source, digest = meta.get("source"), str(meta.get("file_hash", ""))
        if not source:
            continue
        expected = meta.get("file_chunks")
        group = groups.setdefault((source, digest), _Version(
            digest, int(expected) if expected is not None else None,
            float(meta.get("indexed_at", 0))))
        group.ids.append(chunk.id or "")
    return groups


def _chosen(groups: dict[tuple[str, str], _Version]) -> dict[str, _Version]:
    """Per source, the version readers see: the newest complete one.

    While a file is re-indexed, its old version stays complete until the new one is; a
    version whose chunks are still arriving or being deleted is not shown. Chunks from
    before versions were counted (no `file_chunks`) count as complete.
    """
    chosen: dict[str, _Version] = {}
    for (source, _), group in groups.items():
        best = chosen.get(source)
        if group.complete and (best is None or group.written > best.written):
            chosen[source] = group
    return chosen


def _chroma_settings() -> ChromaSettings:
    # Telemetry would try to reach the internet on every start.
    return ChromaSettings(anonymized_telemetry=False, allow_reset=False)

"""`ChunkStore`: chunks and their embeddings in Chroma, embedded on disk or on a server.

Which files are indexed, and at which content hash, is read back from the chunks'
metadata, so the store never disagrees with a separate manifest; readers see a file
version only once all of its chunks are in (`versions.py`). Each chunk's sentences are
embedded with it and stored beside it (`sentences.py`); `connection.py` reaches Chroma.
"""

from __future__ import annotations

import logging
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from langchain_core.documents import Document

from plaibot.embeddings import Embedder
from plaibot.errors import StoreUnavailable
from plaibot.splitting import chunk_sentences
from plaibot.store import sentences, versions
from plaibot.store.connection import (
    ChangedWhileReading,
    Collections,
    Connection,
    read_consistently,
)

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    import chromadb

log = logging.getLogger(__name__)

_BATCH = 500  # chunks embedded and written at a time (bounds the token vectors in memory)
# Indexes built before the embedder was recorded were all float32 MiniLM.
_UNRECORDED_EMBEDDER = "all-MiniLM-L6-v2:float32"


class ChunkStore:
    """A Chroma collection of chunks, one group of chunks per source file.

    A second collection holds one embedding per sentence of each chunk, so the answerer can
    compare the question with single sentences without embedding them per request.

    The chunk collection records which embedder (model and precision) made its vectors;
    opened with another one, the store re-embeds everything first, so questions are never
    compared with vectors from a different embedder.
    """

    def __init__(self, connection: Connection, embeddings: Embedder) -> None:
        self.connection, self.embeddings = connection, embeddings
        self.name, self.where = connection.name, connection.where
        self.embedder = embeddings.fingerprint
        self._sentences = sentences.SentenceCache()

    @classmethod
    def persistent(cls, path: Path, collection: str, embeddings: Embedder) -> ChunkStore:
        """An embedded store in the folder `path`."""
        return cls(Connection.persistent(path, collection), embeddings)

    @classmethod
    def in_memory(cls, collection: str, embeddings: Embedder) -> ChunkStore:
        """An embedded store that lives as long as this process."""
        return cls(Connection.in_memory(collection), embeddings)

    @classmethod
    def remote(cls, url: str, collection: str, embeddings: Embedder,
               token: str | None = None) -> ChunkStore:
        """A Chroma server (`chroma run`), shared by every plaibot worker and host."""
        return cls(Connection.remote(url, collection, token), embeddings)

    def _call(self) -> AbstractContextManager[Collections]:
        """The collections, for one store call (see `Connection.call`)."""
        return self.connection.call(self._match_embedder)

    def reconnect(self) -> None:
        """Read the store afresh on the next call (after another process's index run)."""
        self.connection.reconnect()

    def reachable(self) -> bool:
        """Whether the store answers now (for health checks)."""
        try:
            self.count()
        except StoreUnavailable:
            return False
        return True

    def count(self) -> int:
        """How many chunks are stored, of every version."""
        with self._call() as stored:
            return stored.chunks.count()

    def location(self) -> dict[str, str]:
        """Where the chunks live, fit for a public health report (`Connection.location`)."""
        return self.connection.location()

    # --- writes ---------------------------------------------------------------------------

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
        """Add the chunks of several (source, content hash, chunks) files in large batches;
        each chunk's metadata gains its file version's fields (`versions.version_fields`)."""
        ids: list[str] = []
        batch: list[Document] = []
        written = time.time()
        for source, digest, chunks in files:
            fields = versions.version_fields(source, digest, len(chunks), written)
            for chunk in chunks:
                chunk.metadata.update(fields)
            ids += versions.chunk_ids(source, digest, len(chunks))
            batch += chunks
        with self._call() as stored:
            self._put(stored, ids, batch, documents=True)
        return ids

    def _put(self, stored: Collections, ids: list[str], batch: list[Document], *,
             documents: bool) -> None:
        """Embed chunks and their sentences and write both, `_BATCH` chunks at a time;
        without `documents`, only the vectors of chunks already stored are replaced."""
        for start in range(0, len(batch), _BATCH):
            part_ids, part = ids[start : start + _BATCH], batch[start : start + _BATCH]
            vectors, by_chunk = self._embed(part)
            # Sentences first: once a file's chunks are all in, readers find its sentences too.
            sentences.write(stored.sentences, part_ids, by_chunk)
            if documents:
                stored.chunks.upsert(ids=part_ids, embeddings=vectors,
                                     documents=[c.page_content for c in part],
                                     metadatas=[c.metadata for c in part])
            else:
                stored.chunks.update(ids=part_ids, embeddings=vectors)

    def _embed(self, chunks: list[Document]) -> tuple[np.ndarray, list[np.ndarray]]:
        """Each chunk's unit vector, and its sentences' (one row per sentence), from one call
        to the model (sentence-transformers sorts them all by length, so batches pad little)."""
        texts = [[text for text, _ in chunk_sentences(c)] for c in chunks]
        rows = self.embeddings.embed_passages(
            [c.page_content for c in chunks] + [s for group in texts for s in group])
        vectors, at = rows[: len(chunks)], len(chunks)
        by_chunk = []
        for group in texts:
            by_chunk.append(rows[at : at + len(group)])
            at += len(group)
        return vectors, by_chunk

    def _match_embedder(self, stored: Collections) -> None:
        """Re-embed a store built by another embedder, then record this one."""
        metadata = dict(stored.chunks.metadata or {})
        recorded = metadata.get("embedder", _UNRECORDED_EMBEDDER)
        if recorded == self.embedder:
            return
        if stored.chunks.count():
            log.warning("index %r was embedded with %s; re-embedding it with %s",
                        self.name, recorded, self.embedder)
            got = stored.chunks.get(include=["documents", "metadatas"])
            self._put(stored, got["ids"], _documents(got), documents=False)
        stored.chunks.modify(metadata={**metadata, "embedder": self.embedder})

    def remove_file(self, source: str) -> None:
        """Delete every version of `source`."""
        self._delete(self._ids_of(source))

    def _delete(self, chunk_ids: list[str]) -> None:
        if chunk_ids:
            with self._call() as stored:
                stored.chunks.delete(ids=chunk_ids)  # chunks first: readers stop seeing them at once
                sentences.delete(stored.sentences, chunk_ids)

    def prune(self) -> int:
        """Delete file versions no reader sees: superseded ones, and unfinished ones a
        crashed run left behind (those are spared for a while: another process may still
        be writing them). Returns how many chunks went."""
        gone = versions.stale(self._versions(), time.time())
        self._delete(gone)
        return len(gone)

    def mark_changed(self) -> None:
        """Change the mark `generation` returns (after an index run changed the store)."""
        with self._call() as stored:
            stored.meta.upsert(ids=["generation"], embeddings=[[0.0]],
                               metadatas=[{"value": uuid.uuid4().hex, "at": time.time()}])

    # --- reads ----------------------------------------------------------------------------

    def generation(self) -> str:
        """A mark that changes whenever an index run changed the store (for other workers)."""
        with self._call() as stored:
            got = stored.meta.get(ids=["generation"])
        return str(got["metadatas"][0].get("value")) if got["ids"] else ""

    def file_hashes(self) -> dict[str, str]:
        """Indexed source -> content hash of the file version readers see."""
        return {source: version.digest
                for source, version in versions.visible(self._versions()).items()}

    def snapshot(self) -> tuple[list[Document], np.ndarray]:
        """Every visible chunk (complete file versions only) with its unit embedding."""
        return read_consistently(self._read_snapshot)

    def _read_snapshot(self) -> tuple[list[Document], np.ndarray]:
        documents = self.all_chunks()
        vectors: dict[str, np.ndarray] = {}
        for start in range(0, len(documents), _BATCH * 10):
            with self._call() as stored:
                got = stored.chunks.get(
                    ids=[d.id or "" for d in documents[start : start + _BATCH * 10]],
                    include=["embeddings"])
            vectors.update(zip(got["ids"], np.asarray(got["embeddings"], dtype=np.float32)))
        if len(vectors) < len(documents):
            raise ChangedWhileReading
        if not documents:
            return [], np.zeros((0, 0), dtype=np.float32)
        return documents, np.array([vectors[d.id or ""] for d in documents], dtype=np.float32)

    def all_chunks(self) -> list[Document]:
        """Every visible chunk with its id (complete file versions only; no vectors read)."""
        with self._call() as stored:
            got = stored.chunks.get(include=["documents", "metadatas"])
        documents = {d.id: d for d in _documents(got)}
        shown = versions.visible(versions.versions(zip(got["ids"], got["metadatas"], strict=True)))
        return [documents[i] for version in shown.values() for i in version.ids]

    def sentence_vectors(self, chunk_ids: list[str]) -> dict[str, np.ndarray]:
        """Per chunk, its sentences' embeddings in order (one row per sentence).

        Chunk ids name their content, so vectors read once stay valid: they are kept in a
        bounded cache and the store is asked only for chunks not seen before. When the
        store cannot be reached, chunks not cached are left out (answers lose a little
        precision, not their availability).
        """
        return self._sentences.vectors(chunk_ids, self._read_sentences)

    def _read_sentences(self, chunk_ids: list[str]) -> dict[str, np.ndarray]:
        try:
            with self._call() as stored:
                return sentences.read(stored.sentences, chunk_ids)
        except StoreUnavailable as error:
            log.warning("sentence vectors unavailable: %s", error)
            return {}

    def dense_search(self, vector: list[float], k: int) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) of the `k` nearest chunks (HNSW, large corpora)."""
        if k <= 0:
            return []
        with self._call() as stored:
            found = stored.chunks.query(  # fewer than k stored: returns them all
                query_embeddings=[vector], n_results=k, include=["distances"])
        return [(i, 1.0 - d) for i, d in zip(found["ids"][0], found["distances"][0], strict=True)]

    def _versions(self) -> dict[tuple[str, str], versions.Version]:
        with self._call() as stored:
            got = stored.chunks.get(include=["metadatas"])
        return versions.versions(zip(got["ids"], got["metadatas"], strict=True))

    def _ids_of(self, source: str) -> list[str]:
        with self._call() as stored:
            return stored.chunks.get(where={"source": source}, include=[])["ids"]


def _documents(got: chromadb.GetResult) -> list[Document]:
    """Chunks as Chroma's `get` returned them (with documents and metadatas)."""
    return [Document(id=i, page_content=text, metadata=meta)
            for i, text, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True)]

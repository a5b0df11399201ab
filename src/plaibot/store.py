"""Store step: chunks and their embeddings in a Chroma collection.

Which files are indexed, and at which content hash, is read back from the chunks'
metadata, so the store never disagrees with a separate manifest.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np

import chromadb
from chromadb.config import Settings as ChromaSettings
from langchain_chroma import Chroma
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings

from plaibot.splitting import chunk_sentences

_BATCH = 1000  # well under Chroma's per-call limit
_SENTENCE_CACHE = 20_000  # chunks whose sentence vectors stay in memory


class ChunkStore:
    """A Chroma collection of chunks, one group of chunks per source file.

    A second collection holds one embedding per sentence of each chunk, so the answerer can
    compare the question with single sentences without embedding them per request.
    """

    def __init__(self, client: chromadb.ClientAPI, collection: str, embeddings: Embeddings):
        self.embeddings = embeddings
        self.vectorstore = Chroma(
            collection_name=collection,
            embedding_function=embeddings,
            client=client,
            collection_configuration={"hnsw": {"space": "cosine"}},
        )
        self.sentences = client.get_or_create_collection(f"{collection}-sentences")
        self._sentence_cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_lock = threading.Lock()

    @classmethod
    def persistent(cls, path: Path, collection: str, embeddings: Embeddings) -> ChunkStore:
        path.mkdir(parents=True, exist_ok=True)
        client = chromadb.PersistentClient(path=str(path), settings=_chroma_settings())
        return cls(client, collection, embeddings)

    @classmethod
    def in_memory(cls, collection: str, embeddings: Embeddings) -> ChunkStore:
        client = chromadb.EphemeralClient(settings=_chroma_settings())
        return cls(client, collection, embeddings)

    def count(self) -> int:
        return self.vectorstore._collection.count()

    def file_hashes(self) -> dict[str, str]:
        """Indexed source -> content hash of the file its chunks came from."""
        metadatas = self.vectorstore.get(include=["metadatas"])["metadatas"]
        return {m["source"]: m["file_hash"] for m in metadatas if "source" in m}

    def replace_file(self, source: str, digest: str, chunks: list[Document]) -> None:
        """Put a file's new chunks in, then take its old ones out.

        Adding first means a failure part-way leaves the old chunks answerable.
        """
        old_ids = set(self._ids_of(source))
        ids = self.add_files([(source, digest, chunks)])
        self._delete(sorted(old_ids - set(ids)))

    def add_files(self, files: list[tuple[str, str, list[Document]]]) -> list[str]:
        """Add the chunks of several (source, content hash, chunks) files in large batches."""
        ids: list[str] = []
        batch: list[Document] = []
        for source, digest, chunks in files:
            prefix = hashlib.sha256(source.encode()).hexdigest()[:12]
            for n, chunk in enumerate(chunks):
                chunk.metadata.update(source=source, file_hash=digest)
                ids.append(f"{prefix}-{digest[:16]}-{n}")
                batch.append(chunk)
        for start in range(0, len(batch), _BATCH):
            self.vectorstore.add_documents(
                batch[start : start + _BATCH], ids=ids[start : start + _BATCH]
            )
        self._add_sentences(ids, batch)
        return ids

    def _add_sentences(self, chunk_ids: list[str], chunks: list[Document]) -> None:
        ids, texts, owners = [], [], []
        for chunk_id, chunk in zip(chunk_ids, chunks, strict=True):
            for position, (text, _) in enumerate(chunk_sentences(chunk)):
                ids.append(f"{chunk_id}:{position}")
                texts.append(text)
                owners.append({"chunk_id": chunk_id, "position": position})
        for start in range(0, len(ids), _BATCH):
            end = start + _BATCH
            self.sentences.upsert(ids=ids[start:end], metadatas=owners[start:end],
                                  embeddings=self.embeddings.embed_documents(texts[start:end]))

    def sentence_vectors(self, chunk_ids: list[str]) -> dict[str, np.ndarray]:
        """Per chunk, its sentences' embeddings in order (one row per sentence).

        Chunk ids name their content, so vectors read once stay valid: they are kept in a
        bounded cache and the store is asked only for chunks not seen before.
        """
        cache = self._sentence_cache
        missing = [c for c in chunk_ids if c not in cache]
        if missing:
            got = self.sentences.get(where={"chunk_id": {"$in": missing}},
                                     include=["embeddings", "metadatas"])
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
            self.vectorstore.delete(ids=chunk_ids)
            self.sentences.delete(where={"chunk_id": {"$in": chunk_ids}})

    def all_chunks(self) -> list[Document]:
        """Every chunk with its id, for the in-memory keyword index."""
        got = self.vectorstore.get(include=["documents", "metadatas"])
        return [
            Document(id=i, page_content=text, metadata=meta)
            for i, text, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True)
        ]

    def chunk_vectors(self) -> tuple[list[str], np.ndarray]:
        """Every chunk id with its (unit) embedding, one row per chunk."""
        got = self.vectorstore.get(include=["embeddings"])
        return list(got["ids"]), np.asarray(got["embeddings"], dtype=np.float32).reshape(-1, 384)

    def dense_search(self, vector: list[float], k: int) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) of the `k` nearest chunks."""
        if k <= 0:
            return []
        found = self.vectorstore._collection.query(  # fewer than k stored: returns them all
            query_embeddings=[vector], n_results=k, include=["distances"]
        )
        return [(i, 1.0 - d) for i, d in zip(found["ids"][0], found["distances"][0], strict=True)]

    def location(self) -> dict[str, str]:
        """Where the chunks live: {"kind": "persistent", "path"}, {"kind": "http", "url"}
        or {"kind": "memory"}, read from the Chroma client (for health reports)."""
        settings = self.vectorstore._client.get_settings()
        if settings.chroma_api_impl.endswith(".fastapi.FastAPI"):
            scheme = "https" if settings.chroma_server_ssl_enabled else "http"
            port = f":{settings.chroma_server_http_port}" if settings.chroma_server_http_port else ""
            return {"kind": "http", "url": f"{scheme}://{settings.chroma_server_host}{port}"}
        if settings.is_persistent:
            return {"kind": "persistent", "path": str(settings.persist_directory)}
        return {"kind": "memory"}

    def _ids_of(self, source: str) -> list[str]:
        return self.vectorstore.get(where={"source": source}, include=[])["ids"]


def _chroma_settings() -> ChromaSettings:
    # Telemetry would try to reach the internet on every start.
    return ChromaSettings(anonymized_telemetry=False, allow_reset=False)

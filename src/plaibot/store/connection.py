"""The Chroma connection: an embedded store (a folder, or memory) or a Chroma server.

`Connection` opens the three collections of one index on first use, re-opens them after
a lost connection, and turns the many ways Chroma fails to connect into `StoreUnavailable`.
It is the only module that imports chromadb at run time (the others use the collections
it opens), and it imports it on first use, so `import plaibot.store` stays light.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, TypeVar
from urllib.parse import urlsplit

from plaibot.errors import StoreUnavailable

if TYPE_CHECKING:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

# Chunks are searched by cosine similarity (the embedders' vectors are unit length).
_CHUNKS = {"hnsw": {"space": "cosine"}}
# Sentence vectors are only ever read by chunk id, never searched: the smallest HNSW graph
# Chroma allows makes writing them about three times cheaper.
_UNSEARCHED = {"hnsw": {"ef_construction": 16, "max_neighbors": 4}}
_RETIRE_AFTER = 30.0  # seconds a replaced embedded client lives on for calls in flight
_READ_ATTEMPTS = 5

T = TypeVar("T")


class ChangedWhileReading(Exception):
    """Chunks seen in one read were gone in the next."""


class Collections(NamedTuple):
    """The collections of one index."""

    chunks: chromadb.Collection  # one row a chunk: text, metadata, embedding
    sentences: chromadb.Collection  # one row a sentence of a chunk (see `sentences.py`)
    meta: chromadb.Collection  # marks shared between processes (the index generation)


class Connection:
    """How to reach one index's collections in Chroma, and the collections once opened.

    `where` names the store in messages, logs and health reports: a folder's path, a
    server's URL without credentials, or "memory".
    """

    def __init__(self, connect: Callable[[], chromadb.ClientAPI], name: str,
                 where: str = "memory", folder: Path | None = None) -> None:
        self.name, self.where, self.folder = name, where, folder
        self._connect = connect
        self._opened: Collections | None = None
        self._lock = threading.Lock()

    @classmethod
    def persistent(cls, path: Path, name: str) -> Connection:
        """An embedded store in the folder `path` (created if missing)."""
        def connect() -> chromadb.ClientAPI:
            import chromadb
            path.mkdir(parents=True, exist_ok=True)
            return chromadb.PersistentClient(path=str(path), settings=_chroma_settings())
        return cls(connect, name, where=str(path), folder=path)

    @classmethod
    def in_memory(cls, name: str) -> Connection:
        """An embedded store that lives as long as this process."""
        def connect() -> chromadb.ClientAPI:
            import chromadb
            return chromadb.EphemeralClient(settings=_chroma_settings())
        return cls(connect, name)

    @classmethod
    def remote(cls, url: str, name: str, token: str | None = None) -> Connection:
        """A Chroma server (`chroma run`), shared by every plaibot worker and host;
        `token` is sent as a bearer token."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"Chroma URL must look like http://host:8000, not {url!r}")
        headers = {"Authorization": f"Bearer {token}"} if token else None

        def connect() -> chromadb.ClientAPI:
            import chromadb
            return chromadb.HttpClient(
                host=parts.hostname or "", port=parts.port or (443 if parts.scheme == "https" else 8000),
                ssl=parts.scheme == "https", headers=headers, settings=_chroma_settings())
        # Kept without user, password or query: it appears in errors, logs and /api/health.
        return cls(connect, name, where=public_url(url))

    def open(self, prepare: Callable[[Collections], None]) -> Collections:
        """The collections, connecting on first use and after a failure; `prepare` runs
        on them once each time they are opened, before any caller gets them."""
        opened = self._opened
        if opened is not None:
            return opened
        with self._lock, reaching(self.where):
            if self._opened is None:
                client = self._connect()
                collections = Collections(
                    client.get_or_create_collection(self.name, configuration=_CHUNKS,
                                                    embedding_function=None),
                    client.get_or_create_collection(f"{self.name}-sentences",
                                                    configuration=_UNSEARCHED),
                    client.get_or_create_collection(f"{self.name}-meta",
                                                    embedding_function=None))
                prepare(collections)
                self._opened = collections
            return self._opened

    @contextmanager
    def call(self, prepare: Callable[[Collections], None]) -> Iterator[Collections]:
        """The collections, for one store call; a lost connection is re-made next time."""
        try:
            with reaching(self.where):
                yield self.open(prepare)
        except StoreUnavailable:
            self._opened = None
            raise

    def reconnect(self) -> None:
        """Read the store afresh on the next call.

        An embedded Chroma keeps its vector index in this process's memory, so another
        process's index run leaves it stale (reads fail with "Error finding id"); a new
        client for the folder loads the files again.
        """
        with self._lock:
            self._opened = None
            if self.folder is not None:
                _forget_shared_system(str(self.folder))

    def location(self) -> dict[str, str]:
        """Where the collections live, fit for a public health report (needs no
        connection): {"kind": "http", "url"} (without credentials), {"kind":
        "persistent", "name"} (the folder's name, not its path) or {"kind": "memory"},
        each with its "collection"."""
        if self.where.startswith(("http://", "https://")):
            return {"kind": "http", "url": self.where, "collection": self.name}
        if self.folder is not None:
            return {"kind": "persistent", "name": self.folder.name, "collection": self.name}
        return {"kind": "memory", "collection": self.name}


def read_consistently(read: Callable[[], T]) -> T:
    """`read()`, tried again when a writer retired chunks between the reads it makes.

    Chroma itself reads ids and vectors in two steps, and fails then (`InternalError`);
    `read` raises `ChangedWhileReading` when its own reads disagree. The next attempt sees
    the writer done.
    """
    from chromadb.errors import InternalError

    for attempt in range(_READ_ATTEMPTS):
        try:
            return read()
        except (InternalError, ChangedWhileReading):
            if attempt == _READ_ATTEMPTS - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


def _forget_shared_system(folder: str) -> None:
    """Make the next client for `folder` load it from disk, leaving other folders alone.

    Chroma keeps one `System` (which holds the vector index) per folder per process, in
    the class-level cache of its private `SharedSystemClient`, and every `PersistentClient`
    for the folder reuses it. Chroma 1.5 has no public way to replace one folder's System
    while calls are still using it: `Client.close()` stops it at once, and only when the
    last client of the folder closes; `clear_system_cache()` (meant for tests) forgets
    every folder's and stops none. So the entry is taken out of the cache here, and the
    System stopped once calls already under way have finished.
    """
    from chromadb.api.shared_system_client import SharedSystemClient

    stale = SharedSystemClient._identifier_to_system.pop(folder, None)
    SharedSystemClient._identifier_to_refcount.pop(folder, None)
    if stale is not None:
        threading.Timer(_RETIRE_AFTER, stale.stop).start()


def public_url(url: str) -> str:
    """`url` without what may be secret: user and password, query and fragment."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:  # not a number: left out, like the rest of what cannot be trusted
        port = ""
    return f"{parts.scheme}://{f'[{host}]' if ':' in host else host}{port}{parts.path}"


@contextmanager
def reaching(where: str) -> Iterator[None]:
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


def _chroma_settings() -> ChromaSettings:
    from chromadb.config import Settings as ChromaSettings

    # Telemetry would try to reach the internet on every start.
    return ChromaSettings(anonymized_telemetry=False, allow_reset=False)

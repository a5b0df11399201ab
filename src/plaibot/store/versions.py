"""Which version of each file readers see, decided from chunk metadata alone.

Every chunk records its file (`source`), the file's content hash (`file_hash`, naming the
version), how many chunks that version has (`file_chunks`) and when its run wrote it
(`indexed_at`). Readers see a file version only once all of its chunks are in, and of the
complete versions the newest: while a file is re-indexed its old version stays in view
until the new one is whole, so a reader never sees half a document or a mix of two
versions, and a crash part-way leaves the previous version in view.

Pure functions over (chunk id, metadata) pairs, as Chroma returns them: no model, no
Chroma, nothing read or written here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

ABANDONED_AFTER = 600  # seconds after which an unfinished file version counts as a crash's


@dataclass(eq=False)
class Version:
    """The chunks of one version (content hash) of one file."""

    digest: str
    expected: int | None  # chunks the version has; None: written before versions counted
    written: float  # when its index run wrote it (seconds since the epoch)
    ids: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """Whether all its chunks are in (versions that did not count theirs always are)."""
        return self.expected is None or len(self.ids) >= self.expected


def chunk_ids(source: str, digest: str, count: int) -> list[str]:
    """The ids of the `count` chunks of `source` at content hash `digest`: one file
    version's ids differ from every other's, so writing a new version never overwrites
    the chunks readers see."""
    prefix = hashlib.sha256(source.encode()).hexdigest()[:12]
    return [f"{prefix}-{digest[:16]}-{n}" for n in range(count)]


def version_fields(source: str, digest: str, count: int, written: float) -> dict[str, Any]:
    """The metadata each of a file version's `count` chunks carries."""
    return {"source": source, "file_hash": digest, "file_chunks": count, "indexed_at": written}


def versions(chunks: Iterable[tuple[str, Mapping[str, Any]]]) -> dict[tuple[str, str], Version]:
    """(chunk id, metadata) pairs grouped by file version: (source, content hash).
    Chunks without a source are left out."""
    found: dict[tuple[str, str], Version] = {}
    for chunk_id, meta in chunks:
        source, digest = meta.get("source"), str(meta.get("file_hash", ""))
        if not source:
            continue
        expected = meta.get("file_chunks")
        version = found.setdefault((source, digest), Version(
            digest, int(expected) if expected is not None else None,
            float(meta.get("indexed_at", 0))))
        version.ids.append(chunk_id)
    return found


def visible(found: dict[tuple[str, str], Version]) -> dict[str, Version]:
    """Per source, the version readers see: the newest complete one (of two written at
    the same moment, the first in `found`). A source with no complete version is not
    shown at all."""
    chosen: dict[str, Version] = {}
    for (source, _), version in found.items():
        best = chosen.get(source)
        if version.complete and (best is None or version.written > best.written):
            chosen[source] = version
    return chosen


def stale(found: dict[tuple[str, str], Version], now: float) -> list[str]:
    """The ids of chunks no reader sees and no writer is still adding to: superseded
    complete versions, and unfinished ones older than `ABANDONED_AFTER` (a crashed run's;
    younger ones may still be being written by another process)."""
    chosen = visible(found)
    cutoff = now - ABANDONED_AFTER
    return [chunk_id for (source, _), version in found.items()
            if chosen.get(source) is not version
            and (version.complete or version.written < cutoff)
            for chunk_id in version.ids]

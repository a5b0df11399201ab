"""Health of the index and the store behind it, for load balancers and operators."""

from __future__ import annotations

import threading
from pathlib import Path

from plaibot.assistant import Assistant
from plaibot.store import ChunkStore


class IndexHealth:
    """Reports chunks, files, where the store is and the last indexing run; never a
    credential or a server path, since anyone may read it.

    "degraded" (HTTP 503) when the store cannot be read or the index is empty: a worker in
    that state would refuse every question, so a load balancer should pass it by.
    """

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        # Counting files reads every chunk's metadata: redone only when the chunk count moves.
        self._files: tuple[int, int] | None = None
        self._lock = threading.Lock()

    def check(self) -> tuple[bool, dict[str, object]]:
        """(healthy, report)."""
        store = self.assistant.store
        report: dict[str, object] = {"status": "ok", "store": _location(store)}
        try:
            chunks = store.count()
            report.update(chunks=chunks, files=self._file_count(chunks))
        except Exception as error:  # noqa: BLE001 - whatever the store raises, it is down
            report.update(status="degraded", problem=f"store unreachable ({type(error).__name__})")
            return False, report
        report["last_index"] = self._last_index()
        if chunks == 0:
            report.update(status="degraded", problem="the index is empty")
        return report["status"] == "ok", report

    def _file_count(self, chunks: int) -> int:
        with self._lock:
            if self._files is None or self._files[0] != chunks:
                self._files = (chunks, len(self.assistant.store.file_hashes()))
            return self._files[1]

    def _last_index(self) -> dict[str, object] | None:
        report, finished = self.assistant.last_index, self.assistant.last_index_at
        if report is None or finished is None:
            return None
        return {"finished": finished.isoformat(timespec="seconds"), "summary": report.summary(),
                "failed": [f"{_public(source)}: {reason}" for source, reason in report.failed[:20]]}


def _public(source: str) -> str:
    """A file as the public may see it: relative names as they are, absolute ones (outside
    the working folder) by their name only, so the report shows no server paths."""
    return Path(source).name if Path(source).is_absolute() else source


def _location(store: ChunkStore) -> dict[str, str]:
    try:
        return store.location()
    except Exception:  # noqa: BLE001 - a health report must not fail on its own details
        return {"kind": "unknown"}

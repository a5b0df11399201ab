"""Health of the index and the store behind it, for load balancers and operators."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Protocol

from plaibot.assistant import Assistant
from plaibot.store import ChunkStore


class Service(Protocol):
    """A server plaibot leans on but can answer without (Redis, the records database)."""

    def problem(self) -> str | None:
        """Why it cannot be used now, or None when it can."""


class IndexHealth:
    """Reports chunks, files, where the store is, the last indexing run and the services.

    "degraded" (HTTP 503) when the store cannot be read or the index is empty: a worker in
    that state would refuse every question, so a load balancer should pass it by.
    "degraded" with HTTP 200 when only a shared service (`services`, by name) is away: the
    worker still answers, and every host sees the same outage, so none should be taken out.
    """

    def __init__(self, assistant: Assistant, services: Mapping[str, Service] | None = None
                 ) -> None:
        self.assistant = assistant
        self.services = dict(services or {})
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
        answering = report["status"] == "ok"
        problems = {name: service.problem() for name, service in self.services.items()}
        if problems:
            report["services"] = {name: problem or "ok" for name, problem in problems.items()}
        if answering and any(problems.values()):
            report.update(status="degraded",
                          problem="; ".join(problem for problem in problems.values() if problem))
        return answering, report

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
                "failed": [f"{source}: {reason}" for source, reason in report.failed[:20]]}


def _location(store: ChunkStore) -> dict[str, str]:
    try:
        return store.location()
    except Exception:  # noqa: BLE001 - a health report must not fail on its own details
        return {"kind": "unknown"}

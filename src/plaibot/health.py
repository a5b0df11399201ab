"""Health of the index and the store behind it, for load balancers and operators."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from plaibot.assistant import Assistant
from plaibot.store import ChunkStore

log = logging.getLogger(__name__)


class Service(Protocol):
    """A server plaibot leans on but can answer without (Redis, the records database)."""

    def problem(self) -> str | None:
        """Why it cannot be used now, with no address, user name or path (anyone may read
        it; the log has the details), or None when it can."""

    def describe(self) -> dict[str, str]:
        """Its `kind` ("redis", "postgresql", "sqlite") and `name` (a database's name or
        number, a file's name without its folder): never a host, port, user or path."""


class IndexHealth:
    """Reports chunks, files, where the store is, the last indexing run and the services
    (each by its kind and name, `status` "ok" or "unavailable" with its `problem`); never a
    credential, user name, host or server path, since anyone may read it.

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
        problems = {name: _problem(service) for name, service in self.services.items()}
        if problems:
            report["services"] = {name: _service(self.services[name], problem)
                                  for name, problem in problems.items()}
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
                "failed": [f"{_public(source)}: {reason}" for source, reason in report.failed[:20]]}


def _public(source: str) -> str:
    """A file as the public may see it: relative names as they are, absolute ones (outside
    the working folder) by their name only, so the report shows no server paths."""
    return Path(source).name if Path(source).is_absolute() else source


def _problem(service: Service) -> str | None:
    try:
        return service.problem()
    except Exception as error:  # noqa: BLE001 - a health report must not fail on a service
        log.exception("checking a service for the health report failed")
        return f"unavailable ({type(error).__name__})"


def _service(service: Service, problem: str | None) -> dict[str, str]:
    if problem is None:
        return {**service.describe(), "status": "ok"}
    return {**service.describe(), "status": "unavailable", "problem": problem}


def _location(store: ChunkStore) -> dict[str, str]:
    try:
        return store.location()
    except Exception:  # noqa: BLE001 - a health report must not fail on its own details
        return {"kind": "unknown"}

"""Index step: load, split and store files incrementally, reporting per file."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from langchain_core.documents import Document

from plaibot.loaders import LoadError, discover, load_file
from plaibot.splitting import split_documents
from plaibot.store import ChunkStore

# Chunks embedded together: one model call over many files sorts all their texts by length,
# so batches pad little (file by file, each long chunk padded its short sentences: 2x slower).
WRITE_BATCH = 500


@dataclass
class IndexReport:
    """What one indexing run did, file by file."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    chunks: int = 0

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def summary(self) -> str:
        return (
            f"{len(self.added)} added, {len(self.updated)} updated, {len(self.removed)} removed, "
            f"{len(self.unchanged)} unchanged, {len(self.skipped)} skipped, "
            f"{len(self.failed)} failed ({self.chunks} chunks written)"
        )


def source_name(path: Path, base: Path) -> str:
    """How a file is named in the index: relative to `base` when inside it ("knowledge/id/
    x.md"), else its absolute path. A fixed base (not the working folder) keeps the names,
    and so the index, the same wherever plaibot is started from."""
    resolved = path.resolve()
    try:
        return resolved.relative_to(base.resolve()).as_posix()
    except ValueError:
        return resolved.as_posix()


def source_path(source: str, base: Path) -> Path:
    """The file an index name (see `source_name`) stands for."""
    return (base / source).resolve()


def index_paths(
    store: ChunkStore,
    paths: Iterable[Path],
    *,
    chunk_size: int,
    chunk_overlap: int,
    max_bytes: int,
    on_file: Callable[[Path], None] | None = None,
    base: Path | None = None,
) -> IndexReport:
    """Bring the store in line with `paths` (files and folders).

    Unchanged files (same content hash) are skipped, changed ones replaced, and files that
    were indexed from these folders but no longer exist are removed. A file that fails to
    load keeps whatever the index had for it. Files are named relative to `base` (default:
    the working folder; see `source_name`).
    """
    paths = list(paths)
    base = (base or Path.cwd()).resolve()
    report = IndexReport()
    for missing in (p for p in paths if not p.exists()):
        report.failed.append((str(missing), "no such file or folder"))
    files, unsupported = discover(p for p in paths if p.exists())
    report.skipped += [(source_name(p, base), "unsupported type") for p in unsupported]
    indexed = store.file_hashes()
    writes = _Writes(store, report, indexed, on_file)
    seen: set[str] = set()

    for path in files:
        source = source_name(path, base)
        seen.add(source)
        try:
            documents, digest = load_file(path, max_bytes)
        except (LoadError, OSError) as error:
            report.failed.append((source, _reason(error)))
            writes.done(path)
            continue
        if indexed.get(source) == digest:
            report.unchanged.append(source)
            writes.done(path)
        else:  # reported once written
            writes.add(path, source, digest, split_documents(documents, chunk_size, chunk_overlap))
    writes.flush()

    for source in sorted(set(indexed) - seen):
        file = source_path(source, base)
        if _within(file, paths) and not file.exists():
            store.remove_file(source)
            report.removed.append(source)
    store.prune()
    if report.changed:
        store.mark_changed()  # other workers reload their snapshot
    return report


@dataclass
class _Writes:
    """Files loaded and split, waiting to be embedded and written together."""

    store: ChunkStore
    report: IndexReport
    indexed: dict[str, str]
    on_file: Callable[[Path], None] | None
    pending: list[tuple[Path, str, str, list[Document]]] = field(default_factory=list)

    def add(self, path: Path, source: str, digest: str, chunks: list[Document]) -> None:
        self.pending.append((path, source, digest, chunks))
        if sum(len(p[3]) for p in self.pending) >= WRITE_BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        self.store.replace_files([(source, digest, chunks)
                                  for _, source, digest, chunks in self.pending])
        for path, source, _, chunks in self.pending:
            (self.report.updated if source in self.indexed else self.report.added).append(source)
            self.report.chunks += len(chunks)
            self.done(path)
        self.pending = []

    def done(self, path: Path) -> None:
        if self.on_file:
            self.on_file(path)


def _reason(error: Exception) -> str:
    if isinstance(error, OSError):
        return f"cannot read file ({error.strerror or error})"
    return str(error)


def _within(target: Path, roots: list[Path]) -> bool:
    for root in roots:
        resolved = root.resolve()
        if target == resolved or resolved in target.parents:
            return True
    return False

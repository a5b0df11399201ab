"""Index step: load, split and store files incrementally, reporting per file."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from plaibot.loaders import LoadError, discover, load_file
from plaibot.splitting import split_documents
from plaibot.store import ChunkStore


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


def source_name(path: Path) -> str:
    """How a file is named in the index: relative to the working folder when inside it."""
    resolved = path.resolve()
    try:
        return resolved.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return resolved.as_posix()


def index_paths(
    store: ChunkStore,
    paths: Iterable[Path],
    *,
    chunk_size: int,
    chunk_overlap: int,
    max_bytes: int,
    on_file: Callable[[Path], None] | None = None,
) -> IndexReport:
    """Bring the store in line with `paths` (files and folders).

    Unchanged files (same content hash) are skipped, changed ones replaced, and files that
    were indexed from these folders but no longer exist are removed. A file that fails to
    load keeps whatever the index had for it.
    """
    paths = list(paths)
    report = IndexReport()
    for missing in (p for p in paths if not p.exists()):
        report.failed.append((str(missing), "no such file or folder"))
    files, unsupported = discover(p for p in paths if p.exists())
    report.skipped += [(source_name(p), "unsupported type") for p in unsupported]
    indexed = store.file_hashes()
    seen: set[str] = set()

    for path in files:
        source = source_name(path)
        seen.add(source)
        try:
            documents, digest = load_file(path, max_bytes)
            if indexed.get(source) == digest:
                report.unchanged.append(source)
                continue
            chunks = split_documents(documents, chunk_size, chunk_overlap)
            store.replace_file(source, digest, chunks)
        except LoadError as error:
            report.failed.append((source, str(error)))
        except OSError as error:
            report.failed.append((source, f"cannot read file ({error.strerror or error})"))
        else:
            (report.updated if source in indexed else report.added).append(source)
            report.chunks += len(chunks)
        finally:
            if on_file:
                on_file(path)

    for source in sorted(set(indexed) - seen):
        if _within(source, paths) and not Path(source).exists():
            store.remove_file(source)
            report.removed.append(source)
    store.prune()
    if report.changed:
        store.mark_changed()  # other workers reload their snapshot
    return report


def _within(source: str, roots: list[Path]) -> bool:
    target = Path(source).resolve()
    for root in roots:
        resolved = root.resolve()
        if target == resolved or resolved in target.parents:
            return True
    return False

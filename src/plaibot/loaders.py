"""Load step: turn files (Markdown, plain text, HTML, PDF) into LangChain `Document`s.

A file that cannot be read raises `LoadError` with a reason a person can act on; the
indexer reports it by name and carries on with the other files.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from pathlib import Path

import frontmatter
import yaml
from bs4 import BeautifulSoup
from langchain_core.documents import Document

from plaibot.text import LANGUAGES, detect_language, strip_markers


class LoadError(Exception):
    """A file could not be turned into documents; `str(error)` says why."""


class UnsupportedFileType(LoadError):
    """The file's type is not one plaibot reads."""


def file_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:32]


def discover(paths: Iterable[Path]) -> tuple[list[Path], list[Path]]:
    """Expand folders into the supported files below them.

    Returns (files, unsupported): files given by name are kept whatever their type so the
    indexer can report them; files found inside folders are split by type. Hidden files and
    README files (which describe a folder rather than the ecosystem) are left out of folders.
    """
    files: list[Path] = []
    unsupported: list[Path] = []
    for path in paths:
        if not path.is_dir():
            files.append(path)
            continue
        for child in sorted(path.rglob("*")):
            relative = child.relative_to(path)
            if not child.is_file() or any(p.startswith(".") for p in relative.parts):
                continue
            if child.name.lower() == "readme.md":
                continue
            (files if child.suffix.lower() in LOADERS else unsupported).append(child)
    return files, unsupported


def load_file(path: Path, max_bytes: int) -> tuple[list[Document], str]:
    """Read one file into documents; returns (documents, content hash)."""
    loader = LOADERS.get(path.suffix.lower())
    if loader is None:
        raise UnsupportedFileType(
            f"unsupported type {path.suffix or '(no extension)'!r}: "
            f"plaibot reads {', '.join(sorted(LOADERS))}"
        )
    if not path.exists():
        raise LoadError("no such file")
    size = path.stat().st_size
    if size > max_bytes:
        raise LoadError(f"too large ({size / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.1f} MB)")
    data = path.read_bytes()
    if not data.strip():
        raise LoadError("empty file")
    digest = file_hash(data)
    documents = loader(data, path)
    if not any(d.page_content.strip() for d in documents):
        raise LoadError("no text found in the file")
    for doc in documents:
        doc.metadata.setdefault("title", path.stem.replace("-", " ").replace("_", " "))
        doc.metadata.setdefault("url", "")
        doc.metadata.setdefault("published", "")
        doc.metadata.setdefault("topics", "")
        doc.metadata.setdefault("sources", "{}")
        if doc.metadata.get("language") not in LANGUAGES:
            doc.metadata["language"] = detect_language(doc.page_content[:4000])
    return documents, digest


def _decode(data: bytes) -> str:
    try:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return data.decode("utf-16")
        if b"\x00" in data[:8192]:
            raise LoadError("binary file, not text")
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise LoadError("not valid UTF-8 text (save the file as UTF-8)") from None


def _load_text(data: bytes, path: Path) -> list[Document]:
    return [Document(page_content=_decode(data), metadata={})]


def _load_markdown(data: bytes, path: Path) -> list[Document]:
    text = _decode(data)
    try:
        post = frontmatter.loads(text)
    except (yaml.YAMLError, ValueError) as error:
        raise LoadError(f"front matter is not valid YAML ({error.__class__.__name__})") from None
    meta = post.metadata
    sources = meta.get("sources") or {}
    if not isinstance(sources, dict):
        raise LoadError("front matter 'sources' must map keys to {title, url, date}")
    sources = {str(k): _source_entry(v) for k, v in sources.items()}
    first = next(iter(sources.values()), {})
    title = meta.get("title") or _first_heading(post.content) or path.stem
    metadata = {
        "title": str(title),
        "url": first.get("url", ""),
        "published": str(meta.get("published") or first.get("date", "")),
        "topics": ", ".join(map(str, meta.get("topics") or [])),
        "sources": json.dumps(sources, ensure_ascii=False),
    }
    if meta.get("language") in LANGUAGES:
        metadata["language"] = meta["language"]
    return [Document(page_content=post.content, metadata=metadata)]


def _source_entry(value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        raise LoadError("each front matter source needs title, url and date")
    return {k: str(value.get(k) or "") for k in ("title", "url", "date")}


def _first_heading(markdown: str) -> str | None:
    for line in markdown.splitlines():
        if line.startswith("# "):
            return strip_markers(line[2:]).strip()
    return None


def _load_html(data: bytes, path: Path) -> list[Document]:
    soup = BeautifulSoup(_decode(data), "html.parser")
    for tag in soup(["script", "style", "noscript", "template", "iframe", "svg", "nav", "footer"]):
        tag.decompose()
    # Headings become Markdown headings so the splitter keeps them as the chunk's context.
    for level in (1, 2, 3):
        for heading in soup.find_all(f"h{level}"):
            heading.replace_with(f"\n\n{'#' * level} {heading.get_text(' ', strip=True)}\n\n")
    title = soup.title.get_text(strip=True) if soup.title else None
    if soup.title:
        soup.title.decompose()
    text = soup.get_text("\n")
    lines = [" ".join(line.split()) for line in text.splitlines()]
    body = "\n".join(lines)
    metadata = {"title": title} if title else {}
    return [Document(page_content=body, metadata=metadata)]


def _load_pdf(data: bytes, path: Path) -> list[Document]:
    from io import BytesIO

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise LoadError("encrypted PDF (a password is needed)")
        title = (reader.metadata.title if reader.metadata else None) or None
        pages = [page.extract_text() or "" for page in reader.pages]
    except LoadError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as error:
        raise LoadError(f"corrupt or unreadable PDF ({error.__class__.__name__})") from None
    base = {"title": title} if title else {}
    return [
        Document(page_content=text, metadata={**base, "page": number})
        for number, text in enumerate(pages, start=1)
        if text.strip()
    ]


LOADERS: dict[str, Callable[[bytes, Path], list[Document]]] = {
    ".md": _load_markdown,
    ".markdown": _load_markdown,
    ".txt": _load_text,
    ".html": _load_html,
    ".htm": _load_html,
    ".pdf": _load_pdf,
}

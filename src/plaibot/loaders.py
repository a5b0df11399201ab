"""Load step: turn files (Markdown, plain text, HTML, PDF) into LangChain `Document`s.

A file that cannot be read raises `LoadError` with a reason a person can act on; the
indexer reports it by name and carries on with the other files.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import re
import stat
from collections.abc import Callable, Iterable
from pathlib import Path

import frontmatter
import yaml
from bs4 import BeautifulSoup
from bs4.dammit import EncodingDetector
from langchain_core.documents import Document

from plaibot.errors import LoadError, UnsupportedFileType
from plaibot.text import LANGUAGES, detect_language, strip_markers


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
            # Anything but a folder is looked at: a FIFO, device or broken link with a
            # supported name is reported by `load_file` instead of silently left out.
            if child.is_dir() or any(p.startswith(".") for p in relative.parts):
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
    data = _read(path, max_bytes)
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
        doc.metadata.setdefault("about", "")
        doc.metadata.setdefault("entities", "[]")
        if doc.metadata.get("language") not in LANGUAGES:
            doc.metadata["language"] = detect_language(doc.page_content[:4000])
    return documents, digest


def _read(path: Path, max_bytes: int) -> bytes:
    """The file's bytes, refusing what is not a regular file or is over `max_bytes`.

    The type is checked before opening (opening a FIFO blocks; /dev/zero never ends) and
    at most `max_bytes + 1` bytes are read, so a file growing meanwhile is caught too.
    """
    try:
        info = path.stat()
    except FileNotFoundError:
        raise LoadError("no such file (or a broken link)") from None
    if not stat.S_ISREG(info.st_mode):
        raise LoadError("not a regular file (a device, pipe or socket)")
    limit = f"the limit is {max_bytes / 1e6:.1f} MB"
    if info.st_size > max_bytes:
        raise LoadError(f"too large ({info.st_size / 1e6:.1f} MB; {limit})")
    with path.open("rb") as handle:
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise LoadError(f"too large (grew past {max_bytes / 1e6:.1f} MB while read; {limit})")
    return data


# Byte order marks, longest first: UTF-32's little-endian mark starts with UTF-16's.
_BOMS = ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
         (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"), (b"\xef\xbb\xbf", "utf-8-sig"))


def _decode(data: bytes, encoding: str | None = None) -> str:
    """Text from bytes: by byte order mark, else `encoding` (declared by the file), else
    UTF-8. Text that still holds NUL characters is binary, whatever its name says."""
    encoding = next((name for bom, name in _BOMS if data.startswith(bom)), encoding or "utf-8")
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        if encoding == "utf-8" and b"\x00" in data:
            raise LoadError("binary file, not text") from None
        raise LoadError(f"not valid {encoding.upper()} text (save the file as UTF-8)") from None
    if "\x00" in text:
        raise LoadError("binary file, not text")
    return text


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
    title = _scalar(meta, "title") or _first_heading(post.content) or path.stem
    topics = meta.get("topics") or []
    if not isinstance(topics, list):
        topics = [topics]
    entities = _entities(meta.get("entities"))
    metadata = {
        "title": title,
        "about": entities[0][0] if entities else "",
        "entities": json.dumps(entities, ensure_ascii=False),
        "url": first.get("url", ""),
        "published": _scalar(meta, "published") or first.get("date", ""),
        "topics": ", ".join(_scalar({"topics": t}, "topics") for t in topics),
        "sources": json.dumps(sources, ensure_ascii=False),
    }
    if meta.get("language") in LANGUAGES:
        metadata["language"] = meta["language"]
    return [Document(page_content=post.content, metadata=metadata)]


def _scalar(mapping: dict, key: str) -> str:
    """A front matter value as text; only plain values (text, numbers, dates) are accepted.

    Lists and mappings are refused rather than turned into text: YAML aliases let a few
    lines describe a structure whose text runs to gigabytes ("billion laughs").
    """
    value = mapping.get(key)
    if isinstance(value, (list, dict, set, tuple)):
        raise LoadError(f"front matter '{key}' must be plain text, not a list or mapping")
    return "" if value is None else str(value)


_MAX_ENTITIES, _MAX_ALIASES, _MAX_NAME = 50, 40, 120


def _entities(value: object) -> list[list[str]]:
    """Front matter `entities`: what the document is about, first the main one, each as
    `{name: ..., aliases: [...]}`; returned as [[name, alias, ...], ...].

    Bounded (names, aliases, lengths) and plain text only, like every front matter value.
    """
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > _MAX_ENTITIES:
        raise LoadError(f"front matter 'entities' must be a list of at most {_MAX_ENTITIES} "
                        "{name, aliases} entries")
    entities = []
    for entry in value:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise LoadError("each front matter entity needs a name (text) and aliases (a list)")
        aliases = entry.get("aliases") or []
        if (not isinstance(aliases, list) or len(aliases) > _MAX_ALIASES
                or not all(isinstance(a, (str, int)) for a in aliases)):
            raise LoadError(f"entity {entry['name']!r}: aliases must be a list of at most "
                            f"{_MAX_ALIASES} names")
        names = [entry["name"], *map(str, aliases)]
        if any(len(n) > _MAX_NAME or not n.strip() for n in names):
            raise LoadError(f"entity {entry['name']!r}: names must be 1-{_MAX_NAME} characters")
        entities.append([n.strip() for n in names])
    return entities


def _source_entry(value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        raise LoadError("each front matter source needs title, url and date")
    return {k: _scalar(value, k) for k in ("title", "url", "date")}


def _first_heading(markdown: str) -> str | None:
    for line in markdown.splitlines():
        if line.startswith("# "):
            return strip_markers(line[2:]).strip()
    return None


# Elements whose text a reader never sees: code, styling, embedded documents, navigation.
_INVISIBLE = ["script", "style", "noscript", "template", "iframe", "svg", "nav", "footer",
              "object", "embed", "title"]
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)


def _load_html(data: bytes, path: Path) -> list[Document]:
    declared = EncodingDetector.find_declared_encoding(data, is_html=True)
    soup = BeautifulSoup(_decode(data, _known_encoding(declared)), "html.parser")
    title = soup.title.get_text(strip=True) if soup.title else None
    for tag in soup(_INVISIBLE):
        tag.decompose()
    # Hidden text is not what the page says (and a common place to hide instructions).
    for tag in soup.find_all(lambda t: t.has_attr("hidden") or t.get("aria-hidden") == "true"
                             or _HIDDEN_STYLE.search(str(t.get("style", "")))):
        tag.decompose()
    # Headings become Markdown headings so the splitter keeps them as the chunk's context.
    for level in (1, 2, 3):
        for heading in soup.find_all(f"h{level}"):
            heading.replace_with(f"\n\n{'#' * level} {heading.get_text(' ', strip=True)}\n\n")
    text = soup.get_text("\n")
    lines = [" ".join(line.split()) for line in text.splitlines()]
    body = "\n".join(lines)
    metadata = {"title": title} if title else {}
    return [Document(page_content=body, metadata=metadata)]


def _known_encoding(name: str | None) -> str | None:
    """A declared character set Python can decode, else None (UTF-8 is then assumed)."""
    try:
        return codecs.lookup(name).name if name else None
    except LookupError:
        return None


def _load_pdf(data: bytes, path: Path) -> list[Document]:
    from io import BytesIO

    from pypdf import PdfReader
    from pypdf.errors import LimitReachedError

    try:
        reader = PdfReader(BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise LoadError("encrypted PDF (a password is needed)")
        title = (reader.metadata.title if reader.metadata else None) or None
        pages = [page.extract_text() or "" for page in reader.pages]
    except LoadError:
        raise
    except LimitReachedError:
        raise LoadError("PDF content expands past pypdf's safety limit (a decompression "
                        "bomb?)") from None
    except Exception as error:  # noqa: BLE001 - a parser of hostile bytes fails in many ways
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

"""Split step: cut documents into chunks that keep their heading path and metadata."""

from __future__ import annotations

import re
from collections.abc import Iterable

from langchain_core.documents import Document
from langchain_text_splitters import MarkdownHeaderTextSplitter, RecursiveCharacterTextSplitter

from plaibot.text import markers, split_sentences

_HEADERS = [("#", "h1"), ("##", "h2"), ("###", "h3")]
_MARKER_GROUP = re.compile(r"((?:\s*\[\^[\w-]+\])+)")
# Whitespace other than space, tab and newline (no-break, thin, ideographic spaces, ...).
# LangChain's header splitter deletes every character that is not printable, which would
# glue "16\u00a0Desember" into one word; as plain spaces they keep words apart.
_ODD_SPACE = re.compile(r"[^\S \t\n\r]")
_MARKUP = re.compile(r"^\s*(?:[-*+]\s+|\d+[.)]\s+|>\s*)|\*\*|__|`")


def split_documents(
    documents: Iterable[Document], chunk_size: int, chunk_overlap: int
) -> list[Document]:
    """Chunks whose text starts with their heading path ("Title > Section"), a blank line,
    then the body; `metadata["heading"]` holds the path, `metadata["chunk"]` the position and
    `metadata["summary"]` whether the chunk is the opening summary of a document that names
    what it is `about`.

    The heading travels inside the text so keyword and dense search both see what the
    section is about even when its body never names the subject.
    """
    by_heading = MarkdownHeaderTextSplitter(_HEADERS, strip_headers=True)
    by_size = RecursiveCharacterTextSplitter(
        chunk_size=chunk_size,
        chunk_overlap=min(chunk_overlap, chunk_size // 2),
        separators=["\n\n", "  \n", "\n", ". ", " ", ""],
        # A cut at ". " leaves the full stop with its sentence; the default ("start") would
        # open the next chunk with ". " and end the sentence without one.
        keep_separator="end",
    )
    chunks: list[Document] = []
    for document in documents:
        position = 0
        for section in by_heading.split_text(_ODD_SPACE.sub(" ", document.page_content)):
            heading = _heading_path(document.metadata.get("title", ""), section.metadata)
            # The text before the first section heading is the document's summary of
            # what it is about (see docs/knowledge-format.md).
            summary = bool(document.metadata.get("about")) and not (
                section.metadata.get("h2") or section.metadata.get("h3"))
            for piece in by_size.split_text(section.page_content):
                text = f"{heading}\n\n{piece}" if heading else piece
                metadata = {**document.metadata, "heading": heading, "chunk": position,
                            "summary": summary}
                chunks.append(Document(page_content=text, metadata=metadata))
                position += 1
    return chunks


def _heading_path(title: str, headers: dict[str, str]) -> str:
    parts = [headers[key] for key in ("h1", "h2", "h3") if headers.get(key)]
    if title and not parts:
        parts = [title]
    return " > ".join(parts)


def chunk_body(chunk: Document) -> str:
    """The chunk's text without its heading line."""
    heading = chunk.metadata.get("heading", "")
    text = chunk.page_content
    if heading and text.startswith(heading):
        return text[len(heading) :].lstrip("\n")
    return text


def chunk_sentences(document: Document) -> list[tuple[str, tuple[str, ...]]]:
    """Sentences of a chunk, each with the source keys of the marker group that follows it.

    Knowledge paragraphs end with `[^key]` markers, so the next marker group after a
    sentence names the sources of its paragraph.
    """
    parts = _MARKER_GROUP.split(chunk_body(document))
    out = []
    for index in range(0, len(parts), 2):
        keys = tuple(markers(parts[index + 1])) if index + 1 < len(parts) else ()
        for line in _lines(parts[index]):
            out += [(s, keys) for s in split_sentences(line) if len(s) > 2]
    return out


def _lines(text: str) -> list[str]:
    """Lines without Markdown markup; a line ending in ':' keeps the list that follows it."""
    lines: list[str] = []
    for raw in text.splitlines():
        line = _MARKUP.sub("", raw).strip()
        if not line or line.startswith("#"):
            continue
        if lines and lines[-1].endswith((":", ";")):
            lines[-1] = f"{lines[-1]} {line}"
        else:
            lines.append(line)
    return lines

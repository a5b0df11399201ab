import json
from pathlib import Path

import pytest

from plaibot.loaders import LoadError, UnsupportedFileType, discover, load_file

MB = 1_000_000


def write(path: Path, data: bytes | str) -> Path:
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    return path


def test_markdown_front_matter_becomes_metadata(tmp_path):
    doc = write(tmp_path / "a.md", """---
title: "Judul"
language: id
published: "2025-08-28"
topics: [program, event]
sources:
  ok: {title: "Sumber", url: "https://example.org/a", date: "2025-08-28"}
---
# Judul

Isi paragraf. [^ok]
""")
    [document], digest = load_file(doc, MB)
    assert document.metadata["title"] == "Judul"
    assert document.metadata["language"] == "id"
    assert document.metadata["url"] == "https://example.org/a"
    assert document.metadata["topics"] == "program, event"
    assert json.loads(document.metadata["sources"])["ok"]["date"] == "2025-08-28"
    assert len(digest) == 32


def test_html_drops_scripts_and_keeps_headings(tmp_path):
    page = write(tmp_path / "p.html", "<html><head><title>T</title><script>alert(1)</script>"
                 "</head><body><h2>Bagian</h2><p>Teks yang berguna.</p></body></html>")
    [document], _ = load_file(page, MB)
    assert "alert" not in document.page_content
    assert "## Bagian" in document.page_content
    assert document.metadata["title"] == "T"


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("empty.md", b"  \n", "empty"),
        ("binary.txt", b"abc\x00\x01\x02def", "binary"),
        ("latin1.txt", "café à la crème".encode("latin-1"), "UTF-8"),
        ("broken.pdf", b"%PDF-1.4 this is not really a pdf", "PDF"),
        ("bad.md", b"---\ntitle: [unclosed\n---\nbody", "YAML"),
    ],
)
def test_bad_files_raise_clear_errors(tmp_path, name, data, reason):
    with pytest.raises(LoadError, match=reason):
        load_file(write(tmp_path / name, data), MB)


def test_unsupported_and_oversized_files(tmp_path):
    with pytest.raises(UnsupportedFileType, match="unsupported type '.docx'"):
        load_file(write(tmp_path / "x.docx", b"data"), MB)
    with pytest.raises(LoadError, match="too large"):
        load_file(write(tmp_path / "big.txt", b"a" * 2000), 1000)


def test_discover_splits_supported_from_unsupported(tmp_path):
    write(tmp_path / "a.md", "# A")
    write(tmp_path / "b.png", b"\x89PNG")
    write(tmp_path / "README.md", "about the folder")
    (tmp_path / ".hidden").mkdir()
    write(tmp_path / ".hidden" / "c.md", "# C")
    files, unsupported = discover([tmp_path])
    assert [f.name for f in files] == ["a.md"]
    assert [f.name for f in unsupported] == ["b.png"]


def minimal_pdf(text: str) -> bytes:
    """A one-page PDF with `text` in Helvetica, built by hand (no PDF writer needed)."""
    stream = b"BT /F1 18 Tf 10 50 Td (" + text.encode() + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 400 144] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return out


def test_pdf_text_is_read_per_page(tmp_path):
    [page], _ = load_file(write(tmp_path / "doc.pdf", minimal_pdf("Hetero Space Semarang")), MB)
    assert "Hetero Space Semarang" in page.page_content
    assert page.metadata["page"] == 1

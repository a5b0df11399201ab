import uuid

from plaibot.embeddings import default_embeddings
from plaibot.indexing import index_paths
from plaibot.store import ChunkStore


def make_store() -> ChunkStore:
    return ChunkStore.in_memory(f"test-{uuid.uuid4().hex[:8]}", default_embeddings())


def run(store, *paths):
    return index_paths(store, list(paths), chunk_size=400, chunk_overlap=50, max_bytes=10**6)


def chunks_of(store, name):
    return [c.page_content for c in store.all_chunks() if c.metadata["source"].endswith(name)]


def test_incremental_add_skip_update_remove(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.md").write_text("# A\n\nHetero Space Semarang dibuka pada 2020.\n")
    (folder / "b.txt").write_text("Impala Space dibuka pada 17 Agustus 2016.\n")
    store = make_store()

    first = run(store, folder)
    assert (len(first.added), first.ok) == (2, True)

    second = run(store, folder)
    assert second.unchanged == ["docs/a.md", "docs/b.txt"] and not second.changed

    (folder / "a.md").write_text("# A\n\nHetero Space Semarang dibuka pada 31 Januari 2020.\n")
    third = run(store, folder)
    assert third.updated == ["docs/a.md"]
    assert any("31 Januari" in c for c in chunks_of(store, "a.md"))
    assert not any("pada 2020." in c for c in chunks_of(store, "a.md"))

    (folder / "b.txt").unlink()
    fourth = run(store, folder)
    assert fourth.removed == ["docs/b.txt"] and chunks_of(store, "b.txt") == []


def test_failed_file_is_reported_and_keeps_its_previous_chunks(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    doc = tmp_path / "a.txt"
    doc.write_text("Hetero Space Solo ada di Jebres.\n")
    store = make_store()
    run(store, doc)
    doc.write_bytes(b"\xff\xfe\x00garbage\x00" + bytes(range(256)))
    (tmp_path / "notes.xyz").write_text("not a document type")
    report = run(store, doc, tmp_path / "missing.md", tmp_path / "notes.xyz")
    reasons = dict(report.failed)
    assert "UTF" in reasons["a.txt"] or "binary" in reasons["a.txt"]
    assert "no such file" in reasons[str(tmp_path / "missing.md")]
    assert "unsupported type '.xyz'" in reasons["notes.xyz"]
    assert not report.ok
    assert any("Jebres" in c for c in chunks_of(store, "a.txt"))


def test_chunks_keep_heading_path_and_metadata(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    doc = tmp_path / "k.md"
    doc.write_text('---\ntitle: "T"\nlanguage: en\nsources:\n  s: {title: S, url: "https://x.org", '
                   'date: "2025"}\n---\n# Hetero Space\n\n## Awards\n\nIt won OPSI. [^s]\n')
    store = make_store()
    run(store, doc)
    [chunk] = store.all_chunks()
    assert chunk.metadata["heading"] == "Hetero Space > Awards"
    assert chunk.page_content.startswith("Hetero Space > Awards")
    assert chunk.metadata["language"] == "en" and chunk.metadata["url"] == "https://x.org"

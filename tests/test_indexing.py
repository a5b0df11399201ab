import uuid

import numpy as np
import pytest
from langchain_core.documents import Document

from plaibot.embeddings import (
    MINILM_MODEL,
    Embedder,
    default_embeddings,
    embeddings_for,
    native_bfloat16,
    resolve_precision,
)
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


def test_the_index_is_the_same_wherever_plaibot_is_started_from(tmp_path, monkeypatch):
    from plaibot import Assistant, Settings

    knowledge = tmp_path / "project" / "knowledge"
    knowledge.mkdir(parents=True)
    (knowledge / "a.md").write_text("# A\n\nHetero Space Solo ada di Jl. Urip Sumoharjo.\n")
    (knowledge / "b.md").write_text("# B\n\nImpala Space dibuka pada 17 Agustus 2016.\n")
    settings = Settings(knowledge_dir=knowledge, index_dir=tmp_path / "index")
    monkeypatch.chdir(tmp_path / "project")
    assert Assistant(settings).index().added == ["knowledge/a.md", "knowledge/b.md"]

    monkeypatch.chdir(tmp_path)  # started from elsewhere: nothing indexed twice
    again = Assistant(settings).index()
    assert again.unchanged == ["knowledge/a.md", "knowledge/b.md"] and not again.changed
    (knowledge / "b.md").unlink()
    assert Assistant(settings).index().removed == ["knowledge/b.md"]


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


def test_auto_precision_follows_the_cpu(tmp_path):
    amx, plain = tmp_path / "amx", tmp_path / "plain"
    amx.write_text("flags\t\t: fpu sse2 avx2 avx512f amx_bf16 amx_tile\n")
    plain.write_text("flags\t\t: fpu sse2 avx2\n")
    assert native_bfloat16(amx)
    assert not native_bfloat16(plain)
    assert not native_bfloat16(tmp_path / "missing")
    assert resolve_precision("float32") == "float32"
    with pytest.raises(ValueError, match="auto, float32 or bfloat16"):
        resolve_precision("int4")


# Loaded when a test asks (loading MiniLM means loading PyTorch).
EMBEDDERS = {"e5": default_embeddings, "minilm": lambda: embeddings_for(MINILM_MODEL),
             "minilm-float32": lambda: embeddings_for(MINILM_MODEL, "float32"),
             "minilm-bfloat16": lambda: embeddings_for(MINILM_MODEL, "bfloat16")}


@pytest.mark.parametrize(("before", "after"), [
    # An index built by MiniLM (plaibot's embedder until 2026-12) is re-embedded with e5.
    ("minilm-float32", "e5"), ("minilm-float32", "minilm-bfloat16")])
def test_store_opened_with_another_embedder_re_embeds_everything(tmp_path, monkeypatch,
                                                                  before, after):
    before, after = EMBEDDERS[before](), EMBEDDERS[after]()
    def vectors(store):
        (chunk,), matrix = store.snapshot()
        return matrix[0], store.sentence_vectors([chunk.id])[chunk.id]

    def add(store):
        doc = Document(page_content="Impala > Sejarah\n\nImpala Space dibuka 2016. Ada di Bandung.",
                       metadata={"title": "Impala", "heading": "Impala > Sejarah"})
        store.add_files([("impala.md", "0" * 64, [doc])])

    old = ChunkStore.persistent(tmp_path, "swap", before)
    add(old)
    old_chunk, old_sentences = vectors(old)
    assert old_sentences.shape == (2, 384)

    reopened = ChunkStore.persistent(tmp_path, "swap", after)
    fresh = ChunkStore.in_memory(f"test-{uuid.uuid4().hex[:8]}", after)
    add(fresh)
    for got, want, earlier in zip(vectors(reopened), vectors(fresh), (old_chunk, old_sentences)):
        assert np.allclose(got, want, atol=1e-6)
        assert not np.allclose(got, earlier, atol=1e-5)
    # The new embedder is recorded: opened with it again, the store embeds nothing.
    monkeypatch.setattr(after, "embed_passages", lambda texts: pytest.fail("re-embedded"))
    assert ChunkStore.persistent(tmp_path, "swap", after).count() == 1


@pytest.mark.parametrize("name", ["e5", "minilm"])
def test_chunk_and_sentence_vectors_are_their_texts_embeddings(name):
    embeddings = EMBEDDERS[name]()
    assert isinstance(embeddings, Embedder)
    store = ChunkStore.in_memory(f"test-{uuid.uuid4().hex[:8]}", embeddings)
    text = "Impala > Sejarah\n\nImpala Space dibuka 2016. Ada di Bandung. [^a]"
    doc = Document(page_content=text, metadata={"title": "Impala", "heading": "Impala > Sejarah"})
    (chunk_id,) = store.add_files([("impala.md", "0" * 64, [doc])])
    sentences = embeddings.embed_passages(["Impala Space dibuka 2016.", "Ada di Bandung."])
    assert np.allclose(store.snapshot()[1][0], embeddings.embed_passages([text])[0], atol=1e-2)
    assert np.allclose(store.sentence_vectors([chunk_id])[chunk_id], sentences, atol=1e-2)
    assert np.allclose(np.linalg.norm(sentences, axis=1), 1.0, atol=1e-5)
    # Source markers are not part of what is embedded.
    assert np.allclose(embeddings.embed_passages([text])[0],
                       embeddings.embed_passages([text.replace("[^a]", "")])[0], atol=1e-6)


def test_e5_embeds_questions_and_passages_differently():
    # e5 was trained with "query: " and "passage: " prefixes: the same text differs by role,
    # and a question is nearer its answer than an unrelated passage, across languages.
    e5 = default_embeddings()
    question = np.asarray(e5.embed_query("Kapan Impala Space dibuka?"))
    as_passage = e5.embed_passages(["Kapan Impala Space dibuka?"])[0]
    assert not np.allclose(question, as_passage, atol=1e-3)
    answer, unrelated = e5.embed_passages(["Impala Space opened in 2016 in Bandung.",
                                           "The recipe needs two eggs and some flour."])
    assert question @ answer > question @ unrelated + 0.05


def test_files_are_embedded_together_and_reported_each(tmp_path, monkeypatch):
    # One model call for many files sorts all their texts by length (twice as fast as
    # file by file); each file is still reported, and a bad one among them fails alone.
    monkeypatch.chdir(tmp_path)
    for n in range(5):
        (tmp_path / f"doc{n}.md").write_text(f"# Doc {n}\n\nHetero Space punya {n + 2} cabang.\n")
    (tmp_path / "bad.md").write_bytes(b"\x00\x01binary\x00" * 50)
    store = make_store()
    calls = []
    original = store.embeddings.embed_passages
    monkeypatch.setattr(store.embeddings, "embed_passages",
                        lambda texts: calls.append(len(texts)) or original(texts))
    done = []
    report = index_paths(store, [tmp_path], chunk_size=400, chunk_overlap=50,
                         max_bytes=10**6, on_file=lambda p: done.append(p.name))
    assert len(calls) == 1 and calls[0] >= 10  # 5 chunks and their sentences
    assert sorted(report.added) == [f"doc{n}.md" for n in range(5)]
    assert [name for name, _ in report.failed] == ["bad.md"]
    assert sorted(done) == sorted(["bad.md", *(f"doc{n}.md" for n in range(5))])
    assert any("6 cabang" in c for c in chunks_of(store, "doc4.md"))

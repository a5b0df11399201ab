"""The in-memory BM25 index."""

from langchain_core.documents import Document

import plaibot.keyword as keyword
from plaibot.keyword import KeywordIndex, query_tokens


def doc(chunk_id: str, text: str, language: str = "id") -> Document:
    return Document(id=chunk_id, page_content=text, metadata={"language": language})


def test_rebuilt_index_tokenizes_only_new_chunks_and_ranks_as_a_fresh_one(monkeypatch):
    kept = doc("a", "Hetero Space Semarang dibuka pada 31 Januari 2020.")
    first = KeywordIndex([kept, doc("b", "Impala Space dibuka pada 17 Agustus 2016.")])
    tokenized = []
    original = keyword._chunk_tokens
    monkeypatch.setattr(keyword, "_chunk_tokens",
                        lambda chunk: tokenized.append(chunk.id) or original(chunk))
    new = doc("c", "PL(AI)GROUND was launched in Jakarta in 2025.", "en")
    rebuilt = KeywordIndex([kept, new], known=first.tokens)
    assert tokenized == ["c"]
    fresh = KeywordIndex([kept, new])
    for question in ("Kapan Hetero Space Semarang dibuka?", "Where was PL(AI)GROUND launched?"):
        tokens = query_tokens(question)
        assert rebuilt.search(tokens, 2) == fresh.search(tokens, 2) != []
    assert "b" not in rebuilt.tokens  # a removed chunk's tokens are dropped


def test_a_chunk_missing_from_a_complete_keyword_list_gets_no_keyword_score():
    from plaibot.retrieval import fuse

    chunks = {i: Document(id=i, page_content=i) for i in ("named", "other")}
    keyword_hits = [("named", 3.0)]  # the only chunk holding a word of the question
    dense_hits = [("other", 0.5), ("named", 0.35)]
    # Cut off at the candidate limit, a missing chunk may have scored as the last one did.
    assert [h.document.id for h in fuse(chunks, keyword_hits, dense_hits, 0.2)] == [
        "other", "named"]
    fused = fuse(chunks, keyword_hits, dense_hits, 0.2, keyword_complete=True)
    assert [h.document.id for h in fused] == ["named", "other"]
    assert fused[1].keyword == 0.0

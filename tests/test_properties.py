"""Property tests: the tokenizers, the splitter and the loaders on generated input.

Each property holds for every input Hypothesis can think of; failures it finds are kept
in .hypothesis/ and replayed first next time.
"""

import string
import unicodedata

import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from langchain_core.documents import Document

from plaibot.loaders import LOADERS, LoadError, load_file
from plaibot.splitting import chunk_body, chunk_sentences, split_documents
from plaibot.text import (
    LANGUAGES,
    STOPWORDS_EN_ALL,
    STOPWORDS_ID,
    clean_text,
    content_tokens,
    detect_language,
    fits_kind,
    markers,
    question_kind,
    split_sentences,
    strip_markers,
    tokenize,
    words,
)
from tests.test_loaders import minimal_pdf

MB = 1_000_000
# Text that looks like the documents: Indonesian/English words, numbers, markers, markup.
VOCABULARY = ["Hetero", "Space", "dibuka", "pada", "2022", "yang", "the", "is", "of", "Jl.",
              "No.", "PL(AI)GROUND", "PAN-RB", "opening-nya", "60.000", "80,43", "[^src]",
              "**bold**", "e.g.", "Dr.", "?", "!", ".", ",", "—", "ü", "İstanbul", "日本", "🙂"]
printable = st.text(st.characters(exclude_categories=("Cc", "Cs")), min_size=1, max_size=12)
prose = st.lists(st.one_of(st.sampled_from(VOCABULARY), printable), max_size=60).map(" ".join)
any_text = st.one_of(st.text(max_size=300), prose)
language = st.sampled_from(LANGUAGES)
quick = settings(deadline=None, max_examples=150,
                 suppress_health_check=[HealthCheck.function_scoped_fixture])


@quick
@given(any_text)
def test_words_are_lower_case_tokens_without_space(text):
    for token in words(text):
        assert token and not any(c.isspace() for c in token)
        assert token == token.lower()


@quick
@given(any_text, language, st.booleans())
def test_tokenize_drops_stopwords_and_never_fails(text, lang, question):
    tokens = tokenize(text, lang, question=question)
    dropped = STOPWORDS_ID | STOPWORDS_EN_ALL if question else {"id": STOPWORDS_ID,
                                                                 "en": STOPWORDS_EN_ALL}[lang]
    surface = set(words(text))
    for token in tokens:
        assert token  # a stem is never empty
        assert token not in dropped or token not in surface


@quick
@given(st.text(alphabet=string.ascii_letters + string.digits + " .,-()?", max_size=200), language)
def test_tokenize_ignores_case(text, lang):
    assert tokenize(text.upper(), lang) == tokenize(text.lower(), lang)


@quick
@given(any_text, language)
def test_content_tokens_are_question_tokens(text, lang):
    assert set(content_tokens(text, lang)) <= set(tokenize(text, lang, question=True))


@quick
@given(any_text, language)
def test_language_detection_always_answers_id_or_en(text, default):
    assert detect_language(text, default=default) in LANGUAGES
    assert question_kind(text) in ("time", "when", "how_many", "who", "where", "other")
    assert fits_kind(text, question_kind(text)) in (0.0, 0.5, 1.0)


@quick
@given(any_text)
def test_sentence_splitting_keeps_every_character(text):
    sentences = split_sentences(text)
    assert all(s and s == s.strip() for s in sentences)
    assert "".join("".join(sentences).split()) == "".join(text.split())


@quick
@given(any_text)
def test_markers_are_found_once_and_stripping_is_idempotent(text):
    keys = markers(text)
    assert len(keys) == len(set(keys))
    assert all(f"[^{key}]" in text for key in keys)
    assert strip_markers(strip_markers(text)) == strip_markers(text)
    assert markers(strip_markers(text)) == []


@quick
@given(st.text(max_size=300))
def test_clean_text_is_encodable_and_idempotent(text):
    cleaned = clean_text(text)
    cleaned.encode("utf-8")  # no lone surrogate left
    assert clean_text(cleaned) == cleaned
    assert all(unicodedata.category(c) != "Cc" or c in "\n\t" for c in cleaned)
    if text.isprintable():
        assert cleaned == text


# ---- splitter -------------------------------------------------------------------------

markdown_line = st.one_of(
    prose, st.sampled_from(["", "# Judul", "## Bagian", "### Sub", "- item", "1. first",
                            "> quote", "```", "---", "| a | b |"]),
    st.builds(lambda level, text: f"{'#' * level} {text}", st.integers(1, 3), prose))
markdown = st.lists(markdown_line, max_size=40).map("\n".join)


@settings(deadline=None, max_examples=120)
@given(st.lists(markdown, min_size=1, max_size=3), st.integers(100, 400), st.integers(0, 150))
def test_splitter_keeps_bounds_order_metadata_and_words(texts, size, overlap):
    documents = [Document(page_content=text, metadata={"title": f"Doc {n}", "n": n})
                 for n, text in enumerate(texts)]
    chunks = split_documents(documents, size, overlap)
    for n, text in enumerate(texts):
        mine = [c for c in chunks if c.metadata["n"] == n]
        assert [c.metadata["chunk"] for c in mine] == list(range(len(mine)))
        assert all(c.metadata["title"] == f"Doc {n}" for c in mine)
        bodies = " ".join(chunk_body(c) for c in mine)
        heads = " ".join(c.metadata["heading"] for c in mine)
        # Every word of the body text survives. (Heading lines become heading paths, and a
        # heading with nothing under it is dropped: it says nothing to answer from.)
        body_lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
        for word in " ".join(body_lines).split():
            # (LangChain's header splitter drops unprintable characters inside words.)
            word = "".join(filter(str.isprintable, word))
            assert word in bodies or word in heads
    for chunk in chunks:
        assert len(chunk_body(chunk)) <= size
        heading = chunk.metadata["heading"]
        assert not heading or chunk.page_content.startswith(heading)
        for sentence, keys in chunk_sentences(chunk):
            assert sentence.strip() and isinstance(keys, tuple)


# ---- loaders --------------------------------------------------------------------------

def load_or_refuse(tmp_path, name: str, data: bytes):
    """Documents, or None when the loader refused with a LoadError (the only allowed way)."""
    path = tmp_path / name
    path.write_bytes(data)
    try:
        return load_file(path, MB)[0]
    except LoadError as error:
        assert str(error)  # every refusal says why
        return None


@quick
@given(st.text(max_size=400))
def test_utf8_text_files_load_exactly_or_are_refused(tmp_path_factory, text):
    documents = load_or_refuse(tmp_path_factory.mktemp("t"), "a.txt", text.encode("utf-8", "replace"))
    if documents is not None:
        assert documents[0].page_content == text.encode("utf-8", "replace").decode().removeprefix("\ufeff")
        assert documents[0].metadata["language"] in LANGUAGES


@quick
@given(st.binary(max_size=600), st.sampled_from(sorted(LOADERS)))
def test_any_bytes_load_or_get_a_load_error(tmp_path_factory, data, suffix):
    load_or_refuse(tmp_path_factory.mktemp("b"), f"x{suffix}", data)


PDF = minimal_pdf("Hetero Space Semarang")


@quick
@given(st.lists(st.tuples(st.integers(0, len(PDF) - 1), st.binary(max_size=8)), max_size=6),
       st.integers(20, len(PDF)))
def test_damaged_pdfs_load_or_get_a_load_error(tmp_path_factory, edits, keep):
    data = bytearray(PDF[:keep])
    for offset, replacement in edits:
        data[offset:offset + len(replacement)] = replacement
    load_or_refuse(tmp_path_factory.mktemp("p"), "x.pdf", bytes(data))


yaml_value = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
              st.text(max_size=20), st.dates()),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12)
front_matter = st.dictionaries(
    st.sampled_from(["title", "language", "published", "topics", "sources", "other"]),
    yaml_value, max_size=5)


@quick
@given(front_matter, prose)
def test_any_front_matter_loads_or_gets_a_load_error(tmp_path_factory, meta, body):
    assume(body.strip())
    text = f"---\n{yaml.safe_dump(meta, allow_unicode=True)}---\n{body}\n"
    documents = load_or_refuse(tmp_path_factory.mktemp("m"), "x.md", text.encode())
    if documents is not None:
        assert all(isinstance(v, (str, int)) for v in documents[0].metadata.values())


html_fragment = st.one_of(
    # Text never opens a tag: "<?" would open a processing instruction, which browsers
    # too read as a comment, showing the script source after it as text.
    prose.map(lambda text: text.replace("<", " ")), st.sampled_from(["<p>", "</p>", "<div>", "</div>", "<h2>", "</h2>", "<br>",
                            "<b>", "</b>", "<!-- note -->", "<title>T</title>", "&amp;",
                            "<ul><li>", "</li></ul>", "<a href='x'>", "</a>", "<style>p{}</style>"]))


@quick
@given(st.lists(html_fragment, max_size=30), st.integers(0, 30))
def test_script_text_is_never_indexed(tmp_path_factory, fragments, at):
    fragments.insert(min(at, len(fragments)), "<script>var secretzq = 'zqxjk';</script>")
    fragments.insert(0, "<p>Halo</p>")
    documents = load_or_refuse(tmp_path_factory.mktemp("h"), "x.html",
                               "".join(fragments).encode())
    assert documents is not None
    assert all("zqxjk" not in d.page_content and "secretzq" not in d.page_content
               for d in documents)

"""Across languages: a question finds a document that exists only in the other language.

The documents are this test's own (a throwaway knowledge folder), so that each fact is
written in one language only; the multilingual default embedder must bridge the gap.
"""

from pathlib import Path

import pytest

from plaibot import Assistant, Settings

DOCUMENTS = {
    # Only in Indonesian.
    "id/gerabah.md": ("id", "Galeri koperasi gerabah Kasongan",
                      "Galeri milik koperasi perajin gerabah di Kasongan, Bantul, dibuka pada "
                      "12 Mei 2018. Galeri itu menampung karya 140 perajin tanah liat dari "
                      "desa sekitarnya."),
    # Only in English.
    "en/forge.md": ("en", "Tegal metalworking incubator",
                    "The metalworking incubator in Tegal trained 85 blacksmiths during its "
                    "first year, 2021. Each trainee received a set of forging tools."),
    # In both languages: answers are quoted from the asker's language.
    "id/lasem.md": ("id", "Museum batik Lasem",
                    "Museum batik di Lasem menyimpan 320 helai kain batik tulis tua. Koleksi "
                    "tertuanya berasal dari tahun 1870."),
    "en/lasem.md": ("en", "Lasem batik museum",
                    "The batik museum in Lasem holds 320 pieces of old hand-drawn batik cloth. "
                    "Its oldest piece dates from 1870."),
    # Unrelated, so that finding the right one means something.
    "id/kopi.md": ("id", "Kebun kopi Temanggung",
                   "Kebun kopi rakyat di lereng Sindoro, Temanggung, memanen 60 ton biji kopi "
                   "arabika pada musim 2023."),
    "en/harbour.md": ("en", "Tegalsari fishing harbour",
                      "The fishing harbour at Tegalsari lands about 40 tonnes of fish on an "
                      "average day, most of it mackerel and squid."),
    "en/library.md": ("en", "Solo children's library",
                      "The children's library in Solo lends out around 900 picture books a "
                      "month and runs a reading hour every Saturday."),
}


@pytest.fixture(scope="module")
def assistant(tmp_path_factory) -> Assistant:
    folder = tmp_path_factory.mktemp("knowledge")
    for name, (language, title, text) in DOCUMENTS.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"---\ntitle: \"{title}\"\nlanguage: {language}\n---\n\n# {title}\n\n"
                        f"{text}\n", encoding="utf-8")
    settings = Settings(knowledge_dir=folder, index_dir=tmp_path_factory.mktemp("index"))
    assistant = Assistant(settings)
    assert assistant.index().ok
    return assistant


def _best_source(assistant: Assistant, question: str) -> str:
    return Path(assistant.search(question, k=1)[0].document.metadata["source"]).name


@pytest.mark.parametrize(("question", "document", "figure"), [
    ("How many clay craftspeople does the pottery cooperative gallery in Kasongan show?",
     "gerabah.md", "140"),
    ("Berapa pandai besi yang dilatih inkubator logam di Tegal pada tahun pertamanya?",
     "forge.md", "85"),
])
def test_a_question_finds_a_document_only_in_the_other_language(assistant, question, document,
                                                                 figure):
    assert _best_source(assistant, question) == document
    retriever = assistant.retriever
    retriever.keyword_weight = 0.0  # by meaning alone, too
    try:
        assert _best_source(assistant, question) == document
    finally:
        retriever.keyword_weight = None
    # The passages handed to the answerer hold the fact, in the other language.
    assert any(figure in hit.document.page_content for hit in assistant.ask(question).passages)


@pytest.mark.parametrize(("question", "words"), [
    ("How many pieces of batik does the Lasem museum hold?", "pieces of old hand-drawn"),
    ("Berapa helai kain batik yang disimpan museum Lasem?", "helai kain batik tulis"),
])
def test_where_both_languages_exist_the_answer_is_in_the_askers(assistant, question, words):
    answer = assistant.ask(question)
    assert not answer.refused and words in answer.text and "320" in answer.text


def test_an_unrelated_question_is_still_refused(assistant):
    assert assistant.ask("Who won the 2022 FIFA World Cup?").refused

from plaibot.text import detect_language, question_kind, split_sentences, tokenize, words


def test_detects_indonesian_english_and_mixed_questions():
    assert detect_language("Kapan Hetero Space Banyumas dibuka?") == "id"
    assert detect_language("When was Hetero Space Banyumas opened?") == "en"
    assert detect_language("Siapa founder Impala Space?") == "id"
    assert detect_language("What was the biaya renovasi for Hetero Space Solo?") == "en"


def test_indonesian_stemming_matches_affixed_forms():
    assert tokenize("pembukaan", "id") == tokenize("membuka", "id")
    assert "kapan" not in tokenize("Kapan dibuka?", "id")


def test_english_stemming_and_stopwords():
    assert tokenize("opened the openings", "en") == ["open", "open"]


def test_words_keep_numbers_and_join_bracketed_names():
    assert words("PL(AI)GROUND punya 60.000 peserta, 80,43% [^src]") == [
        "plaiground", "punya", "60.000", "peserta", "80,43"]


def test_sentences_keep_abbreviations_and_end_punctuation():
    text = "Alamatnya Jl. Setiabudi No. 192, Semarang. Dibuka 31 Jan. 2020! Benar?"
    assert split_sentences(text) == [
        "Alamatnya Jl. Setiabudi No. 192, Semarang.", "Dibuka 31 Jan. 2020!", "Benar?"]


def test_question_kinds_in_both_languages():
    assert question_kind("Kapan dibuka?") == "when"
    assert question_kind("How many members?") == "how_many"
    assert question_kind("Siapa menterinya?") == "who"
    assert question_kind("Where is it?") == "where"
    assert question_kind("How does it work?") == "other"

import pytest

from plaibot.text import (
    asks_price,
    asks_what_it_is,
    clause_subjects,
    compared_subjects,
    content_tokens,
    counted,
    counts_near,
    detect_language,
    fits_kind,
    overview_subject,
    question_kind,
    split_sentences,
    tokenize,
    words,
)


def test_detects_indonesian_english_and_mixed_questions():
    assert detect_language("Kapan Hetero Space Banyumas dibuka?") == "id"
    assert detect_language("When was Hetero Space Banyumas opened?") == "en"
    assert detect_language("Siapa founder Impala Space?") == "id"
    assert detect_language("What was the biaya renovasi for Hetero Space Solo?") == "en"


def test_indonesian_stemming_matches_affixed_forms():
    assert tokenize("pembukaan", "id") == tokenize("membuka", "id")
    assert "kapan" not in tokenize("Kapan dibuka?", "id")


def test_indonesian_stems_come_from_a_dictionary_of_roots():
    assert tokenize("penilaian dinilai menilai", "id") == ["nilai"] * 3
    assert tokenize("menerima", "id") == tokenize("diterima", "id") == ["terima"]
    assert tokenize("resmiin ngurusin", "id") == ["resmi", "urus"]  # chat verbs


def test_words_in_other_scripts_and_accents_are_kept_whole():
    # Sastrawi keeps only a-z: these came out empty or cut, and an empty token crashed
    # the answerer (an IndexError on a question over an IDK-MRC passage).
    assert tokenize("мир café naïve", "id") == ["мир", "café", "naïve"]


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
    assert question_kind("acaranya di gedung mana") == "where"  # a venue, as a city
    assert question_kind("hetro fest 2025 diadainnya di semarang kan") == "where"  # checks a place
    assert question_kind("Where is it?") == "where"
    assert question_kind("How does it work?") == "other"
    assert question_kind("hetero buka jam brp") == question_kind("What time does it open?") == "time"
    assert question_kind("target UMKM tahun pertama brp") == "how_many"  # question words first
    assert question_kind("tanggal pembukaan hetero solo") == "when"
    assert question_kind("luasnya?") == "how_many"  # a kind noun with its clitic
    # a date noun with a question word asks for a date, whatever "berapa" alone asks
    for question in ("hetero fest vol.4 tgl brp", "irene lahir thn brp", "dibuka hari apa",
                     "what year did it open", "over what years were they opened",
                     "renovasinya taun brp"):
        assert question_kind(question) == "when", question


def test_a_word_doubled_is_the_word_however_it_is_written():
    assert words("inovasi-inovasi inovasi2 Emak-Emak") == ["inovasi", "inovasi", "emak"]
    assert words("kupu-kupu PAN-RB covid-19 e-commerce") == ["kupu", "panrb", "covid", "19",
                                                            "e-commerce"]


def test_a_year_of_any_century_a_century_or_an_era_dates_a_when_answer():
    for sentence in ("Hydatius lahir sekitar tahun 400.", "Malaka jatuh pada 1511.",
                     "Candi itu dibangun pada abad ke-9.", "It began in the Edo era."):
        assert fits_kind(sentence, "when") > 0, sentence
    assert fits_kind("Program itu berjalan di enam kota.", "when") == 0
    # "Around which Cooperatives Day anniversary?": an anniversary dates it too.
    assert fits_kind("It came up around the 72nd Cooperatives Day.", "when") > 0
    assert fits_kind("Ide itu muncul menjelang Hari Koperasi ke-72.", "when") > 0


def test_a_day_of_the_week_answers_which_day_and_a_bare_date_only_partly():
    asked = frozenset(words("penyerahan award OPSI hetero itu hari apa"))
    assert fits_kind("Diterima pada Senin, 15 Desember 2025.", "when", asked) == 1.0
    assert fits_kind("Diterima pada 15 Desember 2025.", "when", asked) == 0.5
    assert fits_kind("Kegiatan itu berlangsung setiap minggu.", "when", asked) == 0.0
    assert fits_kind("Diterima pada 15 Desember 2025.", "when") == 1.0  # "kapan" asks a date


def test_when_it_comes_to_asks_no_date():
    assert question_kind("whats her focus when it comes to AI") == "other"
    assert question_kind("so when did it open") == "when"


def test_a_year_the_question_gives_is_not_what_it_asks():
    assert question_kind("khaleed thn 2021 jabatannya apa") == "other"
    assert question_kind("tahun berapa impala space dibuka") == "when"
    assert question_kind("") == "other" and question_kind("?!") == "other"


def test_mana_after_a_noun_asks_which_not_where():
    assert question_kind("hetero solo kerjasama sama kampus mana") == "other"
    assert question_kind("startup mana aja yg ikut hfs") == "other"
    for question in ("tempatnya di mana", "hfs ada di kota mana aja", "mana alamatnya",
                     "ide hetero dr mana", "hetero space dimana"):
        assert question_kind(question) == "where", question


def test_everyday_words_are_read_as_the_documents_word():
    assert words("kampus mana, ada brp cabang, ide siapa") == [
        "universitas", "mana", "ada", "berapa", "lokasi", "gagasan", "siapa"]


def test_which_street_asks_where():
    assert question_kind("hetero space smg di jalan apa") == "where"
    assert question_kind("what street is impala space on") == "where"
    assert "jalan" not in content_tokens("hetero space smg di jalan apa", "id")
    # ("menjalankan" stems to "jalan": the street question matched "runs 100 programs")


def test_what_a_sentence_counts_is_the_word_or_two_after_a_number():
    assert "communiti" in counted("Ten local communities took part in Vol. 4.", "en")
    assert {"komunitas", "daftar"} <= counted("Sepuluh komunitas lokal, 2.000 pendaftar.", "id")
    assert not counted("Digelar pada 12 Mei 2023 di Jl. Gatot Subroto No. 75.", "id")
    assert not counted("Brebes adalah salah satu kabupaten di Jawa Tengah.", "id")


def test_a_number_counts_the_words_just_before_or_after_it():
    assert counts_near("Hetero Space Banyumas memiliki dua ruang coworking dan tiga ruang rapat.",
                       ["ruang", "rapat"], "id")
    # small words aside, and a word written either way
    assert counts_near("Biayanya ditanggung 40 BUMN yang dikelompokkan ke dalam empat klaster.",
                       ["kelompok"], "id")
    assert counts_near("Hetero Space Semarang menyelenggarakan 231 kegiatan.", ["acara"], "id")
    assert counts_near("The opening was celebrated with a dinner attended by 2000 guests.",
                       ["guests"], "en")
    assert counts_near("It planned 192 programs a year.", ["programmes"], "en")
    # An ordinal, a date or a number of something else counts nothing asked.
    assert not counts_near("Impala Space is on the second floor of the Spiegel building.",
                           ["floors"], "en")
    assert not counts_near("Hetero Fest 2025 dibuka pada 26 September 2025.", ["booth"], "id")
    assert not counts_near("Rasio kewirausahaan naik menjadi 3,21% berkat Hetero Space.",
                           ["ruang"], "id")


def test_a_street_number_is_no_figure():
    assert fits_kind("Hetero Space Banyumas is located at Jl. Gatot Subroto No. 75.",
                     "how_many") == 0.0
    assert fits_kind("Hetero Space operates at 3 sites.", "how_many") > 0


def test_a_time_of_day_answers_what_time_and_a_date_does_not():
    assert fits_kind("Buka Senin sampai Jumat, pukul 09.00–18.00.", "time") == 1.0
    assert fits_kind("Open Monday to Friday, 09:00–18:00.", "time") == 1.0
    assert fits_kind("Diresmikan pada Jumat, 31 Januari 2020.", "time") == 0.0


def test_a_length_of_time_answers_how_long_and_a_bare_count_does_not():
    assert question_kind("brp lama persiapan hetero space") == "duration"
    assert question_kind("How long is the course?") == "duration"
    assert question_kind("berapa tahun umur impala") == "how_many"  # a figure in years
    assert fits_kind("Persiapannya memakan waktu enam bulan.", "duration") == 1.0
    assert fits_kind("A three-day course on building startups.", "duration") == 1.0
    assert fits_kind("Rencana kerja memuat 192 program per tahun.", "duration") == 0.0


def test_what_the_question_names_does_not_answer_it():
    asked = frozenset(words("Who designed the Hetero Space Banyumas building?"))
    assert fits_kind("The Hetero Space Banyumas building was designed in 1937.", "who", asked) == 0
    assert fits_kind("It was designed by the architect Herman Karsten.", "who", asked) == 1
    season = frozenset(words("brp hadiah HFS Season 3"))
    assert fits_kind("Hetero for Startup Season 3 dibuka Februari.", "how_many", season) < 1
    assert fits_kind("Season 3 menargetkan 2.000 pendaftar.", "how_many", season) == 1


def test_an_ordinal_answers_which_one():
    assert fits_kind("Banyumas adalah lokasi ketiga Hetero Space.", "how_many") == 1


@pytest.mark.parametrize(("question", "subject"), [
    ("apa itu hetero space", "hetero space"),
    ("kenalin dong PL(AI)GROUND", "plaiground"),
    ("mau tau tentang hetero space", "hetero space"),
    ("kemenekraf tuh ngapain aja", "kemenekraf"),
    ("impala network ngapain aja sih", "impala network"),
    ("plaiground tuh acara apa?", "plaiground"),
    ("hetero space tuh sebenernya buat apa sih", "hetero space"),
    ("what's hetero space", "hetero space"),
    ("what is hetero space all about", "hetero space"),
    ("can you tell me what impala network is", "impala network"),
    ("overview of plaiground", "plaiground"),
    ("maksudnya PL(AI)GROUND apa", "plaiground"),
    ("what kind of place is hetero space", "hetero space"),
    ("i want to know about plaiground", "plaiground"),
    ("tell me abt impala", "impala"),
    ("arti nama impala apa", "arti nama impala"),  # no entity has that name: no summary
    ("Siapa yang dimaksud Wangsa Wettin?", "wangsa wettin"),  # IDK-MRC's wording
    ("apa yang dimaksud dengan hetero space", "hetero space"),
    ("apa pengertian PL(AI)GROUND", "plaiground"),
    ("is plaiground some kind of AI startup?", "plaiground"),
    ("apakah impala network itu semacam perusahaan", "impala network"),
    ("is hetero space free", None),
    ("give me a quick summary of impala network", "impala network"),
    ("quick rundown of the creative economy ministry pls", "creative economy ministry"),
    ("Kapan Hetero Space Solo dibuka?", None),
    ("hetero space itu buka hari apa", None),  # asks a day, not what it is
    ("min mau nanya dong, plaiground tuh programnya kyk apa sih", "plaiground"),
    ("kasih gambaran singkat dong soal hetero space", "hetero space"),
    ("tell me a bit about hetero space purwokerto", "hetero space purwokerto"),
    ("what's DEN and why does it keep coming up", "den"),
    ("explain hetero space like im 5", "hetero space"),
    ("di hetero solo ada ruang apa aja", None),  # what it has, not what it is
    ("im a freelancer in central java, what is hetero space exactly", "hetero space"),
    ("plaigrond itu aplikasi, event, ato apa sih sebenernya", "plaigrond"),
    ("impala network itu company apa komunitas", "impala network"),
    ("kipp tuh lomba apaan ya", "kipp"),
    ("whats the deal with dinas ekraf", "dinas ekraf"),
    ("can u tell me who khaleed hadi pranowo is", "khaleed hadi pranowo"),
    ("ruko space tuh siapa, kok disebut2 pas peresmian hetero", "ruko space"),  # first clause
    ("temenku kerja di impala network, itu sebenernya apaan ya", "impala network"),  # "itu"
    ("so what exactly is hetero space, like a wework type thing?", "hetero space"),
    ("kemenekraf punya wamen ga, siapa namanya", None),  # asks who, of the deputy minister
])
def test_overview_questions_in_chat_forms(question, subject):
    assert overview_subject(question) == subject


def test_names_in_title_case_do_not_decide_the_language():
    assert detect_language("Program unggulan Hetero Space mencakup Hetero for Startup dan "
                           "Hetero Goes to Village.") == "id"
    assert detect_language("The Ministry of Creative Economy was created in 2024.") == "en"


def test_a_question_without_question_words_goes_by_its_other_function_words():
    assert detect_language("so impala network owns hetero space right") == "en"
    assert detect_language("hetero smg tuh di daerah banyumanik ya") == "id"
    assert detect_language("ok makasih") == "id"
    assert detect_language("hetero space semarang") == "id"  # a bare name: the default


def test_the_days_of_a_date_and_a_street_number_count_nothing():
    assert fits_kind("Hetero Fest 2025 memuat 16 mata acara.", "how_many") == 1
    assert fits_kind("Hetero Fest 2025 berlangsung pada 26–27 September 2025.", "how_many") < 1
    assert fits_kind("It is at Jl. Gatot Subroto No. 75, Purwokerto.", "how_many") < 1


def test_ke_berapa_asks_for_a_place_in_an_order():
    asked = frozenset(words("hetero banyumas itu lokasi ke brp"))
    assert fits_kind("Banyumas menjadi lokasi Hetero Space ketiga.", "how_many", asked) == 1
    assert fits_kind("Hetero Space punya 3 lokasi.", "how_many", asked) < 1


def test_a_sentence_defines_the_whole_subject_or_not_at_all():
    from plaibot.answering import _defines
    from plaibot.text import tokenize

    def defines(text, subject):
        return _defines(frozenset(tokenize(text, "id")), text,
                        set(tokenize(subject, "id")), "id")

    assert defines("Pandu adalah ayah para Pandawa.", "pandu")
    # IDK-MRC: "siapakah adik Pandu" was opened with who Pandu is, not with Widura.
    assert not defines("Pandu adalah ayah para Pandawa.", "adik pandu")
    assert defines("Hetero Space Semarang adalah lokasi pertama.", "hetero space semarang")


def test_a_budget_is_an_amount_of_money_and_a_share_of_it_is_not():
    assert asks_price(set(words("anggaran apbd buat hetero per tahunnya brp")))
    assert not asks_price(set(words("berapa persen anggaran hetero dari apbd")))
    assert asks_price(set(words("kemenekraf ngucurin dana brp buat plaiground")))


def test_a_name_said_to_act_or_hold_a_post_answers_who_better_than_any_name():
    asked = frozenset(words("yg resmiin hetero space semarang siapa"))
    assert fits_kind("Hetero Space Semarang dibuka oleh Gubernur Ganjar Pranowo.", "who",
                     asked) == 1.0
    assert fits_kind("Peresmian Hetero Space Semarang dibarengi dengan Hetero Fest.", "who",
                     asked) == 0.5
    # A title with an acronym is part of the name: it says who Rini Widyantini is.
    assert fits_kind("Kata Menteri PANRB Rini Widyantini begitu.", "who",
                     frozenset(words("rini widyantini siapa"))) == 1.0


def test_a_named_place_answers_where_partly_and_an_address_fully():
    asked = frozenset(words("hetero space pertama kali ada di kota mana"))
    assert fits_kind("Hetero Space Semarang ada di Jl. Setiabudi No. 192.", "where", asked) == 1
    assert fits_kind("Lokasi pertamanya dibuka di kota Semarang.", "where", asked) == 0.5
    assert fits_kind("Hetero Space pertama kali dibuka pada 31 Januari 2020.", "where",
                     asked) == 0
    # "where did it rank" asks for a place in a ranking, not on a map.
    assert question_kind("Where did Hetero Space rank among the innovations?") == "other"


def test_a_district_question_asks_where():
    assert question_kind("itu masuk kecamatan apa") == "where"
    assert question_kind("what district is it in exactly") == "where"


def test_a_number_is_found_however_its_thousands_are_written():
    from plaibot.answering import _labelled_numbers, _numbers_in

    assert set(_labelled_numbers(words("angka 6000 pengunjung"))) <= _numbers_in(
        "Suara Banyumas memproyeksikan sekitar 6.000 pengunjung.")
    assert "3051" in _numbers_in("28 out of 3,051 proposals")
    assert "22" not in _numbers_in("renovasi senilai Rp2,2 miliar")  # a decimal stays one


def test_the_roman_numeral_of_a_name_answers_which_number():
    asked = frozenset(words("komisi berapa"))
    assert fits_kind("Ia menjabat Ketua Komisi X DPR.", "how_many", asked) == 1.0
    assert fits_kind("Ia menjabat ketua komisi di DPR.", "how_many", asked) == 0.0


def test_a_question_for_the_date_asks_for_a_day_of_a_month():
    asked = frozenset(words("diumumkan tgl brp"))
    assert fits_kind("Target itu diumumkan pada 8 November 2025.", "when", asked) == 1.0
    assert fits_kind("Targetnya tercapai pada akhir 2025.", "when", asked) == 0.5
    assert fits_kind("Targetnya tercapai pada akhir 2025.", "when", frozenset({"kapan"})) == 1.0


def test_a_chat_verb_with_a_bare_nasal_prefix_meets_its_root():
    # "nanggung" is "menanggung": the documents write "ditanggung".
    assert content_tokens("nanggung", "id", "other") == content_tokens("ditanggung", "id", "other")
    assert content_tokens("nama", "id", "other") == ["nama"]  # a word the dictionary knows


def test_a_count_of_people_asked_for_is_answered_by_a_count_of_people():
    asked = frozenset(words("brp org yg datang"))
    assert fits_kind("Acara itu dihadiri 250 kolaborator.", "how_many", asked) == 1.0
    assert fits_kind("Acara itu menargetkan 28 provinsi.", "how_many", asked) == 0.0
    assert fits_kind("Salah satu acara Emak-Emak Metik digelar di Yogyakarta.", "how_many",
                     asked) == 0.0  # "satu" here counts no mothers


@pytest.mark.parametrize("question", ["which minister is backing it", "sama kementerian mana"])
def test_which_of_people_or_bodies_asks_who(question):
    assert question_kind(question) == "who"


def test_a_which_question_is_answered_by_a_name_of_that_kind():
    asked = frozenset(words("sama kementerian mana"))
    assert fits_kind("Kemenekraf dan Kementerian Dalam Negeri meneken SKB.", "who", asked) == 1.0
    assert fits_kind("Menurut Menteri Teuku Riefky Harsya, SKB diteken.", "who", asked) == 0.5


@pytest.mark.parametrize(("question", "compared"), [
    ("bedanya hetero space sm impala space apa", ("hetero space", "impala space")),
    ("kemenekraf sm komdigi bedanya apa sih", ("kemenekraf", "komdigi")),
    ("whats the difference between impala network and impala space",
     ("impala network", "impala space")),
    ("hetero space sama impala space", None),  # no word of difference: not a comparison
])
def test_comparisons_name_the_two_things_compared(question, compared):
    assert compared_subjects(question) == compared


def test_a_count_of_people_may_be_a_few_words_before_them():
    asked = frozenset(words("how many people were lost"))
    sentence = "Algiers lost 30 to 50 thousand inhabitants in 1620."
    assert fits_kind(sentence, "how_many", asked) == 1.0


def test_everyday_english_words_read_as_the_documents_word():
    assert words("whats the goal of the firms") == ["what", "is", "the", "aim", "of", "the",
                                                    "companies"]


def test_a_request_to_tell_after_the_subject_is_not_part_of_it():
    subject = overview_subject("pengen tau ttg hetero space solo, ceritain dong")
    assert subject == "hetero space solo"


def test_a_sentence_numbering_the_asked_label_otherwise_is_about_another_thing():
    from plaibot.answering import _numbers_another

    question = "perpres 199/2024 ttg kemenekraf ditetapkan tgl brp"
    assert _numbers_another("Perpres 200/2024 ditetapkan pada 8 November 2024.", question)
    assert not _numbers_another("Dasar hukumnya Perpres 199/2024.", question)
    # a year is no label: "tahun 2020" is not another "2022"
    assert not _numbers_another("Pada tahun 2020 Hetero Space dibuka.", "hetero thn 2022 gmn")


def test_which_part_of_a_city_asks_where():
    assert question_kind("hetero semarang is in which part of semarang") == "where"
    assert words("hetero bms tutup jam brp")[1] == "banyumas"


def test_a_list_asked_for_and_a_sentence_listing():
    from plaibot.text import asks_list, lists

    assert asks_list("HFS season 3 ada di kota mana aja")
    assert not asks_list("HFS season 3 ada di kota mana")
    assert lists("Mitranya berada di Bandung, Surakarta, Malang, dan Makassar.")
    assert not lists("Hetero Space Solo dibuka pada Desember 2021.")


def test_a_name_opening_a_sentence_answers_who_when_its_post_follows():
    asked = frozenset(words("siapa yg serah terima jabatan ke riefky"))
    assert fits_kind("Sandiaga Uno, menteri terakhir Kemenparekraf, menyerahkan jabatan.",
                     "who", asked) == 1.0
    # a building is no one, whatever the comma says of it
    assert fits_kind("Gedung Spiegel, tempat Impala Space berada, berdiri di sudut jalan.",
                     "who", asked) < 1.0


def test_a_place_in_an_order_is_read_from_words_and_numbers():
    from plaibot.text import ordinals

    assert ordinals("topik kedua pas audiensi plaiground") == {2}
    assert ordinals("whats the 3rd of hetero space's four functions") == {3}
    assert ordinals("topic no. 3 at the aug 2025 meeting") == {3}
    # "first" ranks more often than it orders; a time is no thing
    assert not ordinals("who was governor when hetero space first opened")
    assert not ordinals("siapa yang menemukan benua Amerika untuk kedua kalinya")


def test_a_statement_before_the_question_is_not_the_question():
    from plaibot.conversation import split_preamble

    assert split_preamble("journalist here. whats the backstory of hetero space") == (
        "journalist here", "whats the backstory of hetero space")
    # the dots of "No. 3" and "Jl." end nothing; a thank-you after the question asks nothing
    assert split_preamble("topic no. 3 at the meeting was what")[0] == ""
    assert split_preamble("Hetero Space Solo di Jl. Urip Sumoharjo ya?")[0] == ""
    assert split_preamble("ceritain tentang impala network. makasih")[0] == ""
    assert split_preamble("Kapan Yahoo! Koprol mulai diboikot")[0] == ""  # a name's "!"


def test_a_second_question_of_a_yes_no_kind_is_not_part_of_the_subject():
    assert overview_subject("what's hetero space solo and would it suit me") == "hetero space solo"


def test_a_question_asking_a_day_is_no_overview():
    assert overview_subject("emak2 metik yg di yogyakarta diadainnya hari apa") is None
    assert overview_subject("emak2 metik tuh apa") == "emak metik"


def test_chat_fillers_ask_nothing():
    assert tokenize("penghargaan hetero kok banyak bgt, yg beneran yg mana", "id") == [  # stems
        "harga", "hetero"]
    assert "dont" not in tokenize("seems like sources dont agree", "en")


def test_a_place_a_few_words_after_ke_answers_where():
    assert fits_kind("Ia membawa pejabat ke coworking space yang dikelola Pemerintah Kota "
                     "Surabaya.", "where") > 0


def test_a_pronoun_of_a_person_points_back_to_one():
    from plaibot.conversation import refers_to_person

    assert refers_to_person("whats his regular job") and refers_to_person("dia jabat apa")
    assert not refers_to_person("kapan dibuka")


def test_what_they_do_is_an_overview_shape():
    assert overview_subject("what do impala network actually do") == "impala network"


def test_an_indonesian_ordinal_before_a_noun_counts_them_all():
    from plaibot.text import ordinals

    assert not ordinals("ketiga hetero space itu diresmiin gubernur yg sama ga sih")
    assert ordinals("hetero solo tuh lokasi yang ketiga ya") == {3}


@pytest.mark.parametrize(("question", "subjects"), [
    ("impala space itu apaan ya? kyknya ada di kota lama semarang", ["impala space"]),
    ("what's Hetero Fest, some kind of festival?", ["hetero fest"]),
    ("denger2 ada hetero space. itu sebenernya tempat apa sih dan punya siapa", ["hetero space"]),
    ("hetero space itu apa, kyknya di semarang", ["hetero space"]),
    ("hetero space itu apa, kapan dibuka", []),  # the last clause asks a date
    ("plaiground itu ngapain aja, ada event nya ga", ["plaiground"]),  # and a yes/no one
    ("apa itu hetero space", []),  # one clause: overview_subject reads it
    ("tema hetero fest vol. 4 apa", []),  # "Vol. 4" ends no clause
])
def test_each_clause_of_a_question_in_several_may_ask_what_something_is(question, subjects):
    assert clause_subjects(question) == subjects


def test_a_question_on_what_it_is_points_back():
    assert asks_what_it_is("itu tempat apa sih")
    assert asks_what_it_is("what is it")
    assert not asks_what_it_is("apa itu hetero space")

"""Language detection, tokenization and sentence splitting for Indonesian and English.

Everything here is pure and cheap: it runs for every chunk at index time and for every
question at query time, so it must stay free of models and I/O.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from typing import Literal

import Stemmer
from bm25s.stopwords import STOPWORDS_EN

Language = Literal["id", "en"]
LANGUAGES: tuple[Language, ...] = ("id", "en")

# Function words of Indonesian. Question words are included: they say what kind of
# answer is wanted (see `question_kind`), not what it is about.
STOPWORDS_ID = frozenset(
    """
    ada adalah adanya agar akan akhirnya aku amat anda antara apa apakah apabila atas atau
    bagaimana bagaimanakah bagi bahkan bahwa banyak baru beberapa begitu belum berapa berapakah
    berikut bila bisa boleh bukan buat cara dalam dan dapat dari daripada demikian dengan di
    dia diri dong dua guna hal hanya harus hingga ia ialah ini itu jadi jika juga kalau kami
    kamu kan kapan kapankah karena ke kemudian kenapa kepada ketika kita lagi lah lain lalu
    lebih maka mana manakah masih mau melalui memang mereka meski mengapa merupakan mungkin
    namun nya oleh pada para pernah pula punya saat saja sama sampai sangat saya seperti
    sebagai sebelum sedang sehingga sejak sekarang selain sementara semua seorang serta
    setelah siapa siapakah suatu sudah supaya tak tanpa tapi telah tentang terhadap tersebut
    tetapi tidak untuk ya yaitu yakni yang dimana dimanakah sih deh nih tolong mohon gimana
    apa-apa berapa-berapa bro kak min ga gak nggak enggak aja saja benar kah ajah pas terus
    kok banget bgt beneran bener emang kira
    """.split()
)

# The words that make a question in each language: they decide its language even when
# its nouns come from the other ("Siapa founder Impala Space?" is asked in Indonesian).
QUESTION_WORDS = {
    "id": frozenset("apa apakah siapa siapakah kapan kapankah berapa berapakah dimana "
                    "dimanakah mana manakah bagaimana bagaimanakah kenapa mengapa "
                    "ceritakan jelaskan terangkan".split()),
    "en": frozenset("what when where who whom whose which why how tell explain "
                    "describe".split()),
}

# English question words are already in bm25s' list except these.
STOPWORDS_EN_ALL = frozenset(STOPWORDS_EN) | frozenset(
    "what when where who whom whose which why how much many does did do is are was were "
    "can could would should tell me please about dont doesnt didnt isnt arent wasnt cant "
    "wont seems seem like going pls plz".split()
)

# Function words that tell English apart, beyond the stopwords kept out of its index
# (Lucene's 33): "so impala network owns hetero space right" holds none of those.
_ENGLISH_FUNCTION_WORDS = frozenset(
    "so yet also just any some all its his her he she him they them we you your our my i has "
    "have had been from than only very more other there here yes okay ok anything something "
    "still ever".split())
_ENGLISH_CUES = STOPWORDS_EN_ALL | _ENGLISH_FUNCTION_WORDS | frozenset("right own owns".split())

_THANKS_ID = frozenset("makasih terimakasih mksh trims".split())

_TOKEN = re.compile(r"[0-9]+(?:[.,][0-9]+)*|[^\W\d_]+(?:-[^\W\d_]+)*", re.UNICODE)
_MARKER = re.compile(r"\[\^[\w-]+\]")
_SENTENCE_END = re.compile(
    # A sentence ends at . ! ? followed by space and an upper-case letter, a digit or a quote,
    # but not after common abbreviations (Jl., No., Dr., e.g.) or single initials.
    r"(?<!\bJl)(?<!\bNo)(?<!\bDr)(?<!\bSt)(?<!\bMr)(?<!\bMrs)(?<!\bVol)(?<!\bvs)"
    r"(?<!\bKec)(?<!\bKab)(?<!\bProf)(?<!\bJan)(?<!\bFeb)(?<!\bMar)(?<!\bApr)(?<!\bJun)(?<!\bJul)(?<!\bAug)"
    r"(?<!\bAgu)(?<!\bSep)(?<!\bOct)(?<!\bOkt)(?<!\bNov)(?<!\bDec)(?<!\bDes)(?<!\be\.g)(?<!\bi\.e)(?<!\b[A-Z])"
    r"([.!?]+[\"')\]]*)\s+(?=[\"'(\[]?[A-Z0-9])"
)

_ENGLISH = Stemmer.Stemmer("english")
_STOPWORDS = {"id": STOPWORDS_ID, "en": STOPWORDS_EN_ALL}
# Questions drop both lists: they mix the languages, and an English "the" or "of" would
# otherwise match English titles quoted inside Indonesian documents.
_QUESTION_STOPWORDS = STOPWORDS_ID | STOPWORDS_EN_ALL | _ENGLISH_FUNCTION_WORDS | frozenset(
    # "soal AI", "terkait AI": in a question only "about".
    "soal mengenai terkait perihal seputar "
    # A greeting or "mau nanya" before a question asks nothing ("min mau nanya dong, ...").
    "halo hallo hai hi hello hey permisi nanya tanya bertanya gan sis "
    # "sehari-hari", "daily": how often, not a day the documents name ("Hari Koperasi").
    "sehari daily everyday "
    # "ada kelas apa aja disana": there, where the question before was about.
    "sana sini situ disana disini disitu kesana kesini "
    # "srawung tuh artinya apa": the documents gloss a word in brackets ("Srawung"
    # (berkumpul)), writing "arti" twice in all.
    "artinya "
    # "what district is it in exactly": how sure an answer should be, not what it is about.
    "exactly actually really basically sebenarnya persisnya tepatnya".split())


def clean_text(text: str) -> str:
    """`text` without what no person typed: lone surrogates (which cannot be encoded, so
    they break tokenizers, SQLite and logs) and control characters other than tab and
    newline (NUL and friends, usually a pasted binary)."""
    if text.isprintable():  # the common case, checked in C
        return text
    return "".join(c for c in text if c in "\n\t" or unicodedata.category(c) not in ("Cc", "Cs"))


def strip_markers(text: str) -> str:
    """Remove `[^key]` source markers from knowledge text."""
    return _MARKER.sub("", text)


def markers(text: str) -> list[str]:
    """The source keys named by `[^key]` markers, in order, without repeats."""
    keys = [m[2:-1] for m in _MARKER.findall(text)]
    return list(dict.fromkeys(keys))


_INNER_PARENS = re.compile(r"(?<=\w)\((\w+)\)(?=\w)")
# A word doubled the chat way: "emak2", "awal2" ("emak-emak", "awal-awal").
_DOUBLED = re.compile(r"\b([^\W\d_]{2,})2\b")


def words(text: str) -> list[str]:
    """Lower-cased word and number tokens; numbers keep their separators (60.000, 80,43).

    Brackets inside a name are dropped, so "PL(AI)GROUND" is the one word "plaiground";
    so are hyphens inside short acronyms ("PAN-RB" is "panrb"). A doubled word, the plural
    of Indonesian ("inovasi-inovasi", or in a chat "inovasi2"), is the word.
    """
    text = _DOUBLED.sub(r"\1", _INNER_PARENS.sub(r"\1", strip_markers(text)))
    tokens = (_single(_join_short(_CLITIC.sub("", t.lower()))) for t in _TOKEN.findall(text))
    return [word for t in tokens for word in CHAT_WORDS.get(t, t).split()]


# How people write in a chat box: abbreviations and colloquial forms, read as the standard
# word so that question words, stopwords and stems see them ("brp" is "berapa").
CHAT_WORDS = {
    "brp": "berapa", "brapa": "berapa", "dmn": "dimana", "dimn": "dimana",
    "gmn": "bagaimana", "gmna": "bagaimana", "gimana": "bagaimana", "bgmn": "bagaimana",
    "kpn": "kapan", "knp": "kenapa", "npa": "kenapa", "sapa": "siapa",
    "yg": "yang", "tdk": "tidak", "gk": "tidak", "ga": "tidak", "gak": "tidak",
    "nggak": "tidak", "enggak": "tidak", "skrg": "sekarang", "skrng": "sekarang",
    "ttg": "tentang", "dr": "dari", "utk": "untuk", "jd": "jadi",
    "thn": "tahun", "tgl": "tanggal", "udah": "sudah", "udh": "sudah", "sdh": "sudah",
    "blm": "belum", "dgn": "dengan", "sm": "sama", "aja": "saja", "apaan": "apa",
    "ceritain": "ceritakan", "jelasin": "jelaskan", "terangin": "terangkan",
    "pake": "pakai", "dapet": "dapat", "nginep": "menginap", "ketemu": "bertemu",
    "bikin": "buat", "dibikin": "dibuat", "diadain": "diadakan", "tuh": "itu", "tu": "itu",
    "emang": "memang", "kalo": "kalau", "krn": "karena", "jg": "juga",
    "bener": "benar", "lab": "laboratorium", "sebenernya": "sebenarnya",
    "sbnrnya": "sebenarnya", "trus": "terus", "trs": "terus", "tp": "tapi",
    "mksd": "maksud", "mksdnya": "maksudnya", "abt": "about",
    "pengen": "ingin", "pingin": "ingin", "gede": "besar", "kayak": "seperti", "kyk": "seperti",
    "spt": "seperti", "sampe": "sampai", "ampe": "sampai", "tau": "tahu", "liat": "lihat",
    "emg": "memang", "bgt": "banget", "sbg": "sebagai", "tsb": "tersebut", "knapa": "kenapa",
    "bnyk": "banyak", "byk": "banyak", "org": "orang", "bln": "bulan", "blum": "belum",
    "blom": "belum", "lg": "lagi", "dlm": "dalam", "pd": "pada", "sblm": "sebelum",
    "stlh": "setelah", "ato": "atau", "atw": "atau", "bs": "bisa", "bsa": "bisa",
    "abis": "habis", "deket": "dekat", "kemana": "ke mana", "kmn": "ke mana",
    "seberapa": "berapa", "dulunya": "dulu", "kab": "kabupaten", "kerjasama": "kerja sama",
    "kerjasamanya": "kerja samanya",
    "wagub": "wakil gubernur", "wamen": "wakil menteri", "smg": "semarang", "bms": "banyumas",
    "pwt": "purwokerto", "jkt": "jakarta", "whats": "what is", "wheres": "where is",
    "whos": "who is", "hows": "how is", "info": "informasi",
    "prnh": "pernah", "pernh": "pernah", "kmrn": "kemarin", "bsk": "besok", "sdg": "sedang",
    "klo": "kalau", "kl": "kalau", "gt": "begitu", "gitu": "begitu", "gtu": "begitu",
    "bbrp": "beberapa", "tmpt": "tempat", "hrs": "harus", "msh": "masih", "cuman": "cuma",
    "dpt": "dapat", "kek": "seperti", "gmana": "bagaimana", "mngkn": "mungkin",
    "mgkn": "mungkin", "krg": "kurang", "lbh": "lebih", "bnyak": "banyak", "tmn": "teman",
    "dmna": "dimana", "dimna": "dimana", "ngga": "tidak", "engga": "tidak", "nda": "tidak",
    "ndak": "tidak", "gaada": "tidak ada", "gada": "tidak ada", "bkn": "bukan", "jdi": "jadi",
    "sy": "saya", "gw": "saya", "gue": "saya", "sbnernya": "sebenarnya", "brpa": "berapa",
    "u": "you", "ur": "your",
    "taun": "tahun", "thun": "tahun", "blg": "menyebut", "bilg": "menyebut", "malem": "malam",
    # Saying, in a chat, is what the documents write as "menyebut" (49 times; "bilang" 0).
    "bilang": "menyebut", "ngomong": "menyebut", "ngomongin": "menyebut",
    "omongan": "pernyataan", "omong": "menyebut", "nongol": "muncul", "ntar": "nanti",
    "entar": "nanti",
    # Everyday words for what the documents name otherwise (read the same way in both).
    "kampus": "universitas", "cabang": "lokasi", "ide": "gagasan", "jogja": "yogyakarta",
    "jogjakarta": "yogyakarta", "yogya": "yogyakarta",
    # English forms the stemmer does not meet at the documents' word.
    "women": "woman", "biggest": "largest", "bigger": "larger", "goal": "aim", "goals": "aims",
    "purpose": "aim", "firm": "company", "firms": "companies", "boss": "head",
    # Months as a chat abbreviates them, in the language each is written in.
    "aug": "august", "sept": "september", "oct": "october", "dec": "december",
    "agt": "agustus", "agu": "agustus", "okt": "oktober", "des": "desember",
}


def _single(token: str) -> str:
    first, _, rest = token.partition("-")
    return first if rest == first else token


def _join_short(token: str) -> str:
    """Acronyms written with a hyphen ("PAN-RB") are the same word as without ("PANRB")."""
    parts = token.split("-")
    return "".join(parts) if len(parts) > 1 and all(len(p) <= 3 for p in parts) else token


# Indonesian clitics written with a hyphen after a borrowed word: "opening-nya", "founder-nya".
_CLITIC = re.compile(r"-(nya|lah|kah|pun|ku|mu)$")


# A name in title case keeps its function words out of the count ("Program unggulan Hetero
# Space mencakup Hetero for Startup, Hetero Goes to Village, ..." is Indonesian).
_TITLE_NAME = re.compile(r"\b[A-Z][\w()'-]*(?:\s+(?:(?:of|for|to|the|and|in|on|at)\s+)*"
                         r"[A-Z][\w()'-]*)+")


def detect_language(text: str, default: Language = "id") -> Language:
    """Guess Indonesian or English from function words; ties go to `default`.

    A question word of only one language decides (mixed questions such as "Siapa founder
    Impala Space?" are answered in the language of their question word, as people expect);
    otherwise the language whose function words, outside names, are more frequent.
    """
    tokens = words(text)
    asked = {language for language, cue in QUESTION_WORDS.items() if cue & set(tokens)}
    if len(asked) == 1:
        return asked.pop()
    tokens = words(_TITLE_NAME.sub(" ", text)) or tokens
    id_hits = sum(t in STOPWORDS_ID or t in _THANKS_ID for t in tokens) + sum(
        t.endswith("nya") and len(t) > 5 for t in tokens
    )
    en_hits = sum(t in _ENGLISH_CUES for t in tokens)
    if id_hits == en_hits:
        return default
    return "id" if id_hits > en_hits else "en"


@lru_cache(maxsize=200_000)
def _stem(token: str, language: Language) -> str:
    if language == "en":
        return _ENGLISH.stemWord(token)
    if not _PLAIN.fullmatch(token):
        return token  # Sastrawi drops what is not a-z: "café" would be "caf", "мир" ""
    stemmer = _INDONESIAN()
    stem = stemmer.stem(token)
    if stem == token and not stemmer.delegatedStemmer.dictionary.contains(token):
        formal = _formal(token)  # a chat form the dictionary does not know
        formal_stem = stemmer.stem(formal) if formal != token else token
        if stemmer.delegatedStemmer.dictionary.contains(formal_stem):
            return formal_stem
    return stem or token


def _formal(token: str) -> str:
    """The standard form of a colloquial verb: "ngurusin" is "mengurusikan" (stemmed as
    "urus"), "nyediain" "menyediakan", "resmiin" "resmikan"."""
    if _CHAT_PREFIX.match(token):
        token = "me" + token
    return token[:-2] + "kan" if token.endswith("in") and len(token) > 5 else token


_CHAT_PREFIX = re.compile(r"^n[gy]?[aiueo]")  # "nyediain", "ngurusin", "nanggung"
_PLAIN = re.compile(r"[a-z]+(?:-[a-z]+)*")


@lru_cache(maxsize=1)
def _INDONESIAN():  # noqa: N802 - a constant, made on first use
    """Sastrawi's dictionary stemmer (Nazief-Adriani): it knows the root a prefix hides,
    where Snowball's rules cut letters off it ("menilai" -> "ila", "penilaian" -> "ilai",
    "menerima" -> "erima"); so "penilaian" and "menilai" now meet at "nilai"."""
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    return StemmerFactory().create_stemmer()


def tokenize(text: str, language: Language, *, question: bool = False) -> list[str]:
    """Content tokens for keyword search: stopwords dropped, words stemmed per language.

    `question=True` drops the stopwords of both languages (see `_QUESTION_STOPWORDS`).
    """
    stopwords = _QUESTION_STOPWORDS if question else _STOPWORDS[language]
    return _stems(words(text), stopwords, language)


def _stems(tokens: list[str], stopwords: frozenset[str], language: Language) -> list[str]:
    out = []
    for token in tokens:
        if token in stopwords or (len(token) == 1 and not token.isdigit()):
            continue
        out.append(token if token[0].isdigit() else _stem(token, language))
    return out


def split_sentences(text: str) -> list[str]:
    """Split a paragraph into sentences, keeping abbreviations and decimals intact."""
    parts = _SENTENCE_END.split(" ".join(text.split()))
    # re.split keeps the captured end punctuation as every second item: glue it back.
    sentences = [body + end for body, end in zip(parts[::2], parts[1::2] + [""])]
    return [s.strip() for s in sentences if s.strip()]


QuestionKind = Literal["time", "duration", "when", "how_many", "who", "where", "other"]

# A time of day ("jam berapa buka", "opening hours") is asked for by these nouns, before
# any question word: a date does not answer it.
_TIME_WORDS = frozenset("jam pukul hours".split())
# Question words decide first; nouns naming the kind of answer only when there is none:
# "target UMKM tahun pertama brp" asks how many, not when.
_KIND_WORDS: dict[QuestionKind, frozenset[str]] = {
    "when": frozenset("kapan kapankah when".split()),
    "how_many": frozenset("berapa berapakah how many much".split()),
    "who": frozenset("siapa siapakah who whom whose".split()),
    "where": frozenset("mana dimana dimanakah where".split()),
}
_KIND_NOUNS: dict[QuestionKind, frozenset[str]] = {
    "when": frozenset("tanggal date year tahun hari day".split()),
    "how_many": frozenset("jumlah luas biaya persen".split()),
    "where": frozenset("alamat address lokasi letak".split()),
}
_RANK_WORDS = frozenset("rank ranked ranking peringkat".split())
# A date noun asked with a question word asks for a date, whatever that word alone asks:
# "tgl brp", "tahun berapa", "hari apa", "what year", "which day".
_DATE_QUESTION = re.compile(r"\b(tanggal|tahun|hari) (berapa|apa)\b"
                            r"|\b(what|which) (date|year|day)s?\b")
# Words that only say which kind of answer is wanted, never what it is about: "mulai
# kapan" asks when, as "since when" does.
KIND_WORDS: dict[QuestionKind, frozenset[str]] = {
    **_KIND_NOUNS, "when": _KIND_NOUNS["when"] | frozenset("mulai sejak since start".split()),
    # The unit of a count: "brp orang" asks how many of what the rest of the question names.
    "how_many": _KIND_NOUNS["how_many"] | frozenset("orang people persons kali times".split()),
    # "siapa namanya", "siapa nama menteri ekraf": a name is what "who" asks for.
    "who": frozenset("nama namanya name names".split())}


# Words that only say what kind of answer is wanted ("alamat", "date"). The kind check
# rewards sentences holding such a thing, so these words must not also be looked for as
# content: "What is the address of X?" is answered by "X is at Jl. ...".
_CUE_WORDS = frozenset(
    "tanggal date dates year tahun jumlah number alamat address lokasi location letak lama waktu "
    "jam pukul hours "
    "long durasi duration "
    "located beralamat berlokasi terletak".split()
)


# The kinds of place a where-question asks for, which a place's name or a list of them answers.
PLACE_KINDS = frozenset("kota daerah wilayah tempat kabupaten city cities town towns region "
                        "regions place places area areas jalan street road kecamatan "
                        "kelurahan district part side bagian".split())
_STREET_QUESTION = re.compile(r"\b(jalan|jl|street|road|kecamatan|kelurahan|district) (apa|mana)\b"
                              r"|\b(what|which) (street|road|district|neighbou?rhood)\b"
                              r"|\b(what|which) (part|area|side) of\b")


def content_tokens(question: str, language: Language,
                   kind: QuestionKind | None = None) -> list[str]:
    """`tokenize` without the words that only name the kind of answer wanted; `kind` is
    the question's `question_kind`, when the caller has it already."""
    # The words are stemmed as they are, not joined and split again: lower-casing can
    # change how a word splits ("İ" becomes "i" and a combining dot).
    spelled = words(question)
    # "tempatnya di mana", "di kota mana": a where-question's kind of place is a cue too.
    where = (kind or question_kind(question)) == "where"
    places = PLACE_KINDS if where else frozenset()
    kept = [w for w in spelled if w not in _CUE_WORDS and w.removesuffix("nya") not in places]
    return _stems(kept, _QUESTION_STOPWORDS, language)


# Words that ask for a whole account of something (what its summary gives), not for a
# thing the documents must name: "sejarah hetero space", "andrie's background".
ACCOUNT_WORDS = frozenset(
    "sejarah awal asal usul latar belakang profil singkat lengkap dikit sedikit ringkas "
    "ringkasan ringkasin rangkuman rangkum rangkumin perjalanan kisah cerita gambaran "
    "history background story backstory profile brief briefly short journey".split())


# Question words that ask nothing: "whats her focus when it comes to AI" is no when-question.
_NOT_ASKING = re.compile(r"\bwhen it comes to\b|\bno matter (when|where|who)\b", re.IGNORECASE)


_QUESTION_WORDS = frozenset().union(*_KIND_WORDS.values()) | frozenset(
    "apa apakah bagaimana mengapa kenapa what which how why".split())


def names_no_question_word(question: str) -> bool:
    """Whether a question holds no question word ("and the solo one?", "kalo swastanya?"):
    a follow-up that asks again what was asked before."""
    return not set(words(question)) & _QUESTION_WORDS


# "di gedung mana" asks where, as "di kota mana" does.
_VENUES = frozenset("gedung building venue".split())


def _asks_where(spelled: list[str]) -> bool:
    """Whether a "mana" asks where: "di mana", "mana alamatnya", "kota mana"; after another
    noun it asks which ("kampus mana", "startup mana")."""
    return any(word == "mana" and (
        not position or spelled[position - 1] in ("di", "ke", "dari")
        or spelled[position - 1].removesuffix("nya") in PLACE_KINDS | _VENUES)
        for position, word in enumerate(spelled))


def question_kind(question: str) -> QuestionKind:
    """What sort of answer a question wants, from its question words (else its nouns)."""
    spelled = words(_NOT_ASKING.sub(" ", question))
    tokens = set(spelled)
    if _DATE_QUESTION.search(" ".join(spelled)) and not tokens & _TIME_WORDS:
        return "when"
    if _STREET_QUESTION.search(" ".join(spelled)):
        return "where"  # "di jalan apa": an address
    if tokens & _TIME_WORDS or {"what", "time"} <= tokens:
        return "time"
    if ("lama" in tokens and tokens & _KIND_WORDS["how_many"]) or {"how", "long"} <= tokens:
        return "duration"  # "berapa lama", "how long": a figure with its unit of time
    # A kind noun before a number gives it, not asks it: "thn 2021 jabatannya apa".
    nouns = {w.removesuffix("nya") for w, after in zip(spelled, [*spelled[1:], ""], strict=False)
             if not after[:1].isdigit()}
    if _WHICH_HOLDER.search(" ".join(spelled)):
        return "who"  # "which minister is backing it", "perusahaan mana": a name
    if "mana" in tokens and not _asks_where(spelled):
        tokens = tokens - {"mana"}  # "kampus mana": which university, not where
    if tokens & _RANK_WORDS:
        tokens = tokens - _KIND_WORDS["where"]  # "where did it rank": a place in a ranking
    for cues, found in ((_KIND_WORDS, tokens), (_KIND_NOUNS, nouns)):
        for kind, cue in cues.items():
            if found & cue and not (kind == "how_many" and "how" in tokens
                                     and not {"many", "much"} & tokens):
                return kind
    if _PLACE_CHECKED.search(" ".join(spelled)):
        return "where"  # "hetero fest 2025 diadain di semarang kan": where it was, then
    return "other"


# "Which" of people, posts or bodies asks for a name, as "who" does.
_HOLDER_WORDS = frozenset(
    "minister ministers ministry person people company companies firm firms organisation "
    "organization official officials governor director founder menteri kementerian "
    "perusahaan lembaga instansi tokoh pejabat gubernur direktur pendiri organisasi".split())
_HOLDERS = "(?:" + "|".join(sorted(_HOLDER_WORDS)) + ")"
_WHICH_HOLDER = re.compile(r"\b(?:which|what)\s+(?:\w+\s+)?" + _HOLDERS + r"\b"
                           r"|\b" + _HOLDERS + r"\s+(?:\w+\s+)?mana\b")
# A yes/no question about where something is or was: "... di semarang kan", "... in jakarta
# right", answered by the place the documents give.
_PLACE_CHECKED = re.compile(r"\b(?:di|in|at)\s+\w+(?:\s+\w+)?\s+(?:kan|bukan|right)$")


_MONTHS = (
    "januari februari maret april mei juni juli agustus september oktober november desember "
    "january february march may june july august october december jan feb mar apr jun jul "
    "aug sep sept oct nov dec"
).split()
# A year (of any century: IDK-MRC's "kapan" questions go back to 1511), a month, a century
# or an era: what a when-question may be answered with.
_DATE = re.compile(r"\b1\d\d\d\b|\b20\d\d\b|\b(?:tahun|year) \d{1,4}\b"
                   r"|\b\d+(?:st|nd|rd|th) (?:anniversary|[A-Z]\w+ Day)\b"
                   r"|\b(?:HUT|Hari \w+) ke-\d+"
                   r"|\b(" + "|".join(_MONTHS) + r"|abad|century|centuries|masehi|dekade"
                   r"|decade|era|zaman|masa)\b", re.IGNORECASE)
_NUMBER = re.compile(r"\d")
# A name of two or more capitalised words; an acronym may be one ("Menteri PANRB Rini").
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+(?:\s+(?:[A-Z][a-z]+|[A-Z]{2,}\b))+")
# A name opening a sentence is often no person ("Menurut Kemenekraf"), unless what follows
# the comma says who it is: "Sandiaga Uno, menteri terakhir Kemenparekraf, ...".
_INTRODUCED = re.compile(
    r"^[A-Z][a-z]+(?:\s+[A-Z][a-z]+)+(?=,\s+(?:the\s+|a\s+|an\s+|sang\s+)?(?:former\s+|mantan\s+)?"
    r"(?:menteri|minister|wakil|deputy|gubernur|governor|ketua|chair|kepala|head|direktur"
    r"|director|pendiri|founder|co-founder|presiden|president|wali|mayor|bupati|regent"
    r"|manajer|manager|arsitek|architect|seniman|artist|desainer|designer|pengembang|developer"
    r"|pejabat|official|anggota|member|tokoh|pengusaha|entrepreneur)\b)")
# A person's name: two or more capitalised words, not opening with a place, a title or a
# body ("Irfan Bahtiar", "John de Vries"; not "Jawa Tengah", "Kementerian Ekraf").
PERSON_NAME = (r"(?!(?:Jawa|Central|Tengah|Java|Jakarta|Semarang|Solo|Banyumas|Surakarta"
               r"|Indonesia|Hetero|Kementerian|Ministry|Komisi|Badan|Dinas|Gubernur|Governor"
               r"|Menteri|Minister|Wakil|Deputy|Kepala|Head|Ketua|Chair|Direktur|Director"
               r"|Presiden|President)\b)[A-Z][^\W\d_]+(?:\s+(?:(?:de|van|von|bin|binti|al|el)\s+)?"
               r"[A-Z][^\W\d_]+)+")


# A name said to act or to hold a post answers "who" fully; any other name ("Peresmian
# Hetero Space Semarang dibarengi dengan Hetero Fest") only partly.
_AGENT = re.compile(
    r"\b(?:oleh|by|bersama|with|Gubernur|Governor|Menteri|Minister|Wakil|Deputy|Wali Kota"
    r"|Mayor|Bupati|Regent|Kepala|Head|Ketua|Chair|Chairman|Direktur|Director|Presiden"
    r"|President|pendiri|founder|founders|co-founder|CEO|arsitek|architect|Manager|manajer"
    r"|penggagas|dipimpin|didampingi|led|leads|headed)\s+(?:(?:[a-z]+|[A-Z][\w.-]*)\s+){0,4}?"
    r"[A-Z][a-z]+")
# A street address; in lower case "jalan" is only a road ("simpang jalan": a crossroads).
_PLACE = re.compile(r"\bJl\.|\bJalan [A-Z]|\b[A-Z]\w+ (?:Street|Road)\b|\bNo\. ?\d")

# A named place a thing is in, at or from ("di Semarang", "in Malang"): where, if no address.
_IN_PLACE = re.compile(r"\b(?:di|ke|dari|in|at|from) (?:[a-z-]+ ){0,4}[A-Z][a-z]+(?: [A-Z][a-z]+)*")
_ANY_PLACE = re.compile(f"{_PLACE.pattern}|{_IN_PLACE.pattern}")

_CLOCK = re.compile(r"\b\d{1,2}[.:]\d{2}\b|\bpukul \d|\b\d{1,2} ?[ap]\.?m\b", re.IGNORECASE)

_NUMBER_WORDS = (r"satu|dua|tiga|empat|lima|enam|tujuh|delapan|sembilan|sepuluh|sebelas|puluhan"
                 r"|ratusan|ribuan|one|two|three|four|five|six|seven|eight|nine|ten|eleven"
                 r"|twelve|dozens|hundreds|thousands")
_COUNTED = re.compile(r"\b(?:" + _NUMBER_WORDS + r"|(?!(?:19|20)\d\d\b)\d[\d.,]*)"
                      r"\s+((?:[\w-]+\s+)?[\w-]+)",
                      re.IGNORECASE)


_ONE_OF = re.compile(r"\b(?:salah satu|one of)\b", re.IGNORECASE)  # names one, counts none


# A count of people is asked for ("brp org", "how many people"); the nouns that count them.
_PEOPLE_UNITS = frozenset("orang people persons".split())
_PEOPLE = frozenset(
    "orang people persons person anggota member members kolaborator collaborators peserta "
    "participants pengunjung visitors penerima beneficiaries pendaftar applicants registrants "
    "pendiri founders ibu mothers moms emak wirausaha entrepreneurs mentor mentors pemuda anak "
    "karyawan staf staff pegawai employees mahasiswa students siswa pelajar warga residents "
    "penduduk jiwa inhabitants pemain players atlet athletes tentara soldiers prajurit pasukan "
    "korban victims penonton spectators pekerja workers petani farmers guru teachers crew "
    "astronauts passengers penumpang awak".split())


def counted(sentence: str, language: Language) -> frozenset[str]:
    """The stems of what a sentence counts: the word or two after each number ("Ten
    local communities", "tiga lokasi", "2.000 pendaftar")."""
    sentence = _ONE_OF.sub(" ", _NOT_COUNTS.sub(" ", sentence))
    return frozenset(t for match in _COUNTED.finditer(sentence)
                     for t in tokenize(match.group(1), language))


_YEAR_LIKE = re.compile(r"(?:19|20)\d\d")
_CARDINAL = re.compile(r"(?!(?:19|20)\d\d$)\d[\d.,%]*|(?:" + _NUMBER_WORDS + r")$")


# Words a count is written with either way ("231 kegiatan" answers "brp acara").
_COUNTED_ALIKE = (frozenset("acara kegiatan".split()), frozenset("event events activities".split()))


def counts_near(sentence: str, units: Sequence[str], language: Language) -> bool:
    """Whether a number in `sentence` counts one of `units`: a unit is within two words
    before or four after it, small words aside ("tiga ruang rapat", "dikelompokkan ke
    dalam empat klaster"; "rasio ... naik menjadi 3,21%" counts no rooms). Ordinals count
    nothing ("the second floor"), nor the days of dates."""
    alike = set(units).union(*(group for group in _COUNTED_ALIKE if group & set(units)))
    stems = set(tokenize(" ".join(alike), language))
    stop = STOPWORDS_ID if language == "id" else STOPWORDS_EN_ALL
    spelled = [w for w in words(_ONE_OF.sub(" ", _NOT_COUNTS.sub(" ", sentence)))
               if w not in stop or _CARDINAL.match(w)]
    for position, word in enumerate(spelled):
        if _YEAR_LIKE.fullmatch(word):
            # "attended by 2000 guests": a year only when the unit follows it.
            around = spelled[position + 1:position + 2]
        elif _CARDINAL.match(word):
            around = spelled[max(0, position - 2):position] + spelled[position + 1:position + 5]
        else:
            continue
        said = tokenize(" ".join(around), language)
        if any(_same_stem(stem, token) for token in said for stem in stems):
            return True
    return False


def _same_stem(one: str, other: str) -> bool:
    """Equal stems, or one of six letters or more beginning the other: the stemmer leaves
    "programmes" as "programm" and "programs" as "program"."""
    shorter, longer = sorted((one, other), key=len)
    return shorter == longer or (len(shorter) >= 6 and longer.startswith(shorter))


_DURATION = re.compile(
    r"(?:\b(?:" + _NUMBER_WORDS + r"|\d+(?:[.,]\d+)?)[\s-]*|\bse)"
    r"(?:hari|minggu|pekan|bulan|tahun|jam|menit|days?|weeks?|months?|years?|hours?|minutes?)\b",
    re.IGNORECASE)

_KIND_PATTERNS = {"time": _CLOCK, "duration": _DURATION, "when": _DATE, "how_many": _NUMBER,
                  "who": _NAME, "where": _PLACE}


# Capitalised only: "minggu" is also a week.
_WEEKDAY = re.compile(r"\b(Senin|Selasa|Rabu|Kamis|Jumat|Jum'at|Sabtu|Minggu|Ahad|Monday|Tuesday"
                      r"|Wednesday|Thursday|Friday|Saturday|Sunday)\b")
_DAY_OF_MONTH = re.compile(r"\b\d{1,2}(?:[–-]\d{1,2})? (" + "|".join(_MONTHS) + r")\b"
                           r"|\b\d{1,2}/\d{1,2}/(?:19|20)?\d\d\b", re.IGNORECASE)
_FULL_DATE = re.compile(
    r"\b\d{1,2}(?:[–-]\d{1,2})? (" + "|".join(_MONTHS) + r")\b"
    r"|\b(akhir|awal|pertengahan|end of|beginning of|start of|middle of|mid-)\s?(tahun )?(19|20)\d\d",
    re.IGNORECASE,
)
_COUNT = re.compile(
    # A year is no count, at the end of a sentence too ("... September 2025.").
    r"(?<![\d.,])(?!(?:19|20)\d\d(?!\d|[.,]\d))\d[\d.,]*"
    r"|\b(" + _NUMBER_WORDS +
    # ordinals answer "yang ke berapa?" / "which site was it?"
    r"|pertama|kedua|ketiga|keempat|kelima|first|second|third|fourth|fifth)\b"
    # a roman numeral of a name answers "komisi brp": "Komisi X"
    r"|(?-i:\b[A-Z][a-z]+\s+[IVX]{1,4}\b)",
    re.IGNORECASE,
)


# What answers "yang ke berapa?": an ordinal, not a count.
_ORDINAL = re.compile(r"\b(?:pertama|kedua|ketiga|keempat|kelima|keenam|ketujuh|first|second"
                      r"|third|fourth|fifth|sixth|seventh|ke-\d+)\b", re.IGNORECASE)
# Numbers that count nothing: the days of a date ("26–27 September 2025") and a street
# number ("Jl. Gatot Subroto No. 75") do not answer "brp agenda" or "how many sites".
_NOT_COUNTS = re.compile(_FULL_DATE.pattern + r"|\bNo\. ?\d+", re.IGNORECASE)


# A price or cost is asked for: only an amount of money answers it, not a count.
PRICE_WORDS = frozenset("harga biaya tarif ongkos bayar sewa anggaran dana price prices cost costs "
                        "fee fees rent budget funding funds".split())
_SHARE_WORDS = frozenset("persen persentase percent percentage share proporsi".split())
_MONEY = re.compile(r"\bRp ?\d|\brupiah\b|\bUS\$|\$ ?\d|\b(?:IDR|USD) ?\d")


def asks_price(asked: frozenset[str] | set[str]) -> bool:
    """Whether a how-many question's words ask an amount of money ("brp biaya", "anggaran
    per tahun"), not a share of one ("berapa persen anggaran")."""
    return bool(asked & PRICE_WORDS) and not asked & _SHARE_WORDS


# "first" mostly ranks ("the first black metal group", "pertama kali"), so it is left out.
_ORDINAL_WORDS = {"kedua": 2, "ketiga": 3, "keempat": 4, "kelima": 5, "keenam": 6,
                  "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6}
# "the 3rd function", "topic no. 3", "nomor 3", "ke-3"
_NUMBERED = re.compile(r"\b(\d) (?:st|nd|rd|th)\b|\b(?:no|nomor|number|ke) (\d)\b")


def ordinals(text: str) -> frozenset[int]:
    """The places in an order a text names, of a thing ("topik kedua", "the third
    function", "the 3rd", "topic no. 3"); not of a time ("untuk kedua kalinya")."""
    spelled = words(text)
    placed = [_ORDINAL_WORDS[w] for i, w in enumerate(spelled) if w in _ORDINAL_WORDS
              and spelled[i + 1:i + 2] not in (["kali"], ["kalinya"], ["time"], ["times"])
              and (not w.startswith("ke") or _after_noun(spelled, i))]
    numbered = [int(a or b) for a, b in _NUMBERED.findall(" ".join(spelled))]
    return frozenset(placed + numbered)


def _after_noun(spelled: list[str], position: int) -> bool:
    """Whether an Indonesian ordinal follows what it orders ("topik kedua", "yang ketiga"):
    before a noun it counts ("ketiga hetero space" is all three of them)."""
    before = spelled[position - 1] if position else ""
    return before == "yang" or (bool(before) and before not in STOPWORDS_ID)


# "kota mana aja", "siapa saja", "list ...": a list is asked for.
_ASKS_LIST = re.compile(r"\b(?:apa|siapa|mana)\s+saja\b|\bwho\s+all\b|\blist\b")
_LISTED = re.compile(r",\s|\s(?:dan|serta|and)\s")


def asks_list(question: str) -> bool:
    """Whether a question asks for several things ("HFS season 3 ada di kota mana aja")."""
    return bool(_ASKS_LIST.search(" ".join(words(question))))


def lists(sentence: str) -> bool:
    """Whether a sentence names three things or more: two commas or "dan" between them."""
    return len(_LISTED.findall(sentence)) >= 2


def fits_kind(sentence: str, kind: QuestionKind, asked: frozenset[str] = frozenset()) -> float:
    """How well a sentence holds the kind of thing asked for: 0, partly, or 1.

    For "when", a day and month (or "end of 2025") is a full answer and a bare year only part
    of one; for "how many", a year is only part of an answer. A name or figure the question
    itself holds (`asked`, its words) answers nothing: "Hetero Space Banyumas" does not answer
    "who designed Hetero Space Banyumas?", nor the "3" of "Season 3" "how many ... Season 3?".
    """
    if kind == "when" and ({"hari", "apa"} <= asked or {"what", "day"} <= asked):
        # "hari apa?" asks for the day of the week: "Sabtu", not only "8 November 2025".
        return 1.0 if _WEEKDAY.search(sentence) else 0.5 * bool(_FULL_DATE.search(sentence))
    if kind == "when" and ({"tanggal"} & asked or {"date", "dates"} & asked):
        # "tgl brp" asks for the day of a month: "8 November 2025", not "akhir 2025".
        return 1.0 if _DAY_OF_MONTH.search(sentence) else 0.5 * bool(_DATE.search(sentence))
    if kind == "when" and _FULL_DATE.search(sentence):
        return 1.0
    if kind == "how_many" and ("keberapa" in asked or {"ke", "berapa"} <= asked):
        # "lokasi ke berapa" asks for a place in an order: "ketiga", not "tiga lokasi".
        return 1.0 if _ORDINAL.search(sentence) else 0.5 * bool(_NUMBER.search(sentence))
    if kind == "how_many" and asked & _PEOPLE_UNITS:
        # "brp org": a count of people ("250 kolaborator", "30 to 50 thousand inhabitants"),
        # not of provinces.
        # "Salah satu acara Emak-Emak Metik" counts no mothers.
        spelled = words(_ONE_OF.sub(" ", _NOT_COUNTS.sub(" ", sentence)))
        return float(any(_COUNT.fullmatch(word) and set(spelled[i + 1:i + 4]) & _PEOPLE
                         for i, word in enumerate(spelled)))
    if kind == "how_many" and asks_price(asked):
        return float(bool(_MONEY.search(sentence)))  # "brp biaya": an amount of money
    if kind == "how_many":
        sentence = _NOT_COUNTS.sub(" ", sentence)  # a date or "No. 75" of a street is no figure
        if _new(_COUNT, sentence, asked):
            return 1.0
    if kind == "who" and _new(_INTRODUCED, sentence, asked):
        return 1.0  # "Sandiaga Uno, menteri terakhir Kemenparekraf, ..."
    pattern = _KIND_PATTERNS.get(kind)
    if kind == "where":
        pattern = _ANY_PLACE
    if not (pattern and _new(pattern, sentence, asked)):
        return 0.0
    if kind == "who" and (holders := asked & _HOLDER_WORDS):
        # "sama kementerian mana", "which minister": a name of that kind ("Kementerian
        # Dalam Negeri", "Minister Teuku Riefky Harsya") is the full answer.
        return 1.0 if any(re.search(r"\b" + h.capitalize() + r"\s+[A-Z]", sentence)
                          for h in holders) else 0.5
    if kind == "who":
        return 1.0 if _new(_AGENT, sentence, asked) else 0.5
    if kind == "where":
        return 1.0 if _new(_PLACE, sentence, asked) else 0.5 * _new(_IN_PLACE, sentence, asked)
    return 0.5 if kind in ("when", "how_many") else 1.0


def _new(pattern: re.Pattern[str], sentence: str, asked: frozenset[str]) -> bool:
    """Whether `pattern` finds something in `sentence` that is not all words of `asked`."""
    return any(not set(words(m.group())) <= asked for m in pattern.finditer(sentence))


# Overview questions ask what (or who) something is as a whole, in any of these shapes.
_FILLER = (r"(?:\s+(?:sih|dong|donk|deh|ya|nih|kak|min|sebenarnya|itu|saja|to me|please|pls"
           r"|all about|exactly|actually|really|thing|stuff|ceritakan|jelaskan|terangkan))*")
_KIND_OF_WORDS = frozenset(
    "acara tempat perusahaan komunitas lembaga organisasi program inisiatif gerakan platform "
    "startup badan instansi kementerian usaha proyek aplikasi event company app lomba "
    "kompetisi penghargaan ajang festival forum kegiatan kawasan dewan gedung bangunan award "
    "competition institution agency place thing".split())
_KIND_OF = "(?:" + "|".join(sorted(_KIND_OF_WORDS)) + ")"
_OVERVIEW = [re.compile(p) for p in (
    r"^(?:apa|apakah|siapa|siapakah)(?:\s+(?:itu|sih|sebenarnya))+\s+(?P<x>.+?)" + _FILLER + "$",
    r"^(?:siapa|siapakah)\s+(?P<x>.+?)" + _FILLER + "$",
    # What kind of thing X is ("plaiground tuh acara apa?", "impala itu perusahaan apa
    # komunitas?") is what it is.
    # ... or one of several kinds ("plaiground itu aplikasi, event, ato apa sih").
    r"^(?P<x>.+?)\s+itu\s+(?:sebenarnya\s+)?(?:sebuah\s+)?" + _KIND_OF + r"(?:\s+(?:atau\s+)?(?:apa|" + _KIND_OF
    + "))+" + _FILLER + "$",
    # What X is for ("hetero space tuh sebenernya buat apa sih") is what it is.
    r"^(?P<x>.+?)\s+(?:itu\s+)?(?:sebenarnya\s+)?(?:buat|untuk)\s+apa" + _FILLER + "$",
    # "plaiground tuh programnya kyk apa": what X is like is what it is.
    r"^(?P<x>.+?)\s+(?:itu\s+)?(?:\w+nya\s+)?seperti\s+apa" + _FILLER + "$",
    # What X means is what it is ("maksudnya PL(AI)GROUND apa").
    r"^(?:maksud|maksudnya)\s+(?P<x>.+?)\s+(?:itu\s+)?apa" + _FILLER + "$",
    r"^(?P<x>.+?)\s+(?:itu|adalah)?\s*(?:apa|siapa)" + _FILLER + "$",
    r"^what\s+(?:kind|sort|type)\s+of\s+\w+\s+(?:is|are)\s+(?:the\s+)?(?P<x>.+?)" + _FILLER + "$",
    # What X does is what it is ("kemenekraf tuh ngapain aja", "what does Impala do").
    r"^(?P<x>.+?)\s+(?:itu\s+)?(?:ngapain|ngapa)" + _FILLER + "$",
    r"^what\s+(?:does|do)\s+(?:the\s+)?(?P<x>.+?)\s+(?:actually\s+|really\s+)?do" + _FILLER + "$",
    r"^(?:can|could)\s+you\s+tell\s+me\s+(?:about\s+|what\s+|who\s+)(?:the\s+)?(?P<x>.+?)"
    r"(?:\s+(?:is|are))?" + _FILLER + "$",
    r"^(?:(?:tolong|kasih|beri|berikan|minta|bisa|boleh)\s+)*(?:ceritakan|jelaskan"
    r"|terangkan|info|informasi|kenalin|kenalkan|perkenalkan|ringkasan|gambaran|penjelasan"
    r"|(?:mau|ingin|pengen)\s+(?:tau|tahu))(?:\s+(?:singkat|umum|lengkap|sedikit|dikit))?"
    + _FILLER + r"(?:\s+(?:tentang|mengenai|soal|seputar))?\s+(?P<x>.+?)" + _FILLER + "$",
    r"^what\s+(?:is|s)\s+(?:the\s+deal|up)\s+with\s+(?:the\s+)?(?P<x>.+?)" + _FILLER + "$",
    r"^(?:what|who)(?:\s+or\s+(?:what|who))?(?:\s+(?:exactly|actually|really))?\s+(?:is|are|was|s)\s+(?:the\s+)?(?P<x>.+?)"
    + _FILLER + "$",
    # "is X some kind of AI startup?", "apakah X itu semacam startup": what X is.
    r"^(?:is|are)\s+(?P<x>.+?)\s+(?:(?:a|an|some)\s+(?:kind|sort|type)\s+of|a|an)"
    r"\s+\w+(?:\s+\w+)?" + _FILLER + "$",
    r"^(?:apakah\s+)?(?P<x>.+?)\s+(?:itu\s+)?(?:semacam|sejenis|sebuah|termasuk)"
    r"\s+\w+(?:\s+\w+)?" + _FILLER + "$",
    # "give me a quick summary of X", "quick rundown of X pls": what X is.
    r"^(?:(?:can\s+you\s+|could\s+you\s+)?(?:give|send|tell)\s+me\s+)?(?:a\s+|an\s+)?"
    r"(?:quick\s+|short\s+|brief\s+)?(?:summary|overview|rundown|intro|introduction)\s+"
    r"(?:of|on|about)\s+(?:the\s+)?(?P<x>.+?)" + _FILLER + r"(?:\s+(?:pls|plz|please))?$",
    # "apa yang dimaksud dengan X", "apa pengertian X": what X is.
    r"^(?:apa|apakah)\s+(?:yang|yg)\s+dimaksud(?:kan)?\s+(?:dengan\s+)?(?P<x>.+?)" + _FILLER
    + "$",
    r"^(?:apa|apakah)\s+(?:pengertian|definisi)\s+(?:dari\s+)?(?P<x>.+?)" + _FILLER + "$",
    r"^(?:what\s+do\s+you\s+know\s+about|tell\s+me(?:\s+more|\s+a\s+(?:little\s+)?bit"
    r"|\s+a\s+little|\s+something)?\s+about|info\s+about"
    r"|(?:i\s+)?(?:want|would\s+like|d\s+like)\s+to\s+know(?:\s+more)?\s+about"
    r"|explain|describe|(?:an\s+)?overview\s+of|summary\s+of)\s+(?:the\s+)?(?P<x>.+?)"
    + _FILLER + "$",
)]


# Words asking what a short form stands for: "plaiground tuh singkatan dr apa" asks that,
# not what PL(AI)GROUND is.
EXPANSION_WORDS = frozenset("singkatan kepanjangan kependekan abbreviation acronym "
                            "stands".split())


_FACT_KINDS = ("time", "duration", "when", "how_many", "where")


def overview_subject(question: str) -> str | None:
    """What an overview question ("apa itu X", "X itu apa", "ceritakan tentang X", "what is
    X", "tell me about X", "explain X") asks about, as lower-case words; else None."""
    if EXPANSION_WORDS & set(words(question)):
        return None
    if question_kind(question) in _FACT_KINDS:
        return None  # "emak2 metik yg di yogyakarta diadainnya hari apa" asks a day
    if earlier := pointed_clause(question):
        # "temenku kerja di impala network, itu sebenernya apaan ya": what the clause
        # before named last, after its preposition.
        spelled = " ".join(words(earlier))
        named = _PAST_PREPOSITION.sub("", spelled)
        return named if named != spelled else None
    subject = _overview_subject(question)
    if _points_back_only(subject):
        subject = None
    if subject is None and "," in question:
        # "im a freelancer in central java, what is hetero space exactly": the question is
        # the last clause; the first when the last asks nothing ("irfan bahtiar siapa ya,
        # namanya muncul trs") or why ("ruko space tuh siapa, kok disebut2 pas peresmian").
        first, last = question.split(",", 1)[0], question.rsplit(",", 1)[1]
        subject = _overview_subject(last)
        said = words(last)
        if subject is None and (said[:1] in (["kok"], ["kenapa"], ["mengapa"], ["why"]) or (
                names_no_question_word(last) and said[-1:] not in _YES_NO_TAGS)):
            subject = _overview_subject(first)
            subject = None if _points_back_only(subject) else subject
    return subject


def clause_subjects(question: str) -> list[str]:
    """The overview subject of each clause of a question said in several, in order:
    "impala space itu apaan ya? kyknya ada di kota lama" asks what Impala Space is, and
    "... denger2 ada hetero space. itu sebenernya tempat apa" what Hetero Space is (a
    clause asking what "it" is asks about what the clause before it named)."""
    clauses = [c for c in _CLAUSE_BREAK.split(question) if words(c)]
    if len(clauses) < 2:
        return []
    subjects = []
    for position, clause in enumerate(clauses):
        before = clauses[position - 1] if position else ""
        if question_kind(clause) in _FACT_KINDS or EXPANSION_WORDS & set(words(clause)):
            continue
        if any(question_kind(later) in _FACT_KINDS for later in clauses[position + 1:]):
            continue  # "hetero space itu apa, kapan dibuka" asks a date
        subject = _overview_subject(_SECOND_QUESTION.sub("", " ".join(words(clause))))
        if _points_back_only(subject) and before:
            spelled = " ".join(words(before))
            subject = _PAST_PREPOSITION.sub("", spelled)
            subject = subject if subject != spelled else None
        if subject and not _points_back_only(subject):
            subjects.append(subject)
    return subjects


# Where one clause of a question ends: "?", "!", ";", ",", or a full stop before a word
# ("Vol. 4" and "No. 75" go on).
_CLAUSE_BREAK = re.compile(r"\s*[?!;,]+\s*|\.\s+(?=\D)|\s+-\s+")


def asks_what_it_is(question: str) -> bool:
    """Whether a question asks only what "it" is: "itu sebenernya tempat apa sih dan punya
    siapa", "what is it": a follow-up on what was named before."""
    return _points_back_only(_overview_subject(_SECOND_QUESTION.sub("", " ".join(words(question)))))


def pointed_clause(question: str) -> str | None:
    """The clause before the last when the last asks what "it" is ("td lewat hetero space
    semarang, itu tempat apaan ya"): the clause naming what is asked about; else None."""
    if "," not in question:
        return None
    before, last = question.rsplit(",", 1)
    if not _points_back_only(_overview_subject(last)):
        return None
    return before.rsplit(",", 1)[-1]


def _points_back_only(subject: str | None) -> bool:
    """Whether an overview subject is only "it", "itu", "itu tempat": what was named before."""
    return bool(subject) and set(words(subject)) <= _POINTING_BACK | _KIND_OF_WORDS | {
        "sebenarnya", "sih"}


# Up to the last preposition of a clause: "temenku kerja di impala network" names Impala
# Network.
_PAST_PREPOSITION = re.compile(
    r"^.*\b(?:di|ke|dari|tentang|soal|sama|ada|at|in|about|of|for|with)\s+")


# The words that end a yes/no question ("ada event nya ga"): ga, gak, nggak read "tidak".
_YES_NO_TAGS = (["tidak"], ["belum"], ["kah"], ["bukan"], ["ya"])


def compared_subjects(question: str) -> tuple[str, str] | None:
    """The two things a comparison asks about ("bedanya hetero space sm impala space apa",
    "kemenekraf sm komdigi bedanya apa", "difference between X and Y"), as lower-case
    words; else None. What each one is answers it."""
    text = _GREETING.sub("", " ".join(words(question)))
    for pattern in _COMPARISON:
        match = pattern.match(text)
        if match and match["x"].strip() and match["y"].strip():
            return match["x"].strip(), match["y"].strip()
    return None


_AND = r"\s+(?:sama|dengan|dan|vs|versus|and|with|or|atau)\s+"
_COMPARISON = [re.compile(p) for p in (
    r"^(?:apa\s+)?(?:bedanya|perbedaan|perbedaannya|beda)\s+(?:antara\s+)?(?P<x>.+?)" + _AND
    + r"(?P<y>.+?)(?:\s+(?:itu\s+)?apa)?" + _FILLER + "$",
    r"^(?P<x>.+?)" + _AND + r"(?P<y>.+?)\s+(?:itu\s+)?(?:bedanya|beda|perbedaannya|perbedaan)"
    r"(?:\s+(?:apa|tidak|nggak|ga))?(?:\s+sih|\s+ya|\s+bingung|\s+saja)*$",
    r"^(?:what\s+is\s+|what\s+s\s+)?(?:the\s+)?difference\s+between\s+(?:the\s+)?(?P<x>.+?)"
    + _AND + r"(?:the\s+)?(?P<y>.+?)" + _FILLER + "$",
    r"^how\s+is\s+(?:the\s+)?(?P<x>.+?)\s+different\s+from\s+(?:the\s+)?(?P<y>.+?)" + _FILLER
    + "$",
)]


def _overview_subject(question: str) -> str | None:
    text = _GREETING.sub("", " ".join(words(question)))
    for pattern in _OVERVIEW:
        match = pattern.match(text)
        if match and match["x"].strip():
            subject = _SECOND_QUESTION.sub("", _MEANT_BY.sub("", match["x"])).strip()
            if _NOT_A_SUBJECT.search(subject):
                return None  # "di hetero solo ada ruang apa aja" asks what it has
            return subject or None
    return None


# "siapa namanya", "who is she": who the question before was about, not a thing of its own.
_POINTING_BACK = frozenset(
    "nama namanya dia ia beliau itu ini he she it they him her this that".split())
# A place or "ada" in what an "X apa" question asks of: a question about what X has.
_NOT_A_SUBJECT = re.compile(r"^(?:di|ke|dari|in|at)\s|\sada\s")


# A second question after the subject ("what's DEN and why does it keep coming up") or a
# way of telling it ("like im 5") is not part of the subject.
_SECOND_QUESTION = re.compile(
    r"\s+(?:(?:and|dan|terus|trus)\s+(?:punya\s+|milik\s+)?(?:why|how|what|who|when|where|kenapa|mengapa|apa"
    r"|bagaimana|siapa|kapan|would|could|can|should|will|is|does|do|apakah|bisa|cocok)\b.*"
    r"|like\s+(?:i\s+m|im|i\s+am|a|an)\b.*|in\s+simple\s+terms"
    r"|simply|in\s+short|secara\s+singkat|singkat\s+saja)$")


# What a visitor says before asking: "min mau nanya dong", "halo kak", "hi there".
_GREETING = re.compile(
    r"^(?:(?:halo|hallo|hai|hi|hello|hey|permisi|maaf|min|kak|gan|sis|bro|mas|mbak|there|so"
    r"|ok|okay|oh|jadi)\s+)*"
    r"(?:(?:saya\s+)?(?:mau|ingin|pengen|boleh)\s+(?:nanya|tanya|bertanya)"
    r"(?:\s+(?:dong|donk|nih|ya|kak|min|sih))*\s+)?")


# "siapa yang dimaksud X", "what is meant by X": what X is.
_MEANT_BY = re.compile(r"^(?:yang\s+|yg\s+)?(?:dimaksud|dimaksudkan)(?:\s+dengan)?\s+"
                       r"|^meant\s+by\s+")

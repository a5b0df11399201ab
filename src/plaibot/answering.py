"""Answer step: compose a cited answer from retrieved chunks, or refuse.

The default answerer is extractive: it quotes the sentences of the retrieved passages
that best cover the question, so it cannot say anything the documents do not say.
"""

from __future__ import annotations

import json
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from langchain_core.documents import Document

from plaibot.i18n import EXAMPLES, t
from plaibot.retrieval import Retrieval, ScoredChunk
from plaibot.splitting import chunk_sentences
from plaibot.text import (
    ACCOUNT_WORDS,
    EXPANSION_WORDS,
    KIND_WORDS,
    LANGUAGES,
    PERSON_NAME,
    PLACE_KINDS,
    PRICE_WORDS,
    STOPWORDS_EN_ALL,
    STOPWORDS_ID,
    Language,
    QuestionKind,
    asks_list,
    asks_price,
    content_tokens,
    counted,
    counts_near,
    detect_language,
    fits_kind,
    lists,
    names_no_question_word,
    ordinals,
    overview_subject,
    question_kind,
    tokenize,
    words,
)


@dataclass(frozen=True)
class Source:
    """A cited source: `number` is the `[n]` used in the answer text."""

    number: int
    title: str
    address: str
    date: str
    snippet: str
    score: float


@dataclass(frozen=True)
class Answer:
    """What the assistant says: the text, its sources, and whether it is grounded in them."""

    text: str
    sources: list[Source]
    language: Language
    grounded: bool
    confidence: float = 0.0
    passages: list[ScoredChunk] = field(default_factory=list, repr=False)

    @property
    def refused(self) -> bool:
        return not self.grounded


@dataclass(frozen=True)
class _Sentence:
    text: str
    chunk: ScoredChunk
    source_keys: tuple[str, ...]
    score: float
    coverage: float
    position: int  # index of the sentence within its chunk
    fits: float  # holds the kind of thing asked for (a date for "when", ...): 0..1
    passage_coverage: float  # share of question and context weight found in the chunk
    twin: str = ""  # the same sentence in the other language, where the documents give it


# Sentences in which the documents say they do not know something.
_UNKNOWN = re.compile(
    r"\b(belum|tidak) (diketahui|ditemukan|ada informasi)"
    r"|\bno information (was|is|has been) (found|available)|\bno source (gives|explains|names|states)"
    r"|\bnot (known|found)\b|\bunknown\b|\bare also unknown\b",
    re.IGNORECASE,
)
# Sentences that announce a disagreement; the claims follow in the same paragraph.
_DISAGREE = re.compile(
    r"berbeda(-beda)? antarsumber|dilaporkan berbeda|tidak seragam|(pun|juga) berbeda\.|"
    r"sources (disagree|differ|give different|describe)|\b(also )?differ\.|"
    r"reported differently|belum terkonfirmasi|not (been )?confirmed|unconfirmed|"
    r"tidak cocok|tidak (bisa|dapat) dicocokkan|do(es)? not (fit|match)|cannot be reconciled",
    re.IGNORECASE,
)


class ExtractiveAnswerer:
    """Quotes the best-covering sentences with `[n]` citations; refuses below a confidence.

    Confidence is how much of the question's weight (idf) the best sentence covers, blended
    with the dense similarity of its passage; `min_confidence` was calibrated so that
    in-scope golden questions pass and the tuning sets' questions asked against the
    ecosystem documents are refused.
    """

    def __init__(
        self,
        term_weight: Callable[[str], float],
        *,
        min_confidence: float = 0.48,
        max_sentences: int = 3,
        kind_bonus: float = 0.35,
        runner_up: float = 0.7,
        language_bonus: float = 0.5,
        dense_weight: float = 0.75,
        confidence_weights: tuple[float, float, float] = (0.25, 0.2, 0.55),
    ) -> None:
        self.term_weight = term_weight
        self.min_confidence = min_confidence
        self.max_sentences = max_sentences
        self.kind_bonus = kind_bonus  # pull towards sentences holding what was asked for
        self.runner_up = runner_up  # share of the best score another sentence needs
        self.language_bonus = language_bonus
        self.dense_weight = dense_weight  # paraphrases the stemmers cannot match
        # (passage coverage, sentence coverage, passage similarity): fitted per embedder,
        # see plaibot.embeddings.Calibration.
        self.confidence_weights = confidence_weights

    def answer(self, retrieval: Retrieval) -> Answer:
        """Answer `retrieval.question` from its passages, or refuse."""
        question, hits, language = retrieval.question, retrieval.passages, retrieval.language
        context, similarities = retrieval.context, retrieval.similarities
        named = [h for h in hits if h.named]
        if named:
            return self._overview(named, hits, language)
        kind = question_kind(question)
        if context and names_no_question_word(question) and kind == "other":
            kind = question_kind(context)  # "and the solo one?" asks what was asked before
        sentences = _in_language(self._rank_sentences(question, context, kind, hits, language,
                                                      similarities), language)
        entities = _named_entities(question, hits)
        if _unknown_sibling(question, hits):
            return refusal(language, 0.0, list(hits))
        # "perpres 199/2024 ditetapkan tgl brp" is not answered by the date of Perpres 200.
        sentences = [s for s in sentences if not _numbers_another(s.text, question)]
        if about_name := _about_name(question, sentences, language, entities):
            # "irfan bahtiar siapa", "DEN tuh lembaga apa": a name the documents use, with
            # no summary of its own, is answered by what they say it is.
            chosen = self._choose_in_order(about_name)
            text, sources = _cite(chosen)
            confidence = max(self.min_confidence, self._confidence(about_name[0]))
            return Answer(text, sources, language, True, confidence, list(hits))
        if entities:
            # A question about X is answered from what is said about X: "jam buka Hetero
            # Space Semarang" is not answered with the opening hours of Banyumas.
            # No sentence naming them all, the premise may be wrong ("plaiground tuh
            # programnya komdigi ya"): what is said about the most of them answers it.
            sentences = ([s for s in sentences if _mentions(s, entities)]
                         or _about_subject(sentences, entities, question))
        elif earlier := _named_entities(context, hits):
            # A follow-up that names nothing ("kalau yang di Semarang?") is first answered
            # from what is said about what the question before named; the answer to "hari
            # apa itu?" need not name it again, so nothing else is dropped.
            sentences.sort(key=lambda s: not _mentions(s, earlier))
        best = sentences[0] if sentences else None
        # The best-supported sentence in any language decides whether to answer; the
        # asker's language only decides which sentences are quoted.
        strongest = max(sentences[:20], key=self._confidence, default=None)
        confidence = self._confidence(strongest) if strongest else 0.0
        if best is None or strongest is None or confidence < self.min_confidence:
            return refusal(language, confidence, list(hits))
        if not _numbers_found(question, hits):
            # "hetero fest 2026 kapan", "hfs season 4": the documents know other years and
            # seasons of it, not this one.
            return refusal(language, confidence, list(hits))
        asked_words = _asked_words(question, entities, self.term_weight)
        asked = [word for word, is_verb in asked_words if not is_verb]
        # What is asked beyond the names must be named in a passage about them, in either
        # language: "brp hadiah HFS Season 3" (the passages about HFS give figures, none a
        # prize), "website resmi kemenekraf apa". A day or month checked need not be: the
        # date given answers the check.
        named = [word for word in asked if word not in _CHECKED_VALUES]
        if named and entities and not _passages_name(named, entities, hits):
            return refusal(language, confidence, list(hits))
        # Which sentence opens the answer: the one naming most of what is asked, its verb
        # too ("Who leads the ministry?" opens with "... leads the ministry as its minister").
        opening = [word for word, _ in asked_words]
        chosen = self._choose(sentences, kind, question, opening)
        if _language_of(chosen[0].chunk.document) == language:
            # An answer opened in the asker's language goes on in it.
            chosen = [c for c in chosen if _language_of(c.chunk.document) == language]
        if EXPANSION_WORDS & set(words(question)):
            # "menekraf singkatan apa": only a sentence spelling the short form out answers.
            spelled = [s for s in sentences if _spells_out(s.text, question)]
            if not spelled:
                return refusal(language, confidence, list(hits))
            chosen = [spelled[0], *(c for c in chosen if c is not spelled[0])]
        units = _counted_nouns(question, entities) if kind == "how_many" else []
        if units and entities and not _passages_name(units, entities, hits):
            # What is counted must itself be named: "luas gedung hetero banyumas brp meter"
            # is not answered by a count of its rooms.
            return refusal(language, confidence, list(hits))
        if units:
            counting = [s for s in sentences if _counts(s, units)]
            if not counting:
                return refusal(language, confidence, list(hits))
        priced_question = kind == "how_many" and asks_price(set(words(question)))
        priced = [w for w in asked if w not in PRICE_WORDS]
        if priced_question and priced and not any(c.fits and _says(c, priced) for c in chosen):
            # "harga coworking harian di hetero solo": the renovation's cost is no price
            # of a day's coworking.
            return refusal(language, confidence, list(hits))
        # A sentence about what the question names may say it in other words ("menerima
        # penghargaan" for "penyerahan award"); when it names nothing the documents know,
        # the date must be in the passage that covers the question best, or say it: a
        # forum's date does not answer "kapan RUU hak cipta disahkan".
        covering = max(chosen, key=lambda c: c.coverage)
        if (kind in (*_STRICT_KINDS, "how_many") or priced_question) and not any(
                c.fits and (entities or c.chunk is covering.chunk
                            or c.coverage >= 0.5 * covering.coverage) for c in chosen):
            # Only a time of day answers "jam berapa buka?": not the date it opened; only a
            # length of time "berapa lama?": not a count; only a date "kapan?"; only an
            # amount of money "brp biaya?".
            return refusal(language, confidence, list(hits))
        # Verbs too: "mentor" reads as a me- verb.
        roles = [w for w, _ in asked_words if w.removesuffix("nya") in _ROLES]
        if kind == "who" and roles and not any(_says(c, roles) == len(roles)
                                               and _names_holder(c, roles) for c in chosen):
            # Who holds a post is answered by a name said with that post: "ketua komisi VII
            # ... siapa" is not answered by the minister who met Komisi VII, nor "kelas
            # canva ... pematerinya siapa" by the programme naming the class.
            return refusal(language, confidence, list(hits))
        says_unknown = lambda c: (_UNKNOWN.search(c.text)  # noqa: E731
                                  and _speaks_of_what_is_asked(c, question, entities))
        unknown = next(filter(says_unknown, [strongest, *chosen]), None)
        if unknown and unknown.coverage >= max(c.coverage for c in chosen):
            # The documents say they do not know: a refusal, with their own words as reason,
            # quoted in the asker's language (or not at all).
            if _language_of(unknown.chunk.document) != language:
                unknown = next((s for s in sentences if says_unknown(s)
                                and _language_of(s.chunk.document) == language), None)
                if unknown is None:
                    return refusal(language, confidence, list(hits))
            text, sources = _cite([unknown])
            return Answer(f"{t('refusal', language)}\n\n{text}", sources, language, False,
                          confidence, list(hits))
        if any(_UNKNOWN.search(c.text) for c in chosen):
            # What the documents do not know answers only a question about that gap: "yg
            # dirikan impala space siapa" is not opened with "its current leader is unknown".
            chosen = self._choose([s for s in sentences if not _UNKNOWN.search(s.text)]
                                  or sentences, kind, question, opening)
        text, sources = _cite(chosen)
        return Answer(text, sources, language, True, confidence, list(hits))

    def _overview(self, named: list[ScoredChunk], hits: Sequence[ScoredChunk],
                  language: Language) -> Answer:
        """What X is, for "apa itu X" / "what is X": the opening summary of the document
        about X, in the asker's language when the documents have it in that language."""
        same = [h for h in named if _language_of(h.document) == language] or named
        summary = sorted(same, key=lambda h: h.document.metadata.get("chunk", 0))
        sentences = [
            _Sentence(text, hit, keys, 1.0, 1.0, position, 0.0, 1.0)
            for hit in summary
            for position, (text, keys) in enumerate(chunk_sentences(hit.document))
        ]
        # Two things compared ("bedanya X sm Y"): what each is, the first named first.
        abouts = list(dict.fromkeys(h.document.metadata.get("about") for h in same))
        if len(abouts) > 1:
            sentences.sort(key=lambda s: (s.position, abouts.index(
                s.chunk.document.metadata.get("about"))))
        sentences = sentences[: self.max_sentences]
        if not sentences:
            return refusal(language, 0.0, list(hits))
        text, sources = _cite(sentences)
        confidence = max(self.min_confidence, 0.45 + 0.55 * max(summary[0].dense, 0.0))
        return Answer(text, sources, language, True, confidence, list(hits))

    def _rank_sentences(
        self, question: str, context: str, kind: QuestionKind, hits: Sequence[ScoredChunk],
        asked_in: Language, similarities: Mapping[str, Sequence[float]],
    ) -> list[_Sentence]:
        ranked = []
        best_fused = max((h.score for h in hits), default=1.0) or 1.0
        for hit in hits:
            language = _language_of(hit.document)
            terms = self._weights(content_tokens(question, language, kind))
            context_terms = {
                term: 0.5 * weight
                for term, weight in self._weights(tokenize(context, language, question=True)).items()
                if term not in terms
            }
            parsed = _parse(hit.document, language)
            asked = frozenset(words(f"{question} {context}"))
            subject = set(content_tokens(overview_subject(question) or "", language))
            listed = asks_list(question)
            placed = ordinals(question)
            heading, passage = parsed.heading, parsed.tokens
            passage_coverage = _coverage({**context_terms, **terms}, passage, frozenset())
            # Passages in the asker's language win ties; mixed questions may need the other.
            same_language = self.language_bonus * (language == asked_in)
            # A summary restates facts that its document's sections give in detail: for a
            # question on one fact, the detailed sentence is the better quote.
            restated = _SUMMARY_PENALTY if hit.document.metadata.get("summary") else 0.0
            previous: frozenset[str] = frozenset()
            sentences = parsed.sentences
            similarity = similarities.get(hit.document.id or "", ())
            if len(similarity) != len(sentences):
                similarity = [0.0] * len(sentences)  # indexed before sentence vectors existed
            for position, (text, keys, tokens) in enumerate(sentences):
                # The heading and the sentence before say what "it" refers to: half credit.
                around = heading | previous
                previous = tokens.words
                coverage = _coverage(terms, tokens, around)
                if context_terms:
                    in_context = _coverage(context_terms, tokens, around)
                    coverage = 0.7 * coverage + 0.3 * in_context if terms else in_context
                fits = fits_kind(text, kind, asked)
                if subject and _defines(tokens.words, text, subject, language):
                    fits = max(fits, 1.0)  # "X adalah ..." answers "siapa X" / "what is X"
                # "kota mana aja": the sentence naming them all.
                listing = 0.5 * self.kind_bonus * (listed and lists(text))
                # "topik kedua": the sentence on the second topic, not the first.
                if placed and (said_places := ordinals(text)):
                    listing += self.kind_bonus * (1.0 if said_places & placed else -1.0)
                score = (coverage - restated + self.kind_bonus * fits + listing
                         + 0.1 * hit.score / best_fused
                         + same_language + self.dense_weight * similarity[position])
                ranked.append(_Sentence(text, hit, keys, score, coverage, position, fits,
                                        passage_coverage))
        ranked = _with_twin_coverage(ranked, asked_in)
        ranked.sort(key=lambda s: s.score, reverse=True)
        return ranked

    def _weights(self, terms: list[str]) -> dict[str, float]:
        return {term: self.term_weight(term) for term in terms}

    def _confidence(self, best: _Sentence) -> float:
        # Weights fitted on the golden set against the tuning sets' questions (out of
        # scope here): dense similarity separates them best, coverage guards paraphrase.
        passage, sentence, dense = self.confidence_weights
        return (passage * best.passage_coverage + sentence * best.coverage
                + dense * max(best.chunk.dense, 0.0))

    def _choose_in_order(self, ordered: list[_Sentence]) -> list[_Sentence]:
        """The first sentences of `ordered` that say something new, up to `max_sentences`."""
        chosen: list[_Sentence] = []
        for sentence in ordered:
            if len(chosen) >= self.max_sentences:
                break
            if not _UNKNOWN.search(sentence.text) and not any(
                    _repeats(sentence.text, earlier.text) for earlier in chosen):
                chosen.append(sentence)
        return chosen or ordered[:1]

    def _choose(self, ranked: list[_Sentence], kind: QuestionKind,
                question: str = "", asked: Sequence[str] = ()) -> list[_Sentence]:
        """The best sentence (with the one after it when that one holds what was asked),
        plus close runners-up that say something new."""
        best = ranked[0]
        chosen = [best]
        following = _next_sentence(ranked, best)
        if following and kind != "other" and following.fits > best.fits:
            chosen.append(following)
        for sentence in ranked[1:]:
            if len(chosen) >= self.max_sentences or sentence.score < self.runner_up * best.score:
                break
            if _UNKNOWN.search(sentence.text):
                continue  # what the documents do not know answers only a question about that
            if not any(_repeats(sentence.text, earlier.text) for earlier in chosen):
                chosen.append(sentence)
        if kind in _STRICT_KINDS and not any(c.fits for c in chosen):
            # Only a date answers "kapan": "kpn impala space berdiri" is answered by the dated
            # "Impala Space dibuka pada 17 Agustus 2016", not three sentences saying "berdiri".
            dated = next((s for s in ranked[1:] if s.fits), None)
            if dated and dated.score >= self.runner_up * best.score:
                chosen = [*chosen[:self.max_sentences - 1], dated]
        return _fact_first(_with_disagreements(chosen, ranked, question), kind, asked, question)


@dataclass(frozen=True)
class _Tokens:
    """A sentence's (or passage's) tokens, with every prefix of 4+ characters for the
    near-matches that stemmers miss (growth/grow, entrepreneurship/entrepreneur)."""

    words: frozenset[str]
    prefixes: frozenset[str]

    @classmethod
    def of(cls, tokens: list[str]) -> _Tokens:
        # The parts of a compound count as well ("business-acceleration" holds
        # "acceleration": "is HFS an accelerator program?").
        words = frozenset(tokens) | {part for token in tokens if "-" in token
                                     for part in token.split("-") if len(part) >= 3}
        prefixes = frozenset(w[:i] for w in words if not w[0].isdigit()
                             for i in range(4, len(w) + 1))
        return cls(words, prefixes)

    def near(self, term: str) -> bool:
        if len(term) < 4 or term[0].isdigit():
            return False
        # A four-letter word is a prefix of too many others ("desa" of "desain").
        return ((len(term) > 4 and term in self.prefixes)
                or any(term[:i] in self.words for i in range(4, len(term))))


@dataclass(frozen=True)
class _ParsedChunk:
    heading: frozenset[str]
    tokens: _Tokens
    sentences: tuple[tuple[str, tuple[str, ...], _Tokens], ...]


_PARSED: OrderedDict[tuple[str, str], _ParsedChunk] = OrderedDict()
_PARSED_LIMIT = 5000
_PARSED_LOCK = threading.Lock()


def _parse(document: Document, language: Language) -> _ParsedChunk:
    """A chunk's sentences and tokens, computed once per chunk: chunk ids name their
    content, so a cached parse never goes stale (chunks without an id are not cached)."""
    key = (document.id or "", language)
    cached = _PARSED.get(key) if key[0] else None
    if cached is not None:
        return cached
    parsed = _ParsedChunk(
        heading=frozenset(tokenize(document.metadata.get("heading", ""), language)),
        tokens=_Tokens.of(tokenize(document.page_content, language)),
        sentences=tuple((text, keys, _Tokens.of(tokenize(text, language)))
                        for text, keys in chunk_sentences(document)),
    )
    if key[0]:
        with _PARSED_LOCK:
            _PARSED[key] = parsed
            if len(_PARSED) > _PARSED_LIMIT:
                _PARSED.popitem(last=False)
    return parsed


def _with_twin_coverage(sentences: list[_Sentence], language: Language) -> list[_Sentence]:
    """Each sentence in the asker's `language` credited with what its translation covers,
    when that is more.

    The knowledge documents are written twice, in Indonesian and English, chunk by chunk
    and (in 110 of 117 chunks) sentence by sentence. A mixed question ("kegiatan hetero
    smg thn 2020 itu online apa offline") finds its English words only in the English
    sentence; its Indonesian twin ("... secara daring, luring, maupun hibrida") is the
    one to quote, and is now ranked as well covered.
    """
    places: dict[tuple[str, str, object], dict[int, _Sentence]] = {}
    for sentence in sentences:
        places.setdefault(_twin_key(sentence.chunk.document), {})[sentence.position] = sentence
    out = []
    for sentence in sentences:
        document = sentence.chunk.document
        own = places[_twin_key(document)]
        other = places.get(_twin_key(document, other=True), {})
        # Chunks of as many sentences are translated sentence by sentence.
        twin = (other.get(sentence.position)
                if len(own) == len(other) and _language_of(document) == language else None)
        if twin is None:
            out.append(sentence)
            continue
        gain = max(twin.coverage - sentence.coverage, 0.0)
        out.append(replace(sentence, coverage=sentence.coverage + gain,
                           score=sentence.score + gain, twin=twin.text))
    return out


def _other_language(language: Language) -> Language:
    return "en" if language == "id" else "id"


def _twin_key(document: Document, other: bool = False) -> tuple[str, str, object]:
    """Where a chunk's translation is: the same file name and chunk, in the other language."""
    language = _language_of(document)
    if other:
        language = _other_language(language)
    name = str(document.metadata.get("source", "")).rsplit("/", 1)[-1]
    return language, name, document.metadata.get("chunk")


def _repeats(sentence: str, earlier: str) -> bool:
    """Whether `sentence` says what `earlier` says: the same figures, or mostly the same words.

    Documents restate a claim in several places; a second copy would crowd out a
    different claim (such as the other side of a disagreement).
    """
    spelled = words(sentence)
    new, old = set(spelled), set(words(earlier))
    overlap = len(new & old) / max(len(new | old), 1)
    # The "4" of "Vol. 4" names what both speak of; it is no figure of a claim.
    figures = {n for n in _labelled_numbers(spelled) if " " not in n}
    if figures:
        # The same figures in other words is a restatement; sharing only a number and a
        # year ("28 provinces ... end of 2025" beside "28 provinces ... 8 November 2025")
        # is a different claim.
        return figures <= old and overlap > 0.2
    return overlap > 0.45


# Counts and amounts, not years: a year is shared by too many unrelated claims.
_FIGURE = re.compile(r"(?!(?:19|20)\d\d$)\d[\d.,]*")


def _with_disagreements(chosen: list[_Sentence], ranked: list[_Sentence],
                        question: str = "") -> list[_Sentence]:
    """Where sources disagree about what was chosen, give every side with its source.

    A chosen sentence inside a paragraph that announces a disagreement brings the whole
    paragraph; so does a retrieved disagreement paragraph that repeats a chosen figure.
    """
    out: list[_Sentence] = []
    for sentence in chosen:
        paragraph = _paragraph(ranked, sentence)
        group = paragraph if _disputed(paragraph) else [sentence]
        out += [s for s in group[:5] if not any(s.text == o.text for o in out)]
    if len(out) == len(chosen):
        # A figure the question itself names ("Season 3") says nothing about a claim.
        figures = {w for s in chosen for w in words(s.text) if _FIGURE.fullmatch(w)} - set(
            words(question))
        for candidate in ranked:
            if candidate.coverage < 0.5 * chosen[0].coverage:
                continue
            paragraph = _paragraph(ranked, candidate)
            if _disputed(paragraph) and figures & set(words(candidate.text)):
                return out[:1] + [s for s in paragraph[:5] if s.text != out[0].text]
    return out


def _named_entities(question: str, hits: Sequence[ScoredChunk]) -> list[list[str]]:
    """The entities (each its names, from the documents' front matter) whose name the
    question holds; the most specific only ("Hetero Space Semarang", not "Hetero Space")."""
    asked = f" {' '.join(words(question))} "
    found: dict[str, list[str]] = {}
    for hit in hits:
        for entity in _entities_of(hit.document.metadata.get("entities")):
            if f" {' '.join(words(entity[0]))} " in asked:  # "impala ... space" is no name
                found[entity[0]] = entity
    spelled = {name: set(words(name)) for name in found}
    return [found[n] for n in found
            if not any(m != n and spelled[n] < spelled[m] for m in found)]


def _unknown_sibling(question: str, hits: Sequence[ScoredChunk]) -> bool:
    """Whether the question names a sibling of known entities that the documents do not
    have: "hetero space tegal" beside Hetero Space Semarang, Solo and Banyumas, with "Tegal"
    written as a name ("Radar Tegal") in the passages."""
    aliases = {tuple(words(alias)) for hit in hits
               for entity in _entities_of(hit.document.metadata.get("entities"))
               for alias in entity}
    spelled = tuple(words(question))
    named = {word for alias in aliases for word in alias}
    for alias in (a for a in aliases if len(a) > 1):
        siblings = {a[len(alias)] for a in aliases
                    if len(a) > len(alias) and a[:len(alias)] == alias}
        if len(siblings) < 2:
            continue  # "Hetero Space" has its sites; a name with none has no unknown one
        for start in range(len(spelled) - len(alias)):
            if spelled[start:start + len(alias)] != alias:
                continue
            after = spelled[start + len(alias)]
            if (after.isalpha() and not {after, after.removesuffix("s")} & named
                    and _written_as_name(after, hits)):
                return True
    return False


def _written_as_name(word: str, hits: Sequence[ScoredChunk]) -> bool:
    """Whether the passages write `word` with a capital inside a sentence, as a name."""
    pattern = re.compile(r"[\w,] " + re.escape(word.capitalize()) + r"\b")
    return any(pattern.search(hit.document.page_content) for hit in hits)


def _speaks_of_what_is_asked(sentence: _Sentence, question: str,
                             entities: list[list[str]]) -> bool:
    """Whether `sentence` names something the question asks beyond the entities it names.

    "The current head of Impala Network is unknown" shares only a name with "Impala
    Space's address?": it must not turn that question into a refusal.
    """
    language = _language_of(sentence.chunk.document)
    names = {t for entity in entities for alias in entity for t in tokenize(alias, language)}
    asked = set(content_tokens(question, language)) - names
    said = _parse_sentence(sentence.text, language)
    return not asked or any(t in said.words or said.near(t) for t in asked)


# Words that pad a question without asking for anything ("alamat lengkap", "who serves as").
# Words asking for an account, politely or briefly, ask for nothing the documents must name.
_ORDINAL_SUFFIXES = frozenset("st nd rd th".split())
# A day or month a yes/no question checks ("was it opened on a saturday?") is answered by
# the date the documents give, whichever it is.
_CHECKED_VALUES = frozenset(
    "senin selasa rabu kamis jumat sabtu minggu monday tuesday wednesday thursday friday "
    "saturday sunday januari februari maret april mei juni juli agustus september oktober "
    "november desember january february march june july august october december".split())
# "X sm Y hubungannya apa": how two things relate is said by a sentence naming both.
_RELATION_WORDS = frozenset("hubungan hubungannya kaitan kaitannya relation relationship "
                            "relationships connection connected related relate".split())
# "opened in 2022, correct?", "bener gak": a check asks whether, not about "correct".
_CHECKING_WORDS = frozenset("correct right true benar betul bener kan".split())
_PADDING = ACCOUNT_WORDS | EXPANSION_WORDS | _RELATION_WORDS | _CHECKING_WORDS | frozenset(
    "persis sebenarnya exactly really actually serve serves get gets behind has have had "
    "been being before after come came ceritakan jelaskan please pls plz kindly quick right "
    "quickly rundown summary summarize summarise sum overview tolong dulu dahulu kasih beri "
    "berikan give".split())
# Verbs say what happened to X, and the documents often tell it in other words ("dilantik",
# "sworn in"); the nouns of a question name the thing it asks for ("hadiah", "CEO").
# "ngerjain", "nyediain": chat for "mengerjakan", "menyediakan".
_VERB = {"id": re.compile(r"^(di|me|ber|ter|ng|ny)\w{3,}$"),
         "en": re.compile(r"^\w{3,}(ed|ing|ly)$|^(built|made|held|ran|run|began|begun|became|won"
                          r"|gave|given|took|taken|led|met|went|came|got|paid|sold|bought|told"
                          r"|said|found|grew|grown|known|shown|seen|chosen|spent|sent|kept)$")}
# Words in most documents ("Indonesia": idf 1.8) say nothing about what is asked.
_COMMON_IDF = 2.0


def asked_for(question: str, entities: list[list[str]],
              term_weight: Callable[[str], float], *, verbs: bool = False) -> list[str]:
    """The words of `question` that name what it asks about the `entities` it names:
    "hadiah" in "brp hadiah HFS Season 3"; not the names, question words, padding, the kind
    of place a where-question asks for ("di kota mana": a list of cities answers it) or
    (unless `verbs`) verbs."""
    return [word for word, is_verb in _asked_words(question, entities, term_weight)
            if verbs or not is_verb]


def _asked_words(question: str, entities: list[list[str]],
                 term_weight: Callable[[str], float]) -> list[tuple[str, bool]]:
    """`asked_for`'s words, verbs included, each with whether it is a verb."""
    names = {w for entity in entities for alias in entity for w in words(alias)}
    verb = _VERB[detect_language(question)]
    asked = []
    spelled = words(question)
    kind = question_kind(question)
    for position, word in enumerate(spelled):
        before = spelled[position - 1] if position else ""
        if (word in names or word in _PADDING or word[0].isdigit()
                or (before[:1].isdigit() and word in _ORDINAL_SUFFIXES)  # "3rd"
                or (word.removesuffix("nya") in PLACE_KINDS
                    and (kind == "where" or before in ("di", "in")))
                or word in KIND_WORDS.get(kind, ())):
            continue
        # One word alone is of no kind: it is stemmed, not read as a question.
        stemmed = [content_tokens(word, language, "other") for language in LANGUAGES]
        # A place the question puts it in ("kpn ke semarang") is asked however common.
        placed = before in ("di", "ke", "in", "to")
        if all(stemmed) and (placed or min(term_weight(stems[0]) for stems in stemmed)
                             >= _COMMON_IDF):
            asked.append((word, bool(verb.match(word)) or _after_who(spelled, position)))
    return asked


def _after_who(spelled: Sequence[str], position: int) -> bool:
    """Whether the word at `position` is the verb of a "who" question: "who leads X",
    "siapa yg pimpin X" ask for a person, whatever the verb says they do."""
    before = list(spelled[max(0, position - 2):position])  # `words` lower-cases
    return before[-1:] == ["who"] or before in (["siapa", "yang"], ["siapa", "yg"])


def _passages_name(asked: Sequence[str], entities: list[list[str]],
                   passages: Sequence[ScoredChunk]) -> bool:
    """Whether a passage about the `entities`, in either language, names one of the
    `asked` words (see `asked_for`); true when nothing is asked beyond the entities."""
    if not asked:
        return True
    for passage in passages:
        document, language = passage.document, _language_of(passage.document)
        about = _word_set(document.page_content) | _word_set(document.metadata.get("heading", ""))
        if _names_every(about, entities) and _names(_parse(document, language).tokens, asked,
                                                    language):
            return True
    return False


def _names(said: _Tokens, asked: Sequence[str], language: Language) -> int:
    """How many of the `asked` words `said` holds (or a near form of: "target"/"menargetkan")."""
    return sum(any(t in said.words or said.near(t)
                   for t in content_tokens(word, language, "other"))
               for word in asked)


def _mentions(sentence: _Sentence, entities: list[list[str]]) -> bool:
    """Whether a sentence, read with its heading, names every one of `entities`."""
    return _names_every(_word_set(sentence.text) | _word_set(
        sentence.chunk.document.metadata.get("heading", "")), entities)


def _about_subject(sentences: list[_Sentence], entities: list[list[str]],
                   question: str) -> list[_Sentence]:
    """The sentences naming the entity the question names first, its subject."""
    spelled = words(question)

    def position(entity: list[str]) -> int:
        return min((i for alias in entity if (said := words(alias))
                    for i in range(len(spelled)) if spelled[i:i + len(said)] == said),
                   default=len(spelled))

    subject = min(entities, key=position)
    about = [s for s in sentences if _mentions(s, [subject])]
    # What the subject is answers a wrong premise best: "PL(AI)GROUND adalah inisiatif
    # bersama Kemenekraf dan Impala Network", not a sentence that only names it.
    return sorted(about, key=lambda s: not _defines_entity(s, subject))


def _about_name(question: str, sentences: list[_Sentence], language: Language,
                entities: list[list[str]]) -> list[_Sentence]:
    """For an overview question whose subject is a proper name the documents write
    ("Ruko Space", "DEN"): the sentences naming it (by any of its names when it is one of
    the `entities`), in the asker's language when there are any, those saying what it is
    first; else none."""
    subject = overview_subject(question)
    if not subject:
        return []
    # "OPSI yg didapet hetero itu penghargaan apa" asks what OPSI is.
    name = _RELATIVE_CLAUSE.sub("", subject).split()
    if not name:
        return []
    names = next((e for e in entities if any(words(alias) == name for alias in e)), [])
    spellings = sorted({tuple(name), *(tuple(words(alias)) for alias in names)}, key=len,
                       reverse=True)
    pattern = re.compile("|".join(r"\b" + r"\W*".join(map(re.escape, spelled)) + r"\b"
                                  for spelled in spellings if spelled), re.IGNORECASE)
    matches = [(s, list(pattern.finditer(s.text))) for s in sentences]
    found = [(s, spotted[0]) for s, spotted in matches if spotted]
    # A name is written with a capital where no sentence starts: "desa" is no name.
    inside = [m.group().islower() for _, spotted in matches for m in spotted if m.start() > 0]
    if inside.count(False) <= inside.count(True):
        return []
    same = [(s, m) for s, m in found if _language_of(s.chunk.document) == language] or found
    ranked = sorted(((_says_what_name_is(s, m), s) for s, m in same), key=lambda p: p[0])
    # Only naming it, they answer no better than the sentences that best cover the question.
    return [s for _, s in ranked] if ranked[0][0] < 3 else []


_RELATIVE_CLAUSE = re.compile(r"\s+(?:yang|that|which|who)\s.*$")


def _says_what_name_is(sentence: _Sentence, found: re.Match[str]) -> int:
    """How well `sentence` says what the name `found` is, best first:
    0 it opens by saying it ("Irfan Bahtiar adalah Program Manager ...");
    1 it spells the name out ("Dewan Ekonomi Nasional (DEN)", "Balatkop (balai pelatihan
    koperasi dan UMKM)", "Andrie Widyatama (Widyastama) led ...");
    2 it opens with it or gives its title ("Solo Technopark di Kota Solo ...", "Kepala
    Balatkop Dwi Silo Raharjo");
    3 it only names it."""
    text = sentence.text
    before, after = text[:found.start()], text[found.end():]
    opens = not before.strip() or before.strip() == "The"
    if opens and _OPENING_COPULA.match(after):
        return 0
    spelled_out = ((before.rstrip().endswith("(") and after.lstrip().startswith(")"))
                   or bool(_SPELLED_AFTER.match(after)))
    return 1 if spelled_out else 2 if opens or _TITLE_BEFORE.search(before) else 3


# What follows a name that a sentence opens with, when it says what the name is: its other
# form in brackets, then "adalah", "merupakan", "is a", "was the" ("Andrie Widyastama was at
# that time developing ..." says what he did).
_OPENING_COPULA = re.compile(r"^(?:\s*\([^)]*\))?,?\s+(?:adalah|merupakan|ialah"
                             r"|(?:is|was|are|were)\s+(?:a|an|the|one|its|his|her|their)\b"
                             r"|(?:is|was|are|were)\s+[A-Z])")
# Words in brackets after a name, no figure among them: what it stands for ("Balatkop (balai
# pelatihan koperasi dan UMKM)"), not a date ("OPSI (Desember 2025)").
_SPELLED_AFTER = re.compile(r"^\s*\([^)\d]+\)")
# A capitalised word right before a name, not the sentence's first: a title ("Gubernur
# Jawa Tengah Ganjar Pranowo", "Minister Teuku Riefky Harsya").
_TITLE_BEFORE = re.compile(r"\S\s+[A-Z][\w.-]*\s+$")


def _defines_entity(sentence: _Sentence, entity: list[str]) -> bool:
    language = _language_of(sentence.chunk.document)
    return any(_defines(frozenset(), sentence.text, set(tokenize(alias, language)), language)
               for alias in entity)


def _names_every(said: frozenset[str], entities: list[list[str]]) -> bool:
    """Whether the words `said` hold, for each of `entities`, one of its names."""
    return all(any(_word_set(alias) <= said for alias in entity) for entity in entities)


def _says(sentence: _Sentence, asked: Sequence[str]) -> int:
    """How many of the `asked` words a sentence names, or its translation does ("agenda"
    of "brp agenda" is "mata acara" in the Indonesian sentence)."""
    language = _language_of(sentence.chunk.document)
    named = _names(_parse_sentence(sentence.text, language), asked, language)
    if sentence.twin:
        other = _other_language(language)
        named = max(named, _names(_parse_sentence(sentence.twin, other), asked, other))
    return named


def _stems_of(asked: Sequence[str], language: Language) -> frozenset[str]:
    return frozenset(t for word in asked for t in content_tokens(word, language, "other"))


@lru_cache(maxsize=20_000)
def _parse_sentence(text: str, language: Language) -> _Tokens:
    return _Tokens.of(tokenize(text, language))


def _numbers_found(question: str, passages: Sequence[ScoredChunk]) -> bool:
    """Whether every number the question names (a year, a season) is in a passage, with
    its label when it has one: "season 2" is not found in "Season 3 ... 2 Februari"."""
    # "topic no. 3" asks for the third one, which the documents write in words.
    numbers = set(_labelled_numbers(words(question))) - {str(n) for n in ordinals(question)}
    for passage in passages:
        numbers -= _numbers_in(passage.document.page_content)
    return not numbers


def _numbers_another(sentence: str, question: str) -> bool:
    """Whether `sentence` gives another number after a word the question numbers: "Perpres
    200/2024" for "perpres 199", "Season 2" for "HFS season 3"; years and dates aside."""
    asked = words(question)
    said = words(sentence)
    for position, number in enumerate(asked[1:], start=1):
        label = asked[position - 1]
        if not number[0].isdigit() or label in _NOT_LABELS or label[0].isdigit():
            continue
        numbered = {said[i + 1] for i, w in enumerate(said[:-1])
                    if w == label and said[i + 1][0].isdigit()}
        if numbered and number not in numbered:
            return True
    return False


# Words before a number that say when, not which: "tahun 2022", "sejak 2020".
_NOT_LABELS = STOPWORDS_ID | STOPWORDS_EN_ALL | frozenset(
    "tahun thn taun year years tanggal tgl date bulan month sejak since pada hingga sampai "
    "akhir awal end start rp".split())


# Words that label a number in a series; each maps to the label written in the documents.
_SERIES_LABELS = {"season": "season", "musim": "season", "vol": "vol", "volume": "vol",
                  "volumes": "vol", "edisi": "edition", "edition": "edition", "batch": "batch",
                  "angkatan": "batch", "gelombang": "batch"}


def _labelled_numbers(spelled: Sequence[str]) -> list[str]:
    """The numbers among `spelled`, each prefixed by its series label ("season 2") when a
    label (or "ke" after one: "volume ke 2") stands before it."""
    numbers = []
    for position, spelled_word in enumerate(spelled):
        if not spelled_word[0].isdigit():
            continue
        word = _plain_number(spelled_word)
        before = [w for w in spelled[max(0, position - 2):position] if w != "ke"][-1:]
        label = _SERIES_LABELS.get(before[0]) if before else None
        numbers.append(f"{label} {word}" if label else word)
        if label and (last := _range_end(spelled, position)):
            # "volume 1 sampai 3", "Vol. 1–3": each volume of the range.
            numbers += [f"{label} {n}" for n in range(int(word) + 1, last + 1)]
    return numbers


def _range_end(spelled: Sequence[str], position: int) -> int | None:
    """The last number of a short range starting at `position` ("1 sampai 3", "1–3")."""
    after = [w for w in spelled[position + 1:position + 3] if w not in _RANGE_WORDS][:1]
    if after and after[0].isdigit() and spelled[position].isdigit():
        if 0 < int(after[0]) - int(spelled[position]) <= 10:
            return int(after[0])
    return None


_RANGE_WORDS = frozenset("sampai hingga to until through s d".split())
# "6.000" (Indonesian), "6,000" (English) and a chat's "6000" are one number.
_GROUPED = re.compile(r"\d{1,3}(?:[.,]\d{3})+")


def _plain_number(word: str) -> str:
    return re.sub(r"[.,]", "", word) if _GROUPED.fullmatch(word) else word


@lru_cache(maxsize=20_000)
def _numbers_in(text: str) -> frozenset[str]:
    """A passage's numbers, bare and with their series labels."""
    spelled = words(text)
    return frozenset(spelled) | frozenset(_labelled_numbers(spelled))


@lru_cache(maxsize=20_000)
def _word_set(text: str) -> frozenset[str]:
    """`words(text)` as a set, remembered: the same sentences and names are read for every
    question that retrieves them."""
    return frozenset(words(text))


@lru_cache(maxsize=256)
def _entities_of(value: str | None) -> tuple[tuple[str, ...], ...]:
    try:
        entities = json.loads(value) if value else []
    except json.JSONDecodeError:
        return ()
    return tuple(tuple(e) for e in entities if isinstance(e, list) and e)


_SUMMARY_PENALTY = 0.15


_COPULA = re.compile(r"\b(adalah|merupakan|ialah|is|was|are|were|has been)\b")


def _defines(tokens: frozenset[str], text: str, subject: set[str], language: Language) -> bool:
    """Whether a sentence says what the subject is: "X adalah ...", "X is ...", with X
    (most of the subject's words) before the verb."""
    verb = _COPULA.search(text)
    if not verb or verb.start() > 120:
        return False
    before = set(tokenize(text[: verb.start()], language))
    # All of it: "Pandu adalah ..." does not say who "adik Pandu" is; one word may be
    # missing from a long name.
    return len(subject & before) >= max(1, len(subject) - (len(subject) >= 4))


def _in_language(ranked: list[_Sentence], language: Language) -> list[_Sentence]:
    """The sentences in the asker's language, when one of them is nearly as good as the
    best: a mixed question ("Siapa founder Impala Space?") is answered in the language of
    its question words, not in that of its borrowed nouns."""
    if not ranked or _language_of(ranked[0].chunk.document) == language:
        return ranked
    same = [s for s in ranked if _language_of(s.chunk.document) == language]
    if same and same[0].score >= 0.75 * ranked[0].score:
        return same
    return ranked


def _fact_first(chosen: list[_Sentence], kind: QuestionKind,
                asked: Sequence[str] = (), question: str = "") -> list[_Sentence]:
    """The sentence holding what was asked for (a date for "when", a figure for "how
    many", a word the question asks about for the others) opens the answer: of several,
    the one naming most of what is asked
    ("target" and "kota" in "targetnya brp kota", not just "kota"); a sentence that only
    announces that sources disagree follows the first claim instead of opening."""
    spelled = set(words(question))
    numbers = {_plain_number(w) for w in spelled if w[0].isdigit()}
    now = bool(_NOW & spelled)
    placed = ordinals(question)

    def holds(s: _Sentence) -> tuple[int, int, bool, float]:
        # A number the question names ("thn 2021") counts as a word it asks about.
        language = _language_of(s.chunk.document)
        named = _says(s, asked) + bool(placed & ordinals(s.text))  # "topik kedua"
        if kind == "how_many" and counted(s.text, language) & _stems_of(asked, language):
            named += 1  # "Ten local communities" counts what "how many communities" asks
        # "gubernur jateng skrg siapa": of the governors named, the one in the latest news.
        latest = max(map(int, _YEAR.findall(s.text)), default=0) if now else 0
        return named + len(numbers & _numbers_in(s.text)), latest, s.fits > 0, s.fits

    # A question of no kind ("tema hetero fest vol 4 apa") is opened by the sentence that
    # names most of what it asks ("tema").
    rank = holds if kind != "other" else lambda s: holds(s)[:2]
    holder = max((s for s in chosen if s.fits > 0 or kind == "other"), key=rank, default=None)
    # Only a date answers "when": a sentence without one does not open that answer.
    undated = kind in (*_STRICT_KINDS, "where") and not chosen[0].fits
    if holder is not None and (undated or rank(holder) > rank(chosen[0])):
        chosen = [holder] + [s for s in chosen if s is not holder]
    if _announces(chosen[0]) and len(chosen) > 1:
        claim = next((s for s in chosen if not _announces(s)), None)
        if claim is not None:
            rest = [s for s in chosen if s is not claim]
            chosen = [claim] + rest
    return chosen


def _names_holder(sentence: _Sentence, roles: Sequence[str]) -> bool:
    """Whether `sentence` names who holds the posts `roles`: beside the post when it says
    the post, else (the post in its heading or the sentence before) any name."""
    stems = [re.escape(role.removesuffix("nya")[:5]) for role in roles]
    if not any(re.search(r"(?i:\b" + stem + ")", sentence.text) for stem in stems):
        return bool(sentence.fits)
    return all(_holds_post(sentence.text, stem) for stem in stems)


def _holds_post(sentence: str, stem: str) -> bool:
    """Whether `sentence` gives a name with the post whose word starts with `stem`: "Kepala
    Balatkop Dwi Silo Raharjo", "Irfan Bahtiar adalah Program Manager", "pendiri (founder)
    Impala Space adalah Gatot Hendraputra", "John Elway, who ... is ... General Manager";
    not "Wakil Gubernur Jawa Tengah menambahkan ..." (a place) or "didampingi mentor"."""
    after = re.compile(r"(?i:\b" + stem + r"\w*)[^\w\s]*\s+(?:\S+\s+){0,4}?" + PERSON_NAME)
    before = re.compile(PERSON_NAME + r"(?:,\s+(?:who|yang)\s+(?:\S+\s+){0,25}?|(?:,|\s+(?:"
                        r"adalah|merupakan|is|was|sebagai|as|menjadi|menjabat|became))\s+"
                        r"(?:\S+\s+){0,3}?)(?i:" + stem + ")")
    return bool(after.search(sentence) or before.search(sentence))


# Posts and roles a who-question may ask the holder of. Not "pemimpin", "leader" or
# "head": the documents say those in other words ("raja terakhir" for "pemimpin terakhir").
_ROLES = frozenset(
    "ketua kepala deputi wakil founder founders pendiri pemateri pembicara narasumber mentor "
    "direktur director ceo menteri minister gubernur governor bupati presiden president "
    "resident residen arsitek architect perancang manajer manager".split())
# Kinds only an answer of that kind answers (a date, a time of day, a length of time).
_STRICT_KINDS = ("when", "time", "duration")
_NOW = frozenset("sekarang kini terkini terbaru now current currently latest".split())
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")


def _spells_out(sentence: str, question: str) -> bool:
    """Whether `sentence` writes a short form of the question in full beside it, in
    brackets: "Menteri Ekonomi Kreatif (Menekraf)", "Emak-Emak Metik (Emak-Emak Melek
    Teknologi)"."""
    return any(re.search(rf"\b{re.escape(word)}\s*\(|\([^)]*\b{re.escape(word)}\b[^)]*\)",
                         sentence, re.IGNORECASE)
               for word in words(question) if word not in EXPANSION_WORDS and len(word) > 2
               and word not in STOPWORDS_ID)


_HOW_MANY_WORDS = frozenset("berapa berapakah jumlah many".split())  # "how much": no count
# What a how-many question measures rather than counts: an amount of money (the price gate
# reads it), an area, a share.
_MEASURES = PRICE_WORDS | frozenset(
    "lama banyak besar luas area size meter m2 km hektar hectares kg persen percent persentase "
    "percentage rasio ratio share pendapatan revenue income pound pounds lb ton tons mile miles "
    "liter liters litre litres gallon gallons".split())


def _counts(sentence: _Sentence, units: Sequence[str]) -> bool:
    """Whether `sentence`, or its translation, gives a number of the `units` ("tiga
    ruang rapat" for "brp ruang rapat"), not a number of something else."""
    language = _language_of(sentence.chunk.document)
    if counts_near(sentence.text, units, language):
        return True
    other = _other_language(language)
    return bool(sentence.twin and counts_near(sentence.twin, units, other))


def _counted_nouns(question: str, entities: list[list[str]] = ()) -> list[str]:
    """What a how-many question counts: the nouns right after "berapa" / "how many" ("brp
    ruang rapat", "how many creative economy subsectors are there"), up to a verb, a name
    the question is about or a small word. None when it measures (`_MEASURES`), counts
    people (`fits_kind` reads "brp org"), or asks for a number of a label ("komisi berapa
    di DPR", "masuk Top berapa Outstanding ...")."""
    original = re.findall(r"[\w-]+", question)
    spelled = words(question)
    names = {w for entity in entities for alias in entity for w in words(alias)}
    verb = _VERB[detect_language(question)]
    at = next((i for i, w in enumerate(spelled) if w in _HOW_MANY_WORDS
               and (w != "many" or spelled[i - 1:i] == ["how"])), None)
    if at is None:
        return []
    nouns: list[str] = []
    for position in range(at + 1, min(at + 4, len(spelled))):
        word = spelled[position]
        if (word in STOPWORDS_ID or word in STOPWORDS_EN_ALL or word in _PADDING
                or word in names or verb.match(word) or word[0].isdigit()
                or word in KIND_WORDS["how_many"]
                or (len(original) == len(spelled) and original[position][0].isupper())):
            break
        if all(content_tokens(word, language, "other") for language in LANGUAGES):
            nouns.append(word)  # not a kind of place or time ("brp lokasi"): a count answers
    if not nouns or nouns[0] in _MEASURES:
        return []
    return nouns


def _announces(sentence: _Sentence) -> bool:
    """Whether a sentence only says that sources disagree, without a claim of its own."""
    return bool(_DISAGREE.search(sentence.text)) and not any(c.isdigit() for c in sentence.text)


def _disputed(paragraph: list[_Sentence]) -> bool:
    """Whether a paragraph says its sources disagree (or a claim is unconfirmed)."""
    return any(_DISAGREE.search(s.text) for s in paragraph)


def _paragraph(ranked: list[_Sentence], sentence: _Sentence) -> list[_Sentence]:
    """The sentences of `sentence`'s paragraph (neighbours citing the same sources), in order."""
    same = {s.position: s for s in ranked
            if s.chunk is sentence.chunk and s.source_keys == sentence.source_keys}
    first = sentence.position
    while first - 1 in same:
        first -= 1
    last = sentence.position
    while last + 1 in same:
        last += 1
    return [same[p] for p in range(first, last + 1)]


def _next_sentence(ranked: list[_Sentence], sentence: _Sentence) -> _Sentence | None:
    for other in ranked:
        if other.chunk is sentence.chunk and other.position == sentence.position + 1:
            return other
    return None


def refusal(language: Language, confidence: float = 0.0,
            passages: list[ScoredChunk] | None = None) -> Answer:
    """Say plainly that the documents do not hold the answer, and what they do hold."""
    examples = "\n".join(f"- {q}" for q in EXAMPLES[language])
    text = f"{t('refusal', language)}\n\n{t('suggest', language)}\n{examples}"
    return Answer(text, [], language, False, confidence, passages or [])


def _language_of(document: Document) -> Language:
    language = document.metadata.get("language")
    return language if language in LANGUAGES else "id"


def _coverage(weights: dict[str, float], tokens: _Tokens, around: frozenset[str]) -> float:
    """Share of the question's weight found in a sentence; words only `around` it count half,
    and a word sharing a long prefix ("grow"/"growth") counts most of its weight."""
    total = sum(weights.values())
    if not total:
        return 0.0
    found = 0.0
    for term, weight in weights.items():
        if term in tokens.words:
            found += weight
        elif tokens.near(term):
            found += 0.8 * weight
        elif term in around:
            found += 0.5 * weight
    return found / total


def _cite(chosen: list[_Sentence]) -> tuple[str, list[Source]]:
    """Join sentences with `[n]` markers; number sources in order of first use."""
    sources: dict[tuple[str, str], Source] = {}
    parts = []
    for sentence in chosen:
        numbers = []
        for entry in source_entries(sentence.chunk.document.metadata, sentence.source_keys):
            key = (entry["title"], entry["address"])
            if key not in sources:
                sources[key] = Source(len(sources) + 1, entry["title"], entry["address"],
                                      entry["date"], sentence.text, round(sentence.chunk.score, 4))
            numbers.append(sources[key].number)
        citation = "".join(f"[{n}]" for n in dict.fromkeys(numbers))
        parts.append(f"{sentence.text} {citation}".strip())
    return " ".join(parts), list(sources.values())


def source_entries(metadata: Mapping[str, Any], keys: Sequence[str]) -> list[dict[str, str]]:
    """The sources of a paragraph: those its `keys` name, else the chunk's document."""
    try:
        declared = json.loads(metadata.get("sources") or "{}")
    except json.JSONDecodeError:
        declared = {}
    entries = [
        {"title": declared[k].get("title", ""), "address": declared[k].get("url", ""),
         "date": declared[k].get("date", "")}
        for k in keys if k in declared
    ]
    return entries or [{
        "title": metadata.get("title", ""),
        "address": metadata.get("url") or metadata.get("source", ""),
        "date": metadata.get("published", ""),
    }]

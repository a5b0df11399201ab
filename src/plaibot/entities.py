"""Entities the documents are about, found in questions by any of their names.

Knowledge documents list in their front matter the entities they are about, each with its
aliases in both languages (Kemenekraf, Kementerian Ekraf, Ministry of Creative Economy ...).
`EntityIndex` reads them from the indexed chunks and

- rewrites a question so that every alias reads as the entity's name ("siapa wamen ekraf"
  is asked as "siapa Irene Umar"): keyword search, dense search and the answerer then all
  look for the words the documents use;
- knows each entity's summary chunks: the opening paragraph of the document about it, in
  each language, which answers "apa itu X" / "what is X".
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from difflib import SequenceMatcher

from langchain_core.documents import Document

from plaibot.splitting import chunk_sentences
from plaibot.text import ACCOUNT_WORDS, content_tokens, tokenize, words

_LONGEST_ALIAS = 6  # words
_CHAT_FILLER = frozenset("sih dong donk deh ya nih kak min pls please".split())
_SITE_LINKS = frozenset("yang yg di in at ada the of".split())  # "hetero space yg ada di solo"
_SITE_REACH = 4  # words: the links and the place
_FUZZY_MIN = 8  # characters: shorter names must be spelled right ("hetrospace" is fuzzy)


class EntityIndex:
    """Aliases and summary chunks of the entities named in chunks' `entities` metadata."""

    def __init__(self, chunks: Iterable[Document]) -> None:
        self.names: dict[tuple[str, ...], str] = {}  # alias words -> entity name
        self.summaries: dict[str, list[Document]] = {}  # entity name -> its summary chunks
        self.vocabulary: dict[str, set[str]] = {}  # entity name -> content words of its names
        for chunk in chunks:
            metadata = chunk.metadata
            for entity in _parse(metadata.get("entities")):
                known = self.vocabulary.setdefault(entity[0], set())
                for alias in entity:
                    known.update(content_tokens(alias, "id"))
                    key = tuple(words(alias))
                    if key and len(key) <= _LONGEST_ALIAS:
                        self.names.setdefault(key, entity[0])
            about = metadata.get("about") or ""
            if about and metadata.get("summary"):
                self.summaries.setdefault(about, []).append(chunk)
        self._borrow_summaries()
        self._joined = {"".join(k): v for k, v in self.names.items()}
        self._alias_words: dict[str, set[str]] = {}  # entity name -> words of all its aliases
        for alias, name in self.names.items():
            self._alias_words.setdefault(name, set()).update(alias)
        self._by_initial: dict[str, list[tuple[str, str]]] = {}  # for the fuzzy match
        for alias, entity in self._joined.items():
            self._by_initial.setdefault(alias[:1], []).append((alias, entity))

    def _borrow_summaries(self) -> None:
        """An entity with no document of its own has the summary whose first sentence
        names it: "Impala Network ... manages Impala Space, a coworking space ..." says
        what Impala Space is. A name met further on (the minister, in the ministry's
        summary) is not what that summary is about."""
        openings = [(sentences[0][0], about)
                    for about, chunks in self.summaries.items() for chunk in chunks
                    if (sentences := chunk_sentences(chunk))]
        for alias, name in self.names.items():
            # A one-word alias may be part of another name ("Gatot" of "Jl. Gatot Subroto").
            if name not in self.summaries and (len(alias) > 1 or alias == tuple(words(name))):
                about = next((a for said, a in openings if _introduces(said, alias)), None)
                if about:
                    self.summaries[name] = self.summaries[about]

    def rewrite(self, question: str, known: Callable[[str], bool] = lambda w: True
                ) -> tuple[str, list[str]]:
        """`question` with every alias read as its entity's name, longest alias first, and
        the entities it names, in order.

        The alias's own words stay after the name when the documents use them (`known`):
        "menteri ekraf" becomes "Teuku Riefky Harsya menteri ekraf", so a sentence naming
        both the minister and the office wins; "wamen", which no document writes, goes.
        """
        tokens = words(question)
        out: list[str] = []
        named: list[str] = []
        i = 0
        while i < len(tokens):
            for n in range(min(_LONGEST_ALIAS, len(tokens) - i), 0, -1):
                name = self._lookup(tokens[i:i + n])
                if name:
                    span, end = tokens[i:i + n], i + n
                    if out and (site := self.names.get((*span, out[-1]))):
                        name = site  # "the solo hetero space"
                        span = [*span, out.pop()]
                    elif site_at := self._site_after(span, tokens[end:]):
                        name, used = site_at  # "hetero space yg di solo"
                        span, end = [*span, *tokens[end:end + used]], end + used
                    out.append(name)
                    spelled = set(words(name))
                    out += [w for w in span if w not in spelled and known(w)
                            and w not in _SITE_LINKS]
                    named.append(name)
                    i = end
                    break
            else:
                out.append(tokens[i])
                i += 1
        return " ".join(out), list(dict.fromkeys(named))

    def _site_after(self, span: list[str], rest: list[str]) -> tuple[str, int] | None:
        """The entity that `span` and a place after it name together, with how many words
        of `rest` that takes: "hetero space yg di solo" is Hetero Space Solo."""
        for used, word in enumerate(rest[:_SITE_REACH], start=1):
            if word not in _SITE_LINKS:
                site = self.names.get((*span, word))
                return (site, used) if site else None
        return None

    def sibling(self, name: str, said: Iterable[str]) -> str | None:
        """The entity named as `name` is but for one word, which is among the words `said`:
        "solo" after a question about Hetero Space Semarang asks about Hetero Space Solo."""
        spelled = words(name)
        for word in said:
            for i, own in enumerate(spelled):
                other = self.names.get((*spelled[:i], word, *spelled[i + 1:]))
                if other and own != word and other != name:
                    return other
        return None

    def subject(self, subject: str, named: Iterable[str]) -> str | None:
        """The entity with a summary that an overview question's `subject` is, if any:
        one of the `named` entities whose names hold every content word of the subject."""
        # "alamat X" asks for an address, not what X is; "sejarah X dr awal" asks what it is.
        wanted = set(tokenize(subject, "id", question=True)) - _ABOUT_WORDS
        for name in named:
            if name in self.summaries and wanted and wanted <= self.vocabulary.get(name, set()):
                return name
        return None

    def bare_name(self, question: str) -> str | None:
        """The entity with a summary a question is no more than a name of ("hetero space?",
        "impala network dong"): a visitor typing only a name asks what it is."""
        named = self.rewrite(question)[1]
        if len(named) != 1 or named[0] not in self.summaries:
            return None
        said = [w for w in words(question) if w not in _CHAT_FILLER]
        return named[0] if said and set(said) <= self._alias_words[named[0]] else None

    def _lookup(self, span: list[str]) -> str | None:
        name = self.names.get(tuple(span))
        if name or not any(c.isalpha() for c in "".join(span)):
            return name
        joined = "".join(span)
        name = self._joined.get(joined)  # "heterospace", "PLAI GROUND"
        if name or len(joined) < _FUZZY_MIN:
            return name
        if len(span) > 1 and (self._exact(span[1:]) or self._exact(span[:-1])):
            return None  # a name and a word beside it ("is impala network"), not a typo
        return self._fuzzy(joined)

    def _exact(self, span: list[str]) -> bool:
        return tuple(span) in self.names or "".join(span) in self._joined

    def _fuzzy(self, joined: str) -> str | None:
        # Every span of a question is tried: one matcher per span, and difflib's cheap upper
        # bounds before the full ratio (7 ms a question before, 1 ms after).
        matcher = SequenceMatcher(None, "", joined)
        for alias, entity in self._by_initial.get(joined[0], ()):
            if abs(len(alias) - len(joined)) <= 2:
                matcher.set_seq1(alias)
                if (matcher.real_quick_ratio() >= 0.9 and matcher.quick_ratio() >= 0.9
                        and matcher.ratio() >= 0.9):
                    return entity
        return None


def _parse(value: object) -> list[list[str]]:
    try:
        entities = json.loads(value) if isinstance(value, str) and value else []
    except json.JSONDecodeError:
        return []
    return [e for e in entities if isinstance(e, list) and e and all(isinstance(n, str) for n in e)]


_ABOUT_WORDS = frozenset(content_tokens(" ".join(ACCOUNT_WORDS), "id", "other"))


def _introduces(sentence: str, alias: tuple[str, ...]) -> bool:
    """Whether `sentence` is about the name `alias`: it opens with it, or says what it is
    right after it ("... manages Impala Space, a coworking space ..."). "Kemenekraf's AI
    policy rests on Minister Teuku Riefky Harsya's view that ..." is not about him."""
    said = tuple(words(sentence))
    if said[:len(alias)] == alias:
        return True
    described = re.split(r"\s*[,(]", sentence)[:-1]  # each part that a comma or "(" ends
    return any(tuple(words(part))[-len(alias):] == alias for part in described)

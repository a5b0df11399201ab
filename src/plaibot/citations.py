"""Check a generated answer against the passages it was given, cheaply and deterministically.

Every `[n]` must name a given passage (others are removed); the text before each citation
must be supported by the passages it cites: all its figures appear there, and most of its
content words; nothing that states a fact may follow the last citation; the answer must be
in the asker's language. An answer that fails is not given (the caller quotes instead).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from plaibot.text import Language, detect_language, tokenize, words

# One or more adjacent citations: [1], [1][3], [1, 3], [1; 3].
_GROUP = re.compile(r"(?:\s*\[\s*\d{1,3}(?:\s*[,;]\s*\d{1,3})*\s*\])+")
_MARKUP = re.compile(r"\*\*|__|`")
_PREFIX = 5  # words sharing this many first letters count as found (kolaborasi/kolaborator)


@dataclass(frozen=True)
class Checked:
    """A checked answer: its text with unknown citations removed, the passage numbers it
    cites in order of first use, and `problem` saying why it cannot be given ("" if it can)."""

    text: str
    cited: list[int]
    problem: str = ""


@dataclass(frozen=True)
class _Reference:
    """What a passage (or several) says, as stems, stem prefixes and figures."""

    stems: frozenset[str]
    prefixes: frozenset[str]
    figures: frozenset[str]

    @classmethod
    def of(cls, text: str, language: Language) -> _Reference:
        stems = frozenset(tokenize(text, language))
        return cls(stems, frozenset(s[:_PREFIX] for s in stems if len(s) >= _PREFIX),
                   frozenset(_figures(text)))

    def supports(self, claim: str, language: Language, share: float) -> bool:
        """All figures of `claim` are here, and all its content words but one, or at least
        `share` of them (a longer claim may reword more)."""
        if not _figures(claim) <= self.figures:
            return False
        terms = {s for s in tokenize(claim, language) if not s[0].isdigit()}
        found = sum(s in self.stems or (len(s) >= _PREFIX and s[:_PREFIX] in self.prefixes)
                    for s in terms)
        return len(terms) - found <= 1 or found / len(terms) >= share


def check_citations(text: str, passages: Mapping[int, str], language: Language, *,
                    share: float = 0.7, small_talk: int = 3) -> Checked:
    """Check `text` (a generated answer) against `passages` (number -> what it says).

    Text after the last citation may only be small talk: no figures and at most
    `small_talk` content words ("Semoga membantu!").
    """
    claims, trailing, clean = _claims(text.strip(), passages)
    cited = list(dict.fromkeys(n for _, numbers in claims for n in numbers))
    if not cited:
        return Checked(clean, [], "no valid citation")
    plain = _GROUP.sub("", clean)
    if detect_language(plain, default=language) != language:
        return Checked(clean, cited, "answer not in the asker's language")
    references = {n: _Reference.of(passages[n], language) for n in cited}
    for claim, numbers in claims:
        reference = _merged([references[n] for n in numbers])
        if not reference.supports(claim, language, share):
            return Checked(clean, cited, f"not supported by {numbers}: {claim.strip()[:80]}")
    if _figures(trailing) or len(tokenize(trailing, language)) > small_talk:
        return Checked(clean, cited, f"uncited claim: {trailing.strip()[:80]}")
    return Checked(clean, cited)


def _claims(text: str, passages: Mapping[int, str]) -> tuple[list[tuple[str, list[int]]], str, str]:
    """Split `text` at its citations: (claim, valid numbers) pairs, the uncited text after
    the last valid citation, and the text without the invalid citations."""
    claims: list[tuple[str, list[int]]] = []
    pending, clean, position = "", [], 0
    for match in _GROUP.finditer(text):
        pending += text[position:match.start()]
        clean.append(text[position:match.start()])
        position = match.end()
        numbers = [int(n) for n in re.findall(r"\d+", match.group())]
        valid = [n for n in dict.fromkeys(numbers) if n in passages]
        if not valid:
            continue  # the claim waits for the next valid citation
        clean.append(match.group() if valid == numbers else " " + "".join(f"[{n}]" for n in valid))
        claims.append((_MARKUP.sub("", pending), valid))
        pending = ""
    clean.append(text[position:])
    return claims, _MARKUP.sub("", pending + text[position:]), "".join(clean).strip()


def _merged(references: list[_Reference]) -> _Reference:
    if len(references) == 1:
        return references[0]
    return _Reference(frozenset().union(*(r.stems for r in references)),
                      frozenset().union(*(r.prefixes for r in references)),
                      frozenset().union(*(r.figures for r in references)))


def _figures(text: str) -> set[str]:
    """Numbers without their separators, so 60.000, 60,000 and 60000 are one figure."""
    return {re.sub(r"[.,]", "", w) for w in words(text) if w[0].isdigit()}

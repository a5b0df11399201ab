"""Question sets about the ecosystem with the answers (or refusals) they need.

Two sets use this format: the golden set (`tests/golden/ecosystem.yaml`, written beside the
answerer; an answer passes when it holds the expected text anywhere) and the visitor set
(`tests/visitors.yaml`, questions typed as visitors type them; an answer passes only when
its first sentence holds the expected fact, in the asker's language, with nothing to avoid).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from plaibot.assistant import Assistant
from plaibot.text import detect_language, split_sentences


@dataclass(frozen=True)
class GoldenItem:
    id: str
    lang: str
    question: str
    expect: tuple[str, ...] = ()
    expect_all: tuple[str, ...] = ()
    refuse: bool = False
    history: tuple[str, ...] = ()
    near_scope: bool = False
    avoid: tuple[str, ...] = ()  # text the answer must not hold (a side fact padding it)
    kind: str = ""  # overview, fact, followup, near, out (the visitor set's groups)


@dataclass
class GoldenResult:
    item: GoldenItem
    passed: bool
    answer: str
    reason: str = ""


@dataclass
class GoldenReport:
    results: list[GoldenResult] = field(default_factory=list)

    def rate(self, keep=lambda r: True) -> float:
        chosen = [r for r in self.results if keep(r)]
        return sum(r.passed for r in chosen) / len(chosen) if chosen else 1.0

    def count(self, keep=lambda r: True) -> tuple[int, int]:
        """(passed, asked) among the results `keep` selects."""
        chosen = [r for r in self.results if keep(r)]
        return sum(r.passed for r in chosen), len(chosen)

    @property
    def failures(self) -> list[GoldenResult]:
        return [r for r in self.results if not r.passed]


def _texts(item: dict, key: str) -> tuple[str, ...]:
    return tuple(map(str, item.get(key) or ()))


def load_golden(path: Path) -> list[GoldenItem]:
    items = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    return [
        GoldenItem(
            id=i["id"], lang=i["lang"], question=i["question"],
            expect=_texts(i, "expect"), expect_all=_texts(i, "expect_all"),
            refuse=bool(i.get("refuse")), history=tuple(i.get("history") or ()),
            near_scope=bool(i.get("near_scope")) or i.get("kind") == "near",
            avoid=_texts(i, "avoid"), kind=str(i.get("kind") or ""),
        )
        for i in items
    ]


_CITATION = re.compile(r"\s*\[\d+\]")


def first_sentence(text: str) -> str:
    """The answer's opening sentence, without its `[n]` citations."""
    opening = _CITATION.sub("", text.strip().split("\n\n")[0])
    sentences = split_sentences(opening)
    return sentences[0] if sentences else ""


def run_golden(assistant: Assistant, items: list[GoldenItem], *,
               fact_first: bool = False) -> GoldenReport:
    """Ask every item; an answer passes when it refuses exactly when it should and holds
    one of `expect` and all of `expect_all` (case-insensitive) and none of `avoid`.

    `fact_first` (the visitor set) asks more: one of `expect` in the first sentence, and
    that sentence in the item's language.
    """
    report = GoldenReport()
    for item in items:
        answer = assistant.ask(item.question, list(item.history))
        passed, reason = _judge(item, answer.text, answer.refused, answer.language, fact_first)
        report.results.append(GoldenResult(item, passed, answer.text, reason))
    return report


def _judge(item: GoldenItem, text: str, refused: bool, language: str,
           fact_first: bool) -> tuple[bool, str]:
    if item.refuse:
        return (True, "") if refused else (False, "answered instead of refusing")
    if refused:
        return False, "refused"
    lowered = text.lower()
    opening = first_sentence(text) if fact_first else text
    if item.expect and not any(e.lower() in opening.lower() for e in item.expect):
        return False, "expected fact not first" if fact_first else "expected text missing"
    if not all(e.lower() in lowered for e in item.expect_all):
        return False, "expected text missing"
    if any(a.lower() in lowered for a in item.avoid):
        return False, "holds a side fact it should not"
    if fact_first and (language != item.lang
                       or detect_language(opening, default=item.lang) != item.lang):
        return False, f"answered in the wrong language ({language})"
    return True, ""

"""The golden set: questions about the ecosystem with the answers (or refusals) they need."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from plaibot.assistant import Assistant


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

    @property
    def failures(self) -> list[GoldenResult]:
        return [r for r in self.results if not r.passed]


def load_golden(path: Path) -> list[GoldenItem]:
    items = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    return [
        GoldenItem(
            id=i["id"], lang=i["lang"], question=i["question"],
            expect=tuple(map(str, i.get("expect") or ())),
            expect_all=tuple(map(str, i.get("expect_all") or ())),
            refuse=bool(i.get("refuse")), history=tuple(i.get("history") or ()),
            near_scope=bool(i.get("near_scope")),
        )
        for i in items
    ]


def run_golden(assistant: Assistant, items: list[GoldenItem]) -> GoldenReport:
    """Ask every item; an answer passes when it refuses exactly when it should and holds
    one of `expect` and all of `expect_all` (case-insensitive)."""
    report = GoldenReport()
    for item in items:
        answer = assistant.ask(item.question, list(item.history))
        text = answer.text.lower()
        if item.refuse:
            passed, reason = answer.refused, "answered instead of refusing"
        elif answer.refused:
            passed, reason = False, "refused"
        else:
            has_one = not item.expect or any(e.lower() in text for e in item.expect)
            has_all = all(e.lower() in text for e in item.expect_all)
            passed = has_one and has_all
            reason = "" if passed else "expected text missing"
        report.results.append(GoldenResult(item, passed, answer.text, "" if passed else reason))
    return report

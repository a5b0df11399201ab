"""Grounded prompting: the retrieved passages numbered by source, and what a chat model is told.

A passage is everything the retrieved chunks say that one source said, so `[n]` in a
generated answer names an article the way the extractive answer's citations do, and the
citation check can compare each cited sentence with exactly what that source said.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from plaibot.answering import Source, source_entries
from plaibot.i18n import t
from plaibot.retrieval import ScoredChunk
from plaibot.splitting import chunk_sentences
from plaibot.text import Language


@dataclass
class Passage:
    """What one source says in the retrieved chunks; `source.number` is its `[n]`."""

    source: Source
    sentences: list[str] = field(default_factory=list)

    @property
    def number(self) -> int:
        return self.source.number

    @property
    def text(self) -> str:
        return " ".join(self.sentences)

    def shown(self) -> str:
        """The passage as the model sees it: number, title, date, then the text."""
        date = f" ({self.source.date})" if self.source.date else ""
        return f"[{self.number}] {self.source.title}{date}\n{self.text}"


def number_passages(hits: Sequence[ScoredChunk], max_chars: int = 6000) -> list[Passage]:
    """The hits' sentences grouped by source and numbered in order of first appearance.

    Stops adding sentences at `max_chars` so the prompt fits small context windows.
    """
    passages: dict[tuple[str, str], Passage] = {}
    used = 0
    for hit in hits:
        for text, keys in chunk_sentences(hit.document):
            if used + len(text) > max_chars:
                return list(passages.values())
            for entry in source_entries(hit.document.metadata, keys):
                key = (entry["title"], entry["address"])
                if key not in passages:
                    source = Source(len(passages) + 1, entry["title"], entry["address"],
                                    entry["date"], text, round(hit.score, 4))
                    passages[key] = Passage(source)
                if text not in passages[key].sentences:
                    passages[key].sentences.append(text)
                    used += len(text)
    return list(passages.values())


_RULES: dict[Language, str] = {
    "id": """Anda adalah plaibot, asisten yang teliti. Jawab pertanyaan hanya dari bagian-bagian bernomor yang diberikan.
- Pakai hanya fakta yang tertulis di bagian-bagian itu; jangan menambahkan pengetahuan Anda sendiri.
- Akhiri setiap kalimat yang berisi fakta dengan nomor bagian sumbernya dalam kurung siku: [1], atau [1][3] jika lebih dari satu. Pakai hanya nomor bagian yang diberikan.
- Jawab dalam bahasa Indonesia, paling banyak {sentences} kalimat pendek yang ramah.
- Tulis nama, tanggal, dan angka persis seperti di bagian-bagian itu.
- Jika bagian-bagian itu tidak sepakat, sebutkan setiap versi dengan sumbernya sendiri dan jangan memilih salah satunya.
- Jika bagian-bagian itu tidak memuat jawabannya, balas hanya: {refusal}""",
    "en": """You are plaibot, a careful assistant. Answer the question only from the numbered passages you are given.
- Use only facts the passages state; add nothing from your own knowledge.
- End every sentence that states a fact with the number of the passage it comes from, in square brackets: [1], or [1][3] for several. Use only the numbers of the passages given.
- Answer in English, in at most {sentences} short, friendly sentences.
- Write names, dates and numbers exactly as the passages do.
- When the passages disagree, give each version with its own source and do not choose between them.
- When the passages do not hold the answer, reply only: {refusal}""",
}
_PASSAGES: dict[Language, str] = {"id": "Bagian-bagian:", "en": "Passages:"}
_EARLIER: dict[Language, str] = {"id": "Pertanyaan sebelumnya", "en": "Earlier question"}
_QUESTION: dict[Language, str] = {"id": "Pertanyaan", "en": "Question"}


def grounded_messages(question: str, passages: Sequence[Passage], language: Language, *,
                      context: str = "", sentences: int = 3) -> list[BaseMessage]:
    """The system rules and the numbered passages with the question, in the asker's language."""
    rules = _RULES[language].format(sentences=sentences, refusal=t("refusal", language))
    shown = "\n\n".join(p.shown() for p in passages)
    earlier = f"{_EARLIER[language]}: {context}\n" if context else ""
    asked = f"{_PASSAGES[language]}\n\n{shown}\n\n{earlier}{_QUESTION[language]}: {question}"
    return [SystemMessage(rules), HumanMessage(asked)]


_REWRITE: dict[Language, str] = {
    "id": "Tulis ulang pertanyaan terakhir supaya bisa dipahami tanpa percakapan sebelumnya: "
    "sebutkan apa yang dirujuknya. Pertahankan bahasa dan maksudnya. Balas hanya dengan "
    "pertanyaan itu, dalam satu baris.",
    "en": "Rewrite the last question so that it can be understood without the conversation: "
    "name what it refers to. Keep its language and meaning. Reply with the question only, "
    "on one line.",
}
_CONVERSATION: dict[Language, tuple[str, str, str]] = {
    "id": ("Percakapan", "Pertanyaan terakhir", "Pertanyaan mandiri"),
    "en": ("Conversation", "Last question", "Standalone question"),
}


def rewrite_messages(question: str, earlier: Sequence[str], language: Language) -> list[BaseMessage]:
    """Ask for `question` rewritten as a standalone question, given the earlier questions."""
    conversation, last, standalone = _CONVERSATION[language]
    asked = "\n".join(f"- {q}" for q in earlier)
    return [SystemMessage(_REWRITE[language]),
            HumanMessage(f"{conversation}:\n{asked}\n\n{last}: {question}\n\n{standalone}:")]

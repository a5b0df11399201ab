"""Evaluation on SQuAD-style question sets: retrieval recall, answers, refusals, latency."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml
from langchain_core.documents import Document

from plaibot.assistant import Assistant, settings_embeddings
from plaibot.config import Settings
from plaibot.errors import EvalFileError
from plaibot.loaders import file_hash
from plaibot.splitting import split_documents
from plaibot.store import ChunkStore
from plaibot.text import detect_language


@dataclass(frozen=True)
class EvalQuestion:
    question: str
    passage: str  # source name of the gold passage
    answers: tuple[str, ...]
    impossible: bool


@dataclass
class EvalSet:
    passages: dict[str, Document]
    questions: list[EvalQuestion]


@dataclass
class EvalResult:
    """Metrics of one run; rates are fractions (0..1), latencies milliseconds."""

    name: str
    embedder: str
    questions: int
    answerable: int
    recall_at_1: float
    recall_at_5: float
    mrr: float
    answer_hit_rate: float
    refusal_rate_unanswerable: float
    refusal_rate_answerable: float
    latency_p50_ms: float
    latency_p95_ms: float
    extra: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def load_squad(path: Path) -> EvalSet:
    """Read the IDK-MRC list layout or the SQuAD `{"data": [...]}` layout."""
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise EvalFileError(f"{path}: no such file") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise EvalFileError(f"{path}: not valid JSON ({error.__class__.__name__})") from None
    if isinstance(raw, dict) and isinstance(raw.get("data"), list):
        articles = raw["data"]
    elif isinstance(raw, list):
        articles = [{"title": "", "paragraphs": raw}]
    else:
        raise EvalFileError(f"{path}: expected a list of passages or {{'data': [...]}}")
    passages: dict[str, Document] = {}
    questions: list[EvalQuestion] = []
    try:
        for article in articles:
            for paragraph in article["paragraphs"]:
                source = f"passage-{len(passages):05d}"
                text = paragraph["context"]
                metadata = {"title": article.get("title", ""), "language": detect_language(text)}
                passages[source] = Document(page_content=text, metadata=metadata)
                for qa in paragraph.get("qas", []):
                    answers = tuple(a["text"] for a in qa.get("answers", []) if a.get("text"))
                    impossible = bool(qa.get("is_impossible")) or not answers
                    questions.append(EvalQuestion(qa["question"], source, answers, impossible))
    except (KeyError, TypeError) as error:
        raise EvalFileError(f"{path}: not a SQuAD layout (missing {error})") from None
    if not questions:
        raise EvalFileError(f"{path}: holds no questions")
    return EvalSet(passages, questions)


def passage_assistant(eval_set: EvalSet, settings: Settings) -> Assistant:
    """An assistant over a throwaway in-memory collection of the set's passages."""
    store = ChunkStore.in_memory(f"eval-{uuid.uuid4().hex[:8]}", settings_embeddings(settings))
    files = []
    for source, passage in eval_set.passages.items():
        chunks = split_documents([passage], settings.chunk_size, settings.chunk_overlap)
        files.append((source, file_hash(passage.page_content.encode()), chunks))
    store.add_files(files)
    assistant = Assistant(settings, store=store)
    assistant.retriever.refresh()
    return assistant


def knowledge_assistant(settings: Settings) -> Assistant:
    """An assistant over a throwaway in-memory index of the knowledge folder (to measure an
    embedding model without re-embedding the real index)."""
    store = ChunkStore.in_memory(f"eval-{uuid.uuid4().hex[:8]}", settings_embeddings(settings))
    assistant = Assistant(settings, store=store)
    assistant.index()
    return assistant


def evaluate(
    assistant: Assistant, eval_set: EvalSet, name: str, against_knowledge: bool = False
) -> EvalResult:
    """Ask every question; score retrieval against the gold passage and the answers."""
    ranks: list[int | None] = []
    hits = refused_unanswerable = refused_answerable = 0
    latencies: list[float] = []
    for item in eval_set.questions:
        started = time.perf_counter()
        answer = assistant.ask(item.question)
        latencies.append((time.perf_counter() - started) * 1000)
        if not against_knowledge and not item.impossible:
            ranks.append(_rank(answer.passages, item.passage))
        if item.impossible or against_knowledge:
            refused_unanswerable += answer.refused
            continue
        refused_answerable += answer.refused
        text = answer.text.lower()
        hits += (not answer.refused) and any(a.lower() in text for a in item.answers)
    answerable = sum(not q.impossible for q in eval_set.questions)
    unanswerable = len(eval_set.questions) if against_knowledge else len(eval_set.questions) - answerable
    return EvalResult(
        name=name,
        embedder=assistant.store.embedder,
        questions=len(eval_set.questions),
        answerable=0 if against_knowledge else answerable,
        recall_at_1=_share(ranks, lambda r: r is not None and r < 1),
        recall_at_5=_share(ranks, lambda r: r is not None and r < 5),
        mrr=sum(1 / (r + 1) for r in ranks if r is not None) / len(ranks) if ranks else 0.0,
        answer_hit_rate=hits / answerable if answerable and not against_knowledge else 0.0,
        refusal_rate_unanswerable=refused_unanswerable / unanswerable if unanswerable else 0.0,
        refusal_rate_answerable=(
            refused_answerable / answerable if answerable and not against_knowledge else 0.0
        ),
        latency_p50_ms=_percentile(latencies, 50),
        latency_p95_ms=_percentile(latencies, 95),
    )


def _rank(passages: list, gold: str) -> int | None:
    """Rank of the gold passage among the distinct passages retrieved (0 = first)."""
    seen: list[str] = []
    for hit in passages:
        source = hit.document.metadata.get("source")
        if source not in seen:
            seen.append(source)
    return seen.index(gold) if gold in seen else None


def _share(values: list, keep) -> float:
    return sum(1 for v in values if keep(v)) / len(values) if values else 0.0


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


QUESTION_SET_SUFFIXES = (".yaml", ".yml")


@dataclass
class QuestionSetResult:
    """A question set's outcome (see `plaibot.golden`): (passed, asked) per group."""

    name: str
    embedder: str
    fact_first: bool
    answerable: tuple[int, int]
    refused: tuple[int, int]
    kinds: dict[str, tuple[int, int]] = field(default_factory=dict)
    failures: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def evaluate_question_set(assistant: Assistant, path: Path, *, fact_first: bool,
                          limit: int | None = None) -> QuestionSetResult:
    """Ask a golden-format question set (the golden set, or with `fact_first` the visitor
    set) against `assistant`'s index."""
    from plaibot.golden import load_golden, run_golden

    try:
        items = load_golden(path)[:limit]
    except FileNotFoundError:
        raise EvalFileError(f"{path}: no such file") from None
    except (yaml.YAMLError, KeyError, TypeError) as error:
        raise EvalFileError(f"{path}: not a question set ({error.__class__.__name__}: "
                            f"{error})") from None
    report = run_golden(assistant, items, fact_first=fact_first)
    kinds = sorted({i.kind for i in items if i.kind})
    return QuestionSetResult(
        name=Path(path).name,
        embedder=assistant.settings.embedding_model,
        fact_first=fact_first,
        answerable=report.count(lambda r: not r.item.refuse),
        refused=report.count(lambda r: r.item.refuse),
        kinds={k: report.count(lambda r, k=k: r.item.kind == k) for k in kinds},
        failures=[{"id": r.item.id, "question": r.item.question, "reason": r.reason,
                   "answer": r.answer} for r in report.failures],
    )

"""The `plaibot` command line, mirroring the Python API."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table
from typer.core import TyperGroup

import plaibot
from plaibot.errors import PlaibotError

if TYPE_CHECKING:
    from plaibot.answering import Answer
    from plaibot.assistant import Assistant
    from plaibot.config import Settings
    from plaibot.generation import AnswerEvent

# Wide enough for the eval table when output goes to a file or pipe.
console = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 160)
errors = Console(stderr=True, soft_wrap=True)


class _Commands(TyperGroup):
    """Every command's `PlaibotError` becomes a message and the error's exit code (2 for
    wrong input, 3 for a backend that cannot be reached, 1 otherwise), never a traceback;
    in-process callers (`CliRunner`) see exactly what a shell sees."""

    def invoke(self, ctx: typer.Context) -> object:
        try:
            return super().invoke(ctx)
        except PlaibotError as error:
            errors.print(f"[bold red]error:[/] {error}", highlight=False)
            raise typer.Exit(error.exit_code) from error


app = typer.Typer(cls=_Commands, help="plaibot: cited answers about Indonesia's AI and "
                  "creative economy.", no_args_is_help=True, add_completion=False,
                  pretty_exceptions_enable=False)


def _settings(ctx: typer.Context) -> Settings:
    """The settings of the assistant given as the context object, else `PLAIBOT_*`'s
    (without importing the assistant: `plaibot ask ""` must stay instant)."""
    given = getattr(ctx.obj, "settings", None)
    if given is not None:
        return given
    from plaibot.config import Settings

    return Settings()


def _assistant(ctx: typer.Context) -> Assistant:
    """The assistant passed as the context object (`app(obj=assistant)`, as the tests do),
    else one built from the `PLAIBOT_*` settings."""
    from plaibot.assistant import Assistant

    given = ctx.find_object(Assistant)
    return given if given is not None else Assistant(_settings(ctx))


def _fail(message: str, code: int = 1) -> None:
    errors.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


@app.command()
def index(
    ctx: typer.Context,
    paths: Annotated[list[Path] | None, typer.Argument(
        help="Files or folders (default: knowledge/ and the staff uploads).")] = None,
) -> None:
    """Index documents incrementally: unchanged files are skipped, deleted ones removed."""
    from rich.progress import Progress

    from plaibot.loaders import discover

    assistant = _assistant(ctx)
    targets = paths or assistant.settings.index_sources
    total = len(discover(p for p in targets if p.exists())[0])
    with Progress(console=errors, transient=True, disable=not errors.is_terminal) as progress:
        task = progress.add_task("indexing", total=total)
        report = assistant.index(paths, on_file=lambda _: progress.advance(task))
    for source, reason in report.skipped:
        errors.print(f"skipped {source}: {reason}", highlight=False)
    for source, reason in report.failed:
        errors.print(f"[red]failed[/] {source}: {reason}", highlight=False)
    console.print(report.summary(), highlight=False)
    if not report.ok:
        raise typer.Exit(1)


def _print_answer(answer: Answer, as_json: bool) -> None:
    if as_json:
        payload = {"text": answer.text, "language": answer.language, "grounded": answer.grounded,
                   "confidence": round(answer.confidence, 4),
                   "sources": [vars(s) for s in answer.sources]}
        console.print_json(json.dumps(payload, ensure_ascii=False))
        return
    console.print(answer.text, highlight=False)
    _print_sources(answer)


def _print_sources(answer: Answer) -> None:
    if answer.sources:
        console.print()
    for source in answer.sources:
        date = f", {source.date}" if source.date else ""
        console.print(f"[{source.number}] {source.title}{date}\n    {source.address}",
                      highlight=False, markup=False)


@app.command()
def ask(
    ctx: typer.Context,
    question: Annotated[str, typer.Argument(help="The question, in Indonesian or English.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")] = False,
    stream: Annotated[bool, typer.Option(
        "--stream", help="Show the answer as it is written (ignored with --json).")] = False,
) -> None:
    """Answer one question and list its sources."""
    from plaibot.questions import validate_question

    # Rejected before the assistant (and its model) is built: an empty question costs nothing.
    question = validate_question(question, _settings(ctx).max_question_chars)
    assistant = _assistant(ctx)
    if stream and not as_json:
        _print_streamed(assistant.stream(question))
    else:
        _print_answer(assistant.ask(question), as_json)


def _print_streamed(events: Iterator[AnswerEvent]) -> None:
    """Redraw the answer as its text grows (or is replaced), then list its sources."""
    from rich.live import Live
    from rich.text import Text

    from plaibot.generation import Final, Token

    text = ""
    with Live(Text(text), console=console, auto_refresh=False,
              vertical_overflow="visible") as live:
        for event in events:
            if isinstance(event, Final):
                answer = event.answer
                text = answer.text
            else:
                text = text + event.text if isinstance(event, Token) else event.text
            live.update(Text(text), refresh=True)
    _print_sources(answer)


@app.command()
def chat(ctx: typer.Context) -> None:
    """A conversation in the terminal; follow-up questions use what was asked before."""
    from plaibot.errors import QuestionError

    assistant = _assistant(ctx)
    history: list[str] = []
    console.print("plaibot — tanya apa saja / ask anything (Ctrl-D to quit)")
    while True:
        try:
            question = console.input("[bold]> [/]")
        except (EOFError, KeyboardInterrupt):
            console.print()
            return
        if not question.strip():
            continue
        try:
            _print_streamed(assistant.stream(question, history))
        except QuestionError as error:
            errors.print(str(error), highlight=False)
            continue
        history.append(question)
        console.print()


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    workers: Annotated[int | None, typer.Option(
        help="Worker processes (they share rate limits and conversations; see README).")] = None,
) -> None:
    """Serve the chat page, the HTTP API and the widget (indexing knowledge/ first)."""
    from plaibot.web import serve as run_server

    settings = _settings(ctx)
    if workers:
        settings = settings.model_copy(update={"workers": workers})
    run_server(settings, host or settings.host, port or settings.port)


@app.command(name="eval")
def evaluate(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(
        help="SQuAD-style JSON (list or {'data': [...]}), or a question set in YAML "
        "(tests/golden/ecosystem.yaml, tests/visitors.yaml).")],
    against_knowledge: Annotated[bool, typer.Option(
        "--against-knowledge", help="Ask the questions against the ecosystem index instead.")] = False,
    compare: Annotated[bool, typer.Option(
        "--compare", help="Also run BM25-only and dense-only retrieval.")] = False,
    models: Annotated[list[str] | None, typer.Option(
        "--model", help="Embedding model to measure (default: PLAIBOT_EMBEDDING_MODEL); "
        "repeat it to compare models side by side.")] = None,
    limit: Annotated[int | None, typer.Option(help="Ask at most this many questions.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print results as JSON.")] = False,
    fact_first: Annotated[bool, typer.Option(
        "--fact-first", help="Question sets: the expected fact must open the answer, in the "
        "asker's language (how tests/visitors.yaml is judged).")] = False,
    failures: Annotated[bool, typer.Option(
        "--failures", help="Question sets: list every failed question and its answer.")] = False,
) -> None:
    """Measure retrieval (recall@1/5, MRR), answers, refusals and latency on a question set.

    A YAML question set is asked against the knowledge index instead: how many answerable
    questions got the expected answer and how many must-refuse ones were refused.
    """
    from plaibot.evaluate import (
        QUESTION_SET_SUFFIXES,
        knowledge_assistant,
        load_squad,
        passage_assistant,
    )
    from plaibot.evaluate import evaluate as run

    if file.suffix.lower() in QUESTION_SET_SUFFIXES:
        _eval_question_set(ctx, file, fact_first, limit, as_json, failures)
        return
    eval_set = load_squad(file)
    if limit:
        eval_set.questions = eval_set.questions[:limit]
    configured = _settings(ctx)
    runs: list[tuple[str, float | None]] = [("hybrid", configured.keyword_weight)]
    if compare and not against_knowledge:
        runs += [("bm25 only", 1.0), ("dense only", 0.0)]
    results = []
    for model in models or [configured.embedding_model]:
        settings = configured.model_copy(update={"embedding_model": model})
        if not against_knowledge:
            base = passage_assistant(eval_set, settings)
        elif model == configured.embedding_model:
            base = _assistant(ctx)  # the ecosystem index itself
        else:  # another model must not re-embed the real index: a throwaway copy
            base = knowledge_assistant(settings)
        for name, weight in runs:
            base.retriever.keyword_weight = weight
            base.retriever.embeddings.forget_queries()  # each run pays for its embeddings
            results.append(run(base, eval_set, name, against_knowledge))
    if as_json:
        console.print_json(json.dumps([r.as_dict() for r in results]))
        return
    console.print(_eval_table(f"{file.name}: {len(eval_set.questions)} questions", results,
                              against_knowledge))


def _eval_question_set(ctx: typer.Context, file: Path, fact_first: bool, limit: int | None,
                       as_json: bool, show_failures: bool) -> None:
    from plaibot.evaluate import evaluate_question_set

    result = evaluate_question_set(_assistant(ctx), file, fact_first=fact_first, limit=limit)
    if as_json:
        console.print_json(json.dumps(result.as_dict(), ensure_ascii=False))
        return
    judged = "fact first" if fact_first else "expected text anywhere"
    table = Table(title=f"{file.name} ({judged}, {result.embedder})")
    for column in ("questions", "passed", "asked", "rate"):
        table.add_column(column, justify="left" if column == "questions" else "right")
    groups = [("answerable", result.answerable), ("must refuse (refused)", result.refused)]
    for name, (passed, asked) in groups + [(f"  {k}", v) for k, v in result.kinds.items()]:
        table.add_row(name, str(passed), str(asked), f"{passed / asked:.3f}" if asked else "n/a")
    console.print(table)
    for failure in result.failures if show_failures else []:
        console.print(f"{failure['id']} ({failure['reason']}): {failure['question']}\n"
                      f"    {failure['answer'][:300]}", highlight=False, markup=False)


def _eval_table(title: str, results: list, against_knowledge: bool) -> Table:
    table = Table(title=title)
    columns = ["embedder", "run", "recall@1", "recall@5", "MRR", "answer hit",
               "refused (unanswerable)", "refused (answerable)", "p50 ms", "p95 ms"]
    for column in columns:
        table.add_column(column, justify="left" if column in ("embedder", "run") else "right")
    for r in results:
        # Against the ecosystem index there is no gold passage: only refusals count.
        scored = [r.recall_at_1, r.recall_at_5, r.mrr, r.answer_hit_rate]
        cells = ["n/a"] * 4 if against_knowledge else [f"{v:.3f}" for v in scored]
        table.add_row(r.embedder, r.name, *cells, f"{r.refusal_rate_unanswerable:.3f}",
                      "n/a" if against_knowledge else f"{r.refusal_rate_answerable:.3f}",
                      f"{r.latency_p50_ms:.1f}", f"{r.latency_p95_ms:.1f}")
    return table


feedback_app = typer.Typer(help="User feedback on answers (thumbs up or down, comments).",
                           no_args_is_help=True)
app.add_typer(feedback_app, name="feedback")


@feedback_app.command("export")
def feedback_export(
    ctx: typer.Context,
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV instead of JSON.")] = False,
) -> None:
    """Print every vote (oldest first) as JSON, or as CSV for a spreadsheet."""
    from plaibot.feedback import FeedbackStore
    from plaibot.records import Records

    settings = _settings(ctx)
    if settings.database_url is None and not settings.feedback_file.exists():
        _fail(f"no feedback yet: {settings.feedback_file} does not exist "
              "(set PLAIBOT_FEEDBACK_PATH or PLAIBOT_DATABASE_URL?)")
    store = FeedbackStore(Records(settings.records_url))
    sys.stdout.write(store.export_csv() if as_csv
                     else json.dumps(store.export(), ensure_ascii=False, indent=2) + "\n")


@app.command()
def gaps(
    ctx: typer.Context,
    min_confidence: Annotated[float, typer.Option(
        help="Leave out questions below this confidence (off-topic, prompt injection).")] = 0.0,
    max_confidence: Annotated[float, typer.Option(help="Leave out questions above it.")] = 1.0,
    days: Annotated[int | None, typer.Option(help="Only the last N days.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the groups as JSON.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print the groups as CSV.")] = False,
) -> None:
    """Knowledge gaps: refused and thumbed-down questions grouped by meaning, largest first."""
    from dataclasses import asdict

    from rich.text import Text

    from plaibot.gaps import gaps_csv

    found = _assistant(ctx).gaps(min_confidence, max_confidence, days)
    if as_json:
        groups = [asdict(g) for g in found]
        sys.stdout.write(json.dumps(groups, ensure_ascii=False, indent=2) + "\n")
        return
    if as_csv:
        sys.stdout.write(gaps_csv(found))
        return
    table = Table(title=f"{len(found)} knowledge gaps ({sum(g.count for g in found)} questions)")
    for column in ("count", "example", "last", "languages", "confidence"):
        table.add_column(column, justify="right" if column in ("count", "confidence") else "left")
    for g in found:
        table.add_row(str(g.count), Text(g.example), g.last, ", ".join(g.languages),
                      f"{g.confidence:.2f}")
    console.print(table)


@app.command("staff-password")
def staff_password() -> None:
    """Print the hash of a staff password (asked twice) for PLAIBOT_STAFF_PASSWORD."""
    from plaibot.staff import MIN_PASSWORD_CHARS, hash_password

    password = typer.prompt("Staff password", hide_input=True, confirmation_prompt=True)
    if len(password) < MIN_PASSWORD_CHARS:
        _fail(f"use at least {MIN_PASSWORD_CHARS} characters", 2)
    console.print(hash_password(password), highlight=False, markup=False)


def _version(value: bool) -> None:
    if value:
        console.print(f"plaibot {plaibot.__version__}", highlight=False)
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True, help="Print the version and exit.")] = False,
) -> None:
    pass


def main() -> None:
    """The console entry point."""
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

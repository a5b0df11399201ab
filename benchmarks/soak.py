"""`make soak`: mixed traffic against a live server for a bounded time, on loopback.

Clients ask questions (JSON and streamed), follow up in conversations, vote on answers and
check health, while another process re-indexes a changing document every `--reindex-every`
seconds. With `--hosts 2` (SOAK_HOSTS=2) there are two `plaibot serve` processes sharing a
Chroma server, Redis and PostgreSQL (all started here, on loopback, and removed after),
and each client sends its requests to the hosts in turn, as a round-robin balancer would.
Prints one row per minute (requests, errors, latency, memory per host) and a verdict:
zero errors and memory growth under 10% after the first minute, on every host.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from run import RESULTS, ROOT, first_answer, free_port, percentiles, questions, start_server, table


@dataclass
class Minute:
    requests: int = 0
    errors: int = 0
    latencies: list[float] = field(default_factory=list)
    reindexes: int = 0
    rss_mb: dict[int, float] = field(default_factory=dict)  # per host, the most seen


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (uvicorn may fork), from /proc."""
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


# The partner site every client's token is for (allowed on every host).
PARTNER = "https://partner.example"


async def client_loop(bases: list[str], asked: list[str], minutes: list[Minute], began: float,
                      stop: float, seed: int) -> None:
    import httpx

    rng = random.Random(seed)
    async with httpx.AsyncClient(timeout=60) as client:
        token = (await client.post(f"{bases[seed % len(bases)]}/api/session",
                                   headers={"Origin": PARTNER})).json()["token"]
        headers = {"Origin": PARTNER, "Authorization": f"Bearer {token}"}
        conversation, answered, turn = None, None, seed
        while time.perf_counter() < stop:
            minute = minutes[min(int((time.perf_counter() - began) // 60), len(minutes) - 1)]
            turn += 1
            base = bases[turn % len(bases)]
            kind = rng.random()
            started = time.perf_counter()
            try:
                if kind < 0.1:
                    ok = (await client.get(f"{base}/api/health")).status_code == 200
                elif kind < 0.45:
                    ok, conversation = await streamed(client, base, headers, rng.choice(asked),
                                                      conversation)
                elif kind < 0.5 and answered:
                    vote = {"conversation_id": answered["conversation_id"],
                            "answer": answered["text"], "rating": rng.choice(["up", "down"])}
                    reply = await client.post(f"{base}/api/feedback", json=vote, headers=headers)
                    ok = reply.status_code == 201
                else:
                    body = {"question": rng.choice(asked + ["kapan dibuka?", "where is it?"])}
                    if conversation and rng.random() < 0.5:
                        body["conversation_id"] = conversation
                    reply = await client.post(f"{base}/api/chat", json=body, headers=headers)
                    ok = reply.status_code == 200 and bool(reply.json()["text"])
                    answered = reply.json() if ok else None
                    conversation = reply.json().get("conversation_id") if ok else None
            except (httpx.HTTPError, ValueError, KeyError):
                ok = False
            minute.requests += 1
            minute.errors += not ok
            minute.latencies.append((time.perf_counter() - started) * 1000)


async def streamed(client, base: str, headers: dict, question: str, conversation: str | None):
    body = {"question": question, "conversation_id": conversation}
    events: list[str] = []
    done: dict = {}
    async with client.stream("POST", f"{base}/api/chat/stream", json=body,
                             headers=headers) as reply:
        if reply.status_code != 200:
            return False, None
        event = ""
        async for line in reply.aiter_lines():
            if line.startswith("event: "):
                event = line[7:]
                events.append(event)
            elif line.startswith("data: ") and event == "done":
                done = json.loads(line[6:])
    return "done" in events and "error" not in events, done.get("conversation_id")


def reindex_loop(knowledge: Path, index_dir: str, minutes: list[Minute], began: float,
                 stop: float, every: float) -> None:
    """Change one document and run `plaibot index` in its own process, again and again."""
    target = knowledge / "id" / "hetero-space-banyumas.md"
    original = target.read_text(encoding="utf-8")
    env = {**os.environ, "PLAIBOT_INDEX_DIR": index_dir, "PLAIBOT_KNOWLEDGE_DIR": str(knowledge)}
    round_ = 0
    while time.perf_counter() + every < stop:
        time.sleep(every)
        round_ += 1
        target.write_text(f"{original}\n\nCatatan uji ketahanan putaran {round_}.\n", encoding="utf-8")
        result = subprocess.run([sys.executable, "-m", "plaibot.cli", "index", str(knowledge)],
                                env=env, capture_output=True, timeout=max(every * 4, 300))
        minute = minutes[min(int((time.perf_counter() - began) // 60), len(minutes) - 1)]
        minute.reindexes += 1
        minute.errors += result.returncode != 0


async def soak(bases: list[str], asked: list[str], clients: int, minutes: list[Minute],
               seconds: float, server_pids: list[int], knowledge: Path, index_dir: str,
               reindex_every: float) -> None:
    began = time.perf_counter()
    stop = began + seconds

    async def sample_memory() -> None:
        while time.perf_counter() < stop:
            minute = minutes[min(int((time.perf_counter() - began) // 60), len(minutes) - 1)]
            for host, pid in enumerate(server_pids, 1):
                minute.rss_mb[host] = max(minute.rss_mb.get(host, 0.0), rss_mb(pid))
            await asyncio.sleep(2)

    reindexing = asyncio.to_thread(reindex_loop, knowledge, index_dir, minutes, began, stop,
                                   reindex_every)
    await asyncio.gather(sample_memory(), reindexing,
                         *(client_loop(bases, asked, minutes, began, stop, n)
                           for n in range(clients)))


@contextmanager
def shared_services(scratch: Path, hosts: int) -> Iterator[None]:
    """For several hosts, what they share: a Chroma server, Redis and PostgreSQL (the
    tests' own throwaway servers), and one token key, set in this process's environment
    for the hosts and the re-indexer it starts."""
    os.environ["PLAIBOT_ALLOWED_ORIGINS"] = PARTNER
    if hosts == 1:
        yield
        return
    sys.path.insert(0, str(ROOT))
    from tests.services import PostgresServer, RedisServer
    from tests.test_scale_out import ChromaServer

    chroma, redis, postgres = ChromaServer(scratch / "chroma"), RedisServer(), PostgresServer()
    try:
        chroma.start()
        redis.start()
        postgres.start()
        os.environ.update(PLAIBOT_CHROMA_URL=chroma.url, PLAIBOT_REDIS_URL=redis.url(),
                          PLAIBOT_DATABASE_URL=postgres.create_database("soak"),
                          PLAIBOT_TOKEN_SECRET=secrets.token_urlsafe(32))
        yield
    finally:
        chroma.stop()
        redis.remove()
        postgres.remove()


def memory_growth(minutes: list[Minute], host: int) -> float:
    """How much more memory `host` used at its most than in the first minute."""
    baseline = minutes[0].rss_mb.get(host) or 1.0
    return (max(m.rss_mb.get(host, 0.0) for m in minutes) - baseline) / baseline


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=float(os.environ.get("SOAK_MINUTES", 10)))
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--reindex-every", type=float, default=30.0)
    parser.add_argument("--hosts", type=int, default=int(os.environ.get("SOAK_HOSTS", 1)),
                        help="plaibot serve processes; two or more share Chroma, Redis and "
                        "PostgreSQL servers started for the run")
    args = parser.parse_args()
    asked = questions(80)
    minutes = [Minute() for _ in range(max(1, int(args.minutes + 0.999)))]
    servers: list[subprocess.Popen] = []
    with tempfile.TemporaryDirectory() as scratch, shared_services(Path(scratch), args.hosts):
        knowledge = Path(scratch) / "knowledge"
        shutil.copytree(ROOT / "knowledge", knowledge)
        bases = []
        try:
            for host in range(args.hosts):  # one after another: the first one indexes
                port = free_port()
                bases.append(f"http://127.0.0.1:{port}")
                servers.append(start_server(str(Path(scratch) / f"index{host}"), port, knowledge))
                asyncio.run(first_answer(bases[-1], time.perf_counter() + 600))
            asyncio.run(soak(bases, asked, args.clients, minutes, args.minutes * 60,
                             [s.pid for s in servers], knowledge, str(Path(scratch) / "index0"),
                             args.reindex_every))
        finally:
            for server in servers:
                server.terminate()
                server.wait(timeout=30)
    rows = [{"minute": n + 1, "requests": m.requests, "errors": m.errors,
             "reindexes": m.reindexes, **percentiles(m.latencies),
             **{f"host{h}_rss_mb": m.rss_mb.get(h, 0.0) for h in range(1, args.hosts + 1)}}
            for n, m in enumerate(minutes)]
    errors = sum(m.errors for m in minutes)
    growth = max(memory_growth(minutes, host) for host in range(1, args.hosts + 1))
    print(table(rows))
    verdict = "PASS" if errors == 0 and growth < 0.10 else "FAIL"
    print(f"\n{verdict}: {args.hosts} host(s), {sum(m.requests for m in minutes)} requests, "
          f"{errors} errors, memory growth after minute 1 (the most of any host): {growth:+.1%}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "soak.json").write_text(json.dumps(
        {"hosts": args.hosts, "minutes": rows, "errors": errors,
         "memory_growth": round(growth, 4), "verdict": verdict},
        indent=2))
    sys.exit(0 if verdict == "PASS" else 1)


if __name__ == "__main__":
    main()

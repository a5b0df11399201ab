"""`make soak`: mixed traffic against a live server for a bounded time, on loopback.

Clients ask questions (JSON and streamed), follow up in conversations, vote on answers and
check health, while another process re-indexes a changing document every `--reindex-every`
seconds. With `--hosts 2` (SOAK_HOSTS=2) there are two `plaibot serve` processes sharing a
Chroma server, Redis and PostgreSQL (all started here, on loopback, and removed after),
and each client sends its requests to the hosts in turn, as a round-robin balancer would.
Prints one row per minute (requests, errors, latency, memory per host), then a burst on
the first host (`--burst-clients` at once for `--burst-seconds`, beyond what it answers, so
some are told 503 busy), and a verdict: zero errors (a 503 in the burst is not one), the
burst answered, and memory growth under 10% after the first minute, burst included.
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

from run import (RESULTS, ROOT, first_answer, free_port, load_level, percentiles, questions,
                 rss_mb, start_server, table)


@dataclass
class Minute:
    requests: int = 0
    errors: int = 0
    latencies: list[float] = field(default_factory=list)
    reindexes: int = 0
    rss_mb: dict[int, float] = field(default_factory=dict)  # per host, the most seen
    failed: dict[str, int] = field(default_factory=dict)  # what failed -> how often

    def fail(self, what: str) -> None:
        self.errors += 1
        self.failed[what] = self.failed.get(what, 0) + 1


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
            what, status = "chat", 0
            try:
                if kind < 0.1:
                    what, status = "health", (await client.get(f"{base}/api/health")).status_code
                    ok = status == 200
                elif kind < 0.45:
                    what = "stream"
                    ok, streamed_answer = await streamed(client, base, headers,
                                                         rng.choice(asked), conversation)
                    # The newest answer on screen is the one a visitor votes on: an older
                    # one may have left the ten a conversation keeps for votes.
                    answered = streamed_answer if ok else None
                    status = streamed_answer.get("status", status)
                    conversation = streamed_answer.get("conversation_id") if ok else None
                elif kind < 0.5 and answered:
                    what = "vote"
                    vote = {"conversation_id": answered["conversation_id"],
                            "answer": answered["text"], "rating": rng.choice(["up", "down"])}
                    reply = await client.post(f"{base}/api/feedback", json=vote, headers=headers)
                    status = reply.status_code
                    ok = status == 201
                else:
                    body = {"question": rng.choice(asked + ["kapan dibuka?", "where is it?"])}
                    if conversation and rng.random() < 0.5:
                        body["conversation_id"] = conversation
                    reply = await client.post(f"{base}/api/chat", json=body, headers=headers)
                    status = reply.status_code
                    ok = status == 200 and bool(reply.json()["text"])
                    answered = reply.json() if ok else None
                    conversation = reply.json().get("conversation_id") if ok else None
            except (httpx.HTTPError, ValueError, KeyError) as error:
                ok, status = False, type(error).__name__
            minute.requests += 1
            if not ok:
                minute.fail(f"{what} {status}")
            minute.latencies.append((time.perf_counter() - started) * 1000)


async def streamed(client, base: str, headers: dict, question: str,
                   conversation: str | None) -> tuple[bool, dict]:
    """Whether the stream ended well, and its answer as `/api/chat` gives it ("text",
    "conversation_id"), with the response's "status"."""
    body = {"question": question, "conversation_id": conversation}
    events: list[str] = []
    answer: dict = {"text": ""}
    async with client.stream("POST", f"{base}/api/chat/stream", json=body,
                             headers=headers) as reply:
        answer["status"] = reply.status_code
        if reply.status_code != 200:
            return False, answer
        event = ""
        async for line in reply.aiter_lines():
            if line.startswith("event: "):
                event = line[7:]
                events.append(event)
            elif line.startswith("data: "):
                data = json.loads(line[6:])
                if event == "token":
                    answer["text"] += data["text"]
                elif event == "replace":
                    answer["text"] = data["text"]
                elif event == "done":
                    answer.update(data)
    return "done" in events and "error" not in events, answer


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
        if result.returncode != 0:
            minute.fail(f"index exit {result.returncode}")
            print(result.stdout.decode(errors="replace")[-2000:], file=sys.stderr)


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


def busy_refusals(base: str) -> dict[str, float]:
    """The server's own count of questions refused busy, by channel and reason (from
    `/metrics`): why a 503 came, which the client cannot see."""
    import httpx

    counts: dict[str, float] = {}
    for line in httpx.get(f"{base}/metrics", timeout=10).text.splitlines():
        if line.startswith("plaibot_busy_total{"):
            labels, value = line[len("plaibot_busy_total"):].rsplit(" ", 1)
            if float(value):
                counts[labels] = float(value)
    return counts


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
    parser.add_argument("--burst-clients", type=int, default=256)
    parser.add_argument("--burst-seconds", type=float, default=30.0)
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
            refused = {base: busy_refusals(base) for base in bases}
            burst = asyncio.run(load_level(bases[0], asked, args.burst_clients,
                                           args.burst_seconds, max_requests=1_000_000))
            burst["server_rss_mb"] = rss_mb(servers[0].pid)
            minutes[-1].rss_mb[1] = max(minutes[-1].rss_mb.get(1, 0.0), burst["server_rss_mb"])
        finally:
            for server in servers:
                server.terminate()
                server.wait(timeout=30)
    rows = [{"minute": n + 1, "requests": m.requests, "errors": m.errors,
             "reindexes": m.reindexes, **percentiles(m.latencies),
             **{f"host{h}_rss_mb": m.rss_mb.get(h, 0.0) for h in range(1, args.hosts + 1)}}
            for n, m in enumerate(minutes)]
    errors = sum(m.errors for m in minutes) + round(burst["error_rate"] * burst["requests"])
    growth = max(memory_growth(minutes, host) for host in range(1, args.hosts + 1))
    print(table(rows))
    failed: dict[str, int] = {}
    for m in minutes:
        for what, count in m.failed.items():
            failed[what] = failed.get(what, 0) + count
    if failed:
        print("\nfailed: " + ", ".join(f"{what} x{count}" for what, count in failed.items()))
    for base, counts in refused.items():
        if counts:
            print(f"refused busy by {base} before the burst: {counts}")
    print(f"\nburst of {args.burst_clients} clients for {args.burst_seconds:g} s on host 1:\n")
    print(table([burst]))
    verdict = ("PASS" if errors == 0 and growth < 0.10 and burst["answers_per_s"] > 0
               else "FAIL")
    requests = sum(m.requests for m in minutes) + burst["requests"]
    print(f"\n{verdict}: {args.hosts} host(s), {requests} requests, {errors} errors, "
          f"memory growth after minute 1 (the most of any host, burst included): {growth:+.1%}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "soak.json").write_text(json.dumps(
        {"hosts": args.hosts, "minutes": rows, "burst": burst, "errors": errors,
         "memory_growth": round(growth, 4), "verdict": verdict},
        indent=2))
    sys.exit(0 if verdict == "PASS" else 1)


if __name__ == "__main__":
    main()

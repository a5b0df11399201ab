"""`make soak`: mixed traffic against a live server for a bounded time, on loopback.

Clients ask questions (JSON and streamed), follow up in conversations and check health,
while another process re-indexes a changing document every `--reindex-every` seconds.
Prints one row per minute (requests, errors, latency, server memory), then a burst
(`--burst-clients` at once for `--burst-seconds`, beyond what the server answers, so
some are told 503 busy), and a verdict: zero errors (a 503 in the burst is not one), the
burst answered, and memory growth under 10% after the first minute, burst included.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
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
    rss_mb: float = 0.0


async def client_loop(base: str, asked: list[str], minutes: list[Minute], began: float,
                      stop: float, seed: int) -> None:
    import httpx

    rng = random.Random(seed)
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        token = (await client.post("/api/session", headers={"Origin": base})).json()["token"]
        headers = {"Origin": base, "Authorization": f"Bearer {token}"}
        conversation = None
        while time.perf_counter() < stop:
            minute = minutes[min(int((time.perf_counter() - began) // 60), len(minutes) - 1)]
            kind = rng.random()
            started = time.perf_counter()
            try:
                if kind < 0.1:
                    ok = (await client.get("/api/health")).status_code == 200
                elif kind < 0.45:
                    ok, conversation = await streamed(client, headers, rng.choice(asked), conversation)
                else:
                    body = {"question": rng.choice(asked + ["kapan dibuka?", "where is it?"])}
                    if conversation and rng.random() < 0.5:
                        body["conversation_id"] = conversation
                    reply = await client.post("/api/chat", json=body, headers=headers)
                    ok = reply.status_code == 200 and bool(reply.json()["text"])
                    conversation = reply.json().get("conversation_id") if ok else None
            except (httpx.HTTPError, ValueError, KeyError):
                ok = False
            minute.requests += 1
            minute.errors += not ok
            minute.latencies.append((time.perf_counter() - started) * 1000)


async def streamed(client, headers: dict, question: str, conversation: str | None):
    body = {"question": question, "conversation_id": conversation}
    events: list[str] = []
    done: dict = {}
    async with client.stream("POST", "/api/chat/stream", json=body, headers=headers) as reply:
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


async def soak(base: str, asked: list[str], clients: int, minutes: list[Minute], seconds: float,
               server_pid: int, knowledge: Path, index_dir: str, reindex_every: float) -> None:
    began = time.perf_counter()
    stop = began + seconds

    async def sample_memory() -> None:
        while time.perf_counter() < stop:
            minute = minutes[min(int((time.perf_counter() - began) // 60), len(minutes) - 1)]
            minute.rss_mb = max(minute.rss_mb, rss_mb(server_pid))
            await asyncio.sleep(2)

    reindexing = asyncio.to_thread(reindex_loop, knowledge, index_dir, minutes, began, stop,
                                   reindex_every)
    await asyncio.gather(sample_memory(), reindexing,
                         *(client_loop(base, asked, minutes, began, stop, n) for n in range(clients)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=float(os.environ.get("SOAK_MINUTES", 10)))
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--reindex-every", type=float, default=30.0)
    parser.add_argument("--burst-clients", type=int, default=256)
    parser.add_argument("--burst-seconds", type=float, default=30.0)
    args = parser.parse_args()
    asked = questions(80)
    minutes = [Minute() for _ in range(max(1, int(args.minutes + 0.999)))]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as scratch:
        knowledge = Path(scratch) / "knowledge"
        shutil.copytree(ROOT / "knowledge", knowledge)
        index_dir = str(Path(scratch) / "index")
        server = start_server(index_dir, port, knowledge)
        try:
            asyncio.run(first_answer(base, time.perf_counter() + 600))
            asyncio.run(soak(base, asked, args.clients, minutes, args.minutes * 60, server.pid,
                             knowledge, index_dir, args.reindex_every))
            burst = asyncio.run(load_level(base, asked, args.burst_clients, args.burst_seconds,
                                           max_requests=1_000_000))
            burst["server_rss_mb"] = rss_mb(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=30)
    rows = [{"minute": n + 1, "requests": m.requests, "errors": m.errors,
             "reindexes": m.reindexes, **percentiles(m.latencies), "server_rss_mb": m.rss_mb}
            for n, m in enumerate(minutes)]
    errors = sum(m.errors for m in minutes) + round(burst["error_rate"] * burst["requests"])
    baseline = minutes[0].rss_mb or 1.0
    growth = (max([m.rss_mb for m in minutes] + [burst["server_rss_mb"]]) - baseline) / baseline
    print(table(rows))
    print(f"\nburst of {args.burst_clients} clients for {args.burst_seconds:g} s:\n")
    print(table([burst]))
    verdict = ("PASS" if errors == 0 and growth < 0.10 and burst["answers_per_s"] > 0
               else "FAIL")
    print(f"\n{verdict}: {sum(m.requests for m in minutes) + burst['requests']} requests, "
          f"{errors} errors, memory growth after minute 1: {growth:+.1%}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "soak.json").write_text(json.dumps(
        {"minutes": rows, "burst": burst, "errors": errors, "memory_growth": round(growth, 4),
         "verdict": verdict}, indent=2))
    sys.exit(0 if verdict == "PASS" else 1)


if __name__ == "__main__":
    main()

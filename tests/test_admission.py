"""The answering stage on its own: bounded queue, bounded wait, batches, streams let go."""

import asyncio
import threading
import time

import pytest

from plaibot.admission import AnsweringStage, Busy, default_workers

WAIT = 10  # seconds any step below may take before the test fails instead of hanging


def blocked(stage: AnsweringStage) -> threading.Event:
    """Take every worker of `stage` with a job that waits for the returned gate."""
    gate, started = threading.Event(), threading.Semaphore(0)

    def hold() -> None:
        started.release()
        gate.wait(WAIT)

    for _ in range(stage.workers):
        stage.submit(hold)
    for _ in range(stage.workers):
        assert started.acquire(timeout=WAIT)
    return gate


def test_full_queue_refuses_at_once_and_every_admitted_job_runs():
    stage = AnsweringStage(workers=2, queue_size=3, max_wait=WAIT)
    gate = blocked(stage)
    admitted = [stage.submit(lambda n=n: n * n) for n in range(3)]
    refused = []
    for _ in range(4):
        with pytest.raises(Busy) as busy:
            stage.submit(lambda: "never")
        refused.append(busy.value)
    assert all(not f.done() for f in admitted)  # refused while every worker was still taken
    assert {(b.reason, b.retry_after) for b in refused} == {("queue_full", 1)}
    gate.set()
    assert [f.result(WAIT) for f in admitted] == [0, 1, 4]
    assert stage.call(lambda: "free again") == "free again"


def test_a_job_that_waited_too_long_is_refused_without_running():
    stage = AnsweringStage(workers=1, queue_size=4, max_wait=0.05)
    gate = blocked(stage)
    ran = []
    late = stage.submit(lambda: ran.append("late"))
    time.sleep(0.2)
    gate.set()
    with pytest.raises(Busy) as busy:
        late.result(WAIT)
    assert busy.value.reason == "waited_too_long" and ran == []


def test_errors_reach_the_caller_and_the_worker_goes_on():
    stage = AnsweringStage(workers=1, queue_size=1, max_wait=WAIT)
    with pytest.raises(ZeroDivisionError):
        stage.call(lambda: 1 / 0)
    assert stage.call(lambda: 2) == 2


def test_a_batch_is_prepared_together_with_its_keys():
    prepared = []
    stage = AnsweringStage(workers=1, queue_size=8, max_wait=WAIT, max_batch=4,
                           prepare=prepared.append)
    gate = blocked(stage)
    futures = [stage.submit(lambda n=n: n, key=f"q{n}") for n in range(6)]
    gate.set()
    assert [f.result(WAIT) for f in futures] == list(range(6))
    assert prepared[0] == ["q0", "q1", "q2", "q3"]  # the first batch: at most max_batch
    assert sorted(k for batch in prepared for k in batch) == [f"q{n}" for n in range(6)]


def idle(stage: AnsweringStage) -> bool:
    deadline = time.monotonic() + WAIT
    while stage.running and time.monotonic() < deadline:
        time.sleep(0.005)
    return not stage.running


def endless(produced: list[int]):
    def make():
        n = 0
        while True:
            produced.append(n)
            yield n
            n += 1
            time.sleep(0.001)
    return make


def test_closing_a_stream_early_frees_its_worker():
    stage = AnsweringStage(workers=1, queue_size=1, max_wait=WAIT)
    produced: list[int] = []
    items = stage.stream(endless(produced))
    assert [next(items) for _ in range(3)] == [0, 1, 2]
    items.close()  # the reader went away
    assert stage.call(lambda: "next question") == "next question"
    assert len(produced) < 1000


def test_a_cancelled_async_stream_frees_its_worker_and_a_waiting_one_its_place():
    stage = AnsweringStage(workers=1, queue_size=1, max_wait=WAIT)

    async def scenario() -> str:
        async def read(into: list[int]) -> None:
            async for item in stage.astream(endless(into)):
                into.append(item)

        first: list[int] = []
        reading = asyncio.create_task(read(first))
        while not first:
            await asyncio.sleep(0.01)
        waiting = asyncio.create_task(read([]))  # queued behind the endless stream
        await asyncio.sleep(0.05)
        assert stage.waiting == 1
        waiting.cancel()
        reading.cancel()
        await asyncio.gather(reading, waiting, return_exceptions=True)
        return await asyncio.wait_for(stage.run(lambda: "answered"), WAIT)

    assert asyncio.run(scenario()) == "answered"


def test_streams_are_refused_before_their_first_item_when_full():
    stage = AnsweringStage(workers=1, queue_size=0, max_wait=WAIT)
    gate = blocked(stage)
    with pytest.raises(Busy):
        next(stage.stream(lambda: iter([1, 2])))
    gate.set()
    assert idle(stage)
    assert list(stage.stream(lambda: iter([1, 2]))) == [1, 2]


def test_default_workers_leave_the_cores_to_the_model():
    import os

    cores = len(os.sched_getaffinity(0))
    assert default_workers(model_threads=cores) == 4  # the model takes every core
    assert default_workers(model_threads=1) == 4 * cores

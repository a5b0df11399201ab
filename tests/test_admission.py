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


def test_check_refuses_without_queueing_and_admits_when_there_is_room():
    stage = AnsweringStage(workers=1, queue_size=1, max_wait=WAIT)
    assert stage.check() is None
    gate = blocked(stage)
    assert stage.check() is None  # the queue still has a place
    waiting = stage.submit(lambda: "queued")
    busy = stage.check()
    assert busy is not None and busy.reason == "queue_full" and stage.waiting == 1
    gate.set()
    assert waiting.result(WAIT) == "queued"


def test_retry_after_grows_with_refusals_and_falls_back_as_answers_return():
    stage = AnsweringStage(workers=1, queue_size=0, max_wait=WAIT, max_retry_after=5)
    stage.retry_window = 0.05

    def refusals(count: int) -> list[int]:
        told = []
        for _ in range(count):
            with pytest.raises(Busy) as busy:
                stage.submit(lambda: None)
            told.append(busy.value.retry_after)
        return told

    gate = blocked(stage)
    assert set(refusals(20)) == {1}  # within the first window: the minimum
    time.sleep(0.06)
    grown = refusals(1)[0]
    assert grown == 5  # 21 refusals for no answer: as long as it may say
    gate.set()
    assert idle(stage)
    for n in range(20):  # the callers come back and are answered
        assert stage.call(lambda n=n: n) == n
    told = []
    while len(told) < 4:
        time.sleep(0.06)
        gate = blocked(stage)
        told += refusals(1)
        gate.set()
        assert idle(stage)
        stage.call(lambda: None)  # more answers than refusals in every window now
    assert told == sorted(told, reverse=True) and told[-1] == 1 and told[0] < grown


def test_a_job_that_waited_too_long_is_refused_without_running():
    stage = AnsweringStage(workers=1, queue_size=4, max_wait=0.05)
    gate = blocked(stage)
    ran = []
    late = stage.submit(lambda: ran.append("late"))
    for _ in range(2):  # two wait behind it (per worker): refusing it helps them
        stage.submit(lambda: ran.append("behind"))
    time.sleep(0.2)
    gate.set()
    with pytest.raises(Busy) as busy:
        late.result(WAIT)
    assert busy.value.reason == "waited_too_long" and "late" not in ran


def test_a_late_job_with_nobody_behind_it_is_still_answered():
    # Refusing it would help no other caller: it has waited, and the queue is empty.
    stage = AnsweringStage(workers=1, queue_size=4, max_wait=0.05)
    gate = blocked(stage)
    late = stage.submit(lambda: "answered")
    time.sleep(0.2)
    gate.set()
    assert late.result(WAIT) == "answered"


def test_a_slow_pace_refuses_new_jobs_only_once_two_jobs_per_worker_wait():
    stage = AnsweringStage(workers=1, queue_size=8, max_wait=0.05)
    stage.call(lambda: time.sleep(0.6))  # the pace is now 0.06 s a job, over max_wait
    gate = blocked(stage)
    # Fewer than two wait: admitted despite the pace.
    admitted = [stage.submit(lambda n=n: n) for n in range(2)]
    with pytest.raises(Busy) as busy:
        stage.submit(lambda: "third")
    gate.set()
    assert [f.result(WAIT) for f in admitted] == [0, 1] and busy.value.reason == "queue_full"


def test_errors_reach_the_caller_and_the_worker_goes_on():
    stage = AnsweringStage(workers=1, queue_size=1, max_wait=WAIT)
    with pytest.raises(ZeroDivisionError):
        stage.call(lambda: 1 / 0)
    assert stage.call(lambda: 2) == 2


def test_keys_given_as_functions_are_found_on_the_worker():
    prepared, found_on = [], []
    stage = AnsweringStage(workers=1, queue_size=8, max_wait=WAIT, max_batch=4,
                           prepare=prepared.append)

    def key(n: int):
        def find() -> str:
            found_on.append(threading.current_thread().name)
            return f"q{n}"
        return find

    gate = blocked(stage)
    futures = [stage.submit(lambda n=n: n, key=key(n)) for n in range(3)]
    assert found_on == []  # nothing found while queueing (on the caller's thread)
    gate.set()
    assert [f.result(WAIT) for f in futures] == [0, 1, 2]
    assert prepared == [["q0", "q1", "q2"]]
    assert set(found_on) == {"plaibot-answer-0"}


def test_a_batch_is_prepared_together_with_its_keys():
    prepared = []
    stage = AnsweringStage(workers=1, queue_size=8, max_wait=WAIT, max_batch=4,
                           prepare=prepared.append)
    gate = blocked(stage)
    futures = [stage.submit(lambda n=n: n, key=f"q{n}") for n in range(6)]
    gate.set()
    assert [f.result(WAIT) for f in futures] == list(range(6))
    assert prepared[0] == ["q0", "q1", "q2", "q3"]  # the first batch: at most max_batch
    keys = [k for batch in prepared for k in batch]
    assert len(keys) == len(set(keys))  # a job put back to run is not prepared again


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
    assert default_workers(model_threads=cores) == 2  # the model takes every core
    assert default_workers(model_threads=1) == 2 * cores

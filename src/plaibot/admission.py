"""The answering stage: a few worker threads answer questions, fed by a short queue.

Answering is CPU work (the embedding model, keyword search, the answerer). Run in the
server's thread pool, up to 40 questions compete for two cores at once and throughput
collapses (225 answers/s at 32 clients, 68 at 128, p99 6 s). Here a fixed number of
workers answer; the rest wait in a queue of bounded length, for a bounded time. A question
that finds the queue full, or waits too long, is refused with `Busy` at once (the API makes
it a 503 with `Retry-After`), so callers beyond capacity learn it in milliseconds instead of
everyone waiting seconds.

    stage = AnsweringStage(workers=2, queue_size=64, max_wait=0.5)
    answer = await stage.run(lambda: assistant.ask(question))        # from async code
    answer = stage.call(lambda: assistant.ask(question))             # from a thread
    async for event in stage.astream(lambda: assistant.stream(q)):   # a stream holds its
        ...                                                          # worker until done

A job can carry a `key` (the text its answer will embed), or a function that gives it:
that runs on the worker, so the event loop does none of the work (the entity rewrite behind
a query took a third of the loop's time at 512 clients). A worker takes up to `max_batch`
waiting jobs at a time and hands their keys to `prepare` first, so their query embeddings
are computed in one model call (see `plaibot.batching`).

`check()` says, without queueing anything, whether a job would be refused now: the API
asks it before parsing a request, so a refusal costs the server next to nothing.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import math
import os
import queue
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Literal, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
Reason = Literal["queue_full", "waited_too_long"]
# A job's key: the text, a function computing it on the worker, or None.
Key = str | Callable[[], str | None] | None
_END = object()  # the end of a stream's items


class Busy(Exception):
    """The stage is at capacity: ask again after `retry_after` seconds."""

    def __init__(self, reason: Reason, retry_after: int) -> None:
        super().__init__(f"busy: {reason.replace('_', ' ')}")
        self.reason, self.retry_after = reason, retry_after


@dataclass
class _Job:
    run: Callable[[], object]
    future: Future
    key: Key
    queued_at: float = field(default_factory=time.monotonic)
    taken: bool = False  # admitted (and its key prepared with its batch), waiting to run


def default_workers(model_threads: int | None = None) -> int:
    """Workers for this machine: two per core the model leaves for each question.

    A question spends part of its time off the interpreter lock (the model, Chroma's reads,
    numpy), so a few per core overlap; more only take the lock from the event loop. On two
    cores with e5, in one interleaved run (load average 3 to 5): 4 workers answered 70.7,
    64.1 and 63.1 a second at 32, 128 and 512 clients with p99 1.1 s at 128, 8 workers
    64.7, 64.9 and 69.9 with p99 2.2 s. In another run 2 and 3 workers answered fewer at
    128 and 512 clients than 4 (54.7 and 64.8 a second at 128 against 73.3).
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if model_threads is None:
        import torch

        model_threads = torch.get_num_threads()
    return max(1, 2 * (cores or 1) // max(1, model_threads))


class AnsweringStage:
    """`workers` threads answering jobs from a queue of at most `queue_size`, each job
    refused when it has waited over `max_wait` seconds, or at once when the jobs ahead of
    it would take longer than that (at the pace of the recent ones); both only while two
    jobs per worker wait (see `_crowded`).

    A refusal tells the caller to come back after `retry_after` seconds, which follows the
    load: from `retry_after` up to `max_retry_after`, so that the callers turned away come
    back at about the pace the stage answers (see `_paced_retry`).

    `on_refused(reason)` is called for every refusal (metrics count them there);
    `prepare(keys)` is called with the keys of a batch of jobs before they run.
    """

    def __init__(self, workers: int, queue_size: int, max_wait: float, *,
                 retry_after: int = 1, max_retry_after: int = 10, max_batch: int = 1,
                 prepare: Callable[[list[str]], None] | None = None,
                 on_refused: Callable[[Reason], None] | None = None) -> None:
        if workers < 1 or queue_size < 0 or max_batch < 1 or max_retry_after < retry_after:
            raise ValueError("need workers >= 1, queue_size >= 0, max_batch >= 1 and "
                             "max_retry_after >= retry_after")
        self.workers, self.queue_size, self.max_wait = workers, queue_size, max_wait
        self.retry_after, self.max_batch = retry_after, max_batch
        self.min_retry_after, self.max_retry_after = retry_after, max_retry_after
        self.retry_window = 1.0  # seconds between changes of `retry_after`
        self._rates = threading.Lock()
        self._refused = self._answered = 0  # since `_window`
        self._window = time.monotonic()
        self.prepare, self.on_refused = prepare, on_refused
        self._jobs: deque[_Job] = deque()
        self._ready = threading.Condition()
        self._busy_workers = 0
        self._pace = 0.0  # seconds a job takes on a worker, a moving average
        self._threads = [threading.Thread(target=self._work, name=f"plaibot-answer-{n}",
                                          daemon=True) for n in range(workers)]
        for thread in self._threads:
            thread.start()

    @property
    def waiting(self) -> int:
        """Jobs in the queue, not yet taken by a worker."""
        return len(self._jobs)

    @property
    def running(self) -> int:
        """Workers answering right now."""
        return self._busy_workers

    def check(self) -> Busy | None:
        """The `Busy` a job submitted now would be refused with (counted as a refusal), or
        None; for refusing a request before any work is spent on it."""
        reason = self._over()
        return None if reason is None else self._refuse(reason)

    def _over(self) -> Reason | None:
        # An idle worker takes the job at once, so it does not count against the queue.
        # A queue that would keep the job past `max_wait` (at the pace jobs have been
        # taking) is as full as a long one: refused now, not after waiting in vain.
        ahead = len(self._jobs) + self._busy_workers
        if ahead >= self.queue_size + self.workers:
            return "queue_full"
        wait = (ahead - self.workers + 1) * self._pace / self.workers
        if wait > self.max_wait and self._crowded():
            return "queue_full"
        return None

    def _crowded(self) -> bool:
        """Whether two jobs per worker wait already. Turning a caller away only helps the
        ones behind it. Refusing whenever answers slowed down, a re-index beside the
        server made the stage turn away 11 of 68,000 questions from `make soak`'s 8
        clients (four workers), which a moment's wait would have answered; with one job
        per worker waiting as the bar, 1 of 16,000 was still turned away."""
        return len(self._jobs) >= 2 * self.workers

    def submit(self, fn: Callable[[], T], key: Key = None) -> Future[T]:
        """Queue `fn` (run in the caller's context, so log fields reach its request line);
        raises `Busy` at once when the queue is full."""
        context = contextvars.copy_context()
        job = _Job(lambda: context.run(fn), Future(), key)
        with self._ready:
            reason = self._over()
            if reason is not None:
                raise self._refuse(reason)
            self._jobs.append(job)
            self._ready.notify()
        job.future.add_done_callback(lambda future: self._forget(job, future))
        return job.future

    async def run(self, fn: Callable[[], T], key: Key = None) -> T:
        """`fn()` on a worker, awaited; a caller that goes away takes its job off the queue."""
        return await asyncio.wrap_future(self.submit(fn, key))

    def call(self, fn: Callable[[], T], key: Key = None) -> T:
        """`fn()` on a worker, from a thread that waits for it."""
        return self.submit(fn, key).result()

    def stream(self, make: Callable[[], Iterator[T]], key: Key = None) -> Iterator[T]:
        """The items of `make()`, produced on a worker that stays taken until the last one.

        Closing the returned iterator early (the reader went away) frees the worker at the
        next item. Raises `Busy` before the first item when refused.
        """
        items: queue.SimpleQueue = queue.SimpleQueue()
        stop = threading.Event()
        future = self.submit(lambda: _pump(make, items.put, stop), key)
        future.add_done_callback(lambda _: items.put(_END))  # after the last item, or refused
        try:
            while True:
                item = items.get()
                if item is _END:
                    future.result()  # a refusal or the stream's own error, raised here
                    return
                yield item
        finally:
            stop.set()
            future.cancel()

    async def astream(self, make: Callable[[], Iterator[T]],
                      key: Key = None) -> AsyncIterator[T]:
        """`stream` for async code: cancelling the reader (the client went away) frees the
        job's place in the queue, or its worker at the next item."""
        loop = asyncio.get_running_loop()
        items: asyncio.Queue = asyncio.Queue()
        stop = threading.Event()

        def put(item: object) -> None:
            try:
                loop.call_soon_threadsafe(items.put_nowait, item)
            except RuntimeError:  # the loop closed: nobody is reading any more
                stop.set()

        future = self.submit(lambda: _pump(make, put, stop), key)
        future.add_done_callback(lambda _: put(_END))  # after the last item, or refused
        try:
            while True:
                item = await items.get()
                if item is _END:
                    await asyncio.wrap_future(future)
                    return
                yield item
        finally:
            stop.set()
            future.cancel()

    def _forget(self, job: _Job, future: Future) -> None:
        """A job cancelled while it waits (its caller went away) gives its place back now."""
        if future.cancelled():
            with self._ready:
                if job in self._jobs:
                    self._jobs.remove(job)

    def _refuse(self, reason: Reason) -> Busy:
        with self._rates:
            self._refused += 1
            self._paced_retry()
        if self.on_refused is not None:
            self.on_refused(reason)
        return Busy(reason, self.retry_after)

    def _paced_retry(self) -> None:
        """Every `retry_window` (at a refusal), size `retry_after` to the callers turned away.

        Told `retry_after` R, the callers refused in a window are R * refused/s away, and
        come back spread over R: at the stage's pace they should take R * refused/answered.
        Halfway there each window, so it settles where refusals match answers instead of
        swinging. With a fixed 1 s, 512 callers came back ~450 times a second for ~60
        answers: the refusals, cheap as they are, took the CPU the answers needed.
        """
        now = time.monotonic()
        if now - self._window < self.retry_window:
            return
        wanted = self.retry_after * self._refused / max(1, self._answered)
        halfway = (self.retry_after + wanted) / 2  # by a second at least, either way
        step = math.ceil(halfway) if wanted > self.retry_after else math.floor(halfway)
        self.retry_after = min(self.max_retry_after, max(self.min_retry_after, step))
        self._refused = self._answered = 0
        self._window = now

    def _take(self) -> list[_Job]:
        """The next jobs for one worker: a fair share of the queue, at most `max_batch`."""
        with self._ready:
            while not self._jobs:
                self._ready.wait()
            share = max(1, min(self.max_batch, len(self._jobs) // self.workers))
            self._busy_workers += 1
            return [self._jobs.popleft() for _ in range(share)]

    def _work(self) -> None:
        while True:
            batch = self._take()
            try:
                self._answer(batch)
            finally:
                with self._ready:
                    self._busy_workers -= 1

    def _answer(self, batch: list[_Job]) -> None:
        live = [job for job in batch if job.taken or self._admitted(job)]
        fresh = [job for job in live if not job.taken]
        if self.prepare is not None and len(fresh) > 1:
            try:
                keys = [key for key in map(_resolved, fresh) if key]
                if len(keys) > 1:
                    self.prepare(keys)
            except Exception:  # each job still works without it, one at a time
                log.exception("preparing a batch failed")
        if len(live) > 1:
            # The batch shared one model call; its answers need not wait for each other
            # here: they go back to the head of the queue for any free worker. Run one
            # after another on this worker, the last of eight waited for the seven before
            # it, unbounded by `max_wait` (p99 1.3 s server-side at 128 clients, where the
            # answers themselves took 47 ms at p99).
            for job in live[1:]:
                job.taken = True
            with self._ready:
                self._jobs.extendleft(reversed(live[1:]))
                self._ready.notify(len(live) - 1)
        if live:
            self._run(live[0])

    def _admitted(self, job: _Job) -> bool:
        """Whether a job just taken is still wanted and has not waited too long."""
        if not job.future.set_running_or_notify_cancel():
            return False  # the caller went away while it waited
        if time.monotonic() - job.queued_at > self.max_wait and self._crowded():
            job.future.set_exception(self._refuse("waited_too_long"))
            return False
        return True

    def _run(self, job: _Job) -> None:
        started = time.monotonic()
        try:
            job.future.set_result(job.run())
        except BaseException as error:  # noqa: BLE001 - the caller gets it, as raised
            job.future.set_exception(error)
        # Streams count too: they hold the worker as long as they run.
        self._pace += 0.1 * (time.monotonic() - started - self._pace)
        with self._rates:
            self._answered += 1


def _resolved(job: _Job) -> str | None:
    return job.key() if callable(job.key) else job.key


def _pump(make: Callable[[], Iterator[T]], put: Callable[[object], None],
          stop: threading.Event) -> None:
    """Run on a worker: pass `make()`'s items to `put` until the end or until `stop`."""
    events = make()
    try:
        for item in events:
            if stop.is_set():
                return
            put(item)
    finally:
        close = getattr(events, "close", None)
        if close is not None:
            close()

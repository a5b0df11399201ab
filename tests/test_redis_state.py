"""Shared state on a real Redis server: hosts (here, separate clients) count and remember
together; while Redis is away each process carries on alone, and shares again once it is back."""

from __future__ import annotations

import logging
import time

import pytest

from plaibot.access import AccessDenied, RateLimiter
from plaibot.conversation import ConversationStore
from plaibot.state import FallbackState, RedisState, StateUnavailable, open_state
from tests.services import redis_server  # noqa: F401 - a fixture


@pytest.fixture
def url(redis_server, request):
    """A Redis database of its own per test (numbers 1-15), emptied first."""
    number = 1 + len(request.node.name) % 15
    RedisState(redis_server.url(number)).client.flushdb()
    return redis_server.url(number)


def test_hosts_sharing_redis_share_one_rate_limit(url):
    now = [time.time()]  # Redis expires counters by the wall clock
    hosts = [RateLimiter(3, 60, RedisState(url), clock=lambda: now[0]) for _ in range(2)]
    for n in range(3):
        hosts[n % 2].hit("ip:1")
    with pytest.raises(AccessDenied) as refused:
        hosts[1].hit("ip:1")
    assert refused.value.status == 429
    hosts[1].hit("ip:2")  # other callers are counted apart
    now[0] += 60  # the next window starts from zero
    hosts[0].hit("ip:1")


def test_counters_expire_with_their_window(url):
    state = RedisState(url)
    assert state.count("ip:9@1", expires_at=2_000_000_000) == 1
    assert state.count("ip:9@1", expires_at=2_000_000_000) == 2
    assert state.client.expiretime("plaibot:count:ip:9@1") == 2_000_000_001
    assert state.count("ip:9@0", expires_at=1) == 1  # a window long over is gone at once
    assert state.client.exists("plaibot:count:ip:9@0") == 0


def test_a_follow_up_reaches_any_host_and_conversations_expire(url):
    hosts = [ConversationStore(3, RedisState(url)) for _ in range(2)]
    conversation = hosts[0].add(None, "q0")
    for n in range(1, 5):  # each turn on the other host, continuing the same conversation
        assert hosts[n % 2].add(conversation, f"q{n}") == conversation
        assert hosts[(n + 1) % 2].history(conversation)[-1] == f"q{n}"
    assert hosts[0].history(conversation) == ["q2", "q3", "q4"]  # only the last turns are kept
    assert ConversationStore(3, RedisState(url), ttl_seconds=-1).history(conversation) == []
    ttl = RedisState(url, max_age=3600).client.ttl(f"plaibot:conversation:{conversation}")
    assert 0 < ttl <= 86_400


def test_without_redis_each_process_counts_alone_then_shares_again(redis_server, url, caplog):
    shared = FallbackState(RedisState(url), retry_seconds=0)
    other = FallbackState(RedisState(url), retry_seconds=0)
    assert shared.problem() is None and isinstance(open_state(None, url), FallbackState)
    conversation = ConversationStore(3, shared).add(None, "Apa itu PL(AI)GROUND?")
    redis_server.kill()
    try:
        with pytest.raises(StateUnavailable, match="unreachable"):
            RedisState(url).count("x", 2_000_000_000)
        with caplog.at_level(logging.WARNING, logger="plaibot.state"):
            assert [shared.count("token:t@1", 2_000_000_000) for _ in range(3)] == [1, 2, 3]
            assert other.count("token:t@1", 2_000_000_000) == 1  # its own count
        assert "rate limits and conversations are kept per process" in caplog.text
        assert caplog.text.count("unreachable") == 2  # once per process, not per request
        assert "per process" in (shared.problem() or "")
        assert "127.0.0.1" not in (shared.problem() or "")  # for health: the log has where
        store = ConversationStore(3, shared)
        assert store.history(conversation) == []  # Redis had it; memory never did
        during = store.add(None, "Siapa pendirinya?")
        assert store.history(during) == ["Siapa pendirinya?"]  # follow-ups on this process
    finally:
        redis_server.start()
    with caplog.at_level(logging.WARNING, logger="plaibot.state"):
        assert shared.problem() is None
    assert "is back" in caplog.text
    assert shared.count("token:t@1", 2_000_000_000) == 1  # Redis again (it lost its counts)
    assert other.count("token:t@1", 2_000_000_000) == 2

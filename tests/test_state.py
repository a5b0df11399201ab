"""Shared state: two workers (two objects over one SQLite file) count and remember together."""

import json

import pytest

from plaibot.access import AccessDenied, RateLimiter
from plaibot.conversation import ConversationStore, _fingerprints
from plaibot.state import MemoryState, SqliteState, open_state


def test_workers_sharing_a_state_file_share_one_rate_limit(tmp_path):
    path = tmp_path / "state.sqlite"
    now = [1_000_000.0]
    first = RateLimiter(3, 60, SqliteState(path), clock=lambda: now[0])
    second = RateLimiter(3, 60, SqliteState(path), clock=lambda: now[0])
    first.hit("ip:1")
    second.hit("ip:1")
    first.hit("ip:1")
    with pytest.raises(AccessDenied) as refused:
        second.hit("ip:1")
    assert refused.value.status == 429 and 1 <= refused.value.retry_after <= 60
    second.hit("ip:2")  # other callers are counted apart
    now[0] += 60  # the next window starts from zero
    first.hit("ip:1")


def test_a_follow_up_reaches_any_worker(tmp_path):
    path = tmp_path / "state.sqlite"
    one, other = (ConversationStore(3, SqliteState(path)) for _ in range(2))
    conversation = one.add(None, "Kapan Hetero Space Banyumas dibuka?")
    assert other.history(conversation) == ["Kapan Hetero Space Banyumas dibuka?"]
    for n in range(4):
        assert other.add(conversation, f"q{n}") == conversation
    assert one.history(conversation) == ["q1", "q2", "q3"]  # only the last turns are kept
    assert one.history("made-up-id") == []


def test_unknown_or_expired_conversations_start_afresh():
    store = ConversationStore(3, MemoryState(), ttl_seconds=-1)
    conversation = store.add(None, "Apa itu PL(AI)GROUND?")
    assert store.history(conversation) == []
    assert store.add(conversation, "Siapa pendirinya?") != conversation


def test_an_answer_given_is_kept_with_its_question_and_confidence_for_its_origin():
    state = MemoryState()
    store = ConversationStore(3, state)
    conversation = store.add(None, "Where is Hetero Space Solo?")
    store.record_answer(conversation, "Jl. Urip Sumoharjo [1]", "Where is Hetero Space Solo?",
                        "https://one.example", confidence=0.81)
    assert store.answered(conversation, "Jl.  Urip Sumoharjo [1]", "https://one.example") == (
        "Where is Hetero Space Solo?", 0.81)  # whitespace aside, the same answer
    assert store.answered(conversation, "Jl. Urip Sumoharjo [1]", "https://two.example") is None
    # Kept before confidences were: the question still, its confidence unknown.
    old = json.dumps(["", _fingerprints("Jawaban."), "Apa?"])
    state.save_questions(f"{conversation}/answers", [old])
    assert store.answered(conversation, "Jawaban.") == ("Apa?", None)


def test_open_state_picks_the_backend(tmp_path):
    assert isinstance(open_state(None), MemoryState)
    assert isinstance(open_state(tmp_path / "s" / "state.sqlite"), SqliteState)


def test_memory_counters_are_dropped_as_they_expire_and_capped(monkeypatch):
    now = [1_000_000.0]
    monkeypatch.setattr("plaibot.state.time.time", lambda: now[0])
    state = MemoryState(capacity=100)
    for n in range(50):
        state.count(f"ip:10.0.0.{n}", expires_at=now[0] + 60)
    assert len(state._counters) == 50
    now[0] += 61  # the window is over: the next count finds them gone
    assert state.count("ip:10.9.9.9", expires_at=now[0] + 60) == 1
    assert len(state._counters) == 1
    for n in range(1000):  # a flood of new keys within one window
        state.count(f"ip:10.1.{n // 256}.{n % 256}", expires_at=now[0] + 60 + n)
    assert len(state._counters) == 100  # the soonest-expiring made room
    assert state.count("ip:10.1.3.231", expires_at=0) == 2  # the newest were kept


def test_rate_limit_keys_cost_the_same_whatever_their_length():
    state = MemoryState()
    limiter = RateLimiter(2, 60, state)
    huge = "ip:" + "1" * 1_000_000
    limiter.hit(huge)
    limiter.hit(huge)
    with pytest.raises(AccessDenied):
        limiter.hit(huge)  # still counted as one caller
    assert max(len(key) for key in state._counters) < 80

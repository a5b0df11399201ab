"""Follow-up questions: find the earlier question a short follow-up leans on."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from typing import Union

from plaibot.state import MemoryState, SharedState
from plaibot.text import LANGUAGES, tokenize, words

# A turn is a user question (str), a chat message ({"role": ..., "content": ...}) or a
# (question, answer) pair, so Gradio histories and plain lists both work.
Turn = Union[str, Mapping[str, object], tuple[str, str], list[str]]

_REFERRING = frozenset(
    "itu ini tersebut sana situ dia ia mereka beliau it its it's they them their there "
    "this that these those he she his her".split()
)


def user_questions(history: Sequence[Turn] | None) -> list[str]:
    """The user's earlier questions, oldest first."""
    questions = []
    for turn in history or []:
        if isinstance(turn, str):
            questions.append(turn)
        elif isinstance(turn, Mapping):
            if turn.get("role") == "user":
                questions.append(message_text(turn.get("content")))
        elif isinstance(turn, (tuple, list)) and turn and isinstance(turn[0], str):
            questions.append(turn[0])
    return [q for q in questions if q.strip()]


def message_text(content: object) -> str:
    """Message content as text: a string, or the text parts of a list of content blocks."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [p.get("text", "") if isinstance(p, Mapping) else p for p in content]
        return " ".join(p for p in parts if isinstance(p, str))
    return ""


def is_follow_up(question: str) -> bool:
    """Short questions, or ones that point back ("kapan dibuka?", "where is it?")."""
    content = max(len(tokenize(question, language, question=True)) for language in LANGUAGES)
    points_back = any(w in _REFERRING or (w.endswith("nya") and len(w) > 4) for w in words(question))
    return content <= 2 or points_back


def context_for(question: str, history: Sequence[Turn] | None) -> str:
    """The earlier question to read `question` against, or "" when it stands alone."""
    earlier = user_questions(history)
    if not earlier or not is_follow_up(question):
        return ""
    return earlier[-1]


class ConversationStore:
    """Earlier questions per conversation id, kept in `state` (memory or a shared file).

    Bounded and expiring, so an endless stream of new conversations cannot exhaust memory.
    """

    def __init__(self, turns: int = 6, state: SharedState | None = None,
                 ttl_seconds: float = 3600) -> None:
        self.turns, self.ttl = turns, ttl_seconds
        self.state = state or MemoryState()

    def history(self, conversation_id: str | None) -> list[str]:
        if not conversation_id:
            return []
        return self.state.questions(conversation_id, self.ttl) or []

    def add(self, conversation_id: str | None, question: str) -> str:
        """Record `question`; returns the conversation id (a new one when unknown)."""
        questions = self.state.questions(conversation_id, self.ttl) if conversation_id else None
        if questions is None:
            conversation_id, questions = secrets.token_urlsafe(16), []
        assert conversation_id is not None
        self.state.save_questions(conversation_id, (questions + [question])[-self.turns :])
        return conversation_id

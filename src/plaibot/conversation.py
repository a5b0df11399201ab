"""Follow-up questions: find the earlier question a short follow-up leans on."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Mapping, Sequence
from typing import NamedTuple, Union

from plaibot.state import MemoryState, SharedState
from plaibot.text import LANGUAGES, names_no_question_word, tokenize, words

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


# "-nya" on any word points back to what was named before ("opening-nya", "alamatnya");
# words() strips the hyphenated clitic, so it is looked for in the raw text.
_NYA = re.compile(r"\w{3,}-?nya\b", re.IGNORECASE)


# Ends of a statement a visitor writes before asking, not of "No. 3", "Vol. 4", "Jl. Setiabudi".
_STATEMENT_END = re.compile(r"[.!]+\s+(?=[^\W\d_])")
_ABBREVIATIONS = frozenset("no nomor vol jl jln st dr pt cv kab kec prof mr mrs ms".split())


def split_preamble(question: str) -> tuple[str, str]:
    """What a visitor says before asking, and the question asked: "journalist here.
    whats the backstory of how hetero space got set up" asks the second sentence; "saya
    ASN di dinkop kabupaten, pengen niru model hetero space. model kerjasamanya kyk gmn"
    asks the second about what the first named. ("", question) when one sentence asks."""
    for end in reversed(list(_STATEMENT_END.finditer(question))):
        before, after = question[:end.start()], question[end.end():]
        last_word = re.findall(r"\w+", before)[-1:]
        if (not last_word or last_word[0].lower() in _ABBREVIATIONS or len(last_word[0]) == 1
                or not names_no_question_word(before)):
            continue  # "No. 3", "Kapan Yahoo! Koprol ...": one question
        if names_no_question_word(after) and not after.rstrip().endswith("?"):
            return "", question  # "ceritain tentang impala network. makasih"
        return before.strip(), after.strip()
    return "", question


_PERSON_PRONOUNS = frozenset("dia ia beliau he she his her him".split())


def refers_to_person(question: str) -> bool:
    """Whether the question points back to a person ("whats his regular job", "dia
    jabat apa"): the one an earlier who-question was answered with."""
    return bool(_PERSON_PRONOUNS & set(words(question)))


def points_back(question: str) -> bool:
    """Whether the question refers to something said before ("itu", "it", "alamatnya")."""
    return bool(_NYA.search(question)) or any(w in _REFERRING for w in words(question))


def is_follow_up(question: str) -> bool:
    """Short questions, or ones that point back ("kapan dibuka?", "where is it?")."""
    content = max(len(tokenize(question, language, question=True)) for language in LANGUAGES)
    return content <= 2 or points_back(question)


def context_for(question: str, history: Sequence[Turn] | None) -> str:
    """The earlier question to read `question` against, or "" when it stands alone."""
    earlier = user_questions(history)
    if not earlier or not is_follow_up(question):
        return ""
    return earlier[-1]


class Given(NamedTuple):
    """An answer given in a conversation: the question it answered, and its retrieval
    confidence (None for a reply that was no answer: an error message)."""

    question: str
    confidence: float | None


class ConversationStore:
    """Earlier questions per conversation id, kept in `state` (memory or a shared file),
    and the answers given in it (so feedback is taken only on an answer that was given).

    Bounded and expiring, so an endless stream of new conversations cannot exhaust memory.
    """

    # A vote may come on any answer still on screen, so more are kept than turns; each takes
    # about 100 bytes and its question (at most PLAIBOT_MAX_QUESTION_CHARS).
    answers_kept = 10

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

    def record_answer(self, conversation_id: str, answer: str, question: str,
                      origin: str = "", confidence: float | None = None) -> None:
        """Remember that `answer` was given to `question` in this conversation, for `origin`,
        with its retrieval `confidence` (so a vote on it needs no second answer)."""
        key = _answers_key(conversation_id)
        given = self.state.questions(key, self.ttl) or []
        entry = json.dumps([origin, _fingerprints(answer), question, confidence],
                           ensure_ascii=False)
        self.state.save_questions(key, (given + [entry])[-self.answers_kept :])

    def answered(self, conversation_id: str, answer: str, origin: str = "") -> Given | None:
        """The question `answer` was given to in this conversation for `origin`, and its
        confidence; None when no such answer was given (or it is too old)."""
        wanted = _fingerprints(answer)[0]
        for entry in reversed(self.state.questions(_answers_key(conversation_id), self.ttl) or []):
            given_origin, prints, question, *confidence = json.loads(entry)  # older: no confidence
            if given_origin == origin and wanted in prints:
                return Given(str(question), (confidence or [None])[0])
        return None


# Conversation ids are URL-safe base64 (or "page-" plus Gradio's session hash), so no
# id a client may send can reach this key.
def _answers_key(conversation_id: str) -> str:
    return f"{conversation_id}/answers"


WIDGET_ANSWER_CHARS = 2000  # the widget sends at most this much of an answer with a vote


def _fingerprints(answer: str) -> list[str]:
    """Short hashes of the answer (whitespace-insensitive) and of the part a widget sends."""
    return list(dict.fromkeys(
        hashlib.sha256(" ".join(text.split()).encode()).hexdigest()[:32]
        for text in (answer, answer[:WIDGET_ANSWER_CHARS])))

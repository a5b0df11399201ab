"""What a question must be before anything is loaded to answer it.

Kept free of models and stores so that `plaibot ask ""` is rejected at once, before the
assistant (and its embedding model) is built.
"""

from __future__ import annotations

from plaibot.errors import QuestionError


def validate_question(question: object, max_chars: int) -> str:
    """`question` with its whitespace folded, or `QuestionError` when it is empty or longer
    than `max_chars`; the message is in the question's language (both when it is empty).

    Control characters and lone surrogates (JSON can carry them) are dropped first.
    """
    from plaibot.i18n import t

    text = " ".join(question.split()) if isinstance(question, str) else ""
    if not text.isprintable():  # rare: only then is plaibot.text (stemmers, bm25s) loaded
        from plaibot.text import clean_text

        text = " ".join(clean_text(text).split())
    if not text:
        raise QuestionError(t("empty_question", "id") + " / " + t("empty_question", "en"), "id")
    if len(text) > max_chars:
        from plaibot.text import detect_language

        language = detect_language(text[:500])
        raise QuestionError(t("long_question", language, limit=max_chars), language)
    return text

"""The visitor set: questions typed as visitors type them, judged fact first.

`tests/visitors.yaml` was written before tuning, from the reference facts rather than the
knowledge text. An answer passes only when its first sentence holds the expected fact, in
the asker's language, with no side fact it must avoid; must-refuse questions must be
refused. Thresholds sit just below the rates measured with multilingual-e5-small on
2026-12-03 (see the README's "Question sets"), so that a regression fails.

`tests/visitors_heldout.yaml` (120 more) was written by someone who saw neither the
answerer nor its answers; it is not tuned on, only held to its first measured rates.
"""

from pathlib import Path

import pytest

from plaibot.golden import first_sentence, load_golden, run_golden

VISITORS = Path(__file__).parent / "visitors.yaml"
HELD_OUT = Path(__file__).parent / "visitors_heldout.yaml"
# Measured 2026-12-04, session 12 (multilingual-e5-small), 1192 questions: answerable
# 749/907 = 0.826, refused 224/285 = 0.786. Its 200 new questions (s15-*, s16-*) were written
# by a helper who saw neither code nor answers; s15 began at 55/72 and 16/28 and ended at
# 66/72 and 20/28, s16 (written midway) at 38/72 and 22/28, ending at 46/72 and 22/28. The
# session began at 726/907 and 219/285. Before (992 questions): 631/763 and 181/229; (792):
# 516/619 and 136/173; 2026-12-03 (592): 393/475 and 93/117; (372): 273/310 and 49/62;
# 2026-12-02: 221/250 and 35/44; 2026-12-01: 149/190 and 21/38.
ANSWERABLE, REFUSED = 0.82, 0.78
OVERVIEW = 0.83  # 148/177 ("pengen tau ttg hetero space yg di solo, ceritain dong")
# The held-out set, 2026-12-04: answerable 73/87 = 0.839 (first measured 54/87),
# refused 30/33 = 0.909 (first 21/33).
HELD_OUT_ANSWERABLE, HELD_OUT_REFUSED = 0.82, 0.87


@pytest.fixture(scope="module")
def report(assistant):
    return run_golden(assistant, load_golden(VISITORS), fact_first=True)


def test_visitor_set_is_big_and_varied():
    items = load_golden(VISITORS)
    assert len(items) >= 150
    kinds = {i.kind for i in items}
    assert {"overview", "fact", "followup", "near", "out"} <= kinds
    assert sum(i.refuse for i in items) >= 30 and sum(bool(i.history) for i in items) >= 10
    assert all(i.expect for i in items if not i.refuse)


def _failed(report, keep):
    return [f"{r.item.id}: {r.reason}" for r in report.failures if keep(r)]


def test_answerable_questions_get_the_fact_first(report):
    answerable = lambda r: not r.item.refuse  # noqa: E731
    assert report.rate(answerable) >= ANSWERABLE, _failed(report, answerable)


def test_overview_questions_say_what_the_thing_is(report):
    overview = lambda r: r.item.kind == "overview"  # noqa: E731
    assert report.rate(overview) >= OVERVIEW, _failed(report, overview)


def test_must_refuse_questions_are_refused(report):
    refuse = lambda r: r.item.refuse  # noqa: E731
    assert report.rate(refuse) >= REFUSED, _failed(report, refuse)
    assert report.rate(lambda r: r.item.kind == "out") >= 0.85


def test_mixed_questions_are_answered_in_the_language_of_their_question_words(assistant):
    answer = assistant.ask("Siapa founder Impala Space?")
    assert answer.language == "id" and not answer.refused
    assert "Gatot" in first_sentence(answer.text) and "founders" not in answer.text


def test_fact_first_judging_looks_at_the_first_sentence_only():
    assert first_sentence("Hetero Space dibuka 2020. [1] Lokasinya Semarang. [2]") == (
        "Hetero Space dibuka 2020.")
    assert first_sentence("") == ""


def test_held_out_visitor_questions_hold_their_measured_rates(assistant):
    report = run_golden(assistant, load_golden(HELD_OUT), fact_first=True)
    assert len(report.results) >= 120
    answerable, refuse = (lambda r: not r.item.refuse), (lambda r: r.item.refuse)  # noqa: E731
    assert report.rate(answerable) >= HELD_OUT_ANSWERABLE, _failed(report, answerable)
    assert report.rate(refuse) >= HELD_OUT_REFUSED, _failed(report, refuse)

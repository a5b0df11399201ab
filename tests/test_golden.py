"""The golden set over the ecosystem knowledge, with thresholds measured on it.

Both embedders run it. Thresholds sit a little below the measured rates (answerable 0.97,
refusals 0.94: 273 of 281 and 32 of 34, with MiniLM on 2026-11-27 and with
multilingual-e5-small on 2026-12-01) so that a real regression fails while one re-worded
document does not; figure questions may miss only the few listed in KNOWN_FIGURE_MISSES.
"""

from pathlib import Path

import pytest

from plaibot import Assistant
from plaibot.golden import load_golden, run_golden

GOLDEN = Path(__file__).parent / "golden" / "ecosystem.yaml"


@pytest.fixture(scope="module", params=["multilingual-e5-small", "all-MiniLM-L6-v2"])
def report(request, assistant, knowledge_settings, tmp_path_factory):
    """The golden set with the default embedder, and with MiniLM (its own calibration)."""
    if request.param != knowledge_settings.embedding_model:
        assistant = Assistant(knowledge_settings.model_copy(update={
            "embedding_model": request.param, "index_dir": tmp_path_factory.mktemp("index")}))
        assert assistant.index().ok
    return run_golden(assistant, load_golden(GOLDEN))


def test_golden_set_is_big_enough_and_bilingual():
    items = load_golden(GOLDEN)
    assert len(items) >= 60
    assert sum(i.lang == "id" for i in items) >= len(items) / 2 - 5
    assert sum(i.refuse for i in items) >= 15
    assert sum(bool(i.history) for i in items) >= 6


def test_answerable_questions_are_answered_with_the_right_facts(report):
    rate = report.rate(lambda r: not r.item.refuse)
    failures = [f"{r.item.id}: {r.reason}" for r in report.failures if not r.item.refuse]
    assert rate >= 0.95, failures


def _asks_for_a_figure(result) -> bool:
    return not result.item.refuse and any(
        c.isdigit() for text in (*result.item.expect, *result.item.expect_all) for c in text)


# Figure questions the answerer gets wrong today, each a known regression to fix (not a
# pass): the default embedder answers every one (since "lab" is read as "laboratorium",
# 2026-12-02); MiniLM, no longer the default, misses a few (listed when it fails).
KNOWN_FIGURE_MISSES = {"multilingual-e5-small": 0, "all-MiniLM-L6-v2": 4}


def test_every_figure_is_answered_in_both_languages(report, request):
    figures = [r for r in report.results if _asks_for_a_figure(r)]
    assert len(figures) >= 200 and {r.item.lang for r in figures} == {"id", "en"}
    missed = [f"{r.item.id}: {r.reason}" for r in figures if not r.passed]
    assert len(missed) <= KNOWN_FIGURE_MISSES[request.node.callspec.params["report"]], missed


@pytest.mark.parametrize("language", ["id", "en"])
def test_both_languages_are_answered(report, language):
    assert report.rate(lambda r: not r.item.refuse and r.item.lang == language) >= 0.9


def test_out_of_scope_questions_are_refused(report):
    clearly_out = lambda r: r.item.refuse and not r.item.near_scope  # noqa: E731
    assert report.rate(clearly_out) >= 0.9, [r.item.id for r in report.failures if clearly_out(r)]
    assert report.rate(lambda r: r.item.refuse) >= 0.88


def test_follow_ups_are_understood(report):
    assert report.rate(lambda r: bool(r.item.history) and not r.item.refuse) >= 0.7

"""Retrieval and refusal on the shared tuning sets (skipped when ../shared/eval is absent)."""

import json

import pytest

from plaibot import Settings
from plaibot.evaluate import EvalFileError, evaluate, load_squad, passage_assistant
from tests.conftest import SHARED_EVAL

needs_shared = pytest.mark.skipif(not SHARED_EVAL.exists(), reason="../shared/eval is absent")


def recall_by_weight(path, weights):
    eval_set = load_squad(path)
    eval_set.questions = [q for q in eval_set.questions if not q.impossible]
    assistant = passage_assistant(eval_set, Settings())
    results = {}
    for weight in weights:
        assistant.retriever.keyword_weight = weight
        results[weight] = evaluate(assistant, eval_set, str(weight)).recall_at_5
    return results


@needs_shared
@pytest.mark.slow
@pytest.mark.parametrize(("name", "target"), [("idk_mrc_valid.json", 0.97),
                                              ("xquad_en_dev.json", 0.99)])
def test_hybrid_recall_beats_bm25_alone(name, target):
    hybrid = Settings().keyword_weight
    recall = recall_by_weight(SHARED_EVAL / name, [hybrid, 1.0])
    assert recall[hybrid] >= target
    assert recall[hybrid] > recall[1.0]


@needs_shared
@pytest.mark.slow
@pytest.mark.parametrize("name", ["idk_mrc_valid.json", "xquad_en_dev.json"])
def test_tuning_questions_are_refused_against_the_ecosystem(assistant, name):
    eval_set = load_squad(SHARED_EVAL / name)
    eval_set.questions = eval_set.questions[::4]
    result = evaluate(assistant, eval_set, name, against_knowledge=True)
    assert result.refusal_rate_unanswerable >= 0.95


def test_both_squad_layouts_load(tmp_path):
    flat = [{"context": "Hetero Space dibuka 2020.", "qas": [
        {"id": "1", "question": "Kapan?", "is_impossible": False,
         "answers": [{"text": "2020", "answer_start": 20}]}]}]
    nested = {"data": [{"title": "T", "paragraphs": flat}]}
    for layout in (flat, nested):
        path = tmp_path / "set.json"
        path.write_text(json.dumps(layout))
        eval_set = load_squad(path)
        assert len(eval_set.passages) == 1 and eval_set.questions[0].answers == ("2020",)


@pytest.mark.parametrize("content", ["not json", "{\"data\": 3}", "[{\"no\": 1}]", "[]"])
def test_bad_eval_files_get_clear_errors(tmp_path, content):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(EvalFileError):
        load_squad(path)

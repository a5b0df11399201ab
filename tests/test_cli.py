"""The command line, run as a user would: errors are messages, never tracebacks."""

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import KNOWLEDGE


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    index = tmp_path_factory.mktemp("cli-index")
    return {**os.environ, "PLAIBOT_INDEX_DIR": str(index), "PLAIBOT_KNOWLEDGE_DIR": str(KNOWLEDGE)}


def plaibot(env, *args, cwd=None):
    return subprocess.run([sys.executable, "-m", "plaibot.cli", *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def test_index_then_ask_with_sources(env):
    first = plaibot(env, "index")
    assert first.returncode == 0, first.stderr
    assert "failed" in first.stdout and "0 failed" in first.stdout
    again = plaibot(env, "index")
    assert " 0 added" in " " + again.stdout and "unchanged" in again.stdout
    answer = plaibot(env, "ask", "Siapa Menteri Ekonomi Kreatif?")
    assert answer.returncode == 0
    assert "Riefky" in answer.stdout and "[1]" in answer.stdout and "http" in answer.stdout


def test_ask_json(env):
    result = plaibot(env, "ask", "What is PL(AI)GROUND?", "--json")
    payload = json.loads(result.stdout)
    assert payload["grounded"] and payload["language"] == "en" and payload["sources"]


@pytest.mark.parametrize("question", ["", "x" * 5000])
def test_ask_rejects_bad_questions_without_traceback(env, question):
    result = plaibot(env, "ask", question)
    assert result.returncode == 2
    assert "error:" in result.stderr and "Traceback" not in result.stderr


def test_index_reports_bad_files_by_name(env, tmp_path):
    (tmp_path / "good.md").write_text("# Catatan\n\nHetero Space punya tiga lokasi.\n")
    (tmp_path / "corrupt.pdf").write_bytes(b"%PDF-1.4 broken")
    (tmp_path / "image.png").write_bytes(b"\x89PNG\r\n")
    local = {**env, "PLAIBOT_INDEX_DIR": str(tmp_path / "idx")}
    result = plaibot(local, "index", str(tmp_path), str(tmp_path / "missing"))
    assert result.returncode == 1
    assert "corrupt.pdf" in result.stderr and "image.png: unsupported type" in result.stderr
    assert "missing: no such file" in result.stderr
    assert "1 added" in result.stdout and "Traceback" not in result.stderr


def test_eval_bad_file_is_a_clear_error(env, tmp_path):
    result = plaibot(env, "eval", str(tmp_path / "nope.json"))
    assert result.returncode == 2 and "no such file" in result.stderr


def test_eval_prints_a_table(env, tmp_path):
    data = [{"context": "Hetero Space Semarang dibuka pada 31 Januari 2020 oleh Ganjar Pranowo.",
             "qas": [{"id": "1", "question": "Kapan Hetero Space Semarang dibuka?",
                      "is_impossible": False, "answers": [{"text": "31 Januari 2020"}]}]},
            {"context": "Impala Space berada di Kota Lama Semarang.", "qas": []}]
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(data))
    result = plaibot(env, "eval", str(path), "--json")
    [row] = json.loads(result.stdout)
    assert row["recall_at_1"] == 1.0 and row["answer_hit_rate"] == 1.0
    assert row["embedder"].startswith("multilingual-e5-small")
    both = plaibot(env, "eval", str(path), "--compare", "--model", "multilingual-e5-small",
                   "--model", "all-MiniLM-L6-v2")
    assert both.returncode == 0, both.stderr
    rows = [line for line in both.stdout.splitlines() if "only" in line or "hybrid" in line]
    assert [("e5" in r, "MiniLM" in r) for r in rows] == [(True, False)] * 3 + [(False, True)] * 3


def test_ask_stream_prints_the_answer_and_its_sources(env):
    result = plaibot(env, "ask", "--stream", "Siapa Menteri Ekonomi Kreatif?")
    assert result.returncode == 0, result.stderr
    assert "Riefky" in result.stdout and "[1]" in result.stdout and "http" in result.stdout


def test_unknown_chat_model_provider_is_a_clear_error(env):
    result = plaibot({**env, "PLAIBOT_ANSWERER": "nosuch:model"}, "ask", "Apa itu PL(AI)GROUND?")
    assert result.returncode == 2
    assert "PLAIBOT_ANSWERER=nosuch:model" in result.stderr and "Traceback" not in result.stderr

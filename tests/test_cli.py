"""The command line, run as a user would: errors are messages, never tracebacks.

The commands run in-process (Typer's `CliRunner`) against the session's assistant, which
the CLI takes as its context object; one subprocess per entry point checks what a shell
sees (exit codes, no traceback) without loading any model.
"""

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from plaibot import Assistant, Settings
from plaibot.cli import app

runner = CliRunner()


def plaibot(*args: str, assistant: Assistant | None = None):
    return runner.invoke(app, list(args), obj=assistant)


def test_ask_answers_with_sources(assistant):
    result = plaibot("ask", "Siapa Menteri Ekonomi Kreatif?", assistant=assistant)
    assert result.exit_code == 0, result.output
    assert "Riefky" in result.stdout and "[1]" in result.stdout and "http" in result.stdout


def test_ask_json(assistant):
    result = plaibot("ask", "What is PL(AI)GROUND?", "--json", assistant=assistant)
    payload = json.loads(result.stdout)
    assert payload["grounded"] and payload["language"] == "en" and payload["sources"]


def test_ask_stream_prints_the_answer_and_its_sources(assistant):
    result = plaibot("ask", "--stream", "Siapa Menteri Ekonomi Kreatif?", assistant=assistant)
    assert result.exit_code == 0, result.output
    assert "Riefky" in result.stdout and "[1]" in result.stdout and "http" in result.stdout


@pytest.mark.parametrize("question", ["", "   ", "x" * 5000])
def test_ask_rejects_bad_questions_before_building_an_assistant(monkeypatch, question):
    from plaibot import assistant as assistant_module

    monkeypatch.setattr(assistant_module, "Assistant", None)  # building one would fail
    result = plaibot("ask", question)
    assert result.exit_code == 2
    assert "error:" in result.stderr and "Traceback" not in result.output


def test_index_is_incremental_and_reports_bad_files_by_name(assistant, tmp_path):
    (tmp_path / "good.md").write_text("# Catatan\n\nHetero Space punya tiga lokasi.\n")
    (tmp_path / "corrupt.pdf").write_bytes(b"%PDF-1.4 broken")
    (tmp_path / "image.png").write_bytes(b"\x89PNG\r\n")
    own = Assistant(Settings(index_dir=tmp_path / "idx", knowledge_dir=tmp_path))
    result = plaibot("index", str(tmp_path), str(tmp_path / "missing"), assistant=own)
    assert result.exit_code == 1
    assert "corrupt.pdf" in result.stderr and "image.png: unsupported type" in result.stderr
    assert "missing: no such file" in result.stderr
    assert "1 added" in result.stdout
    again = plaibot("index", str(tmp_path / "good.md"), assistant=own)
    assert again.exit_code == 0 and "0 added" in again.stdout and "1 unchanged" in again.stdout


def test_eval_bad_file_is_a_clear_error(tmp_path):
    result = plaibot("eval", str(tmp_path / "nope.json"))
    assert result.exit_code == 2 and "no such file" in result.stderr


def test_eval_prints_results(tmp_path):
    data = [{"context": "Hetero Space Semarang dibuka pada 31 Januari 2020 oleh Ganjar Pranowo.",
             "qas": [{"id": "1", "question": "Kapan Hetero Space Semarang dibuka?",
                      "is_impossible": False, "answers": [{"text": "31 Januari 2020"}]}]},
            {"context": "Impala Space berada di Kota Lama Semarang.", "qas": []}]
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(data))
    result = plaibot("eval", str(path), "--json")
    assert result.exit_code == 0, result.output
    [row] = json.loads(result.stdout)
    assert row["recall_at_1"] == 1.0 and row["answer_hit_rate"] == 1.0
    assert row["embedder"].startswith("multilingual-e5-small")
    both = plaibot("eval", str(path), "--compare", "--model", "multilingual-e5-small",
                   "--model", "all-MiniLM-L6-v2")
    assert both.exit_code == 0, both.output
    rows = [line for line in both.stdout.splitlines() if "only" in line or "hybrid" in line]
    assert [("e5" in r, "MiniLM" in r) for r in rows] == [(True, False)] * 3 + [(False, True)] * 3


def test_unknown_chat_model_provider_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("PLAIBOT_ANSWERER", "nosuch:model")
    monkeypatch.setenv("PLAIBOT_INDEX_DIR", str(tmp_path / "idx"))
    result = plaibot("ask", "Apa itu PL(AI)GROUND?")
    assert result.exit_code == 2
    assert "PLAIBOT_ANSWERER=nosuch:model" in result.stderr and "Traceback" not in result.output


def test_version_is_the_package_version():
    from importlib.metadata import version

    result = plaibot("--version")
    assert result.exit_code == 0 and result.stdout.strip() == f"plaibot {version('plaibot')}"


@pytest.mark.parametrize(("args", "code"), [(["--help"], 0), (["ask", ""], 2), (["nosuch"], 2)])
def test_the_console_entry_point_exits_as_a_shell_expects(args, code):
    """One real process: exit codes and messages as a shell sees them, no model loaded."""
    result = subprocess.run([sys.executable, "-m", "plaibot.cli", *args], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    if code == 0:
        assert "ask" in result.stdout and "serve" in result.stdout

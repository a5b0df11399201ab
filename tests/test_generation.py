"""Generated answers with scripted chat models: citation check, fallback, refusal, follow-ups.

The scripted model reads its prompt as a real one would (it finds the passage holding a
fact and cites that passage's number), so these tests exercise the real prompt, passages,
check and fallback; tests/test_llm_server.py runs the same paths against a real model.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import Field, ValidationError

from plaibot import Assistant, Settings
from plaibot.citations import check_citations
from plaibot.generation import Final, Replace, Token, accepted_rewrite
from plaibot.i18n import t
from plaibot.web import create_app

BANYUMAS = "Kapan Hetero Space Banyumas dibuka?"


class Scripted(GenericFakeChatModel):
    """A chat model whose reply is computed from its prompt; it records every prompt."""

    messages: object = iter(())
    reply: Callable[[list[BaseMessage]], str]
    prompts: list[list[BaseMessage]] = Field(default_factory=list)
    delay: float = 0.0

    def _generate(self, messages, stop=None, run_manager=None, **kwargs) -> ChatResult:
        self.prompts.append(messages)
        time.sleep(self.delay)
        return ChatResult(generations=[ChatGeneration(message=AIMessage(self.reply(messages)))])


def passage_with(messages: list[BaseMessage], fact: str) -> int:
    """The number of the first passage in the prompt that says `fact`."""
    for block in messages[-1].text.split("\n\n"):
        if fact in block and (match := re.match(r"\[(\d+)\]", block)):
            return int(match.group(1))
    raise AssertionError(f"no passage says {fact!r}")


def opened(messages: list[BaseMessage]) -> str:
    n = passage_with(messages, "16 Desember 2022")
    return f"Hetero Space Banyumas dibuka oleh Ganjar Pranowo pada 16 Desember 2022 [{n}]."


def events_for(assistant: Assistant, question: str = BANYUMAS, history=None) -> list:
    return list(assistant.stream(question, history))


def with_model(knowledge_settings, assistant, reply, **settings) -> tuple[Assistant, Scripted]:
    model = Scripted(reply=reply, delay=settings.pop("delay", 0.0))
    local = knowledge_settings.model_copy(update=settings)
    return Assistant(local, store=assistant.store, chat_model=model), model


def test_a_supported_cited_answer_is_streamed_as_written(knowledge_settings, assistant):
    llm, model = with_model(knowledge_settings, assistant, opened)
    events = events_for(llm)
    tokens = "".join(e.text for e in events if isinstance(e, Token))
    final = events[-1]
    assert isinstance(final, Final) and not final.fallback
    assert not any(isinstance(e, Replace) for e in events)
    assert final.answer.text == tokens == opened(model.prompts[0])
    cited = int(re.search(r"\[(\d+)\]", tokens).group(1))
    assert [s.number for s in final.answer.sources] == [cited]
    assert final.answer.sources[0].address.startswith("https://")
    assert final.answer.grounded and final.answer.language == "id"


def test_a_citation_of_no_passage_is_removed(knowledge_settings, assistant):
    llm, model = with_model(knowledge_settings, assistant,
                            lambda m: opened(m).replace("].", "][99]."))
    events = events_for(llm)
    [replace] = [e for e in events if isinstance(e, Replace)]
    assert "[99]" not in replace.text and replace.text == opened(model.prompts[0])
    assert events[-1].answer.text == replace.text and not events[-1].fallback


@pytest.mark.parametrize("reply", [
    lambda m: opened(m).replace("16 Desember", "17 Desember"),   # a figure the source lacks
    lambda m: "Hetero Space Banyumas dibuka pada 16 Desember 2022.",  # no citation at all
    lambda m: opened(m) + " Gedung itu dibangun pada 1990.",       # an uncited claim after
    lambda m: "Hetero Space Banyumas was opened on 16 Desember 2022 by the governor "
              f"[{passage_with(m, '16 Desember 2022')}].",          # not the asker's language
], ids=["wrong-figure", "uncited", "uncited-claim", "wrong-language"])
def test_an_unsupported_answer_falls_back_to_quoting(knowledge_settings, assistant, reply):
    llm, _ = with_model(knowledge_settings, assistant, reply)
    quoted = assistant.ask(BANYUMAS)
    events = events_for(llm)
    final = events[-1]
    assert final.fallback
    assert final.answer.text == f"{quoted.text}\n\n{t('llm_unchecked', 'id')}"
    assert final.answer.sources == quoted.sources and final.answer.grounded
    assert [e.text for e in events if isinstance(e, Replace)] == [final.answer.text]


def test_refusal_is_decided_by_retrieval_not_by_the_model(knowledge_settings, assistant):
    llm, model = with_model(knowledge_settings, assistant,
                            lambda m: "Ibu kota Prancis adalah Paris [1].")
    answer = llm.ask("Apa ibu kota Prancis?")
    assert answer.refused and not answer.sources and not model.prompts


def test_a_failing_model_gives_the_quoted_answer_with_a_note(knowledge_settings, assistant):
    def broken(messages):
        raise ConnectionError("model server is down")

    llm, _ = with_model(knowledge_settings, assistant, broken)
    answer = llm.ask("Where is Hetero Space Solo?")
    assert answer.grounded and "Urip Sumoharjo" in answer.text and answer.sources
    assert answer.text.endswith(t("llm_unavailable", "en"))


def test_a_model_slower_than_the_timeout_gives_the_quoted_answer(knowledge_settings, assistant):
    llm, _ = with_model(knowledge_settings, assistant, opened, delay=3.0,
                        llm_timeout_seconds=0.5)
    final = events_for(llm)[-1]
    assert "TimeoutError" in final.fallback
    assert "16 Desember 2022" in final.answer.text
    assert final.answer.text.endswith(t("llm_unavailable", "id"))


def test_follow_up_is_rewritten_to_stand_alone_before_retrieval(knowledge_settings, assistant):
    def reply(messages):
        if "Pertanyaan mandiri" in messages[-1].text:
            return "Kapan Hetero Space Banyumas dibuka?\nSemoga membantu."
        return opened(messages)

    llm, model = with_model(knowledge_settings, assistant, reply)
    answer = llm.ask("kapan tempat itu dibuka?", ["Ceritakan tentang Hetero Space Banyumas"])
    assert len(model.prompts) == 2  # the rewrite, then the answer
    assert "Pertanyaan: Kapan Hetero Space Banyumas dibuka?" in model.prompts[1][-1].text
    assert "16 Desember 2022" in answer.text and answer.sources


def test_first_turn_is_not_rewritten(knowledge_settings, assistant):
    llm, model = with_model(knowledge_settings, assistant, opened)
    llm.ask(BANYUMAS)
    assert len(model.prompts) == 1 and "Pertanyaan: " + BANYUMAS in model.prompts[0][-1].text


def test_prompt_is_in_the_askers_language_with_numbered_passages(knowledge_settings, assistant):
    llm, model = with_model(knowledge_settings, assistant,
                            lambda m: f"It is at Jl. Urip Sumoharjo [{passage_with(m, 'Urip')}].")
    llm.ask("Where is Hetero Space Solo?")
    system, human = model.prompts[0]
    assert "Answer in English" in system.text and "[1]" in system.text
    assert t("refusal", "en") in system.text
    assert human.text.startswith("Passages:\n\n[1] ") and "Question: Where is" in human.text


@pytest.mark.parametrize(("text", "expected"), [
    ("Standalone question: Kapan Hetero Space Banyumas dibuka?", "Kapan Hetero Space Banyumas dibuka?"),
    ('"Kapan Hetero Space Banyumas dibuka?"\nextra line', "Kapan Hetero Space Banyumas dibuka?"),
    ("Kapan Hetero Space Semarang dibuka?", None),        # a place the conversation never named
    ("When was Hetero Space Banyumas opened?", None),      # another language
    ("", None),
    ("Ceritakan tentang Hetero Space Banyumas " * 5, None),  # longer than what it draws on
])
def test_only_a_faithful_rewrite_is_accepted(text, expected):
    earlier = ["Ceritakan tentang Hetero Space Banyumas"]
    assert accepted_rewrite(text, "kapan dibuka?", earlier, "id", 1000) == expected


PASSAGES = {1: "[1] Tribun (2022-12-16)\nHetero Space Banyumas dibuka pada 16 Desember 2022.",
            2: "[2] JPNN\nHetero Space Banyumas adalah lokasi terbesar di antara 60.000 ruang."}


@pytest.mark.parametrize(("text", "problem"), [
    ("Hetero Space Banyumas dibuka pada 16 Desember 2022 [1].", ""),
    ("Dibuka 16 Desember 2022 [1], dan merupakan lokasi terbesar [2]. Semoga membantu!", ""),
    ("Tempat itu dibuka pada 16 Desember 2022 dan terbesar di antara 60,000 ruang [1, 2].", ""),
    ("Hetero Space Banyumas dibuka pada 18 Desember 2022 [1].", "not supported"),
    ("Hetero Space Banyumas adalah lokasi terbesar [1].", "not supported"),
    ("Hetero Space Banyumas dibuka pada 16 Desember 2022.", "no valid citation"),
    ("Hetero Space Banyumas dibuka pada 16 Desember 2022 [3].", "no valid citation"),
    ("Dibuka 16 Desember 2022 [1]. Gedungnya dirancang arsitek terkenal dari Belanda.",
     "uncited claim"),
    ("Hetero Space Banyumas was opened on 16 Desember 2022 [1].", "language"),
])
def test_citation_check(text, problem):
    checked = check_citations(text, PASSAGES, "id")
    assert (problem in checked.problem) if problem else not checked.problem, checked.problem


def test_citation_check_removes_unknown_numbers_and_keeps_the_rest():
    checked = check_citations("Dibuka 16 Desember 2022 [1][7]. Terbesar [9][2].", PASSAGES, "id")
    assert checked.text == "Dibuka 16 Desember 2022 [1]. Terbesar [2]." and checked.cited == [1, 2]


def test_stream_endpoint_sends_replace_when_citations_change(knowledge_settings, assistant):
    llm, _ = with_model(knowledge_settings, assistant, lambda m: opened(m).replace("].", "][42]."))
    # The server's own origin is the address it listens on, never the Host header.
    app = create_app(knowledge_settings.model_copy(
        update={"allowed_origins": ["http://testserver"]}), llm)
    client = TestClient(app)
    headers = {"Origin": "http://testserver"}
    token = client.post("/api/session", headers=headers).json()["token"]
    response = client.post("/api/chat/stream", json={"question": BANYUMAS},
                           headers={**headers, "Authorization": f"Bearer {token}"})
    frames = [f for f in response.text.split("\n\n") if f.strip()]
    events = [(f.split("\n")[0].removeprefix("event: "), json.loads(f.split("data: ", 1)[1]))
              for f in frames]
    names = [name for name, _ in events]
    assert names[0] == "token" and names[-3:] == ["replace", "sources", "done"]
    streamed = "".join(d["text"] for name, d in events if name == "token")
    replaced = events[-3][1]["text"]
    assert "[42]" in streamed and "[42]" not in replaced and "16 Desember 2022" in replaced
    cited = {int(n) for n in re.findall(r"\[(\d+)\]", replaced)}
    assert {s["number"] for s in events[-2][1]["sources"]} == cited


def test_settings_validate_the_answerer(monkeypatch):
    for bad in ("gpt", "ollama:", ":model"):
        monkeypatch.setenv("PLAIBOT_ANSWERER", bad)
        with pytest.raises(ValidationError, match="provider"):
            Settings()
    monkeypatch.setenv("PLAIBOT_ANSWERER", "ollama:qwen2.5:3b")
    monkeypatch.setenv("PLAIBOT_LLM_API_KEY", "sk-secret")
    settings = Settings()
    assert settings.answerer == "ollama:qwen2.5:3b" and "sk-secret" not in repr(settings)


def test_default_answerer_imports_no_chat_model_package(knowledge_settings):
    code = (
        "import sys\n"
        "from plaibot import Assistant, Settings\n"
        f"a = Assistant(Settings(knowledge_dir={str(knowledge_settings.knowledge_dir)!r}, "
        f"index_dir={str(knowledge_settings.index_dir)!r}))\n"
        "events = list(a.stream('Siapa Menteri Ekonomi Kreatif?'))\n"
        "assert events[-1].answer.grounded\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('langchain', 'langchain_openai', 'langchain_ollama', 'llama_cpp', 'openai', 'ollama')))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_chat_page_streams_then_shows_the_answer_with_sources(knowledge_settings, assistant):
    from plaibot.web import reply

    llm, _ = with_model(knowledge_settings, assistant, opened)
    shown = list(reply(llm, BANYUMAS, [], every=0))
    assert len(shown) > 3 and all(b.startswith(a) for a, b in zip(shown[:-2], shown[1:-1]))
    assert shown[-1].startswith(shown[-2]) and "**Sumber:**" in shown[-1]
    assert "16 Desember 2022" in shown[-1] and "https://" in shown[-1]


def test_settings_build_ollama_and_openai_compatible_chat_models():
    pytest.importorskip("langchain_ollama", reason="needs the llm extra (make install-llm)")
    pytest.importorskip("langchain_openai", reason="needs the llm extra (make install-llm)")
    from plaibot.generation import chat_model

    ollama = chat_model(Settings(answerer="ollama:qwen2.5:3b", llm_base_url="http://127.0.0.1:11434",
                                 llm_max_tokens=99, llm_timeout_seconds=7, llm_temperature=0.1,
                                 llm_options={"reasoning": False}))
    assert type(ollama).__name__ == "ChatOllama" and ollama.model == "qwen2.5:3b"
    assert ollama.num_predict == 99 and ollama.client_kwargs == {"timeout": 7}
    assert ollama.base_url == "http://127.0.0.1:11434" and ollama.reasoning is False
    compatible = chat_model(Settings(answerer="openai:local", llm_base_url="http://127.0.0.1:8080/v1",
                                     llm_api_key="none", llm_max_tokens=99, llm_timeout_seconds=7))
    assert type(compatible).__name__ == "ChatOpenAI" and compatible.model_name == "local"
    assert compatible.openai_api_base == "http://127.0.0.1:8080/v1" and compatible.max_retries == 0
    assert compatible.max_tokens == 99 and compatible.extra_body == {"max_tokens": 99}
    assert compatible.request_timeout == 7

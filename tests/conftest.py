"""Shared fixtures: one real index of knowledge/ per test session (real model, no fakes)."""

from __future__ import annotations

from pathlib import Path

import pytest

from plaibot import Assistant, Settings

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = ROOT / "knowledge"
SHARED_EVAL = ROOT.parent / "shared" / "eval"


@pytest.fixture(scope="session")
def knowledge_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(knowledge_dir=KNOWLEDGE, index_dir=tmp_path_factory.mktemp("index"))


@pytest.fixture(scope="session")
def assistant(knowledge_settings: Settings) -> Assistant:
    assistant = Assistant(knowledge_settings)
    report = assistant.index()
    assert report.ok, report.failed
    return assistant

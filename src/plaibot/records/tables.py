"""The records schema: every table plaibot keeps for staff, in one SQLAlchemy `MetaData`.

A table here is half of a change: the migration that creates it in existing databases is
the other (see `plaibot.records` for the steps). `tests/test_records.py` fails when the two
disagree, on SQLite and on PostgreSQL.

Times are ISO-8601 UTC text ("2026-11-27T22:30:13+00:00"): they sort and compare as time
on both engines, and feedback files written before this schema had migrations read as they
are.
"""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    UniqueConstraint,
)

# Named constraints, so a later migration can alter or drop them by name on every engine.
metadata = MetaData(naming_convention={
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "pk": "pk_%(table_name)s",
})

# One vote per answer and conversation (see plaibot.feedback).
feedback = Table(
    "feedback", metadata,
    Column("id", Integer, primary_key=True),
    Column("created", Text, nullable=False),
    Column("updated", Text, nullable=False),
    Column("conversation_id", Text, nullable=False),
    Column("answer_key", Text, nullable=False),
    Column("rating", Text, nullable=False),
    Column("comment", Text, nullable=False, server_default=""),
    Column("question", Text, nullable=False, server_default=""),
    Column("answer", Text, nullable=False),
    Column("channel", Text, nullable=False),
    Column("origin", Text, nullable=False, server_default=""),
    UniqueConstraint("conversation_id", "answer_key"),
    CheckConstraint("rating IN ('up', 'down')", name="rating"),
)

# Questions the documents did not answer (see plaibot.gaps): nothing that identifies the
# asker (no IP address, user agent or conversation id); deleted after PLAIBOT_GAPS_DAYS.
knowledge_gaps = Table(
    "knowledge_gaps", metadata,
    Column("id", Integer, primary_key=True),
    Column("created", Text, nullable=False),
    Column("question", Text, nullable=False),
    Column("language", Text, nullable=False),
    Column("channel", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("confidence", Float, nullable=False),
    Index("ix_knowledge_gaps_created", "created"),
)

# Questions and refusals per day and channel: counts only, for the staff console's plot.
daily_activity = Table(
    "daily_activity", metadata,
    Column("day", Text, primary_key=True),
    Column("kind", Text, primary_key=True),
    Column("channel", Text, primary_key=True),
    Column("n", Integer, nullable=False),
)

# Staff console sessions (see plaibot.staff); the token is stored as its SHA-256.
staff_sessions = Table(
    "staff_sessions", metadata,
    Column("token_hash", Text, primary_key=True),
    Column("created", Float, nullable=False),
    Column("expires", Float, nullable=False),
)

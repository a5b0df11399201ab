"""The staff console: knowledge gaps, questions and refusals per day, staff sessions."""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.create_table(
        "knowledge_gaps",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("created", sa.Text, nullable=False),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("language", sa.Text, nullable=False),
        sa.Column("channel", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("confidence", sa.Float, nullable=False),
    )
    op.create_index("ix_knowledge_gaps_created", "knowledge_gaps", ["created"])
    op.create_table(
        "daily_activity",
        sa.Column("day", sa.Text, primary_key=True),
        sa.Column("kind", sa.Text, primary_key=True),
        sa.Column("channel", sa.Text, primary_key=True),
        sa.Column("n", sa.Integer, nullable=False),
    )
    op.create_table(
        "staff_sessions",
        sa.Column("token_hash", sa.Text, primary_key=True),
        sa.Column("created", sa.Float, nullable=False),
        sa.Column("expires", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("staff_sessions")
    op.drop_table("daily_activity")
    op.drop_index("ix_knowledge_gaps_created", "knowledge_gaps")
    op.drop_table("knowledge_gaps")

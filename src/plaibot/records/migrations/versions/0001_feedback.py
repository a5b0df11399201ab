"""Feedback votes on answers.

`if_not_exists`: feedback files made before migrations existed already hold this table;
they are adopted as they are (their columns are the same), keeping every vote.
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("created", sa.Text, nullable=False),
        sa.Column("updated", sa.Text, nullable=False),
        sa.Column("conversation_id", sa.Text, nullable=False),
        sa.Column("answer_key", sa.Text, nullable=False),
        sa.Column("rating", sa.Text, nullable=False),
        sa.Column("comment", sa.Text, nullable=False, server_default=""),
        sa.Column("question", sa.Text, nullable=False, server_default=""),
        sa.Column("answer", sa.Text, nullable=False),
        sa.Column("channel", sa.Text, nullable=False),
        sa.Column("origin", sa.Text, nullable=False, server_default=""),
        sa.UniqueConstraint("conversation_id", "answer_key",
                            name="uq_feedback_conversation_id"),
        sa.CheckConstraint("rating IN ('up', 'down')", name="ck_feedback_rating"),
        if_not_exists=True,
    )


def downgrade() -> None:
    op.drop_table("feedback")

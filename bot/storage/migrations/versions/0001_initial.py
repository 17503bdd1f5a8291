"""Initial schema: users, chat states, attempts, reviews, rounds, round answers, outbox.

Revision ID: 0001
Revises:
Create Date: 2025-11-25 00:00:00+00:00

Written by hand; it must stay self-contained (no imports from bot.storage.models), so later model
changes never rewrite history. Datetimes are DateTime(timezone=True) here; the models read them
back through `UTCDateTime`.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _user_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["user_id"], ["users.id"], name=f"fk_{table}_user_id_users", ondelete="CASCADE"
    )


def upgrade() -> None:
    """Create every table."""
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("daily_time", sa.String(5), nullable=True),
        sa.Column("topics", sa.JSON(), nullable=False),
        _when("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("key", name="uq_users_key"),
    )
    op.create_table(
        "chat_states",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.String(128), nullable=True),
        sa.Column("followup_point", sa.Integer(), nullable=True),
        sa.Column("hints_used", sa.Integer(), nullable=False),
        _when("asked_at", nullable=True),
        sa.Column("last_attempt_id", sa.Integer(), nullable=True),
        sa.Column("last_question_id", sa.String(128), nullable=True),
        _when("updated_at"),
        _user_fk("chat_states"),
        sa.PrimaryKeyConstraint("user_id", name="pk_chat_states"),
    )
    op.create_table(
        "attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.String(128), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("verdict", sa.Integer(), nullable=False),
        sa.Column("covered", sa.JSON(), nullable=False),
        sa.Column("missed", sa.JSON(), nullable=False),
        sa.Column("contradicted", sa.JSON(), nullable=False),
        sa.Column("hints_used", sa.Integer(), nullable=False),
        sa.Column("is_followup", sa.Boolean(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        _when("created_at"),
        _user_fk("attempts"),
        sa.PrimaryKeyConstraint("id", name="pk_attempts"),
    )
    op.create_index("ix_attempts_user_id", "attempts", ["user_id"])
    op.create_index("ix_attempts_question_id", "attempts", ["question_id"])
    op.create_index("ix_attempts_created_at", "attempts", ["created_at"])
    op.create_table(
        "reviews",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.String(128), nullable=False),
        sa.Column("card", sa.JSON(), nullable=False),
        _when("due"),
        sa.Column("last_rating", sa.Integer(), nullable=True),
        sa.Column("reps", sa.Integer(), nullable=False),
        _when("updated_at"),
        sa.Column("previous_card", sa.JSON(), nullable=True),
        sa.Column("previous_due", sa.DateTime(timezone=True), nullable=True),
        sa.Column("previous_rating", sa.Integer(), nullable=True),
        _user_fk("reviews"),
        sa.PrimaryKeyConstraint("user_id", "question_id", name="pk_reviews"),
    )
    op.create_index("ix_reviews_due", "reviews", ["due"])
    op.create_table(
        "rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_key", sa.String(64), nullable=False),
        sa.Column("starter_key", sa.String(64), nullable=False),
        sa.Column("question_ids", sa.JSON(), nullable=False),
        sa.Column("current_index", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Integer(), nullable=False),
        sa.Column("state", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        _when("started_at"),
        _when("deadline_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_rounds"),
    )
    op.create_index("ix_rounds_chat_key", "rounds", ["chat_key"])
    op.create_table(
        "round_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("question_index", sa.Integer(), nullable=False),
        sa.Column("user_key", sa.String(64), nullable=False),
        sa.Column("display_name", sa.String(128), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("covered", sa.JSON(), nullable=False),
        _when("created_at"),
        sa.ForeignKeyConstraint(
            ["round_id"], ["rounds.id"], name="fk_round_answers_round_id_rounds", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_round_answers"),
        sa.UniqueConstraint(
            "round_id", "question_index", "user_key",
            name="uq_round_answers_round_id_question_index_user_key",
        ),
    )
    op.create_index("ix_round_answers_round_id", "round_answers", ["round_id"])
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_key", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        _when("due_at"),
        _when("sent_at", nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sa.UniqueConstraint("user_key", "kind", "due_at", name="uq_outbox_user_key_kind_due_at"),
    )
    op.create_index("ix_outbox_due_at", "outbox", ["due_at"])


def downgrade() -> None:
    """Drop every table, children first."""
    for table in ("outbox", "round_answers", "rounds", "reviews", "attempts", "chat_states", "users"):
        op.drop_table(table)

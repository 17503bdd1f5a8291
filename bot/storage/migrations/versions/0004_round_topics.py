"""Rounds remember the forum topic they run in.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 00:00:00+00:00

`thread_id` is the forum topic (Telegram's `message_thread_id`) a round was started in, so every
message of the round goes there and each topic can run a round of its own; 0 means no topic (a
plain group, or a forum's General topic). Existing rounds get 0, which is where they ran.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("rounds") as batch:
        batch.add_column(sa.Column("thread_id", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("rounds") as batch:
        batch.drop_column("thread_id")

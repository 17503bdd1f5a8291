"""Chat states count the questions asked, and remember when the last open question was asked.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 00:00:00+00:00

`asked_count` numbers the questions of a chat (open ones included); `open_asked_count` is the
value it had when the last open question (no reference answer) was asked, so open questions can
be spaced out. Existing chats start at 0 and never-asked.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("chat_states") as batch:
        batch.add_column(sa.Column("asked_count", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("open_asked_count", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("chat_states") as batch:
        batch.drop_column("open_asked_count")
        batch.drop_column("asked_count")

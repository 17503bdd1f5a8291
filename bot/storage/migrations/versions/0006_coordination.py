"""Coordination of several bot processes sharing one database.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 00:00:00+00:00

`jobs` holds deferred work (daily pushes, round deadlines, held answers, retention) with its due
time and the claim of the process running it; `seen_updates` the Telegram update ids already
handled; `send_pacing` the next free send slot of each pacing key (seconds since the epoch).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        _when("due_at"),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("claimed_by", sa.String(64), nullable=True),
        _when("claimed_until", nullable=True),
        sa.PrimaryKeyConstraint("name", name="pk_jobs"),
    )
    op.create_index("ix_jobs_due_at", "jobs", ["due_at"])
    op.create_table(
        "seen_updates",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        _when("seen_at"),
        sa.PrimaryKeyConstraint("update_id", name="pk_seen_updates"),
    )
    op.create_index("ix_seen_updates_seen_at", "seen_updates", ["seen_at"])
    op.create_table(
        "send_pacing",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("next_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_send_pacing"),
    )


def downgrade() -> None:
    op.drop_table("send_pacing")
    op.drop_index("ix_seen_updates_seen_at", table_name="seen_updates")
    op.drop_table("seen_updates")
    op.drop_index("ix_jobs_due_at", table_name="jobs")
    op.drop_table("jobs")

"""Decks: a user's own questions, imported from a notes file sent in a chat.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 00:00:00+00:00

`decks` holds each deck's bank file (YAML text) and whether the user practises it;
`deck_uploads` holds a previewed file until its Import button is pressed (or the preview expires);
`group_decks` names the deck a group's admin attached for the group's /mock rounds.
`users.shared_bank` says whether the user practises the shared bank (existing users: yes).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _user_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=f"fk_{table}_user_id_users", ondelete="CASCADE")


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("shared_bank", sa.Boolean(), nullable=False, server_default=sa.true()))
    op.create_table(
        "decks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("questions", sa.Integer(), nullable=False),
        sa.Column("practised", sa.Boolean(), nullable=False),
        _when("created_at"),
        _when("updated_at"),
        _user_fk("decks"),
        sa.PrimaryKeyConstraint("id", name="pk_decks"),
        sa.UniqueConstraint("user_id", "name", name="uq_decks_user_id_name"),
    )
    op.create_index("ix_decks_user_id", "decks", ["user_id"])
    op.create_table(
        "deck_uploads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("state", sa.Integer(), nullable=False),
        sa.Column("deck_id", sa.Integer(), nullable=True),
        _when("created_at"),
        _user_fk("deck_uploads"),
        sa.PrimaryKeyConstraint("id", name="pk_deck_uploads"),
    )
    op.create_index("ix_deck_uploads_user_id", "deck_uploads", ["user_id"])
    op.create_table(
        "group_decks",
        sa.Column("chat_key", sa.String(64), nullable=False),
        sa.Column("deck_id", sa.Integer(), nullable=False),
        sa.Column("attached_by", sa.String(64), nullable=False),
        _when("created_at"),
        sa.ForeignKeyConstraint(["deck_id"], ["decks.id"], name="fk_group_decks_deck_id_decks", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("chat_key", name="pk_group_decks"),
    )
    op.create_index("ix_group_decks_deck_id", "group_decks", ["deck_id"])


def downgrade() -> None:
    op.drop_index("ix_group_decks_deck_id", table_name="group_decks")
    op.drop_table("group_decks")
    op.drop_index("ix_deck_uploads_user_id", table_name="deck_uploads")
    op.drop_table("deck_uploads")
    op.drop_index("ix_decks_user_id", table_name="decks")
    op.drop_table("decks")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("shared_bank")

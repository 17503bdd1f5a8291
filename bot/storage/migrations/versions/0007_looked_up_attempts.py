"""Attempts say whether the answer was only looked up.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 00:00:00+00:00

`looked_up` marks the attempt recorded when the user asks for the reference answer of an open
question instead of answering it (score 0, rated Again for scheduling): it is not an answer, so
the counts and averages leave it out. Existing rows of that shape (no text, score 0, no point
made or contradicted, not a follow-up) are marked; the shape is the only sign older versions
left, so a graded reply of 0 whose text was never stored (`privacy.store_answers: false`) or
has since been blanked is marked as well, as the session summary already counted it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _empty(value: object) -> bool:
    """Whether a JSON list column holds an empty list (the driver may hand back text)."""
    return (json.loads(value) if isinstance(value, str) else value) in ([], None)


def upgrade() -> None:
    with op.batch_alter_table("attempts") as batch:
        batch.add_column(sa.Column("looked_up", sa.Boolean(), nullable=False, server_default=sa.false()))
    attempts = sa.table(
        "attempts", sa.column("id", sa.Integer()), sa.column("answer", sa.Text()), sa.column("score", sa.Float()),
        sa.column("covered", sa.JSON()), sa.column("contradicted", sa.JSON()), sa.column("is_followup", sa.Boolean()),
        sa.column("looked_up", sa.Boolean()),
    )  # fmt: skip
    connection = op.get_bind()
    candidates = connection.execute(
        sa.select(attempts.c.id, attempts.c.covered, attempts.c.contradicted).where(
            attempts.c.answer == "", attempts.c.score == 0, attempts.c.is_followup == sa.false()
        )
    )
    ids = [row.id for row in candidates if _empty(row.covered) and _empty(row.contradicted)]
    for start in range(0, len(ids), 500):
        connection.execute(sa.update(attempts).where(attempts.c.id.in_(ids[start : start + 500])).values(looked_up=True))


def downgrade() -> None:
    with op.batch_alter_table("attempts") as batch:
        batch.drop_column("looked_up")

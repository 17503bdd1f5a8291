"""Batch reads and writes for the push path: one transaction for many users instead of several each.

A daily push run asks thousands of users a question; per-user calls would cost a handful of
transactions each, so the push path reads everything it needs for a chunk of users at once and
writes their new chat states at once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.storage.base import StoreBase, utc_now
from bot.storage.models import Attempt, ChatState, Deck, Review, User
from bot.storage.records import (
    AttemptRecord,
    ChatStateRecord,
    DeckRecord,
    PracticeSnapshot,
    ReviewRecord,
    UserRecord,
    to_record,
)

__all__ = ["SnapshotsStore", "ASKED_STATE"]

ASKED_STATE = 1  # the engine's "question asked" chat state


class SnapshotsStore(StoreBase):
    """`practice_snapshots` and `ask_many`; `Store` mixes this in."""

    def practice_snapshots(self, user_keys: Iterable[str]) -> dict[str, PracticeSnapshot]:
        """What choosing a question needs for each of these users, read in one transaction.

        Users that do not exist yet are left out (the push path only serves known subscribers).
        """
        keys = list(dict.fromkeys(user_keys))

        def work(session: Session) -> dict[str, PracticeSnapshot]:
            users = {row.id: row for row in session.scalars(select(User).where(User.key.in_(keys)))}
            if not users:
                return {}
            ids = list(users)
            states = {row.user_id: row for row in session.scalars(select(ChatState).where(ChatState.user_id.in_(ids)))}
            attempts: dict[int, list[AttemptRecord]] = defaultdict(list)
            for row in session.scalars(
                select(Attempt).where(Attempt.user_id.in_(ids)).order_by(Attempt.created_at, Attempt.id)
            ):
                attempts[row.user_id].append(to_record(AttemptRecord, row))
            reviews: dict[int, list[ReviewRecord]] = defaultdict(list)
            for row in session.scalars(
                select(Review).where(Review.user_id.in_(ids)).order_by(Review.due, Review.question_id)
            ):
                reviews[row.user_id].append(to_record(ReviewRecord, row))
            decks: dict[int, list[DeckRecord]] = defaultdict(list)
            for row in session.scalars(select(Deck).where(Deck.user_id.in_(ids)).order_by(Deck.created_at, Deck.id)):
                decks[row.user_id].append(to_record(DeckRecord, row))
            return {
                row.key: PracticeSnapshot(
                    user=to_record(UserRecord, row),
                    state=to_record(ChatStateRecord, states[uid]) if uid in states else None,
                    attempts=tuple(attempts[uid]),
                    reviews=tuple(reviews[uid]),
                    decks=tuple(decks[uid]),
                )
                for uid, row in users.items()
            }

        return self._run(work, write=False)

    def users_by_key(self, user_keys: Iterable[str]) -> dict[str, UserRecord]:
        """The existing users among these keys, in one query (unknown keys are left out)."""
        keys = list(dict.fromkeys(user_keys))

        def work(session: Session) -> dict[str, UserRecord]:
            return {row.key: to_record(UserRecord, row) for row in session.scalars(select(User).where(User.key.in_(keys)))}

        return self._run(work, write=False)

    def ask_many(self, asked: Mapping[str, tuple[str, bool]], now: datetime) -> None:
        """Note in one transaction that each user (key) was asked a question at `now`: the value
        is the question's id and whether it is an open one (no reference answer)."""
        stamp = utc_now(now)
        if not asked:
            return

        def work(session: Session) -> None:
            ids = dict(session.execute(select(User.key, User.id).where(User.key.in_(list(asked)))).all())
            existing = {
                row.user_id: row
                for row in session.scalars(select(ChatState).where(ChatState.user_id.in_(list(ids.values()))))
            }
            for key, (question_id, is_open) in asked.items():
                user_id = ids.get(key)
                if user_id is None:
                    continue
                row = existing.get(user_id)
                if row is None:
                    row = ChatState(user_id=user_id)
                    session.add(row)
                row.state, row.question_id, row.followup_point = ASKED_STATE, question_id, None
                row.hints_used, row.asked_at, row.updated_at = 0, stamp, stamp
                row.asked_count = (row.asked_count or 0) + 1
                if is_open:
                    row.open_asked_count = row.asked_count

        self._run(work)

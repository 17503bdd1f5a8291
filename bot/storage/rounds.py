"""The half of `Store` keyed by chat and user keys: group mock-interview rounds, the push outbox, and
moving a chat to a new key (a group upgraded to a supergroup)."""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Select, Text, bindparam, delete, func, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.storage.base import StoreBase, column_values, utc_now
from bot.storage.decks import DecksStore
from bot.storage.models import Outbox, Round, RoundAnswer, User, UTCDateTime
from bot.storage.records import (
    ChatMove,
    OutboxRecord,
    RoundAnswerRecord,
    RoundRecord,
    RoundState,
    to_record,
)

__all__ = ["RoundsOutboxStore", "claim_owner", "claim_owner_gone"]

# The push path's hottest statement, as plain SQL: a third of the cost of the ORM's UPDATE.
_CLOSE_PUSHES = text(
    "UPDATE outbox SET sent_at = :sent, attempts = attempts + 1, last_error = COALESCE(:note, last_error) "
    "WHERE id IN :ids"
).bindparams(bindparam("ids", expanding=True), bindparam("sent", type_=UTCDateTime()), bindparam("note", type_=Text()))

ROUND_FIELDS = frozenset({"question_ids", "current_index", "seconds", "state", "message_id", "deadline_at"})


_HOST = socket.gethostname()[:40]


def claim_owner() -> str:
    """A new name for a sender's outbox claims: this host, this process id and a random part."""
    return f"{_HOST}:{os.getpid()}:{secrets.token_hex(4)}"


def claim_owner_gone(owner: str) -> bool:
    """Whether the process behind a claim has ended: it ran on this host and its process id is
    free now. A claim from another host, or from a process that still runs, is never presumed dead."""
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    if os.name != "posix" or host != _HOST or not pid.isdigit() or int(pid) in (0, os.getpid()):
        return False  # (os.kill(pid, 0) would end the process on Windows)
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:  # e.g. another user's process: it exists
        return False
    return False


def _inserted(session: Session, row: Any, duplicate: Select[Any]) -> bool:
    """Insert `row`, or return False if `duplicate` finds the row a unique constraint kept out."""
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        if session.scalar(duplicate) is None:
            raise  # another constraint (e.g. a missing value): a real error
        return False
    return True


class RoundsOutboxStore(StoreBase):
    """Group rounds and scheduled pushes; `Store` adds the per-user tables."""

    # ------------------------------------------------------------------ rounds

    def create_round(
        self, chat_key: str, starter_key: str, question_ids: Sequence[str], *, seconds: int,
        message_id: int | None = None, deadline_at: datetime | None = None, now: datetime | None = None,
        thread_id: int = 0,
    ) -> RoundRecord:
        """Start a round in `chat_key` (in its forum topic `thread_id`, 0: none) at question 0,
        `seconds` per question."""
        values = column_values(
            dict(chat_key=chat_key, starter_key=starter_key, question_ids=list(question_ids), current_index=0,
                 seconds=seconds, state=RoundState.RUNNING, message_id=message_id, deadline_at=deadline_at,
                 thread_id=thread_id),
            ROUND_FIELDS | {"chat_key", "starter_key", "thread_id"}, what="round",
        )
        stamp = utc_now(now)

        def work(session: Session) -> RoundRecord:
            row = Round(started_at=stamp, **values)
            session.add(row)
            session.flush()
            return to_record(RoundRecord, row)

        return self._run(work)

    def round(self, round_id: int) -> RoundRecord | None:
        """The round with this id, if any."""

        def work(session: Session) -> RoundRecord | None:
            row = session.get(Round, round_id)
            return None if row is None else to_record(RoundRecord, row)

        return self._run(work, write=False)

    def active_rounds(self, chat_key: str | None = None, thread_id: int | None = None) -> list[RoundRecord]:
        """Running rounds (in one chat, and one forum topic of it, if given), oldest first."""

        def work(session: Session) -> list[RoundRecord]:
            query = select(Round).where(Round.state == RoundState.RUNNING.value)
            if chat_key is not None:
                query = query.where(Round.chat_key == chat_key)
            if thread_id is not None:
                query = query.where(Round.thread_id == thread_id)
            return [to_record(RoundRecord, row) for row in session.scalars(query.order_by(Round.id))]

        return self._run(work, write=False)

    def update_round(self, round_id: int, **fields: Any) -> RoundRecord:
        """Set some of `question_ids`, `current_index`, `seconds`, `state`, `message_id`, `deadline_at`.

        Raises:
            ValueError: an unknown field, or a naive datetime.
            KeyError: no round has this id.
        """
        values = column_values(fields, ROUND_FIELDS, what="round")

        def work(session: Session) -> RoundRecord:
            row = session.get(Round, round_id)
            if row is None:
                raise KeyError(f"no round {round_id}")
            for name, value in values.items():
                setattr(row, name, value)
            session.flush()
            return to_record(RoundRecord, row)

        return self._run(work)

    def advance_round(
        self, round_id: int, messages: Sequence[str], *, now: datetime | None = None,
        expected_index: int | None = None, kind: str = "group", **fields: Any,
    ) -> RoundRecord | None:
        """Move a running round on and queue its messages for its chat, in one transaction.

        Sets `fields` (as `update_round` does) and queues one outbox row of `kind` per message
        (user key = the round's chat key, payload {"text": message} plus, for a round in a forum
        topic, its "thread_id"; due at `now` plus i microseconds, so they are distinct and go out
        in order; after the chat's latest row of `kind` if that is due as late). Returns None,
        changing and queuing nothing, if the round is not running any more or, with
        `expected_index`, is no longer at that question (another caller moved it on first).

        Raises:
            ValueError: an unknown field, or a naive datetime.
            KeyError: no round has this id.
        """
        values = column_values(fields, ROUND_FIELDS, what="round")
        stamp = utc_now(now)
        texts = [str(message) for message in messages]

        def work(session: Session) -> RoundRecord | None:
            row = session.get(Round, round_id)
            if row is None:
                raise KeyError(f"no round {round_id}")
            if row.state != RoundState.RUNNING.value or expected_index not in (None, row.current_index):
                return None
            for name, value in values.items():
                setattr(row, name, value)
            start = stamp
            if texts:
                latest = session.scalar(
                    select(func.max(Outbox.due_at)).where(Outbox.user_key == row.chat_key, Outbox.kind == kind)
                )
                if latest is not None and latest >= stamp:  # same microsecond, or a clock set back
                    start = latest + timedelta(microseconds=1)
            topic = {"thread_id": row.thread_id} if row.thread_id else {}
            for number, message in enumerate(texts):
                session.add(Outbox(
                    user_key=row.chat_key, kind=kind, payload={"text": message, **topic},
                    due_at=start + timedelta(microseconds=number), attempts=0,
                ))
            session.flush()
            return to_record(RoundRecord, row)

        return self._run(work)

    def add_round_answer(
        self, round_id: int, question_index: int, user_key: str, display_name: str, answer: str,
        score: float, covered: Sequence[int] = (), *, now: datetime | None = None,
    ) -> RoundAnswerRecord | None:
        """Record a participant's answer; None if they already answered this question.

        Raises:
            KeyError: no round has this id.
        """
        stamp = utc_now(now)

        def work(session: Session) -> RoundAnswerRecord | None:
            if session.get(Round, round_id) is None:
                raise KeyError(f"no round {round_id}")
            row = RoundAnswer(
                round_id=round_id, question_index=question_index, user_key=user_key,
                display_name=display_name, answer=answer, score=float(score), covered=list(covered),
                created_at=stamp,
            )
            duplicate = select(RoundAnswer.id).where(
                RoundAnswer.round_id == round_id, RoundAnswer.question_index == question_index,
                RoundAnswer.user_key == user_key,
            )
            return to_record(RoundAnswerRecord, row) if _inserted(session, row, duplicate) else None

        return self._run(work)

    def round_answers(self, round_id: int, question_index: int | None = None) -> list[RoundAnswerRecord]:
        """A round's answers (to one question, if given), in the order they came."""

        def work(session: Session) -> list[RoundAnswerRecord]:
            query = select(RoundAnswer).where(RoundAnswer.round_id == round_id)
            if question_index is not None:
                query = query.where(RoundAnswer.question_index == question_index)
            rows = session.scalars(query.order_by(RoundAnswer.created_at, RoundAnswer.id))
            return [to_record(RoundAnswerRecord, row) for row in rows]

        return self._run(work, write=False)

    # ------------------------------------------------------------------ outbox

    def enqueue(
        self, user_key: str, kind: str, payload: dict[str, Any], due_at: datetime
    ) -> OutboxRecord | None:
        """Queue a push for `due_at`; None if the same (user, kind, due_at) push is already queued."""
        due = utc_now(due_at, "due_at")
        row_values = dict(user_key=user_key, kind=kind, payload=dict(payload), due_at=due)

        def work(session: Session) -> OutboxRecord | None:
            row = Outbox(attempts=0, **row_values)
            duplicate = select(Outbox.id).where(
                Outbox.user_key == user_key, Outbox.kind == kind, Outbox.due_at == due
            )
            return to_record(OutboxRecord, row) if _inserted(session, row, duplicate) else None

        return self._run(work)

    def pending(
        self, now: datetime, *, max_attempts: int | None = None, user_key: str | None = None, kind: str | None = None
    ) -> list[OutboxRecord]:
        """Unsent pushes due at `now` or earlier (tried fewer than `max_attempts` times; of one
        user or chat and one kind, if given), earliest first."""
        stamp = utc_now(now)

        def work(session: Session) -> list[OutboxRecord]:
            query = select(Outbox).where(Outbox.sent_at.is_(None), Outbox.due_at <= stamp)
            if user_key is not None:
                query = query.where(Outbox.user_key == user_key)
            if kind is not None:
                query = query.where(Outbox.kind == kind)
            if max_attempts is not None:
                query = query.where(Outbox.attempts < max_attempts)
            rows = session.scalars(query.order_by(Outbox.due_at, Outbox.id))
            return [to_record(OutboxRecord, row) for row in rows]

        return self._run(work, write=False)

    def claim_pushes(self, outbox_ids: Sequence[int], owner: str, now: datetime, lease: timedelta) -> set[int]:
        """Claim unsent pushes for `owner` until `now + lease`; returns the ids it got.

        One transaction, one conditional UPDATE: a row claimed by another sender is left to it
        unless that claim has run out or its process is gone (`claim_owner_gone`), so two
        processes sharing the database never both get a row. A sender may claim its own rows
        again (a push that stayed pending after a failure, or was not reached in a pass).
        """
        stamp = utc_now(now)
        ids = list(outbox_ids)
        if not ids:
            return set()

        def work(connection: Connection) -> set[int]:
            unsent = (Outbox.id.in_(ids), Outbox.sent_at.is_(None))
            held = select(Outbox.claimed_by).where(
                *unsent, Outbox.claimed_by.is_not(None), Outbox.claimed_by != owner, Outbox.claimed_until > stamp
            ).distinct()
            gone = [other for other in connection.execute(held).scalars() if claim_owner_gone(other)]
            free = or_(Outbox.claimed_by.is_(None), Outbox.claimed_by == owner, Outbox.claimed_until <= stamp,
                       Outbox.claimed_by.in_(gone))
            claim = (update(Outbox).where(*unsent, free).values(claimed_by=owner, claimed_until=stamp + lease)
                     .returning(Outbox.id))
            return set(connection.execute(claim).scalars())

        return self._run_core(work)

    def mark_sent(self, outbox_id: int, now: datetime) -> None:
        """Note that a push was delivered at `now`.

        Raises:
            KeyError: no queued push has this id.
        """
        self._update_outbox(outbox_id, sent_at=utc_now(now), attempts=Outbox.attempts + 1)

    def mark_sent_many(self, outbox_ids: Sequence[int], now: datetime, *, note: str | None = None) -> None:
        """Close several pushes at once (one transaction): delivered at `now`, or, with a `note`,
        given up for the reason it says (e.g. a daily push whose day has passed)."""
        stamp = utc_now(now)
        if not outbox_ids:
            return
        values = {"ids": list(outbox_ids), "sent": stamp, "note": note}
        self._run_core(lambda connection: connection.execute(_CLOSE_PUSHES, values))

    def mark_failed(self, outbox_id: int, error: str) -> None:
        """Note a failed delivery: count the try, keep the error for the next one, end any claim.

        Raises:
            KeyError: no queued push has this id.
        """
        self._update_outbox(outbox_id, last_error=error, attempts=Outbox.attempts + 1, claimed_by=None, claimed_until=None)

    def _update_outbox(self, outbox_id: int, **values: Any) -> None:
        def work(session: Session) -> None:
            result = session.execute(update(Outbox).where(Outbox.id == outbox_id).values(**values))
            if result.rowcount == 0:
                raise KeyError(f"no queued push {outbox_id}")

        self._run(work)

    # ------------------------------------------------------------------ moving a chat

    def move_chat(self, old_key: str, new_key: str) -> ChatMove:
        """Give everything keyed by chat `old_key` to `new_key`, in one transaction: its rounds, its
        unsent outbox rows and its profile (language, subscription, chat state and what hangs on
        it). A group upgraded to a supergroup gets a new chat id and keeps its history this way.

        A profile `new_key` already has is replaced: it can only have been made after the upgrade
        (the new id did not exist before), so it holds at most a few moments' defaults. Moving a
        chat that has nothing (again) changes nothing.
        """

        def work(session: Session) -> ChatMove:
            running = select(Round.id).where(Round.chat_key == old_key, Round.state == RoundState.RUNNING.value)
            moved_ids = list(session.scalars(running))
            session.execute(update(Round).where(Round.chat_key == old_key).values(chat_key=new_key))
            pushes = session.execute(
                update(Outbox).where(Outbox.user_key == old_key, Outbox.sent_at.is_(None)).values(user_key=new_key)
            ).rowcount
            settings = self._move_profile(session, old_key, new_key)
            DecksStore._move_group_deck(session, old_key, new_key)
            rows = session.scalars(select(Round).where(Round.id.in_(moved_ids)).order_by(Round.id)) if moved_ids else []
            return ChatMove(tuple(to_record(RoundRecord, row) for row in rows), pushes, settings)

        return self._run(work)

    @staticmethod
    def _move_profile(session: Session, old_key: str, new_key: str) -> bool:
        """Re-key the user row of `old_key` (its chat state, attempts and reviews follow its id)."""
        old_id = session.scalar(select(User.id).where(User.key == old_key))
        if old_id is None:
            return False
        session.execute(delete(User).where(User.key == new_key))  # its rows go with it (ON DELETE CASCADE)
        session.execute(update(User).where(User.id == old_id).values(key=new_key))
        return True

    # ------------------------------------------------------------------ forgetting

    @staticmethod
    def _forget_in_groups(session: Session, user_key: str) -> int:
        """Delete a user's round answers, own-chat rounds and pushes; blank them as a round starter."""
        own_rounds = select(Round.id).where(Round.chat_key == user_key).scalar_subquery()
        theirs = (RoundAnswer.user_key == user_key) | RoundAnswer.round_id.in_(own_rounds)
        removed = session.execute(delete(RoundAnswer).where(theirs)).rowcount
        removed += session.execute(delete(Round).where(Round.chat_key == user_key)).rowcount
        session.execute(update(Round).where(Round.starter_key == user_key).values(starter_key=""))
        removed += session.execute(delete(Outbox).where(Outbox.user_key == user_key)).rowcount
        return removed

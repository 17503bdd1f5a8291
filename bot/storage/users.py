"""The half of `Store` about each user: the profile (language, time zone, daily push) and chat state."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.storage.base import StoreBase, column_values, utc_now
from bot.storage.models import ChatState, User
from bot.storage.records import ChatStateRecord, UserRecord, to_record
from grading.i18n import LANGUAGES

__all__ = ["UsersStore"]

USER_FIELDS = frozenset({"language", "timezone", "daily_time", "topics", "shared_bank"})
CHAT_STATE_FIELDS = frozenset({
    "state", "question_id", "followup_point", "hints_used", "asked_at", "last_attempt_id", "last_question_id",
    "asked_count", "open_asked_count",
})
DAILY_TIME = re.compile(r"(?:[01]\d|2[0-3]):[0-5]\d")


def _check_user_values(values: dict[str, Any]) -> None:
    if "language" in values and values["language"] not in LANGUAGES:
        raise ValueError(f"language must be one of {sorted(LANGUAGES)}, got {values['language']!r}")
    daily = values.get("daily_time")
    if daily is not None and not (isinstance(daily, str) and DAILY_TIME.fullmatch(daily)):
        raise ValueError(f"daily_time must be 'HH:MM' or None, got {daily!r}")


class UsersStore(StoreBase):
    """Users and their chat state, looked up by key ("term:alice", "tg:12345")."""

    # ------------------------------------------------------------------ users

    @staticmethod
    def _user_row(session: Session, key: str, now: datetime | None = None) -> User:
        row = session.scalar(select(User).where(User.key == key))
        if row is None:
            row = User(key=key, created_at=utc_now(now))  # the other columns take their defaults
            session.add(row)
            session.flush()
        return row

    @staticmethod
    def _user_id(session: Session, key: str) -> int | None:
        return session.scalar(select(User.id).where(User.key == key))

    def user(self, key: str, *, now: datetime | None = None) -> UserRecord:
        """The user with this key, created with the defaults if new."""

        def find(session: Session) -> UserRecord | None:
            row = session.scalar(select(User).where(User.key == key))
            return None if row is None else to_record(UserRecord, row)

        found = self._run(find, write=False)  # the common case takes no write lock
        return found or self._run(lambda s: to_record(UserRecord, self._user_row(s, key, now)))

    def update_user(self, key: str, **fields: Any) -> UserRecord:
        """Change some of `language`, `timezone`, `daily_time`, `topics`, `shared_bank` (creating the
        user if new).

        Raises:
            ValueError: an unknown field, or a bad language or "HH:MM" time.
        """
        values = column_values(fields, USER_FIELDS, what="user")
        _check_user_values(values)

        def work(session: Session) -> UserRecord:
            row = self._user_row(session, key)
            for name, value in values.items():
                setattr(row, name, value)
            session.flush()
            return to_record(UserRecord, row)

        return self._run(work)

    def subscribers(self) -> list[UserRecord]:
        """Users who asked for a daily question (`daily_time` set), oldest first."""

        def work(session: Session) -> list[UserRecord]:
            rows = session.scalars(select(User).where(User.daily_time.is_not(None)).order_by(User.id))
            return [to_record(UserRecord, row) for row in rows]

        return self._run(work, write=False)

    def user_keys(self, prefix: str = "") -> list[str]:
        """The keys of every user whose key starts with `prefix` ("tg:": Telegram chats), oldest first."""

        def work(session: Session) -> list[str]:
            query = select(User.key).order_by(User.id)
            if prefix:
                query = query.where(User.key.startswith(prefix, autoescape=True))
            return list(session.scalars(query))

        return self._run(work, write=False)

    # ------------------------------------------------------------------ chat state

    def _state_row(self, session: Session, user_key: str, now: datetime | None) -> ChatState:
        user = self._user_row(session, user_key, now)
        row = session.get(ChatState, user.id)
        if row is None:
            row = ChatState(user_id=user.id, updated_at=utc_now(now))  # idle
            session.add(row)
            session.flush()
        return row

    def chat_state(self, user_key: str, *, now: datetime | None = None) -> ChatStateRecord:
        """Where this user's conversation stands; idle (and the user created) if new."""

        def find(session: Session) -> ChatStateRecord | None:
            row = session.scalar(select(ChatState).join(User).where(User.key == user_key))
            return None if row is None else to_record(ChatStateRecord, row)

        found = self._run(find, write=False)  # the common case takes no write lock
        return found or self._run(lambda s: to_record(ChatStateRecord, self._state_row(s, user_key, now)))

    def save_chat_state(
        self, user_key: str, *, now: datetime | None = None, **fields: Any
    ) -> ChatStateRecord:
        """Set some chat-state fields (`state`, `question_id`, `followup_point`, `hints_used`,
        `asked_at`, `last_attempt_id`, `last_question_id`); the others keep their values.

        Raises:
            ValueError: an unknown field, or a naive datetime.
        """
        values = column_values(fields, CHAT_STATE_FIELDS, what="chat state")
        stamp = utc_now(now)

        def work(session: Session) -> ChatStateRecord:
            row = self._state_row(session, user_key, stamp)
            for name, value in values.items():
                setattr(row, name, value)
            row.updated_at = stamp
            session.flush()
            return to_record(ChatStateRecord, row)

        return self._run(work)

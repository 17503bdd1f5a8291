"""Frozen records the Store returns: plain values, never ORM objects.

JSON lists come back as tuples so a record is immutable all the way down; JSON objects (an fsrs
card, an outbox payload) come back as fresh dicts. Every datetime is UTC-aware.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from enum import IntEnum
from typing import Any, TypeVar

__all__ = [
    "RoundState",
    "UserRecord",
    "ChatStateRecord",
    "AttemptRecord",
    "ReviewRecord",
    "RoundRecord",
    "ChatMove",
    "RoundAnswerRecord",
    "OutboxRecord",
    "PracticeSnapshot",
    "DeckRecord",
    "DeckUploadRecord",
    "UploadState",
    "JobRecord",
    "to_record",
]

R = TypeVar("R")


class RoundState(IntEnum):
    """Where a group mock-interview round is; stored as `.value`."""

    RUNNING = 0
    FINISHED = 1
    STOPPED = 2


@dataclass(frozen=True, slots=True)
class UserRecord:
    """One person, in one front-end: `key` is "term:alice" or "tg:12345"."""

    id: int
    key: str
    language: str
    timezone: str
    daily_time: str | None
    topics: tuple[str, ...]
    created_at: datetime
    shared_bank: bool = True  # /question and /daily draw from the shared bank


@dataclass(frozen=True, slots=True)
class ChatStateRecord:
    """Where a user's practice conversation stands (state: 0 idle, 1 asked, 2 feedback)."""

    user_id: int
    state: int
    question_id: str | None
    followup_point: int | None
    hints_used: int
    asked_at: datetime | None
    last_attempt_id: int | None
    last_question_id: str | None
    asked_count: int  # questions asked in this chat so far, open ones included
    open_asked_count: int | None  # asked_count when the last open question was asked
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class AttemptRecord:
    """One graded answer; covered/missed/contradicted are 0-based key point indexes.

    `looked_up`: the reference was shown instead of an answer (score 0, rated Again); not an
    answer, so counts and averages leave it out (`answered`).
    """

    id: int
    user_id: int
    question_id: str
    answer: str
    score: float
    verdict: int
    covered: tuple[int, ...]
    missed: tuple[int, ...]
    contradicted: tuple[int, ...]
    hints_used: int
    is_followup: bool
    rating: int | None
    created_at: datetime
    looked_up: bool = False

    @property
    def answered(self) -> bool:
        """An answer to a question, as the counts take it: neither a follow-up nor a looked-up reference."""
        return not self.is_followup and not self.looked_up


@dataclass(frozen=True, slots=True)
class ReviewRecord:
    """A user's spaced-repetition card for one question (`card` is `fsrs.Card.to_dict()`)."""

    user_id: int
    question_id: str
    card: dict[str, Any]
    due: datetime
    last_rating: int | None
    reps: int
    updated_at: datetime
    previous_card: dict[str, Any] | None = None  # the card before the latest review
    previous_due: datetime | None = None
    previous_rating: int | None = None


@dataclass(frozen=True, slots=True)
class RoundRecord:
    """A group mock interview in one chat (state: a `RoundState` value)."""

    id: int
    chat_key: str
    starter_key: str
    question_ids: tuple[str, ...]
    current_index: int
    seconds: int
    state: int
    message_id: int | None
    started_at: datetime
    deadline_at: datetime | None
    thread_id: int = 0  # the forum topic it runs in (0: none)


@dataclass(frozen=True, slots=True)
class ChatMove:
    """What moving a chat to a new key (a group upgraded to a supergroup) took along."""

    rounds: tuple[RoundRecord, ...]  # the running rounds, as they are now (under the new key)
    pushes: int  # unsent outbox rows
    settings: bool  # whether the chat had a profile (language, subscription, chat state)

    @property
    def anything(self) -> bool:
        return bool(self.rounds or self.pushes or self.settings)


@dataclass(frozen=True, slots=True)
class RoundAnswerRecord:
    """One participant's answer to one question of a round."""

    id: int
    round_id: int
    question_index: int
    user_key: str
    display_name: str
    answer: str
    score: float
    covered: tuple[int, ...]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class OutboxRecord:
    """A scheduled push; `sent_at` is None until it has been delivered."""

    id: int
    user_key: str
    kind: str
    payload: dict[str, Any]
    due_at: datetime
    sent_at: datetime | None
    attempts: int
    last_error: str | None
    claimed_by: str | None = None  # the sender that claimed it (see `Store.claim_pushes`), if any
    claimed_until: datetime | None = None


@dataclass(frozen=True, slots=True)
class PracticeSnapshot:
    """Everything choosing a user's next question needs, read at once (see `practice_snapshots`)."""

    user: UserRecord
    state: ChatStateRecord | None  # None: the user never had a question
    attempts: tuple[AttemptRecord, ...]  # oldest first
    reviews: tuple[ReviewRecord, ...]  # earliest due first
    decks: tuple[DeckRecord, ...] = ()  # the user's own decks, oldest first


class UploadState(IntEnum):
    """Where a previewed notes file is; stored as `.value`."""

    WAITING = 0
    IMPORTED = 1
    CANCELLED = 2


@dataclass(frozen=True, slots=True)
class DeckRecord:
    """A user's deck, without its content (see `Store.deck_content`)."""

    id: int
    user_id: int
    name: str
    file_name: str
    questions: int
    practised: bool
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class DeckUploadRecord:
    """A previewed notes file waiting for its Import button (see `Store.add_upload`)."""

    id: int
    user_id: int
    name: str
    file_name: str
    text: str
    state: int
    deck_id: int | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class JobRecord:
    """A job of the shared `jobs` table (see `CoordinationStore.schedule_job`).

    `version` grows with every (re)schedule of the name; `claimed_by` is the process running it
    (see `claim_owner`) until `claimed_until`, or None while it waits.
    """

    name: str
    kind: str
    payload: dict[str, Any]
    due_at: datetime
    version: int
    claimed_by: str | None
    claimed_until: datetime | None


def _plain(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(value)
    if isinstance(value, dict):
        return dict(value)
    return value


def to_record(cls: type[R], row: object) -> R:
    """Copy the attributes `cls` declares from an ORM row into a new `cls`."""
    values = {field.name: _plain(getattr(row, field.name)) for field in fields(cls)}  # type: ignore[arg-type]
    return cls(**values)

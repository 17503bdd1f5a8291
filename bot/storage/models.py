"""SQLAlchemy models: the tables mockbot keeps, and `UTCDateTime`, the only datetime column type.

Every datetime is UTC-aware on the way in and on the way out. SQLite has no time-zone type, so
`UTCDateTime` stores UTC wall-clock time there and re-attaches UTC when reading. PostgreSQL stores
`timestamp with time zone` (an instant) and returns it in the session's time zone, which
`UTCDateTime` converts back to UTC. Enum-like columns hold the IntEnum `.value`; JSON columns hold
plain lists and dicts (`json` on PostgreSQL).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "UTCDateTime",
    "Base",
    "User",
    "ChatState",
    "Attempt",
    "Review",
    "Round",
    "RoundAnswer",
    "Outbox",
    "Deck",
    "DeckUpload",
    "GroupDeck",
    "Job",
    "SeenUpdate",
    "SendPacing",
    "NAMING_CONVENTION",
    "DEFAULT_LANGUAGE",
    "DEFAULT_TIMEZONE",
]

DEFAULT_LANGUAGE = "zh"
DEFAULT_TIMEZONE = "Asia/Shanghai"

# Explicit constraint names, so batch migrations on SQLite can find (and drop) them later.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime, always read back in UTC.

    Raises:
        ValueError: on write, if the datetime is naive.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"datetime must be timezone-aware (got naive {value.isoformat()})")
        value = value.astimezone(timezone.utc)
        # SQLite stores text without an offset: store UTC wall-clock time so ordering is correct.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)  # PostgreSQL: from the session's time zone


class Base(DeclarativeBase):
    """The declarative base; its metadata names every constraint."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _user_fk() -> ForeignKey:
    return ForeignKey("users.id", ondelete="CASCADE")


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)  # "term:alice", "tg:12345"
    language: Mapped[str] = mapped_column(String(8), default=DEFAULT_LANGUAGE)
    timezone: Mapped[str] = mapped_column(String(64), default=DEFAULT_TIMEZONE)
    daily_time: Mapped[str | None] = mapped_column(String(5))  # "HH:MM" local time, or no push
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Whether /question and /daily draw from the shared bank (the user's own decks say so themselves).
    shared_bank: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class ChatState(Base):
    __tablename__ = "chat_states"

    user_id: Mapped[int] = mapped_column(_user_fk(), primary_key=True)
    state: Mapped[int] = mapped_column(Integer, default=0)  # 0 idle, 1 asked, 2 feedback
    question_id: Mapped[str | None] = mapped_column(String(128))
    followup_point: Mapped[int | None] = mapped_column(Integer)  # 0-based key point index
    hints_used: Mapped[int] = mapped_column(Integer, default=0)
    asked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_attempt_id: Mapped[int | None] = mapped_column(Integer)
    last_question_id: Mapped[str | None] = mapped_column(String(128))
    # Questions asked in this chat, open ones included; its value when the last open one was asked.
    asked_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    open_asked_count: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Attempt(Base):
    __tablename__ = "attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(_user_fk(), index=True)
    question_id: Mapped[str] = mapped_column(String(128), index=True)
    answer: Mapped[str] = mapped_column(Text)
    score: Mapped[float] = mapped_column(Float)
    verdict: Mapped[int] = mapped_column(Integer)
    covered: Mapped[list[int]] = mapped_column(JSON, default=list)
    missed: Mapped[list[int]] = mapped_column(JSON, default=list)
    contradicted: Mapped[list[int]] = mapped_column(JSON, default=list)
    hints_used: Mapped[int] = mapped_column(Integer, default=0)
    is_followup: Mapped[bool] = mapped_column(Boolean, default=False)
    rating: Mapped[int | None] = mapped_column(Integer)  # the FSRS rating applied, if any
    # The reference was shown instead of an answer: not an answer, left out of counts and averages.
    looked_up: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class Review(Base):
    __tablename__ = "reviews"

    user_id: Mapped[int] = mapped_column(_user_fk(), primary_key=True)
    question_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    card: Mapped[dict[str, Any]] = mapped_column(JSON)  # fsrs.Card.to_dict()
    due: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    last_rating: Mapped[int | None] = mapped_column(Integer)
    reps: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The card before the latest review, so that answer can be re-rated (Hard/Easy) later.
    previous_card: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    previous_due: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    previous_rating: Mapped[int | None] = mapped_column(Integer, nullable=True)


class Round(Base):
    __tablename__ = "rounds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_key: Mapped[str] = mapped_column(String(64), index=True)
    starter_key: Mapped[str] = mapped_column(String(64))
    question_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    current_index: Mapped[int] = mapped_column(Integer, default=0)
    seconds: Mapped[int] = mapped_column(Integer)
    state: Mapped[int] = mapped_column(Integer, default=0)  # 0 running, 1 finished, 2 stopped
    message_id: Mapped[int | None] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The forum topic (message_thread_id) the round runs in; 0: none (a plain group, a forum's General).
    thread_id: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class RoundAnswer(Base):
    __tablename__ = "round_answers"
    __table_args__ = (UniqueConstraint("round_id", "question_index", "user_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    question_index: Mapped[int] = mapped_column(Integer)
    user_key: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(128))
    answer: Mapped[str] = mapped_column(Text)
    score: Mapped[float] = mapped_column(Float)
    covered: Mapped[list[int]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Outbox(Base):
    __tablename__ = "outbox"
    __table_args__ = (UniqueConstraint("user_key", "kind", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_key: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    # Who is sending the row right now, and until when that claim holds (see `RoundsOutboxStore.claim_pushes`).
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Deck(Base):
    """A user's own questions: a notes file imported in a chat, kept as the bank file's YAML text."""

    __tablename__ = "decks"
    __table_args__ = (UniqueConstraint("user_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(_user_fk(), index=True)
    name: Mapped[str] = mapped_column(String(64))
    file_name: Mapped[str] = mapped_column(String(255))
    content: Mapped[str] = mapped_column(Text, deferred=True)  # the bank file (YAML), as `render_bank_file` writes it
    questions: Mapped[int] = mapped_column(Integer, default=0)
    practised: Mapped[bool] = mapped_column(Boolean, default=True)  # /question and /daily draw from it
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DeckUpload(Base):
    """A notes file sent to the bot and previewed, waiting for its Import (or Cancel) button."""

    __tablename__ = "deck_uploads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(_user_fk(), index=True)
    name: Mapped[str] = mapped_column(String(64))  # the deck it would make (or replace)
    file_name: Mapped[str] = mapped_column(String(255))
    text: Mapped[str] = mapped_column(Text)  # the file's text, decoded
    state: Mapped[int] = mapped_column(Integer, default=0)  # 0 waiting, 1 imported, 2 cancelled
    deck_id: Mapped[int | None] = mapped_column(Integer)  # the deck it was imported into
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class GroupDeck(Base):
    """The deck a group's admin attached for the group's /mock rounds."""

    __tablename__ = "group_decks"

    chat_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    deck_id: Mapped[int] = mapped_column(ForeignKey("decks.id", ondelete="CASCADE"), index=True)
    attached_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Job(Base):
    """Deferred work shared by every bot process: due at `due_at`, run by whoever claims it first."""

    __tablename__ = "jobs"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)  # e.g. "deadline:tg:-100123"
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)  # bumped by every (re)schedule
    # The process running it now, and until when that claim holds (see `CoordinationStore.claim_due_jobs`).
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SeenUpdate(Base):
    """A Telegram update some bot process has handled, so no other handles it again."""

    __tablename__ = "seen_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class SendPacing(Base):
    """The next free send slot of one pacing key ("all", or a group's chat key), shared by every process."""

    __tablename__ = "send_pacing"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Seconds since the epoch: the database server's clock on PostgreSQL, the process's on SQLite.
    next_at: Mapped[float] = mapped_column(Float)

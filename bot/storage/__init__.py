"""mockbot's storage: a SQLite (or any SQLAlchemy) database behind one `Store`, migrated by Alembic.

Callers get frozen records, never ORM objects, and every datetime is UTC-aware.
"""

from bot.storage.errors import StorageError
from bot.storage.records import (
    AttemptRecord,
    ChatMove,
    ChatStateRecord,
    DeckRecord,
    DeckUploadRecord,
    JobRecord,
    OutboxRecord,
    PracticeSnapshot,
    ReviewRecord,
    RoundAnswerRecord,
    RoundRecord,
    RoundState,
    UploadState,
    UserRecord,
)
from bot.storage.coordination import ChatLock
from bot.storage.decks import ImportOutcome, ImportStatus
from bot.storage.store import Store

__all__ = [
    "Store",
    "StorageError",
    "RoundState",
    "UserRecord",
    "ChatStateRecord",
    "AttemptRecord",
    "ReviewRecord",
    "RoundRecord",
    "RoundAnswerRecord",
    "ChatMove",
    "OutboxRecord",
    "PracticeSnapshot",
    "DeckRecord",
    "DeckUploadRecord",
    "UploadState",
    "ImportOutcome",
    "ImportStatus",
    "JobRecord",
    "ChatLock",
]

"""The transactional core of `Store`: engines, short retried transactions, error translation."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timezone
from enum import Enum
from typing import Any, Self, TypeVar

from alembic.util import CommandError
from sqlalchemy import URL, Connection
from sqlalchemy.exc import DBAPIError, OperationalError, StatementError
from sqlalchemy.orm import Session

from bot.storage import migrate
from bot.storage.engine import (
    RACE_REASONS,
    database_label,
    first_line,
    is_serializable,
    open_engine,
    retry_reason,
)
from bot.storage.errors import StorageError

__all__ = ["StoreBase", "utc_now", "column_values"]

logger = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_RETRIES = 5  # tries of a transaction that finds the database locked (see RACE_RETRIES for races)
DEFAULT_RETRY_DELAY = 0.05  # seconds before the second try; doubles after each
# A PostgreSQL transaction that lost a race (serialization failure, deadlock) in a worker thread is
# tried at least this often: hundreds of chats writing at once make SERIALIZABLE transactions abort
# each other often (small tables are read whole, so their predicate locks cover every row), and each
# retry is cheap. On an event loop's thread the pauses would stall every request in flight (a stall
# past the Bot API read timeout makes a sent message look failed): there `retries` tries.
RACE_RETRIES = 12
MAX_RETRY_PAUSE = 0.5  # seconds: the longest pause between two tries (about 4 s for all 12)
DEFAULT_BUSY_TIMEOUT_MS = 1000  # SQLite's own wait for a lock, within each try


def _on_event_loop() -> bool:
    """Whether this thread is running an asyncio event loop (where sleeping blocks everything)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def utc_now(now: datetime | None = None, name: str = "now") -> datetime:
    """`now` in UTC, or the current time; a naive datetime is refused.

    Raises:
        ValueError: `now` has no time zone.
    """
    if now is None:
        return datetime.now(timezone.utc)
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (got naive {now.isoformat()})")
    return now.astimezone(timezone.utc)


def _column_value(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    if isinstance(value, datetime):
        return utc_now(value, "datetime")
    return value


def column_values(fields: Mapping[str, Any], allowed: Iterable[str], *, what: str) -> dict[str, Any]:
    """`fields` ready for the columns: enums as `.value`, sequences as lists, datetimes checked.

    Raises:
        ValueError: a field is not in `allowed`, or a datetime is naive.
    """
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        raise ValueError(f"unknown {what} field(s): {', '.join(unknown)}")
    return {name: _column_value(value) for name, value in fields.items()}


class StoreBase:
    """Owns the engines and runs each unit of work in its own short, retried transaction."""

    def __init__(
        self,
        url: str | URL,
        *,
        busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
        retries: int = DEFAULT_RETRIES,
        retry_delay: float = DEFAULT_RETRY_DELAY,
    ) -> None:
        """Connect to `url` (any SQLAlchemy URL) without migrating; see `Store.open`.

        Raises:
            StorageError: the database (or its folder) cannot be created or opened.
        """
        if retries < 1:
            raise ValueError("retries must be at least 1")
        self.location = database_label(url)
        self._retries = retries
        self._retry_delay = retry_delay
        self._read, self._write = open_engine(url, busy_timeout_ms=busy_timeout_ms)
        try:
            self._retrying(self._probe, failure="cannot open database")
        except BaseException:
            self._read.dispose()
            raise

    def _probe(self) -> None:
        with self._read.connect() as connection:
            connection.exec_driver_sql("SELECT 1")

    def upgrade(self) -> None:
        """Migrate the database to the newest schema (Alembic "head"); a no-op when already there.

        Raises:
            StorageError: the database cannot be migrated (e.g. it is from a newer mockbot).
        """
        try:
            self._retrying(lambda: migrate.upgrade(self._write), failure="cannot migrate database")
        except CommandError as exc:
            raise StorageError(f"cannot migrate database {self.location}: {exc}") from None

    def close(self) -> None:
        """Release every connection; the Store must not be used afterwards."""
        self._read.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _run(self, work: Callable[[Session], T], *, write: bool = True) -> T:
        """Run `work` in one transaction (committed if it returns), retried while locked."""

        engine = self._write if write else self._read

        def attempt() -> T:
            with Session(engine, expire_on_commit=False) as session:
                with session.begin():
                    return work(session)

        return self._retrying(attempt, failure="database", serializable=is_serializable(engine))

    def _run_core(self, work: Callable[[Connection], T]) -> T:
        """Like `_run` for a write, on a plain Core connection (no ORM session): for hot paths."""

        def attempt() -> T:
            with self._write.begin() as connection:
                return work(connection)

        return self._retrying(attempt, failure="database", serializable=is_serializable(self._write))

    def _retrying(self, attempt: Callable[[], T], *, failure: str, serializable: bool = False) -> T:
        """Run `attempt`, again after a growing pause while it fails in a way a retry can fix.

        SQLite: "database is locked". PostgreSQL: serialization failures and deadlocks (at least
        `RACE_RETRIES` tries off an event loop), and unique violations in SERIALIZABLE transactions
        (see `engine.retry_reason`); there the pause is jittered, so transactions that collided do
        not collide again in step. Otherwise `retries` tries; a pause is at most `MAX_RETRY_PAUSE`.
        """
        delay = self._retry_delay
        number = 0
        while True:
            number += 1
            try:
                return attempt()
            except DBAPIError as exc:
                reason = retry_reason(exc, serializable=serializable)
                if reason is None:
                    if isinstance(exc, OperationalError):
                        raise StorageError(f"{failure} {self.location}: {first_line(exc)}") from exc
                    raise
                if number >= (max(self._retries, RACE_RETRIES) if reason in RACE_REASONS and not _on_event_loop()
                              else self._retries):
                    if reason == "locked":
                        raise StorageError(
                            f"database is locked: {self.location} (still locked after {number} tries)"
                        ) from exc
                    if not isinstance(exc, OperationalError):
                        raise  # a unique violation that is not a race: the caller's to handle
                    raise StorageError(
                        f"database is busy: {self.location} ({reason} {number} times)"
                    ) from exc
                pause = min(delay, MAX_RETRY_PAUSE)
                if reason != "locked":
                    pause *= random.uniform(0.5, 1.5)
                logger.info("database %s is %s; try %d in %.0f ms", self.location,
                            "locked" if reason == "locked" else f"busy ({reason})", number + 1, 1000 * pause)
                time.sleep(pause)
                delay *= 2
            except StatementError as exc:  # a value refused before reaching the database
                if isinstance(exc.orig, ValueError | TypeError):
                    raise exc.orig from None
                raise

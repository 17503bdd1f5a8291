"""Coordination of several bot processes sharing one database: jobs, seen updates, send pacing, chat locks.

Deferred work is a row of `jobs` with a due time, claimed for a lease by the process that runs it;
Telegram updates are handled once through `seen_updates`; the send budget is shared through
`send_pacing`; each chat's updates are serialised by a per-chat advisory lock.

On PostgreSQL these statements run at READ COMMITTED, each its own transaction (autocommit): row
locks (`FOR UPDATE SKIP LOCKED`, `ON CONFLICT DO UPDATE`) already make each one safe against the
others, and the Store's SERIALIZABLE write transactions would make concurrent claimers fail and
retry instead of skipping each other's rows. On SQLite (one process, or a few on one host) they run
in the usual `BEGIN IMMEDIATE` transactions, with the same API and results.
"""

from __future__ import annotations

import threading
import time
import zlib
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import (
    URL,
    ColumnElement,
    Connection,
    Engine,
    Float,
    Table,
    bindparam,
    cast,
    create_engine,
    delete,
    extract,
    func,
    inspect,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Row
from sqlalchemy.exc import DBAPIError, TimeoutError as PoolTimeoutError

from bot.storage import migrate
from bot.storage.base import StoreBase, utc_now
from bot.storage.engine import first_line
from bot.storage.errors import StorageError
from bot.storage.models import Job, SeenUpdate, SendPacing
from bot.storage.records import JobRecord
from bot.storage.rounds import claim_owner, claim_owner_gone

__all__ = ["CoordinationStore", "ChatLock", "chat_lock_key", "CHAT_LOCK_NAMESPACE"]

T = TypeVar("T")

# First key of every chat lock (pg_try_advisory_lock(int4, int4)): "mock" in ASCII. The migration
# lock uses the one-key (bigint) form, a separate key space.
CHAT_LOCK_NAMESPACE = 0x6D6F636B
LOCK_POOL_SIZE = 32  # connections kept for chat locks; as many more may be opened under load
LOCK_POOL_TIMEOUT = 10.0  # seconds to wait for a lock connection when all of them hold locks

_JOBS: Table = Job.__table__  # type: ignore[assignment]
_UNLOCK = text("SELECT pg_advisory_unlock(CAST(:space AS integer), CAST(:key AS integer))")
_TRY_LOCK = text("SELECT pg_try_advisory_lock(CAST(:space AS integer), CAST(:key AS integer))")


def chat_lock_key(key: str) -> int:
    """The int32 advisory-lock key of a chat key: its CRC-32, signed (stable across processes).

    Two chat keys may share a lock key; they are then serialised together, which is harmless.

        >>> chat_lock_key("tg:1") == chat_lock_key("tg:1")
        True
    """
    value = zlib.crc32(key.encode("utf-8"))
    return value - (1 << 32) if value >= 1 << 31 else value


def _job(row: Row[Any]) -> JobRecord:
    values = dict(row._mapping)
    values["payload"] = dict(values["payload"] or {})
    return JobRecord(**values)


class ChatLock:
    """A chat's lock, held by this process until `release()` (PostgreSQL: a session advisory lock).

    The lock lives on a connection of its own; if the process dies, PostgreSQL ends the session and
    frees the lock. On SQLite there is nothing to hold (one process) and `release` does nothing.
    """

    def __init__(self, key: str, connection: Connection | None = None,
                 forget: Callable[[ChatLock], None] | None = None) -> None:
        self.key = key
        self._connection = connection
        self._forget = forget
        self._guard = threading.Lock()
        self._held = True

    @property
    def held(self) -> bool:
        """Whether the lock is still held: not released, its connection not dropped."""
        return self._held

    def release(self) -> None:
        """Unlock and return the connection to the lock pool; idempotent."""
        connection = self._take()
        if connection is None:
            return
        try:
            params = {"space": CHAT_LOCK_NAMESPACE, "key": chat_lock_key(self.key)}
            connection.execute(_UNLOCK, params)
        except DBAPIError:  # the session is gone (server restart, killed): so is its lock
            connection.invalidate()
        finally:
            connection.close()

    def _drop(self) -> None:
        """Close the connection without unlocking: the server frees the lock with the session."""
        connection = self._take()
        if connection is not None:
            connection.invalidate()
            connection.close()

    def _take(self) -> Connection | None:
        with self._guard:
            connection, self._connection, self._held = self._connection, None, False
        if connection is not None and self._forget is not None:
            self._forget(self)
        return connection

    def __repr__(self) -> str:
        return f"ChatLock({self.key!r}, held={self.held})"


class CoordinationStore(StoreBase):
    """Jobs, seen updates, send pacing and chat locks; `Store` mixes this in."""

    def __init__(self, url: str | URL, **options: Any) -> None:
        self._lock_engine: Engine | None = None
        self._lock_guard = threading.Lock()
        self._held_locks: set[ChatLock] = set()
        super().__init__(url, **options)
        self._postgresql = self._write.dialect.name == "postgresql"
        # PostgreSQL: every statement its own READ COMMITTED transaction (see the module docstring).
        # Derived from the read engine: one derived from `_write` would still get its SERIALIZABLE.
        self._direct = self._read.execution_options(isolation_level="AUTOCOMMIT") if self._postgresql else None

    def close(self) -> None:
        """Also drop the chat locks still held (their sessions end, freeing them) and the lock pool."""
        with self._lock_guard:
            held, engine, self._lock_engine = list(self._held_locks), self._lock_engine, None
        for lock in held:
            lock._drop()
        if engine is not None:
            engine.dispose()
        super().close()

    # ------------------------------------------------------------------ jobs

    def schedule_job(
        self, name: str, kind: str, due_at: datetime, payload: Mapping[str, Any] | None = None
    ) -> JobRecord:
        """Insert or replace the job `name` (kind, due time, payload), bumping its version.

        A claim on it stays: the run in progress finishes, and `finish_job` with the old version
        then leaves the new schedule in place and frees it. One upsert, so concurrent calls for
        one name from several processes never fail.

        Raises:
            ValueError: `due_at` is naive.
        """
        values = {"name": name, "kind": kind, "due_at": utc_now(due_at, "due_at"),
                  "payload": dict(payload or {}), "version": 1}

        def work(connection: Connection) -> JobRecord:
            statement = self._insert(_JOBS).values(**values)
            statement = statement.on_conflict_do_update(
                index_elements=[Job.name],
                set_={"kind": statement.excluded.kind, "due_at": statement.excluded.due_at,
                      "payload": statement.excluded.payload, "version": Job.version + 1},
            ).returning(*_JOBS.c)
            return _job(connection.execute(statement).one())

        return self._coordinated(work)

    def add_jobs(self, jobs: Sequence[tuple[str, str, datetime, Mapping[str, Any]]]) -> int:
        """Insert jobs given as (name, kind, due_at, payload), leaving any job of the same name as
        it is (one statement: workers starting together may add the same ones); how many were new.

        Raises:
            ValueError: a `due_at` is naive.
        """
        rows = [{"name": name, "kind": kind, "due_at": utc_now(due_at, "due_at"), "payload": dict(payload),
                 "version": 1} for name, kind, due_at, payload in jobs]
        if not rows:
            return 0

        def work(connection: Connection) -> int:
            statement = self._insert(_JOBS).values(rows).on_conflict_do_nothing(index_elements=[Job.name])
            return len(connection.execute(statement.returning(Job.name)).all())

        return self._coordinated(work)

    def cancel_job(self, name: str) -> bool:
        """Delete the job (even if claimed); whether it existed."""
        return self._coordinated(lambda connection: connection.execute(delete(Job).where(Job.name == name)).rowcount > 0)

    def job(self, name: str) -> JobRecord | None:
        """The job `name`, if scheduled."""

        def work(connection: Connection) -> JobRecord | None:
            row = connection.execute(select(*_JOBS.c).where(Job.name == name)).one_or_none()
            return None if row is None else _job(row)

        return self._coordinated(work, write=False)

    def jobs(self, prefix: str = "") -> list[JobRecord]:
        """Jobs whose name starts with `prefix`, earliest due first."""
        query = select(*_JOBS.c).order_by(Job.due_at, Job.name)
        if prefix:
            query = query.where(Job.name.startswith(prefix, autoescape=True))
        return self._coordinated(lambda connection: [_job(row) for row in connection.execute(query)], write=False)

    def claim_due_jobs(
        self, owner: str, now: datetime, lease: timedelta, *, limit: int = 100, names: Sequence[str] | None = None
    ) -> list[JobRecord]:
        """Claim up to `limit` jobs due at `now` (due_at <= now) for `owner` until `now + lease`.

        Earliest due first, among the free ones: unclaimed, whose claim ran out (claimed_until <=
        now), or whose claimer is gone (`claim_owner_gone`). A job `owner` holds is not claimed
        again: it is being run (a poll must not start a second run of a job still running). On
        PostgreSQL one `UPDATE … WHERE name IN (SELECT … FOR UPDATE SKIP LOCKED)`: two processes
        claiming at once never get the same job and never wait for each other. `names` restricts
        the claim to those jobs. Returns the claimed jobs (with the new claim), earliest due first.

        Raises:
            ValueError: `now` is naive, `limit` < 1, or `lease` is not positive.
        """
        stamp = utc_now(now)
        if limit < 1:
            raise ValueError("limit must be at least 1")
        if lease <= timedelta(0):
            raise ValueError("lease must be positive")
        due = [Job.due_at <= stamp]
        if names is not None:
            wanted = list(dict.fromkeys(names))
            if not wanted:
                return []
            due.append(Job.name.in_(wanted))
        host = claim_owner().partition(":")[0] + ":"  # only this host's claimers can be judged gone
        held = select(Job.claimed_by).distinct().where(
            *due, Job.claimed_by != owner, Job.claimed_until > stamp, Job.claimed_by.startswith(host, autoescape=True)
        )

        def work(connection: Connection) -> list[JobRecord]:
            gone = [other for other in connection.execute(held).scalars() if claim_owner_gone(other)]
            free: ColumnElement[bool] = or_(Job.claimed_by.is_(None), Job.claimed_until <= stamp)
            if gone:
                free = or_(free, Job.claimed_by.in_(gone))
            picked = (select(Job.name).where(*due, free).order_by(Job.due_at, Job.name).limit(limit)
                      .with_for_update(skip_locked=True))  # (SQLite ignores it: BEGIN IMMEDIATE serialises)
            claim = (update(Job).where(Job.name.in_(picked)).values(claimed_by=owner, claimed_until=stamp + lease)
                     .returning(*_JOBS.c))
            return sorted((_job(row) for row in connection.execute(claim)), key=lambda job: (job.due_at, job.name))

        return self._coordinated(work)

    def finish_job(self, job: JobRecord, owner: str) -> bool:
        """The run of `job` (as claimed) is done: delete it if it is still at `job.version` and
        `owner` holds it; if it was rescheduled meanwhile, only clear the claim so the new schedule
        runs. Returns whether the row was deleted. A job someone else holds now is left alone."""
        mine = (Job.name == job.name, Job.claimed_by == owner)

        def work(connection: Connection) -> bool:
            if connection.execute(delete(Job).where(*mine, Job.version == job.version)).rowcount > 0:
                return True
            connection.execute(update(Job).where(*mine).values(claimed_by=None, claimed_until=None))
            return False

        return self._coordinated(work)

    def release_jobs(self, owner: str) -> int:
        """Clear every claim of `owner` (on a clean shutdown, its unfinished jobs go to others at
        once); returns how many."""
        statement = update(Job).where(Job.claimed_by == owner).values(claimed_by=None, claimed_until=None)
        return self._coordinated(lambda connection: connection.execute(statement).rowcount)

    # ------------------------------------------------------------------ seen updates

    def update_seen(self, update_id: int) -> bool:
        """Whether this Telegram update id was handled already."""
        query = select(SeenUpdate.update_id).where(SeenUpdate.update_id == update_id)
        return self._coordinated(lambda connection: connection.execute(query).first() is not None, write=False)

    def mark_update_seen(self, update_id: int, now: datetime) -> bool:
        """Record this update id as handled at `now` (a duplicate is ignored); True if it was new."""
        values = {"update_id": int(update_id), "seen_at": utc_now(now)}

        def work(connection: Connection) -> bool:
            statement = self._insert(SeenUpdate.__table__).values(**values)  # type: ignore[arg-type]
            statement = statement.on_conflict_do_nothing(index_elements=[SeenUpdate.update_id])
            return connection.execute(statement.returning(SeenUpdate.update_id)).first() is not None

        return self._coordinated(work)

    def forget_seen_updates(self, before: datetime) -> int:
        """Delete the records of updates seen before `before`; returns how many."""
        statement = delete(SeenUpdate).where(SeenUpdate.seen_at < utc_now(before, "before"))
        return self._coordinated(lambda connection: connection.execute(statement).rowcount)

    # ------------------------------------------------------------------ send pacing

    def take_send_slot(self, key: str, interval: float) -> float:
        """Take the next send slot of pacing key `key` (e.g. "all", or a group's chat key).

        Slots are `interval` seconds apart and shared by every process using this database; one
        upsert: next_at = max(next_at, now) + interval, with `now` the database server's clock on
        PostgreSQL (the same for workers on any host) and `time.time()` on SQLite. Returns the
        seconds (>= 0) to wait before sending.

        Raises:
            ValueError: `interval` is negative.
        """
        if interval < 0:
            raise ValueError("interval must not be negative")
        step = bindparam("interval", float(interval), type_=Float())

        def work(connection: Connection) -> float:
            now = self._clock()
            statement = self._insert(SendPacing.__table__).values(key=key, next_at=now + step)  # type: ignore[arg-type]
            statement = statement.on_conflict_do_update(
                index_elements=[SendPacing.key],
                set_={"next_at": self._greatest(SendPacing.next_at + step, statement.excluded.next_at)},
            ).returning(SendPacing.next_at - step - now)  # on PostgreSQL `now` is read again here: after the row lock
            return max(0.0, float(connection.execute(statement).scalar_one()))

        return self._coordinated(work)

    def refund_send_slot(self, key: str, interval: float) -> None:
        """Give back a slot taken for a request that sent nothing (Telegram answered 429): the key's
        next slot moves one `interval` back, never before the database's now."""
        step = bindparam("interval", float(interval), type_=Float())

        def work(connection: Connection) -> None:
            next_at = self._greatest(SendPacing.next_at - step, self._clock())
            connection.execute(update(SendPacing).where(SendPacing.key == key).values(next_at=next_at))

        self._coordinated(work)

    # ------------------------------------------------------------------ chat locks

    def try_lock_chat(self, key: str) -> ChatLock | None:
        """Lock chat `key` for this process, or None at once if another session holds it.

        PostgreSQL: `pg_try_advisory_lock(CHAT_LOCK_NAMESPACE, chat_lock_key(key))` on a connection
        of its own, from a small pool kept apart from the Store's (so held locks never starve
        it). Each call is its own session: a second lock of one key fails even in this process.
        SQLite: always a `ChatLock` whose release does nothing (one process).

        Raises:
            StorageError: the database cannot be reached, or every lock connection stayed busy
                for `LOCK_POOL_TIMEOUT` seconds.
        """
        if not self._postgresql:
            return ChatLock(key)
        try:
            connection = self._locks().connect()
        except PoolTimeoutError:
            raise StorageError(f"too many chat locks held on {self.location}") from None
        except DBAPIError as exc:
            raise StorageError(f"cannot lock chat on {self.location}: {first_line(exc)}") from exc
        try:
            params = {"space": CHAT_LOCK_NAMESPACE, "key": chat_lock_key(key)}
            locked = bool(connection.execute(_TRY_LOCK, params).scalar_one())
        except BaseException as exc:
            connection.invalidate()
            connection.close()
            if isinstance(exc, DBAPIError):
                raise StorageError(f"cannot lock chat on {self.location}: {first_line(exc)}") from exc
            raise
        if not locked:
            connection.close()
            return None
        lock = ChatLock(key, connection, self._forget_lock)
        with self._lock_guard:
            self._held_locks.add(lock)
        return lock

    def _locks(self) -> Engine:
        """The lock pool (created at first use): autocommit connections, so none idles in a transaction."""
        with self._lock_guard:
            if self._lock_engine is None:
                self._lock_engine = create_engine(
                    self._write.url, pool_size=LOCK_POOL_SIZE, max_overflow=LOCK_POOL_SIZE,
                    pool_timeout=LOCK_POOL_TIMEOUT, pool_pre_ping=True, isolation_level="AUTOCOMMIT",
                )
            return self._lock_engine

    def _forget_lock(self, lock: ChatLock) -> None:
        with self._lock_guard:
            self._held_locks.discard(lock)

    # ------------------------------------------------------------------ health

    def ping(self) -> None:
        """Run `SELECT 1`.

        Raises:
            StorageError: the database cannot be reached.
        """
        self._retrying(self._probe, failure="cannot reach database")

    def schema_current(self) -> bool:
        """Whether the database is at the newest migration this package ships."""

        def read() -> bool:  # the version table read directly: alembic's context would log a line per look
            with self._read.connect() as connection:
                if not inspect(connection).has_table("alembic_version"):
                    return False
                versions = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalars().all()
                return versions == [migrate.head_revision()]

        return self._retrying(read, failure="cannot read database")

    # ------------------------------------------------------------------ helpers

    def _coordinated(self, work: Callable[[Connection], T], *, write: bool = True) -> T:
        """Run `work`: on PostgreSQL each statement its own transaction; on SQLite one transaction."""
        engine = self._direct if self._direct is not None else self._write if write else self._read

        def attempt() -> T:
            with engine.begin() as connection:
                return work(connection)

        return self._retrying(attempt, failure="database")

    def _insert(self, table: Table) -> Any:
        """An INSERT with ON CONFLICT (PostgreSQL's or SQLite's dialect)."""
        dialect = self._write.dialect.name
        if dialect == "postgresql":
            return postgresql.insert(table)
        if dialect == "sqlite":
            return sqlite.insert(table)
        raise StorageError(f"{self.location}: coordination needs SQLite or PostgreSQL, not {dialect}")

    def _clock(self) -> ColumnElement[float]:
        """Now in seconds since the epoch: the server's clock on PostgreSQL, this process's on SQLite."""
        if self._postgresql:
            return cast(extract("epoch", func.clock_timestamp()), Float())
        return bindparam("clock", time.time(), type_=Float())

    def _greatest(self, first: ColumnElement[float], second: ColumnElement[float]) -> ColumnElement[float]:
        return func.greatest(first, second) if self._postgresql else func.max(first, second)


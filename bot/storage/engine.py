"""Building the SQLAlchemy engine: SQLite set-up, read and write transactions, error wording.

For SQLite files the parent folder is created, each connection gets WAL journaling, a busy timeout,
enforced foreign keys and `check_same_thread=False`, and SQLAlchemy (not the sqlite3 driver) emits
BEGIN: `BEGIN IMMEDIATE` on the write engine, so a write transaction takes the lock up front instead
of failing half-way, and plain `BEGIN` on the read engine.

On PostgreSQL (`postgresql+psycopg://user:password@host/db`; a bare `postgresql://` means psycopg
too) write transactions are SERIALIZABLE, the server's counterpart of SQLite's one writer at a
time: a conflict with a concurrent writer fails the transaction (see `retry_reason`) and the caller
runs it again. Read transactions are REPEATABLE READ: like a SQLite read transaction in WAL mode,
every query of one sees the same snapshot, and they never wait for or fail because of writers.
Pooled connections are checked before use.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import URL, Connection, Engine, create_engine, event, make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.pool import StaticPool

from bot.storage.errors import StorageError

__all__ = ["open_engine", "database_label", "is_locked", "retry_reason", "is_serializable", "first_line",
           "WRITE_OPTION", "RACE_REASONS"]

WRITE_OPTION = "mockbot_write"  # execution option: this engine's transactions will write

# PostgreSQL SQLSTATEs that mean "run the transaction again": it lost a race, nothing is wrong.
_POSTGRES_RETRY = {"40001": "serialization failure", "40P01": "deadlock"}
RACE_REASONS = frozenset(_POSTGRES_RETRY.values())  # what `retry_reason` says of a lost race
_UNIQUE_VIOLATION = "23505"


def _sqlite_file(url: URL) -> Path | None:
    """The database file of a SQLite URL, or None (another backend, or in memory)."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    if url.query.get("uri") in ("true", "1") or url.database.startswith("file:"):
        return None  # SQLite URI filenames: the caller manages the location
    return Path(url.database)


def database_label(url: str | URL) -> str:
    """How errors name a database: the file path for SQLite, else the URL without its password."""
    url = make_url(url)
    path = _sqlite_file(url)
    if path is not None:
        return str(path)
    if url.get_backend_name() == "sqlite":
        return url.database or ":memory:"
    return url.render_as_string(hide_password=True)


def first_line(exc: BaseException) -> str:
    """The driver's own message for a database error, on one line."""
    cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    text = str(cause).strip() or type(cause).__name__
    return text.splitlines()[0]


def is_locked(exc: BaseException) -> bool:
    """Whether a database error is SQLite's "database is locked" (another writer holds it)."""
    text = first_line(exc).lower()
    return "database is locked" in text or "database table is locked" in text


def _sqlstate(exc: BaseException) -> str | None:
    cause = exc.orig if isinstance(exc, DBAPIError) else exc
    return getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)


def retry_reason(exc: DBAPIError, *, serializable: bool = False) -> str | None:
    """Why a failed transaction may succeed when run again, or None if it would fail the same way.

    "locked" for SQLite's "database is locked"; on PostgreSQL "serialization failure" (40001) or
    "deadlock" (40P01), and, in a SERIALIZABLE transaction, "unique violation" (23505): a row a
    concurrent transaction inserted is not in this transaction's snapshot, so a check-then-insert
    can collide with it (PostgreSQL's manual advises retrying these too). A unique violation that
    persists comes back on every try, and is then raised as it is.
    """
    if isinstance(exc, OperationalError) and is_locked(exc):
        return "locked"
    state = _sqlstate(exc)
    if state in _POSTGRES_RETRY:
        return _POSTGRES_RETRY[state]
    if serializable and state == _UNIQUE_VIOLATION:
        return "unique violation"
    return None


def _configure_sqlite(engine: Engine, *, wal: bool, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself (see below)
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            if wal:
                cursor.execute("PRAGMA journal_mode = WAL")
                # In WAL mode NORMAL still survives a crash of the process (commits are in the OS);
                # only a power cut can lose the last commits. It saves an fsync on every commit.
                cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        write = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def open_engine(url: str | URL, *, busy_timeout_ms: int) -> tuple[Engine, Engine]:
    """Create the (read, write) engines for `url`; both share one connection pool.

    Nothing is connected yet: the caller checks that the database opens.

    Raises:
        StorageError: the folder for a SQLite file cannot be created, or the URL's driver is missing.
    """
    url = make_url(url)
    label = database_label(url)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")  # the driver mockbot installs
    path = _sqlite_file(url)
    kwargs: dict[str, Any] = {}
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            blocker = next((p for p in reversed(path.parents) if p.exists() and not p.is_dir()), None)
            reason = f"{blocker} is not a folder" if blocker else exc.strerror or type(exc).__name__
            raise StorageError(f"cannot create the folder for database {label}: {reason}") from None
    write_options: dict[str, Any] = {WRITE_OPTION: True}
    if url.get_backend_name() == "sqlite":
        kwargs["connect_args"] = {"check_same_thread": False}
        if path is None:
            kwargs["poolclass"] = StaticPool  # one shared in-memory database for every thread
    else:
        kwargs["pool_pre_ping"] = True  # a server may drop idle connections (restart, time-out)
    if url.get_backend_name() == "postgresql":
        kwargs["isolation_level"] = "REPEATABLE READ"
        write_options["isolation_level"] = "SERIALIZABLE"
    try:
        read = create_engine(url, **kwargs)
    except ImportError as exc:
        missing = exc.name or str(exc)
        raise StorageError(f"cannot open database {label}: driver {missing} is not installed") from None
    if url.get_backend_name() == "sqlite":
        _configure_sqlite(read, wal=path is not None, busy_timeout_ms=busy_timeout_ms)
    return read, read.execution_options(**write_options)


def is_serializable(engine: Engine) -> bool:
    """Whether `engine`'s transactions run at SERIALIZABLE isolation (PostgreSQL writes)."""
    return engine.get_execution_options().get("isolation_level") == "SERIALIZABLE"

"""Alembic, configured in code: the migrations ship inside the package, no alembic.ini needed.

    >>> from bot.storage.migrate import alembic_config
    >>> alembic_config().get_main_option("script_location").endswith("migrations")
    True
"""

from __future__ import annotations

import io
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

from bot.storage.errors import StorageError

__all__ = ["MIGRATIONS_DIR", "alembic_config", "head_revision", "current_revision", "upgrade"]

MIGRATIONS_DIR = Path(__file__).resolve().with_name("migrations")

# PostgreSQL advisory lock held while migrating ("mockbot" in ASCII), so that processes starting
# together migrate one after the other; the later ones then find the database at head.
MIGRATION_LOCK = 0x6D6F636B626F74


def _escape(value: str) -> str:
    return value.replace("%", "%%")  # Config values go through configparser interpolation


def alembic_config(url: str | None = None) -> Config:
    """An Alembic `Config` for mockbot's migrations, writing nothing to stdout.

    Args:
        url: only for offline (`sql=True`) runs; online runs pass a connection in `attributes`.
    """
    config = Config(stdout=io.StringIO())
    config.set_main_option("script_location", _escape(str(MIGRATIONS_DIR)))
    config.set_main_option("path_separator", "os")
    if url is not None:
        config.set_main_option("sqlalchemy.url", _escape(url))
    return config


def head_revision() -> str | None:
    """The newest revision the package ships."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(connection: Connection) -> str | None:
    """The revision a database is at, or None if it was never migrated."""
    return MigrationContext.configure(connection).get_current_revision()


def _set_foreign_keys(connection: Connection, on: bool) -> None:
    # Outside any transaction (it is a no-op inside one), straight on the sqlite3 connection.
    driver = connection.connection.driver_connection
    driver.execute(f"PRAGMA foreign_keys = {'ON' if on else 'OFF'}")


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database to `revision` in one transaction; a database already there is untouched.

    On SQLite, foreign keys are switched off while batch migrations copy tables (dropping a parent
    table would otherwise cascade-delete its children) and checked before committing; the write
    engine's `BEGIN IMMEDIATE` makes concurrent upgrades take turns. On PostgreSQL the migration
    runs at READ COMMITTED under an advisory lock, so a concurrent upgrade waits, then sees the
    other's work (DDL is transactional there too).

    Raises:
        StorageError: the migrated data breaks a foreign key (nothing is committed).
    """
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        postgresql = connection.dialect.name == "postgresql"
        if sqlite:
            _set_foreign_keys(connection, on=False)
        if postgresql:
            connection.execution_options(isolation_level="READ COMMITTED")
        try:
            with connection.begin():
                if postgresql:
                    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
                config = alembic_config()
                config.attributes["connection"] = connection
                command.upgrade(config, revision)
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise StorageError(f"migration breaks foreign keys: {broken[:3]}")
        finally:
            if sqlite:
                _set_foreign_keys(connection, on=True)

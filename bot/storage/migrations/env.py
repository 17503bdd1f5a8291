"""Alembic environment for mockbot's storage; driven by `bot.storage.migrate`, not by an ini file.

The caller passes an open SQLAlchemy connection in `config.attributes["connection"]`; the
migration then runs inside the caller's transaction. Offline (`--sql`) mode needs `sqlalchemy.url`.
Logging is never configured here, so an upgrade prints nothing.
"""

from __future__ import annotations

from alembic import context

from bot.storage.models import Base

target_metadata = Base.metadata


def run_migrations_offline() -> None:
    """Emit the migration as SQL text, for review."""
    context.configure(
        url=context.config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run the migration on the connection the caller opened."""
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("bot.storage migrations need config.attributes['connection']")
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()

"""The one exception the storage layer raises for problems with the database itself."""

from __future__ import annotations

__all__ = ["StorageError"]


class StorageError(Exception):
    """The database cannot be created, opened or written (one line, naming the database path)."""

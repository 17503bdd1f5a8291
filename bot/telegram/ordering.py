"""Updates of different chats are handled at once; the updates of one chat one after the other.

PTB handles updates one at a time unless told otherwise, so one slow handler (a group's message
waiting for that group's slot of 20 a minute) would hold up every other chat. `ChatOrder` lets
PTB run updates concurrently and keeps each chat's updates in the order Telegram sent them: the
engine's state of a private chat (a question asked, then answered) and a group's round (started,
answered, stopped) are read and changed by one update at a time. Updates without a chat run at once.

Each update takes one of `MAX_UPDATES` places before it queues for its chat (PTB's processor
takes the place first), so a single chat would have to have that many updates waiting to hold
up the others.

`SharedChatOrder` does the same for workers sharing one database (`coordination`): a chat's
update waits for the chat's lock across processes, and an update already handled by any worker
is dropped (Telegram delivers an update again when a worker died before confirming it). The
update is recorded as handled after its handlers ran, so one that a dying worker was handling is
handled again by the worker that gets it next. An update whose handler failed because the database
was busy or away (`Coordination.unconfirmed`) is not recorded, and `UpdateFailed` tells the webhook
server to answer 500: Telegram delivers it again.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import Awaitable
from datetime import datetime, timezone
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from .coordination import Coordination
from .send import chat_key

__all__ = ["ChatOrder", "SharedChatOrder", "UpdateFailed", "MAX_UPDATES", "SHARED_MAX_UPDATES"]

MAX_UPDATES = 512  # updates handled (or waiting for their chat) at once
# Each chat being handled holds a database connection for its lock (`Store.try_lock_chat`'s pool):
# fewer at once than that pool has. Grading keeps a core busy well before this many.
SHARED_MAX_UPDATES = 32


class ChatOrder(BaseUpdateProcessor):
    """PTB's update processor: concurrent across chats, in order within a chat (see the module)."""

    def __init__(self, max_concurrent_updates: int = MAX_UPDATES) -> None:
        super().__init__(max_concurrent_updates)
        # A chat's lock lives while an update of that chat holds or awaits it (weakly kept).
        self._locks: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()

    def _lock(self, chat_id: int) -> asyncio.Lock:
        lock = self._locks.get(chat_id)
        if lock is None:
            lock = self._locks[chat_id] = asyncio.Lock()
        return lock

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Run the update's handlers once the chat's earlier updates are done (asyncio's locks
        are first come, first served, and PTB starts the updates in the order they came)."""
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            await coroutine
            return
        lock = self._lock(chat.id)
        async with lock:
            await coroutine

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""


class UpdateFailed(RuntimeError):
    """An update's handler failed for a reason that passes: it is to be delivered again."""


class SharedChatOrder(ChatOrder):
    """`ChatOrder` across the workers sharing `coordination`'s database (see the module)."""

    def __init__(self, coordination: Coordination | None, max_concurrent_updates: int = SHARED_MAX_UPDATES) -> None:
        super().__init__(max_concurrent_updates)
        self.coordination = coordination  # (set once the application it coordinates is built)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Run the update's handlers under its chat's lock in every process, unless a worker did."""
        shared = self.coordination
        assert shared is not None, "SharedChatOrder used before its coordination was set"
        store = shared.store
        update_id = update.update_id if isinstance(update, Update) else None
        chat = update.effective_chat if isinstance(update, Update) else None
        held = shared.chat_lock(chat_key(chat.id)) if chat is not None else contextlib.nullcontext()
        async with held:
            if update_id is not None and await asyncio.to_thread(store.update_seen, update_id):
                coroutine.close()  # type: ignore[attr-defined]
                return
            await coroutine
            if update_id is None:
                return
            if update_id in shared.unconfirmed:  # Telegram delivers it again (see the module)
                shared.unconfirmed.discard(update_id)
                raise UpdateFailed(f"update {update_id} failed for a reason that passes; not confirmed")
            await asyncio.to_thread(store.mark_update_seen, update_id, datetime.now(timezone.utc))

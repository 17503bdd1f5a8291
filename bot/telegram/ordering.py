"""Updates of different chats are handled at once; the updates of one chat one after the other.

PTB handles updates one at a time unless told otherwise, so one slow handler (a group's message
waiting for that group's slot of 20 a minute) would hold up every other chat. `ChatOrder` lets
PTB run updates concurrently and keeps each chat's updates in the order Telegram sent them: the
engine's state of a private chat (a question asked, then answered) and a group's round (started,
answered, stopped) are read and changed by one update at a time. Updates without a chat run at once.

Each update takes one of `MAX_UPDATES` places before it queues for its chat (PTB's processor
takes the place first), so a single chat would have to have that many updates waiting to hold
up the others.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

__all__ = ["ChatOrder", "MAX_UPDATES"]

MAX_UPDATES = 512  # updates handled (or waiting for their chat) at once


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

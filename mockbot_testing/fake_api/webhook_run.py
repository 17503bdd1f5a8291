"""The bookkeeping of one webhook delivery run of the fake Bot API server, without I/O (see
`webhook`): which updates wait, chat by chat, and which chats have one ready to send."""

from __future__ import annotations

import asyncio
import collections
import itertools
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

import httpx

from .records import QueuedUpdate

__all__ = ["WebhookRun", "chat_key", "SECRET_HEADER"]

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def chat_key(payload: dict[str, Any]) -> tuple[str, int] | None:
    """What an update keeps its order within: ("chat", id) of its chat (a message's, or that of a
    pressed button's message), else ("user", id) of its user; None for an update with neither."""
    for kind, value in payload.items():
        if kind == "update_id" or not isinstance(value, dict):
            continue
        chat = value.get("chat") or (value.get("message") or {}).get("chat")
        if isinstance(chat, dict) and isinstance(chat.get("id"), int):
            return "chat", chat["id"]
        user = value.get("from") or value.get("user")
        if isinstance(user, dict) and isinstance(user.get("id"), int):
            return "user", user["id"]
    return None


@dataclass(eq=False)
class WebhookRun:
    """One webhook delivery run: its settings and which updates are not confirmed yet.

    A chat's updates wait in its own queue; only the head of a queue is ever sent, and a chat is
    in `ready` exactly while its head is neither in flight nor waiting to be sent again. Not
    thread-safe: the server calls it under its lock.
    """

    targets: tuple[str, ...]
    secret_token: str | None
    connections: int
    retry_delay: float
    timeout: float
    in_flight: int = 0
    pending: int = 0  # updates not confirmed yet, in flight included
    closed: bool = False
    client: httpx.AsyncClient | None = field(default=None, repr=False)
    wake: Callable[[], None] = field(default=lambda: None, repr=False)
    tasks: set[asyncio.Task[None]] = field(default_factory=set, repr=False)
    _chats: dict[Hashable, collections.deque[QueuedUpdate]] = field(default_factory=dict)
    _ready: collections.deque[Hashable] = field(default_factory=collections.deque)
    _delayed: set[Hashable] = field(default_factory=set)  # chats whose head waits to go again
    _retry_target: dict[Hashable, int] = field(default_factory=dict)
    _next_target: int = 0
    _unordered: itertools.count[int] = field(default_factory=itertools.count)

    def enqueue(self, update: QueuedUpdate) -> None:
        """Queue an update behind the earlier ones of its chat."""
        key: Hashable = chat_key(update.payload) or ("update", next(self._unordered))
        queue = self._chats.get(key)
        if queue is None:
            queue = self._chats[key] = collections.deque()
            self._ready.append(key)
        queue.append(update)
        self.pending += 1

    def take(self, wanted: Callable[[QueuedUpdate], bool]
             ) -> tuple[list[tuple[Hashable, QueuedUpdate, int]], int]:
        """The updates to send now as (chat, update, target index), as many as free connections
        allow, and how many were dropped because `wanted` refused them (Telegram never sends
        update types left out of `allowed_updates`)."""
        sends: list[tuple[Hashable, QueuedUpdate, int]] = []
        dropped = 0
        while self._ready and self.in_flight < self.connections:
            key = self._ready.popleft()
            queue = self._chats.get(key)
            if not queue:
                continue
            update = queue[0]
            if not wanted(update):
                self._pop_head(key)
                dropped += 1
                continue
            index = self._retry_target.pop(key, None)
            if index is None:
                index = self._next_target
                self._next_target = (index + 1) % len(self.targets)
            self.in_flight += 1
            sends.append((key, update, index))
        return sends, dropped

    def confirm(self, key: Hashable, update: QueuedUpdate) -> None:
        """A target answered 2xx: the chat's next update may go."""
        self.in_flight -= 1
        if self._is_head(key, update):
            self._pop_head(key)

    def fail(self, key: Hashable, update: QueuedUpdate, index: int) -> bool:
        """A send failed; True if the update is to be sent again (it was not dropped meanwhile),
        then to the target after `index`, once `retry` is called."""
        self.in_flight -= 1
        if not self._is_head(key, update):
            return False
        self._delayed.add(key)
        self._retry_target[key] = (index + 1) % len(self.targets)
        return True

    def retry(self, key: Hashable) -> None:
        """The retry delay of the chat's head is over: it is ready again."""
        if key in self._delayed:
            self._delayed.discard(key)
            if self._chats.get(key):
                self._ready.append(key)

    def drop_pending(self) -> None:
        """Forget every update not confirmed yet (setWebhook/deleteWebhook drop_pending_updates);
        the answers of those in flight are then ignored."""
        self._chats.clear()
        self._ready.clear()
        self._delayed.clear()
        self._retry_target.clear()
        self.pending = 0

    def unconfirmed(self) -> list[QueuedUpdate]:
        """The updates not confirmed yet, by update_id."""
        updates = [update for queue in self._chats.values() for update in queue]
        return sorted(updates, key=lambda u: u.update_id)

    def _is_head(self, key: Hashable, update: QueuedUpdate) -> bool:
        queue = self._chats.get(key)
        return bool(queue) and queue[0] is update  # type: ignore[index]

    def _pop_head(self, key: Hashable) -> None:
        queue = self._chats[key]
        queue.popleft()
        self.pending -= 1
        if queue:
            self._ready.append(key)
        else:
            del self._chats[key]

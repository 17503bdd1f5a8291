"""The update queue of the fake Bot API server and getUpdates: updates are queued for the bot
(`push_update`), and getUpdates long-polls for them as Telegram's does: `offset` confirms and
drops, `limit` and `allowed_updates` choose, and a newer getUpdates ends an older waiting one with
409 Conflict, as does getUpdates while a webhook is set or webhook delivery is on (then the queue
is the webhook's, see `webhook`)."""

from __future__ import annotations

import asyncio
import contextlib
import copy
from typing import Any

from .chats import ChatModel
from .records import QueuedUpdate
from .wire import error_body, ok_body

__all__ = ["UpdateQueue"]

# Telegram does not send these update types unless they are asked for in `allowed_updates`.
_NOT_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_WEBHOOK_ACTIVE = ("Conflict: can't use getUpdates method while webhook is active; use "
                   "deleteWebhook to delete the webhook first")


class UpdateQueue(ChatModel):
    """Queued updates and getUpdates (see the module's docstring)."""

    def push_update(self, raw: dict[str, Any], *, update_id: int | None = None) -> int:
        """Queue a raw update (without or with "update_id") for getUpdates; its id is returned.

        An id given here or in `raw` is kept as it is, even one already delivered or confirmed:
        such an update is delivered once more (Telegram re-sending an update), sorted by id into
        the batch it goes out with."""
        payload = copy.deepcopy(raw)
        if update_id is None:
            update_id = payload.get("update_id")
        with self._lock:
            forced = update_id is not None
            if update_id is None:
                update_id = self._next_update_id
            self._next_update_id = max(self._next_update_id, update_id + 1)
            payload["update_id"] = update_id
            self._remember(payload)
            queued = QueuedUpdate(update_id, payload, forced)
            webhook = self._webhook
            if webhook is not None:
                webhook.enqueue(queued)
            else:
                self._updates.append(queued)
                if forced:
                    self._forced_in_queue += 1
        if webhook is not None:
            webhook.wake()
        else:
            self._wake_pollers()
        return update_id

    @property
    def pending_updates(self) -> int:
        """Updates not yet confirmed: by a getUpdates offset, or by a webhook target's 2xx."""
        with self._lock:
            webhook = self._webhook
            return len(self._updates) + (webhook.pending if webhook is not None else 0)

    def _drop_pending_updates(self) -> None:
        """Forget every update not confirmed yet (drop_pending_updates)."""
        with self._changed:
            self._updates.clear()
            self._forced_in_queue = 0
            if self._webhook is not None:
                self._webhook.drop_pending()
            self._changed.notify_all()

    def _wanted(self, update: QueuedUpdate) -> bool:
        """Whether the bot gets this update's type (`allowed_updates`, else Telegram's default)."""
        allowed = self._allowed_updates
        return (update.kind in allowed) if allowed is not None else (
            update.kind not in _NOT_BY_DEFAULT)

    def _wake_pollers(self) -> None:
        loop = self._loop
        if loop is not None and self._thread is not None:
            with contextlib.suppress(RuntimeError):  # loop closed: nobody is waiting
                loop.call_soon_threadsafe(self._resolve_waiters)

    def _resolve_waiters(self) -> None:
        """Wake every waiting getUpdates (runs in the server's loop)."""
        waiters, self._poll_waiters = self._poll_waiters, set()
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def _get_updates(self, params: dict[str, Any]) -> tuple[int, bytes]:
        loop = self._loop
        assert loop is not None
        if self._webhook_url or self._webhook is not None:
            return 409, error_body(409, _WEBHOOK_ACTIVE)
        try:
            offset = int(params.get("offset") or 0)
            limit = min(max(int(params.get("limit") or 100), 1), 100)
            timeout = max(float(params.get("timeout") or 0), 0.0)
        except (TypeError, ValueError):
            return 400, error_body(400, "Bad Request: wrong parameter value")
        allowed = params.get("allowed_updates")
        with self._lock:
            if "offset" in params:  # a polling loop's call (a look without an offset confirms nothing)
                self.poll_count += 1
            if isinstance(allowed, list):
                self._allowed_updates = frozenset(allowed) if allowed else None
        # A newer getUpdates ends the waiting older ones, as Telegram does.
        self._poll_generation += 1
        generation = self._poll_generation
        self._resolve_waiters()
        deadline = loop.time() + timeout
        while True:
            # Registered before looking, so an update pushed after the look wakes this one.
            waiter: asyncio.Future[None] = loop.create_future()
            self._poll_waiters.add(waiter)
            try:
                with self._lock:
                    batch = self._collect(offset, limit)
                if batch:
                    return 200, ok_body(batch)
                if self._webhook is not None:  # delivery started while this one waited
                    return 409, error_body(409, _WEBHOOK_ACTIVE)
                if generation != self._poll_generation:
                    return 409, error_body(
                        409, "Conflict: terminated by other getUpdates request; make sure that "
                             "only one bot instance is running")
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return 200, ok_body([])
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(waiter, remaining)
            finally:
                self._poll_waiters.discard(waiter)

    def _collect(self, offset: int, limit: int) -> list[dict[str, Any]]:
        queue = self._updates
        if offset > 0:
            if self._forced_in_queue:
                kept = [u for u in queue
                        if u.update_id >= offset or (u.forced and not u.delivered)]
                queue.clear()
                queue.extend(kept)
                self._forced_in_queue = sum(1 for u in kept if u.forced)
            else:
                while queue and queue[0].update_id < offset:
                    queue.popleft()
        elif offset < 0:
            while len(queue) > -offset:
                if queue.popleft().forced:
                    self._forced_in_queue -= 1
        batch: list[QueuedUpdate] = []
        for update in queue:
            if self._wanted(update):
                batch.append(update)
                if len(batch) >= limit:
                    break
        for update in batch:
            update.delivered = True
        batch.sort(key=lambda u: u.update_id)
        return [copy.deepcopy(u.payload) for u in batch] if batch else []

"""A rate limiter for the Bot: 30 messages/s overall, 20/min per group, 429s retried per request.

Only what puts a message in a group (send…, forward…, copy…, edit…) takes one of the group's
slots: a look-up such as getChatMember (is this member an admin?) must not wait seconds behind the
group's messages.

PTB's `AIORateLimiter` pauses *every* request for `retry_after` seconds whenever any request is
answered 429. For a push run to 10,000 users a few scattered 429s would then cost minutes, so here a
429 only holds back the request that got it: it waits `retry_after`, then queues again for a slot.
A rejected call delivered nothing, so it gives its slot back: messages (not attempts) are paced at
the overall rate. Only a burst of 429s (`STORM`, i.e. Telegram really is throttling the bot) pauses
everything, as `AIORateLimiter` does.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time
import warnings
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from telegram.constants import FloodLimit
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter
from telegram.warnings import PTBDeprecationWarning

__all__ = ["PacedRateLimiter", "SharedRateLimiter", "STORM", "retry_seconds"]

logger = logging.getLogger(__name__)

STORM = (10, 1.0)  # this many 429s within this many seconds pause every request
_GROUP_PACED = ("send", "forward", "copy", "edit")  # endpoints that put a message in a chat (sendChatAction aside)


def retry_seconds(exc: RetryAfter) -> float:
    """`retry_after` in seconds, whichever type this PTB version gives (int now, timedelta later)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class PacedRateLimiter(BaseRateLimiter[int]):
    """Paces requests into evenly spaced slots; see the module's docstring.

    Args:
        overall_rate: requests per second to all chats (Telegram: about 30).
        group_rate: requests per minute to one group chat (Telegram: 20).
        max_retries: how often one request is retried after a 429 before `RetryAfter` is raised.
    """

    def __init__(
        self,
        overall_rate: float = FloodLimit.MESSAGES_PER_SECOND,
        group_rate: float = FloodLimit.MESSAGES_PER_MINUTE_PER_GROUP,
        max_retries: int = 5,
    ) -> None:
        self._interval = 1.0 / overall_rate
        self._group_interval = 60.0 / group_rate
        self._max_retries = max_retries
        self._next = 0.0  # monotonic time of the next free overall slot
        self._next_in_group: dict[int | str, float] = {}
        self._paused_until = 0.0
        self._recent_429: collections.deque[float] = collections.deque()

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    def _group_delay(self, group: int | str) -> float:
        """Take the group's next slot; seconds until it."""
        now = time.monotonic()
        slot = max(now, self._next_in_group.get(group, 0.0))
        self._next_in_group[group] = slot + self._group_interval
        if len(self._next_in_group) > 1024:  # forget groups whose slot has long passed
            for key in [k for k, at in self._next_in_group.items() if at < now]:
                del self._next_in_group[key]
        return slot - now

    def _overall_delay(self) -> float:
        """Take the next overall slot (not before a storm pause ends); seconds until it."""
        now = time.monotonic()
        slot = max(now, self._paused_until, self._next)
        self._next = slot + self._interval
        return slot - now

    def _refund(self) -> None:
        """A request answered 429 sent nothing: the pace moves one slot back (never into the past)."""
        self._next = max(time.monotonic(), self._next - self._interval)

    async def _take_group_slot(self, group: int | str) -> float:
        """Seconds until the group's next slot, taken."""
        return self._group_delay(group)

    async def _take_slot(self) -> float:
        """Seconds until the next overall slot, taken."""
        return self._overall_delay()

    async def _give_back_slot(self) -> None:
        self._refund()

    def _note_429(self, retry_after: float) -> None:
        now = time.monotonic()
        self._recent_429.append(now)
        while self._recent_429 and self._recent_429[0] < now - STORM[1]:
            self._recent_429.popleft()
        if len(self._recent_429) >= STORM[0]:
            logger.warning("flood control: %d 429s within %.0f s; pausing all sends for %.0f s",
                           len(self._recent_429), STORM[1], retry_after)
            self._paused_until = max(self._paused_until, now + retry_after)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Any]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Any:
        """Wait for a slot, make the request; on 429 wait `retry_after` and queue again."""
        retries = self._max_retries if rate_limit_args is None else rate_limit_args
        chat_id = data.get("chat_id")
        if isinstance(chat_id, str) and chat_id.lstrip("-").isdigit():
            chat_id = int(chat_id)
        group = chat_id if (isinstance(chat_id, int) and chat_id < 0) or isinstance(chat_id, str) else None
        if not endpoint.startswith(_GROUP_PACED) or endpoint == "sendChatAction":
            group = None  # not a message: the group's pace is for messages
        limited = chat_id is not None  # getMe, setMyCommands, …: not messages to a chat
        for attempt in range(retries + 1):
            if group is not None:  # first the group's slow pace, then a slot among all chats
                delay = await self._take_group_slot(group)
                if delay > 0:
                    await asyncio.sleep(delay)
            if limited:
                delay = await self._take_slot()
                if delay > 0:
                    await asyncio.sleep(delay)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                wait = retry_seconds(exc)
                if limited:
                    await self._give_back_slot()
                    self._note_429(wait)
                if attempt == retries:
                    raise
                logger.info("flood control on chat %s: retrying in %.1f s", chat_id, wait)
                await asyncio.sleep(wait + 0.05)
        raise AssertionError("unreachable")


class SharedRateLimiter(PacedRateLimiter):
    """`PacedRateLimiter` whose slots are shared by every process using `store`'s database: the
    limits are Telegram's per bot token, whatever number of workers send (`Store.take_send_slot`,
    on the database server's clock). A burst of 429s still pauses only this process."""

    OVERALL = "all"  # the pacing key of the overall budget; a group's is its chat id

    def __init__(self, store: Any, **options: Any) -> None:  # the Store (bot.storage; not imported here)
        super().__init__(**options)
        self._store = store

    async def _take_group_slot(self, group: int | str) -> float:
        return await asyncio.to_thread(self._store.take_send_slot, f"group:{group}", self._group_interval)

    async def _take_slot(self) -> float:
        delay = await asyncio.to_thread(self._store.take_send_slot, self.OVERALL, self._interval)
        return max(delay, self._paused_until - time.monotonic())

    async def _give_back_slot(self) -> None:
        await asyncio.to_thread(self._store.refund_send_slot, self.OVERALL, self._interval)

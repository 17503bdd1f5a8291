"""Failure injection of the fake Bot API server: the next calls of a method answered with an error
(`fail_next`), a seeded share of sends answered 429 (`flood_rate`), Telegram's flood limit for
groups (`group_limit`), and calls held back, as by a network that stopped carrying them, until
`release()` (`hold`). `delay` (seconds added to every answer) is applied by the HTTP layer."""

from __future__ import annotations

import asyncio
import collections
import math
import time
from typing import Any

from .state import ServerState
from .wire import ApiError, phrase

__all__ = ["FaultInjection", "FLOOD_METHODS"]

FLOOD_METHODS = frozenset({"sendMessage", "sendPhoto"})


class FaultInjection(ServerState):
    """Injected failures (see the module's docstring)."""

    def fail_next(
        self,
        method: str,
        *,
        times: int = 1,
        status: int = 429,
        retry_after: int = 1,
        description: str | None = None,
    ) -> None:
        """Answer the next `times` calls of `method` (any method, getUpdates too) with an
        error: 429 "Too Many Requests: retry after N" with parameters.retry_after (the default),
        or `status` (502, 500, 400 ...) with its standard description. Failures queue up."""
        if times < 1 or (status == 429 and retry_after < 1):
            raise ValueError("times and a 429's retry_after must be at least 1 (PTB reads a "
                             "retry_after of 0 as no retry_after at all)")
        with self._lock:
            queue = self._failures.setdefault(method.lower(), collections.deque())
            queue.extend([(status, retry_after, description)] * times)

    def hold(self, *methods: str, after: int = 0) -> None:
        """Let `after` more calls of these methods through, then make the next ones wait,
        before they take effect, until `release()`: a network that has stopped carrying them.

        A held call whose client has gone away by then (e.g. the bot was killed) never takes
        effect, like a request that never reached Telegram; its method is added to `dropped`."""
        with self._lock:
            self._hold = (frozenset(m.lower() for m in methods), after)
            if self._loop is not None:
                self._loop.call_soon_threadsafe(self._new_release_event)

    def release(self) -> None:
        """Let held calls go on (see `hold`)."""
        with self._lock:
            self._hold = None
            loop, event = self._loop, self._release
        if loop is not None and event is not None:
            loop.call_soon_threadsafe(event.set)

    def _new_release_event(self) -> None:
        if self._release is None or self._release.is_set():
            self._release = asyncio.Event()

    async def _pass_hold(self, method: str, reader: asyncio.StreamReader | None) -> bool:
        """Wait while `method` is held; False if the client went away meanwhile."""
        with self._changed:
            hold = self._hold
            if hold is None or method.lower() not in hold[0]:
                return True
            if hold[1] > 0:
                self._hold = (hold[0], hold[1] - 1)
                return True
            self._new_release_event()
            event = self._release
            self.held += 1
            self._changed.notify_all()
        assert event is not None
        try:
            await event.wait()
        finally:
            with self._changed:
                self.held -= 1
        await asyncio.sleep(0.05)  # let a closed connection's end-of-file arrive
        # A client killed with data unread in its socket resets the connection instead of closing it:
        # the reader then holds that error and never reaches its end-of-file.
        if reader is not None and (reader.at_eof() or reader.exception() is not None):
            with self._changed:
                self.dropped.append(method)
                self._changed.notify_all()
            return False
        return True

    def _group_flood(self, method: str, params: dict[str, Any]) -> ApiError | None:
        """Telegram's flood limit for groups (`group_limit` messages within 60 s), if it is set."""
        chat_id = params.get("chat_id")
        if (self.group_limit is None or method not in FLOOD_METHODS
                or not isinstance(chat_id, int) or chat_id >= 0):
            return None
        sends, now = self._group_sends[chat_id], time.monotonic()
        while sends and sends[0] <= now - 60:
            sends.popleft()
        if len(sends) < self.group_limit:
            return None
        retry = max(1, math.ceil(sends[0] + 60 - now))
        return ApiError(429, f"Too Many Requests: retry after {retry}", {"retry_after": retry})

    def _injected_failure(self, method: str) -> ApiError | None:
        queue = self._failures.get(method.lower())
        if queue:
            status, retry_after, description = queue.popleft()
            if status == 429:
                return ApiError(
                    429,
                    description or f"Too Many Requests: retry after {retry_after}",
                    {"retry_after": retry_after},
                )
            return ApiError(status, description or phrase(status))
        if (method in FLOOD_METHODS and self.flood_rate > 0
                and self._rng.random() < self.flood_rate):
            retry = self.flood_retry_after
            return ApiError(429, f"Too Many Requests: retry after {retry}", {"retry_after": retry})
        return None

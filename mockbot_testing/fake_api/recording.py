"""What the fake Bot API server records of the bot's calls, and how tests wait for them: every call
answered ok is a `SentCall` in `calls` (the ok sendMessage, sendPhoto and editMessageText calls
also in `sent`, and by chat), every call answered with an error in `rejected`."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from .chats import ChatModel
from .faults import FLOOD_METHODS
from .records import SentCall
from .wire import ApiError

__all__ = ["Recording"]

_SENT_METHODS = frozenset({"sendMessage", "sendPhoto", "editMessageText"})


class Recording(ChatModel):
    """The recorded calls (see the module's docstring)."""

    def wait_for(
        self, predicate: Callable[[SentCall], bool], timeout: float = 10.0, *, since: int = 0
    ) -> SentCall:
        """The first recorded call (in `calls`, from index `since` on) that matches `predicate`,
        waiting up to `timeout` seconds for it; AssertionError with the recent calls if none
        comes. Calls recorded before this one was called count too (pass `since=len(fake.calls)`
        to look only at later ones)."""
        deadline = time.monotonic() + timeout
        index = since
        with self._changed:
            while True:
                if index > len(self.calls):  # clear() was called meanwhile
                    index = 0
                while index < len(self.calls):
                    call = self.calls[index]
                    index += 1
                    if predicate(call):
                        return call
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"no matching Bot API call within {timeout}s\n{self.describe()}"
                    )
                self._changed.wait(remaining)

    async def wait_for_async(
        self, predicate: Callable[[SentCall], bool], timeout: float = 10.0, *, since: int = 0
    ) -> SentCall:
        """`wait_for` for coroutines: waits in a worker thread, not blocking the event loop."""
        return await asyncio.to_thread(self.wait_for, predicate, timeout, since=since)

    def describe(self, last: int = 15) -> str:
        """The most recent calls and rejected calls, one a line (for assertion messages)."""
        with self._lock:
            calls = self.calls[-last:]
            rejected = self.rejected[-5:]
        lines = [f"recent calls ({len(self.calls)} in all):"]
        lines += [f"  {call.summary()}" for call in calls] or ["  (none)"]
        if rejected:
            lines.append(f"recently rejected ({len(self.rejected)} in all):")
            lines += [f"  {call.summary()}" for call in rejected]
        return "\n".join(lines)

    def messages_to(self, chat_id: int | str) -> list[SentCall]:
        """The sendMessage, sendPhoto and editMessageText calls to `chat_id` that were answered
        ok, in order."""
        with self._lock:
            return list(self._sent_by_chat.get(chat_id, ()))

    def clear(self) -> None:
        """Forget the recorded calls (`calls`, `sent`, `rejected`); chats, messages, pending
        updates and injected failures stay."""
        with self._changed:
            self.calls.clear()
            self.sent.clear()
            self.rejected.clear()
            self._sent_by_chat.clear()
            self._changed.notify_all()

    def _record(self, method: str, params: dict[str, Any], files: dict[str, bytes],
                result: Any, error: ApiError | None) -> None:
        chat_id = params.get("chat_id")
        if method == "answerCallbackQuery":
            chat_id = self._callbacks.get(str(params.get("callback_query_id")), (None, False))[0]
        if isinstance(result, dict) and isinstance(result.get("chat"), dict):
            chat_id = result["chat"].get("id", chat_id)
        text = params.get("text") if "text" in params else params.get("caption")
        photo = files.get("photo")
        if photo is None and method == "sendPhoto":
            photo = self._photo_bytes(result)
        message_id = result.get("message_id") if isinstance(result, dict) else None
        if message_id is None and isinstance(params.get("message_id"), int):
            message_id = params["message_id"]
        call = SentCall(
            method=method,
            chat_id=chat_id,
            text=text if isinstance(text, str) else None,
            params=params,
            photo=photo,
            message_id=message_id,
            time=time.monotonic(),
            status=error.status if error else 200,
            error=error.description if error else None,
            result=result,
        )
        if error is not None:
            self.rejected.append(call)
        else:
            self.calls.append(call)
            if method in _SENT_METHODS:
                self.sent.append(call)
                if chat_id is not None:
                    self._sent_by_chat[chat_id].append(call)
            if (self.group_limit is not None and method in FLOOD_METHODS
                    and isinstance(chat_id, int) and chat_id < 0):
                self._group_sends[chat_id].append(call.time)
        self._changed.notify_all()

"""The records of the fake Bot API server: a call the bot made (`SentCall`), as tests read it, and
an update waiting in the queue for getUpdates."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["SentCall", "QueuedUpdate"]


@dataclass
class SentCall:
    """One Bot API call the bot made.

    `chat_id` is an int where the call named a chat (for answerCallbackQuery: the chat of the
    button's message); `text` is the text (sendMessage, editMessageText) or caption (sendPhoto)
    as sent, markup included; `params` are the decoded parameters (JSON values decoded, uploads
    left out: `photo` holds the uploaded or referenced photo's bytes); `message_id` is the sent or
    edited message's; `time` is `time.monotonic()` when the call took effect; `result` is what the
    server answered. A rejected call has its HTTP `status` and the `error` description.
    """

    method: str
    chat_id: int | str | None
    text: str | None
    params: dict[str, Any]
    photo: bytes | None = None
    message_id: int | None = None
    time: float = 0.0
    status: int = 200
    error: str | None = None
    result: Any = field(default=None, repr=False)

    @property
    def reply_markup(self) -> dict[str, Any] | None:
        markup = self.params.get("reply_markup")
        return markup if isinstance(markup, dict) else None

    @property
    def buttons(self) -> list[tuple[str, str | None]]:
        """The inline keyboard as (label, callback_data) pairs, row by row."""
        markup = self.reply_markup or {}
        return [
            (button.get("text", ""), button.get("callback_data"))
            for row in markup.get("inline_keyboard", [])
            for button in row
        ]

    def summary(self) -> str:
        text = "" if self.text is None else f" text={self.text[:80]!r}"
        error = f" -> {self.status} {self.error}" if self.error else ""
        return f"{self.method} chat={self.chat_id}{text}{error}"


class QueuedUpdate:
    """An update waiting for getUpdates: `forced` if it was given its id (delivered once more even
    if confirmed), `delivered` once a getUpdates has returned it."""

    __slots__ = ("update_id", "payload", "kind", "forced", "delivered")

    def __init__(self, update_id: int, payload: dict[str, Any], forced: bool) -> None:
        self.update_id = update_id
        self.payload = payload
        self.kind = next((key for key in payload if key != "update_id"), "")
        self.forced = forced
        self.delivered = False

"""Telegram's rules for what a message holds: texts and captions counted in UTF-16 code units of
what is shown, the HTML parse mode (known tags, balanced; `html_to_plain`), inline keyboards and
their callback data, and the sizes of uploaded pictures."""

from __future__ import annotations

import copy
import html
import re
import struct
from typing import Any

from .wire import ApiError, bad_request

__all__ = [
    "MAX_TEXT_LENGTH", "MAX_CAPTION_LENGTH", "MAX_CALLBACK_DATA", "utf16_length", "html_to_plain", "inline_markup",
    "set_markup", "text_content", "without_reply", "is_png", "image_size",
]

MAX_TEXT_LENGTH = 4096  # UTF-16 code units of the text as shown (after entity parsing)
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA = 64  # bytes of an inline button's callback_data
# Tags Telegram's HTML parse mode knows.
_HTML_TAGS = frozenset(
    {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a",
     "code", "pre", "blockquote", "tg-emoji", "tg-time"}
)
_TAG_NAME = re.compile(r"/?\s*([A-Za-z][A-Za-z0-9-]*)")


def utf16_length(text: str) -> int:
    """Telegram's length of a text: its UTF-16 code units (a character beyond U+FFFF counts two)."""
    return len(text.encode("utf-16-le")) // 2


def html_to_plain(text: str) -> str:
    """Check Telegram-style HTML (known tags, balanced) and return the visible text."""
    out: list[str] = []
    stack: list[str] = []
    position = 0

    def fail(what: str, at: int, detail: str = "") -> ApiError:
        offset = len(text[:at].encode("utf-8"))
        return bad_request(f"can't parse entities: {what} at byte offset {offset}{detail}")

    while True:
        start = text.find("<", position)
        if start < 0:
            out.append(text[position:])
            break
        out.append(text[position:start])
        end = text.find(">", start)
        if end < 0:
            raise fail("Unclosed start tag", start)
        inside = text[start + 1:end]
        match = _TAG_NAME.match(inside)
        name = match.group(1).lower() if match else ""
        closing = inside.startswith("/")
        if name not in _HTML_TAGS:
            raise fail(f'Unsupported {"end" if closing else "start"} tag "{name}"', start)
        if closing:
            if not stack or stack[-1] != name:
                expected = f'expected "</{stack[-1]}>", ' if stack else ""
                raise fail("Unmatched end tag", start, f', {expected}found "</{name}>"')
            stack.pop()
        elif not inside.endswith("/"):
            stack.append(name)
        position = end + 1
    if stack:
        raise bad_request(
            f'can\'t parse entities: Can\'t find end tag corresponding to start tag "{stack[-1]}"')
    return html.unescape("".join(out))


def inline_markup(markup: Any) -> dict[str, Any] | None:
    """The markup a Message echoes: inline keyboards only (reply keyboards are not echoed).
    Callback data over Telegram's 64 bytes is refused as Telegram does."""
    if isinstance(markup, dict) and isinstance(markup.get("inline_keyboard"), list):
        for row in markup["inline_keyboard"]:
            for button in row if isinstance(row, list) else ():
                data = button.get("callback_data") if isinstance(button, dict) else None
                if isinstance(data, str) and len(data.encode()) > MAX_CALLBACK_DATA:
                    raise bad_request("BUTTON_DATA_INVALID")
        return copy.deepcopy(markup) if markup["inline_keyboard"] else None
    return None


def set_markup(message: dict[str, Any], markup: dict[str, Any] | None) -> None:
    if markup is None:
        message.pop("reply_markup", None)
    else:
        message["reply_markup"] = markup


def text_content(text: str) -> dict[str, Any]:
    """A user's text message (a "/command" gets its bot_command entity)."""
    content: dict[str, Any] = {"text": text}
    if text.startswith("/"):
        command = text.split(maxsplit=1)[0]
        content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
    return content


def without_reply(message: dict[str, Any]) -> dict[str, Any]:
    nested = copy.deepcopy(message)
    nested.pop("reply_to_message", None)
    return nested


def is_png(data: bytes | None) -> bool:
    return bool(data) and data[:8] == b"\x89PNG\r\n\x1a\n"  # type: ignore[index]


def image_size(data: bytes | None) -> tuple[int, int] | None:
    if data and is_png(data) and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    return None

"""How the bot sends, and which chat it sends to: the one send policy for every Bot API call the bot
makes (messages, photos, edits, callback answers), and the keys the engine knows chats by.

* Time-outs, 5xx answers and connection errors are transient: the call is made again after a
  backoff (0.5 s, doubling), `RETRIES` more times at most.
* Flood control (429, `RetryAfter`) is the rate limiter's job: it waits `retry_after` and tries
  again (see `ratelimit`). Without a rate limiter the policy itself waits `retry_after` and retries,
  unless the caller has a better use for the time (`wait_out_flood=False`: a push pass goes on
  with other chats and leaves the push pending for its next pass).
* 4xx answers (`BadRequest`, `Forbidden`) are final: the same call would be refused again, so it
  is never repeated. PTB raises a 400 as `BadRequest`, a subclass of `NetworkError`, so it is
  told apart first. An edit refused as "message is not modified" already shows what was asked:
  that counts as done.
* `chat_gone` tells the errors that mean the chat cannot be written to any more (the user blocked
  the bot, the bot was removed, the chat does not exist): callers end what they send there (a
  daily subscription) instead of retrying.
* A group upgraded to a supergroup answers 400 with its new id (`ChatMigrated`, which PTB does not
  derive from `BadRequest`): it is raised at once, for the caller to move the chat and send there.

Texts are split under Telegram's limit (`render.split_text`) before they are sent; engine replies
are rendered as HTML with their keyboards (`render.to_html`, `render.keyboard`).

Every chat, private or group, is one key in the engine and the store: `KEY_PREFIX` and its id
("tg:12345"; a group's id is negative). `user_key` makes it from an update, `chat_key` from a chat
id, and `chat_id_of` reads the id back.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from html import escape
from typing import Any, TypeVar

from telegram import Bot, CallbackQuery, InlineKeyboardMarkup, Message, ReplyParameters, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from ..engine import Reply
from .ratelimit import retry_seconds
from .render import keyboard, split_text, to_html

__all__ = [
    "call", "chat_gone", "send_text", "send_replies", "reply_text", "answer_query", "RETRIES", "BACKOFF",
    "KEY_PREFIX", "user_key", "chat_key", "chat_id_of",
]

logger = logging.getLogger(__name__)

T = TypeVar("T")

RETRIES = 4  # a call that fails transiently is made this many more times
BACKOFF = 0.5  # seconds before the first retry; doubles after each
_GONE = ("chat not found", "peer_id_invalid", "user not found", "bot was blocked", "bot was kicked",
         "user is deactivated", "have no rights to send", "not enough rights to send")
KEY_PREFIX = "tg:"  # the engine's keys of Telegram chats: this and the chat id


def chat_gone(exc: BaseException) -> bool:
    """Whether `exc` means the chat cannot be written to any more (403, or 400 "chat not found")."""
    if isinstance(exc, Forbidden):
        return True
    return isinstance(exc, BadRequest) and any(marker in exc.message.lower() for marker in _GONE)


def _not_modified(exc: BadRequest) -> bool:
    return "message is not modified" in exc.message.lower()


def _paced(request: Callable[..., Any]) -> bool:
    """Whether the call goes through a rate limiter (which then handles 429s itself)."""
    owner = getattr(request, "__self__", None)
    if owner is not None and not isinstance(owner, Bot):
        try:
            owner = owner.get_bot()  # a Message or CallbackQuery shortcut: its Bot
        except (AttributeError, RuntimeError):
            owner = None
    return getattr(owner, "rate_limiter", None) is not None


async def call(request: Callable[..., Awaitable[T]], *args: Any, wait_out_flood: bool = True, **kwargs: Any) -> T | None:
    """Make one Bot API call under the policy (see the module's docstring); returns its result.

    Returns None for an edit that changed nothing ("message is not modified"). Raises the error
    that ended the tries: a 4xx at once, a transient error after `RETRIES` more tries.
    """
    delay = BACKOFF
    name = getattr(request, "__name__", "call")
    for attempt in range(RETRIES + 1):
        try:
            return await request(*args, **kwargs)
        except BadRequest as exc:  # before NetworkError: PTB derives it from NetworkError
            if _not_modified(exc):
                logger.debug("%s: nothing to change", name)
                return None
            raise
        except RetryAfter as exc:
            if attempt == RETRIES or not wait_out_flood or _paced(request):
                raise  # a rate limiter already waited as often as it would, or the caller waits
            wait, reason = retry_seconds(exc) + 0.05, str(exc)
        except NetworkError as exc:  # time-outs, 5xx, connection errors
            if attempt == RETRIES:
                raise
            wait, reason, delay = delay, str(exc), delay * 2
        logger.warning("%s failed (%s); retrying in %.1f s", name, reason, wait)
        await asyncio.sleep(wait)
    raise AssertionError("unreachable")


async def send_text(
    bot: Bot,
    chat_id: int,
    text: str,
    *,
    html: bool = False,
    reply_markup: InlineKeyboardMarkup | None = None,
    reply_to: int | None = None,
    wait_out_flood: bool = True,
    **kwargs: Any,
) -> list[Message]:
    """Send a text (HTML if `html`, else plain and escaped here) split under the limit; the
    keyboard goes on the last piece, the first piece replies to `reply_to` (if that message is
    still there). Returns the sent messages."""
    pieces = split_text(text if html else escape(text, quote=False))
    sent: list[Message] = []
    for number, piece in enumerate(pieces):
        last = number == len(pieces) - 1
        quoting = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to and number == 0 else None
        message = await call(
            bot.send_message, chat_id, piece, parse_mode=ParseMode.HTML,
            reply_markup=reply_markup if last else None, reply_parameters=quoting, wait_out_flood=wait_out_flood, **kwargs,
        )  # fmt: skip
        if message is not None:
            sent.append(message)
    return sent


async def send_replies(
    bot: Bot, chat_id: int, replies: Sequence[Reply], *, reply_to: int | None = None, wait_out_flood: bool = True,
    thread_id: int | None = None,
) -> None:
    """Send engine replies: the chart as a photo, the text split under the limit, buttons on its
    last piece; in the forum topic `thread_id`, if given."""
    topic = {"message_thread_id": thread_id} if thread_id else {}
    for reply in replies:
        if reply.image:
            await call(bot.send_photo, chat_id, reply.image, wait_out_flood=wait_out_flood, **topic)
        await send_text(
            bot, chat_id, to_html(reply), html=True, reply_markup=keyboard(reply), reply_to=reply_to,
            wait_out_flood=wait_out_flood, disable_web_page_preview=True, **topic,
        )  # fmt: skip


async def reply_text(message: Message, text: str, **kwargs: Any) -> list[Message]:
    """Answer a message with a plain text, under the policy, as PTB's `Message.reply_text` does:
    in its forum topic, if any, and quoting it outside private chats."""
    if message.is_topic_message and message.message_thread_id is not None:
        kwargs.setdefault("message_thread_id", message.message_thread_id)
    if message.chat.type != "private":
        kwargs.setdefault("reply_to", message.message_id)
    return await send_text(message.get_bot(), message.chat_id, text, **kwargs)


async def answer_query(query: CallbackQuery | None, text: str | None = None) -> None:
    """Answer a button press (stops the client's spinner). A failure is logged and never stops
    the button's action: a press Telegram calls "too old" (the bot was down) still acts."""
    if query is None:
        return
    try:
        await call(query.answer, text)
    except TelegramError as exc:
        logger.info("button press %s not answered: %s", query.id, exc)


# ---------------------------------------------------------------- chat keys


def chat_key(chat_id: int) -> str:
    """The engine's key of a Telegram chat.

    >>> chat_key(-100123)
    'tg:-100123'
    """
    return f"{KEY_PREFIX}{chat_id}"


def user_key(update: Update) -> str:
    """The engine's key of the chat the update belongs to."""
    return chat_key(update.effective_chat.id)  # type: ignore[union-attr]


def chat_id_of(key: str) -> int:
    """The Telegram chat id in a chat's key.

    >>> chat_id_of("tg:12345")
    12345
    """
    return int(key.split(":", 1)[1])

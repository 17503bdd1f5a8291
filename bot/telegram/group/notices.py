"""Acknowledgements of the replies in a round, gathered per forum topic into one message.

What a reply gets (received, already answered, closed) never holds up the handling of updates: a
topic's notices are gathered for `NOTICE_GATHER` seconds and sent in the background as one message
(「收到 A、B、C 的回答。」; a single one quotes the reply), which also keeps the group under
Telegram's 20 messages a minute. Notices live in memory: a crash loses the ones not sent yet,
never an answer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from telegram import Message
from telegram.error import TelegramError
from telegram.ext import Application

from grading.i18n import N_, _, gettext

from .delivery import language_of, send_group
from .players import thread_of

__all__ = ["Notice", "notice_text", "notify", "NOTICE_GATHER"]

logger = logging.getLogger(__name__)

NOTICE_GATHER = 1.0  # seconds a topic's acknowledgements are gathered into one message
_NOTICES = "round_notices"  # (chat id, topic) -> notices waiting to be sent
_NOTIFYING = "round_notifying"  # (chat id, topic) pairs a task is sending notices for
# The message of one reply of each kind, and of several replies of it (one line, with their names)
_ONE = {"received": N_("mock_received"), "already": N_("mock_already"), "closed": N_("group.closed")}
_MANY = {"received": N_("group.many_received"), "already": N_("group.many_already"), "closed": N_("group.many_closed")}


@dataclass(frozen=True, slots=True)
class Notice:
    """What one reply gets: "received", "already" (answered before) or "closed"."""

    kind: str
    name: str
    message_id: int


def notice_text(notices: Sequence[Notice], language: str) -> str:
    """One message for a topic's notices: a single one as the engine says it, several as one
    line per kind, with the names.

    >>> notice_text([Notice("received", "Ann", 5)], "zh")
    '收到 Ann 的回答。'
    >>> three = [Notice("received", "Ann", 5), Notice("received", "Ben", 6), Notice("already", "Ann", 7)]
    >>> print(notice_text(three, "zh"))
    收到 Ann、Ben 的回答。
    Ann 已经答过这题了，以第一次为准。
    """
    if len(notices) == 1:
        one = notices[0]
        return _(_ONE[one.kind], language, name=one.name)
    separator = gettext("group.name_separator", language)
    lines = []
    for kind, msgid in _MANY.items():
        names = list(dict.fromkeys(notice.name for notice in notices if notice.kind == kind))
        if names:
            lines.append(_(msgid, language, names=separator.join(names)))
    return "\n".join(lines)


def notify(application: Application, message: Message, notice: Notice) -> None:
    """Queue what a reply gets for its topic's next notice message (see the module's docstring)."""
    key = (message.chat_id, thread_of(message))
    application.bot_data.setdefault(_NOTICES, {}).setdefault(key, []).append(notice)
    sending: set[tuple[int, int]] = application.bot_data.setdefault(_NOTIFYING, set())
    if key not in sending:
        sending.add(key)
        application.create_task(_send_notices(application, key), name=f"round-notices:{key[0]}:{key[1]}")


async def _send_notices(application: Application, key: tuple[int, int]) -> None:
    """Gather a topic's notices for `NOTICE_GATHER` seconds, send them as one message, and go on
    while more came in during the send (which waits for the group's slot)."""
    waiting: dict[tuple[int, int], list[Notice]] = application.bot_data[_NOTICES]
    try:
        await asyncio.sleep(NOTICE_GATHER)
        while batch := waiting.pop(key, None):
            chat_id, thread_id = key
            text = notice_text(batch, language_of(application))
            quoting = batch[0].message_id if len(batch) == 1 else None
            try:
                await send_group(application, chat_id, thread_id, text, reply_to=quoting)
            except TelegramError as exc:  # a courtesy: the answers are stored either way
                logger.warning("notice to %s not sent: %s", chat_id, exc)
    finally:
        application.bot_data[_NOTIFYING].discard(key)
